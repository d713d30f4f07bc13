/**
 * Config resources as DescribeConfigs, AlterConfigs and IncrementalAlterConfigs see them: topics and
 * brokers (ConfigResource.Type TOPIC = 2, BROKER = 4, BROKER_LOGGER = 8). Describing reports every
 * config with its value, source and synonyms; altering validates, then commits Config records through
 * the controller, so the change is in the metadata log and survives restarts.
 */
import { ErrorCode, KafkaError } from '@flotilla/protocol';
import type { Controller } from '../metadata/controller.js';
import type { MetadataImage } from '../metadata/image.js';
import type { MetadataRecord } from '../metadata/records.js';
import type { TopicConfigs } from '../topic-configs.js';
import { type BrokerConfig, type ConfigEntry, ConfigSource } from './broker-config.js';
import { BROKER_CONFIG_DEFS, type ConfigDef, type ConfigType, TOPIC_CONFIG_DEFS } from './definitions.js';

export const ResourceType = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const;

/** DescribeConfigs' configType codes (ConfigEntry.ConfigType). */
const CONFIG_TYPE_CODES: Record<ConfigType, number> = {
  boolean: 1,
  string: 2,
  int: 3,
  short: 4,
  long: 5,
  double: 6,
  list: 7,
  password: 9,
};

export interface DescribedConfig {
  readonly name: string;
  readonly value: string | null;
  readonly readOnly: boolean;
  readonly isDefault: boolean;
  readonly configSource: number;
  readonly isSensitive: boolean;
  readonly synonyms: { name: string; value: string | null; source: number }[];
  readonly configType: number;
  readonly documentation: string | null;
}

export const AlterConfigOp = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

export class ConfigResources {
  constructor(
    private readonly nodeId: number,
    private readonly config: BrokerConfig,
    private readonly image: MetadataImage,
    private readonly topicConfigs: TopicConfigs,
    private readonly controller: Controller,
  ) {}

  private checkBroker(resourceName: string): void {
    if (resourceName !== '' && resourceName !== String(this.nodeId)) {
      throw new KafkaError(
        ErrorCode.INVALID_REQUEST,
        `Unexpected broker id, expected ${this.nodeId} or empty string, but received ${resourceName}`,
      );
    }
  }

  describe(
    resourceType: number,
    resourceName: string,
    keys: readonly string[] | null,
    includeSynonyms: boolean,
    includeDocs: boolean,
  ): DescribedConfig[] {
    let entries: { entry: ConfigEntry; def: ConfigDef | undefined; synonyms: ConfigEntry[] }[];
    if (resourceType === ResourceType.TOPIC) {
      if (!this.image.topics.has(resourceName)) {
        throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${resourceName} does not exist`);
      }
      entries = [...TOPIC_CONFIG_DEFS.values()].map((d) => {
        const entry = this.topicConfigs.entry(resourceName, d.name);
        const synonyms: ConfigEntry[] = [];
        if (entry.source === ConfigSource.DYNAMIC_TOPIC_CONFIG) synonyms.push(entry);
        if (d.brokerSynonym) {
          const b = this.config.entry(d.brokerSynonym);
          if (b.source !== ConfigSource.DEFAULT_CONFIG) synonyms.push(b);
        }
        synonyms.push({ name: d.brokerSynonym ?? d.name, value: d.default, source: ConfigSource.DEFAULT_CONFIG });
        return { entry, def: d, synonyms };
      });
    } else if (resourceType === ResourceType.BROKER) {
      this.checkBroker(resourceName);
      const defaultsOnly = resourceName === '';
      entries = this.config
        .entries()
        .filter((e) => !defaultsOnly || e.source === ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG)
        .map((entry) => ({ entry, def: BROKER_CONFIG_DEFS.get(entry.name), synonyms: [entry] }));
    } else if (resourceType === ResourceType.BROKER_LOGGER) {
      this.checkBroker(resourceName);
      entries = [];
    } else {
      throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unsupported resource type ${resourceType}`);
    }
    const wanted = keys === null ? null : new Set(keys);
    return entries
      .filter(({ entry }) => wanted === null || wanted.has(entry.name))
      .map(({ entry, def, synonyms }) => {
        const sensitive = def?.type === 'password';
        return {
          name: entry.name,
          value: sensitive ? null : entry.value,
          readOnly: resourceType === ResourceType.BROKER && def?.updateMode === 'read-only',
          isDefault: entry.source === ConfigSource.DEFAULT_CONFIG,
          configSource: entry.source,
          isSensitive: sensitive,
          synonyms: includeSynonyms
            ? synonyms.map((s) => ({ name: s.name, value: sensitive ? null : s.value, source: s.source }))
            : [],
          configType: def ? CONFIG_TYPE_CODES[def.type] : 0,
          documentation: includeDocs ? (def?.doc ?? null) : null,
        };
      });
  }

  /**
   * Applies config changes to one resource. `incremental` ops are SET/DELETE/APPEND/SUBTRACT; the legacy
   * AlterConfigs replaces the resource's whole set of overrides (configs not named are removed).
   */
  async alter(
    resourceType: number,
    resourceName: string,
    ops: readonly { name: string; op: number; value: string | null }[],
    legacy: boolean,
    validateOnly: boolean,
  ): Promise<void> {
    const seen = new Set<string>();
    for (const o of ops) {
      if (seen.has(o.name)) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Config ${o.name} appears more than once`);
      seen.add(o.name);
    }
    await this.controller.commit(() => {
      let records: MetadataRecord[];
      if (resourceType === ResourceType.TOPIC) {
        const topic = this.image.topics.get(resourceName);
        const current = topic?.configs ?? new Map<string, string>();
        const changes = this.resolve(ops, legacy, current, (n) => TOPIC_CONFIG_DEFS.get(n));
        records = this.controller.planTopicConfigs(topic, resourceName, changes);
      } else if (resourceType === ResourceType.BROKER) {
        // Any registered broker, as Kafka's controller accepts: a broker-only node forwards the change
        // here (KIP-590), and the broker it names applies it from the metadata log.
        const current = this.image.brokerConfigs.get(resourceName) ?? new Map<string, string>();
        const changes = this.resolve(ops, legacy, current, (n) => BROKER_CONFIG_DEFS.get(n));
        records = this.controller.planBrokerConfigs(resourceName, changes);
      } else if (resourceType === ResourceType.BROKER_LOGGER) {
        this.checkBroker(resourceName);
        records = [];
      } else {
        throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unsupported resource type ${resourceType}`);
      }
      return validateOnly ? [] : records;
    });
  }

  private resolve(
    ops: readonly { name: string; op: number; value: string | null }[],
    legacy: boolean,
    current: ReadonlyMap<string, string>,
    def: (name: string) => ConfigDef | undefined,
  ): Map<string, string | null> {
    const out = new Map<string, string | null>();
    if (legacy) for (const name of current.keys()) out.set(name, null);
    for (const o of ops) {
      const d = def(o.name);
      const list = d?.type === 'list';
      const existing = (current.get(o.name) ?? d?.default ?? '').split(',').filter((s) => s !== '');
      switch (o.op) {
        case AlterConfigOp.SET:
          out.set(o.name, o.value);
          break;
        case AlterConfigOp.DELETE:
          out.set(o.name, null);
          break;
        case AlterConfigOp.APPEND:
        case AlterConfigOp.SUBTRACT: {
          if (!list)
            throw new KafkaError(
              ErrorCode.INVALID_CONFIG,
              `Config ${o.name} is not a list: APPEND and SUBTRACT need one`,
            );
          const items = (o.value ?? '').split(',').filter((s) => s !== '');
          const next =
            o.op === AlterConfigOp.APPEND
              ? [...existing, ...items.filter((i) => !existing.includes(i))]
              : existing.filter((i) => !items.includes(i));
          out.set(o.name, next.join(','));
          break;
        }
        default:
          throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown config operation ${o.op}`);
      }
    }
    return out;
  }
}

/**
 * The broker's configuration: server.properties, then `--override key=value`, then dynamic values set
 * at run time through (Incremental)AlterConfigs. Values are validated once, when set, and read typed.
 */
import { readFileSync } from 'node:fs';
import {
  BROKER_CONFIG_DEFS,
  type ConfigDef,
  ConfigError,
  type ConfigValue,
  parseConfigValue,
  TOPIC_CONFIG_DEFS,
} from './definitions.js';
import { parseProperties } from './properties.js';

/** Where a value came from, as DescribeConfigs reports it (ConfigSource in Kafka). */
export const ConfigSource = {
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
} as const;
export type ConfigSource = (typeof ConfigSource)[keyof typeof ConfigSource];

export interface Listener {
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

export interface QuorumVoter {
  readonly id: number;
  readonly host: string;
  readonly port: number;
}

export interface ConfigEntry {
  readonly name: string;
  readonly value: string | null;
  readonly source: ConfigSource;
}

/** Prefixes of per-listener and security settings that later parts of the broker read directly. */
const PASSTHROUGH_PREFIXES = [
  'listener.name.',
  'ssl.',
  'sasl.',
  'security.',
  'super.users',
  'authorizer.',
  'allow.everyone',
];

export class BrokerConfig {
  private readonly staticValues = new Map<string, string>();
  /** Dynamic values for this broker, then the cluster-wide defaults (`--entity-default`). */
  private readonly dynamicBroker = new Map<string, string>();
  private readonly dynamicDefault = new Map<string, string>();
  private readonly parsed = new Map<string, ConfigValue>();

  /** Loads server.properties (if given) and overrides; unknown keys are reported through `warn`. */
  static load(
    file: string | undefined,
    overrides: ReadonlyMap<string, string>,
    warn: (message: string) => void = () => {},
  ): BrokerConfig {
    const values = new Map<string, string>();
    if (file) for (const [k, v] of parseProperties(readFileSync(file, 'utf8'))) values.set(k, v);
    for (const [k, v] of overrides) values.set(k, v);
    return new BrokerConfig(values, warn);
  }

  constructor(values: ReadonlyMap<string, string>, warn: (message: string) => void = () => {}) {
    for (const [key, text] of values) {
      const d = BROKER_CONFIG_DEFS.get(key);
      if (!d) {
        if (!PASSTHROUGH_PREFIXES.some((p) => key.startsWith(p))) warn(`Unknown configuration ${key} is ignored`);
        this.staticValues.set(key, text);
        continue;
      }
      parseConfigValue(d, text); // fail at start on an invalid value
      this.staticValues.set(key, text);
    }
    if (this.nodeId < 0) {
      throw new ConfigError(
        'node.id',
        String(this.raw('node.id')),
        'node.id (or broker.id) must be set to a value >= 0',
      );
    }
    this.listeners; // validates the listener list at start
    this.advertisedListeners;
    const voters = this.quorumVoters; // validates the quorum at start
    if (voters.length > 0 && this.processRoles.controller) {
      if (!voters.some((v) => v.id === this.nodeId)) {
        throw new ConfigError(
          'controller.quorum.voters',
          this.raw('controller.quorum.voters') ?? '',
          `node ${this.nodeId} has the controller role but is not a voter`,
        );
      }
      if (this.controllerListeners.length === 0) {
        throw new ConfigError(
          'controller.listener.names',
          String(this.raw('controller.listener.names')),
          'must name a listener of `listeners` on a controller',
        );
      }
    }
  }

  /** The text value in force and its source. */
  entry(key: string): ConfigEntry {
    const d = BROKER_CONFIG_DEFS.get(key);
    const dyn = this.dynamicBroker.get(key);
    if (dyn !== undefined) return { name: key, value: dyn, source: ConfigSource.DYNAMIC_BROKER_CONFIG };
    const dflt = this.dynamicDefault.get(key);
    if (dflt !== undefined) return { name: key, value: dflt, source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG };
    const st = this.staticValues.get(key);
    if (st !== undefined) return { name: key, value: st, source: ConfigSource.STATIC_BROKER_CONFIG };
    return { name: key, value: d?.default ?? null, source: ConfigSource.DEFAULT_CONFIG };
  }

  raw(key: string): string | null {
    return this.entry(key).value;
  }

  get(key: string): ConfigValue {
    const cached = this.parsed.get(key);
    if (cached !== undefined) return cached;
    const d = BROKER_CONFIG_DEFS.get(key);
    const text = this.raw(key);
    const value = d ? parseConfigValue(d, text) : text;
    this.parsed.set(key, value);
    return value;
  }

  int(key: string): number {
    const v = this.get(key);
    if (typeof v !== 'number') throw new ConfigError(key, String(v), 'expected a number');
    return v;
  }

  /** A long config as a number; Long.MAX_VALUE (Kafka's "never") becomes Infinity. */
  long(key: string): number {
    const v = this.get(key);
    if (v === null) return Number.POSITIVE_INFINITY;
    if (typeof v !== 'number') throw new ConfigError(key, String(v), 'expected a number');
    return v >= 2 ** 63 - 1024 ? Number.POSITIVE_INFINITY : v;
  }

  bool(key: string): boolean {
    return this.get(key) === true;
  }

  string(key: string): string | null {
    const v = this.get(key);
    return v === null ? null : String(v);
  }

  list(key: string): string[] {
    const v = this.get(key);
    return Array.isArray(v) ? v : v === null ? [] : [String(v)];
  }

  /** Every known broker config with its value in force, for DescribeConfigs. */
  entries(): ConfigEntry[] {
    return [...BROKER_CONFIG_DEFS.keys()].map((k) => this.entry(k));
  }

  definition(key: string): ConfigDef | undefined {
    return BROKER_CONFIG_DEFS.get(key);
  }

  /**
   * Sets (or with null, removes) a dynamic broker config. `scope` is this broker or the cluster-wide
   * default. Read-only configs are refused, as Kafka refuses them.
   */
  setDynamic(key: string, value: string | null, scope: 'broker' | 'default'): void {
    const d = BROKER_CONFIG_DEFS.get(key);
    if (!d) throw new ConfigError(key, String(value), 'unknown broker configuration');
    if (d.updateMode === 'read-only') {
      throw new ConfigError(key, String(value), 'cannot be updated dynamically (read-only)');
    }
    const target = scope === 'broker' ? this.dynamicBroker : this.dynamicDefault;
    if (value === null) target.delete(key);
    else {
      parseConfigValue(d, value);
      target.set(key, value);
    }
    this.parsed.clear();
  }

  get nodeId(): number {
    const explicit = Number(this.staticValues.get('node.id') ?? this.staticValues.get('broker.id') ?? -1);
    return Number.isInteger(explicit) ? explicit : -1;
  }

  get listeners(): Listener[] {
    return this.list('listeners').map((l) => parseListener('listeners', l));
  }

  /** What clients are told to connect to: advertised.listeners, or listeners where not set. */
  get advertisedListeners(): Listener[] {
    const advertised = this.list('advertised.listeners').map((l) => parseListener('advertised.listeners', l));
    return this.listeners
      .filter((l) => !this.list('controller.listener.names').includes(l.name))
      .map((l) => advertised.find((a) => a.name === l.name) ?? l);
  }

  /** process.roles: 'broker', 'controller' or both (KRaft combined mode). */
  get processRoles(): { broker: boolean; controller: boolean } {
    const roles = this.list('process.roles');
    return { broker: roles.includes('broker'), controller: roles.includes('controller') };
  }

  /** controller.quorum.voters as id -> endpoint; empty without a quorum (the single-node local log). */
  get quorumVoters(): QuorumVoter[] {
    return this.list('controller.quorum.voters').map((text) => {
      const m = /^(\d+)@(\[[^\]]*\]|[^:]+):(\d+)$/.exec(text.trim());
      if (!m) throw new ConfigError('controller.quorum.voters', text, 'expected id@host:port');
      return { id: Number(m[1]), host: (m[2] ?? '').replace(/^\[|\]$/g, ''), port: Number(m[3]) };
    });
  }

  /** The listeners named in controller.listener.names (where this node serves the quorum). */
  get controllerListeners(): Listener[] {
    const names = this.list('controller.listener.names');
    return this.listeners.filter((l) => names.includes(l.name));
  }

  get logDirs(): string[] {
    const dirs = this.list('log.dirs');
    return dirs.length > 0 ? dirs : [this.string('log.dir') ?? '/tmp/kafka-logs'];
  }

  /** log.retention.ms, else .minutes, else .hours: Kafka's precedence. -1 means keep forever. */
  get retentionMs(): number {
    const ms = this.get('log.retention.ms');
    if (typeof ms === 'number') return ms;
    const minutes = this.get('log.retention.minutes');
    if (typeof minutes === 'number') return minutes * 60_000;
    return this.int('log.retention.hours') * 3_600_000;
  }

  get rollMs(): number {
    const ms = this.get('log.roll.ms');
    if (typeof ms === 'number') return ms;
    return this.int('log.roll.hours') * 3_600_000;
  }

  /**
   * The broker-level default of a topic config, as its text form and source: what a topic without
   * an override of `topicKey` gets.
   */
  topicDefault(topicKey: string): ConfigEntry {
    const d = TOPIC_CONFIG_DEFS.get(topicKey);
    if (!d) return { name: topicKey, value: null, source: ConfigSource.DEFAULT_CONFIG };
    if (topicKey === 'retention.ms')
      return this.derived(topicKey, 'log.retention.ms', String(this.retentionMs), [
        'log.retention.minutes',
        'log.retention.hours',
      ]);
    if (topicKey === 'segment.ms')
      return this.derived(topicKey, 'log.roll.ms', String(this.rollMs), ['log.roll.hours']);
    const synonym = d.brokerSynonym;
    if (synonym && BROKER_CONFIG_DEFS.has(synonym)) {
      const e = this.entry(synonym);
      if (e.value !== null) return { name: topicKey, value: e.value, source: e.source };
    }
    return { name: topicKey, value: d.default, source: ConfigSource.DEFAULT_CONFIG };
  }

  private derived(topicKey: string, primary: string, value: string, fallbacks: string[]): ConfigEntry {
    const sources = [primary, ...fallbacks].map((k) => this.entry(k));
    const best = sources.find((e) => e.source !== ConfigSource.DEFAULT_CONFIG && e.value !== null);
    return { name: topicKey, value, source: best?.source ?? ConfigSource.DEFAULT_CONFIG };
  }
}

export function parseListener(key: string, text: string): Listener {
  const m = /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:/]*):(\d+)$/.exec(text.trim());
  if (!m) throw new ConfigError(key, text, 'expected NAME://host:port');
  const port = Number(m[3]);
  if (port < 0 || port > 65535) throw new ConfigError(key, text, 'port must be 0-65535');
  const host = (m[2] ?? '').replace(/^\[|\]$/g, '');
  return { name: (m[1] ?? '').toUpperCase(), host, port };
}

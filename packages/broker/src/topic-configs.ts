/**
 * Effective topic configuration: a topic's own overrides from the metadata image, else the broker's
 * value of the synonym (dynamic, then static), else Kafka's default. DescribeConfigs reports this with
 * sources and synonyms; the log reads it as a LogConfig.
 */
import { type BrokerConfig, type ConfigEntry, ConfigSource } from './config/broker-config.js';
import { parseConfigValue, TOPIC_CONFIG_DEFS, TOPIC_CONFIGS } from './config/definitions.js';
import type { LogConfig } from './log/partition-log.js';
import type { MetadataImage } from './metadata/image.js';

const LONG_MAX_AS_NUMBER = 2 ** 63 - 1024;

export class TopicConfigs {
  constructor(
    private readonly image: MetadataImage,
    private readonly config: BrokerConfig,
  ) {}

  /** The value in force for `name` on `topic`, with its source. */
  entry(topic: string, name: string): ConfigEntry {
    const override = this.image.topics.get(topic)?.configs.get(name);
    if (override !== undefined) return { name, value: override, source: ConfigSource.DYNAMIC_TOPIC_CONFIG };
    return this.config.topicDefault(name);
  }

  entries(topic: string): ConfigEntry[] {
    return TOPIC_CONFIGS.map((d) => this.entry(topic, d.name));
  }

  private number(topic: string, name: string): number {
    const d = TOPIC_CONFIG_DEFS.get(name);
    const e = this.entry(topic, name);
    if (!d || e.value === null) return Number.POSITIVE_INFINITY;
    const v = parseConfigValue(d, e.value);
    if (typeof v !== 'number') return Number.POSITIVE_INFINITY;
    return v >= LONG_MAX_AS_NUMBER ? Number.POSITIVE_INFINITY : v;
  }

  private list(topic: string, name: string): string[] {
    const d = TOPIC_CONFIG_DEFS.get(name);
    const e = this.entry(topic, name);
    if (!d || e.value === null) return [];
    const v = parseConfigValue(d, e.value);
    return Array.isArray(v) ? v : [String(v)];
  }

  logConfig(topic: string): LogConfig {
    const policy = this.list(topic, 'cleanup.policy');
    return {
      segmentBytes: this.number(topic, 'segment.bytes'),
      segmentMs: this.number(topic, 'segment.ms'),
      retentionMs: this.number(topic, 'retention.ms'),
      retentionBytes: this.number(topic, 'retention.bytes'),
      maxMessageBytes: this.number(topic, 'max.message.bytes'),
      indexIntervalBytes: this.number(topic, 'index.interval.bytes'),
      flushMessages: this.number(topic, 'flush.messages'),
      flushMs: this.number(topic, 'flush.ms'),
      compact: policy.includes('compact'),
      delete: policy.includes('delete'),
      logAppendTime: this.entry(topic, 'message.timestamp.type').value === 'LogAppendTime',
      timestampBeforeMaxMs: this.number(topic, 'message.timestamp.before.max.ms'),
      timestampAfterMaxMs: this.number(topic, 'message.timestamp.after.max.ms'),
      minCleanableDirtyRatio: this.number(topic, 'min.cleanable.dirty.ratio'),
      deleteRetentionMs: this.number(topic, 'delete.retention.ms'),
      minCompactionLagMs: this.number(topic, 'min.compaction.lag.ms'),
      maxCompactionLagMs: this.number(topic, 'max.compaction.lag.ms'),
    };
  }

  minInsyncReplicas(topic: string): number {
    return this.number(topic, 'min.insync.replicas');
  }
}

/**
 * MSK's monitoring levels (EnhancedMonitoring) and which series each keeps. Every level keeps what
 * the levels below it keep, as MSK's do:
 *   DEFAULT                  cluster-wide counts, per-broker throughput, resources and request times,
 *                            consumer lag per group and topic
 *   PER_BROKER               + LeaderCount and PartitionCount per broker
 *   PER_TOPIC_PER_BROKER     + throughput per topic on each broker
 *   PER_TOPIC_PER_PARTITION  + consumer lag per partition (OffsetLag, EstimatedTimeLag)
 * The scrape reads everything; only the kept series are written, which is what bounds the catalog's
 * write load (https://docs.aws.amazon.com/msk/latest/developerguide/metrics-details.html).
 */

export const MONITORING_LEVELS = ['DEFAULT', 'PER_BROKER', 'PER_TOPIC_PER_BROKER', 'PER_TOPIC_PER_PARTITION'] as const;
export type MonitoringLevel = (typeof MONITORING_LEVELS)[number];

/** The kind of dimensions a series has, named after MSK's CloudWatch dimension sets. */
export type SeriesScope =
  | 'cluster'
  | 'broker'
  | 'broker-detail'
  | 'broker-topic'
  | 'group-topic'
  | 'group-topic-partition';

const LEVEL_OF_SCOPE: Record<SeriesScope, MonitoringLevel> = {
  cluster: 'DEFAULT',
  broker: 'DEFAULT',
  'group-topic': 'DEFAULT',
  'broker-detail': 'PER_BROKER',
  'broker-topic': 'PER_TOPIC_PER_BROKER',
  'group-topic-partition': 'PER_TOPIC_PER_PARTITION',
};

export function asMonitoringLevel(text: string | null | undefined): MonitoringLevel {
  return (MONITORING_LEVELS as readonly string[]).includes(text ?? '') ? (text as MonitoringLevel) : 'DEFAULT';
}

/** True when a cluster at `level` keeps series of `scope`. */
export function keeps(level: MonitoringLevel, scope: SeriesScope): boolean {
  return MONITORING_LEVELS.indexOf(level) >= MONITORING_LEVELS.indexOf(LEVEL_OF_SCOPE[scope]);
}

/** The metrics we publish, with their scope and unit (the read API lists them). */
export const METRICS = {
  ActiveControllerCount: { scope: 'cluster', unit: 'Count' },
  OfflinePartitionsCount: { scope: 'cluster', unit: 'Count' },
  GlobalPartitionCount: { scope: 'cluster', unit: 'Count' },
  GlobalTopicCount: { scope: 'cluster', unit: 'Count' },
  UnderReplicatedPartitions: { scope: 'broker', unit: 'Count' },
  UnderMinIsrPartitionCount: { scope: 'broker', unit: 'Count' },
  BytesInPerSec: { scope: 'broker', unit: 'Bytes/Second' },
  BytesOutPerSec: { scope: 'broker', unit: 'Bytes/Second' },
  MessagesInPerSec: { scope: 'broker', unit: 'Count/Second' },
  ProduceTotalTimeMsMean: { scope: 'broker', unit: 'Milliseconds' },
  FetchConsumerTotalTimeMsMean: { scope: 'broker', unit: 'Milliseconds' },
  KafkaDataLogsDiskUsed: { scope: 'broker', unit: 'Percent' },
  CpuUser: { scope: 'broker', unit: 'Percent' },
  MemoryUsed: { scope: 'broker', unit: 'Bytes' },
  ConnectionCount: { scope: 'broker', unit: 'Count' },
  /** Ours (MSK has no such metric): 1 when the broker runs and answered its scrape, else 0. */
  BrokerUp: { scope: 'broker', unit: 'None' },
  LeaderCount: { scope: 'broker-detail', unit: 'Count' },
  PartitionCount: { scope: 'broker-detail', unit: 'Count' },
  SumOffsetLag: { scope: 'group-topic', unit: 'Count' },
  MaxOffsetLag: { scope: 'group-topic', unit: 'Count' },
  EstimatedMaxTimeLag: { scope: 'group-topic', unit: 'Seconds' },
  OffsetLag: { scope: 'group-topic-partition', unit: 'Count' },
  EstimatedTimeLag: { scope: 'group-topic-partition', unit: 'Seconds' },
} as const satisfies Record<string, { scope: SeriesScope; unit: string }>;

export type MetricName = keyof typeof METRICS;

export function isMetricName(name: string): name is MetricName {
  return Object.hasOwn(METRICS, name);
}

/** The canonical dimension text of a series: its labels in a fixed order, `key=value` joined by commas. */
export function dimensionText(labels: {
  readonly broker?: number;
  readonly group?: string;
  readonly topic?: string;
  readonly partition?: number;
}): string {
  const parts: string[] = [];
  if (labels.broker !== undefined) parts.push(`broker=${labels.broker}`);
  if (labels.group !== undefined) parts.push(`group=${encodeURIComponent(labels.group)}`);
  if (labels.topic !== undefined) parts.push(`topic=${encodeURIComponent(labels.topic)}`);
  if (labels.partition !== undefined) parts.push(`partition=${labels.partition}`);
  return parts.join(',');
}

/** The labels of a dimension text (inverse of dimensionText). */
export function parseDimensions(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  if (text === '') return labels;
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    labels[part.slice(0, eq)] = decodeURIComponent(part.slice(eq + 1));
  }
  return labels;
}

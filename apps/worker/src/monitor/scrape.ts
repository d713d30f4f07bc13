/**
 * One scrape of one cluster: every broker's /metrics (Prometheus text), the runtime's stats for its
 * container/process, the cluster's metadata (controller, topics, partitions, ISR) and consumer lag,
 * turned into MSK's series. Counters become per-second rates against the previous scrape of the same
 * broker (kept by the caller in `CounterMemory`); a broker whose counters went down restarted, and its
 * current value is the increase.
 */
import type { monitoring } from '@flotilla/db';
import { AdminClient } from '@flotilla/protocol';
import type { RuntimeDriver } from '@flotilla/runtime';
import { adminOptions, type ClusterEndpoint } from '../kafka/cluster-endpoint.js';
import { computeConsumerLag, type GroupLag } from './lag.js';
import { dimensionText, keeps, METRICS, type MetricName, type MonitoringLevel } from './levels.js';
import { type PromSample, parsePrometheusText } from './prometheus-text.js';

export interface ScrapeTarget {
  readonly clusterId: string;
  readonly clusterArn: string;
  readonly level: MonitoringLevel;
  /** How the control plane reaches the cluster (kafka/cluster-endpoint.ts). */
  readonly endpoint: ClusterEndpoint;
  /** The node ids the catalog says the cluster has: a node missing at run time is a broker down. */
  readonly nodeIds: readonly number[];
  readonly volumeSizeGiB: number;
}

/** Previous counter readings per series key: (value, time in ms). */
export type CounterMemory = Map<string, { value: number; time: number }>;

export interface ScrapeResult {
  readonly samples: monitoring.NewSample[];
  /** Latest value of every series scraped (kept or not), for alarms and health. */
  readonly values: { metric: MetricName; dimensions: string; value: number }[];
  readonly lag: GroupLag[];
  readonly brokersDown: number[];
  readonly problems: string[];
}

const SCRAPE_TIMEOUT_MS = 5_000;

export async function scrapeCluster(
  target: ScrapeTarget,
  driver: RuntimeDriver,
  counters: CounterMemory,
  now = new Date(),
): Promise<ScrapeResult> {
  const time = now;
  const values: ScrapeResult['values'] = [];
  const problems: string[] = [];
  const put = (metric: MetricName, labels: Parameters<typeof dimensionText>[0], value: number) => {
    if (Number.isFinite(value)) values.push({ metric, dimensions: dimensionText(labels), value });
  };
  const rate = (key: string, value: number, since?: number): number | undefined => {
    // A series first seen on a broker already scraped at `since` (a topic's first records) started at 0.
    const previous = counters.get(key) ?? (since !== undefined ? { value: 0, time: since } : undefined);
    counters.set(key, { value, time: time.getTime() });
    if (!previous || time.getTime() <= previous.time) return undefined;
    const increase = value >= previous.value ? value - previous.value : value;
    return increase / ((time.getTime() - previous.time) / 1000);
  };

  const statuses = new Map((await driver.listBrokers(target.clusterId)).map((s) => [s.nodeId, s]));
  const brokersDown: number[] = [];
  await Promise.all(
    target.nodeIds.map(async (nodeId) => {
      const status = statuses.get(nodeId);
      const running = status?.state === 'running';
      const metricsPort =
        status?.ports?.metrics ?? (await driver.brokerSpec({ clusterId: target.clusterId, nodeId }))?.ports.metrics;
      let text: string | undefined;
      if (running && metricsPort) {
        text = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, {
          signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS),
        })
          .then((r) => (r.ok ? r.text() : undefined))
          .catch(() => undefined);
      }
      if (!running || text === undefined) {
        brokersDown.push(nodeId);
        problems.push(
          `broker ${nodeId} is down (${status ? status.state : 'missing'}${running ? ', /metrics does not answer' : ''})`,
        );
        put('BrokerUp', { broker: nodeId }, 0);
        return;
      }
      put('BrokerUp', { broker: nodeId }, 1);
      const stats = await driver.stats({ clusterId: target.clusterId, nodeId }).catch(() => undefined);
      if (stats) {
        put('CpuUser', { broker: nodeId }, stats.cpuPercent);
        put('MemoryUsed', { broker: nodeId }, stats.memoryBytes);
        const capacity = target.volumeSizeGiB * 1024 ** 3;
        if (capacity > 0) put('KafkaDataLogsDiskUsed', { broker: nodeId }, (stats.diskUsedBytes / capacity) * 100);
      }
      brokerSeries(nodeId, parsePrometheusText(text).samples, put, rate, target.clusterId, counters);
    }),
  );

  // Cluster-wide figures from the metadata, as the active controller would count them.
  const admin = new AdminClient({
    ...adminOptions(target.endpoint),
    clientId: 'flotilla-monitor',
    connectTimeoutMs: 3_000,
    requestTimeoutMs: 5_000,
    retries: 1,
  });
  try {
    const metadata = await admin.metadata();
    const partitions = metadata.topics.flatMap((t) => t.partitions);
    put('ActiveControllerCount', {}, metadata.controllerId >= 0 ? 1 : 0);
    put('GlobalTopicCount', {}, metadata.topics.length);
    put('GlobalPartitionCount', {}, partitions.length);
    put('OfflinePartitionsCount', {}, partitions.filter((p) => p.leader < 0).length);
    // The brokers' own gauges only count partitions they lead; a dead broker's partitions show here.
    put(
      'UnderReplicatedPartitions',
      {},
      Math.max(
        partitions.filter((p) => p.isr.length < p.replicas.length).length,
        sumOf(values, 'UnderReplicatedPartitions'),
      ),
    );
  } catch (error) {
    problems.push(`cluster metadata unavailable: ${(error as Error).message}`);
    put('ActiveControllerCount', {}, 0);
  } finally {
    await admin.close();
  }

  let lag: GroupLag[] = [];
  try {
    lag = await computeConsumerLag({ endpoint: target.endpoint, now: () => time.getTime() });
  } catch (error) {
    problems.push(`consumer lag unavailable: ${(error as Error).message}`);
  }
  for (const group of lag) {
    for (const topic of group.topics) {
      put('SumOffsetLag', { group: group.groupId, topic: topic.topic }, topic.sumOffsetLag);
      put('MaxOffsetLag', { group: group.groupId, topic: topic.topic }, topic.maxOffsetLag);
      put('EstimatedMaxTimeLag', { group: group.groupId, topic: topic.topic }, topic.estimatedMaxTimeLag);
      for (const p of topic.partitions) {
        put('OffsetLag', { group: group.groupId, topic: topic.topic, partition: p.partition }, p.offsetLag);
        put(
          'EstimatedTimeLag',
          { group: group.groupId, topic: topic.topic, partition: p.partition },
          p.estimatedTimeLag,
        );
      }
    }
  }

  const samples = values
    .filter((v) => keeps(target.level, seriesScope(v.metric, v.dimensions)))
    .map((v) => ({ clusterId: target.clusterId, metric: v.metric, dimensions: v.dimensions, time, value: v.value }));
  return { samples, values, lag, brokersDown: brokersDown.sort((a, b) => a - b), problems };
}

/** A per-broker metric split by topic is PER_TOPIC_PER_BROKER; cluster-level values are DEFAULT. */
function seriesScope(metric: MetricName, dimensions: string) {
  const scope = METRICS[metric].scope;
  if (scope === 'broker' && dimensions.includes('topic=')) return 'broker-topic' as const;
  if (scope === 'broker' && dimensions === '') return 'cluster' as const;
  return scope;
}

function sumOf(values: ScrapeResult['values'], metric: string): number {
  return values
    .filter((v) => v.metric === metric && v.dimensions.startsWith('broker=') && !v.dimensions.includes(','))
    .reduce((s, v) => s + v.value, 0);
}

/** MSK's per-broker series from one broker's Prometheus samples. */
function brokerSeries(
  nodeId: number,
  samples: PromSample[],
  put: (metric: MetricName, labels: Parameters<typeof dimensionText>[0], value: number) => void,
  rate: (key: string, value: number, since?: number) => number | undefined,
  clusterId: string,
  counters: CounterMemory,
): void {
  const gauge = (name: string) => samples.find((s) => s.name === name)?.value;
  const gauges: [MetricName, string][] = [
    ['UnderReplicatedPartitions', 'kafka_server_replicamanager_underreplicatedpartitions'],
    ['UnderMinIsrPartitionCount', 'kafka_server_replicamanager_underminisrpartitioncount'],
    ['ConnectionCount', 'kafka_server_socketservermetrics_connection_count'],
    ['LeaderCount', 'kafka_server_replicamanager_leadercount'],
    ['PartitionCount', 'kafka_server_replicamanager_partitioncount'],
  ];
  for (const [metric, name] of gauges) {
    const value = gauge(name);
    if (value !== undefined) put(metric, { broker: nodeId }, value);
  }

  const throughput: [MetricName, string][] = [
    ['BytesInPerSec', 'kafka_server_brokertopicmetrics_bytesin_total'],
    ['BytesOutPerSec', 'kafka_server_brokertopicmetrics_bytesout_total'],
    ['MessagesInPerSec', 'kafka_server_brokertopicmetrics_messagesin_total'],
  ];
  for (const [metric, name] of throughput) {
    let total = 0;
    const brokerSeenAt = counters.get(`${clusterId}/${nodeId}/${metric}`)?.time;
    for (const s of samples) {
      if (s.name !== name) continue;
      total += s.value;
      const topic = s.labels.topic;
      if (topic === undefined) continue;
      const r = rate(`${clusterId}/${nodeId}/${metric}/${topic}`, s.value, brokerSeenAt);
      if (r !== undefined) put(metric, { broker: nodeId, topic }, r);
    }
    // A broker that has seen no traffic has no labelled samples: its rate is 0, not missing.
    const r = rate(`${clusterId}/${nodeId}/${metric}`, total);
    if (r !== undefined) put(metric, { broker: nodeId }, r);
  }

  // Mean request time over the interval: Δsum / Δcount of the histogram (0 when no request came).
  const meanTime = (metric: MetricName, request: string) => {
    const sum =
      samples.find((s) => s.name === 'kafka_network_requestmetrics_totaltimems_sum' && s.labels.request === request)
        ?.value ?? 0;
    const count =
      samples.find((s) => s.name === 'kafka_network_requestmetrics_totaltimems_count' && s.labels.request === request)
        ?.value ?? 0;
    const previousSum = rate(`${clusterId}/${nodeId}/${metric}/sum`, sum);
    const previousCount = rate(`${clusterId}/${nodeId}/${metric}/count`, count);
    if (previousSum === undefined || previousCount === undefined) return;
    put(metric, { broker: nodeId }, previousCount > 0 ? previousSum / previousCount : 0);
  };
  meanTime('ProduceTotalTimeMsMean', 'Produce');
  // Our broker does not separate consumer fetches from follower fetches (Kafka's FetchConsumer vs
  // FetchFollower): this mean includes replica fetchers' long polls.
  meanTime('FetchConsumerTotalTimeMsMean', 'Fetch');
}

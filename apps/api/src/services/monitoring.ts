/**
 * Monitoring reads and settings (issue 8): metrics over time from the samples the worker's monitor
 * stores, the current health summary, consumer lag asked of the cluster itself, the control plane's
 * Prometheus exposition, alarms, and MSK's UpdateMonitoring.
 */
import { randomUUID } from 'node:crypto';
import { clusters, monitoring, operations, Prisma } from '@flotilla/db';
import {
  clusterEndpoint,
  computeConsumerLag,
  escapeLabelValue,
  type GroupLag,
  isMetricName,
  METRICS,
  MONITORING_LEVELS,
  parseDimensions,
} from '@flotilla/worker';
import { operationArn } from '../lib/arn.js';
import { badRequest, conflict, notFound } from '../lib/errors.js';
import { newClusterVersion, requireCluster } from './clusters.js';
import type { Services } from './context.js';

/** Samples older than this are not "current": a monitor that stopped scraping makes health UNKNOWN. */
const CURRENT_WINDOW_MS = 3 * 60_000;
const DISK_USED_LIMIT_PERCENT = 85;
const MAX_POINTS = 11_000;

export interface MetricsQuery {
  readonly names?: string | string[];
  readonly start?: string;
  readonly end?: string;
  /** Seconds per point; samples within a step are averaged. Default: raw samples. */
  readonly step?: number;
  /** Only series whose dimensions start with this, e.g. "broker=1" or "group=orders". */
  readonly dimensions?: string;
}

function parseTime(text: string | undefined, fallback: Date, name: string): Date {
  if (text === undefined) return fallback;
  const t = /^\d+(\.\d+)?$/.test(text) ? new Date(Number(text) * 1000) : new Date(text);
  if (Number.isNaN(t.getTime())) throw badRequest(`${name} must be an ISO 8601 time or epoch seconds`, name);
  return t;
}

export async function getMetrics(s: Services, arn: string, query: MetricsQuery) {
  const row = await requireCluster(s, arn);
  const names = (Array.isArray(query.names) ? query.names : (query.names ?? '').split(','))
    .flatMap((n) => n.split(','))
    .map((n) => n.trim())
    .filter(Boolean);
  const wanted = names.length ? names : Object.keys(METRICS);
  const unknown = wanted.filter((n) => !isMetricName(n));
  if (unknown.length)
    throw badRequest(`Unknown metric ${unknown.join(', ')}; known: ${Object.keys(METRICS).join(', ')}`, 'names');
  const end = parseTime(query.end, new Date(), 'end');
  const start = parseTime(query.start, new Date(end.getTime() - 3600_000), 'start');
  if (start > end) throw badRequest('start is after end', 'start');
  const step = query.step;
  if (step !== undefined && (end.getTime() - start.getTime()) / 1000 / step > MAX_POINTS) {
    throw badRequest(`At most ${MAX_POINTS} points per series: use a larger step`, 'step');
  }
  const rows = await monitoring.querySamples(s.catalog, {
    clusterId: row.id,
    metrics: wanted,
    start,
    end,
    ...(query.dimensions ? { dimensionsPrefix: query.dimensions } : {}),
  });
  // Series keyed by metric and dimensions; raw rows win over downsampled buckets at the same time.
  const series = new Map<string, { metric: string; dimensions: string; points: Map<number, number[]> }>();
  for (const r of rows) {
    const key = `${r.metric}\u0000${r.dimensions}`;
    let entry = series.get(key);
    if (!entry) {
      entry = { metric: r.metric, dimensions: r.dimensions, points: new Map() };
      series.set(key, entry);
    }
    const t = step ? Math.floor(r.time.getTime() / (step * 1000)) * step * 1000 : r.time.getTime();
    entry.points.set(t, [...(entry.points.get(t) ?? []), r.value]);
  }
  const metrics = wanted.map((name) => ({
    name,
    unit: METRICS[name as keyof typeof METRICS].unit,
    series: [...series.values()]
      .filter((e) => e.metric === name)
      .map((e) => {
        const times = [...e.points.keys()].sort((a, b) => a - b);
        return {
          dimensions: parseDimensions(e.dimensions),
          timestamps: times.map((t) => new Date(t).toISOString()),
          values: times.map((t) => {
            const values = e.points.get(t) as number[];
            return values.reduce((a, b) => a + b, 0) / values.length;
          }),
        };
      }),
  }));
  return { clusterArn: arn, start: start.toISOString(), end: end.toISOString(), ...(step ? { step } : {}), metrics };
}

export interface HealthProblem {
  readonly code:
    | 'BROKER_DOWN'
    | 'OFFLINE_PARTITIONS'
    | 'UNDER_REPLICATED_PARTITIONS'
    | 'UNDER_MIN_ISR'
    | 'DISK_USED'
    | 'NO_ACTIVE_CONTROLLER';
  readonly message: string;
  readonly brokerId?: number;
  readonly value: number;
}

/**
 * The cluster's health now, from the newest samples: HEALTHY, DEGRADED (redundancy lost but every
 * partition served), UNHEALTHY (offline partitions, no controller) or UNKNOWN (no recent scrape).
 */
export async function getHealth(s: Services, arn: string) {
  const row = await requireCluster(s, arn);
  const now = new Date();
  const latest = await monitoring.latestSamples(s.catalog, row.id, new Date(now.getTime() - CURRENT_WINDOW_MS));
  const value = (metric: string, dimensions = '') =>
    latest.find((l) => l.metric === metric && l.dimensions === dimensions)?.value;
  const perBroker = (metric: string) =>
    latest
      .filter((l) => l.metric === metric && /^broker=\d+$/.test(l.dimensions))
      .map((l) => ({ brokerId: Number(l.dimensions.slice('broker='.length)), value: l.value }))
      .sort((a, b) => a.brokerId - b.brokerId);
  const problems: HealthProblem[] = [];
  for (const b of perBroker('BrokerUp')) {
    if (b.value === 0)
      problems.push({ code: 'BROKER_DOWN', brokerId: b.brokerId, value: 0, message: `Broker ${b.brokerId} is down` });
  }
  const offline = value('OfflinePartitionsCount') ?? 0;
  if (offline > 0)
    problems.push({ code: 'OFFLINE_PARTITIONS', value: offline, message: `${offline} partition(s) have no leader` });
  const urp = Math.max(
    value('UnderReplicatedPartitions') ?? 0,
    perBroker('UnderReplicatedPartitions').reduce((a, b) => a + b.value, 0),
  );
  if (urp > 0)
    problems.push({
      code: 'UNDER_REPLICATED_PARTITIONS',
      value: urp,
      message: `${urp} partition(s) are under-replicated`,
    });
  const underMinIsr = perBroker('UnderMinIsrPartitionCount').reduce((a, b) => a + b.value, 0);
  if (underMinIsr > 0)
    problems.push({
      code: 'UNDER_MIN_ISR',
      value: underMinIsr,
      message: `${underMinIsr} partition(s) are below min.insync.replicas`,
    });
  for (const b of perBroker('KafkaDataLogsDiskUsed')) {
    if (b.value > DISK_USED_LIMIT_PERCENT) {
      problems.push({
        code: 'DISK_USED',
        brokerId: b.brokerId,
        value: b.value,
        message: `Broker ${b.brokerId} has used ${b.value.toFixed(1)}% of its storage (over ${DISK_USED_LIMIT_PERCENT}%)`,
      });
    }
  }
  if (value('ActiveControllerCount') === 0)
    problems.push({ code: 'NO_ACTIVE_CONTROLLER', value: 0, message: 'The cluster has no active controller' });
  const lastScrape = latest.reduce<Date | null>((m, l) => (m === null || l.time > m ? l.time : m), null);
  const status: 'HEALTHY' | 'DEGRADED' | 'UNHEALTHY' | 'UNKNOWN' =
    latest.length === 0
      ? 'UNKNOWN'
      : problems.some((p) => p.code === 'OFFLINE_PARTITIONS' || p.code === 'NO_ACTIVE_CONTROLLER')
        ? 'UNHEALTHY'
        : problems.length
          ? 'DEGRADED'
          : 'HEALTHY';
  return {
    clusterArn: arn,
    clusterState: row.state,
    status,
    lastScrape: lastScrape?.toISOString() ?? null,
    summary:
      status === 'UNKNOWN'
        ? 'No recent monitoring samples'
        : problems.length
          ? problems.map((p) => p.message).join('; ')
          : 'No problems',
    problems,
  };
}

export interface ConsumerGroupLag {
  readonly groupId: string;
  readonly state: string;
  readonly sumOffsetLag: number;
  readonly maxOffsetLag: number;
  readonly estimatedMaxTimeLag: number;
  readonly topics: GroupLag['topics'];
}

/**
 * A group's lag asked of the cluster now (not from samples), for the consumer-group route:
 * sumOffsetLag, maxOffsetLag, estimatedMaxTimeLag and the per-partition figures. Null when the cluster
 * has no bootstrap address yet.
 */
export async function consumerGroupLag(s: Services, arn: string, groupId: string): Promise<ConsumerGroupLag | null> {
  const row = await requireCluster(s, arn);
  const endpoint = clusterEndpoint(row, s.box);
  if (!endpoint) return null;
  const [lag] = await computeConsumerLag({ endpoint, groupIds: [groupId] });
  if (!lag) throw notFound(`Consumer group ${groupId} does not exist`, 'groupId');
  return lag;
}

/** The Prometheus name of an MSK metric: BytesInPerSec -> flotilla_bytes_in_per_sec. */
export function prometheusName(metric: string): string {
  return `flotilla_${metric.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase()}`;
}

/** Every cluster's newest samples in Prometheus' text format, labelled cluster/cluster_arn/broker/topic/... */
export async function prometheusText(s: Services): Promise<string> {
  const since = new Date(Date.now() - CURRENT_WINDOW_MS);
  const [latest, rows] = await Promise.all([
    monitoring.latestSamples(s.catalog, null, since),
    s.catalog.cluster.findMany({ select: { id: true, arn: true, name: true } }),
  ]);
  const names = new Map(rows.map((r) => [r.id, r]));
  const byMetric = new Map<string, typeof latest>();
  for (const l of latest) if (names.has(l.clusterId)) byMetric.set(l.metric, [...(byMetric.get(l.metric) ?? []), l]);
  const lines: string[] = [];
  for (const [metric, samples] of [...byMetric].sort(([a], [b]) => a.localeCompare(b))) {
    const name = prometheusName(metric);
    const unit = METRICS[metric as keyof typeof METRICS]?.unit ?? 'None';
    lines.push(`# HELP ${name} MSK's ${metric} (${unit}), as last scraped by the Flotilla monitor`);
    lines.push(`# TYPE ${name} gauge`);
    for (const sample of samples) {
      const cluster = names.get(sample.clusterId) as { arn: string; name: string };
      const labels = { cluster: cluster.name, cluster_arn: cluster.arn, ...parseDimensions(sample.dimensions) };
      const text = Object.entries(labels)
        .map(([k, v]) => `${k}="${escapeLabelValue(v)}"`)
        .join(',');
      lines.push(`${name}{${text}} ${Number.isFinite(sample.value) ? sample.value : 'NaN'} ${sample.time.getTime()}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export interface AlarmBody {
  readonly metric: string;
  readonly threshold: number;
  readonly comparison?: 'GreaterThanThreshold' | 'GreaterThanOrEqualToThreshold';
  readonly webhookUrl?: string;
}

function presentAlarm(a: monitoring.MonitoringAlarm) {
  return {
    name: a.name,
    metric: a.metric,
    threshold: a.threshold,
    comparison: a.comparison,
    ...(a.webhookUrl ? { webhookUrl: a.webhookUrl } : {}),
    state: a.state,
    ...(a.stateReason ? { stateReason: a.stateReason } : {}),
    ...(a.stateUpdatedAt ? { stateUpdatedAt: a.stateUpdatedAt.toISOString() } : {}),
  };
}

export async function putAlarm(s: Services, arn: string, name: string, body: AlarmBody) {
  const row = await requireCluster(s, arn);
  if (body.webhookUrl !== undefined) {
    const url = URL.canParse(body.webhookUrl) ? new URL(body.webhookUrl) : null;
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
      throw badRequest('webhookUrl must be an http(s) URL', 'webhookUrl');
  }
  return presentAlarm(await monitoring.putAlarm(s.catalog, row.id, { name, ...body }));
}

export async function listAlarms(s: Services, arn: string) {
  const row = await requireCluster(s, arn);
  return { alarms: (await monitoring.listAlarms(s.catalog, row.id)).map(presentAlarm) };
}

export async function deleteAlarm(s: Services, arn: string, name: string) {
  const row = await requireCluster(s, arn);
  if (!(await monitoring.deleteAlarm(s.catalog, row.id, name))) throw notFound(`Alarm ${name} does not exist`, 'name');
  return {};
}

export interface UpdateMonitoringBody {
  readonly currentVersion: string;
  readonly enhancedMonitoring?: string;
  readonly openMonitoring?: Record<string, unknown>;
  readonly loggingInfo?: Record<string, unknown>;
}

/**
 * MSK's UpdateMonitoring (PUT /v1/clusters/{clusterArn}/monitoring). Nothing on the brokers changes (the
 * monitor reads the level on its next pass), so the operation is recorded complete at once, with the
 * cluster's new currentVersion, instead of going through a job.
 */
export async function updateMonitoring(s: Services, arn: string, body: UpdateMonitoringBody) {
  const row = await requireCluster(s, arn);
  if (row.state !== 'ACTIVE')
    throw conflict(`Cluster ${row.name} is ${row.state}; monitoring can be changed when it is ACTIVE`, 'clusterArn');
  if (body.currentVersion !== row.currentVersion) {
    // A stale currentVersion is MSK's BadRequestException, as on every update call.
    throw badRequest(
      `The cluster's current version is ${row.currentVersion}, not ${body.currentVersion}`,
      'currentVersion',
    );
  }
  if (
    body.enhancedMonitoring !== undefined &&
    !(MONITORING_LEVELS as readonly string[]).includes(body.enhancedMonitoring)
  ) {
    throw badRequest(`enhancedMonitoring must be one of ${MONITORING_LEVELS.join(', ')}`, 'enhancedMonitoring');
  }
  const operationId = randomUUID();
  const opArn = operationArn(s.arns, row.name, row.id, operationId);
  const accepted = await s.catalog.$transaction(async (tx) => {
    const ok = await clusters.updateClusterIfCurrent(
      tx,
      { arn, currentVersion: row.currentVersion, expectedState: 'ACTIVE' },
      {
        currentVersion: newClusterVersion(),
        ...(body.enhancedMonitoring !== undefined ? { enhancedMonitoring: body.enhancedMonitoring } : {}),
        ...(body.openMonitoring !== undefined ? { openMonitoring: body.openMonitoring as Prisma.InputJsonValue } : {}),
        ...(body.loggingInfo !== undefined ? { loggingInfo: body.loggingInfo as Prisma.InputJsonValue } : {}),
      },
    );
    if (!ok) return false;
    await operations.createOperation(tx, {
      id: operationId,
      arn: opArn,
      clusterId: row.id,
      clusterArn: arn,
      operationType: 'UPDATE_MONITORING',
      operationState: 'UPDATE_COMPLETE',
      endTime: new Date(),
      sourceClusterInfo: {
        enhancedMonitoring: row.enhancedMonitoring,
        openMonitoring: row.openMonitoring ?? Prisma.JsonNull,
      } as Prisma.InputJsonValue,
      targetClusterInfo: {
        enhancedMonitoring: body.enhancedMonitoring ?? row.enhancedMonitoring,
        ...(body.openMonitoring ? { openMonitoring: body.openMonitoring } : {}),
      } as Prisma.InputJsonValue,
    });
    return true;
  });
  if (!accepted) throw conflict('The cluster changed while the request was processed; describe it and retry');
  return { clusterArn: arn, clusterOperationArn: opArn };
}

/**
 * Monitoring samples and alarms (issue 8). Samples live in one narrow table (MetricSample): the monitor
 * writes each scrape as one multi-row INSERT, reads pick series by metric name and dimension text, and
 * `compactSamples` keeps the table small: raw samples older than the raw retention are averaged into
 * coarser buckets (resolution = bucket seconds) and deleted; buckets older than the long retention go.
 */
import type { ClientOrTransaction } from '../client.js';
import type { MetricSample, MonitoringAlarm } from '../generated/prisma/client.js';

export type { MetricSample, MonitoringAlarm };

export interface NewSample {
  readonly clusterId: string;
  readonly metric: string;
  /** Canonical label text: "" (cluster), "broker=1", "topic=t,partition=0", ... */
  readonly dimensions: string;
  readonly time: Date;
  readonly value: number;
}

/** Rows per INSERT: well under Postgres' 65535 bind parameters at 5 columns a row. */
const INSERT_CHUNK = 5_000;

/** Inserts raw samples (resolution 0) in as few statements as possible; a repeated (series, time) is skipped. */
export async function insertSamples(db: ClientOrTransaction, samples: readonly NewSample[]): Promise<number> {
  let written = 0;
  for (let i = 0; i < samples.length; i += INSERT_CHUNK) {
    const chunk = samples.slice(i, i + INSERT_CHUNK).filter((s) => Number.isFinite(s.value));
    const result = await db.metricSample.createMany({
      data: chunk.map((s) => ({ ...s, resolution: 0 })),
      skipDuplicates: true,
    });
    written += result.count;
  }
  return written;
}

export interface SampleQuery {
  readonly clusterId: string;
  readonly metrics: readonly string[];
  readonly start: Date;
  readonly end: Date;
  /** Only series whose dimension text starts with this ("broker=1", "group=g,"). */
  readonly dimensionsPrefix?: string;
}

/**
 * Samples of `metrics` between start and end (inclusive), raw where raw samples still exist and
 * downsampled buckets for older stretches, ordered by series and time.
 */
export async function querySamples(db: ClientOrTransaction, query: SampleQuery): Promise<MetricSample[]> {
  return db.metricSample.findMany({
    where: {
      clusterId: query.clusterId,
      metric: { in: [...query.metrics] },
      time: { gte: query.start, lte: query.end },
      ...(query.dimensionsPrefix !== undefined ? { dimensions: { startsWith: query.dimensionsPrefix } } : {}),
    },
    orderBy: [{ metric: 'asc' }, { dimensions: 'asc' }, { time: 'asc' }],
  });
}

/**
 * The newest raw sample of every series of a cluster (or of every cluster when clusterId is null)
 * written since `since`: what health, alarms and the Prometheus endpoint read.
 */
export async function latestSamples(
  db: ClientOrTransaction,
  clusterId: string | null,
  since: Date,
): Promise<Pick<MetricSample, 'clusterId' | 'metric' | 'dimensions' | 'time' | 'value'>[]> {
  // DISTINCT ON walks the primary key index (clusterId, metric, dimensions, resolution, time).
  return clusterId === null
    ? db.$queryRaw`
        SELECT DISTINCT ON ("clusterId", metric, dimensions) "clusterId", metric, dimensions, time, value
        FROM "MetricSample" WHERE resolution = 0 AND time >= ${since}
        ORDER BY "clusterId", metric, dimensions, time DESC`
    : db.$queryRaw`
        SELECT DISTINCT ON (metric, dimensions) "clusterId", metric, dimensions, time, value
        FROM "MetricSample" WHERE "clusterId" = ${clusterId}::uuid AND resolution = 0 AND time >= ${since}
        ORDER BY metric, dimensions, time DESC`;
}

export interface CompactionPolicy {
  /** Raw samples older than this are averaged into buckets and deleted. */
  readonly rawRetentionMs: number;
  /** Width of the downsampled buckets, in seconds. */
  readonly bucketSeconds: number;
  /** Buckets older than this are folded into coarse buckets when `coarse` is set, else deleted. */
  readonly bucketRetentionMs: number;
  /** A second, coarser tier (e.g. hourly means for 90 days), so long history stays small. */
  readonly coarse?: { readonly bucketSeconds: number; readonly retentionMs: number };
}

/** Downsamples and expires samples; returns the rows folded into buckets and the rows deleted in all. */
export async function compactSamples(
  db: ClientOrTransaction,
  policy: CompactionPolicy,
  now = new Date(),
): Promise<{ folded: number; expired: number }> {
  let folded = 0;
  let expired = 0;
  // Buckets are aligned to the epoch and only whole buckets (ending before the cutoff) are folded, so a
  // bucket is written once from all its finer rows and never needs merging with a later partial one.
  const fold = async (from: number, width: number, olderThanMs: number) => {
    const cutoffMs = now.getTime() - olderThanMs;
    const cutoff = new Date(Math.floor(cutoffMs / (width * 1000)) * width * 1000);
    folded += Number(
      await db.$executeRaw`
      INSERT INTO "MetricSample" ("clusterId", metric, dimensions, resolution, time, value)
      SELECT "clusterId", metric, dimensions, ${width}::int,
             to_timestamp(floor(extract(epoch FROM time) / ${width}::int) * ${width}::int), avg(value)
      FROM "MetricSample" WHERE resolution = ${from}::int AND time < ${cutoff}
      GROUP BY 1, 2, 3, 5
      ON CONFLICT DO NOTHING`,
    );
    expired += Number(
      await db.$executeRaw`
      DELETE FROM "MetricSample" WHERE resolution = ${from}::int AND time < ${cutoff}`,
    );
  };
  await fold(0, policy.bucketSeconds, policy.rawRetentionMs);
  if (policy.coarse) {
    await fold(policy.bucketSeconds, policy.coarse.bucketSeconds, policy.bucketRetentionMs);
    expired += Number(
      await db.$executeRaw`
      DELETE FROM "MetricSample" WHERE resolution = ${policy.coarse.bucketSeconds}::int
        AND time < ${new Date(now.getTime() - policy.coarse.retentionMs)}`,
    );
  } else {
    expired += Number(
      await db.$executeRaw`
      DELETE FROM "MetricSample" WHERE resolution = ${policy.bucketSeconds}::int
        AND time < ${new Date(now.getTime() - policy.bucketRetentionMs)}`,
    );
  }
  return { folded, expired };
}

/**
 * Deletes the samples of clusters no longer in the catalog (a delete removes the Cluster row; samples
 * have no foreign key). The cluster ids are found with a loose index scan over the primary key (one
 * index probe per distinct cluster, not a scan of the table); returns the rows deleted.
 */
export async function pruneDeletedClusters(db: ClientOrTransaction): Promise<number> {
  const gone = await db.$queryRaw<{ id: string }[]>`
    WITH RECURSIVE ids AS (
      (SELECT "clusterId" AS id FROM "MetricSample" ORDER BY "clusterId" LIMIT 1)
      UNION ALL
      SELECT (SELECT "clusterId" FROM "MetricSample" WHERE "clusterId" > ids.id ORDER BY "clusterId" LIMIT 1)
      FROM ids WHERE ids.id IS NOT NULL
    )
    SELECT id::text AS id FROM ids WHERE id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "Cluster" c WHERE c.id = ids.id)`;
  if (gone.length === 0) return 0;
  const { count } = await db.metricSample.deleteMany({ where: { clusterId: { in: gone.map((g) => g.id) } } });
  return count;
}

export async function deleteClusterSamples(db: ClientOrTransaction, clusterId: string): Promise<void> {
  await db.metricSample.deleteMany({ where: { clusterId } });
}

export interface AlarmInput {
  readonly name: string;
  readonly metric: string;
  readonly threshold: number;
  readonly comparison?: string;
  readonly webhookUrl?: string | null;
}

export function listAlarms(db: ClientOrTransaction, clusterId?: string): Promise<MonitoringAlarm[]> {
  return db.monitoringAlarm.findMany({
    where: clusterId ? { clusterId } : {},
    orderBy: [{ clusterId: 'asc' }, { name: 'asc' }],
  });
}

/** Creates or replaces the alarm called `input.name` of a cluster; a changed threshold starts OK again. */
export function putAlarm(db: ClientOrTransaction, clusterId: string, input: AlarmInput): Promise<MonitoringAlarm> {
  const data = {
    metric: input.metric,
    threshold: input.threshold,
    comparison: input.comparison ?? 'GreaterThanThreshold',
    webhookUrl: input.webhookUrl ?? null,
  };
  return db.monitoringAlarm.upsert({
    where: { clusterId_name: { clusterId, name: input.name } },
    create: { clusterId, name: input.name, ...data },
    update: { ...data, state: 'OK', stateReason: null, stateUpdatedAt: new Date() },
  });
}

export async function deleteAlarm(db: ClientOrTransaction, clusterId: string, name: string): Promise<boolean> {
  const result = await db.monitoringAlarm.deleteMany({ where: { clusterId, name } });
  return result.count > 0;
}

export function setAlarmState(
  db: ClientOrTransaction,
  id: string,
  state: 'OK' | 'ALARM',
  stateReason: string,
): Promise<MonitoringAlarm> {
  return db.monitoringAlarm.update({ where: { id }, data: { state, stateReason, stateUpdatedAt: new Date() } });
}

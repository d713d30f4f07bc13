/**
 * Reconcilers: the catalog's topics, ACLs and SCRAM users and the cluster's, kept equal (issue 6).
 *
 * Topics go both ways. The API records its intent first (a Topic row in CREATING or DELETING) and then
 * asks the brokers; the reconciler finishes any intent left half-done (an API crash, a broker that did
 * not answer): CREATING rows are created on the cluster, DELETING rows deleted from it. Everything else
 * follows the cluster, because clients may create and delete topics themselves: a topic on the cluster
 * gets a row (origin "cluster"), and an ACTIVE row whose topic is gone is removed.
 *
 * ACLs and SCRAM users follow the cluster: the API writes them through to the brokers before it records
 * them, and clients (kafka-acls, kafka-configs) may change them directly. The catalog never holds a
 * password nor a salted password, so a credential lost on the cluster cannot be recreated from it; its
 * row is removed instead.
 *
 * Runs on its own queue (`flotilla-reconcile`): every `intervalMs` for every ACTIVE cluster (a BullMQ
 * job scheduler, so several workers do not run it twice), and on demand after each API mutation
 * (`requestReconcile`); one job per cluster at a time, later requests coalesce into the waiting one.
 */
import type { Catalog, SecretBox } from '@flotilla/db';
import { ConfigResourceType, ConfigSource, ErrorCode, KafkaError } from '@flotilla/protocol';
import { CONTROL_PLANE_USER } from '@flotilla/runtime';
import { type Job, type Queue, Worker } from 'bullmq';
import { ClusterAdmin } from '../kafka/cluster-admin.js';
import { clusterEndpoint } from '../kafka/cluster-endpoint.js';
import type { JobLogger } from './context.js';

export const RECONCILE_QUEUE = 'flotilla-reconcile';
const SWEEP = 'reconcile-all';
const ONE = 'reconcile-cluster';
/** A row the API has just written may not be on every broker's metadata yet: leave it this long. */
const FRESH_MS = 15_000;

export interface ReconcileSummary {
  readonly topicsAdded: string[];
  readonly topicsRemoved: string[];
  readonly topicsCreatedOnCluster: string[];
  readonly topicsDeletedOnCluster: string[];
  readonly acls: number;
  readonly users: number;
}

/** MSK's topic ARN: the cluster's, with `topic/` for `cluster/` and the topic's name after it. */
export function topicArn(clusterArn: string, topic: string): string {
  return `${clusterArn.replace(':cluster/', ':topic/')}/${topic}`;
}

/** Topics clients see: internal ones (__consumer_offsets, __transaction_state, ...) stay out. */
export function isUserTopic(name: string, isInternal: boolean): boolean {
  return !isInternal && !name.startsWith('__');
}

/** Non-default topic configs (set on the topic itself), as the catalog keeps them. */
export async function topicConfigs(admin: ClusterAdmin, names: readonly string[]) {
  if (names.length === 0) return new Map<string, Record<string, string>>();
  const described = await admin.admin.describeConfigs(names.map((name) => ({ type: ConfigResourceType.TOPIC, name })));
  return new Map(
    described.map((d) => [
      d.name,
      Object.fromEntries(
        d.configs
          .filter((c) => c.source === ConfigSource.DYNAMIC_TOPIC_CONFIG && c.value !== null)
          .map((c) => [c.name, c.value as string]),
      ),
    ]),
  );
}

export interface ReconcileOptions {
  readonly log?: JobLogger;
  /** Opens a secured cluster's control-plane credential (kafka/cluster-endpoint.ts). */
  readonly box?: SecretBox;
  /** Rows changed this recently are not removed for being missing on the cluster. Default 15 s. */
  readonly freshMs?: number;
}

export async function reconcileCluster(
  catalog: Catalog,
  clusterId: string,
  options: ReconcileOptions = {},
): Promise<ReconcileSummary | null> {
  const { log } = options;
  const freshMs = options.freshMs ?? FRESH_MS;
  const cluster = await catalog.cluster.findUnique({ where: { id: clusterId } });
  // Only a cluster that serves clients is reconciled; the operation in progress owns the others.
  if (!cluster || cluster.state !== 'ACTIVE') return null;
  const endpoint = clusterEndpoint(cluster, options.box);
  if (!endpoint) return null;
  const admin = new ClusterAdmin(endpoint);
  try {
    const summary = {
      topicsAdded: [] as string[],
      topicsRemoved: [] as string[],
      topicsCreatedOnCluster: [] as string[],
      topicsDeletedOnCluster: [] as string[],
      acls: 0,
      users: 0,
    };
    await reconcileTopics(catalog, cluster, admin, summary, freshMs);
    summary.acls = await reconcileAcls(catalog, cluster.id, admin);
    summary.users = await reconcileUsers(catalog, cluster.id, admin, freshMs);
    const changed =
      summary.topicsAdded.length +
      summary.topicsRemoved.length +
      summary.topicsCreatedOnCluster.length +
      summary.topicsDeletedOnCluster.length;
    if (changed) log?.info('reconciled cluster', { cluster: cluster.name, ...summary });
    return summary;
  } finally {
    await admin.close();
  }
}

async function reconcileTopics(
  catalog: Catalog,
  cluster: { id: string; arn: string },
  admin: ClusterAdmin,
  summary: {
    topicsAdded: string[];
    topicsRemoved: string[];
    topicsCreatedOnCluster: string[];
    topicsDeletedOnCluster: string[];
  },
  freshMs: number,
): Promise<void> {
  const metadata = await admin.admin.metadata();
  const onCluster = new Map(
    metadata.topics.filter((t) => isUserTopic(t.name, t.isInternal)).map((t) => [t.name, t] as const),
  );
  const rows = await catalog.topic.findMany({ where: { clusterId: cluster.id } });
  const byName = new Map(rows.map((r) => [r.name, r]));
  const now = Date.now();

  // Intents the API left half-done. A fresh one is the API's call still in flight: acting on it too
  // would race the API's own CreateTopics, and whichever came second would answer the user
  // TOPIC_ALREADY_EXISTS for a topic they are creating.
  for (const row of rows) {
    if ((row.state === 'CREATING' || row.state === 'DELETING') && now - row.updatedAt.getTime() < freshMs) {
      byName.delete(row.name);
      onCluster.delete(row.name);
      continue;
    }
    if (row.state === 'CREATING' && !onCluster.has(row.name)) {
      try {
        await admin.admin.createTopics([
          {
            name: row.name,
            numPartitions: row.partitionCount,
            replicationFactor: row.replicationFactor,
            configs: row.configs as Record<string, string>,
          },
        ]);
      } catch (error) {
        if (!(error instanceof KafkaError && error.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS)) throw error;
      }
      // The controller has it; this pass's metadata predates it, so the row is settled here.
      await catalog.topic.update({ where: { id: row.id }, data: { state: 'ACTIVE' } });
      byName.delete(row.name);
      summary.topicsCreatedOnCluster.push(row.name);
    } else if (row.state === 'DELETING') {
      if (onCluster.has(row.name)) {
        try {
          await admin.admin.deleteTopics([row.name]);
        } catch (error) {
          if (!(error instanceof KafkaError && error.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)) throw error;
        }
        summary.topicsDeletedOnCluster.push(row.name);
        onCluster.delete(row.name);
      }
      await catalog.topic.deleteMany({ where: { id: row.id } });
      byName.delete(row.name);
    }
  }

  // The cluster's topics, into the catalog.
  const configs = await topicConfigs(admin, [...onCluster.keys()]);
  for (const [name, topic] of onCluster) {
    const row = byName.get(name);
    const data = {
      partitionCount: topic.partitions.length,
      replicationFactor: topic.partitions[0]?.replicas.length ?? 0,
      configs: configs.get(name) ?? {},
    };
    if (!row) {
      await catalog.topic.upsert({
        where: { clusterId_name: { clusterId: cluster.id, name } },
        create: { clusterId: cluster.id, name, topicArn: topicArn(cluster.arn, name), origin: 'cluster', ...data },
        update: {},
      });
      summary.topicsAdded.push(name);
    } else if (
      row.state === 'CREATING' ||
      row.partitionCount !== data.partitionCount ||
      row.replicationFactor !== data.replicationFactor ||
      !sameRecord(row.configs as Record<string, string>, data.configs)
    ) {
      await catalog.topic.update({ where: { id: row.id }, data: { ...data, state: 'ACTIVE' } });
    }
  }

  // Rows whose topic a client deleted.
  for (const row of byName.values()) {
    if (onCluster.has(row.name) || row.state === 'CREATING') continue;
    if (now - row.updatedAt.getTime() < freshMs) continue;
    await catalog.topic.deleteMany({ where: { id: row.id, updatedAt: row.updatedAt } });
    summary.topicsRemoved.push(row.name);
  }
}

function sameRecord(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

async function reconcileAcls(catalog: Catalog, clusterId: string, admin: ClusterAdmin): Promise<number> {
  let onCluster: Awaited<ReturnType<ClusterAdmin['describeAcls']>>;
  try {
    onCluster = await admin.describeAcls();
  } catch (error) {
    // No authorizer on the brokers (authorizer.class.name unset): there are no ACLs to mirror.
    if (error instanceof KafkaError && error.errorCode === ErrorCode.SECURITY_DISABLED) onCluster = [];
    else throw error;
  }
  const key = (a: {
    resourceType: string;
    resourceName: string;
    patternType: string;
    principal: string;
    host: string;
    operation: string;
    permissionType: string;
  }) =>
    [a.resourceType, a.resourceName, a.patternType, a.principal, a.host, a.operation, a.permissionType].join('\u0000');
  const rows = await catalog.acl.findMany({ where: { clusterId } });
  const have = new Set(rows.map(key));
  const want = new Set(onCluster.map(key));
  const missing = onCluster.filter((a) => !have.has(key(a)));
  if (missing.length) {
    await catalog.acl.createMany({ data: missing.map((a) => ({ clusterId, ...a })), skipDuplicates: true });
  }
  const gone = rows.filter((r) => !want.has(key(r))).map((r) => r.id);
  if (gone.length) await catalog.acl.deleteMany({ where: { id: { in: gone } } });
  return onCluster.length;
}

async function reconcileUsers(
  catalog: Catalog,
  clusterId: string,
  admin: ClusterAdmin,
  freshMs: number,
): Promise<number> {
  let onCluster: Awaited<ReturnType<ClusterAdmin['describeScramUsers']>>;
  try {
    onCluster = await admin.describeScramUsers();
  } catch (error) {
    // A broker without SCRAM support has no users to mirror.
    if (error instanceof KafkaError && error.errorCode === ErrorCode.UNSUPPORTED_VERSION) return 0;
    throw error;
  }
  // The control plane's own user is not a catalog user (the API neither lists nor changes it).
  onCluster = onCluster.filter((u) => u.username !== CONTROL_PLANE_USER);
  const rows = await catalog.scramUser.findMany({ where: { clusterId } });
  const names = new Set(onCluster.map((u) => u.username));
  for (const user of onCluster) {
    if (rows.some((r) => r.username === user.username)) continue;
    // Created on the cluster directly: the catalog learns the name, never a secret.
    await catalog.scramUser.upsert({
      where: { clusterId_username: { clusterId, username: user.username } },
      create: {
        clusterId,
        username: user.username,
        mechanism: user.mechanism,
        secretRef: 'cluster',
        salt: Buffer.alloc(0),
        iterations: user.iterations,
        storedKey: Buffer.alloc(0),
        serverKey: Buffer.alloc(0),
      },
      update: {},
    });
  }
  // A row the API wrote just now may be ahead of the broker this pass asked, so it is left a while; a
  // row this mirror made (secretRef 'cluster') goes at once: it may stem from a pass that read the
  // cluster just before the API deleted the user there, and the pass queued behind it corrects it.
  const gone = rows.filter(
    (r) => !names.has(r.username) && (r.secretRef === 'cluster' || Date.now() - r.updatedAt.getTime() >= freshMs),
  );
  if (gone.length) await catalog.scramUser.deleteMany({ where: { id: { in: gone.map((r) => r.id) } } });
  return onCluster.length;
}

/**
 * Asks for a reconcile of one cluster soon (after an API mutation). Requests coalesce: while one is
 * waiting, another adds nothing (the waiting one will see the change); while one is running, one more
 * is queued behind it, so a change made during a pass is never left to the next interval.
 */
export async function requestReconcile(queue: Queue, clusterId: string): Promise<void> {
  for (const jobId of [`reconcile-${clusterId}`, `reconcile-${clusterId}-again`]) {
    const existing = await queue.getJob(jobId);
    if (!existing) {
      await queue.add(ONE, { clusterId }, { jobId, removeOnComplete: true, removeOnFail: true, attempts: 1 });
      return;
    }
    const state = await existing.getState();
    if (state === 'waiting' || state === 'delayed' || state === 'prioritized' || state === 'waiting-children') return;
  }
}

export interface ReconcileWorkerOptions {
  readonly catalog: Catalog;
  readonly redisUrl: string;
  readonly queuePrefix: string;
  /** Every ACTIVE cluster is reconciled this often. Default 30 s. */
  readonly intervalMs?: number;
  readonly log: JobLogger;
  /** Opens secured clusters' control-plane credentials. */
  readonly box?: SecretBox;
}

/** The reconcile queue's worker and its interval. `close()` is safe twice. */
export class ReconcileWorker {
  readonly worker: Worker;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: ReconcileWorkerOptions) {
    this.worker = new Worker(RECONCILE_QUEUE, (job) => this.process(job), {
      connection: { url: options.redisUrl, maxRetriesPerRequest: null },
      prefix: options.queuePrefix,
      // One pass at a time: two passes over the same cluster could interleave their reads and writes.
      concurrency: 1,
      autorun: false,
    });
    this.worker.on('failed', (job, error) =>
      options.log.warn('reconcile failed', { cluster: job?.data?.clusterId, error: error.message }),
    );
    this.worker.on('error', (error) => options.log.error('reconcile worker error', { error: error.message }));
  }

  async start(queue: Queue): Promise<void> {
    await queue.upsertJobScheduler(
      SWEEP,
      { every: this.options.intervalMs ?? 30_000 },
      { name: SWEEP, data: {}, opts: { removeOnComplete: true, removeOnFail: true } },
    );
    void this.worker.run();
    await this.worker.waitUntilReady();
  }

  private async process(job: Job): Promise<unknown> {
    if (job.name === SWEEP) {
      const active = await this.options.catalog.cluster.findMany({ where: { state: 'ACTIVE' }, select: { id: true } });
      for (const { id } of active) {
        try {
          await reconcileCluster(this.options.catalog, id, { log: this.options.log, box: this.options.box });
        } catch (error) {
          // One unreachable cluster must not keep the others from being reconciled.
          this.options.log.warn('reconcile failed', { cluster: id, error: (error as Error).message });
        }
      }
      return { clusters: active.length };
    }
    const clusterId = (job.data as { clusterId?: unknown }).clusterId;
    if (typeof clusterId !== 'string') throw new Error('reconcile-cluster needs a clusterId');
    return reconcileCluster(this.options.catalog, clusterId, { log: this.options.log, box: this.options.box });
  }

  close(): Promise<void> {
    this.closing ??= this.worker.close();
    return this.closing;
  }
}

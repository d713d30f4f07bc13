/**
 * The safe rolling restart every day-2 operation shares (issue 7, ARCHITECTURE.md flow 3).
 *
 * One broker at a time, the active controller last. Before each broker, asked through Kafka's own
 * protocol (Metadata with ISR, DescribeConfigs min.insync.replicas):
 *   - no partition is under-replicated (every ISR is the full replica set), and
 *   - no partition with this broker in its ISR would fall below its topic's min.insync.replicas.
 * Then the driver's graceful stop (SIGTERM: the broker's controlled shutdown moves its leaders away
 * before it exits), a restart with the same spec or a replacement from a new one (image, limits,
 * server.properties: runtime replaceBroker keeps the node id, ports and volume), and a wait until the
 * broker is registered again and every partition is fully replicated, so the next broker starts from a
 * cluster with all its replicas in sync.
 *
 * Progress is a recorded step per broker (`<prefix>-broker-<id>`), and the order is recorded first, so a
 * worker that dies mid-roll resumes at the broker it was on: the step's detail says whether that broker
 * had already been stopped (`phase: restarting`), in which case the safety check is skipped (the broker
 * itself is what is under-replicated) and it is only brought back. A broker whose step is COMPLETE is
 * not restarted twice.
 *
 * Each broker's next spec is built from its spec in the catalog (broker-spec.ts) and recorded there
 * once the runtime runs it, so a broker later rebuilt by healing comes back as the roll left it.
 *
 * A roll that cannot proceed waits, with the reason in the step's detail (`waiting`), which
 * DescribeClusterOperationV2 and the console show; after `brokerTimeoutMs` it fails the operation with
 * an UnrecoverableError naming the reason, never forcing a broker down.
 */

import { clusters, type Prisma } from '@flotilla/db';
import { AdminClient, ConfigResourceType, type PartitionInfo } from '@flotilla/protocol';
import { type BrokerSpec, replaceBroker } from '@flotilla/runtime';
import { UnrecoverableError } from 'bullmq';
import { adminOptions, type ClusterEndpoint } from '../kafka/cluster-endpoint.js';
import { currentBrokerSpec, recordBrokerSpec, sameSpec } from './broker-spec.js';
import type { JobContext } from './context.js';
import { runStep } from './steps.js';

const POLL_MS = 500;
/** Default time a broker may take to become safe to stop, and to be back in sync after its restart. */
export const DEFAULT_BROKER_TIMEOUT_MS = 5 * 60_000;
/** Time for the controlled shutdown before SIGKILL (the broker moves its leaders in this time). */
const STOP_TIMEOUT_MS = 60_000;

export interface RollOptions {
  readonly operationId: string;
  readonly clusterId: string;
  /** How the control plane reaches the cluster (cluster-endpoint.ts). */
  readonly endpoint: ClusterEndpoint;
  /** Brokers to restart; default every broker in the cluster's metadata. */
  readonly nodeIds?: readonly number[];
  /** The spec to run each broker from; return the same spec for a plain restart. */
  readonly nextSpec: (current: BrokerSpec) => BrokerSpec;
  /** Step name prefix, so one operation can roll twice (e.g. "roll"). */
  readonly stepPrefix?: string;
  /**
   * The next spec may put the primary listener on another port (UpdateSecurity: CONTROL_PLANE arrives
   * and EXTERNAL keeps its port beside it; runtime replaceBroker).
   */
  readonly primaryPortMayMove?: boolean;
  readonly brokerTimeoutMs?: number;
}

interface StepProgress {
  phase?: 'waiting' | 'restarting';
  waiting?: string;
  stoppedAt?: string;
}

export async function rollingRestart(ctx: JobContext, options: RollOptions): Promise<number[]> {
  const prefix = options.stepPrefix ?? 'roll';
  const order = await runStep(ctx.catalog, options.operationId, `${prefix}-order`, async () => {
    const metadata = await withAdmin(options.endpoint, (admin) => admin.metadata([]));
    const ids = (options.nodeIds ?? metadata.brokers.map((b) => b.nodeId)).slice().sort((a, b) => a - b);
    // The active controller last: every other restart then happens under a stable controller, and the
    // quorum elects a new leader only once.
    const controller = metadata.controllerId;
    const ordered = [...ids.filter((id) => id !== controller), ...ids.filter((id) => id === controller)];
    return { order: ordered, controllerId: controller };
  }).then((detail) => (detail as { order: number[] }).order);

  for (const nodeId of order) {
    await rollOneBroker(ctx, options, nodeId, `${prefix}-broker-${nodeId}`);
  }
  return order;
}

/** Restarts (or replaces) one broker safely; also what RebootBroker runs for each broker it names. */
export async function rollOneBroker(ctx: JobContext, options: RollOptions, nodeId: number, step: string) {
  const { catalog } = ctx;
  const timeoutMs = options.brokerTimeoutMs ?? DEFAULT_BROKER_TIMEOUT_MS;
  const before = await catalog.operationStep.findUnique({
    where: { operationId_name: { operationId: options.operationId, name: step } },
  });
  if (before?.status === 'COMPLETE') return;
  const previous = (before?.detail ?? {}) as StepProgress;
  const resumed = previous.phase === 'restarting';
  const progress = (detail: StepProgress) =>
    catalog.operationStep.update({
      where: { operationId_name: { operationId: options.operationId, name: step } },
      data: { detail: detail as Prisma.InputJsonValue },
    });

  await runStep(catalog, options.operationId, step, async () => {
    const ref = { clusterId: options.clusterId, nodeId };
    const started = Date.now();
    if (!resumed) {
      await waitUntil(ctx, timeoutMs, `broker ${nodeId} could not be stopped safely`, async () => {
        const blocker = await rollBlocker(options.endpoint, nodeId, await brokersDown(ctx, options.clusterId, nodeId));
        if (blocker) await progress({ phase: 'waiting', waiting: blocker });
        return blocker;
      });
    }
    const stoppedAt = previous.stoppedAt ?? new Date().toISOString();
    await progress({ phase: 'restarting', stoppedAt });
    // The broker as the catalog knows it (broker-spec.ts); `nextSpec` is idempotent (it sets fields), so
    // a resumed step that already recorded the new spec computes the same one again.
    const current = await currentBrokerSpec(ctx, ref);
    if (!current) {
      throw new UnrecoverableError(`broker ${nodeId} has no spec in the catalog or on the ${ctx.driver.kind} runtime`);
    }
    const next = options.nextSpec(current);
    // What the runtime runs: null when a worker died in the middle of a replacement (the old container
    // removed, the new one not made yet), and then the broker is made from `next`.
    const running = await ctx.driver.brokerSpec(ref);
    const status = await ctx.driver.inspectBroker(ref);
    // A worker that died after restarting this broker: do not restart it a second time.
    const restartedAlready =
      resumed &&
      status.state === 'running' &&
      status.startedAt !== null &&
      status.startedAt.getTime() >= Date.parse(previous.stoppedAt ?? stoppedAt);
    const unchanged = running !== null && sameSpec(next, running);
    if (!restartedAlready || !unchanged) {
      await clusters.upsertBroker(catalog, options.clusterId, nodeId, { state: 'STOPPED' });
      if (unchanged) {
        await ctx.driver.stopBroker(ref, { timeoutMs: STOP_TIMEOUT_MS });
        await ctx.driver.startBroker(ref);
      } else {
        await replaceBroker(ctx.driver, next, {
          stopTimeoutMs: STOP_TIMEOUT_MS,
          primaryPortMayMove: options.primaryPortMayMove === true,
        });
      }
    }
    const after = await ctx.driver.inspectBroker(ref);
    // Recorded once the runtime runs it: the catalog's spec is the broker as it is now.
    await recordBrokerSpec(catalog, next, ctx.box, { containerId: after.id, state: 'STARTING' });
    await waitUntil(ctx, timeoutMs, `broker ${nodeId} did not come back in sync`, async () => {
      const problem = await notBackYet(options.endpoint, nodeId);
      if (problem) await progress({ phase: 'restarting', stoppedAt, waiting: problem });
      return problem;
    });
    await clusters.upsertBroker(catalog, options.clusterId, nodeId, { state: 'RUNNING' });
    return { nodeId, image: next.image, kafkaVersion: next.kafkaVersion, tookMs: Date.now() - started };
  });
}

/**
 * Why broker `nodeId` must not stop now, or null when it may: an under-replicated partition anywhere,
 * or a partition whose ISR would drop below min.insync.replicas without this broker. Partitions with a
 * single replica cannot be protected by waiting (they are offline during any restart of their broker,
 * as on Kafka) and do not block.
 */
export async function rollBlocker(
  endpoint: ClusterEndpoint,
  nodeId: number,
  down: readonly number[] = [],
): Promise<string | null> {
  // A broker that just died is still in the ISR until the controller fences it (its session times
  // out): the runtime knows sooner, so its word counts too.
  if (down.length > 0) return `broker(s) ${down.join(', ')} not running: waiting for them to come back`;
  return withAdmin(endpoint, async (admin) => {
    const metadata = await admin.metadata();
    if (!metadata.brokers.some((b) => b.nodeId === nodeId)) {
      return `broker ${nodeId} is not registered in the cluster metadata`;
    }
    const registered = new Set(metadata.brokers.map((b) => b.nodeId));
    const minIsr = await minInsyncReplicas(
      admin,
      metadata.topics.map((t) => t.name),
    );
    const underReplicated: string[] = [];
    const wouldFall: string[] = [];
    for (const topic of metadata.topics) {
      for (const p of topic.partitions) {
        const isr = p.isr.filter((id) => registered.has(id));
        if (p.replicas.length > 1 && isr.length < p.replicas.length) underReplicated.push(describe(topic.name, p));
        const floor = minIsr.get(topic.name) ?? 1;
        if (p.replicas.length > 1 && isr.includes(nodeId) && isr.length - 1 < floor) {
          wouldFall.push(`${describe(topic.name, p)} min.insync.replicas ${floor}`);
        }
      }
    }
    if (underReplicated.length > 0) {
      return `waiting for ${underReplicated.length} under-replicated partition(s) to catch up: ${underReplicated.slice(0, 3).join('; ')}`;
    }
    if (wouldFall.length > 0) {
      return `stopping broker ${nodeId} would drop ${wouldFall.length} partition(s) below min.insync.replicas: ${wouldFall.slice(0, 3).join('; ')}`;
    }
    return null;
  }).catch((error: unknown) => `the cluster did not answer: ${error instanceof Error ? error.message : String(error)}`);
}

/** Null once broker(s) `nodeIds` are registered again and no partition is under-replicated. */
export async function notBackYet(
  endpoint: ClusterEndpoint,
  nodeIds: number | readonly number[],
): Promise<string | null> {
  return withAdmin(endpoint, async (admin) => {
    const metadata = await admin.metadata();
    const missing = [nodeIds].flat().filter((id) => !metadata.brokers.some((b) => b.nodeId === id));
    if (missing.length > 0) return `broker ${missing.join(', ')} is not registered yet`;
    const lagging = metadata.topics.flatMap((t) =>
      t.partitions.filter((p) => p.isr.length < p.replicas.length || p.leader < 0).map((p) => describe(t.name, p)),
    );
    if (lagging.length > 0) {
      return `waiting for ${lagging.length} partition(s) to be fully replicated: ${lagging.slice(0, 3).join('; ')}`;
    }
    return null;
  }).catch((error: unknown) => `the cluster did not answer: ${error instanceof Error ? error.message : String(error)}`);
}

/** Under-replicated partitions in the whole cluster (0 when every ISR is complete). */
export async function underReplicatedPartitions(endpoint: ClusterEndpoint): Promise<number> {
  return withAdmin(endpoint, async (admin) => {
    const metadata = await admin.metadata();
    return metadata.topics.reduce(
      (n, t) => n + t.partitions.filter((p) => p.isr.length < p.replicas.length || p.leader < 0).length,
      0,
    );
  });
}

/** The cluster's other brokers that the runtime does not report running. */
async function brokersDown(ctx: JobContext, clusterId: string, except: number): Promise<number[]> {
  const statuses = await ctx.driver.listBrokers(clusterId);
  return statuses.filter((b) => b.nodeId !== except && b.state !== 'running').map((b) => b.nodeId);
}

async function minInsyncReplicas(admin: AdminClient, topics: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (topics.length === 0) return out;
  const described = await admin.describeConfigs(
    topics.map((name) => ({ type: ConfigResourceType.TOPIC, name, keys: ['min.insync.replicas'] })),
  );
  for (const r of described) {
    const value = r.configs.find((c) => c.name === 'min.insync.replicas')?.value;
    out.set(r.name, value ? Number(value) : 1);
  }
  return out;
}

function describe(topic: string, p: PartitionInfo): string {
  return `${topic}-${p.partition} isr [${p.isr.join(',')}] of [${p.replicas.join(',')}]`;
}

/** A fresh client per probe: brokers come and go during a roll, and a pooled connection would go stale. */
export async function withAdmin<T>(endpoint: ClusterEndpoint, body: (admin: AdminClient) => Promise<T>): Promise<T> {
  const admin = new AdminClient({
    ...adminOptions(endpoint),
    clientId: 'flotilla-worker',
    connectTimeoutMs: 2_000,
    requestTimeoutMs: 5_000,
    retries: 1,
  });
  try {
    return await body(admin);
  } finally {
    await admin.close();
  }
}

/** Polls `problem` until it answers null; fails with the last problem after `timeoutMs`. */
export async function waitUntil(
  ctx: JobContext,
  timeoutMs: number,
  what: string,
  problem: () => Promise<string | null>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    ctx.signal.throwIfAborted();
    const reason = await problem();
    if (reason === null) return;
    if (Date.now() > deadline)
      throw new UnrecoverableError(`${what} within ${Math.round(timeoutMs / 1000)} s: ${reason}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

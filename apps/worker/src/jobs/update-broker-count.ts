/**
 * update-broker-count (MSK's UpdateBrokerCount; operation types INCREASE_BROKER_COUNT and
 * DECREASE_BROKER_COUNT).
 *
 * Scale out:
 *   add-brokers       new node ids after the highest, each a broker-only node built from an existing
 *                     broker's spec (runtime addedBrokerSpec: same cluster id and quorum voters), its
 *                     volume and container/process created and started, its catalog row written with
 *                     its spec (broker-spec.ts: what healing rebuilds it from)
 *   wait-new-brokers  every new broker registered (unfenced) in the cluster's metadata
 *   rebalance         partition reassignments (AlterPartitionReassignments, KIP-455) that move replicas
 *                     onto the new brokers until every broker holds within one replica of the same
 *                     count and is the preferred leader of within one partition of the same count;
 *                     waits until the reassignments finish (ListPartitionReassignments empty, no
 *                     partition under-replicated), then a PREFERRED ElectLeaders moves leadership
 * Scale in (refused by the API, and again here, when the brokers left cannot hold a topic's replication
 * factor, or when a controller quorum voter would be removed):
 *   drain             the same reassignment with the leaving brokers excluded, waited on as above
 *   remove-brokers    each leaving broker stopped gracefully, unregistered (UnregisterBroker) and
 *                     removed with its volume; its catalog row deleted
 * The cluster's numberOfBrokerNodes and bootstrap string are written when the operation completes.
 *
 * The moves are throttled as Kafka's reassign tool and MSK throttle them (reassignment-throttle.ts):
 * leader/follower.replication.throttled.rate on every broker involved (the worker's
 * reassignThrottleBytes, FLOTILLA_REASSIGN_THROTTLE_BYTES, default 50 MiB/s) and the moved replicas
 * named in each topic's throttled-replicas configs, set before the moves and removed once they are done
 * or the step fails; a resumed step throttles the reassignments still in progress and removes every
 * throttle left behind. The step's detail names the rate and the brokers while the moves run.
 */
import { clusters, type Prisma } from '@flotilla/db';
import { ApiKey, connect, ErrorCode, KafkaError, type TopicInfo } from '@flotilla/protocol';
import {
  addedBrokerSpec,
  assignHostPorts,
  type BrokerSpec,
  bootstrapColumns,
  controllerIds,
  portsPerBroker,
} from '@flotilla/runtime';
import { UnrecoverableError } from 'bullmq';
import { type ClusterEndpoint, withBootstrap } from '../kafka/cluster-endpoint.js';
import { currentBrokerSpec, recordBrokerSpec } from './broker-spec.js';
import type { JobPayload } from './catalog.js';
import { brokerIssuer } from './cluster-security.js';
import type { JobContext } from './context.js';
import {
  applyThrottles,
  DEFAULT_REASSIGN_THROTTLE_BYTES,
  type PartitionMove,
  removeThrottles,
  throttlePlan,
} from './reassignment-throttle.js';
import { DEFAULT_BROKER_TIMEOUT_MS, notBackYet, waitUntil, withAdmin } from './rolling-restart.js';
import { runStep } from './steps.js';
import { runClusterOperation } from './update-common.js';

/** How long moving every partition may take before the operation fails. */
const REBALANCE_TIMEOUT_MS = 30 * 60_000;

export async function updateBrokerCount(payload: JobPayload<'update-broker-count'>, ctx: JobContext): Promise<void> {
  await runClusterOperation(payload, ctx, async ({ cluster, endpoint, target }) => {
    const targetCount = Number(target.numberOfBrokerNodes);
    const current = (await clusters.listBrokers(ctx.catalog, cluster.id)).map((b) => b.nodeId).sort((a, b) => a - b);
    const plan = (await runStep(ctx.catalog, payload.operationId, 'plan', async () => {
      if (targetCount > current.length) {
        const max = Math.max(0, ...current);
        const created = Array.from({ length: targetCount - current.length }, (_, i) => max + 1 + i);
        return { created, deleted: [], remaining: [...current, ...created] };
      }
      const voters = new Set(controllerIds(current));
      const deleted = current.filter((id) => !voters.has(id)).slice(-(current.length - targetCount));
      if (deleted.length < current.length - targetCount) {
        throw new UnrecoverableError(
          `cannot go to ${targetCount} brokers: brokers ${[...voters].join(', ')} are the controller quorum and stay`,
        );
      }
      return { created: [], deleted, remaining: current.filter((id) => !deleted.includes(id)) };
    })) as { created: number[]; deleted: number[]; remaining: number[] };

    let endpointNow = endpoint;
    if (plan.created.length > 0) {
      const specs = (await runStep(ctx.catalog, payload.operationId, 'add-brokers', async () => {
        const first = current[0];
        const template =
          first === undefined ? null : await currentBrokerSpec(ctx, { clusterId: cluster.id, nodeId: first });
        if (!template) throw new UnrecoverableError('no existing broker spec to build the new brokers from');
        // A spec already made by an earlier attempt (recorded, or only on the runtime) keeps its ports.
        const made: BrokerSpec[] = [];
        const missing: number[] = [];
        for (const nodeId of plan.created) {
          const existing = await currentBrokerSpec(ctx, { clusterId: cluster.id, nodeId });
          if (existing) made.push(existing);
          else missing.push(nodeId);
        }
        // A secured cluster's brokers have its client listeners and a certificate each (runtime scale.ts).
        const listeners = Object.keys(template.ports.listeners ?? {});
        const ports = await ctx.driver.reservePorts(portsPerBroker(ctx.driver.addressing, listeners) * missing.length);
        const byNode = assignHostPorts(ctx.driver.addressing, missing, ports, listeners);
        const issuer = template.config['ssl.keystore.key'] !== undefined ? brokerIssuer(cluster, ctx.box) : undefined;
        for (const nodeId of missing) {
          const hostPorts = byNode.get(nodeId);
          if (!hostPorts) throw new Error(`no ports for broker ${nodeId}`);
          const dataRoot = ctx.driver.dataPath({ clusterId: cluster.id, nodeId });
          made.push(addedBrokerSpec(template, nodeId, ctx.driver.addressing, hostPorts, dataRoot, issuer));
        }
        for (const spec of made) {
          const volume = await ctx.driver.ensureVolume(spec, spec.storageBytes);
          await ctx.driver.createBroker(spec);
          const status = await ctx.driver.startBroker(spec);
          await recordBrokerSpec(ctx.catalog, spec, ctx.box, {
            containerId: status.id,
            volume: volume.name,
            host: '127.0.0.1',
            port: spec.ports.kafka,
            state: 'STARTING',
          });
        }
        return made.map((s) => ({ nodeId: s.nodeId, kafka: s.ports.kafka })) as unknown as Prisma.InputJsonValue;
      })) as unknown as { nodeId: number; kafka: number }[];
      endpointNow = withBootstrap(endpoint, [...endpoint.bootstrap, ...specs.map((s) => `127.0.0.1:${s.kafka}`)]);
      await runStep(ctx.catalog, payload.operationId, 'wait-new-brokers', async () => {
        for (const { nodeId } of specs) {
          await waitUntil(ctx, DEFAULT_BROKER_TIMEOUT_MS, `broker ${nodeId} did not register`, () =>
            notBackYet(endpointNow, nodeId),
          );
          await clusters.upsertBroker(ctx.catalog, cluster.id, nodeId, { state: 'RUNNING' });
        }
        return { registered: specs.map((s) => s.nodeId) };
      });
      await runStep(ctx.catalog, payload.operationId, 'rebalance', () =>
        rebalance(ctx, payload.operationId, 'rebalance', endpointNow, plan.remaining),
      );
    } else {
      await runStep(ctx.catalog, payload.operationId, 'drain', () =>
        rebalance(ctx, payload.operationId, 'drain', endpoint, plan.remaining),
      );
      await runStep(ctx.catalog, payload.operationId, 'remove-brokers', async () => {
        for (const nodeId of plan.deleted) {
          const ref = { clusterId: cluster.id, nodeId };
          await ctx.driver.stopBroker(ref, { timeoutMs: 60_000 });
          await unregisterBroker(endpoint, nodeId);
          await ctx.driver.removeBroker(ref, { removeVolume: true });
          await ctx.catalog.broker.deleteMany({ where: { clusterId: cluster.id, nodeId } });
        }
        return { removed: plan.deleted };
      });
    }
    const rows = await clusters.listBrokers(ctx.catalog, cluster.id);
    // Every listener's addresses from the brokers' specs (a secured cluster has several, runtime spec.ts).
    const specs = await Promise.all(
      rows.map((b) => currentBrokerSpec(ctx, { clusterId: cluster.id, nodeId: b.nodeId })),
    );
    return {
      numberOfBrokerNodes: rows.length,
      ...bootstrapColumns(specs.filter((spec): spec is BrokerSpec => spec !== null)),
    };
  });
}

export interface PartitionReplicas {
  readonly topic: string;
  readonly partition: number;
  readonly replicas: readonly number[];
}

/**
 * Where every partition's replicas should be so that only `brokers` hold them, each broker within one
 * replica (and one preferred leadership) of the others, moving as few replicas as possible. Pure.
 */
export function balancedAssignment(
  partitions: readonly PartitionReplicas[],
  brokers: readonly number[],
): Map<string, number[]> {
  const allowed = new Set(brokers);
  const load = new Map(brokers.map((b) => [b, 0]));
  const rf = (p: PartitionReplicas) => p.replicas.length;
  for (const p of partitions) {
    if (rf(p) > brokers.length) {
      throw new UnrecoverableError(
        `${p.topic}-${p.partition} has replication factor ${rf(p)}, more than the ${brokers.length} brokers left`,
      );
    }
  }
  const assignment = partitions.map((p) => ({ p, replicas: p.replicas.filter((r) => allowed.has(r)) }));
  for (const a of assignment) for (const r of a.replicas) load.set(r, (load.get(r) ?? 0) + 1);
  const leastLoaded = (exclude: readonly number[]) =>
    brokers.filter((b) => !exclude.includes(b)).sort((x, y) => (load.get(x) ?? 0) - (load.get(y) ?? 0) || x - y)[0];
  // Replicas on leaving brokers go to the least loaded remaining broker.
  for (const a of assignment) {
    while (a.replicas.length < rf(a.p)) {
      const b = leastLoaded(a.replicas);
      if (b === undefined) break;
      a.replicas.push(b);
      load.set(b, (load.get(b) ?? 0) + 1);
    }
  }
  // Then move replicas from the most to the least loaded broker until they differ by at most one.
  for (let moved = true; moved; ) {
    moved = false;
    const sorted = [...brokers].sort((x, y) => (load.get(y) ?? 0) - (load.get(x) ?? 0));
    const most = sorted[0];
    const least = sorted.at(-1);
    if (most === undefined || least === undefined || (load.get(most) ?? 0) - (load.get(least) ?? 0) <= 1) break;
    const candidate = assignment.find((a) => a.replicas.includes(most) && !a.replicas.includes(least));
    if (!candidate) break;
    candidate.replicas[candidate.replicas.indexOf(most)] = least;
    load.set(most, (load.get(most) ?? 0) - 1);
    load.set(least, (load.get(least) ?? 0) + 1);
    moved = true;
  }
  // Preferred leaders (the first replica) spread the same way: each partition leads on its replica
  // that leads the fewest partitions so far.
  const leads = new Map(brokers.map((b) => [b, 0]));
  const out = new Map<string, number[]>();
  for (const a of assignment) {
    const leader = [...a.replicas].sort((x, y) => (leads.get(x) ?? 0) - (leads.get(y) ?? 0) || x - y)[0];
    if (leader === undefined) continue;
    leads.set(leader, (leads.get(leader) ?? 0) + 1);
    out.set(`${a.p.topic}:${a.p.partition}`, [leader, ...a.replicas.filter((r) => r !== leader)]);
  }
  // The greedy pass can leave a spread of two: hand leaderships from the busiest to the idlest broker
  // where a partition has both, until every broker leads within one of the others.
  for (let guard = 0; guard < out.size * brokers.length; guard++) {
    const byLeads = [...brokers].sort((x, y) => (leads.get(y) ?? 0) - (leads.get(x) ?? 0));
    const most = byLeads[0];
    const least = byLeads.at(-1);
    if (most === undefined || least === undefined || (leads.get(most) ?? 0) - (leads.get(least) ?? 0) <= 1) break;
    const entry = [...out].find(([, r]) => r[0] === most && r.includes(least));
    if (!entry) break;
    const [key, r] = entry;
    out.set(key, [least, ...r.filter((b) => b !== least)]);
    leads.set(most, (leads.get(most) ?? 0) - 1);
    leads.set(least, (leads.get(least) ?? 0) + 1);
  }
  return out;
}

/** The controller's ongoing reassignments: partition key -> replicas being added and removed. */
async function ongoingReassignments(
  endpoint: ClusterEndpoint,
  controller: {
    host: string;
    port: number;
  },
): Promise<Map<string, { adding: number[]; removing: number[] }>> {
  const conn = await connect({
    host: controller.host,
    port: controller.port,
    clientId: 'flotilla-worker',
    ...(endpoint.sasl ? { sasl: endpoint.sasl } : {}),
  });
  try {
    const listed = await conn.request(ApiKey.ListPartitionReassignments, { timeoutMs: 10_000, topics: null });
    if (listed.errorCode !== 0) throw new KafkaError(listed.errorCode, listed.errorMessage ?? 'list reassignments');
    const out = new Map<string, { adding: number[]; removing: number[] }>();
    for (const t of listed.topics) {
      for (const p of t.partitions) {
        out.set(`${t.name}:${p.partitionIndex}`, { adding: [...p.addingReplicas], removing: [...p.removingReplicas] });
      }
    }
    return out;
  } finally {
    await conn.close();
  }
}

/**
 * Reassigns every partition onto `brokers` (balanced), throttled, waits for the moves, removes the
 * throttles, elects preferred leaders. Run again after a crash it picks up the reassignments still in
 * progress (their target replicas count as where the partition is).
 */
async function rebalance(
  ctx: JobContext,
  operationId: string,
  step: string,
  endpoint: ClusterEndpoint,
  brokers: readonly number[],
) {
  const started = Date.now();
  const throttleBytes = ctx.reassignThrottleBytes ?? DEFAULT_REASSIGN_THROTTLE_BYTES;
  const { topics, controller } = await withAdmin(endpoint, async (admin) => {
    const metadata = await admin.metadata();
    const c = metadata.brokers.find((b) => b.nodeId === metadata.controllerId) ?? metadata.brokers[0];
    if (!c) throw new Error('no broker answered');
    return { topics: metadata.topics, controller: c };
  });
  const ongoing = await ongoingReassignments(endpoint, controller);
  const partitions = topics.flatMap((t: TopicInfo) =>
    t.partitions.map((p) => {
      const o = ongoing.get(`${t.name}:${p.partition}`);
      return {
        topic: t.name,
        partition: p.partition,
        // Mid-reassignment Metadata lists old and new replicas together: plan from the new ones.
        replicas: o ? p.replicas.filter((r) => !o.removing.includes(r)) : p.replicas,
        source: o ? p.replicas.filter((r) => !o.adding.includes(r)) : p.replicas,
      };
    }),
  );
  const target = balancedAssignment(partitions, brokers);
  const moves = partitions.filter((p) => {
    const next = target.get(`${p.topic}:${p.partition}`);
    return next !== undefined && next.join(',') !== p.replicas.join(',');
  });
  const throttled: PartitionMove[] = partitions
    .filter((p) => moves.includes(p) || ongoing.has(`${p.topic}:${p.partition}`))
    .map((p) => ({
      topic: p.topic,
      partition: p.partition,
      from: p.source,
      to: target.get(`${p.topic}:${p.partition}`) ?? p.replicas,
    }));
  const throttle = throttlePlan(throttled, throttleBytes);
  const throttleDetail = {
    bytesPerSec: throttle.rate,
    brokers: throttle.brokers,
    topics: Object.keys(throttle.topics),
  };
  await ctx.catalog.operationStep.update({
    where: { operationId_name: { operationId, name: step } },
    data: { detail: { phase: 'moving', moving: throttled.length, throttle: throttleDetail } },
  });
  let removed: { brokers: number[]; topics: string[] } | undefined;
  try {
    if (throttled.length > 0) await withAdmin(endpoint, (admin) => applyThrottles(admin, throttle));
    await reassign(endpoint, controller, moves, target);
    await waitForReassignments(ctx, endpoint);
    removed = await withAdmin(endpoint, (admin) => removeThrottles(admin));
  } finally {
    // Failed or interrupted: no throttle stays behind (a retry sets them again).
    if (!removed) {
      await withAdmin(endpoint, (admin) => removeThrottles(admin)).catch((error: unknown) =>
        ctx.log.warn('could not remove the reassignment throttles', {
          error: error instanceof Error ? error.message : String(error),
        }),
      );
    }
  }
  await withAdmin(endpoint, async (admin) => {
    const metadata = await admin.metadata([]);
    const c = metadata.brokers.find((b) => b.nodeId === metadata.controllerId) ?? metadata.brokers[0];
    if (!c) return;
    const conn = await connect({
      host: c.host,
      port: c.port,
      clientId: 'flotilla-worker',
      ...(endpoint.sasl ? { sasl: endpoint.sasl } : {}),
    });
    try {
      // PREFERRED for every partition (null); ELECTION_NOT_NEEDED per partition is the usual answer.
      await conn.request(ApiKey.ElectLeaders, { electionType: 0, topicPartitions: null, timeoutMs: 30_000 });
    } finally {
      await conn.close();
    }
  });
  return {
    moved: moves.length,
    resumedMoves: ongoing.size,
    partitions: partitions.length,
    brokers: [...brokers],
    throttle: { ...throttleDetail, removedFrom: removed ?? null },
    tookMs: Date.now() - started,
  };
}

async function reassign(
  endpoint: ClusterEndpoint,
  controller: { host: string; port: number },
  moves: readonly PartitionReplicas[],
  target: ReadonlyMap<string, number[]>,
): Promise<void> {
  const byTopic = new Map<string, { partitionIndex: number; replicas: number[] }[]>();
  for (const p of moves) {
    const list = byTopic.get(p.topic) ?? [];
    list.push({ partitionIndex: p.partition, replicas: target.get(`${p.topic}:${p.partition}`) ?? [] });
    byTopic.set(p.topic, list);
  }
  if (byTopic.size === 0) return;
  const connection = await connect({
    host: controller.host,
    port: controller.port,
    clientId: 'flotilla-worker',
    ...(endpoint.sasl ? { sasl: endpoint.sasl } : {}),
  });
  try {
    const response = await connection.request(ApiKey.AlterPartitionReassignments, {
      timeoutMs: 30_000,
      topics: [...byTopic].map(([name, parts]) => ({ name, partitions: parts })),
    });
    if (response.errorCode !== 0) throw new KafkaError(response.errorCode, response.errorMessage ?? 'reassignment');
    for (const t of response.responses) {
      for (const p of t.partitions) {
        if (p.errorCode !== 0)
          throw new KafkaError(p.errorCode, `reassigning ${t.name}-${p.partitionIndex}: ${p.errorMessage ?? ''}`);
      }
    }
  } finally {
    await connection.close();
  }
}

async function waitForReassignments(ctx: JobContext, endpoint: ClusterEndpoint): Promise<void> {
  await waitUntil(ctx, REBALANCE_TIMEOUT_MS, 'the partition reassignments did not finish', async () => {
    return withAdmin(endpoint, async (admin) => {
      const metadata = await admin.metadata();
      const c = metadata.brokers.find((b) => b.nodeId === metadata.controllerId) ?? metadata.brokers[0];
      if (!c) return 'no broker answered';
      const n = (await ongoingReassignments(endpoint, c)).size;
      if (n > 0) return `${n} partition reassignment(s) in progress`;
      const lagging = metadata.topics.flatMap((t) => t.partitions.filter((p) => p.isr.length < p.replicas.length));
      return lagging.length > 0 ? `${lagging.length} partition(s) not fully replicated` : null;
    });
  });
}

async function unregisterBroker(endpoint: ClusterEndpoint, nodeId: number): Promise<void> {
  await withAdmin(endpoint, async (admin) => {
    const metadata = await admin.metadata([]);
    const other = metadata.brokers.find((b) => b.nodeId !== nodeId);
    if (!other) return;
    const conn = await connect({
      host: other.host,
      port: other.port,
      clientId: 'flotilla-worker',
      ...(endpoint.sasl ? { sasl: endpoint.sasl } : {}),
    });
    try {
      const response = await conn.request(ApiKey.UnregisterBroker, { brokerId: nodeId });
      if (response.errorCode !== 0 && response.errorCode !== ErrorCode.BROKER_ID_NOT_REGISTERED) {
        throw new KafkaError(response.errorCode, `UnregisterBroker ${nodeId}: ${response.errorMessage ?? ''}`);
      }
    } finally {
      await conn.close();
    }
  });
}

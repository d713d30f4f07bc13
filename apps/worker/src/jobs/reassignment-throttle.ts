/**
 * Replication throttles around partition reassignments, the way Kafka's kafka-reassign-partitions.sh
 * (--throttle) and MSK set them (KIP-73): before the moves, every broker involved gets
 * leader.replication.throttled.rate and follower.replication.throttled.rate, and each moved topic gets
 * leader.replication.throttled.replicas (the partition's existing replicas, any of which may lead) and
 * follower.replication.throttled.replicas (the replicas being added); once the moves are done (or the
 * operation gives up) the throttles are removed again, from every broker and every topic that still
 * carries one, so a worker that died mid-move leaves nothing behind once its operation is resumed.
 */
import { type AdminClient, AlterConfigOp, ConfigResourceType, ConfigSource } from '@flotilla/protocol';

/** Bytes/s each involved broker may spend on moved replicas unless the worker is told otherwise. */
export const DEFAULT_REASSIGN_THROTTLE_BYTES = 50 * 1024 * 1024;

export const BROKER_THROTTLE_RATES = ['leader.replication.throttled.rate', 'follower.replication.throttled.rate'];
export const TOPIC_THROTTLED_REPLICAS = [
  'leader.replication.throttled.replicas',
  'follower.replication.throttled.replicas',
];

export interface PartitionMove {
  readonly topic: string;
  readonly partition: number;
  /** The replicas the partition has before the move. */
  readonly from: readonly number[];
  readonly to: readonly number[];
}

export interface ThrottlePlan {
  /** Bytes/s per broker. */
  readonly rate: number;
  readonly brokers: number[];
  /** Per topic: the leader and follower throttled-replicas lists (`partition:broker,...`). */
  readonly topics: Record<string, { leader: string; follower: string }>;
}

/** Which brokers and replicas to throttle for `moves` (Kafka's ReassignPartitionsCommand.calculate*Throttles). Pure. */
export function throttlePlan(moves: readonly PartitionMove[], rate: number): ThrottlePlan {
  const brokers = new Set<number>();
  const lists = new Map<string, { leader: string[]; follower: string[] }>();
  for (const m of moves) {
    const entry = lists.get(m.topic) ?? { leader: [], follower: [] };
    for (const b of m.from) entry.leader.push(`${m.partition}:${b}`);
    for (const b of m.to) if (!m.from.includes(b)) entry.follower.push(`${m.partition}:${b}`);
    for (const b of [...m.from, ...m.to]) brokers.add(b);
    lists.set(m.topic, entry);
  }
  const topics: ThrottlePlan['topics'] = {};
  for (const [topic, l] of lists) topics[topic] = { leader: l.leader.join(','), follower: l.follower.join(',') };
  return { rate, brokers: [...brokers].sort((a, b) => a - b), topics };
}

/** Sets the plan's rates on its brokers and its throttled-replicas lists on its topics. */
export async function applyThrottles(admin: AdminClient, plan: ThrottlePlan): Promise<void> {
  if (plan.brokers.length === 0) return;
  await admin.incrementalAlterConfigs(
    plan.brokers.map((id) => ({
      type: ConfigResourceType.BROKER,
      name: String(id),
      ops: BROKER_THROTTLE_RATES.map((name) => ({ name, op: AlterConfigOp.SET, value: String(plan.rate) })),
    })),
  );
  await admin.incrementalAlterConfigs(
    Object.entries(plan.topics).map(([topic, l]) => ({
      type: ConfigResourceType.TOPIC,
      name: topic,
      ops: [
        { name: 'leader.replication.throttled.replicas', op: AlterConfigOp.SET, value: l.leader },
        l.follower === ''
          ? { name: 'follower.replication.throttled.replicas', op: AlterConfigOp.DELETE }
          : { name: 'follower.replication.throttled.replicas', op: AlterConfigOp.SET, value: l.follower },
      ],
    })),
  );
}

/**
 * Removes every reassignment throttle from the cluster: the rates of every registered broker and the
 * throttled-replicas lists of every topic. Returns where it removed some.
 */
export async function removeThrottles(admin: AdminClient): Promise<{ brokers: number[]; topics: string[] }> {
  const metadata = await admin.metadata();
  const topicNames = metadata.topics.filter((t) => !t.isInternal).map((t) => t.name);
  const set = (configs: readonly { name: string; source: number }[], names: readonly string[]) =>
    configs
      .filter((c) => names.includes(c.name))
      .filter((c) => c.source === ConfigSource.DYNAMIC_BROKER_CONFIG || c.source === ConfigSource.DYNAMIC_TOPIC_CONFIG)
      .map((c) => c.name);
  const brokers = metadata.brokers.map((b) => b.nodeId);
  const described = await admin.describeConfigs([
    ...brokers.map((id) => ({ type: ConfigResourceType.BROKER, name: String(id), keys: BROKER_THROTTLE_RATES })),
    ...topicNames.map((name) => ({ type: ConfigResourceType.TOPIC, name, keys: TOPIC_THROTTLED_REPLICAS })),
  ]);
  const changes = described
    .map((r) => ({
      type: r.type,
      name: r.name,
      ops: set(r.configs, r.type === ConfigResourceType.BROKER ? BROKER_THROTTLE_RATES : TOPIC_THROTTLED_REPLICAS).map(
        (name) => ({ name, op: AlterConfigOp.DELETE }),
      ),
    }))
    .filter((c) => c.ops.length > 0);
  if (changes.length > 0) await admin.incrementalAlterConfigs(changes);
  return {
    brokers: changes.filter((c) => c.type === ConfigResourceType.BROKER).map((c) => Number(c.name)),
    topics: changes.filter((c) => c.type === ConfigResourceType.TOPIC).map((c) => c.name),
  };
}

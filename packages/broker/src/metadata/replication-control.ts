/**
 * The controller's side of replication (Kafka's ReplicationControlManager), as pure planning
 * functions over the metadata image: each returns the PartitionChange records to commit and the
 * per-partition answer, and the caller commits them through Controller.commit, so validation and
 * write happen in one step of the controller queue.
 *
 * - AlterPartition (KIP-497): a leader's ISR change, accepted only for its current leader epoch and
 *   partition epoch, with every new ISR member a live (unfenced) replica (KIP-841).
 * - Leader election: clean (from the ISR, preferred order first), unclean only when asked
 *   (ElectLeaders UNCLEAN, or unclean.leader.election.enable) and only when no ISR member is alive.
 * - Fenced brokers leave every ISR and lose their leaderships; the last ISR member stays in the ISR
 *   (it has everything acknowledged) but not as leader, so the partition goes offline rather than
 *   electing a replica that may lack acknowledged records.
 * - Reassignments (KIP-455): the target replicas are added (adding replicas), the partition waits
 *   for them to join the ISR, then the old ones go (removing replicas), all as PartitionChange records.
 */
import { ErrorCode, ZERO_UUID } from '@flotilla/protocol';
import type { BrokerConfig } from '../config/broker-config.js';
import type { MetadataImage, PartitionInfo, TopicInfo } from './image.js';
import type { MetadataRecord } from './records.js';

export interface AlterPartitionItem {
  readonly topicId: string;
  readonly topicName: string;
  readonly partitionIndex: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly newIsr: readonly number[];
}

export interface AlterPartitionResult {
  readonly topicId: string;
  readonly topicName: string;
  readonly partitionIndex: number;
  readonly errorCode: number;
  /** The partition as it will be once the records are applied (only when errorCode is 0). */
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly isr: readonly number[];
  readonly partitionEpoch: number;
}

function isLive(image: MetadataImage, id: number): boolean {
  const b = image.brokers.get(id);
  return b !== undefined && !b.fenced;
}

/** AlterPartition v0-1 name topics, v2+ give their id; the other field is left at its default. */
function findTopic(image: MetadataImage, topicId: string, topicName: string): TopicInfo | undefined {
  return (topicId && topicId !== ZERO_UUID ? image.topicsById.get(topicId) : undefined) ?? image.topics.get(topicName);
}

/** Validates one leader's ISR changes and plans them (ReplicationControlManager.alterPartition). */
export function planAlterPartition(
  image: MetadataImage,
  brokerId: number,
  items: readonly AlterPartitionItem[],
): { records: MetadataRecord[]; results: AlterPartitionResult[] } {
  const records: MetadataRecord[] = [];
  const results = items.map((item): AlterPartitionResult => {
    const topic = findTopic(image, item.topicId, item.topicName);
    const p = topic?.partitions[item.partitionIndex];
    const base = {
      topicId: item.topicId,
      topicName: item.topicName,
      partitionIndex: item.partitionIndex,
      leaderId: -1,
      leaderEpoch: -1,
      isr: [] as number[],
      partitionEpoch: -1,
    };
    if (!topic || !p) return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
    if (p.leader !== brokerId) return { ...base, errorCode: ErrorCode.INVALID_REQUEST };
    if (item.leaderEpoch < p.leaderEpoch) return { ...base, errorCode: ErrorCode.FENCED_LEADER_EPOCH };
    if (item.leaderEpoch > p.leaderEpoch) return { ...base, errorCode: ErrorCode.NOT_CONTROLLER };
    if (item.partitionEpoch !== p.partitionEpoch) return { ...base, errorCode: ErrorCode.INVALID_UPDATE_VERSION };
    const newIsr = [...new Set(item.newIsr)];
    if (!newIsr.includes(brokerId)) return { ...base, errorCode: ErrorCode.INVALID_REQUEST };
    const removing = p.removingReplicas ?? [];
    const eligible = (id: number) =>
      p.replicas.includes(id) && (p.isr.includes(id) || (isLive(image, id) && !removing.includes(id)));
    if (!newIsr.every(eligible)) return { ...base, errorCode: ErrorCode.INELIGIBLE_REPLICA };
    const change = completeReassignment(p, newIsr) ?? { isr: newIsr };
    const record: MetadataRecord = {
      type: 'PartitionChange',
      topicId: topic.id,
      partitionId: p.partitionId,
      ...change,
    };
    records.push(record);
    const leaderId = change.leader ?? p.leader;
    return {
      ...base,
      errorCode: 0,
      leaderId,
      leaderEpoch: leaderId !== p.leader ? p.leaderEpoch + 1 : p.leaderEpoch,
      isr: change.isr,
      partitionEpoch: p.partitionEpoch + 1,
    };
  });
  return { records, results };
}

type PartitionChangeFields = {
  isr: number[];
  replicas?: number[];
  leader?: number;
  addingReplicas?: number[];
  removingReplicas?: number[];
};

/**
 * When every adding replica is in the new ISR, the reassignment completes in the same change: the
 * replica set becomes the target, the removed replicas leave the ISR, and a leader that is being
 * removed hands over to the first target replica in the ISR.
 */
function completeReassignment(p: PartitionInfo, newIsr: readonly number[]): PartitionChangeFields | null {
  const adding = p.addingReplicas ?? [];
  const removing = p.removingReplicas ?? [];
  if (adding.length === 0 && removing.length === 0) return null;
  if (!adding.every((id) => newIsr.includes(id))) return null;
  const target = p.replicas.filter((id) => !removing.includes(id));
  const isr = newIsr.filter((id) => target.includes(id));
  if (isr.length === 0) return null;
  const change: PartitionChangeFields = { isr, replicas: target, addingReplicas: [], removingReplicas: [] };
  if (!target.includes(p.leader)) change.leader = target.find((id) => isr.includes(id)) ?? -1;
  return change;
}

export const ElectionType = { PREFERRED: 0, UNCLEAN: 1 } as const;

/**
 * Chooses a leader for `p` among live replicas: the ISR in replica order (clean), else, when
 * `unclean` is allowed, any live replica (which then becomes the whole ISR, as in Kafka).
 */
export function electLeader(
  image: MetadataImage,
  p: PartitionInfo,
  unclean: boolean,
  exclude: ReadonlySet<number> = new Set(),
): { leader: number; isr: number[] } | null {
  const usable = (id: number) => isLive(image, id) && !exclude.has(id);
  const clean = p.replicas.find((id) => p.isr.includes(id) && usable(id));
  if (clean !== undefined) return { leader: clean, isr: p.isr.filter((id) => !exclude.has(id)) };
  if (!unclean) return null;
  const any = p.replicas.find(usable);
  return any === undefined ? null : { leader: any, isr: [any] };
}

/**
 * ElectLeaders for some partitions (null: all). PREFERRED moves leadership to the first replica when
 * it is alive and in the ISR; UNCLEAN elects only for partitions without a leader, from any live
 * replica when no ISR member is alive.
 */
export function planElectLeaders(
  image: MetadataImage,
  electionType: number,
  partitions: readonly { topic: string; partition: number }[] | null,
): {
  records: MetadataRecord[];
  results: { topic: string; partition: number; errorCode: number; message: string | null }[];
} {
  const wanted =
    partitions ??
    [...image.topics.values()].flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionId })));
  const records: MetadataRecord[] = [];
  const results = wanted.map(({ topic, partition }) => {
    const t = image.topics.get(topic);
    const p = t?.partitions[partition];
    if (!t || !p) {
      return { topic, partition, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: 'no such partition' };
    }
    if (electionType === ElectionType.PREFERRED) {
      const preferred = p.replicas[0] as number;
      if (p.leader === preferred) {
        return { topic, partition, errorCode: ErrorCode.ELECTION_NOT_NEEDED, message: 'the preferred replica leads' };
      }
      if (!p.isr.includes(preferred) || !isLive(image, preferred)) {
        return {
          topic,
          partition,
          errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE,
          message: `preferred replica ${preferred} is not alive and in the ISR`,
        };
      }
      records.push({ type: 'PartitionChange', topicId: t.id, partitionId: partition, leader: preferred });
      return { topic, partition, errorCode: 0, message: null };
    }
    if (electionType !== ElectionType.UNCLEAN) {
      return { topic, partition, errorCode: ErrorCode.INVALID_REQUEST, message: `election type ${electionType}` };
    }
    if (p.leader >= 0 && isLive(image, p.leader)) {
      return { topic, partition, errorCode: ErrorCode.ELECTION_NOT_NEEDED, message: 'the partition has a leader' };
    }
    const chosen = electLeader(image, p, true);
    if (!chosen) {
      return { topic, partition, errorCode: ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, message: 'no live replica' };
    }
    records.push({
      type: 'PartitionChange',
      topicId: t.id,
      partitionId: partition,
      leader: chosen.leader,
      isr: chosen.isr,
    });
    return { topic, partition, errorCode: 0, message: null };
  });
  return { records, results };
}

/**
 * A broker was fenced or is shutting down (controlled shutdown): it leaves every ISR it is in (unless
 * it is the last member) and every partition it leads gets a new leader from the rest of the ISR; a
 * partition with no other live ISR member goes offline (leader -1), or, where `unclean` allows it for
 * the topic (unclean.leader.election.enable), takes any live replica, as Kafka's
 * ReplicationControlManager does when it fences a broker. The broker itself is never chosen.
 */
export function planBrokerLeaving(
  image: MetadataImage,
  brokerId: number,
  unclean: (topic: string) => boolean,
): MetadataRecord[] {
  const records: MetadataRecord[] = [];
  const exclude = new Set([brokerId]);
  for (const t of image.topics.values()) {
    for (const p of t.partitions) {
      if (!p?.replicas.includes(brokerId)) continue;
      const inIsr = p.isr.includes(brokerId);
      const isr = inIsr && p.isr.length > 1 ? p.isr.filter((id) => id !== brokerId) : p.isr;
      if (p.leader !== brokerId) {
        if (isr.length !== p.isr.length)
          records.push({ type: 'PartitionChange', topicId: t.id, partitionId: p.partitionId, isr });
        continue;
      }
      const chosen = electLeader(image, { ...p, isr }, unclean(t.name), exclude);
      records.push({
        type: 'PartitionChange',
        topicId: t.id,
        partitionId: p.partitionId,
        leader: chosen?.leader ?? -1,
        isr: chosen?.isr ?? isr,
      });
    }
  }
  return records;
}

/**
 * A fenced broker came back (unfenced): partitions left without a leader elect one again, preferring
 * the ISR (which still holds the last leader when it was the only member).
 */
export function planOfflinePartitions(image: MetadataImage, unclean: boolean): MetadataRecord[] {
  const records: MetadataRecord[] = [];
  for (const t of image.topics.values()) {
    for (const p of t.partitions) {
      if (!p || (p.leader >= 0 && isLive(image, p.leader))) continue;
      const chosen = electLeader(image, p, unclean);
      if (chosen && chosen.leader !== p.leader) {
        records.push({
          type: 'PartitionChange',
          topicId: t.id,
          partitionId: p.partitionId,
          leader: chosen.leader,
          isr: chosen.isr,
        });
      }
    }
  }
  return records;
}

/**
 * auto.leader.rebalance.enable: preferred-leader elections for partitions whose first replica is
 * alive and in the ISR but does not lead, once a broker's share of such partitions exceeds
 * leader.imbalance.per.broker.percentage (Kafka's checkAndTriggerAutoLeaderRebalance).
 */
export function planPreferredLeaderRebalance(image: MetadataImage, imbalancePercentage: number): MetadataRecord[] {
  const perBroker = new Map<number, { total: number; notLeading: { t: TopicInfo; p: PartitionInfo }[] }>();
  for (const t of image.topics.values()) {
    for (const p of t.partitions) {
      const preferred = p?.replicas[0];
      if (!p || preferred === undefined) continue;
      const entry = perBroker.get(preferred) ?? { total: 0, notLeading: [] };
      entry.total++;
      if (p.leader !== preferred) entry.notLeading.push({ t, p });
      perBroker.set(preferred, entry);
    }
  }
  const records: MetadataRecord[] = [];
  for (const [broker, { total, notLeading }] of perBroker) {
    if (total === 0 || (notLeading.length * 100) / total <= imbalancePercentage) continue;
    if (!isLive(image, broker)) continue;
    for (const { t, p } of notLeading) {
      if (p.isr.includes(broker))
        records.push({ type: 'PartitionChange', topicId: t.id, partitionId: p.partitionId, leader: broker });
    }
  }
  return records;
}

/**
 * AlterPartitionReassignments for one partition: `target` null cancels an ongoing reassignment
 * (back to the original replicas); otherwise the target replicas not yet present are added. When
 * nothing needs adding the change completes at once.
 */
export function planReassignment(
  image: MetadataImage,
  topic: string,
  partition: number,
  target: readonly number[] | null,
): { records: MetadataRecord[]; errorCode: number; message: string | null } {
  const t = image.topics.get(topic);
  const p = t?.partitions[partition];
  if (!t || !p) return { records: [], errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: 'no such partition' };
  const adding = p.addingReplicas ?? [];
  const removing = p.removingReplicas ?? [];
  const original = p.replicas.filter((id) => !adding.includes(id));
  if (target === null) {
    if (adding.length === 0 && removing.length === 0) {
      return { records: [], errorCode: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, message: 'no reassignment in progress' };
    }
    const isr = p.isr.filter((id) => original.includes(id));
    const change: MetadataRecord = {
      type: 'PartitionChange',
      topicId: t.id,
      partitionId: partition,
      replicas: original,
      isr: isr.length > 0 ? isr : p.isr,
      addingReplicas: [],
      removingReplicas: [],
      ...(original.includes(p.leader) ? {} : { leader: original.find((id) => isr.includes(id)) ?? -1 }),
    };
    return { records: [change], errorCode: 0, message: null };
  }
  if (target.length === 0 || new Set(target).size !== target.length) {
    return {
      records: [],
      errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      message: 'replicas must be distinct and not empty',
    };
  }
  const unknown = target.find((id) => !image.brokers.has(id));
  if (unknown !== undefined) {
    return { records: [], errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message: `unknown broker ${unknown}` };
  }
  const newAdding = target.filter((id) => !original.includes(id));
  const newRemoving = original.filter((id) => !target.includes(id));
  // The replica set during the move: the target, then the replicas on their way out (KIP-455).
  const replicas = [...target, ...newRemoving];
  const pending: PartitionInfo = { ...p, replicas, addingReplicas: newAdding, removingReplicas: newRemoving };
  const done = completeReassignment(pending, p.isr);
  if (done) {
    return {
      records: [{ type: 'PartitionChange', topicId: t.id, partitionId: partition, ...done }],
      errorCode: 0,
      message: null,
    };
  }
  return {
    records: [
      {
        type: 'PartitionChange',
        topicId: t.id,
        partitionId: partition,
        replicas,
        addingReplicas: newAdding,
        removingReplicas: newRemoving,
      },
    ],
    errorCode: 0,
    message: null,
  };
}

/** Partitions with a reassignment in progress (ListPartitionReassignments). */
export function ongoingReassignments(
  image: MetadataImage,
): { topic: string; partition: number; replicas: number[]; adding: number[]; removing: number[] }[] {
  const out: { topic: string; partition: number; replicas: number[]; adding: number[]; removing: number[] }[] = [];
  for (const t of image.topics.values()) {
    for (const p of t.partitions) {
      if (!p) continue;
      const adding = p.addingReplicas ?? [];
      const removing = p.removingReplicas ?? [];
      if (adding.length === 0 && removing.length === 0) continue;
      out.push({
        topic: t.name,
        partition: p.partitionId,
        replicas: [...p.replicas],
        adding: [...adding],
        removing: [...removing],
      });
    }
  }
  return out;
}

/**
 * Unclean leader election where it is allowed (unclean.leader.election.enable on the topic, or the
 * broker default): partitions without a live leader and without a live ISR member take any live
 * replica as leader, which becomes the whole ISR (records only the dead replicas had are lost).
 */
export function planUncleanElections(image: MetadataImage, allowed: (topic: string) => boolean): MetadataRecord[] {
  const records: MetadataRecord[] = [];
  for (const t of image.topics.values()) {
    if (!allowed(t.name)) continue;
    for (const p of t.partitions) {
      if (!p || (p.leader >= 0 && isLive(image, p.leader))) continue;
      if (p.isr.some((id) => isLive(image, id))) continue; // a clean election is possible: not ours
      const chosen = electLeader(image, p, true);
      if (chosen) {
        records.push({
          type: 'PartitionChange',
          topicId: t.id,
          partitionId: p.partitionId,
          leader: chosen.leader,
          isr: chosen.isr,
        });
      }
    }
  }
  return records;
}

/**
 * unclean.leader.election.enable in force for a topic: its own override, else the broker's setting
 * (off by default), read at each decision so that an altered config counts at once.
 */
export function uncleanElectionPolicy(image: MetadataImage, config: BrokerConfig): (topic: string) => boolean {
  return (topic) => {
    const override = image.topics.get(topic)?.configs.get('unclean.leader.election.enable');
    return override !== undefined ? override === 'true' : config.bool('unclean.leader.election.enable');
  };
}

/**
 * Consumer groups under a cluster ARN: list, describe with lag, and reset offsets, as
 * kafka-consumer-groups.sh does them (--list, --describe, --reset-offsets with --dry-run/--execute).
 * A reset is refused while the group has members, because a live consumer would overwrite the new
 * offsets with its own next commit (kafka-consumer-groups: "Assignments can only be reset if the group
 * is inactive").
 */
import { type ClusterAdmin, type ClusterEndpoint, type CommittedOffset, computeConsumerLag } from '@flotilla/worker';
import { badRequest, conflict, notFound } from '../lib/errors.js';
import type { ResetOffsetsRequest } from '../schemas/cluster-resources.js';
import { withCluster } from './cluster-access.js';
import type { Services } from './context.js';

/** Kafka's ConsumerProtocolAssignment: version, [topic, [partition]], user data. Empty when not a consumer's. */
export function decodeAssignment(bytes: Buffer): { topic: string; partitions: number[] }[] {
  try {
    if (bytes.length < 6) return [];
    let at = 2; // version
    const topics = bytes.readInt32BE(at);
    at += 4;
    const out: { topic: string; partitions: number[] }[] = [];
    for (let i = 0; i < topics; i++) {
      const length = bytes.readInt16BE(at);
      at += 2;
      const topic = bytes.toString('utf8', at, at + length);
      at += length;
      const count = bytes.readInt32BE(at);
      at += 4;
      const partitions: number[] = [];
      for (let j = 0; j < count; j++, at += 4) partitions.push(bytes.readInt32BE(at));
      out.push({ topic, partitions });
    }
    return out;
  } catch {
    return [];
  }
}

export async function listConsumerGroups(s: Services, clusterArn: string) {
  return withCluster(s, clusterArn, { mutation: false }, async (admin) => {
    const groups = await admin.admin.listGroups();
    return {
      consumerGroups: groups
        .sort((a, b) => a.groupId.localeCompare(b.groupId))
        .map((g) => ({ groupId: g.groupId, state: g.state, protocolType: g.protocolType })),
    };
  });
}

async function describeGroup(admin: ClusterAdmin, groupId: string) {
  const [group] = await admin.admin.describeGroups([groupId]);
  if (!group || group.state === 'Dead') throw notFound(`Consumer group ${groupId} does not exist`, 'groupId');
  const committed = await admin.committedOffsets(groupId, group.coordinatorId);
  return { group, committed };
}

async function logEndOffsets(admin: ClusterAdmin, topics: readonly string[]) {
  if (topics.length === 0) return new Map<string, bigint>();
  const offsets = await admin.admin.listOffsets(topics, 'latest');
  return new Map(offsets.map((o) => [`${o.topic}\u0000${o.partition}`, o.offset]));
}

export async function describeConsumerGroup(s: Services, clusterArn: string, groupId: string) {
  return withCluster(s, clusterArn, { mutation: false }, async (admin, cluster) => {
    const { group, committed } = await describeGroup(admin, groupId);
    const members = group.members.map((m) => ({
      memberId: m.memberId,
      ...(m.groupInstanceId ? { groupInstanceId: m.groupInstanceId } : {}),
      clientId: m.clientId,
      clientHost: m.clientHost,
      assignment: group.protocolType === 'consumer' ? decodeAssignment(m.assignment) : [],
    }));
    // Partitions with a commit, and assigned ones without one yet (their lag is unknown: -1 committed).
    const keys = new Map<string, { topic: string; partition: number; committed: bigint }>();
    for (const c of committed) keys.set(`${c.topic}\u0000${c.partition}`, { ...c, committed: c.offset });
    for (const m of members)
      for (const a of m.assignment)
        for (const p of a.partitions) {
          const key = `${a.topic}\u0000${p}`;
          if (!keys.has(key)) keys.set(key, { topic: a.topic, partition: p, committed: -1n });
        }
    const ends = await logEndOffsets(admin, [...new Set([...keys.values()].map((k) => k.topic))]);
    const partitions = [...keys.entries()]
      .map(([key, k]) => {
        const end = ends.get(key) ?? -1n;
        const lag = k.committed >= 0n && end >= 0n ? end - k.committed : 0n;
        return {
          topic: k.topic,
          partition: k.partition,
          committedOffset: Number(k.committed),
          logEndOffset: Number(end),
          offsetLag: Number(lag > 0n ? lag : 0n),
        };
      })
      .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
    return {
      groupId,
      state: group.state,
      protocolType: group.protocolType,
      protocol: group.protocol,
      coordinatorId: group.coordinatorId,
      members,
      partitions,
      totalOffsetLag: partitions.reduce((n, p) => n + p.offsetLag, 0),
      ...(await groupLagFigures(admin.endpoint, groupId, group.state)),
    };
  });
}

/** MSK's lag figures for a Stable or Empty group (issue 8), from the monitor's lag computation. */
async function groupLagFigures(endpoint: ClusterEndpoint, groupId: string, state: string) {
  if (state !== 'Stable' && state !== 'Empty') return {};
  const [lag] = await computeConsumerLag({ endpoint, groupIds: [groupId] });
  if (!lag) return {};
  return {
    lag: {
      sumOffsetLag: lag.sumOffsetLag,
      maxOffsetLag: lag.maxOffsetLag,
      estimatedMaxTimeLag: lag.estimatedMaxTimeLag,
      topics: lag.topics.map((t) => ({
        topic: t.topic,
        sumOffsetLag: t.sumOffsetLag,
        maxOffsetLag: t.maxOffsetLag,
        estimatedMaxTimeLag: t.estimatedMaxTimeLag,
        partitions: t.partitions.map((p) => ({
          partition: p.partition,
          offsetLag: p.offsetLag,
          estimatedTimeLag: p.estimatedTimeLag,
        })),
      })),
    },
  };
}

export async function resetOffsets(s: Services, clusterArn: string, groupId: string, request: ResetOffsetsRequest) {
  if (request.to === 'timestamp' && request.timestamp === undefined)
    throw badRequest('to: timestamp needs timestamp (epoch milliseconds)', 'timestamp');
  if (request.to === 'offset' && request.offset === undefined) throw badRequest('to: offset needs offset', 'offset');
  const dryRun = request.dryRun ?? false;
  return withCluster(s, clusterArn, { mutation: !dryRun }, async (admin) => {
    const [group] = await admin.admin.describeGroups([groupId]);
    if (!group) throw notFound(`Consumer group ${groupId} does not exist`, 'groupId');
    if (group.members.length > 0 || (group.state !== 'Empty' && group.state !== 'Dead')) {
      throw conflict(
        `Assignments can only be reset if the group '${groupId}' is inactive, but the current state is ${group.state} with ${group.members.length} member(s)`,
        'groupId',
      );
    }
    const committed = group.state === 'Dead' ? [] : await admin.committedOffsets(groupId, group.coordinatorId);
    const topics = request.topics ?? [...new Set(committed.map((c) => c.topic))];
    if (topics.length === 0)
      throw badRequest(`Group ${groupId} has no committed offsets; name the topics to reset`, 'topics');
    const [earliest, latest] = await Promise.all([
      admin.admin.listOffsets(topics, 'earliest'),
      admin.admin.listOffsets(topics, 'latest'),
    ]);
    let target: CommittedOffset[];
    if (request.to === 'earliest') target = earliest;
    else if (request.to === 'latest') target = latest;
    else if (request.to === 'timestamp')
      target = await admin.offsetsForTimestamp(topics, BigInt(request.timestamp ?? 0));
    else {
      // Clamped into [earliest, latest] per partition, as kafka-consumer-groups --to-offset does.
      const low = new Map(earliest.map((o) => [`${o.topic}\u0000${o.partition}`, o.offset]));
      const wanted = BigInt(request.offset ?? 0);
      target = latest.map((o) => {
        const min = low.get(`${o.topic}\u0000${o.partition}`) ?? 0n;
        const offset = wanted < min ? min : wanted > o.offset ? o.offset : wanted;
        return { topic: o.topic, partition: o.partition, offset };
      });
    }
    const previous = new Map(committed.map((c) => [`${c.topic}\u0000${c.partition}`, c.offset]));
    if (!dryRun) await admin.commitOffsets(groupId, group.coordinatorId, target);
    return {
      groupId,
      dryRun,
      partitions: target
        .map((t) => {
          const before = previous.get(`${t.topic}\u0000${t.partition}`);
          return {
            topic: t.topic,
            partition: t.partition,
            ...(before !== undefined ? { previousOffset: Number(before) } : {}),
            newOffset: Number(t.offset),
          };
        })
        .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition),
    };
  });
}

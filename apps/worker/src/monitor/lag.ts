/**
 * Consumer lag computed with the Kafka protocol, as Burrow and MSK compute it: for every group that is
 * STABLE or EMPTY, its committed offsets (OffsetFetch at the group's coordinator) against each
 * partition's log end offset (ListOffsets at the leader; the high watermark, what a read_uncommitted
 * consumer can reach). OffsetLag = end − committed (0 when nothing is left, never negative).
 * EstimatedTimeLag is the age of the oldest unconsumed record: one record is fetched at the committed
 * offset and its timestamp is subtracted from now (MSK: "time lag in seconds").
 *
 * A partition of a topic the group consumes (it committed another partition of it) that has no
 * committed offset yet counts from the log start offset: everything in it is still to be read (what a
 * consumer with auto.offset.reset=earliest does; kafka-consumer-groups shows "-" there instead). Such a
 * partition is reported with committedOffset -1. Without this, a group that has not yet committed on
 * one of its partitions would look caught up there.
 */
import {
  AdminClient,
  type AdminClientOptions,
  ApiKey,
  type Connection,
  connect,
  decodeBatches,
  decodeRecords,
  defaultFetchRequest,
  defaultFetchRequestFetchPartition,
  defaultFetchRequestFetchTopic,
  defaultOffsetFetchRequest,
  KafkaError,
  TimestampType,
} from '@flotilla/protocol';
import type { ClusterEndpoint } from '../kafka/cluster-endpoint.js';

export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  /** -1 when the group has committed nothing on this partition yet (lag then counts from the log start). */
  readonly committedOffset: number;
  readonly logEndOffset: number;
  readonly offsetLag: number;
  /** Seconds since the oldest unconsumed record was written; 0 when the group is caught up. */
  readonly estimatedTimeLag: number;
}

export interface TopicLag {
  readonly topic: string;
  readonly sumOffsetLag: number;
  readonly maxOffsetLag: number;
  readonly estimatedMaxTimeLag: number;
  readonly partitions: PartitionLag[];
}

export interface GroupLag {
  readonly groupId: string;
  /** Kafka's state name (Stable, Empty, ...). */
  readonly state: string;
  readonly sumOffsetLag: number;
  readonly maxOffsetLag: number;
  readonly estimatedMaxTimeLag: number;
  readonly topics: TopicLag[];
}

/** Kafka states whose committed offsets describe a consumer that is (or was) keeping up. */
const MEASURED_STATES = new Set(['stable', 'empty']);

export interface LagOptions {
  /** How the control plane reaches the cluster (kafka/cluster-endpoint.ts). */
  readonly endpoint: ClusterEndpoint;
  /** Only these groups (the consumer-group route asks for one); all STABLE/EMPTY groups otherwise. */
  readonly groupIds?: readonly string[];
  readonly now?: () => number;
  readonly connection?: Omit<AdminClientOptions, 'bootstrap' | 'sasl'>;
}

/** Lag of every STABLE/EMPTY group (or of `groupIds`, whatever their state), over one set of connections. */
export async function computeConsumerLag(options: LagOptions): Promise<GroupLag[]> {
  const now = options.now ?? Date.now;
  const connectionOptions = {
    clientId: 'flotilla-monitor',
    connectTimeoutMs: 3_000,
    requestTimeoutMs: 10_000,
    ...options.connection,
    ...(options.endpoint.sasl ? { sasl: options.endpoint.sasl } : {}),
  };
  const admin = new AdminClient({ bootstrap: options.endpoint.bootstrap, retries: 1, ...connectionOptions });
  const connections = new Map<number, Promise<Connection>>();
  try {
    const metadata = await admin.metadata();
    const brokers = new Map(metadata.brokers.map((b) => [b.nodeId, b]));
    const leaders = new Map<string, number>();
    for (const t of metadata.topics)
      for (const p of t.partitions) leaders.set(`${t.name}\u0000${p.partition}`, p.leader);
    const brokerConnection = (nodeId: number): Promise<Connection> => {
      let c = connections.get(nodeId);
      if (!c) {
        const b = brokers.get(nodeId);
        if (!b) throw new Error(`broker ${nodeId} is not in the cluster metadata`);
        c = connect({ host: b.host, port: b.port, ...connectionOptions });
        c.catch(() => connections.delete(nodeId));
        connections.set(nodeId, c);
      }
      return c;
    };

    let groupIds: string[];
    if (options.groupIds) groupIds = [...options.groupIds];
    else {
      const listed = (await admin.listGroups()).filter((g) => g.protocolType === 'consumer' || g.protocolType === '');
      // ListGroups v4+ names the state; older brokers need DescribeGroups.
      const unknownState = listed.filter((g) => g.state === '').map((g) => g.groupId);
      const described = unknownState.length ? await admin.describeGroups(unknownState) : [];
      const states = new Map([
        ...listed.map((g) => [g.groupId, g.state] as const),
        ...described.map((g) => [g.groupId, g.state] as const),
      ]);
      groupIds = [...states].filter(([, state]) => MEASURED_STATES.has(state.toLowerCase())).map(([id]) => id);
    }
    if (groupIds.length === 0) return [];
    const descriptions = await admin.describeGroups(groupIds);

    const committedByGroup = await Promise.all(
      descriptions.map(async (group) => {
        const coordinator = await brokerConnection(group.coordinatorId);
        // v7: one group, all topics (null); later versions only batch groups, which we do not need.
        const response = await coordinator.request(
          ApiKey.OffsetFetch,
          { ...defaultOffsetFetchRequest(), groupId: group.groupId, topics: null, requireStable: false },
          { version: Math.min(7, coordinator.versionFor(ApiKey.OffsetFetch) ?? 7) },
        );
        if (response.errorCode !== 0)
          throw new KafkaError(response.errorCode, `OffsetFetch for group "${group.groupId}"`);
        const committed: { topic: string; partition: number; offset: bigint }[] = [];
        for (const t of response.topics)
          for (const p of t.partitions) {
            if (p.errorCode !== 0) throw new KafkaError(p.errorCode, `OffsetFetch ${t.name}-${p.partitionIndex}`);
            if (p.committedOffset >= 0n)
              committed.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset });
          }
        return committed;
      }),
    );

    const topics = [...new Set(committedByGroup.flat().map((c) => c.topic))].filter((t) =>
      metadata.topics.some((m) => m.name === t),
    );
    const ends = new Map<string, bigint>();
    const starts = new Map<string, bigint>();
    if (topics.length) {
      const [latest, earliest] = await Promise.all([
        admin.listOffsets(topics, 'latest'),
        admin.listOffsets(topics, 'earliest'),
      ]);
      for (const o of latest) ends.set(`${o.topic}\u0000${o.partition}`, o.offset);
      for (const o of earliest) starts.set(`${o.topic}\u0000${o.partition}`, o.offset);
    }
    // Partitions of consumed topics without a commit: counted from the log start (see the header).
    for (const committed of committedByGroup) {
      const seen = new Set(committed.map((c) => `${c.topic}\u0000${c.partition}`));
      for (const topic of new Set(committed.map((c) => c.topic))) {
        for (const p of metadata.topics.find((t) => t.name === topic)?.partitions ?? []) {
          const key = `${topic}\u0000${p.partition}`;
          if (!seen.has(key)) committed.push({ topic, partition: p.partition, offset: -1n });
        }
      }
    }

    const timestampCache = new Map<string, Promise<number | null>>();
    const recordTimestamp = (topic: string, partition: number, offset: bigint): Promise<number | null> => {
      const key = `${topic}\u0000${partition}\u0000${offset}`;
      let ts = timestampCache.get(key);
      if (!ts) {
        ts = fetchRecordTimestamp(
          brokerConnection,
          leaders.get(`${topic}\u0000${partition}`) ?? -1,
          topic,
          partition,
          offset,
        );
        timestampCache.set(key, ts);
      }
      return ts;
    };

    return await Promise.all(
      descriptions.map(async (group, i) => {
        const committed = committedByGroup[i] ?? [];
        const partitions = await Promise.all(
          committed
            .filter((c) => ends.has(`${c.topic}\u0000${c.partition}`))
            .map(async (c): Promise<PartitionLag> => {
              const end = ends.get(`${c.topic}\u0000${c.partition}`) as bigint;
              const from = c.offset >= 0n ? c.offset : (starts.get(`${c.topic}\u0000${c.partition}`) ?? 0n);
              const lag = end > from ? Number(end - from) : 0;
              let timeLag = 0;
              if (lag > 0) {
                const ts = await recordTimestamp(c.topic, c.partition, from);
                if (ts !== null) timeLag = Math.max(0, (now() - ts) / 1000);
              }
              return {
                topic: c.topic,
                partition: c.partition,
                committedOffset: Number(c.offset),
                logEndOffset: Number(end),
                offsetLag: lag,
                estimatedTimeLag: timeLag,
              };
            }),
        );
        const byTopic = new Map<string, PartitionLag[]>();
        for (const p of partitions.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)) {
          byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p]);
        }
        const topicLags: TopicLag[] = [...byTopic].map(([topic, ps]) => ({
          topic,
          sumOffsetLag: ps.reduce((s, p) => s + p.offsetLag, 0),
          maxOffsetLag: Math.max(0, ...ps.map((p) => p.offsetLag)),
          estimatedMaxTimeLag: Math.max(0, ...ps.map((p) => p.estimatedTimeLag)),
          partitions: ps,
        }));
        return {
          groupId: group.groupId,
          state: group.state,
          sumOffsetLag: topicLags.reduce((s, t) => s + t.sumOffsetLag, 0),
          maxOffsetLag: Math.max(0, ...topicLags.map((t) => t.maxOffsetLag)),
          estimatedMaxTimeLag: Math.max(0, ...topicLags.map((t) => t.estimatedMaxTimeLag)),
          topics: topicLags,
        };
      }),
    );
  } finally {
    await admin.close();
    await Promise.all(
      [...connections.values()].map((c) =>
        c.then(
          (x) => x.close(),
          () => undefined,
        ),
      ),
    );
  }
}

/**
 * The timestamp (ms) of the record at `offset`, fetched from the partition's leader; null when the
 * record is gone (deleted by retention: the lag is then measured from the log start, which we skip).
 */
async function fetchRecordTimestamp(
  brokerConnection: (nodeId: number) => Promise<Connection>,
  leader: number,
  topic: string,
  partition: number,
  offset: bigint,
): Promise<number | null> {
  if (leader < 0) return null;
  const connection = await brokerConnection(leader);
  // v11: topics by name (v13+ wants topic ids) and no fetch session (sessionEpoch -1).
  const response = await connection.request(
    ApiKey.Fetch,
    {
      ...defaultFetchRequest(),
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 1,
      maxBytes: 1024 * 1024,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          ...defaultFetchRequestFetchTopic(),
          topic,
          partitions: [
            { ...defaultFetchRequestFetchPartition(), partition, fetchOffset: offset, partitionMaxBytes: 1024 * 1024 },
          ],
        },
      ],
      forgottenTopicsData: [],
      rackId: '',
    },
    { version: Math.min(11, connection.versionFor(ApiKey.Fetch) ?? 11) },
  );
  const data = response.responses[0]?.partitions[0];
  if (data?.errorCode !== 0 || !data.records) return null;
  for (const batch of decodeBatches(data.records).batches) {
    if (batch.magic !== 2) continue;
    const header = batch.header;
    const last = header.baseOffset + BigInt(header.lastOffsetDelta);
    if (last < offset) continue;
    if (header.timestampType === TimestampType.LOG_APPEND_TIME) return Number(header.maxTimestamp);
    for (const record of decodeRecords(batch)) {
      if (header.baseOffset + BigInt(record.offsetDelta) >= offset) {
        return Number(header.baseTimestamp) + record.timestampDelta;
      }
    }
  }
  return null;
}

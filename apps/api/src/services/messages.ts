/**
 * Produce one message and read messages back, for the console's produce form and message browser
 * (issue 9). Requests go straight to the partition leader over @flotilla/protocol's Connection, with
 * versions pinned to ones that name topics (Produce v9, Fetch v12, ListOffsets v7: later versions of
 * Produce and Fetch address topics by id only). Reads are bounded: at most `limit` records, one Fetch
 * per partition, nothing waits for new data.
 */
import {
  type AdminClient,
  ApiKey,
  type Connection,
  connect,
  decodeBatches,
  decodeRecords,
  ErrorCode,
  encodeBatch,
  KafkaError,
} from '@flotilla/protocol';
import type { ClusterEndpoint } from '@flotilla/worker';
import { badRequest, notFound } from '../lib/errors.js';
import { withCluster } from './cluster-access.js';
import type { Services } from './context.js';

export interface ProduceMessage {
  readonly key?: string;
  readonly value: string;
  readonly partition?: number;
  readonly headers?: Record<string, string>;
}

export interface ReadMessagesQuery {
  /** earliest (default), latest (the last `limit` records of each partition), offset, timestamp. */
  readonly from?: 'earliest' | 'latest' | 'offset' | 'timestamp';
  readonly partition?: number;
  readonly offset?: number;
  /** ISO 8601 or epoch milliseconds. */
  readonly timestamp?: string;
  /** Only records whose key contains this text. */
  readonly key?: string;
  readonly limit?: number;
}

export interface BrowsedMessage {
  partition: number;
  offset: string;
  timestamp: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

const FETCH_BYTES = 1 << 20;
const utf8 = (b: Buffer | null) => (b === null ? null : b.toString('utf8'));

/** Kafka's default partitioner for keyed records: murmur2(key) & 0x7fffffff mod partitions. */
export function murmur2(data: Buffer): number {
  const m = 0x5bd1e995;
  let h = (0x9747b28c ^ data.length) | 0;
  const len4 = data.length & ~3;
  for (let i = 0; i < len4; i += 4) {
    let k = data.readInt32LE(i);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const left = data.length & 3;
  if (left === 3) h ^= (data[len4 + 2] ?? 0) << 16;
  if (left >= 2) h ^= (data[len4 + 1] ?? 0) << 8;
  if (left >= 1) {
    h ^= data[len4] ?? 0;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h;
}

async function leaders(admin: AdminClient, topic: string) {
  const metadata = await admin.metadata([topic]);
  const t = metadata.topics.find((x) => x.name === topic);
  if (!t || t.partitions.length === 0) throw notFound(`Topic ${topic} does not exist`, 'topicName');
  const brokers = new Map(metadata.brokers.map((b) => [b.nodeId, b]));
  return t.partitions.map((p) => ({ partition: p.partition, leader: brokers.get(p.leader) }));
}

async function onLeader<T>(
  endpoint: ClusterEndpoint,
  broker: { host: string; port: number } | undefined,
  use: (c: Connection) => Promise<T>,
): Promise<T> {
  if (!broker) throw new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, 'partition has no leader');
  const connection = await connect({
    host: broker.host,
    port: broker.port,
    clientId: 'flotilla-console',
    ...(endpoint.sasl ? { sasl: endpoint.sasl } : {}),
  });
  try {
    return await use(connection);
  } finally {
    await connection.close();
  }
}

export async function produceMessage(s: Services, arn: string, topic: string, message: ProduceMessage) {
  return withCluster(s, arn, { mutation: false }, async (clusterAdmin) => {
    const partitions = await leaders(clusterAdmin.admin, topic);
    const key = message.key === undefined ? null : Buffer.from(message.key);
    const partition =
      message.partition ??
      (key ? (murmur2(key) & 0x7fffffff) % partitions.length : Math.floor(Math.random() * partitions.length));
    const target = partitions.find((p) => p.partition === partition);
    if (!target) throw badRequest(`Topic ${topic} has no partition ${partition}`, 'partition');
    const records = encodeBatch({
      baseTimestamp: BigInt(Date.now()),
      records: [
        {
          attributes: 0,
          timestampDelta: 0,
          offsetDelta: 0,
          key,
          value: Buffer.from(message.value),
          headers: Object.entries(message.headers ?? {}).map(([k, v]) => ({ key: k, value: Buffer.from(v) })),
        },
      ],
    });
    const response = await onLeader(clusterAdmin.endpoint, target.leader, (c) =>
      c.request(
        ApiKey.Produce,
        {
          transactionalId: null,
          acks: -1,
          timeoutMs: 10_000,
          topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
        },
        { version: 9 },
      ),
    );
    const result = response?.responses[0]?.partitionResponses[0];
    if (!result) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, 'empty produce response');
    if (result.errorCode !== 0)
      throw new KafkaError(result.errorCode, result.errorMessage ?? `produce to ${topic}-${partition}`);
    return { partition, offset: result.baseOffset.toString() };
  });
}

export async function readMessages(s: Services, arn: string, topic: string, query: ReadMessagesQuery) {
  const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
  const from = query.from ?? 'earliest';
  if (from === 'offset' && query.offset === undefined) throw badRequest('from=offset needs offset', 'offset');
  const at =
    from === 'timestamp'
      ? /^\d+$/.test(query.timestamp ?? '')
        ? Number(query.timestamp)
        : Date.parse(query.timestamp ?? '')
      : 0;
  if (from === 'timestamp' && !Number.isFinite(at))
    throw badRequest('from=timestamp needs an ISO 8601 or epoch-ms timestamp', 'timestamp');
  return withCluster(s, arn, { mutation: false }, async (clusterAdmin) => {
    const all = await leaders(clusterAdmin.admin, topic);
    const chosen = query.partition === undefined ? all : all.filter((p) => p.partition === query.partition);
    if (chosen.length === 0) throw badRequest(`Topic ${topic} has no partition ${query.partition}`, 'partition');
    const perPartition = await Promise.all(
      chosen.map(({ partition, leader }) =>
        onLeader(clusterAdmin.endpoint, leader, async (c) => {
          const list = async (timestamp: bigint) => {
            const r = await c.request(
              ApiKey.ListOffsets,
              {
                replicaId: -1,
                isolationLevel: 0,
                topics: [
                  {
                    name: topic,
                    partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }],
                  },
                ],
                timeoutMs: 10_000,
              },
              { version: 7 },
            );
            const p = r.topics[0]?.partitions[0];
            if (!p || p.errorCode !== 0)
              throw new KafkaError(p?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR, `offsets of ${topic}-${partition}`);
            return p.offset;
          };
          const earliest = await list(-2n);
          const latest = await list(-1n);
          let start =
            from === 'earliest'
              ? earliest
              : from === 'latest'
                ? latest - BigInt(limit)
                : from === 'offset'
                  ? BigInt(query.offset ?? 0)
                  : await list(BigInt(at));
          if (start < earliest) start = earliest;
          if (start < 0n || start >= latest) return [];
          const response = await c.request(
            ApiKey.Fetch,
            {
              clusterId: null,
              replicaId: -1,
              replicaState: { replicaId: -1, replicaEpoch: -1n },
              maxWaitMs: 0,
              minBytes: 0,
              maxBytes: FETCH_BYTES,
              isolationLevel: 0,
              sessionId: 0,
              sessionEpoch: -1,
              topics: [
                {
                  topic,
                  topicId: '',
                  partitions: [
                    {
                      partition,
                      currentLeaderEpoch: -1,
                      fetchOffset: start,
                      lastFetchedEpoch: -1,
                      logStartOffset: -1n,
                      partitionMaxBytes: FETCH_BYTES,
                      replicaDirectoryId: '',
                    },
                  ],
                },
              ],
              forgottenTopicsData: [],
              rackId: '',
            },
            { version: 12 },
          );
          const data = response.responses[0]?.partitions[0];
          if (!data) return [];
          if (data.errorCode !== 0) throw new KafkaError(data.errorCode, `fetch ${topic}-${partition}`);
          const out: BrowsedMessage[] = [];
          for (const batch of decodeBatches(data.records ?? Buffer.alloc(0)).batches) {
            if (batch.magic !== 2 || batch.header.isControl) continue;
            for (const r of decodeRecords(batch)) {
              const offset = batch.header.baseOffset + BigInt(r.offsetDelta);
              if (offset < start) continue;
              const key = utf8(r.key);
              if (query.key && !key?.includes(query.key)) continue;
              out.push({
                partition,
                offset: offset.toString(),
                timestamp: new Date(Number(batch.header.baseTimestamp) + r.timestampDelta).toISOString(),
                key,
                value: utf8(r.value),
                headers: Object.fromEntries(r.headers.map((h) => [h.key, utf8(h.value) ?? ''])),
              });
              if (out.length >= limit) return out;
            }
          }
          return out;
        }),
      ),
    );
    const messages = perPartition
      .flat()
      .sort((a, b) => a.timestamp.localeCompare(b.timestamp) || a.partition - b.partition);
    return { messages: messages.slice(0, limit) };
  });
}

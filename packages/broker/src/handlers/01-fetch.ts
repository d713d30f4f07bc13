/**
 * Fetch (key 1), v0-17; v0-3 (message formats v0/v1) are this v4 read down-converted, in
 * 01-fetch-legacy.ts. Consumers read whole batches below the high watermark, with long polling
 * (max.wait.ms until min.bytes are readable), a response limit (max.bytes) and per-partition limits; the
 * first partition with data returns at least one batch even when it is larger than the limits (KIP-74).
 * Topics are named up to v12 and given by id from v13. Incremental fetch sessions (KIP-227, v7+) are
 * kept in the broker's FetchSessionCache (replica/fetch-session.ts): an incremental request reads every
 * partition of its session and is answered with those that have news. read_committed (isolation level
 * 1) reads below the last stable offset and gets the aborted transactions of the range it read.
 *
 * Followers fetch with their broker id (ReplicaId up to v14, ReplicaState from v15): they read up to
 * the log end offset, their fetch offset updates the leader's view of them (high watermark, ISR), and
 * a log that parts from the leader's at their last fetched epoch (v12+) gets the diverging epoch
 * instead of records. NOT_LEADER_OR_FOLLOWER and FENCED_LEADER_EPOCH carry the current leader and its
 * endpoint (v12+/v16+, KIP-951), so clients need no metadata round trip. Fetching from followers
 * (KIP-392) is not offered: preferredReadReplica is always -1. A consumer fetching v4-9 from a topic
 * with compression.type=zstd gets UNSUPPORTED_COMPRESSION_TYPE, as from Kafka (KIP-110).
 *
 * Consumer byte-rate quotas (consumer_byte_rate): a consumer's fetch reads at most one quota window's
 * worth, and one that would go over its quota gets an empty response with throttle_time_ms, its
 * connection unread for that time (v8+, KIP-219; older versions get it that much later). Counted
 * bytes are the record sets' (Kafka counts the whole response; the headers are a few dozen bytes).
 */
import {
  ApiKey,
  defaultFetchResponse,
  defaultFetchResponsePartitionData,
  ErrorCode,
  type FetchResponseFetchableTopicResponse,
} from '@flotilla/protocol';
import { clientThrottles, quotaSession } from '../quota/client-quota-manager.js';
import { leaderHint } from '../replica/leader-hint.js';
import type { FetchPartitionRequest } from '../replica/replica-manager.js';
import { fetchDenial } from '../security/request-authorization.js';
import { FIRST_RECORD_BATCH_FETCH_VERSION, fetchLegacy } from './01-fetch-legacy.js';
import { defineHandler, type Handler } from './types.js';

const READ_COMMITTED = 1;
/** Consumers read zstd batches from v10 (KIP-110). */
const FIRST_ZSTD_FETCH_VERSION = 10;

const fetchHandler: Handler<typeof ApiKey.Fetch> = defineHandler({
  apiKey: ApiKey.Fetch,
  minVersion: 0,
  maxVersion: 17,
  async handle(ctx, request) {
    if (ctx.apiVersion < FIRST_RECORD_BATCH_FETCH_VERSION) return fetchLegacy(ctx, request, fetchHandler.handle);
    const { image, replicas, metrics, responseBuffers } = ctx.broker;
    const byId = ctx.apiVersion >= 13;
    const replicaId = ctx.apiVersion >= 15 ? request.replicaState.replicaId : request.replicaId;
    const session = ctx.broker.fetchSessions.newContext(request, ctx.apiVersion, replicaId >= 0);
    if (!('topics' in session)) return { ...defaultFetchResponse(), errorCode: session.errorCode, sessionId: 0 };
    const topics = session.topics;
    // Resolve names (or ids) first: unknown ones are answered without reading.
    const wanted: { topicIndex: number; partitionIndex: number; req: FetchPartitionRequest | null; error: number }[] =
      [];
    const reads: FetchPartitionRequest[] = [];
    // Followers need ClusterAction, consumers Read on each topic (checked once the name is known).
    const denial = fetchDenial(ctx, replicaId);
    // A consumer before v10 cannot read zstd (KIP-110): Kafka refuses a topic whose compression.type is
    // zstd without reading it (KafkaApis.maybeConvertFetchedData); followers are not refused.
    const zstdRefused = (topic: string) =>
      ctx.apiVersion < FIRST_ZSTD_FETCH_VERSION &&
      replicaId < 0 &&
      ctx.broker.topicConfigs.entry(topic, 'compression.type').value === 'zstd'
        ? ErrorCode.UNSUPPORTED_COMPRESSION_TYPE
        : 0;
    topics.forEach((t, topicIndex) => {
      const info = byId ? image.topicsById.get(t.topicId) : image.topics.get(t.topic);
      t.partitions.forEach((p, partitionIndex) => {
        if (!info) {
          wanted.push({
            topicIndex,
            partitionIndex,
            req: null,
            error: byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          });
          return;
        }
        const denied = denial(info.name) || zstdRefused(info.name);
        if (denied) {
          wanted.push({ topicIndex, partitionIndex, req: null, error: denied });
          return;
        }
        const req: FetchPartitionRequest = {
          topic: info.name,
          partition: p.partition,
          fetchOffset: Number(p.fetchOffset),
          currentLeaderEpoch: p.currentLeaderEpoch,
          maxBytes: p.partitionMaxBytes,
          lastFetchedEpoch: ctx.apiVersion >= 12 ? p.lastFetchedEpoch : -1,
        };
        reads.push(req);
        wanted.push({ topicIndex, partitionIndex, req, error: 0 });
      });
    });
    const readCommitted = request.isolationLevel === READ_COMMITTED;
    // consumer_byte_rate: a consumer reads at most what one quota window allows (Kafka's
    // getMaxValueInQuotaWindow); followers are never held back by client quotas.
    const quotas = ctx.broker.clientQuotas.fetch;
    const quotaUser = replicaId < 0 ? quotaSession(ctx.connection.principal, ctx.header.clientId) : null;
    const quotaMaxBytes = quotaUser ? Math.max(1, Math.floor(quotas.maxValueInQuotaWindow(quotaUser))) : Infinity;
    const results = await replicas.fetch(reads, {
      maxWaitMs: wanted.some((w) => w.error !== 0) ? 0 : request.maxWaitMs,
      minBytes: request.minBytes,
      maxBytes: Math.min(request.maxBytes, quotaMaxBytes),
      readCommitted,
      replicaId,
      allocate: (size) => responseBuffers.take(size),
    });
    if (quotaUser) {
      // Over quota, Kafka takes the bytes back and answers with no data and the throttle time
      // (FetchContext.getThrottledResponse): the session's cached positions stay as they were.
      const bytes = results.reduce((sum, r) => sum + (r.records?.length ?? 0), 0);
      const throttleTimeMs = quotas.recordAndGetThrottleTimeMs(quotaUser, bytes);
      if (throttleTimeMs > 0) {
        quotas.unrecord(quotaUser, bytes);
        ctx.throttle?.(throttleTimeMs, clientThrottles('fetch', ctx.apiVersion));
        return { ...defaultFetchResponse(), throttleTimeMs, sessionId: session.sessionId, responses: [] };
      }
    }
    const leaderHints = new Map<number, { host: string; port: number; rack: string | null }>();
    let next = 0;
    const responses: FetchResponseFetchableTopicResponse[] = topics.map((t) => ({
      topic: t.topic,
      topicId: t.topicId,
      partitions: [],
    }));
    for (const w of wanted) {
      const topic = responses[w.topicIndex] as FetchResponseFetchableTopicResponse;
      const partitionIndex = topics[w.topicIndex]?.partitions[w.partitionIndex]?.partition ?? -1;
      const base = { ...defaultFetchResponsePartitionData(), partitionIndex };
      if (!w.req) {
        // Empty records, not null: librdkafka cannot parse a null record set (Kafka sends MemoryRecords.EMPTY).
        topic.partitions.push({ ...base, errorCode: w.error, highWatermark: -1n, records: Buffer.alloc(0) });
        continue;
      }
      const r = results[next++];
      if (!r) continue;
      if (r.records && r.records.length > 0) metrics.recordFetch(w.req.topic, r.records.length);
      const hint = leaderHint(image, w.req.topic, w.req.partition, r.errorCode, ctx.connection.listenerName);
      if (hint?.endpoint) leaderHints.set(hint.leaderId, hint.endpoint);
      topic.partitions.push({
        ...base,
        ...(r.divergingEpoch
          ? { divergingEpoch: { epoch: r.divergingEpoch.epoch, endOffset: BigInt(r.divergingEpoch.endOffset) } }
          : {}),
        ...(hint ? { currentLeader: { leaderId: hint.leaderId, leaderEpoch: hint.leaderEpoch } } : {}),
        errorCode: r.errorCode,
        highWatermark: BigInt(r.highWatermark),
        lastStableOffset: BigInt(r.lastStableOffset),
        logStartOffset: BigInt(r.logStartOffset),
        abortedTransactions: readCommitted
          ? (r.abortedTransactions ?? []).map((a) => ({
              producerId: BigInt(a.producerId),
              firstOffset: BigInt(a.firstOffset),
            }))
          : null,
        records: r.records ?? Buffer.alloc(0),
      });
    }
    const nodeEndpoints = [...leaderHints].map(([nodeId, e]) => ({ nodeId, host: e.host, port: e.port, rack: e.rack }));
    return {
      ...defaultFetchResponse(),
      sessionId: session.sessionId,
      responses: session.finish(responses),
      nodeEndpoints,
    };
  },
});

export default fetchHandler;

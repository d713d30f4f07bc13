/**
 * Fetch (key 1), v4-17. Consumers read whole batches below the high watermark, with long polling
 * (max.wait.ms until min.bytes are readable), a response limit (max.bytes) and per-partition limits; the
 * first partition with data returns at least one batch even when it is larger than the limits (KIP-74).
 * Topics are named up to v12 and given by id from v13. Incremental fetch sessions (KIP-227) are not
 * offered: every response carries session id 0, which tells clients to keep sending full requests.
 */
import {
  ApiKey,
  defaultFetchResponse,
  defaultFetchResponsePartitionData,
  ErrorCode,
  type FetchResponseFetchableTopicResponse,
} from '@flotilla/protocol';
import type { FetchPartitionRequest } from '../replica/replica-manager.js';
import { defineHandler } from './types.js';

const READ_COMMITTED = 1;

export default defineHandler({
  apiKey: ApiKey.Fetch,
  minVersion: 4,
  maxVersion: 17,
  async handle(ctx, request) {
    const { image, replicas, metrics } = ctx.broker;
    const byId = ctx.apiVersion >= 13;
    if (request.sessionId !== 0) {
      return { ...defaultFetchResponse(), errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0 };
    }
    // Resolve names (or ids) first: unknown ones are answered without reading.
    const wanted: { topicIndex: number; partitionIndex: number; req: FetchPartitionRequest | null; error: number }[] =
      [];
    const reads: FetchPartitionRequest[] = [];
    request.topics.forEach((t, topicIndex) => {
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
        const req: FetchPartitionRequest = {
          topic: info.name,
          partition: p.partition,
          fetchOffset: Number(p.fetchOffset),
          currentLeaderEpoch: p.currentLeaderEpoch,
          maxBytes: p.partitionMaxBytes,
        };
        reads.push(req);
        wanted.push({ topicIndex, partitionIndex, req, error: 0 });
      });
    });
    const readCommitted = request.isolationLevel === READ_COMMITTED;
    const results = await replicas.fetch(reads, {
      maxWaitMs: wanted.some((w) => w.error !== 0) ? 0 : request.maxWaitMs,
      minBytes: request.minBytes,
      maxBytes: request.maxBytes,
      readCommitted,
    });
    let next = 0;
    const responses: FetchResponseFetchableTopicResponse[] = request.topics.map((t) => ({
      topic: t.topic,
      topicId: t.topicId,
      partitions: [],
    }));
    for (const w of wanted) {
      const topic = responses[w.topicIndex] as FetchResponseFetchableTopicResponse;
      const partitionIndex = request.topics[w.topicIndex]?.partitions[w.partitionIndex]?.partition ?? -1;
      const base = { ...defaultFetchResponsePartitionData(), partitionIndex };
      if (!w.req) {
        topic.partitions.push({ ...base, errorCode: w.error, highWatermark: -1n, records: null });
        continue;
      }
      const r = results[next++];
      if (!r) continue;
      if (r.records && r.records.length > 0) metrics.recordFetch(w.req.topic, r.records.length);
      topic.partitions.push({
        ...base,
        errorCode: r.errorCode,
        highWatermark: BigInt(r.highWatermark),
        lastStableOffset: BigInt(r.lastStableOffset),
        logStartOffset: BigInt(r.logStartOffset),
        abortedTransactions: readCommitted ? [] : null,
        records: r.records ?? Buffer.alloc(0),
      });
    }
    return { ...defaultFetchResponse(), sessionId: 0, responses };
  },
});

import {
  defaultFetchRequest,
  defaultFetchRequestFetchPartition,
  defaultFetchResponsePartitionData,
  type FetchRequest,
  type FetchResponseFetchableTopicResponse,
} from '@flotilla/protocol';
import { describe, expect, it } from 'vitest';
import { type FetchContext, FetchSessionCache } from './fetch-session.js';

function request(
  sessionId: number,
  sessionEpoch: number,
  partitions: [string, number, number][],
  forgotten: [string, number][] = [],
): FetchRequest {
  const topics = new Map<string, FetchRequest['topics'][number]>();
  for (const [topic, partition, offset] of partitions) {
    const t = topics.get(topic) ?? { topic, topicId: '', partitions: [] };
    t.partitions.push({ ...defaultFetchRequestFetchPartition(), partition, fetchOffset: BigInt(offset) });
    topics.set(topic, t);
  }
  return {
    ...defaultFetchRequest(),
    sessionId,
    sessionEpoch,
    topics: [...topics.values()],
    forgottenTopicsData: forgotten.map(([topic, p]) => ({ topic, topicId: '', partitions: [p] })),
  };
}

/** A response with one partition per topic partition read, with the given high watermarks and records. */
function answer(ctx: FetchContext, hw: (topic: string, p: number) => number, data: [string, number][] = []) {
  if (!('topics' in ctx)) throw new Error(`error ${ctx.errorCode}`);
  const responses: FetchResponseFetchableTopicResponse[] = ctx.topics.map((t) => ({
    topic: t.topic,
    topicId: t.topicId,
    partitions: t.partitions.map((p) => ({
      ...defaultFetchResponsePartitionData(),
      partitionIndex: p.partition,
      highWatermark: BigInt(hw(t.topic, p.partition)),
      lastStableOffset: BigInt(hw(t.topic, p.partition)),
      logStartOffset: 0n,
      records: data.some(([dt, dp]) => dt === t.topic && dp === p.partition) ? Buffer.alloc(70) : Buffer.alloc(0),
    })),
  }));
  return ctx.finish(responses).flatMap((t) => t.partitions.map((p) => `${t.topic}-${p.partitionIndex}`));
}

const READS = (ctx: FetchContext) =>
  'topics' in ctx
    ? ctx.topics.flatMap((t) => t.partitions.map((p) => `${t.topic}-${p.partition}@${p.fetchOffset}`))
    : [];

describe('FetchSessionCache', () => {
  it('creates a session on a full fetch and answers incremental fetches with what changed', () => {
    const cache = new FetchSessionCache(() => 10);
    const full = cache.newContext(
      request(0, 0, [
        ['a', 0, 0],
        ['a', 1, 0],
        ['b', 0, 5],
      ]),
      12,
      false,
    );
    expect(answer(full, () => 5)).toEqual(['a-0', 'a-1', 'b-0']);
    const id = 'sessionId' in full ? full.sessionId : 0;
    expect(id).toBeGreaterThan(0);

    // Nothing changed: every partition is read, none is answered.
    const quiet = cache.newContext(request(id, 1, []), 12, false);
    expect(READS(quiet)).toEqual(['a-0@0', 'a-1@0', 'b-0@5']);
    expect(answer(quiet, () => 5)).toEqual([]);

    // The client moved on in a-0; a-1's high watermark moved; b-0 has records.
    const next = cache.newContext(request(id, 2, [['a', 0, 5]]), 12, false);
    expect(READS(next)).toEqual(['a-0@5', 'a-1@0', 'b-0@5']);
    expect(answer(next, (t, p) => (t === 'a' && p === 1 ? 6 : 5), [['b', 0]])).toEqual(['a-1', 'b-0']);

    // Forgotten partitions leave the session.
    const forget = cache.newContext(request(id, 3, [], [['a', 1]]), 12, false);
    expect(READS(forget)).toEqual(['a-0@5', 'b-0@5']);
    expect(cache.partitionCount(id)).toBe(2);
  });

  it('rejects unknown sessions, wrong epochs and a switch between topic names and ids', () => {
    const cache = new FetchSessionCache(() => 10);
    const full = cache.newContext(request(0, 0, [['a', 0, 0]]), 12, false);
    answer(full, () => 0);
    const id = 'sessionId' in full ? full.sessionId : 0;
    expect(cache.newContext(request(id + 1, 1, []), 12, false)).toEqual({ errorCode: 70 }); // FETCH_SESSION_ID_NOT_FOUND
    expect(cache.newContext(request(id, 5, []), 12, false)).toEqual({ errorCode: 71 }); // INVALID_FETCH_SESSION_EPOCH
    expect(cache.newContext(request(id, 1, []), 13, false)).toEqual({ errorCode: 106 }); // FETCH_SESSION_TOPIC_ID_ERROR
    // The final epoch closes the session and reads sessionless.
    const last = cache.newContext(request(id, -1, [['a', 0, 0]]), 12, false);
    expect('sessionId' in last && last.sessionId).toBe(0);
    expect(cache.size).toBe(0);
  });

  it('refuses new sessions when full unless one is stale, or a follower displaces a consumer', () => {
    let now = 0;
    const cache = new FetchSessionCache(
      () => 1,
      () => now,
    );
    const first = cache.newContext(request(0, 0, [['a', 0, 0]]), 12, false);
    expect('sessionId' in first && first.sessionId).toBeGreaterThan(0);
    const refused = cache.newContext(request(0, 0, [['a', 0, 0]]), 12, false);
    expect('sessionId' in refused && refused.sessionId).toBe(0); // served sessionless
    const follower = cache.newContext(request(0, 0, [['a', 0, 0]]), 12, true);
    expect('sessionId' in follower && follower.sessionId).toBeGreaterThan(0);
    now = 200_000;
    const afterIdle = cache.newContext(request(0, 0, [['b', 0, 0]]), 12, false);
    expect('sessionId' in afterIdle && afterIdle.sessionId).toBeGreaterThan(0);
    expect(cache.size).toBe(1);
  });
});

/**
 * Incremental fetch sessions (KIP-227) over the wire against the real broker binary, with the
 * protocol package's client sending Fetch v12 the way the Java consumer's FetchSessionHandler does:
 * a full fetch opens a session, incremental fetches carry only changes and are answered with only the
 * partitions that have news, forgotten partitions leave, epochs are checked, epoch -1 closes it, and
 * max.incremental.fetch.session.cache.slots bounds the cache. None of the clients installed here
 * (librdkafka, kafkajs, kafka-python 2.0) uses sessions, so the requests are built by hand.
 */
import {
  ApiKey,
  type Connection,
  defaultFetchRequest,
  defaultFetchRequestFetchPartition,
  ErrorCode,
  encodeBatch,
  type FetchRequest,
} from '@flotilla/protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import { useConnectedBroker } from './harness.js';

const V = { version: 12 };

function fetchRequest(
  sessionId: number,
  sessionEpoch: number,
  partitions: [number, number][],
  forgotten: number[] = [],
): FetchRequest {
  return {
    ...defaultFetchRequest(),
    replicaId: -1,
    maxWaitMs: 50,
    minBytes: 1,
    maxBytes: 1 << 20,
    sessionId,
    sessionEpoch,
    topics:
      partitions.length === 0
        ? []
        : [
            {
              topic: 'sessions',
              topicId: '',
              partitions: partitions.map(([partition, offset]) => ({
                ...defaultFetchRequestFetchPartition(),
                partition,
                fetchOffset: BigInt(offset),
                partitionMaxBytes: 1 << 20,
              })),
            },
          ],
    forgottenTopicsData: forgotten.length === 0 ? [] : [{ topic: 'sessions', topicId: '', partitions: forgotten }],
  };
}

describe('fetch sessions', () => {
  let conn: Connection;
  const started = useConnectedBroker({ 'max.incremental.fetch.session.cache.slots': '1' }, 'session-test');
  beforeAll(async () => {
    conn = started().conn;
    const created = await conn.request(ApiKey.CreateTopics, {
      topics: [{ name: 'sessions', numPartitions: 3, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 10_000,
      validateOnly: false,
    });
    expect(created.topics[0]?.errorCode).toBe(0);
  });

  const produce = async (partition: number, value: string) => {
    const records = encodeBatch({
      baseTimestamp: BigInt(Date.now()),
      records: [
        { attributes: 0, timestampDelta: 0, offsetDelta: 0, key: null, value: Buffer.from(value), headers: [] },
      ],
    });
    const r = await conn.request(ApiKey.Produce, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 5000,
      topicData: [{ name: 'sessions', partitionData: [{ index: partition, records }] }],
    });
    expect(r?.responses[0]?.partitionResponses[0]?.errorCode).toBe(0);
  };
  const partitionsIn = (r: { responses: { partitions: { partitionIndex: number }[] }[] }) =>
    r.responses.flatMap((t) => t.partitions.map((p) => p.partitionIndex)).sort();

  it('opens a session, answers only partitions with news, forgets, checks epochs and closes', async () => {
    await produce(0, 'a');
    const full = await conn.request(
      ApiKey.Fetch,
      fetchRequest(0, 0, [
        [0, 0],
        [1, 0],
        [2, 0],
      ]),
      V,
    );
    expect(full.errorCode).toBe(0);
    expect(full.sessionId).toBeGreaterThan(0);
    expect(partitionsIn(full)).toEqual([0, 1, 2]);
    const id = full.sessionId;

    // The client moved to offset 1 in partition 0; nothing else changed: an empty answer.
    const quiet = await conn.request(ApiKey.Fetch, fetchRequest(id, 1, [[0, 1]]), V);
    expect(quiet.errorCode).toBe(0);
    expect(quiet.sessionId).toBe(id);
    expect(partitionsIn(quiet)).toEqual([]);

    // New records in partition 2, which the request does not even name: the session reads it.
    await produce(2, 'b');
    const news = await conn.request(ApiKey.Fetch, fetchRequest(id, 2, []), V);
    expect(partitionsIn(news)).toEqual([2]);
    expect(news.responses[0]?.partitions[0]?.records?.length).toBeGreaterThan(0);

    // Partition 2 is forgotten: later records there are not fetched.
    await conn.request(ApiKey.Fetch, fetchRequest(id, 3, [], [2]), V);
    await produce(2, 'c');
    const forgotten = await conn.request(ApiKey.Fetch, fetchRequest(id, 4, []), V);
    expect(partitionsIn(forgotten)).toEqual([]);

    const stale = await conn.request(ApiKey.Fetch, fetchRequest(id, 4, []), V);
    expect(stale.errorCode).toBe(ErrorCode.INVALID_FETCH_SESSION_EPOCH);
    const unknown = await conn.request(ApiKey.Fetch, fetchRequest(id + 1, 1, []), V);
    expect(unknown.errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);

    const closing = await conn.request(ApiKey.Fetch, fetchRequest(id, -1, [[0, 0]]), V);
    expect(closing.sessionId).toBe(0);
    expect(partitionsIn(closing)).toEqual([0]);
    const closed = await conn.request(ApiKey.Fetch, fetchRequest(id, 5, []), V);
    expect(closed.errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
  });

  it('serves a full fetch sessionless when the cache has no free slot', async () => {
    const first = await conn.request(ApiKey.Fetch, fetchRequest(0, 0, [[0, 0]]), V);
    expect(first.sessionId).toBeGreaterThan(0);
    const second = await conn.request(ApiKey.Fetch, fetchRequest(0, 0, [[1, 0]]), V);
    expect(second.errorCode).toBe(0);
    expect(second.sessionId).toBe(0); // max.incremental.fetch.session.cache.slots=1, and the first is in use
    expect(partitionsIn(second)).toEqual([1]);
  });
});

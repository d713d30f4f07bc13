/**
 * A read_committed fetch long-polls on the last stable offset, not the high watermark (Kafka's
 * DelayedFetch measures min.bytes from the LSO for READ_COMMITTED): appends inside an open transaction
 * do not wake it into an early empty answer; the transaction's commit does, at once. A kafkajs
 * transactional producer writes; the fetch is sent by hand (isolation level 1) to time it.
 */
import {
  ApiKey,
  type Connection,
  defaultFetchRequest,
  defaultFetchRequestFetchPartition,
  type FetchRequest,
} from '@flotilla/protocol';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useConnectedBroker } from './harness.js';

const TOPIC = 'rc-poll';

function readCommittedFetch(offset: number, maxWaitMs: number): FetchRequest {
  return {
    ...defaultFetchRequest(),
    replicaId: -1,
    maxWaitMs,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel: 1,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic: TOPIC,
        topicId: '',
        partitions: [
          {
            ...defaultFetchRequestFetchPartition(),
            partition: 0,
            fetchOffset: BigInt(offset),
            partitionMaxBytes: 1 << 20,
          },
        ],
      },
    ],
  };
}

describe('read_committed long polling', () => {
  const started = useConnectedBroker(
    {
      'transaction.state.log.num.partitions': '1',
      'transaction.state.log.replication.factor': '1',
      'transaction.state.log.min.isr': '1',
    },
    'rc-poll-test',
  );
  let conn: Connection;
  let producer: Producer;

  beforeAll(async () => {
    const { broker } = started();
    conn = started().conn;
    const created = await conn.request(ApiKey.CreateTopics, {
      topics: [{ name: TOPIC, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 10_000,
      validateOnly: false,
    });
    expect(created.topics[0]?.errorCode).toBe(0);
    const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'rc-poll', logLevel: logLevel.NOTHING });
    producer = kafka.producer({ transactionalId: 'rc-poll-txn', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
  });

  it('waits out max.wait.ms while only an open transaction grows, and answers as soon as it commits', async () => {
    const txn = await producer.transaction();
    await txn.send({ topic: TOPIC, messages: [{ value: 'open-0' }] });

    // Appends inside the open transaction during the wait: the fetch must not wake for them.
    const maxWaitMs = 1500;
    const started = Date.now();
    const pending = conn.request(ApiKey.Fetch, readCommittedFetch(0, maxWaitMs), { version: 12 });
    for (let i = 1; i <= 5; i++) {
      await new Promise((r) => setTimeout(r, 150));
      await txn.send({ topic: TOPIC, messages: [{ value: `open-${i}` }] });
    }
    const quiet = await pending;
    const waited = Date.now() - started;
    const q = quiet.responses[0]?.partitions[0];
    expect(q?.errorCode).toBe(0);
    expect(q?.records?.length ?? 0).toBe(0); // nothing is stable yet
    expect(Number(q?.lastStableOffset)).toBe(0);
    expect(waited).toBeGreaterThanOrEqual(maxWaitMs - 50);

    // A long wait is cut short by the commit: the markers move the LSO past the transaction.
    const longWaitMs = 10_000;
    const t0 = Date.now();
    const woken = conn.request(ApiKey.Fetch, readCommittedFetch(0, longWaitMs), { version: 12 });
    await new Promise((r) => setTimeout(r, 300));
    await txn.commit();
    const answered = await woken;
    const took = Date.now() - t0;
    const a = answered.responses[0]?.partitions[0];
    expect(a?.errorCode).toBe(0);
    expect(a?.records?.length ?? 0).toBeGreaterThan(0);
    expect(Number(a?.lastStableOffset)).toBeGreaterThan(5);
    expect(took).toBeLessThan(longWaitMs / 2);
  }, 30_000);
});

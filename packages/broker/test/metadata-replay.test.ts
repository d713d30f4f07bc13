/**
 * A restarted broker replays its metadata log before it is caught up; the replica changes it replays
 * are history and must not touch today's logs. The case that lost acknowledged messages in the day-2
 * test (apps/api/test/day2.test.ts, partitions moved to broker 4 and back by scale-out and scale-in,
 * then a broker restarted): a replica moved away and back again since the last metadata snapshot had
 * its log deleted at each restart while the controller still counted it in the ISR, and once elected
 * leader it made the other replicas truncate to its empty log.
 *
 * Here, deterministically, on real processes (one controller, two broker-only nodes): partition
 * `moved` on brokers 2 and 3 takes 100 records, moves to [2] and back to [2, 3], takes 100 more; broker 2
 * shuts down (so 3 leads alone), broker 3 is SIGKILLed and started again, and all 200 records must
 * still be there.
 */
import { AdminClient, ApiKey, Connection } from '@flotilla/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type QuorumCluster, quorumCluster, run } from './harness.js';

async function eventually<T>(what: string, f: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await f();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

describe('a restarted broker replaying its metadata log', () => {
  let cluster: QuorumCluster;

  const partition = async () => {
    const admin = new AdminClient({ bootstrap: [cluster.bootstrap(1)], requestTimeoutMs: 5_000, retries: 0 });
    try {
      return (await admin.metadata(['moved'])).topics[0]?.partitions[0];
    } finally {
      await admin.close();
    }
  };

  async function reassign(replicas: number[]): Promise<void> {
    const conn = await Connection.open({ host: '127.0.0.1', port: cluster.node(1).port, requestTimeoutMs: 15_000 });
    try {
      const response = await conn.request(ApiKey.AlterPartitionReassignments, {
        timeoutMs: 10_000,
        topics: [{ name: 'moved', partitions: [{ partitionIndex: 0, replicas }] }],
      });
      expect(response.responses[0]?.partitions[0]?.errorCode).toBe(0);
    } finally {
      await conn.close();
    }
    const want = [...replicas].sort().join();
    await eventually(`moved on ${want}`, async () => {
      const p = await partition();
      return p && [...p.replicas].sort().join() === want && [...p.isr].sort().join() === want;
    });
  }

  const produce = (from: number, count: number) =>
    run(
      '/usr/bin/kcat',
      ['-P', '-b', cluster.bootstrap(1), '-t', 'moved', '-p', '0', '-X', 'acks=all'],
      `${Array.from({ length: count }, (_, i) => `r-${from + i}`).join('\n')}\n`,
    );

  beforeAll(async () => {
    cluster = await quorumCluster(
      1,
      {
        'offsets.topic.replication.factor': '1',
        'auto.create.topics.enable': 'false',
        'replica.fetch.wait.max.ms': '200',
        'auto.leader.rebalance.enable': 'false',
      },
      { brokerOnly: 2 },
    );
    await cluster.start();
    const admin = new AdminClient({ bootstrap: [cluster.bootstrap(1)], requestTimeoutMs: 15_000 });
    try {
      await eventually('three brokers', async () => (await admin.metadata([])).brokers.length === 3);
      await admin.createTopics([{ name: 'moved', assignments: [[2, 3]], configs: { 'min.insync.replicas': '1' } }]);
    } finally {
      await admin.close();
    }
    await eventually('a leader', async () => (await partition())?.leader === 2);
  }, 120_000);

  afterAll(async () => {
    await cluster?.close();
  });

  it('keeps the log of a replica that moved away and back, and loses no acknowledged record', async () => {
    await produce(0, 100);
    await reassign([2]);
    await reassign([2, 3]);
    await produce(100, 100);
    // Broker 2 leaves (controlled shutdown): broker 3 leads alone, with every record.
    await cluster.stop(2);
    await eventually('broker 3 leading', async () => {
      const p = await partition();
      return p?.leader === 3 && p.isr.join() === '3';
    });
    await cluster.stop(3, 'SIGKILL');
    await cluster.start([3]);
    await eventually('broker 3 leading again', async () => (await partition())?.leader === 3);
    const out = await run('/usr/bin/kcat', [
      '-C',
      '-b',
      cluster.bootstrap(3),
      '-t',
      'moved',
      '-p',
      '0',
      '-o',
      'beginning',
      '-e',
      '-q',
    ]);
    const records = out.split('\n').filter((l) => l.length > 0);
    expect(records).toHaveLength(200);
    expect(records[0]).toBe('r-0');
    expect(records[199]).toBe('r-199');
    expect(cluster.node(3).process?.output()).not.toMatch(/moved-0: this broker is no longer a replica/);
  }, 120_000);
});

/**
 * Replication between real broker processes on 127.0.0.1 with the Raft controller quorum (combined
 * broker and controller roles, harness.ts quorumCluster): a topic with replication factor 3 and
 * min.insync.replicas 2, an idempotent acks=all confluent-kafka producer writing throughout, and the
 * leader of each partition killed with SIGKILL in turn and restarted. Afterwards kcat must read every
 * acknowledged message exactly once and in order per partition, and the ISR must be whole again.
 *
 * The NOT_ENOUGH_REPLICAS case needs a controller quorum that outlives two dead brokers, so it runs on
 * five nodes with the topic placed on three of them: two of its three replicas die, the controller
 * (three voters left) fences them and the ISR shrinks to the leader alone.
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AdminClient, ApiKey, Connection, defaultProduceRequest, ErrorCode, encodeBatch } from '@flotilla/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { python, type QuorumCluster, quorumCluster, run, tempDir } from './harness.js';

const REPLICATION = {
  'metrics.port': '0',
  'default.replication.factor': '3',
  'min.insync.replicas': '2',
  'replica.lag.time.max.ms': '4000',
  'replica.fetch.wait.max.ms': '200',
  'replica.fetch.backoff.ms': '200',
  'auto.create.topics.enable': 'false',
};

async function eventually<T>(what: string, f: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
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

/** Partition states as broker `id` reports them in Metadata. */
async function partitions(cluster: QuorumCluster, id: number, topic: string) {
  const admin = new AdminClient({ bootstrap: [cluster.bootstrap(id)], requestTimeoutMs: 3000, retries: 0 });
  try {
    const md = await admin.metadata([topic]);
    return md.topics[0]?.partitions ?? [];
  } finally {
    await admin.close();
  }
}

async function metric(cluster: QuorumCluster, id: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${cluster.node(id).process?.metricsPort}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)`, 'm').exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

async function createTopic(cluster: QuorumCluster, via: number, topic: Parameters<AdminClient['createTopics']>[0][0]) {
  const admin = new AdminClient({ bootstrap: [cluster.bootstrap(via)], requestTimeoutMs: 15_000 });
  try {
    await admin.createTopics([topic]);
  } finally {
    await admin.close();
  }
}

/**
 * An idempotent acks=all confluent-kafka producer writing increasing integers round-robin to the
 * partitions until `stop()`, which returns what each partition acknowledged, in acknowledgement order.
 */
function backgroundProducer(bootstrap: string, topic: string, partitionCount: number) {
  const stopFile = join(tempDir('flotilla-producer-'), 'stop');
  const script = `
import json, os, time
from confluent_kafka import Producer
acked = {str(p): [] for p in range(${partitionCount})}
errors = []
def report(err, msg):
    if err is None: acked[str(msg.partition())].append(int(msg.value()))
    else: errors.append(err.name())
p = Producer({'bootstrap.servers': '${bootstrap}', 'acks': 'all', 'enable.idempotence': True,
              'message.timeout.ms': 120000, 'linger.ms': 5, 'retry.backoff.ms': 100,
              'topic.metadata.refresh.interval.ms': 1000})
i = 0
while not os.path.exists('${stopFile}'):
    for _ in range(20):
        p.produce('${topic}', value=str(i).encode(), partition=i % ${partitionCount}, on_delivery=report)
        i += 1
    p.poll(0.05)
left = p.flush(120)
print(json.dumps({'sent': i, 'unflushed': left, 'acked': acked, 'errors': errors}))
`;
  const child = spawn('/usr/bin/python3', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return {
    async stop(): Promise<{ sent: number; unflushed: number; acked: Record<string, number[]>; errors: string[] }> {
      writeFileSync(stopFile, '');
      const code = await exited;
      if (code !== 0) throw new Error(`producer exited with ${code}: ${err}`);
      return JSON.parse(out.trim().split('\n').pop() as string);
    },
    running: () => !existsSync(stopFile),
  };
}

describe('replication with real broker processes (3 nodes, RF 3, min.insync.replicas 2)', () => {
  let cluster: QuorumCluster;

  beforeAll(async () => {
    cluster = await quorumCluster(3, REPLICATION);
    await cluster.start();
  }, 60_000);

  afterAll(async () => {
    await cluster?.close();
  });

  it('keeps every acknowledged message exactly once and in order while each partition leader is SIGKILLed in turn', async () => {
    await createTopic(cluster, 1, { name: 'durable', numPartitions: 3, replicationFactor: 3 });
    await eventually('ISR of 3 everywhere', async () => {
      const ps = await partitions(cluster, 1, 'durable');
      return ps.length === 3 && ps.every((p) => p.isr.length === 3 && p.leader >= 0);
    });
    const producer = backgroundProducer([1, 2, 3].map((id) => cluster.bootstrap(id)).join(','), 'durable', 3);
    await new Promise((r) => setTimeout(r, 2000));
    const failoverMs: number[] = [];
    for (const partition of [0, 1, 2]) {
      const before = (await partitions(cluster, 1 + (partition % 3), 'durable'))[partition];
      const leader = before?.leader as number;
      const survivor = [1, 2, 3].find((id) => id !== leader) as number;
      const killedAt = Date.now();
      await cluster.stop(leader, 'SIGKILL');
      const after = await eventually(`a new leader for partition ${partition}`, async () => {
        const p = (await partitions(cluster, survivor, 'durable'))[partition];
        return p && p.leader >= 0 && p.leader !== leader ? p : undefined;
      });
      failoverMs.push(Date.now() - killedAt);
      expect(after.leaderEpoch).toBeGreaterThan(before?.leaderEpoch as number);
      expect(after.isr).not.toContain(leader);
      await new Promise((r) => setTimeout(r, 1000)); // writes go on with two replicas
      await cluster.start([leader]);
      await eventually(
        `broker ${leader} back in the ISR of partition ${partition}`,
        async () => (await partitions(cluster, survivor, 'durable'))[partition]?.isr.includes(leader),
        60_000,
      );
    }
    await new Promise((r) => setTimeout(r, 1000));
    const result = await producer.stop();
    console.log(
      `replication-cluster: sent ${result.sent}, acknowledged ${Object.values(result.acked).reduce((n, a) => n + a.length, 0)}, errors ${result.errors.length}, leader failover after SIGKILL (ms): ${failoverMs.join(', ')}`,
    );
    expect(result.unflushed).toBe(0);
    expect(result.errors).toEqual([]);

    const out = await run('/usr/bin/kcat', [
      '-b',
      [1, 2, 3].map((id) => cluster.bootstrap(id)).join(','),
      '-C',
      '-t',
      'durable',
      '-o',
      'beginning',
      '-e',
      '-f',
      '%p %s\n',
    ]);
    const consumed: Record<string, number[]> = { 0: [], 1: [], 2: [] };
    for (const line of out.split('\n')) {
      if (!line) continue;
      const [p, v] = line.split(' ');
      consumed[p as string]?.push(Number(v));
    }
    for (const p of ['0', '1', '2']) {
      const acked = result.acked[p] as number[];
      const got = consumed[p] as number[];
      expect(acked.length).toBeGreaterThan(0);
      // Exactly once and in order: what the partition holds is strictly increasing...
      expect(got.every((v, i) => i === 0 || v > (got[i - 1] as number))).toBe(true);
      // ...and holds every acknowledged message.
      const held = new Set(got);
      expect(acked.filter((v) => !held.has(v))).toEqual([]);
    }

    // Healed: the ISR is whole and no broker reports under-replicated partitions.
    await eventually('no under-replicated partitions', async () => {
      const counts = await Promise.all(
        [1, 2, 3].map((id) => metric(cluster, id, 'kafka_server_replicamanager_underreplicatedpartitions')),
      );
      return counts.every((c) => c === 0);
    });
    const final = await partitions(cluster, 1, 'durable');
    expect(final.map((p) => p.isr.length)).toEqual([3, 3, 3]);
  }, 240_000);

  it('a consumer group keeps consuming from its committed offsets while its coordinator is SIGKILLed', async () => {
    await createTopic(cluster, 1, { name: 'work', numPartitions: 3, replicationFactor: 3 });
    await eventually('ISR of 3', async () => (await partitions(cluster, 1, 'work')).every((p) => p.isr.length === 3));
    const all = Array.from({ length: 4000 }, (_, i) => i);
    const bootstrap = [1, 2, 3].map((id) => cluster.bootstrap(id)).join(',');
    await python(`
from confluent_kafka import Producer
p = Producer({'bootstrap.servers': '${bootstrap}', 'acks': 'all', 'enable.idempotence': True, 'linger.ms': 5})
for i in range(${all.length}):
    p.produce('work', value=str(i).encode(), partition=i % 3)
assert p.flush(60) == 0
`);
    // Consumes up to `limit` messages, committing synchronously every 50 (and at the end), retrying
    // commits that fail while the coordinator moves; prints what it consumed.
    const consumer = (limit: number, throttleMs: number) => `
import json, time
from confluent_kafka import Consumer, KafkaException
c = Consumer({'bootstrap.servers': '${bootstrap}', 'group.id': 'workers', 'enable.auto.commit': False,
              'auto.offset.reset': 'earliest', 'session.timeout.ms': 10000, 'topic.metadata.refresh.interval.ms': 1000})
c.subscribe(['work'])
got, errors, deadline, first_at = [], [], time.time() + 90, 0
def commit():
    for _ in range(100):
        try:
            c.commit(asynchronous=False); return
        except KafkaException as e:
            if e.args[0].name() == '_NO_OFFSET': return  # nothing new since the last commit
            errors.append(str(e.args[0].name())); time.sleep(0.2)
    raise RuntimeError('commit kept failing: ' + ','.join(errors[-5:]) + ' after ' + str(len(got)))
while len(got) < ${limit} and time.time() < deadline:
    m = c.poll(0.5)
    if m is None or m.error(): continue
    got.append(int(m.value()))
    if len(got) == 1: first_at = time.time()
    if ${throttleMs}: time.sleep(${throttleMs} / 1000)
    if len(got) % 50 == 0: commit()
commit()
c.close()
print(json.dumps({'got': got, 'errors': errors, 'firstAt': first_at * 1000, 'lastAt': time.time() * 1000}))
`;
    const first = JSON.parse((await python(consumer(2000, 0), 120_000)).trim().split('\n').pop() as string);
    expect(first.got).toHaveLength(2000);
    // The group coordinator: the leader of the group's __consumer_offsets partition.
    const conn = await Connection.open({ host: '127.0.0.1', port: cluster.node(1).port });
    let coordinator: number;
    try {
      const r = await conn.request(ApiKey.FindCoordinator, {
        key: 'workers',
        keyType: 0,
        coordinatorKeys: ['workers'],
      });
      coordinator = r.coordinators[0]?.nodeId ?? r.nodeId;
    } finally {
      await conn.close();
    }
    expect([1, 2, 3]).toContain(coordinator);
    const second = python(consumer(2000, 3), 150_000);
    await new Promise((r) => setTimeout(r, 3000));
    const killedAt = Date.now();
    await cluster.stop(coordinator, 'SIGKILL');
    const rest = JSON.parse((await second).trim().split('\n').pop() as string);
    await cluster.start([coordinator]);
    console.log(
      `replication-cluster: group consumer after coordinator ${coordinator} was killed: ${rest.got.length} messages, ${rest.got.length - new Set(rest.got).size} redelivered, commit retries: ${rest.errors.join(',') || 'none'}`,
    );
    // The coordinator died while the second consumer was consuming.
    expect(rest.firstAt).toBeLessThan(killedAt);
    expect(rest.lastAt).toBeGreaterThan(killedAt);
    // Nothing committed by the first consumer is consumed again, and nothing is missing.
    const committed = new Set<number>(first.got);
    expect(rest.got.filter((v: number) => committed.has(v))).toEqual([]);
    expect(new Set([...first.got, ...rest.got]).size).toBe(all.length);
  }, 240_000);

  it('moves a partition to other brokers with AlterPartitionReassignments sent to any broker', async () => {
    await createTopic(cluster, 1, { name: 'moving', assignments: [[1]], configs: { 'min.insync.replicas': '1' } });
    await eventually('partition led by 1', async () => (await partitions(cluster, 1, 'moving'))[0]?.leader === 1);
    const values = Array.from({ length: 500 }, (_, i) => `m-${i}`);
    await run(
      '/usr/bin/kcat',
      ['-P', '-b', cluster.bootstrap(1), '-t', 'moving', '-p', '0', '-X', 'acks=all'],
      `${values.join('\n')}\n`,
    );
    // Sent to broker 3, which forwards it to the active controller wherever that is.
    const conn = await Connection.open({ host: '127.0.0.1', port: cluster.node(3).port, requestTimeoutMs: 15_000 });
    try {
      const response = await conn.request(ApiKey.AlterPartitionReassignments, {
        timeoutMs: 10_000,
        topics: [{ name: 'moving', partitions: [{ partitionIndex: 0, replicas: [2, 3] }] }],
      });
      expect(response.responses[0]?.partitions[0]?.errorCode).toBe(0);
    } finally {
      await conn.close();
    }
    // Brokers 2 and 3 copy the log, join the ISR, and broker 1 leaves: the move completes by itself.
    const moved = await eventually('reassignment complete', async () => {
      const p = (await partitions(cluster, 2, 'moving'))[0];
      return p && [...p.replicas].sort().join() === '2,3' && [...p.isr].sort().join() === '2,3' ? p : undefined;
    });
    expect([2, 3]).toContain(moved.leader);
    const listing = await Connection.open({ host: '127.0.0.1', port: cluster.node(1).port });
    try {
      const listed = await listing.request(ApiKey.ListPartitionReassignments, { timeoutMs: 5000, topics: null });
      expect(listed.topics).toEqual([]);
    } finally {
      await listing.close();
    }
    const out = await run('/usr/bin/kcat', [
      '-b',
      cluster.bootstrap(2),
      '-C',
      '-t',
      'moving',
      '-p',
      '0',
      '-o',
      'beginning',
      '-e',
      '-f',
      '%s\n',
    ]);
    expect(out.split('\n').filter((l) => l)).toEqual(values);
  }, 120_000);
});

describe('replication with real broker processes: two of three replicas down (5-node quorum)', () => {
  let cluster: QuorumCluster;

  beforeAll(async () => {
    cluster = await quorumCluster(5, REPLICATION);
    await cluster.start();
  }, 90_000);

  afterAll(async () => {
    await cluster?.close();
  });

  async function produceOnce(leader: number, acks: number): Promise<number> {
    const conn = await Connection.open({
      host: '127.0.0.1',
      port: cluster.node(leader).port,
      requestTimeoutMs: 10_000,
    });
    try {
      const records = encodeBatch({
        baseTimestamp: BigInt(Date.now()),
        records: [
          { attributes: 0, timestampDelta: 0, offsetDelta: 0, key: null, value: Buffer.from('x'), headers: [] },
        ],
      });
      const response = await conn.request(ApiKey.Produce, {
        ...defaultProduceRequest(),
        acks,
        timeoutMs: 5000,
        topicData: [{ name: 'three', partitionData: [{ index: 0, records: Buffer.from(records) }] }],
      });
      return response?.responses[0]?.partitionResponses[0]?.errorCode ?? -1;
    } finally {
      await conn.close();
    }
  }

  it('refuses acks=all with NOT_ENOUGH_REPLICAS instead of accepting writes it cannot keep, then heals', async () => {
    await createTopic(cluster, 1, { name: 'three', assignments: [[1, 2, 3]] });
    await eventually('ISR of 3', async () => (await partitions(cluster, 1, 'three'))[0]?.isr.length === 3);
    expect(await produceOnce(1, -1)).toBe(0);
    await cluster.stop(2, 'SIGKILL');
    await cluster.stop(3, 'SIGKILL');
    // The controller fences both after broker.session.timeout.ms; they leave the ISR.
    await eventually(
      'ISR of the leader alone',
      async () => (await partitions(cluster, 1, 'three'))[0]?.isr.join() === '1',
    );
    expect(await produceOnce(1, -1)).toBe(ErrorCode.NOT_ENOUGH_REPLICAS);
    expect(await metric(cluster, 1, 'kafka_server_replicamanager_underminisrpartitioncount')).toBe(1);
    expect(await produceOnce(1, 1)).toBe(0); // acks=1 does not need the ISR
    await cluster.start([2, 3]);
    await eventually(
      'ISR of 3 again',
      async () => (await partitions(cluster, 1, 'three'))[0]?.isr.length === 3,
      60_000,
    );
    expect(await produceOnce(1, -1)).toBe(0);
    await eventually('UnderReplicatedPartitions 0', async () =>
      (await metric(cluster, 1, 'kafka_server_replicamanager_underreplicatedpartitions')) === 0 ? true : undefined,
    );
  }, 180_000);
});

describe('replication with real broker processes: produce latency while leaderships move', () => {
  // Followers long-poll their leaders for 3 s here: a follower that waited a parked fetch out before
  // fetching a partition newly led by that broker would hold acks=all produces there about as long.
  let cluster: QuorumCluster;

  beforeAll(async () => {
    cluster = await quorumCluster(3, {
      ...REPLICATION,
      'replica.fetch.wait.max.ms': '3000',
      'replica.lag.time.max.ms': '30000',
    });
    await cluster.start();
  }, 60_000);

  afterAll(async () => {
    await cluster?.close();
  });

  async function produceTo(leader: number, partition: number): Promise<{ errorCode: number; ms: number }> {
    const conn = await Connection.open({
      host: '127.0.0.1',
      port: cluster.node(leader).port,
      requestTimeoutMs: 10_000,
    });
    try {
      const records = encodeBatch({
        baseTimestamp: BigInt(Date.now()),
        records: [
          { attributes: 0, timestampDelta: 0, offsetDelta: 0, key: null, value: Buffer.from('x'), headers: [] },
        ],
      });
      const started = Date.now();
      const response = await conn.request(ApiKey.Produce, {
        ...defaultProduceRequest(),
        acks: -1,
        timeoutMs: 8000,
        topicData: [{ name: 'moving', partitionData: [{ index: partition, records: Buffer.from(records) }] }],
      });
      return { errorCode: response?.responses[0]?.partitionResponses[0]?.errorCode ?? -1, ms: Date.now() - started };
    } finally {
      await conn.close();
    }
  }

  it('answers acks=all at the new leaders at once right after a broker stopped with SIGTERM', async () => {
    // Each broker leads two partitions and follows the other two brokers.
    const assignments = [
      [1, 2, 3],
      [2, 3, 1],
      [3, 1, 2],
      [1, 3, 2],
      [2, 1, 3],
      [3, 2, 1],
    ];
    await createTopic(cluster, 1, { name: 'moving', assignments });
    await eventually('ISR of 3 everywhere', async () =>
      (await partitions(cluster, 1, 'moving')).every((p) => p.isr.length === 3 && p.leader === p.replicas[0]),
    );
    for (const [i, replicas] of assignments.entries()) {
      expect((await produceTo(replicas[0] as number, i)).errorCode).toBe(0);
    }
    // Idle now: every follower's fetch is parked at its leader.
    await new Promise((r) => setTimeout(r, 500));
    const admin = new AdminClient({ bootstrap: [cluster.bootstrap(1)], requestTimeoutMs: 3000 });
    const { controllerId } = await admin.describeCluster().finally(() => admin.close());
    const victim = [1, 2, 3].find((id) => id !== controllerId) as number;
    const other = [1, 2, 3].find((id) => id !== victim) as number;
    await cluster.stop(victim, 'SIGTERM');
    const moved = await partitions(cluster, other, 'moving');
    const latencies: number[] = [];
    for (const p of moved) {
      expect(p.leader).not.toBe(victim);
      const r = await produceTo(p.leader, p.partition);
      expect(r.errorCode).toBe(0);
      latencies.push(r.ms);
    }
    console.log(`acks=all right after broker ${victim} stopped: ${latencies.join(', ')} ms`);
    expect(Math.max(...latencies)).toBeLessThan(1000);
    await cluster.start([victim]);
  }, 120_000);
});

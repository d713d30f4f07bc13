/**
 * Consumer groups against the real broker, started in-process: kafkajs consumers sharing a topic and
 * rebalancing, committed offsets surviving a broker restart (read back from __consumer_offsets), kcat
 * (librdkafka) consuming as a balanced group and resuming from its commits, and the Python clients
 * (kafka-python; confluent-kafka as a static member) consuming and committing as groups.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Consumer, Kafka, logLevel } from 'kafkajs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type StartedBroker, startBroker } from '../src/broker.js';
import { BrokerConfig } from '../src/config/broker-config.js';
import { createLogger } from '../src/logger.js';
import { python, run } from './harness.js';

const dirs: string[] = [];
const running = new Set<StartedBroker>();

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-groups-'));
  dirs.push(dir);
  return dir;
}

async function start(logDir: string): Promise<{ broker: StartedBroker; bootstrap: string }> {
  const config = new BrokerConfig(
    new Map([
      ['node.id', '1'],
      ['listeners', 'PLAINTEXT://127.0.0.1:0'],
      ['log.dirs', logDir],
      ['offsets.topic.replication.factor', '1'],
      ['offsets.topic.num.partitions', '5'],
      ['group.initial.rebalance.delay.ms', '0'],
    ]),
  );
  const broker = await startBroker(config, createLogger('warn'));
  running.add(broker);
  return { broker, bootstrap: `127.0.0.1:${broker.listeners[0]?.boundPort}` };
}

async function stop(broker: StartedBroker): Promise<void> {
  running.delete(broker);
  await broker.close();
}

function client(bootstrap: string): Kafka {
  return new Kafka({
    brokers: [bootstrap],
    clientId: 'groups-test',
    logLevel: logLevel.NOTHING,
    retry: { retries: 20, initialRetryTime: 50, maxRetryTime: 500 },
  });
}

/** Short sessions and heartbeats, so that rebalances take well under a second. */
function consumer(kafka: Kafka, groupId: string): Consumer {
  return kafka.consumer({
    groupId,
    sessionTimeout: 6000,
    rebalanceTimeout: 4000,
    heartbeatInterval: 300,
    maxWaitTimeInMs: 100,
  });
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function produce(kafka: Kafka, topic: string, messages: { partition?: number; value: string }[]): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages });
  await producer.disconnect();
}

afterEach(async () => {
  for (const b of [...running]) await stop(b);
});

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('consumer groups', () => {
  it('kafkajs: two consumers share a topic, and one takes over all partitions when the other leaves', async () => {
    const { bootstrap } = await start(tempDir());
    const kafka = client(bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'shared', numPartitions: 4 }], waitForLeaders: true });

    const assigned = new Map<string, number[]>();
    const received = new Map<string, { partition: number; value: string }[]>();
    const startConsumer = async (name: string) => {
      const c = consumer(kafka, 'sharing');
      received.set(name, []);
      c.on(c.events.GROUP_JOIN, (e) => assigned.set(name, e.payload.memberAssignment.shared ?? []));
      await c.connect();
      await c.subscribe({ topic: 'shared', fromBeginning: true });
      await c.run({
        eachMessage: async ({ partition, message }) => {
          received.get(name)?.push({ partition, value: String(message.value) });
        },
      });
      return c;
    };

    const a = await startConsumer('a');
    await until('a owning all partitions', () => assigned.get('a')?.length === 4);
    const b = await startConsumer('b');
    await until(
      'the partitions split between a and b',
      () => assigned.get('a')?.length === 2 && assigned.get('b')?.length === 2,
    );
    expect([...(assigned.get('a') ?? []), ...(assigned.get('b') ?? [])].sort()).toEqual([0, 1, 2, 3]);

    const messages = Array.from({ length: 40 }, (_, i) => ({ partition: i % 4, value: `m${i}` }));
    await produce(kafka, 'shared', messages);
    const total = () => (received.get('a')?.length ?? 0) + (received.get('b')?.length ?? 0);
    await until('all 40 messages consumed', () => total() === 40);
    // Each consumer got exactly the messages of its own partitions.
    for (const name of ['a', 'b']) {
      const mine = new Set(assigned.get(name));
      expect(received.get(name)?.every((m) => mine.has(m.partition))).toBe(true);
    }

    const described = await admin.describeGroups(['sharing']);
    expect(described.groups[0]).toMatchObject({ groupId: 'sharing', state: 'Stable', protocolType: 'consumer' });
    expect(described.groups[0]?.members).toHaveLength(2);

    await b.disconnect(); // LeaveGroup: a rebalances at once
    await until('a owning all partitions again', () => assigned.get('a')?.length === 4);
    await produce(
      kafka,
      'shared',
      [0, 1, 2, 3].map((partition) => ({ partition, value: `after-${partition}` })),
    );
    await until(
      'a consuming every partition',
      () => (received.get('a') ?? []).filter((m) => m.value.startsWith('after-')).length === 4,
    );

    await a.disconnect();
    const listed = await admin.listGroups();
    expect(listed.groups).toContainEqual({ groupId: 'sharing', protocolType: 'consumer' });
    const offsets = await admin.fetchOffsets({ groupId: 'sharing', topics: ['shared'] });
    expect(offsets[0]?.partitions.map((p) => Number(p.offset)).reduce((x, y) => x + y, 0)).toBe(44);
    await admin.deleteGroups(['sharing']);
    expect((await admin.listGroups()).groups).toEqual([]);
    await admin.disconnect();
  });

  it('kafkajs: committed offsets survive a broker restart, and a consumer resumes after the last commit', async () => {
    const dir = tempDir();
    const first = await start(dir);
    let kafka = client(first.bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'durable', numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    await produce(
      kafka,
      'durable',
      Array.from({ length: 10 }, (_, i) => ({ value: `before-${i}` })),
    );

    const seen: string[] = [];
    const c1 = consumer(kafka, 'resuming');
    await c1.connect();
    await c1.subscribe({ topic: 'durable', fromBeginning: true });
    await c1.run({ eachMessage: async ({ message }) => void seen.push(String(message.value)) });
    await until('10 messages consumed', () => seen.length === 10);
    await c1.disconnect(); // commits what it consumed, then leaves
    await stop(first.broker);

    const second = await start(dir);
    kafka = client(second.bootstrap);
    const admin2 = kafka.admin();
    await admin2.connect();
    const committed = await admin2.fetchOffsets({ groupId: 'resuming', topics: ['durable'] });
    expect(committed[0]?.partitions).toEqual([{ partition: 0, offset: '10', metadata: null }]);
    await admin2.disconnect();
    await produce(
      kafka,
      'durable',
      Array.from({ length: 5 }, (_, i) => ({ value: `after-${i}` })),
    );

    const resumed: string[] = [];
    const c2 = consumer(kafka, 'resuming');
    await c2.connect();
    await c2.subscribe({ topic: 'durable', fromBeginning: true });
    await c2.run({ eachMessage: async ({ message }) => void resumed.push(String(message.value)) });
    await until('the 5 new messages consumed', () => resumed.length >= 5);
    await new Promise((r) => setTimeout(r, 300));
    expect(resumed).toEqual(Array.from({ length: 5 }, (_, i) => `after-${i}`));
    await c2.disconnect();
  });

  it('kcat -G: consumes as a balanced group, commits, and resumes from its commits', async () => {
    const { bootstrap } = await start(tempDir());
    const kafka = client(bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'kcat-group', numPartitions: 2 }], waitForLeaders: true });
    await produce(
      kafka,
      'kcat-group',
      Array.from({ length: 20 }, (_, i) => ({ partition: i % 2, value: `v${i}` })),
    );

    const kcat = () =>
      run(
        '/usr/bin/kcat',
        // Not -o: with -G it would override the committed offsets on every assignment.
        [
          ...['-b', bootstrap, '-G', 'kcat-consumers', 'kcat-group', '-e', '-q', '-f', '%p:%o:%s\\n'],
          ...['-X', 'auto.offset.reset=earliest', '-X', 'session.timeout.ms=6000'],
        ],
        undefined,
        30_000,
      );
    const lines = (out: string) => out.split('\n').filter((l) => l !== '');
    const firstRun = lines(await kcat());
    expect(firstRun).toHaveLength(20);
    expect(new Set(firstRun.map((l) => l.split(':')[2]))).toEqual(
      new Set(Array.from({ length: 20 }, (_, i) => `v${i}`)),
    );

    const committed = await admin.fetchOffsets({ groupId: 'kcat-consumers', topics: ['kcat-group'] });
    expect(committed[0]?.partitions.map((p) => p.offset).sort()).toEqual(['10', '10']);

    await produce(kafka, 'kcat-group', [
      { partition: 0, value: 'new-0' },
      { partition: 1, value: 'new-1' },
    ]);
    expect(lines(await kcat()).sort()).toEqual(['0:10:new-0', '1:10:new-1']);
    await admin.disconnect();
  });
  it('kafka-python and confluent-kafka (a static member) consume as groups and commit', async () => {
    const { bootstrap } = await start(tempDir());
    const kafka = client(bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'py-group', numPartitions: 1 }], waitForLeaders: true });
    await produce(
      kafka,
      'py-group',
      Array.from({ length: 10 }, (_, i) => ({ value: `v${i}` })),
    );

    const kafkaPython = await python(`
import json
from kafka import KafkaConsumer, TopicPartition
c = KafkaConsumer('py-group', bootstrap_servers='${bootstrap}', group_id='kafka-python', auto_offset_reset='earliest',
                  enable_auto_commit=False, session_timeout_ms=6000, heartbeat_interval_ms=500, consumer_timeout_ms=3000)
values = [m.value.decode() for m in c]
c.commit()
committed = c.committed(TopicPartition('py-group', 0))
c.close()
print(json.dumps({'values': values, 'committed': committed}))
`);
    expect(JSON.parse(kafkaPython.trim().split('\n').pop() as string)).toEqual({
      values: Array.from({ length: 10 }, (_, i) => `v${i}`),
      committed: 10,
    });

    const confluent = await python(`
import json, time
from confluent_kafka import Consumer, TopicPartition
c = Consumer({'bootstrap.servers': '${bootstrap}', 'group.id': 'confluent', 'group.instance.id': 'static-1',
              'auto.offset.reset': 'earliest', 'enable.auto.commit': False, 'session.timeout.ms': 6000})
c.subscribe(['py-group'])
values = []
deadline = time.time() + 20
while len(values) < 10 and time.time() < deadline:
    m = c.poll(0.2)
    if m is not None and not m.error():
        values.append(m.value().decode())
c.commit(asynchronous=False)
committed = c.committed([TopicPartition('py-group', 0)], timeout=10)[0].offset
c.close()
print(json.dumps({'values': values, 'committed': committed}))
`);
    expect(JSON.parse(confluent.trim().split('\n').pop() as string)).toEqual({
      values: Array.from({ length: 10 }, (_, i) => `v${i}`),
      committed: 10,
    });
    // The static member stays in the group after close (no LeaveGroup), under its instance id.
    const described = await admin.describeGroups(['confluent']);
    expect(described.groups[0]?.members.map((m) => m.memberId)).toEqual([expect.stringMatching(/^static-1-/)]);
    await admin.disconnect();
  });
});

/**
 * kafkajs (a pure JavaScript client) against the real broker binary: admin operations with real effect
 * (topics, partitions, configs, delete records, offsets by timestamp) and producers, idempotent included.
 */
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrokerProcess, removeDir, run, startBrokerProcess, tempDir } from './harness.js';

describe('kafkajs admin and producer', () => {
  let broker: BrokerProcess;
  let dir: string;
  let kafka: Kafka;

  beforeAll(async () => {
    dir = tempDir();
    broker = await startBrokerProcess({
      logDir: dir,
      overrides: { 'auto.create.topics.enable': 'false', 'log.retention.check.interval.ms': '300' },
    });
    kafka = new Kafka({
      brokers: [broker.bootstrap],
      clientId: 'kafkajs-test',
      logLevel: logLevel.NOTHING,
      retry: { retries: 2 },
    });
  });

  afterAll(async () => {
    await broker?.stop();
    removeDir(dir);
  });

  it('creates, lists, grows, describes and deletes topics', async () => {
    const admin = kafka.admin();
    await admin.connect();
    expect(await admin.createTopics({ topics: [{ topic: 'js-orders', numPartitions: 3 }], waitForLeaders: true })).toBe(
      true,
    );
    expect(await admin.createTopics({ topics: [{ topic: 'js-orders', numPartitions: 3 }] })).toBe(false);
    await expect(admin.createTopics({ topics: [{ topic: 'bad topic!', numPartitions: 1 }] })).rejects.toMatchObject({
      errors: [expect.objectContaining({ type: 'INVALID_TOPIC_EXCEPTION' })],
    });
    await admin.createPartitions({ topicPartitions: [{ topic: 'js-orders', count: 5 }] });
    const meta = await admin.fetchTopicMetadata({ topics: ['js-orders'] });
    expect(meta.topics[0]?.partitions).toHaveLength(5);
    expect(await admin.listTopics()).toContain('js-orders');
    const cluster = await admin.describeCluster();
    expect(cluster.brokers).toEqual([{ nodeId: 1, host: '127.0.0.1', port: broker.port }]);
    await admin.deleteTopics({ topics: ['js-orders'] });
    expect(await admin.listTopics()).not.toContain('js-orders');
    await admin.disconnect();
  });

  it('alters topic configs with real effect on retention', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: 'js-configs', numPartitions: 1, configEntries: [{ name: 'segment.bytes', value: '1024' }] }],
    });
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < 20; i++) {
      await producer.send({ topic: 'js-configs', messages: [{ value: 'x'.repeat(200) }] });
    }
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: 'js-configs',
          configEntries: [{ name: 'retention.bytes', value: '2048' }],
        },
      ],
    });
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: 'js-configs',
          configNames: ['retention.bytes', 'segment.bytes', 'cleanup.policy'],
        },
      ],
    });
    const entries = Object.fromEntries(
      described.resources[0]?.configEntries.map((e) => [e.configName, e.configValue]) ?? [],
    );
    // kafkajs uses the legacy AlterConfigs, which replaces every override: segment.bytes is back to default.
    expect(entries).toEqual({ 'retention.bytes': '2048', 'segment.bytes': '1073741824', 'cleanup.policy': 'delete' });
    const broker1 = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        { type: ConfigResourceTypes.BROKER, name: '1', configNames: ['auto.create.topics.enable', 'num.partitions'] },
      ],
    });
    // Retention runs in the background: old segments go and the log start offset moves.
    let low = '0';
    for (let i = 0; i < 50 && low === '0'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      low = (await admin.fetchTopicOffsets('js-configs'))[0]?.low ?? '0';
    }
    expect(Number(low)).toBeGreaterThan(0);
    expect(broker1.resources[0]?.configEntries.map((e) => [e.configName, e.configValue])).toEqual([
      ['num.partitions', '1'],
      ['auto.create.topics.enable', 'false'],
    ]);
    await producer.disconnect();
    await admin.disconnect();
  });

  it('deletes records and reads offsets by timestamp', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'js-records', numPartitions: 1 }] });
    const producer = kafka.producer();
    await producer.connect();
    const base = Date.now() - 60_000;
    await producer.send({
      topic: 'js-records',
      messages: Array.from({ length: 10 }, (_, i) => ({ value: `v${i}`, timestamp: String(base + i * 1000) })),
    });
    expect(await admin.fetchTopicOffsetsByTimestamp('js-records', base + 4500)).toEqual([
      { partition: 0, offset: '5' },
    ]);
    await admin.deleteTopicRecords({ topic: 'js-records', partitions: [{ partition: 0, offset: '4' }] });
    expect(await admin.fetchTopicOffsets('js-records')).toEqual([{ partition: 0, offset: '10', high: '10', low: '4' }]);
    const out = await run('/usr/bin/kcat', [
      '-b',
      broker.bootstrap,
      '-C',
      '-t',
      'js-records',
      '-o',
      'beginning',
      '-e',
      '-f',
      '%o:%s\n',
    ]);
    expect(out.trim().split('\n')[0]).toBe('4:v4');
    await producer.disconnect();
    await admin.disconnect();
  });

  it('runs an idempotent producer and refuses unknown topics when auto-creation is off', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'js-idem', numPartitions: 2 }] });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (let i = 0; i < 5; i++) {
      await producer.send({
        topic: 'js-idem',
        acks: -1,
        messages: Array.from({ length: 50 }, (_, j) => ({ key: `k${j}`, value: `${i}-${j}` })),
      });
    }
    const offsets = await admin.fetchTopicOffsets('js-idem');
    expect(offsets.reduce((n, p) => n + Number(p.high), 0)).toBe(250);
    const plain = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
    await plain.connect();
    await expect(plain.send({ topic: 'js-missing', messages: [{ value: 'x' }] })).rejects.toThrow(
      /does not host|not exist|UNKNOWN_TOPIC/i,
    );
    await plain.disconnect();
    await producer.disconnect();
    await admin.disconnect();
  });
});

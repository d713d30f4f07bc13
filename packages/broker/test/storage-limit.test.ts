/**
 * log.dirs.max.bytes (Flotilla's key, the broker's volume size; issue 7): a real broker process whose
 * logs reach the limit refuses produce with KAFKA_STORAGE_ERROR (what Kafka clients see when a
 * broker's log directory fails on a full disk), the records already written stay readable, and once
 * retention deletes old segments, produce succeeds again.
 */
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrokerProcess, removeDir, startBrokerProcess, tempDir } from './harness.js';

const LIMIT = 200_000;
let broker: BrokerProcess;
const dir = tempDir();

beforeAll(async () => {
  broker = await startBrokerProcess({
    logDir: dir,
    overrides: { 'log.dirs.max.bytes': String(LIMIT), 'log.retention.check.interval.ms': '300' },
  });
});

afterAll(async () => {
  await broker?.stop();
  removeDir(dir);
});

describe('the storage limit', () => {
  it('refuses produce with KAFKA_STORAGE_ERROR when full, keeps what it has, and accepts again after retention', async () => {
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        {
          topic: 'full',
          numPartitions: 1,
          replicationFactor: 1,
          configEntries: [{ name: 'segment.bytes', value: '20000' }],
        },
      ],
      waitForLeaders: true,
    });
    const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
    await producer.connect();
    const value = 'x'.repeat(10_000);
    let accepted = 0;
    let refusal: unknown;
    for (let i = 0; i < 40 && !refusal; i++) {
      try {
        await producer.send({ topic: 'full', acks: -1, messages: [{ value }] });
        accepted++;
      } catch (error) {
        refusal = error;
      }
    }
    // Retriable in Kafka, so kafkajs wraps it once its (zero) retries are spent.
    const refused = refusal as { type?: string; cause?: { type?: string } };
    expect(refused.cause?.type ?? refused.type).toBe('KAFKA_STORAGE_ERROR');
    expect(accepted).toBeGreaterThan(10);
    expect(accepted * value.length).toBeLessThanOrEqual(LIMIT);

    // Everything acknowledged is still readable: the refusal wrote nothing.
    const offsets = await admin.fetchTopicOffsets('full');
    expect(Number(offsets[0]?.high)).toBe(accepted);

    // Retention down to ~3 segments: old segments go and produce works again.
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        { type: ConfigResourceTypes.TOPIC, name: 'full', configEntries: [{ name: 'retention.bytes', value: '60000' }] },
      ],
    });
    let again = false;
    for (let i = 0; i < 50 && !again; i++) {
      await new Promise((r) => setTimeout(r, 200));
      again = await producer
        .send({ topic: 'full', acks: -1, messages: [{ value }] })
        .then(() => true)
        .catch(() => false);
    }
    expect(again).toBe(true);
    const after = await admin.fetchTopicOffsets('full');
    expect(Number(after[0]?.low)).toBeGreaterThan(0);
    await producer.disconnect();
    await admin.disconnect();
  });

  it('is a per-broker dynamic config: raising it with AlterConfigs lets produce in at once, no restart', async () => {
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const admin = kafka.admin();
    await admin.connect();
    const setLimit = (bytes: number) =>
      admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: ConfigResourceTypes.BROKER,
            name: '1',
            configEntries: [{ name: 'log.dirs.max.bytes', value: String(bytes) }],
          },
        ],
      });
    await admin.createTopics({
      topics: [{ topic: 'grow', numPartitions: 1, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
    await producer.connect();
    const value = 'y'.repeat(10_000);
    const send = () =>
      producer
        .send({ topic: 'grow', acks: -1, messages: [{ value }] })
        .then(() => null)
        .catch((e: { type?: string; cause?: { type?: string } }) => e.cause?.type ?? e.type ?? 'error');
    // Shrink it below what the logs hold now: produce is refused.
    await setLimit(50_000);
    let refusal: string | null = null;
    for (let i = 0; i < 20 && refusal === null; i++) refusal = await send();
    expect(refusal).toBe('KAFKA_STORAGE_ERROR');
    const pid = broker.pid;

    // Grow it: the very next produce is accepted, by the same process.
    await setLimit(50_000_000);
    expect(await send()).toBeNull();
    expect(broker.pid).toBe(pid);
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.BROKER, name: '1', configNames: ['log.dirs.max.bytes'] }],
    });
    expect(described.resources[0]?.configEntries[0]).toMatchObject({
      configName: 'log.dirs.max.bytes',
      configValue: '50000000',
    });
    await producer.disconnect();
    await admin.disconnect();
  });
});

/**
 * A compacted topic through the whole broker, started in-process: kafkajs produces keyed records and
 * tombstones (idempotently), the log cleaner compacts the partition's log, and a kafkajs consumer reads
 * the compacted log from the beginning across the offset gaps.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StartedBroker, startBroker } from '../broker.js';
import { BrokerConfig } from '../config/broker-config.js';
import { createLogger } from '../logger.js';
import { LogCleaner } from './cleaner.js';

const TOPIC = 'compacted-settings';

describe('a compacted topic through the broker', () => {
  let dir: string;
  let broker: StartedBroker;
  let kafka: Kafka;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cleaner-broker-'));
    broker = await startBroker(brokerConfig(dir), createLogger('warn'));
    kafka = client(broker);
  });

  afterAll(async () => {
    await broker?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the latest value of each key after compaction, at the original offsets', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic: TOPIC,
          numPartitions: 1,
          configEntries: [
            { name: 'cleanup.policy', value: 'compact' },
            { name: 'segment.bytes', value: '1024' },
            { name: 'min.cleanable.dirty.ratio', value: '0.01' },
            { name: 'delete.retention.ms', value: '3600000' },
          ],
        },
      ],
    });
    await admin.disconnect();
    expect(broker.services.topicConfigs.logConfig(TOPIC)).toMatchObject({
      compact: true,
      minCleanableDirtyRatio: 0.01,
      deleteRetentionMs: 3_600_000,
      minCompactionLagMs: 0,
      maxCompactionLagMs: Number.POSITIVE_INFINITY,
    });

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const produced: Consumed[] = [];
    for (let i = 0; i < 60; i++) {
      const key = `key-${i % 6}`;
      const value = i === 58 ? null : `value-${i}`; // key-4's last record is a tombstone
      const [meta] = await producer.send({ topic: TOPIC, messages: [{ key, value }] });
      produced.push({ offset: Number(meta?.baseOffset), key, value });
    }

    const partition = broker.services.replicas.get(TOPIC, 0);
    if (!partition) throw new Error('partition not hosted');
    const log = partition.log;
    const segmentsBefore = log.segmentCount;
    expect(segmentsBefore).toBeGreaterThan(3);
    const cleaner = new LogCleaner(createLogger('warn'));
    const cleaned = cleaner.cleanFilthiest([{ key: `${TOPIC}-0`, log, highWatermark: partition.highWatermark }]);
    expect(cleaned?.stats.recordsRemoved).toBeGreaterThan(0);
    expect(log.segmentCount).toBeLessThan(segmentsBefore);

    // What a consumer must see: in the cleaned range the last record of each key (tombstones kept for
    // delete.retention.ms), and everything from the active segment on.
    const activeBase = log.segmentList.at(-1)?.baseOffset ?? 0;
    const lastInCleaned = new Map<string, number>();
    for (const r of produced) if (r.offset < activeBase) lastInCleaned.set(r.key, r.offset);
    const expected = produced.filter((r) => r.offset >= activeBase || lastInCleaned.get(r.key) === r.offset);
    expect(expected.length).toBeLessThan(produced.length);

    // The idempotent producer's sequence survives the cleaning.
    const [after] = await producer.send({ topic: TOPIC, messages: [{ key: 'key-0', value: 'after-cleaning' }] });
    expected.push({ offset: Number(after?.baseOffset), key: 'key-0', value: 'after-cleaning' });
    await producer.disconnect();

    const seen = await consumeAll(kafka, 'cleaner-test-group', expected.length);
    expect(seen).toEqual(expected);

    // After a restart the compacted log is recovered from disk and reads the same.
    await broker.close();
    broker = await startBroker(brokerConfig(dir), createLogger('warn'));
    kafka = client(broker);
    const reread = await consumeAll(kafka, 'cleaner-test-after-restart', expected.length);
    expect(reread).toEqual(expected);
  });
});

function brokerConfig(logDir: string): BrokerConfig {
  return new BrokerConfig(
    new Map([
      ['node.id', '1'],
      ['listeners', 'PLAINTEXT://127.0.0.1:0'],
      ['log.dirs', logDir],
      ['offsets.topic.replication.factor', '1'],
      ['offsets.topic.num.partitions', '1'],
      ['group.initial.rebalance.delay.ms', '0'],
    ]),
  );
}

function client(started: StartedBroker): Kafka {
  return new Kafka({
    brokers: [`127.0.0.1:${started.listeners[0]?.boundPort}`],
    clientId: 'cleaner-test',
    logLevel: logLevel.NOTHING,
  });
}

interface Consumed {
  offset: number;
  key: string;
  value: string | null;
}

/** Consumes TOPIC from the beginning in a new group until `count` records arrived. */
async function consumeAll(kafka: Kafka, groupId: string, count: number): Promise<Consumed[]> {
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  const seen: Consumed[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`consumed ${seen.length} of ${count}`)), 20_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          seen.push({
            offset: Number(message.offset),
            key: message.key?.toString() ?? '',
            value: message.value === null ? null : message.value.toString(),
          });
          if (seen.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

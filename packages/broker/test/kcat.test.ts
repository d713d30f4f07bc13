/**
 * The real broker binary driven by kcat (librdkafka 2.x): metadata, produce with every compression
 * codec (stored as sent, or re-encoded in a topic's compression.type), consume back in order per partition, and data surviving a clean restart and
 * a SIGKILL with log.flush.interval.messages=1.
 */
import {
  ApiKey,
  CompressionType,
  connect,
  decodeBatches,
  defaultFetchRequest,
  defaultFetchRequestFetchPartition,
} from '@flotilla/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrokerProcess, removeDir, run, startBrokerProcess, tempDir } from './harness.js';

const KCAT = '/usr/bin/kcat';

function kcat(bootstrap: string, args: string[], input?: string): Promise<string> {
  return run(KCAT, ['-b', bootstrap, '-X', 'topic.metadata.refresh.interval.ms=500', ...args], input, 60_000);
}

describe('kcat against the broker', () => {
  let broker: BrokerProcess;
  let dir: string;

  beforeAll(async () => {
    dir = tempDir();
    broker = await startBrokerProcess({
      logDir: dir,
      overrides: { 'num.partitions': '3', 'log.flush.interval.messages': '1' },
    });
  });

  afterAll(async () => {
    await broker?.stop();
    removeDir(dir);
  });

  it('lists metadata with the broker and auto-created topics', async () => {
    await kcat(broker.bootstrap, ['-P', '-t', 'meta-check', '-p', '0'], 'x\n');
    const json = JSON.parse(await kcat(broker.bootstrap, ['-L', '-J', '-t', 'meta-check'])) as {
      brokers: { id: number; name: string }[];
      topics: { topic: string; partitions: { partition: number; leader: number }[] }[];
    };
    expect(json.brokers).toEqual([{ id: 1, name: broker.bootstrap }]);
    expect(json.topics[0]?.topic).toBe('meta-check');
    expect(json.topics[0]?.partitions.map((p) => p.leader)).toEqual([1, 1, 1]);
  });

  for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
    it(`produces keyed messages compressed with ${codec} and consumes them back in order per partition`, async () => {
      const topic = `keyed-${codec}`;
      const lines = Array.from({ length: 300 }, (_, i) => `key-${i % 7}:value-${i}`);
      await kcat(broker.bootstrap, ['-P', '-t', topic, '-K', ':', '-z', codec], `${lines.join('\n')}\n`);
      const out = await kcat(broker.bootstrap, ['-C', '-t', topic, '-o', 'beginning', '-e', '-f', '%p %o %k %s\n']);
      const rows = out
        .trim()
        .split('\n')
        .map((l) => l.split(' '))
        .map(([p, o, k, v]) => ({ partition: Number(p), offset: Number(o), key: k as string, value: v as string }));
      expect(rows).toHaveLength(300);
      // Every key lives in one partition, and within a partition values keep their produce order.
      const partitionOfKey = new Map<string, number>();
      for (const r of rows) {
        expect(partitionOfKey.get(r.key) ?? r.partition).toBe(r.partition);
        partitionOfKey.set(r.key, r.partition);
      }
      for (const p of new Set(rows.map((r) => r.partition))) {
        const inPartition = rows.filter((r) => r.partition === p);
        expect(inPartition.map((r) => r.offset)).toEqual(inPartition.map((_, i) => i));
        const sent = lines
          .filter((l) => partitionOfKey.get(l.split(':')[0] as string) === p)
          .map((l) => l.split(':')[1]);
        expect(inPartition.map((r) => r.value)).toEqual(sent);
      }
    });
  }

  it("re-encodes produced batches in the topic's compression.type; kcat reads them back", async () => {
    const conn = await connect({ host: '127.0.0.1', port: broker.port, clientId: 'kcat-test' });
    try {
      const cases = [
        { topic: 'as-gzip', type: 'gzip', sent: 'snappy', stored: CompressionType.GZIP },
        { topic: 'as-zstd', type: 'zstd', sent: 'none', stored: CompressionType.ZSTD },
        { topic: 'as-plain', type: 'uncompressed', sent: 'lz4', stored: CompressionType.NONE },
        { topic: 'as-sent', type: 'producer', sent: 'lz4', stored: CompressionType.LZ4 },
      ];
      const created = await conn.request(ApiKey.CreateTopics, {
        topics: cases.map((c) => ({
          name: c.topic,
          numPartitions: 1,
          replicationFactor: 1,
          assignments: [],
          configs: [{ name: 'compression.type', value: c.type }],
        })),
        timeoutMs: 10_000,
        validateOnly: false,
      });
      expect(created.topics.map((t) => t.errorCode)).toEqual([0, 0, 0, 0]);
      const lines = Array.from({ length: 200 }, (_, i) => `k${i % 5}:value-${i}-${'x'.repeat(i % 40)}`);
      for (const c of cases) {
        await kcat(
          broker.bootstrap,
          ['-P', '-t', c.topic, '-p', '0', '-K', ':', '-z', c.sent],
          `${lines.join('\n')}\n`,
        );
        const out = await kcat(broker.bootstrap, ['-C', '-t', c.topic, '-o', 'beginning', '-e', '-f', '%o %k:%s\n']);
        expect(out.trim().split('\n')).toEqual(lines.map((l, i) => `${i} ${l}`));
        const fetched = await conn.request(
          ApiKey.Fetch,
          {
            ...defaultFetchRequest(),
            replicaId: -1,
            maxWaitMs: 0,
            minBytes: 0,
            topics: [
              {
                topic: c.topic,
                topicId: '',
                partitions: [{ ...defaultFetchRequestFetchPartition(), partition: 0, partitionMaxBytes: 1 << 20 }],
              },
            ],
          },
          { version: 12 },
        );
        const { batches } = decodeBatches(fetched.responses[0]?.partitions[0]?.records ?? Buffer.alloc(0));
        expect(batches.length).toBeGreaterThan(0);
        for (const b of batches) expect(b.magic === 2 && b.header.compression).toBe(c.stored);
      }
    } finally {
      await conn.close();
    }
  });

  it('consumes megabytes of records intact across partitions (record sets written from their own buffers)', async () => {
    // Fetch responses carry each partition's records as a separate chunk of one vectored write; with
    // CRC checks on, a byte out of place in any chunk fails the consume.
    const topic = 'large-fetch';
    const lines = Array.from({ length: 6000 }, (_, i) => `key-${i % 11}:${i}-${String(i).repeat(400).slice(0, 1000)}`);
    await kcat(broker.bootstrap, ['-P', '-t', topic, '-K', ':', '-X', 'linger.ms=50'], `${lines.join('\n')}\n`);
    const out = await kcat(broker.bootstrap, [
      '-C',
      '-t',
      topic,
      '-o',
      'beginning',
      '-e',
      '-X',
      'check.crcs=true',
      '-f',
      '%p %o %s\n',
    ]);
    const rows = out
      .trim()
      .split('\n')
      .map((l) => l.split(' '))
      .map(([p, o, v]) => ({ partition: Number(p), offset: Number(o), value: v as string }));
    expect(rows.map((r) => r.value).sort()).toEqual(lines.map((l) => l.split(':')[1]).sort());
    for (const p of new Set(rows.map((r) => r.partition))) {
      const inPartition = rows.filter((r) => r.partition === p);
      expect(inPartition.map((r) => r.offset)).toEqual(inPartition.map((_, i) => i));
    }
  });

  it('reads from any offset and reports the end of partition', async () => {
    const topic = 'offsets';
    await kcat(
      broker.bootstrap,
      ['-P', '-t', topic, '-p', '1'],
      `${Array.from({ length: 50 }, (_, i) => `m${i}`).join('\n')}\n`,
    );
    const out = await kcat(broker.bootstrap, ['-C', '-t', topic, '-p', '1', '-o', '42', '-e', '-f', '%o:%s\n']);
    expect(out.trim().split('\n')).toEqual(Array.from({ length: 8 }, (_, i) => `${42 + i}:m${42 + i}`));
  });

  it('keeps every acknowledged message across SIGTERM and SIGKILL restarts', async () => {
    const topic = 'durable';
    await kcat(
      broker.bootstrap,
      ['-P', '-t', topic, '-p', '0'],
      `${Array.from({ length: 100 }, (_, i) => `a${i}`).join('\n')}\n`,
    );
    await broker.stop('SIGTERM');
    broker = await startBrokerProcess({
      logDir: dir,
      port: broker.port,
      overrides: { 'num.partitions': '3', 'log.flush.interval.messages': '1' },
    });
    await kcat(
      broker.bootstrap,
      ['-P', '-t', topic, '-p', '0'],
      `${Array.from({ length: 100 }, (_, i) => `b${i}`).join('\n')}\n`,
    );
    await broker.stop('SIGKILL');
    broker = await startBrokerProcess({
      logDir: dir,
      port: broker.port,
      overrides: { 'num.partitions': '3', 'log.flush.interval.messages': '1' },
    });
    const out = await kcat(broker.bootstrap, ['-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-f', '%s\n']);
    const values = out.trim().split('\n');
    expect(values).toEqual([
      ...Array.from({ length: 100 }, (_, i) => `a${i}`),
      ...Array.from({ length: 100 }, (_, i) => `b${i}`),
    ]);
  });
});

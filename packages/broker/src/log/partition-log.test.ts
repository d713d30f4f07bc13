import { appendFileSync, mkdtempSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompressionType, decodeBatches, decodeRecords, encodeBatch, KafkaError } from '@flotilla/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readBatchInfo } from './batch-info.js';
import { type LogConfig, PartitionLog, validateBatches } from './partition-log.js';

const CONFIG: LogConfig = {
  segmentBytes: 1 << 30,
  segmentMs: Number.POSITIVE_INFINITY,
  retentionMs: -1,
  retentionBytes: -1,
  maxMessageBytes: 1 << 20,
  indexIntervalBytes: 4096,
  flushMessages: Number.POSITIVE_INFINITY,
  flushMs: Number.POSITIVE_INFINITY,
  compact: false,
  delete: true,
  logAppendTime: false,
  timestampBeforeMaxMs: Number.POSITIVE_INFINITY,
  timestampAfterMaxMs: Number.POSITIVE_INFINITY,
};

function batch(
  values: string[],
  options: { timestamp?: number; compression?: number; producerId?: bigint; sequence?: number } = {},
): Buffer {
  return Buffer.from(
    encodeBatch({
      baseTimestamp: BigInt(options.timestamp ?? Date.now()),
      compression: (options.compression ?? CompressionType.NONE) as 0,
      producerId: options.producerId ?? -1n,
      producerEpoch: options.producerId === undefined ? -1 : 0,
      baseSequence: options.sequence ?? -1,
      records: values.map((v, i) => ({
        attributes: 0,
        timestampDelta: i,
        offsetDelta: i,
        key: null,
        value: Buffer.from(v),
        headers: [],
      })),
    }),
  );
}

function append(log: PartitionLog, values: string[], options?: Parameters<typeof batch>[1]): number {
  const b = batch(values, options);
  return log.appendAsLeader(b, validateBatches(b, CONFIG.maxMessageBytes), 0).firstOffset;
}

function readAll(log: PartitionLog, from = log.logStartOffset): string[] {
  const out: string[] = [];
  let offset = from;
  for (;;) {
    const { records } = log.read(offset, 1 << 20, log.logEndOffset, true);
    if (records.length === 0) return out;
    for (const b of decodeBatches(records).batches) {
      if (b.magic !== 2) continue;
      for (const r of decodeRecords(b)) {
        const o = Number(b.header.baseOffset) + r.offsetDelta;
        if (o >= offset) out.push(r.value?.toString() ?? '');
      }
      offset = Number(b.header.baseOffset) + b.header.lastOffsetDelta + 1;
    }
  }
}

describe('PartitionLog', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'plog-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('assigns offsets and reads whole batches back from any offset', () => {
    const log = PartitionLog.open(dir, CONFIG);
    expect(append(log, ['a', 'b', 'c'])).toBe(0);
    expect(append(log, ['d', 'e'], { compression: CompressionType.GZIP })).toBe(3);
    expect(log.logEndOffset).toBe(5);
    expect(readAll(log)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(readAll(log, 4)).toEqual(['e']);
    const { records } = log.read(1, 1 << 20, 5, true);
    expect(readBatchInfo(records, 0)?.baseOffset).toBe(0); // the batch holding offset 1
    expect(() => log.read(6, 100, 6, true)).toThrow(KafkaError);
    log.close();
  });

  it('stops before the max offset (the high watermark) and honours max bytes except for the first batch', () => {
    const log = PartitionLog.open(dir, CONFIG);
    append(log, ['x'.repeat(1000)]);
    append(log, ['y'.repeat(1000)]);
    expect(log.read(0, 1 << 20, 1, true).records.length).toBeLessThan(1200);
    expect(log.read(0, 10, 2, true).records.length).toBeGreaterThan(1000); // KIP-74
    expect(log.read(0, 10, 2, false).records.length).toBe(0);
    log.close();
  });

  it('rolls segments by size, reopens with indexes rebuilt, and reads across them', () => {
    const config = { ...CONFIG, segmentBytes: 2000, indexIntervalBytes: 100 };
    let log = PartitionLog.open(dir, config);
    for (let i = 0; i < 50; i++) append(log, [`m${i}`.padEnd(200, '.')]);
    expect(log.segmentCount).toBeGreaterThan(5);
    log.close();
    log = PartitionLog.open(dir, config, { recoveryPoint: Number.POSITIVE_INFINITY });
    expect(log.logEndOffset).toBe(50);
    expect(readAll(log).map((v) => v.replace(/\.+$/, ''))).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
    expect(readAll(log, 37)[0]?.startsWith('m37')).toBe(true);
    log.close();
  });

  it('truncates a torn tail at the last valid batch on recovery', () => {
    let log = PartitionLog.open(dir, CONFIG);
    append(log, ['one']);
    append(log, ['two']);
    log.close();
    const file = join(dir, readdirSync(dir).find((f) => f.endsWith('.log')) as string);
    const size = statSync(file).size;
    truncateSync(file, size - 3); // a crash in the middle of writing the second batch
    log = PartitionLog.open(dir, CONFIG);
    expect(log.logEndOffset).toBe(1);
    expect(readAll(log)).toEqual(['one']);
    append(log, ['three']);
    expect(readAll(log)).toEqual(['one', 'three']);
    log.close();
  });

  it('cuts at a batch whose CRC does not match', () => {
    let log = PartitionLog.open(dir, CONFIG);
    append(log, ['good']);
    log.close();
    const file = join(dir, readdirSync(dir).find((f) => f.endsWith('.log')) as string);
    const bad = batch(['bad']);
    bad.writeBigInt64BE(1n, 0);
    bad.writeUInt8(bad.readUInt8(bad.length - 1) ^ 0xff, bad.length - 1);
    appendFileSync(file, bad);
    log = PartitionLog.open(dir, CONFIG);
    expect(log.logEndOffset).toBe(1);
    log.close();
  });

  it('rejects corrupt, oversized and legacy batches with Kafka error codes', () => {
    const log = PartitionLog.open(dir, CONFIG);
    const good = batch(['v']);
    const corrupt = Buffer.from(good);
    corrupt.writeUInt8(corrupt.readUInt8(corrupt.length - 1) ^ 1, corrupt.length - 1);
    expect(() => validateBatches(corrupt, 1 << 20)).toThrow(expect.objectContaining({ code: 'CORRUPT_MESSAGE' }));
    expect(() => validateBatches(good, 10)).toThrow(expect.objectContaining({ code: 'MESSAGE_TOO_LARGE' }));
    expect(() => validateBatches(good.subarray(0, 40), 1 << 20)).toThrow(
      expect.objectContaining({ code: 'CORRUPT_MESSAGE' }),
    );
    const legacy = Buffer.from(good);
    legacy.writeInt8(1, 16);
    expect(() => validateBatches(legacy, 1 << 20)).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_FOR_MESSAGE_FORMAT' }),
    );
    log.close();
  });

  it('finds offsets by timestamp and the max timestamp', () => {
    const log = PartitionLog.open(dir, CONFIG);
    append(log, ['a', 'b'], { timestamp: 1000 });
    append(log, ['c'], { timestamp: 5000 });
    append(log, ['d'], { timestamp: 3000 });
    expect(log.offsetForTimestamp(0)?.offset).toBe(0);
    expect(log.offsetForTimestamp(1500)?.offset).toBe(2);
    expect(log.offsetForTimestamp(1001)).toEqual({ offset: 1, timestamp: 1001 }); // the record inside the batch
    expect(log.offsetForTimestamp(9000)).toBeNull();
    expect(log.maxTimestampAndOffset).toEqual({ timestamp: 5000, offset: 2 });
    log.close();
  });

  it('enforces retention by time and by size, moving the log start offset', () => {
    const config = { ...CONFIG, segmentBytes: 300 };
    const log = PartitionLog.open(dir, config);
    const old = Date.now() - 10_000;
    for (let i = 0; i < 5; i++) append(log, [`old${i}`.padEnd(150, '.')], { timestamp: old });
    for (let i = 0; i < 5; i++) append(log, [`new${i}`.padEnd(150, '.')]);
    log.config = { ...config, retentionMs: 5000 };
    expect(log.enforceRetention()).toBeGreaterThan(0);
    expect(log.logStartOffset).toBe(5);
    log.config = { ...config, retentionBytes: 400 };
    log.enforceRetention();
    expect(log.size).toBeLessThanOrEqual(400 + 300);
    expect(log.logStartOffset).toBeGreaterThan(5);
    expect(log.logEndOffset).toBe(10);
    log.close();
  });

  it('deletes records below an offset and truncates to an offset', () => {
    const log = PartitionLog.open(dir, CONFIG);
    for (let i = 0; i < 10; i++) append(log, [`v${i}`]);
    expect(log.deleteRecordsBefore(4)).toBe(4);
    expect(() => log.read(2, 100, 10, true)).toThrow(expect.objectContaining({ code: 'OFFSET_OUT_OF_RANGE' }));
    expect(readAll(log)).toEqual(['v4', 'v5', 'v6', 'v7', 'v8', 'v9']);
    log.truncateTo(7);
    expect(log.logEndOffset).toBe(7);
    expect(readAll(log)).toEqual(['v4', 'v5', 'v6']);
    log.close();
  });
});

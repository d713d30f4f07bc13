import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompressionType, decodeBatches, decodeRecords, encodeBatch, type RecordBatchHeader } from '@flotilla/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { type CleanStats, cleanLog, LogCleaner, logToClean, recoverInterruptedCleaning } from './cleaner.js';
import { LogManager } from './log-manager.js';
import { type LogConfig, PartitionLog, validateBatches } from './partition-log.js';
import { segmentFileName } from './segment.js';

const DAY = 86_400_000;
const T0 = 1_700_000_000_000;

const CONFIG: LogConfig = {
  segmentBytes: 1 << 20,
  segmentMs: Number.POSITIVE_INFINITY,
  retentionMs: -1,
  retentionBytes: -1,
  maxMessageBytes: 1 << 20,
  indexIntervalBytes: 4096,
  flushMessages: Number.POSITIVE_INFINITY,
  flushMs: Number.POSITIVE_INFINITY,
  compact: true,
  delete: false,
  logAppendTime: false,
  timestampBeforeMaxMs: Number.POSITIVE_INFINITY,
  timestampAfterMaxMs: Number.POSITIVE_INFINITY,
  minCleanableDirtyRatio: 0.5,
  deleteRetentionMs: DAY,
  minCompactionLagMs: 0,
  maxCompactionLagMs: Number.POSITIVE_INFINITY,
};

type Entry = readonly [key: string | null, value: string | null];

interface BatchOptions {
  timestamp?: number;
  compression?: CompressionType;
  producerId?: number;
  sequence?: number;
}

function batch(entries: readonly Entry[], options: BatchOptions = {}): Buffer {
  return Buffer.from(
    encodeBatch({
      baseTimestamp: BigInt(options.timestamp ?? T0),
      compression: options.compression ?? CompressionType.NONE,
      producerId: BigInt(options.producerId ?? -1),
      producerEpoch: options.producerId === undefined ? -1 : 0,
      baseSequence: options.sequence ?? -1,
      records: entries.map(([k, v], i) => ({
        attributes: 0,
        timestampDelta: i,
        offsetDelta: i,
        key: k === null ? null : Buffer.from(k),
        value: v === null ? null : Buffer.from(v),
        headers: [],
      })),
    }),
  );
}

function append(log: PartitionLog, entries: readonly Entry[], options?: BatchOptions): number {
  const b = batch(entries, options);
  return log.appendAsLeader(b, validateBatches(b, 1 << 20), 0, options?.timestamp ?? T0).firstOffset;
}

interface ReadRecord {
  offset: number;
  key: string | null;
  value: string | null;
  timestamp: number;
}

/** Reads the log as a consumer does: from `from`, each next fetch at the offset after the last batch. */
function consume(
  log: PartitionLog,
  from = log.logStartOffset,
): { records: ReadRecord[]; batches: RecordBatchHeader[] } {
  const records: ReadRecord[] = [];
  const batches: RecordBatchHeader[] = [];
  let offset = from;
  while (offset < log.logEndOffset) {
    const { records: bytes } = log.read(offset, 300, log.logEndOffset, true);
    const decoded = decodeBatches(bytes).batches;
    if (decoded.length === 0) break;
    for (const b of decoded) {
      if (b.magic !== 2) continue;
      batches.push(b.header);
      for (const r of decodeRecords(b)) {
        const o = Number(b.header.baseOffset) + r.offsetDelta;
        if (o < offset) continue;
        records.push({
          offset: o,
          key: r.key?.toString() ?? null,
          value: r.value?.toString() ?? null,
          timestamp: Number(b.header.baseTimestamp) + r.timestampDelta,
        });
      }
      offset = Number(b.header.baseOffset) + b.header.lastOffsetDelta + 1;
    }
  }
  return { records, batches };
}

function pairs(log: PartitionLog): [number, string | null, string | null][] {
  return consume(log).records.map((r) => [r.offset, r.key, r.value]);
}

function clean(log: PartitionLog, now = T0, options: { checkpoint?: number; highWatermark?: number } = {}): CleanStats {
  return cleanLog(log, logToClean(log, options.checkpoint, now, options.highWatermark), now);
}

describe('log cleaner', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cleaner-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the latest value of each key at its original offset and removes older ones', () => {
    const log = PartitionLog.open(dir, CONFIG);
    append(log, [
      ['k1', 'a'],
      ['k2', 'b'],
      ['k1', 'c'],
    ]); // 0-2
    append(log, [['k3', 'd']]); // 3
    log.roll();
    append(log, [
      ['k2', 'e'],
      ['k4', 'f'],
    ]); // 4-5
    append(log, [['k3', 'g']]); // 6
    log.roll();
    append(log, [['k1', 'active']]); // 7, active segment
    const stats = clean(log);
    expect(stats).toMatchObject({ firstDirtyOffset: 0, endOffset: 7, recordsRead: 7, recordsRemoved: 3 });
    expect(pairs(log)).toEqual([
      [2, 'k1', 'c'], // k1 at 7 is in the active segment, beyond the dirty section
      [4, 'k2', 'e'],
      [5, 'k4', 'f'],
      [6, 'k3', 'g'],
      [7, 'k1', 'active'],
    ]);
    expect(log.logStartOffset).toBe(0);
    expect(log.logEndOffset).toBe(8);
    // Two small cleaned segments became one, beside the untouched active segment.
    expect(log.segmentCount).toBe(2);
    expect(log.segmentList.map((s) => s.baseOffset)).toEqual([0, 7]);
    expect(readdirSync(dir).filter((f) => f.endsWith('.cleaned') || f.endsWith('.swap'))).toEqual([]);
    log.close();
  });

  it('answers a fetch at a removed offset with the next batch that survived', () => {
    const log = PartitionLog.open(dir, CONFIG);
    append(log, [['k', 'v0']]); // 0
    append(log, [['k', 'v1']]); // 1
    append(log, [['other', 'x']]); // 2
    append(log, [['k', 'v3']]); // 3
    log.roll();
    append(log, [['tail', 't']]); // 4
    clean(log);
    for (const from of [0, 1, 2]) {
      const { records } = log.read(from, 1 << 20, log.logEndOffset, false);
      expect(Number(decodeBatches(records).batches[0]?.header.baseOffset)).toBe(2);
    }
    expect(consume(log, 0).records.map((r) => r.offset)).toEqual([2, 3, 4]);
    expect(consume(log, 3).records.map((r) => r.offset)).toEqual([3, 4]);
    log.close();
  });

  it('keeps tombstones with a delete horizon for delete.retention.ms after cleaning, then removes them', () => {
    const log = PartitionLog.open(dir, CONFIG);
    append(log, [['gone', 'v']], { timestamp: T0 }); // 0
    append(log, [['gone', null]], { timestamp: T0 + 5 }); // 1
    append(log, [['kept', 'v']]); // 2
    log.roll();
    append(log, [['active', 'v']]); // 3
    const cleaner = new LogCleaner(createLogger('warn'));
    const candidate = { key: 'c-0', log, highWatermark: undefined };
    const first = cleaner.cleanFilthiest([candidate], T0 + 1000);
    expect(first?.stats.latestDeleteHorizon).toBe(T0 + 1000 + DAY);
    expect(pairs(log)).toEqual([
      [1, 'gone', null],
      [2, 'kept', 'v'],
      [3, 'active', 'v'],
    ]);
    const { batches, records } = consume(log);
    expect(batches[0]).toMatchObject({ hasDeleteHorizonMs: true, baseTimestamp: BigInt(T0 + 1000 + DAY) });
    expect(records[0]?.timestamp).toBe(T0 + 5); // the tombstone keeps its own timestamp
    expect(batches[0]?.maxTimestamp).toBe(BigInt(T0 + 5));
    expect(batches[1]?.hasDeleteHorizonMs).toBe(false); // no tombstone, no horizon

    // Nothing dirty and the horizon not reached: not due; a forced cleaning keeps the tombstone.
    expect(cleaner.cleanFilthiest([candidate], T0 + 1000 + DAY - 1)).toBeNull();
    cleaner.clean(candidate, T0 + 1000 + DAY - 1);
    expect(pairs(log).map(([o]) => o)).toEqual([1, 2, 3]);
    // At the horizon the log is due again (KIP-534) and the tombstone goes.
    const last = cleaner.cleanFilthiest([candidate], T0 + 1000 + DAY);
    expect(last?.stats).toMatchObject({ recordsRemoved: 1, latestDeleteHorizon: -1 });
    expect(pairs(log)).toEqual([
      [2, 'kept', 'v'],
      [3, 'active', 'v'],
    ]);
    expect(cleaner.cleanFilthiest([candidate], T0 + 10 * DAY)).toBeNull();
    log.close();
  });

  it('rewrites batches with their offsets, compression and producer fields, and copies untouched ones', () => {
    const log = PartitionLog.open(dir, CONFIG);
    append(
      log,
      [
        ['a', '1'],
        ['b', '1'],
        ['c', '1'],
      ],
      { compression: CompressionType.GZIP, producerId: 7, sequence: 0 },
    ); // 0-2
    const untouched = batch([['d', '1']], { compression: CompressionType.GZIP });
    log.appendAsLeader(Buffer.from(untouched), validateBatches(Buffer.from(untouched), 1 << 20), 0, T0); // 3
    append(log, [['b', '2']]); // 4
    log.roll();
    append(log, [['x', 'y']]);
    clean(log);
    const { batches, records } = consume(log);
    expect(records.map((r) => [r.offset, r.key])).toEqual([
      [0, 'a'],
      [2, 'c'],
      [3, 'd'],
      [4, 'b'],
      [5, 'x'],
    ]);
    expect(batches[0]).toMatchObject({
      baseOffset: 0n,
      lastOffsetDelta: 2,
      recordCount: 2,
      compression: CompressionType.GZIP,
      producerId: 7n,
      producerEpoch: 0,
      baseSequence: 0,
      partitionLeaderEpoch: 0,
    });
    // A batch that lost nothing is the same bytes, CRC included.
    const { records: stored } = log.read(3, 1 << 20, 4, false);
    expect(stored.subarray(17)).toEqual(untouched.subarray(17));
    log.close();
  });

  it("keeps an idempotent producer's last batch as an empty batch, preserving its sequence", () => {
    const log = PartitionLog.open(dir, CONFIG);
    append(log, [['k1', 'a']], { producerId: 9, sequence: 0 }); // 0
    append(
      log,
      [
        ['k2', 'b'],
        ['k1', 'b'],
      ],
      { producerId: 9, sequence: 1 },
    ); // 1-2, producer 9's last batch
    append(
      log,
      [
        ['k1', 'x'],
        ['k2', 'x'],
      ],
      { producerId: 10, sequence: 0 },
    ); // 3-4
    append(log, [['k1', 'z']], { producerId: 10, sequence: 2 }); // 5, producer 10's last
    log.roll();
    append(log, [['later', 'v']]);
    clean(log);
    const headers = [...log.batchesFrom(0)];
    expect(headers.map((b) => [b.baseOffset, b.lastOffset, b.recordCount, b.producerId, b.baseSequence])).toEqual([
      [1, 2, 0, 9, 1], // emptied, kept: the last batch of producer 9
      [3, 4, 1, 10, 0],
      [5, 5, 1, 10, 2],
      [6, 6, 1, -1, -1],
    ]);
    expect(pairs(log)).toEqual([
      [4, 'k2', 'x'],
      [5, 'k1', 'z'],
      [6, 'later', 'v'],
    ]);
    // The empty batch survives a second cleaning while it is still the producer's last.
    clean(log, T0, { checkpoint: 0 });
    expect([...log.batchesFrom(0)][0]).toMatchObject({ baseOffset: 1, recordCount: 0, producerId: 9 });
    log.close();
  });

  it('removes records without a key, as Kafka does', () => {
    const log = PartitionLog.open(dir, CONFIG);
    append(log, [
      [null, 'keyless'],
      ['k', 'v'],
    ]);
    log.roll();
    append(log, [['n', 'v']]);
    clean(log);
    expect(pairs(log)).toEqual([
      [1, 'k', 'v'],
      [2, 'n', 'v'],
    ]);
    log.close();
  });

  it('never touches the active segment, nor anything at or above the high watermark or younger than min.compaction.lag.ms', () => {
    const log = PartitionLog.open(dir, CONFIG);
    append(log, [['k', '0']]); // 0
    log.roll();
    append(log, [['k', '1']]); // 1
    log.roll();
    append(log, [['k', '2']], { timestamp: T0 + 60_000 }); // 2
    log.roll();
    append(log, [['k', '3']]); // 3, active
    append(log, [['k', '4']]); // 4, active
    const activeFile = join(dir, segmentFileName(3, '.log'));
    const activeBytes = readFileSync(activeFile);

    // The high watermark in the segment at 2 keeps that segment (and the rest) out.
    expect(logToClean(log, undefined, T0, 2)).toMatchObject({ firstUncleanableOffset: 2 });
    // min.compaction.lag.ms: the segment at 2 is too young at T0 + 70 s.
    log.config = { ...CONFIG, minCompactionLagMs: 30_000 };
    expect(logToClean(log, undefined, T0 + 70_000)).toMatchObject({ firstUncleanableOffset: 2 });
    expect(logToClean(log, undefined, T0 + 100_000)).toMatchObject({ firstUncleanableOffset: 3 });
    clean(log, T0 + 70_000);
    expect(pairs(log)).toEqual([
      [1, 'k', '1'],
      [2, 'k', '2'],
      [3, 'k', '3'],
      [4, 'k', '4'],
    ]);
    log.config = CONFIG;
    const stats = clean(log, T0, { checkpoint: 2 });
    expect(stats.endOffset).toBe(3);
    expect(pairs(log)).toEqual([
      [2, 'k', '2'],
      [3, 'k', '3'],
      [4, 'k', '4'],
    ]);
    expect(readFileSync(activeFile)).toEqual(activeBytes);
    expect(log.segmentList.at(-1)?.baseOffset).toBe(3);
    log.close();
  });

  it('cleans only when the dirty ratio exceeds min.cleanable.dirty.ratio, or max.compaction.lag.ms forces it', () => {
    const log = PartitionLog.open(dir, CONFIG);
    const value = 'x'.repeat(200);
    for (let i = 0; i < 10; i++) append(log, [[`key-${i}`, value]]);
    log.roll();
    append(log, [['active', 'v']]);
    const cleaner = new LogCleaner(createLogger('warn'));
    const candidate = { key: 'c-0', log, highWatermark: undefined };
    // Never cleaned: all of it is dirty.
    expect(cleaner.cleanFilthiest([candidate], T0)?.stats.endOffset).toBe(10);
    expect(cleaner.checkpoint('c-0')).toBe(10);

    // One dirty segment (the old active one, now with 3 batches) against 10 clean batches.
    append(log, [['key-0', value]]);
    append(log, [['key-1', value]]);
    log.roll();
    append(log, [['active', 'v']]);
    const range = logToClean(log, cleaner.checkpoint('c-0'), T0);
    const [clean0, dirty] = log.segmentList;
    expect(range).toMatchObject({ cleanBytes: clean0?.size, cleanableBytes: dirty?.size });
    expect(range.dirtyRatio).toBeCloseTo((dirty?.size ?? 0) / ((clean0?.size ?? 0) + (dirty?.size ?? 0)), 6);
    expect(range.dirtyRatio).toBeLessThan(0.5);
    expect(range.needCompactionNow).toBe(false);
    expect(cleaner.cleanFilthiest([candidate], T0)).toBeNull();
    log.config = { ...CONFIG, minCleanableDirtyRatio: 0.1 };
    expect(cleaner.cleanFilthiest([candidate], T0)?.stats.recordsRemoved).toBe(2);
    log.config = CONFIG;

    // Dirty again, below the ratio, but older than max.compaction.lag.ms.
    append(log, [['key-2', value]]);
    log.roll();
    append(log, [['active', 'v']]);
    expect(cleaner.cleanFilthiest([candidate], T0 + 1000)).toBeNull();
    log.config = { ...CONFIG, maxCompactionLagMs: 500 };
    expect(logToClean(log, cleaner.checkpoint('c-0'), T0 + 1000).needCompactionNow).toBe(true);
    // key-2's first value, and 'active' from the segment cleaned before (now superseded).
    expect(cleaner.cleanFilthiest([candidate], T0 + 1000)?.stats.recordsRemoved).toBe(2);
    // A log that is not compacted is never cleaned.
    log.config = { ...CONFIG, compact: false, minCleanableDirtyRatio: 0 };
    append(log, [['key-3', value]]);
    log.roll();
    expect(cleaner.cleanFilthiest([candidate], T0)).toBeNull();
    log.close();
  });

  it('groups cleaned segments up to segment.bytes and drops segments from which nothing survives', () => {
    const value = 'v'.repeat(100);
    const log = PartitionLog.open(dir, { ...CONFIG, segmentBytes: 1000 });
    // Segments of 5 batches of ~170 bytes; keys repeat every 10 records; 35-40 are in the active segment.
    for (let i = 0; i < 40; i++) append(log, [[`k${i % 10}`, value]]);
    append(log, [['active', 'v']]);
    expect(log.segmentList.map((s) => s.baseOffset)).toEqual([0, 5, 10, 15, 20, 25, 30, 35]);
    clean(log);
    // The 10 surviving batches of the 7 inactive segments fit in 2 segments of at most 1000 bytes.
    expect(pairs(log).map(([o]) => o)).toEqual(Array.from({ length: 16 }, (_, i) => 25 + i));
    expect(log.segmentList.slice(0, -1).every((s) => s.size <= 1000)).toBe(true);
    expect(log.segmentCount).toBe(3);
    const files = readdirSync(dir).filter((f) => f.endsWith('.log'));
    expect(files).toHaveLength(3);
    log.close();
  });

  it('removes a segment emptied at the end of a group, so that no recovered .swap could miss it', () => {
    const value = 'v'.repeat(100); // batches of ~170 bytes
    const log = PartitionLog.open(dir, { ...CONFIG, segmentBytes: 400 });
    append(log, [['a', value]]); // 0
    append(log, [['b', value]]); // 1
    log.roll();
    append(log, [['c', value]]); // 2: superseded at 3, so its segment empties
    log.roll();
    append(log, [['c', value]]); // 3
    append(log, [['a', value]]); // 4
    log.roll();
    append(log, [['x', 'v']]); // 5
    clean(log);
    expect(pairs(log).map(([o, k]) => `${o}:${k}`)).toEqual(['1:b', '3:c', '4:a', '5:x']);
    // Groups: [0, 2] (2 emptied, after the cleaned segment's last offset 1) and [3].
    expect(log.segmentList.map((s) => s.baseOffset)).toEqual([0, 3, 5]);
    expect(
      readdirSync(dir).filter(
        (f) => /^\d{20}\.(log|index|timeindex)$/.test(f) && f.startsWith(segmentFileName(2, '.log').slice(0, 20)),
      ),
    ).toEqual([]);
    log.close();
    const reopened = PartitionLog.open(dir, CONFIG);
    expect(pairs(reopened).map(([o]) => o)).toEqual([1, 3, 4, 5]);
    reopened.close();
  });

  it('cleans a dirty section with more keys than the offset map holds over several passes', () => {
    const log = PartitionLog.open(dir, CONFIG);
    for (let i = 0; i < 30; i++) append(log, [[`k${i % 10}`, `v${i}`]]);
    log.roll();
    append(log, [['active', 'v']]);
    const first = cleanLog(log, logToClean(log, undefined, T0), T0, { maxOffsetMapEntries: 8 });
    expect(first.endOffset).toBe(8); // the map filled after 8 batches of one key each
    // Records past the map's reach are kept as they were.
    expect(pairs(log).filter(([o]) => o >= 8)).toHaveLength(23);
    let checkpoint = first.endOffset;
    while (checkpoint < 30) {
      checkpoint = cleanLog(log, logToClean(log, checkpoint, T0), T0, { maxOffsetMapEntries: 8 }).endOffset;
    }
    expect(pairs(log).map(([o, k]) => `${o}:${k}`)).toEqual([
      ...Array.from({ length: 10 }, (_, i) => `${20 + i}:k${i}`),
      '30:active',
    ]);
    log.close();
  });

  it('reopens a compacted log with its gaps, and appends continue after it', () => {
    const log = PartitionLog.open(dir, CONFIG);
    for (let i = 0; i < 12; i++) append(log, [[`k${i % 3}`, `v${i}`]]);
    log.roll();
    append(log, [['active', 'v']]);
    clean(log);
    const expected = pairs(log);
    expect(expected.map(([o]) => o)).toEqual([9, 10, 11, 12]);
    log.close();
    const reopened = PartitionLog.open(dir, CONFIG, { logStartOffset: 0, recoveryPoint: 0 });
    expect(pairs(reopened)).toEqual(expected);
    expect(reopened.logStartOffset).toBe(0);
    expect(append(reopened, [['k0', 'new']])).toBe(13);
    expect(reopened.offsetForTimestamp(0)?.offset).toBe(9);
    reopened.close();
  });

  describe('recovery after a crash mid-swap', () => {
    /** Builds the same log in two directories: one to clean, one left as it was before the cleaning. */
    function twin(): { cleaned: string; original: string } {
      const cleaned = join(dir, 'cleaned', 'c-0');
      const original = join(dir, 'original', 'c-0');
      for (const d of [cleaned, original]) {
        mkdirSync(d, { recursive: true });
        const log = PartitionLog.open(d, { ...CONFIG, segmentBytes: 300 });
        for (let i = 0; i < 12; i++) append(log, [[`k${i % 3}`, `value-${i}`]]);
        log.roll();
        append(log, [['active', 'v']]);
        log.close();
      }
      return { cleaned, original };
    }

    function logFiles(d: string): string[] {
      return readdirSync(d)
        .filter((f) => f.includes('.log'))
        .sort();
    }

    it('removes a .cleaned file that was never committed, keeping the old segments', () => {
      const { original } = twin();
      const before = logFiles(original);
      const untouched = PartitionLog.open(original, CONFIG);
      const expected = pairs(untouched);
      untouched.close();
      writeFileSync(join(original, `${segmentFileName(0, '.log')}.cleaned`), Buffer.alloc(100, 1));
      const log = PartitionLog.open(original, CONFIG);
      expect(logFiles(original)).toEqual(before);
      expect(pairs(log)).toEqual(expected);
      // and it can still be cleaned
      clean(log);
      expect(pairs(log).map(([o]) => o)).toEqual([9, 10, 11, 12]);
      log.close();
    });

    it('completes a committed .swap whose old segments were not yet removed', () => {
      const { cleaned, original } = twin();
      const log = PartitionLog.open(cleaned, CONFIG);
      clean(log);
      const expected = pairs(log);
      const cleanedBases = log.segmentList.map((s) => s.baseOffset);
      log.close();
      expect(cleanedBases).toHaveLength(2);
      // The crash: the cleaned segment renamed .swap, every old segment still in place.
      copyFileSync(join(cleaned, segmentFileName(0, '.log')), join(original, `${segmentFileName(0, '.log')}.swap`));
      expect(logFiles(original).length).toBeGreaterThan(3);
      const recovered = PartitionLog.open(original, CONFIG);
      expect(pairs(recovered)).toEqual(expected);
      expect(recovered.segmentList.map((s) => s.baseOffset)).toEqual(cleanedBases);
      expect(logFiles(original)).toEqual(cleanedBases.map((b) => segmentFileName(b, '.log')));
      recovered.close();
    });

    it('completes a .swap when only its rename to .log was missing', () => {
      const { cleaned, original } = twin();
      const log = PartitionLog.open(cleaned, CONFIG);
      clean(log);
      const expected = pairs(log);
      log.close();
      for (const f of readdirSync(original)) {
        if (/^\d{20}\.(log|index|timeindex)$/.test(f) && f !== segmentFileName(12, '.log')) rmSync(join(original, f));
      }
      copyFileSync(join(cleaned, segmentFileName(0, '.log')), join(original, `${segmentFileName(0, '.log')}.swap`));
      recoverInterruptedCleaning(original);
      expect(existsSync(join(original, segmentFileName(0, '.log')))).toBe(true);
      const recovered = PartitionLog.open(original, CONFIG);
      expect(pairs(recovered)).toEqual(expected);
      recovered.close();
    });
  });

  it('is run by the LogManager in the background every log.cleaner.backoff.ms', async () => {
    const manager = new LogManager(
      [join(dir, 'logs')],
      () => ({ ...CONFIG, minCleanableDirtyRatio: 0 }),
      createLogger('warn'),
    );
    manager.loadLogs();
    const { log } = manager.getOrCreate('compacted', 0, 'topic-id');
    for (let i = 0; i < 6; i++) append(log, [['same-key', `v${i}`]]);
    log.roll();
    append(log, [['active', 'v']]);
    manager.startBackgroundTasks(60_000, () => log.logEndOffset, { enabled: true, backoffMs: 20 });
    await expect.poll(() => pairs(log).map(([o]) => o), { timeout: 5000, interval: 20 }).toEqual([5, 6]);
    expect(manager.cleaner.checkpoint('compacted-0')).toBe(6);
    manager.close();
  });

  it('keeps the cleaner checkpoint across restarts in cleaner-offset-checkpoint', () => {
    const logDir = join(dir, 'logs');
    const open = () => {
      const m = new LogManager([logDir], () => CONFIG, createLogger('warn'));
      m.loadLogs();
      return m;
    };
    const manager = open();
    const { log } = manager.getOrCreate('compacted', 0, 'topic-id');
    for (let i = 0; i < 6; i++) append(log, [[`k${i % 2}`, `v${i}`]]);
    log.roll();
    append(log, [['active', 'v']]);
    const plain = manager.getOrCreate('plain', 0, 'topic-id-2');
    plain.log.config = { ...CONFIG, compact: false, delete: true };
    expect(manager.cleanLogs(T0).map((c) => c.key)).toEqual(['compacted-0']);
    expect(readFileSync(join(logDir, 'cleaner-offset-checkpoint'), 'utf8')).toBe('0\n1\ncompacted 0 6\n');
    manager.close();

    const again = open();
    expect(again.cleaner.checkpoint('compacted-0')).toBe(6);
    const reopened = again.get('compacted', 0)?.log as PartitionLog;
    expect(pairs(reopened).map(([o]) => o)).toEqual([4, 5, 6]);
    expect(again.cleanLogs(T0)).toEqual([]); // nothing dirty
    again.delete('compacted', 0);
    again.checkpoint();
    expect(readFileSync(join(logDir, 'cleaner-offset-checkpoint'), 'utf8')).toBe('0\n0\n');
    again.close();
  });
});

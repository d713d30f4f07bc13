/**
 * Log compaction for `cleanup.policy=compact` (Kafka's LogCleaner; design.html "Log Compaction"): a
 * compacted log keeps at least the latest record of every key, drops tombstones (null values) once
 * they have been kept for delete.retention.ms, and never changes an offset.
 *
 * One cleaning of one log:
 *  1. Range. Only whole inactive segments below the first uncleanable offset are cleaned; the active
 *     segment, the high watermark and min.compaction.lag.ms bound it. The dirty section runs from the
 *     cleaner checkpoint (`cleaner-offset-checkpoint`, kept by the LogManager) to that offset; the log
 *     before it is already clean. A log is due when dirty bytes / cleanable bytes exceeds
 *     min.cleanable.dirty.ratio, when a dirty segment is older than max.compaction.lag.ms (KIP-354), or
 *     when every tombstone its last cleaning kept has reached its delete horizon (KIP-534).
 *  2. Offset map: key -> last offset of the key in the dirty section.
 *     Records of aborted transactions never enter the map (they must not shadow an older committed
 *     value of their key), and neither do those of transactions still undecided (no marker yet).
 *  3. Recopy from the first segment to the end of the range into `<base>.log.cleaned`, consecutive
 *     segments grouped while their cleaned bytes fit in segment.bytes. A record survives when it is the
 *     latest of its key and not a tombstone past its delete horizon; records of aborted transactions
 *     go (KIP-98: the aborted-transaction index, txn-index.ts, says which); batches of transactions
 *     without a marker yet are copied as they are; control batches always survive, and
 *     records without a key never do (Kafka drops them too: they predate a switch to compact). A
 *     batch keeps its base offset, last offset delta, compression, producer id, epoch and base sequence;
 *     one left without records stays as an empty batch when it is its producer's last, so the producer's
 *     sequence survives a reload (implementation.html §5.3.1, "On compaction"). Batches that lose nothing
 *     are copied byte for byte. A batch that keeps a tombstone for the first time gets its delete horizon
 *     (now + delete.retention.ms) as baseTimestamp, flagged by attribute bit 6 (KIP-534); its records
 *     keep their timestamps through negative deltas, as Kafka writes them.
 *  4. Swap, as Kafka does: `.cleaned` is renamed `.swap` (the commit point), the replaced segments'
 *     files are removed, `.swap` is renamed `.log`. After a crash `recoverInterruptedCleaning` (called
 *     by PartitionLog.open) removes `.cleaned` files and completes every `.swap`.
 *
 * Cleaning is synchronous: appends, reads and retention run on the same event loop and never interleave
 * with it, so nothing it reads changes under it. The price is that cleaning a large log delays requests
 * for that long; the LogManager cleans one log per timer turn.
 */

import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readdirSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import {
  CompressionType,
  decodeBatches,
  decodeRecords,
  encodeBatch,
  type Record,
  type RecordBatch,
  TimestampType,
} from '@flotilla/protocol';
import type { Logger } from '../logger.js';
import { BATCH_HEADER_SIZE, type BatchInfo, isControl, isTransactional, readBatchInfo } from './batch-info.js';
import type { LogConfig, PartitionLog } from './partition-log.js';
import { Segment, segmentFileName } from './segment.js';
import { readAbortedTransactions } from './txn-index.js';

const CLEANED_SUFFIX = '.cleaned';
const SWAP_SUFFIX = '.swap';
/** Offsets inside a segment are stored relative to its base as int32 (the same guard as rolling). */
const MAX_RELATIVE_OFFSET = 0x7fff_fff0;
/**
 * Keys one cleaning can track. Kafka sizes its map by log.cleaner.dedupe.buffer.size at 24 bytes a key;
 * a JS Map costs several times that, so the default is smaller. A dirty section with more keys is
 * cleaned over several passes.
 */
const DEFAULT_MAX_OFFSET_MAP_ENTRIES = 1_000_000;
/** log.cleaner.io.buffer.size: bytes read from a segment, or gathered for the cleaned one, at a time. */
const DEFAULT_IO_BUFFER_BYTES = 1024 * 1024;

/** The compaction settings of a log, Kafka's defaults filled in. */
export interface CompactionSettings {
  readonly minCleanableDirtyRatio: number;
  readonly deleteRetentionMs: number;
  readonly minCompactionLagMs: number;
  readonly maxCompactionLagMs: number;
}

export function compactionSettings(config: LogConfig): CompactionSettings {
  return {
    minCleanableDirtyRatio: config.minCleanableDirtyRatio ?? 0.5,
    deleteRetentionMs: config.deleteRetentionMs ?? 86_400_000,
    minCompactionLagMs: config.minCompactionLagMs ?? 0,
    maxCompactionLagMs: config.maxCompactionLagMs ?? Number.POSITIVE_INFINITY,
  };
}

export interface CleanerOptions {
  readonly maxOffsetMapEntries?: number;
  readonly ioBufferBytes?: number;
}

/** What a cleaning of a log would cover (Kafka's LogToClean). */
export interface LogToClean {
  /** Where the dirty section starts: the cleaner checkpoint, kept within the log. */
  readonly firstDirtyOffset: number;
  /** Nothing at or after this offset is cleaned: a segment base offset. */
  readonly firstUncleanableOffset: number;
  /** Bytes of the cleanable segments before the dirty section. */
  readonly cleanBytes: number;
  /** Bytes of the cleanable segments that hold dirty records. */
  readonly cleanableBytes: number;
  /** cleanableBytes / (cleanBytes + cleanableBytes), compared with min.cleanable.dirty.ratio. */
  readonly dirtyRatio: number;
  /** A dirty segment's first batch is older than max.compaction.lag.ms. */
  readonly needCompactionNow: boolean;
}

export interface CleanStats {
  readonly firstDirtyOffset: number;
  /** The new cleaner checkpoint: the offset map covered the dirty section up to here. */
  readonly endOffset: number;
  readonly segmentsBefore: number;
  readonly segmentsAfter: number;
  readonly bytesBefore: number;
  readonly bytesAfter: number;
  readonly recordsRead: number;
  readonly recordsRemoved: number;
  /** The latest delete horizon of the tombstones kept, or -1 when none was kept. */
  readonly latestDeleteHorizon: number;
}

/** The segment base offset at or below `offset` (the first segment's when `offset` is below them all). */
function baseOfSegmentHolding(segments: readonly Segment[], offset: number): number {
  let base = (segments[0] as Segment).baseOffset;
  for (const s of segments) {
    if (s.baseOffset > offset) break;
    base = s.baseOffset;
  }
  return base;
}

function firstBatchTimestamp(segment: Segment): number {
  const first = segment.scan(0).next();
  return first.done ? -1 : first.value.info.maxTimestamp;
}

/**
 * The cleanable range of `log` and how dirty it is (Kafka's LogCleanerManager.cleanableOffsets). Cleaning
 * stops below the active segment, below the segment holding the high watermark (a follower may still
 * truncate above it), and below the first dirty segment younger than min.compaction.lag.ms.
 */
export function logToClean(
  log: PartitionLog,
  checkpoint: number | undefined,
  now: number,
  highWatermark?: number,
): LogToClean {
  const settings = compactionSettings(log.config);
  const segments = log.segmentList;
  const inactive = segments.slice(0, -1);
  let firstDirty = checkpoint ?? log.logStartOffset;
  // Below the log start, retention or DeleteRecords moved past it; beyond the end, the log was truncated.
  if (firstDirty < log.logStartOffset || firstDirty > log.logEndOffset) firstDirty = log.logStartOffset;
  let firstUncleanable = (segments[segments.length - 1] as Segment).baseOffset;
  if (highWatermark !== undefined) {
    firstUncleanable = Math.min(firstUncleanable, baseOfSegmentHolding(segments, highWatermark));
  }
  if (settings.minCompactionLagMs > 0) {
    const young = inactive.find((s) => s.nextOffset > firstDirty && s.maxTimestamp > now - settings.minCompactionLagMs);
    if (young) firstUncleanable = Math.min(firstUncleanable, young.baseOffset);
  }
  let cleanBytes = 0;
  let cleanableBytes = 0;
  let earliestDirtyTimestamp = Number.POSITIVE_INFINITY;
  for (const s of inactive) {
    if (s.baseOffset >= firstUncleanable) break;
    if (s.nextOffset <= firstDirty) {
      cleanBytes += s.size;
      continue;
    }
    cleanableBytes += s.size;
    if (Number.isFinite(settings.maxCompactionLagMs)) {
      const ts = firstBatchTimestamp(s);
      if (ts > 0) earliestDirtyTimestamp = Math.min(earliestDirtyTimestamp, ts);
    }
  }
  const total = cleanBytes + cleanableBytes;
  return {
    firstDirtyOffset: firstDirty,
    firstUncleanableOffset: firstUncleanable,
    cleanBytes,
    cleanableBytes,
    dirtyRatio: total > 0 ? cleanableBytes / total : 0,
    needCompactionNow: cleanableBytes > 0 && earliestDirtyTimestamp < now - settings.maxCompactionLagMs,
  };
}

/**
 * Key -> latest offset. Keys shorter than 16 bytes are their own map key; longer ones are replaced by
 * their MD5, as Kafka's SkimpyOffsetMap hashes every key, so memory stays bounded whatever the key size.
 * Digests are exactly 16 bytes, so they never collide with a short key.
 */
class OffsetMap {
  private readonly offsets = new Map<string, number>();

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.offsets.size;
  }

  private static id(key: Buffer): string {
    return key.length < 16 ? key.toString('latin1') : createHash('md5').update(key).digest().toString('latin1');
  }

  put(key: Buffer, offset: number): void {
    this.offsets.set(OffsetMap.id(key), offset);
  }

  /** The latest offset of `key`, or -1 when the dirty section does not have it. */
  get(key: Buffer): number {
    return this.offsets.get(OffsetMap.id(key)) ?? -1;
  }
}

/** The batches of a segment with their bytes, read `chunkBytes` at a time. */
function* readBatches(segment: Segment, chunkBytes: number): Generator<{ info: BatchInfo; bytes: Buffer }> {
  let position = 0;
  while (position + BATCH_HEADER_SIZE <= segment.size) {
    const chunk = segment.read(position, chunkBytes);
    let at = 0;
    while (at + BATCH_HEADER_SIZE <= chunk.length) {
      const info = readBatchInfo(chunk, at);
      if (info === null) throw new Error(`${segment.path}: no record batch at position ${position + at}`);
      if (at + info.size > chunk.length) break;
      yield { info, bytes: chunk.subarray(at, at + info.size) };
      at += info.size;
    }
    if (at === 0) {
      // A batch larger than the chunk: read it whole.
      const info = readBatchInfo(segment.read(position, BATCH_HEADER_SIZE), 0);
      if (info === null) throw new Error(`${segment.path}: no record batch at position ${position}`);
      const bytes = segment.read(position, info.size);
      if (bytes.length < info.size) throw new Error(`${segment.path}: batch at ${position} runs past the segment`);
      yield { info, bytes };
      at = info.size;
    }
    position += at;
  }
}

function decodeBatch(bytes: Buffer): RecordBatch {
  const batch = decodeBatches(bytes).batches[0];
  if (batch?.magic !== 2) throw new Error('the log cleaner only handles record batch v2');
  return batch;
}

/**
 * Fills `map` from the dirty section [firstDirty, end). Stops early, at a batch boundary, when the map
 * could overflow; returns where it stopped (records from there on are not compared with the map).
 */
function buildOffsetMap(
  segments: readonly Segment[],
  firstDirty: number,
  end: number,
  map: OffsetMap,
  ioBytes: number,
  txns: TransactionOutcomes,
): number {
  for (const segment of segments) {
    if (segment.nextOffset <= firstDirty) continue;
    for (const { info, bytes } of readBatches(segment, ioBytes)) {
      if (info.lastOffset < firstDirty || isControl(info)) continue;
      if (txns.outcome(info) !== 'committed') continue;
      if (map.size > 0 && map.size + info.recordCount > map.capacity) return Math.max(info.baseOffset, firstDirty);
      for (const r of decodeRecords(decodeBatch(bytes))) {
        const offset = info.baseOffset + r.offsetDelta;
        if (r.key !== null && offset >= firstDirty) map.put(r.key, offset);
      }
    }
  }
  return end;
}

/**
 * What became of the transactional batches of a log: aborted (in the aborted-transaction index),
 * committed (a later marker of the producer that is not an abort), or undecided (no marker after it).
 * Non-transactional batches count as committed.
 */
class TransactionOutcomes {
  private readonly aborted = new Map<number, { firstOffset: number; lastOffset: number }[]>();
  /** Each producer's last marker offset. */
  private readonly lastMarker = new Map<number, number>();

  constructor(log: PartitionLog) {
    for (const a of readAbortedTransactions(log.dir)) {
      const list = this.aborted.get(a.producerId) ?? [];
      list.push(a);
      this.aborted.set(a.producerId, list);
    }
    for (const info of log.batchesFrom(0)) {
      if (isControl(info)) this.lastMarker.set(info.producerId, info.baseOffset);
    }
  }

  outcome(info: BatchInfo): 'committed' | 'aborted' | 'undecided' {
    if (!isTransactional(info) || isControl(info)) return 'committed';
    const aborted = this.aborted.get(info.producerId);
    if (aborted?.some((a) => a.firstOffset <= info.baseOffset && info.lastOffset < a.lastOffset)) return 'aborted';
    return (this.lastMarker.get(info.producerId) ?? -1) > info.lastOffset ? 'committed' : 'undecided';
  }
}

/** The last offset of each producer's last data batch in the whole log (Kafka's lastRecordsOfActiveProducers). */
function lastDataBatchOfProducers(log: PartitionLog): Map<number, number> {
  const last = new Map<number, number>();
  for (const info of log.batchesFrom(0)) {
    if (info.producerId >= 0 && !isControl(info)) last.set(info.producerId, info.lastOffset);
  }
  return last;
}

/** The `<base>.log.cleaned` file being written, opened when its first batch is flushed. */
class CleanedSegment {
  readonly path: string;
  size = 0;
  nextOffset: number;
  private fd = -1;
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(
    readonly dir: string,
    readonly baseOffset: number,
    private readonly bufferBytes: number,
  ) {
    this.path = join(dir, `${segmentFileName(baseOffset, '.log')}${CLEANED_SUFFIX}`);
    this.nextOffset = baseOffset;
  }

  append(batch: Buffer, lastOffset: number): void {
    this.pending.push(batch);
    this.pendingBytes += batch.length;
    this.size += batch.length;
    this.nextOffset = lastOffset + 1;
    if (this.pendingBytes >= this.bufferBytes) this.writePending();
  }

  private writePending(): void {
    if (this.pendingBytes === 0) return;
    if (this.fd < 0) this.fd = openSync(this.path, 'w');
    const data = Buffer.concat(this.pending, this.pendingBytes);
    let written = 0;
    while (written < data.length) written += writeSync(this.fd, data, written, data.length - written);
    this.pending = [];
    this.pendingBytes = 0;
  }

  /** Writes what is gathered, fsyncs and closes: the file is complete before it is committed. */
  finish(): void {
    this.writePending();
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = -1;
  }

  abort(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    rmSync(this.path, { force: true });
  }
}

function removeSegmentFiles(
  dir: string,
  baseOffset: number,
  suffixes: readonly ('.log' | '.index' | '.timeindex')[],
): void {
  for (const suffix of suffixes) rmSync(join(dir, segmentFileName(baseOffset, suffix)), { force: true });
}

/** Makes renames and removals in `dir` durable (not every platform can fsync a directory). */
function syncDir(dir: string): void {
  let fd = -1;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Unsupported here (Windows): the rename is still atomic, only its durability is the OS's.
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

/**
 * Replaces `old` (consecutive segments) by the cleaned segment on disk and in the log. Old segments
 * wholly past the cleaned segment's last offset (nothing of them survived) are removed before the
 * commit: a `.swap` completed after a crash only replaces the old segments its own offsets reach, so
 * these would otherwise come back. Losing them without the swap is harmless, since everything in them
 * was superseded by later records or had expired.
 */
function swapIn(log: PartitionLog, old: readonly Segment[], cleaned: CleanedSegment): void {
  const dir = log.dir;
  const end = cleaned.size > 0 ? cleaned.nextOffset : cleaned.baseOffset;
  for (const s of old) if (s.baseOffset >= end) removeSegmentFiles(dir, s.baseOffset, ['.log', '.index', '.timeindex']);
  let replacement: Segment | null = null;
  if (cleaned.size > 0) {
    cleaned.finish();
    const base = cleaned.baseOffset;
    const swap = join(dir, `${segmentFileName(base, '.log')}${SWAP_SUFFIX}`);
    renameSync(cleaned.path, swap);
    syncDir(dir);
    for (const s of old) {
      if (s.baseOffset >= end) continue;
      // The first old segment's .log is replaced by the rename below, atomically.
      removeSegmentFiles(
        dir,
        s.baseOffset,
        s.baseOffset === base ? ['.index', '.timeindex'] : ['.log', '.index', '.timeindex'],
      );
    }
    renameSync(swap, join(dir, segmentFileName(base, '.log')));
    replacement = Segment.recover(dir, base, { indexIntervalBytes: log.config.indexIntervalBytes }, null).segment;
    replacement.writeIndexes();
  } else {
    cleaned.abort();
  }
  syncDir(dir);
  log.replaceSegments(old, replacement);
}

/**
 * Completes or undoes a cleaning cut short by a crash, before the log's segments are opened: a
 * `.cleaned` file was never committed and goes; a `.swap` file was, and replaces every segment whose
 * base offset lies in its offset range, then becomes the `.log` (Kafka's LogLoader does the same).
 */
export function recoverInterruptedCleaning(dir: string): void {
  const files = readdirSync(dir).sort();
  for (const f of files) if (f.endsWith(CLEANED_SUFFIX)) rmSync(join(dir, f), { force: true });
  for (const f of files) {
    if (!f.endsWith(SWAP_SUFFIX)) continue;
    const m = /^(\d{20})\.log\.swap$/.exec(f);
    if (!m) {
      rmSync(join(dir, f), { force: true }); // an index: indexes are rebuilt from the log
      continue;
    }
    const base = Number(m[1]);
    const end = Math.max(nextOffsetOfFile(join(dir, f), base), base + 1);
    for (const g of readdirSync(dir)) {
      const seg = /^(\d{20})\.(log|index|timeindex)$/.exec(g);
      if (seg && Number(seg[1]) >= base && Number(seg[1]) < end) rmSync(join(dir, g), { force: true });
    }
    renameSync(join(dir, f), join(dir, segmentFileName(base, '.log')));
  }
  syncDir(dir);
}

/** The offset after the last complete batch of a segment file (its base offset when it has none). */
function nextOffsetOfFile(path: string, baseOffset: number): number {
  const fd = openSync(path, 'r');
  try {
    const header = Buffer.allocUnsafe(BATCH_HEADER_SIZE);
    let next = baseOffset;
    let position = 0;
    for (;;) {
      if (readSync(fd, header, 0, BATCH_HEADER_SIZE, position) < BATCH_HEADER_SIZE) return next;
      const info = readBatchInfo(header, 0);
      if (info === null) return next;
      const last = Buffer.allocUnsafe(1);
      if (readSync(fd, last, 0, 1, position + info.size - 1) < 1) return next; // torn
      next = info.lastOffset + 1;
      position += info.size;
    }
  } finally {
    closeSync(fd);
  }
}

/** One cleaning's view of what to keep. */
class Retention {
  recordsRead = 0;
  recordsRemoved = 0;
  latestDeleteHorizon = -1;

  constructor(
    private readonly map: OffsetMap,
    /** Records from here on were not seen by the map: they are kept. */
    private readonly mapEnd: number,
    private readonly lastOfProducer: ReadonlyMap<number, number>,
    private readonly now: number,
    private readonly deleteRetentionMs: number,
    private readonly txns: TransactionOutcomes,
  ) {}

  /** LogCleaner.shouldRetainRecord. */
  private keeps(batch: RecordBatch, record: Record, offset: number): boolean {
    if (offset >= this.mapEnd) return true;
    if (record.key === null) return false; // a compacted log has no place for it (Kafka drops it too)
    if (offset < this.map.get(record.key)) return false;
    if (record.value !== null) return true;
    const { header } = batch;
    return !header.hasDeleteHorizonMs || this.now < Number(header.baseTimestamp);
  }

  /** The batch to write in place of `bytes`, or null when it goes. */
  clean(info: BatchInfo, bytes: Buffer): Buffer | null {
    const batch = decodeBatch(bytes);
    const { header } = batch;
    if (header.isControl) return bytes; // transaction markers: kept (Kafka removes them once their data is gone)
    const outcome = this.txns.outcome(info);
    if (outcome === 'undecided') return bytes;
    const records = decodeRecords(batch);
    this.recordsRead += records.length;
    const kept =
      outcome === 'aborted' ? [] : records.filter((r) => this.keeps(batch, r, info.baseOffset + r.offsetDelta));
    this.recordsRemoved += records.length - kept.length;
    if (kept.length === 0) {
      const lastOfProducer = info.producerId >= 0 && this.lastOfProducer.get(info.producerId) === info.lastOffset;
      if (!lastOfProducer) return null;
      return records.length === 0 ? bytes : emptyBatch(batch);
    }
    const keepsTombstone = kept.some((r) => r.value === null);
    const setHorizon = keepsTombstone && !header.hasDeleteHorizonMs;
    let horizon: number | null = header.hasDeleteHorizonMs ? Number(header.baseTimestamp) : null;
    if (setHorizon) horizon = Math.min(this.now + this.deleteRetentionMs, Number.MAX_SAFE_INTEGER);
    if (keepsTombstone && horizon !== null) this.latestDeleteHorizon = Math.max(this.latestDeleteHorizon, horizon);
    if (kept.length === records.length && !setHorizon) return bytes;
    return rebuiltBatch(batch, kept, horizon);
  }
}

/**
 * The batch re-encoded with only `kept`: same base offset and last offset delta (so the offset range
 * and the producer's sequence range stay), same compression and producer fields. With a delete horizon
 * it becomes the baseTimestamp and record timestamps are written relative to it (KIP-534).
 */
function rebuiltBatch(batch: RecordBatch, kept: readonly Record[], horizon: number | null): Buffer {
  const h = batch.header;
  const timestampOf = (r: Record) => h.baseTimestamp + BigInt(r.timestampDelta);
  const baseTimestamp = horizon !== null ? BigInt(horizon) : timestampOf(kept[0] as Record);
  return encodeBatch({
    baseOffset: h.baseOffset,
    partitionLeaderEpoch: h.partitionLeaderEpoch,
    compression: h.compression,
    timestampType: h.timestampType,
    isTransactional: h.isTransactional,
    hasDeleteHorizonMs: horizon !== null,
    lastOffsetDelta: h.lastOffsetDelta,
    baseTimestamp,
    // LogAppendTime batches carry the append time here; CreateTime ones the newest record kept.
    maxTimestamp: h.timestampType === TimestampType.LOG_APPEND_TIME ? h.maxTimestamp : undefined,
    producerId: h.producerId,
    producerEpoch: h.producerEpoch,
    baseSequence: h.baseSequence,
    records: kept.map((r) => ({ ...r, timestampDelta: Number(timestampOf(r) - baseTimestamp) })),
  });
}

/** A batch without records that keeps its offsets and producer fields (Kafka's writeEmptyHeader). */
function emptyBatch(batch: RecordBatch): Buffer {
  const h = batch.header;
  return encodeBatch({
    baseOffset: h.baseOffset,
    partitionLeaderEpoch: h.partitionLeaderEpoch,
    compression: CompressionType.NONE,
    timestampType: h.timestampType,
    isTransactional: h.isTransactional,
    lastOffsetDelta: h.lastOffsetDelta,
    baseTimestamp: -1n,
    maxTimestamp: h.maxTimestamp,
    producerId: h.producerId,
    producerEpoch: h.producerEpoch,
    baseSequence: h.baseSequence,
    records: [],
  });
}

/**
 * Cleans `log` over `range` (from `logToClean`). Throws on a batch it cannot read, leaving the log as
 * it was except for groups already swapped in, which are complete.
 */
export function cleanLog(
  log: PartitionLog,
  range: LogToClean,
  now = Date.now(),
  options: CleanerOptions = {},
): CleanStats {
  const settings = compactionSettings(log.config);
  const ioBytes = options.ioBufferBytes ?? DEFAULT_IO_BUFFER_BYTES;
  const segmentsBefore = log.segmentCount;
  const cleanable = log.segmentList.slice(0, -1).filter((s) => s.baseOffset < range.firstUncleanableOffset);
  const map = new OffsetMap(options.maxOffsetMapEntries ?? DEFAULT_MAX_OFFSET_MAP_ENTRIES);
  const txns = new TransactionOutcomes(log);
  const mapEnd = buildOffsetMap(cleanable, range.firstDirtyOffset, range.firstUncleanableOffset, map, ioBytes, txns);
  const retention = new Retention(map, mapEnd, lastDataBatchOfProducers(log), now, settings.deleteRetentionMs, txns);
  const toClean = cleanable.filter((s) => s.baseOffset < mapEnd);
  let bytesBefore = 0;
  let bytesAfter = 0;

  let group: Segment[] = [];
  let out: CleanedSegment | null = null;
  for (const segment of toClean) {
    bytesBefore += segment.size;
    const fits =
      out !== null &&
      out.size + segment.size <= log.config.segmentBytes &&
      segment.nextOffset - out.baseOffset <= MAX_RELATIVE_OFFSET;
    if (out !== null && !fits) {
      bytesAfter += out.size;
      swapIn(log, group, out);
      out = null;
      group = [];
    }
    out ??= new CleanedSegment(log.dir, segment.baseOffset, ioBytes);
    group.push(segment);
    try {
      for (const { info, bytes } of readBatches(segment, ioBytes)) {
        const cleaned = retention.clean(info, bytes);
        if (cleaned !== null) out.append(cleaned, info.lastOffset);
      }
    } catch (e) {
      out.abort();
      throw e;
    }
  }
  if (out !== null) {
    bytesAfter += out.size;
    swapIn(log, group, out);
  }
  return {
    firstDirtyOffset: range.firstDirtyOffset,
    endOffset: Math.max(range.firstDirtyOffset, mapEnd),
    segmentsBefore,
    segmentsAfter: log.segmentCount,
    bytesBefore,
    bytesAfter,
    recordsRead: retention.recordsRead,
    recordsRemoved: retention.recordsRemoved,
    latestDeleteHorizon: retention.latestDeleteHorizon,
  };
}

export interface CleanerCandidate {
  /** `<topic>-<partition>`, the cleaner checkpoint's key. */
  readonly key: string;
  readonly log: PartitionLog;
  /** Cleaning stays below it; undefined when unknown (then only the active segment bounds it). */
  readonly highWatermark: number | undefined;
}

export interface CleanedLog {
  readonly key: string;
  readonly stats: CleanStats;
}

/**
 * The cleaner's state across logs: each log's first dirty offset (the checkpoint), the latest delete
 * horizon its last cleaning kept, and the logs that failed to clean (left alone until restart, as
 * Kafka's uncleanable partitions).
 */
export class LogCleaner {
  private readonly firstDirty = new Map<string, number>();
  private readonly deleteHorizons = new Map<string, number>();
  private readonly failed = new Set<string>();

  constructor(
    private readonly logger: Logger,
    private readonly options: CleanerOptions = {},
  ) {}

  /** The checkpointed first dirty offset of a partition, if it was ever cleaned. */
  checkpoint(key: string): number | undefined {
    return this.firstDirty.get(key);
  }

  /** Restores a checkpoint read from `cleaner-offset-checkpoint`. */
  restoreCheckpoint(key: string, firstDirtyOffset: number): void {
    this.firstDirty.set(key, firstDirtyOffset);
  }

  forget(key: string): void {
    this.firstDirty.delete(key);
    this.deleteHorizons.delete(key);
    this.failed.delete(key);
  }

  get uncleanablePartitions(): ReadonlySet<string> {
    return this.failed;
  }

  /**
   * Cleans the compacted log that most needs it: the highest dirty ratio among those due (ratio above
   * min.cleanable.dirty.ratio, or forced by max.compaction.lag.ms); failing those, one whose kept
   * tombstones have all expired. Returns null when no log is due or the cleaning failed (logged).
   */
  cleanFilthiest(candidates: Iterable<CleanerCandidate>, now = Date.now()): CleanedLog | null {
    let due: { candidate: CleanerCandidate; range: LogToClean } | null = null;
    let expired: { candidate: CleanerCandidate; range: LogToClean } | null = null;
    for (const candidate of candidates) {
      if (!candidate.log.config.compact || this.failed.has(candidate.key)) continue;
      const range = logToClean(candidate.log, this.firstDirty.get(candidate.key), now, candidate.highWatermark);
      const { minCleanableDirtyRatio } = compactionSettings(candidate.log.config);
      if (range.cleanableBytes > 0 && (range.needCompactionNow || range.dirtyRatio > minCleanableDirtyRatio)) {
        if (!due || range.dirtyRatio > due.range.dirtyRatio) due = { candidate, range };
        continue;
      }
      const horizon = this.deleteHorizons.get(candidate.key);
      if (horizon !== undefined && horizon <= now && (!expired || range.dirtyRatio > expired.range.dirtyRatio)) {
        expired = { candidate, range };
      }
    }
    const chosen = due ?? expired;
    if (!chosen) return null;
    try {
      return this.cleanRange(chosen.candidate, chosen.range, now);
    } catch (e) {
      this.failed.add(chosen.candidate.key);
      this.logger.error(
        `cannot clean ${chosen.candidate.key}; it stays uncompacted until restart: ${(e as Error).stack ?? e}`,
      );
      return null;
    }
  }

  /** Cleans one log now, due or not (for operators and tests). Throws when the cleaning fails. */
  clean(candidate: CleanerCandidate, now = Date.now()): CleanedLog {
    const range = logToClean(candidate.log, this.firstDirty.get(candidate.key), now, candidate.highWatermark);
    return this.cleanRange(candidate, range, now);
  }

  private cleanRange(candidate: CleanerCandidate, range: LogToClean, now: number): CleanedLog {
    const started = performance.now();
    const stats = cleanLog(candidate.log, range, now, this.options);
    this.firstDirty.set(candidate.key, stats.endOffset);
    if (stats.latestDeleteHorizon >= 0) this.deleteHorizons.set(candidate.key, stats.latestDeleteHorizon);
    else this.deleteHorizons.delete(candidate.key);
    this.logger.info(
      `cleaned ${candidate.key} up to offset ${stats.endOffset} (dirty ratio ${range.dirtyRatio.toFixed(2)}): ` +
        `${stats.segmentsBefore} -> ${stats.segmentsAfter} segment(s), ${stats.bytesBefore} -> ${stats.bytesAfter} bytes, ` +
        `${stats.recordsRemoved} of ${stats.recordsRead} record(s) removed in ${(performance.now() - started).toFixed(1)} ms`,
    );
    return { key: candidate.key, stats };
  }
}

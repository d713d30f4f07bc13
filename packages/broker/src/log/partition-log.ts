/**
 * The log of one partition replica: a directory `<topic>-<partition>` of segments, the log start offset,
 * the log end offset, and the leader epoch history. Batches are stored exactly as producers sent them
 * (no decompression, no re-compression); the leader assigns offsets by rewriting each batch's
 * baseOffset and partitionLeaderEpoch, which lie outside the CRC.
 *
 * This class knows nothing of replication or clients: Partition (partition.ts) decides the high
 * watermark, idempotence and what a fetch may see; this decides bytes and offsets on disk.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeBatches, decodeRecords, ErrorCode, KafkaError } from '@flotilla/protocol';
import { BATCH_HEADER_SIZE, type BatchInfo, readBatchInfo } from './batch-info.js';
import { recoverInterruptedCleaning } from './cleaner.js';
import { verifyBatchCrc, writeBatchCrc } from './crc.js';
import { LeaderEpochCache } from './leader-epoch-cache.js';
import { Segment, segmentFileName } from './segment.js';

/** The topic configs that shape a log, resolved (topic override, else broker default). */
export interface LogConfig {
  readonly segmentBytes: number;
  readonly segmentMs: number;
  readonly retentionMs: number;
  readonly retentionBytes: number;
  readonly maxMessageBytes: number;
  readonly indexIntervalBytes: number;
  readonly flushMessages: number;
  readonly flushMs: number;
  readonly compact: boolean;
  readonly delete: boolean;
  readonly logAppendTime: boolean;
  readonly timestampBeforeMaxMs: number;
  readonly timestampAfterMaxMs: number;
  /**
   * Compaction settings (min.cleanable.dirty.ratio, delete.retention.ms, min/max.compaction.lag.ms).
   * Optional so that logs which are never compacted need not name them; the cleaner applies Kafka's
   * defaults when absent (cleaner.ts `compactionSettings`).
   */
  readonly minCleanableDirtyRatio?: number;
  readonly deleteRetentionMs?: number;
  readonly minCompactionLagMs?: number;
  readonly maxCompactionLagMs?: number;
}

export interface AppendInfo {
  readonly firstOffset: number;
  readonly lastOffset: number;
  /** The broker time written into the batches for LogAppendTime topics, else -1. */
  readonly logAppendTime: number;
  readonly batches: readonly BatchInfo[];
  readonly bytes: number;
  readonly records: number;
}

export interface ReadResult {
  readonly records: Buffer;
  /** The log start offset at the time of the read. */
  readonly logStartOffset: number;
}

const NO_TIMESTAMP = -1;
const TIMESTAMP_TYPE_BIT = 0x08;

/** A produce that failed because of particular records (Produce v8+ reports them per batch index). */
export class RecordValidationError extends KafkaError {
  constructor(
    errorCode: number,
    detail: string,
    readonly recordErrors: readonly { batchIndex: number; message: string }[],
  ) {
    super(errorCode, detail);
    this.name = 'RecordValidationError';
  }
}

/**
 * Compacted topics keep the latest value per key, so a record without a key has no place in them:
 * Kafka rejects it with INVALID_RECORD and names the record (LogValidator.validateKey). This needs the
 * records themselves, so only compacted topics pay for decompressing them on produce.
 */
export function validateKeysForCompaction(records: Buffer, topicPartition: string): void {
  const errors: { batchIndex: number; message: string }[] = [];
  for (const batch of decodeBatches(records).batches) {
    if (batch.magic !== 2 || batch.header.isControl) continue;
    decodeRecords(batch, { verifyCrc: false }).forEach((r, i) => {
      if (r.key === null) {
        errors.push({
          batchIndex: i,
          message: `Compacted topic cannot accept message without key in topic partition ${topicPartition}.`,
        });
      }
    });
  }
  if (errors.length > 0) {
    throw new RecordValidationError(
      ErrorCode.INVALID_RECORD,
      `One or more records have been rejected due to ${errors.length} record errors in total, and only showing the first three errors at most: ${JSON.stringify(errors.slice(0, 3))}`,
      errors,
    );
  }
}

/** Splits a Produce `records` field into batches, checking lengths, magic and CRC. */
export function validateBatches(records: Buffer, maxMessageBytes: number): BatchInfo[] {
  const infos: BatchInfo[] = [];
  let at = 0;
  while (at < records.length) {
    if (records.length - at < BATCH_HEADER_SIZE) {
      throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'record set ends with a truncated batch header');
    }
    const magic = records.readInt8(at + 16);
    if (magic !== 2) {
      throw new KafkaError(
        ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT,
        `message format v${magic} is not supported; use a client that writes record batch v2 (Kafka 0.11+)`,
      );
    }
    const info = readBatchInfo(records, at);
    if (info === null || at + info.size > records.length) {
      throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'record batch length exceeds the request');
    }
    if (info.size > maxMessageBytes) {
      throw new KafkaError(
        ErrorCode.MESSAGE_TOO_LARGE,
        `record batch of ${info.size} bytes exceeds max.message.bytes ${maxMessageBytes}`,
      );
    }
    const batch = records.subarray(at, at + info.size);
    if (!verifyBatchCrc(batch)) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'record batch CRC mismatch');
    if (info.recordCount <= 0 || info.lastOffset - info.baseOffset !== info.recordCount - 1) {
      throw new KafkaError(
        ErrorCode.INVALID_RECORD,
        `record batch claims ${info.recordCount} records but its last offset delta is ${info.lastOffset - info.baseOffset}`,
      );
    }
    infos.push(info);
    at += info.size;
  }
  if (infos.length === 0) throw new KafkaError(ErrorCode.INVALID_RECORD, 'produce request without records');
  return infos;
}

export class PartitionLog {
  readonly dir: string;
  private segments: Segment[] = [];
  logStartOffset: number;
  readonly epochs: LeaderEpochCache;
  private lastFlushMs = Date.now();

  private constructor(
    dir: string,
    public config: LogConfig,
    logStartOffset: number,
  ) {
    this.dir = dir;
    this.logStartOffset = logStartOffset;
    this.epochs = new LeaderEpochCache(join(dir, 'leader-epoch-checkpoint'));
  }

  /**
   * Opens (or creates) the log in `dir`. Segments after `recoveryPoint` are validated batch by batch
   * and cut at the first torn or corrupt batch; segments before it are trusted and only indexed.
   */
  static open(
    dir: string,
    config: LogConfig,
    options: { logStartOffset?: number; recoveryPoint?: number } = {},
  ): PartitionLog {
    mkdirSync(dir, { recursive: true });
    recoverInterruptedCleaning(dir);
    const bases = readdirSync(dir)
      .filter((f) => /^\d{20}\.log$/.test(f))
      .map((f) => Number(f.slice(0, 20)))
      .sort((a, b) => a - b);
    for (const f of readdirSync(dir)) if (f.endsWith('.tmp')) rmSync(join(dir, f), { force: true });
    const log = new PartitionLog(dir, config, options.logStartOffset ?? bases[0] ?? 0);
    const recoveryPoint = options.recoveryPoint ?? 0;
    const segOptions = { indexIntervalBytes: config.indexIntervalBytes };
    for (let i = 0; i < bases.length; i++) {
      const base = bases[i] as number;
      const next = bases[i + 1];
      const trusted = next !== undefined && next <= recoveryPoint;
      const { segment, truncatedBytes } = Segment.recover(dir, base, segOptions, trusted ? null : verifyBatchCrc);
      log.segments.push(segment);
      if (truncatedBytes > 0) {
        // Nothing after a corrupt batch can be trusted: later segments go too.
        for (const later of bases.slice(i + 1)) {
          for (const suffix of ['.log', '.index', '.timeindex'] as const) {
            rmSync(join(dir, segmentFileName(later, suffix)), { force: true });
          }
        }
        break;
      }
    }
    if (log.segments.length === 0) log.segments.push(Segment.create(dir, log.logStartOffset, segOptions));
    log.logStartOffset = Math.max(log.logStartOffset, log.segments[0]?.baseOffset ?? 0);
    log.logStartOffset = Math.min(log.logStartOffset, log.logEndOffset);
    log.epochs.truncateFromEnd(log.logEndOffset);
    return log;
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1] as Segment;
  }

  get logEndOffset(): number {
    return this.active.nextOffset;
  }

  /** Called with the batch bytes before a leader append; throws to refuse it (LogManager's storage limit). */
  beforeLeaderAppend: ((bytes: number) => void) | undefined;

  get size(): number {
    let total = 0;
    for (const s of this.segments) total += s.size;
    return total;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  /** The segments, oldest first; the last one is the active segment. A live view: copy before changing the log. */
  get segmentList(): readonly Segment[] {
    return this.segments;
  }

  /** The earliest segment's first batch timestamp, for retention and "max timestamp" list offsets. */
  get maxTimestampAndOffset(): { timestamp: number; offset: number } {
    let best = { timestamp: NO_TIMESTAMP, offset: -1 };
    for (const s of this.segments) {
      if (s.maxTimestamp > best.timestamp) best = { timestamp: s.maxTimestamp, offset: s.offsetOfMaxTimestamp };
    }
    return best;
  }

  /**
   * Appends validated batches as the leader: assigns offsets from the log end offset, stamps the
   * leader epoch (and LogAppendTime where configured), writes, and flushes per flush.messages.
   */
  appendAsLeader(records: Buffer, infos: readonly BatchInfo[], leaderEpoch: number, now = Date.now()): AppendInfo {
    this.beforeLeaderAppend?.(records.length);
    const firstOffset = this.logEndOffset;
    let offset = firstOffset;
    let at = 0;
    const assigned: BatchInfo[] = [];
    const logAppendTime = this.config.logAppendTime ? now : NO_TIMESTAMP;
    for (const info of infos) {
      if (logAppendTime === NO_TIMESTAMP) this.checkTimestamp(info, now);
      records.writeBigInt64BE(BigInt(offset), at);
      records.writeInt32BE(leaderEpoch, at + 12);
      let maxTimestamp = info.maxTimestamp;
      let attributes = info.attributes;
      if (logAppendTime !== NO_TIMESTAMP) {
        attributes |= TIMESTAMP_TYPE_BIT;
        maxTimestamp = now;
        records.writeInt16BE(attributes, at + 21);
        records.writeBigInt64BE(BigInt(now), at + 35);
        writeBatchCrc(records.subarray(at, at + info.size));
      }
      const count = info.lastOffset - info.baseOffset + 1;
      assigned.push({
        ...info,
        baseOffset: offset,
        lastOffset: offset + count - 1,
        partitionLeaderEpoch: leaderEpoch,
        attributes,
        maxTimestamp,
      });
      offset += count;
      at += info.size;
    }
    this.epochs.assign(leaderEpoch, firstOffset);
    this.write(records, assigned, now);
    return {
      firstOffset,
      lastOffset: offset - 1,
      logAppendTime,
      batches: assigned,
      bytes: records.length,
      records: offset - firstOffset,
    };
  }

  /**
   * Appends batches that already carry offsets (a follower copying its leader, or the log cleaner).
   * Offsets must continue from the log end offset.
   */
  appendWithOffsets(records: Buffer, infos: readonly BatchInfo[], now = Date.now()): void {
    const first = infos[0];
    if (!first) return;
    if (first.baseOffset < this.logEndOffset) {
      throw new KafkaError(
        ErrorCode.UNKNOWN_SERVER_ERROR,
        `batch at offset ${first.baseOffset} is below the log end offset ${this.logEndOffset}`,
      );
    }
    for (const info of infos) this.epochs.assign(info.partitionLeaderEpoch, info.baseOffset);
    this.write(records, infos, now);
  }

  /**
   * Appends a leader's batches on a follower exactly as the leader wrote them: offsets, leader epochs
   * and timestamps are kept (Kafka's appendAsFollower). Batches are checked for framing and CRC, and
   * must continue from the log end offset; a follower never assigns offsets itself.
   */
  appendAsFollower(records: Buffer, now = Date.now()): AppendInfo | null {
    if (records.length === 0) return null;
    const infos: BatchInfo[] = [];
    let at = 0;
    while (at + BATCH_HEADER_SIZE <= records.length) {
      const info = readBatchInfo(records, at);
      // A fetch response may end with a partial batch (the leader cut it at max.bytes): stop there.
      if (info === null || at + info.size > records.length) break;
      if (!verifyBatchCrc(records.subarray(at, at + info.size))) {
        throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `replicated batch at offset ${info.baseOffset} fails its CRC`);
      }
      infos.push(info);
      at += info.size;
    }
    const first = infos[0];
    const last = infos[infos.length - 1];
    if (!first || !last) return null;
    const whole = at === records.length ? records : records.subarray(0, at);
    this.appendWithOffsets(whole, infos, now);
    return {
      firstOffset: first.baseOffset,
      lastOffset: last.lastOffset,
      logAppendTime: NO_TIMESTAMP,
      batches: infos,
      bytes: at,
      records: last.lastOffset - first.baseOffset + 1,
    };
  }

  private checkTimestamp(info: BatchInfo, now: number): void {
    const ts = info.maxTimestamp;
    if (ts === NO_TIMESTAMP) return;
    if (ts < now - this.config.timestampBeforeMaxMs || ts > now + this.config.timestampAfterMaxMs) {
      throw new KafkaError(
        ErrorCode.INVALID_TIMESTAMP,
        `timestamp ${ts} is outside the range allowed by message.timestamp.before/after.max.ms`,
      );
    }
  }

  private write(records: Buffer, infos: readonly BatchInfo[], now: number): void {
    this.maybeRoll(records.length, infos[0]?.baseOffset ?? this.logEndOffset, now);
    this.active.append(records, infos);
    if (this.active.unflushed >= this.config.flushMessages) this.flush(now);
  }

  private maybeRoll(incoming: number, nextOffset: number, now: number): void {
    const seg = this.active;
    if (seg.size === 0) return;
    const full = seg.size + incoming > this.config.segmentBytes;
    // A compacted log also rolls by max.compaction.lag.ms, so that its records become cleanable (KIP-354).
    const rollMs = this.config.compact
      ? Math.min(this.config.segmentMs, this.config.maxCompactionLagMs ?? Number.POSITIVE_INFINITY)
      : this.config.segmentMs;
    const old = now - seg.createdMs >= rollMs;
    const offsetOverflow = nextOffset - seg.baseOffset > 0x7fff_fff0; // relative offsets are int32
    if (full || old || offsetOverflow) this.roll();
  }

  /** Starts a new active segment at the log end offset. */
  roll(): void {
    const seg = this.active;
    if (seg.size === 0) return;
    seg.flush();
    seg.writeIndexes();
    this.segments.push(
      Segment.create(this.dir, this.logEndOffset, { indexIntervalBytes: this.config.indexIntervalBytes }),
    );
  }

  flush(now = Date.now()): void {
    for (const s of this.segments) s.flush();
    this.lastFlushMs = now;
  }

  /** Flushes when flush.ms has passed since the last flush (called by the log manager's timer). */
  flushIfDue(now = Date.now()): void {
    if (now - this.lastFlushMs >= this.config.flushMs) this.flush(now);
  }

  private segmentFor(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.segments[mid] as Segment).baseOffset <= offset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /**
   * Reads whole batches starting with the one that holds `offset`, up to `maxBytes`, and only batches
   * that end below `maxOffset` (the high watermark for consumers). With `minOneBatch` the first batch
   * is returned even when it is larger than maxBytes (KIP-74), so a consumer never gets stuck.
   * `allocate` gives the buffer the bytes are read into (a Fetch's come from its response's pool).
   */
  read(
    offset: number,
    maxBytes: number,
    maxOffset: number,
    minOneBatch: boolean,
    allocate?: (size: number) => Buffer,
  ): ReadResult {
    if (offset < this.logStartOffset || offset > this.logEndOffset) {
      throw new KafkaError(
        ErrorCode.OFFSET_OUT_OF_RANGE,
        `offset ${offset} is outside [${this.logStartOffset}, ${this.logEndOffset}]`,
      );
    }
    const empty = { records: Buffer.alloc(0), logStartOffset: this.logStartOffset };
    if (offset >= maxOffset) return empty;
    for (let i = this.segmentFor(offset); i < this.segments.length; i++) {
      const seg = this.segments[i] as Segment;
      const found = seg.locate(offset);
      if (!found) continue;
      if (found.info.baseOffset >= maxOffset) return empty;
      const first = found.info;
      const want = Math.max(maxBytes, minOneBatch ? first.size : 0);
      if (first.size > want) return empty;
      const chunk = seg.read(found.position, Math.min(want, seg.size - found.position), allocate);
      // Keep whole batches below maxOffset.
      let end = 0;
      while (end + BATCH_HEADER_SIZE <= chunk.length) {
        const info = readBatchInfo(chunk, end);
        if (info === null || end + info.size > chunk.length || info.lastOffset >= maxOffset) break;
        end += info.size;
      }
      return { records: chunk.subarray(0, end), logStartOffset: this.logStartOffset };
    }
    return empty;
  }

  /** Headers of every batch from `offset` on (producer state rebuild, compaction, tests). */
  *batchesFrom(offset: number): Generator<BatchInfo> {
    for (let i = this.segmentFor(offset); i < this.segments.length; i++) {
      for (const { info } of (this.segments[i] as Segment).scan(0)) {
        if (info.lastOffset >= offset) yield info;
      }
    }
  }

  /**
   * ListOffsets by timestamp: the first record whose timestamp is >= `timestamp`. The batch is found
   * from headers; the record inside it by decoding that one batch (decompressing it if needed).
   */
  offsetForTimestamp(timestamp: number): { offset: number; timestamp: number } | null {
    for (const seg of this.segments) {
      const found = seg.batchForTimestamp(timestamp);
      if (!found) continue;
      const { info } = found;
      const bytes = seg.read(found.position, info.size);
      const decoded = decodeBatches(bytes).batches[0];
      if (decoded?.magic === 2 && (info.attributes & TIMESTAMP_TYPE_BIT) === 0) {
        const base = Number(decoded.header.baseTimestamp);
        for (const r of decodeRecords(decoded, { verifyCrc: false })) {
          const ts = base + r.timestampDelta;
          const offset = info.baseOffset + r.offsetDelta;
          if (ts >= timestamp && offset >= this.logStartOffset) return { offset, timestamp: ts };
        }
      }
      // LogAppendTime batches carry one timestamp for all records: the batch's.
      return { offset: Math.max(info.baseOffset, this.logStartOffset), timestamp: info.maxTimestamp };
    }
    return null;
  }

  /** DeleteRecords: moves the log start offset forward and drops segments wholly below it. */
  deleteRecordsBefore(offset: number): number {
    if (offset > this.logEndOffset) {
      throw new KafkaError(
        ErrorCode.OFFSET_OUT_OF_RANGE,
        `cannot delete records before ${offset}: the log ends at ${this.logEndOffset}`,
      );
    }
    if (offset > this.logStartOffset) this.logStartOffset = offset;
    this.dropSegmentsBelow(this.logStartOffset);
    return this.logStartOffset;
  }

  private dropSegmentsBelow(offset: number): void {
    while (this.segments.length > 1 && (this.segments[1] as Segment).baseOffset <= offset) {
      (this.segments.shift() as Segment).delete();
    }
    if (this.segments.length === 1 && this.active.nextOffset <= offset && this.active.size > 0) {
      // Everything is gone: start an empty segment at the new start.
      const old = this.active;
      this.segments = [Segment.create(this.dir, offset, { indexIntervalBytes: this.config.indexIntervalBytes })];
      old.delete();
    }
  }

  /**
   * Retention: drops segments older than retention.ms or beyond retention.bytes, never the active
   * segment while it holds data that is not expired. Returns the number of segments deleted.
   */
  enforceRetention(now = Date.now()): number {
    if (!this.config.delete) return 0;
    let deleted = 0;
    const expired = (s: Segment) =>
      this.config.retentionMs >= 0 &&
      s.size > 0 &&
      now - (s.maxTimestamp >= 0 ? s.maxTimestamp : s.createdMs) > this.config.retentionMs;
    if (this.segments.length === 1 && expired(this.active)) this.roll();
    while (this.segments.length > 1 && expired(this.segments[0] as Segment)) {
      this.deleteOldest();
      deleted++;
    }
    if (this.config.retentionBytes >= 0) {
      let size = this.size;
      while (this.segments.length > 1 && size - (this.segments[0] as Segment).size >= this.config.retentionBytes) {
        size -= (this.segments[0] as Segment).size;
        this.deleteOldest();
        deleted++;
      }
    }
    return deleted;
  }

  private deleteOldest(): void {
    const seg = this.segments.shift() as Segment;
    seg.delete();
    this.logStartOffset = Math.max(this.logStartOffset, (this.segments[0] as Segment).baseOffset);
  }

  /** Removes everything at and after `offset` (a follower diverging from its new leader). */
  truncateTo(offset: number): void {
    if (offset >= this.logEndOffset) {
      // Nothing to cut, but an epoch this replica started as leader without writing in it (so no
      // follower ever saw it) may sit at the end of the cache: it must go, as Kafka's truncateTo does,
      // or the next fetch sends it as lastFetchedEpoch and the leader answers the same divergence again.
      this.epochs.truncateFromEnd(offset);
      return;
    }
    while (this.segments.length > 1 && this.active.baseOffset >= offset) {
      (this.segments.pop() as Segment).delete();
    }
    this.active.truncateTo(offset);
    this.epochs.truncateFromEnd(this.logEndOffset);
  }

  /**
   * Drops the whole log and starts it empty at `offset`: a follower whose fetch position fell below the
   * leader's log start offset (retention or DeleteRecords on the leader) cannot catch up otherwise.
   */
  truncateFullyAndStartAt(offset: number): void {
    for (const s of this.segments) s.delete();
    this.segments = [Segment.create(this.dir, offset, { indexIntervalBytes: this.config.indexIntervalBytes })];
    this.logStartOffset = offset;
    this.epochs.truncateFromEnd(0);
  }

  /**
   * Puts the log cleaner's output in place of `old`, consecutive inactive segments whose files the
   * cleaner has already swapped on disk (cleaner.ts), and releases their file handles without touching
   * files: the replacement usually has the first old segment's base offset, hence its file names.
   * `replacement` is null when nothing of the old segments survived.
   */
  replaceSegments(old: readonly Segment[], replacement: Segment | null): void {
    if (old.length === 0) return;
    const first = this.segments.indexOf(old[0] as Segment);
    const consecutive = first >= 0 && old.every((s, i) => this.segments[first + i] === s);
    if (!consecutive || first + old.length >= this.segments.length) {
      throw new Error(`cannot replace segments of ${this.dir}: they are not consecutive inactive segments of the log`);
    }
    this.segments.splice(first, old.length, ...(replacement ? [replacement] : []));
    for (const s of old) s.release();
  }

  close(): void {
    for (const s of this.segments) s.close();
    this.epochs.flush();
  }

  /** Closes and removes the whole partition directory (DeleteTopics). */
  delete(): void {
    for (const s of this.segments) s.delete();
    this.segments = [];
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Renames the directory out of the way first so a crash mid-delete leaves no half topic behind. */
  static deleteDir(dir: string): void {
    if (!existsSync(dir)) return;
    const trash = `${dir}.${Date.now()}-delete`;
    renameSync(dir, trash);
    rmSync(trash, { recursive: true, force: true });
  }
}

/** Reads and writes Kafka's `partition.metadata` (the topic id of a partition directory). */
export function readPartitionMetadata(dir: string): string | null {
  const file = join(dir, 'partition.metadata');
  if (!existsSync(file)) return null;
  const m = /topic_id:\s*(\S+)/.exec(readFileSync(file, 'utf8'));
  return m?.[1] ?? null;
}

export function writePartitionMetadata(dir: string, topicId: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'partition.metadata'), `version: 0\ntopic_id: ${topicId}\n`);
}

/**
 * One log segment: `<baseOffset>.log` holding record batches exactly as received (offsets assigned),
 * with a sparse offset index (`.index`, 8-byte entries: relative offset int32, file position int32) and
 * a time index (`.timeindex`, 12-byte entries: timestamp int64, relative offset int32), the layout of
 * Kafka's own files (implementation.html, "Log"). The indexes live in memory while the segment is open
 * and are written to disk when it is rolled or closed; recovery rebuilds them by scanning.
 */
import {
  closeSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { BATCH_HEADER_SIZE, type BatchInfo, readBatchInfo } from './batch-info.js';

export function segmentFileName(
  baseOffset: number,
  suffix: '.log' | '.index' | '.timeindex' | '.snapshot' | '.txnindex',
): string {
  return `${String(baseOffset).padStart(20, '0')}${suffix}`;
}

/** Grows a typed array of index entries without re-allocating on every append. */
class IndexEntries {
  keys = new Float64Array(64);
  values = new Float64Array(64);
  length = 0;

  push(key: number, value: number): void {
    if (this.length === this.keys.length) {
      const k = new Float64Array(this.keys.length * 2);
      const v = new Float64Array(this.keys.length * 2);
      k.set(this.keys);
      v.set(this.values);
      this.keys = k;
      this.values = v;
    }
    this.keys[this.length] = key;
    this.values[this.length] = value;
    this.length++;
  }

  /** Index of the last entry whose key is <= `key`, or -1. */
  floor(key: number): number {
    let lo = 0;
    let hi = this.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.keys[mid] as number) <= key) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  truncateTo(n: number): void {
    this.length = Math.min(this.length, n);
  }
}

export interface SegmentOptions {
  readonly indexIntervalBytes: number;
}

export class Segment {
  readonly baseOffset: number;
  readonly path: string;
  private fd: number;
  /** Bytes of valid batches in the .log file. */
  size = 0;
  /** Offset after the last batch in this segment (its next offset). */
  nextOffset: number;
  /** Largest batch max timestamp in the segment, and the offset where it was seen. */
  maxTimestamp = -1;
  offsetOfMaxTimestamp = -1;
  /** When the segment was created (for segment.ms rolling) and last written. */
  readonly createdMs: number;
  private readonly offsetIndex = new IndexEntries(); // key: offset, value: position
  private readonly timeIndex = new IndexEntries(); // key: timestamp, value: offset
  private bytesSinceIndex = 0;
  private unflushedMessages = 0;
  private closed = false;

  private constructor(
    dir: string,
    baseOffset: number,
    private readonly options: SegmentOptions,
    createdMs: number,
  ) {
    this.baseOffset = baseOffset;
    this.nextOffset = baseOffset;
    this.path = join(dir, segmentFileName(baseOffset, '.log'));
    this.fd = openSync(this.path, 'a+');
    this.createdMs = createdMs;
  }

  static create(dir: string, baseOffset: number, options: SegmentOptions): Segment {
    return new Segment(dir, baseOffset, options, Date.now());
  }

  /**
   * Opens an existing segment and rebuilds its indexes by scanning every batch. The scan stops at the
   * first batch that is incomplete or fails `validate` (a torn write after a crash) and the file is
   * truncated there. Returns the segment and how many bytes were cut.
   */
  static recover(
    dir: string,
    baseOffset: number,
    options: SegmentOptions,
    validate: ((batch: Buffer) => boolean) | null,
  ): { segment: Segment; truncatedBytes: number } {
    const path = join(dir, segmentFileName(baseOffset, '.log'));
    const stat = statSync(path);
    const segment = new Segment(dir, baseOffset, options, stat.birthtimeMs || stat.mtimeMs);
    const fileSize = stat.size;
    const header = Buffer.allocUnsafe(BATCH_HEADER_SIZE);
    let position = 0;
    while (position + BATCH_HEADER_SIZE <= fileSize) {
      readSync(segment.fd, header, 0, BATCH_HEADER_SIZE, position);
      const info = readBatchInfo(header, 0);
      if (info === null || position + info.size > fileSize || info.baseOffset < segment.nextOffset) break;
      if (validate) {
        const batch = Buffer.allocUnsafe(info.size);
        readSync(segment.fd, batch, 0, info.size, position);
        if (!validate(batch)) break;
      }
      segment.track(info, position);
      position += info.size;
    }
    return segment.finishRecovery(position, fileSize);
  }

  private finishRecovery(validBytes: number, fileSize: number): { segment: Segment; truncatedBytes: number } {
    if (validBytes < fileSize) {
      ftruncateSync(this.fd, validBytes);
    }
    this.size = validBytes;
    return { segment: this, truncatedBytes: fileSize - validBytes };
  }

  /** Records a batch that now sits at `position` in the indexes. */
  private track(info: BatchInfo, position: number): void {
    if (this.size === 0 || this.bytesSinceIndex >= this.options.indexIntervalBytes) {
      this.offsetIndex.push(info.baseOffset, position);
      this.bytesSinceIndex = 0;
    }
    this.bytesSinceIndex += info.size;
    if (info.maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = info.maxTimestamp;
      this.offsetOfMaxTimestamp = info.lastOffset;
      this.timeIndex.push(info.maxTimestamp, info.lastOffset);
    }
    this.size = position + info.size;
    this.nextOffset = info.lastOffset + 1;
  }

  /** Appends batches that already carry their final offsets. */
  append(batches: Buffer, infos: readonly BatchInfo[]): void {
    if (this.closed) throw new Error(`segment ${this.path} is closed`);
    let written = 0;
    while (written < batches.length) {
      written += writeSync(this.fd, batches, written, batches.length - written, this.size + written);
    }
    let position = this.size;
    for (const info of infos) {
      this.track(info, position);
      position += info.size;
      this.unflushedMessages += info.lastOffset - info.baseOffset + 1;
    }
  }

  get unflushed(): number {
    return this.unflushedMessages;
  }

  flush(): void {
    if (this.unflushedMessages === 0 || this.closed) return;
    fsyncSync(this.fd);
    this.unflushedMessages = 0;
  }

  /** Reads `length` bytes at `position` (clamped to the segment) into a buffer from `allocate`. */
  read(position: number, length: number, allocate: (size: number) => Buffer = Buffer.allocUnsafe): Buffer {
    const n = Math.max(0, Math.min(length, this.size - position));
    const buf = allocate(n);
    let got = 0;
    while (got < n) {
      const r = readSync(this.fd, buf, got, n - got, position + got);
      if (r === 0) break;
      got += r;
    }
    return got === n ? buf : buf.subarray(0, got);
  }

  /**
   * The file position of the batch that contains `offset` (or the first batch after it), and that
   * batch's info; null when the segment has nothing at or after `offset`.
   */
  locate(offset: number): { position: number; info: BatchInfo } | null {
    const i = this.offsetIndex.floor(offset);
    let position = i < 0 ? 0 : (this.offsetIndex.values[i] as number);
    const header = Buffer.allocUnsafe(BATCH_HEADER_SIZE);
    while (position + BATCH_HEADER_SIZE <= this.size) {
      readSync(this.fd, header, 0, BATCH_HEADER_SIZE, position);
      const info = readBatchInfo(header, 0);
      if (info === null) return null;
      if (info.lastOffset >= offset) return { position, info };
      position += info.size;
    }
    return null;
  }

  /** Infos of every batch from `position` to the end (used by retention, compaction and state rebuild). */
  *scan(fromPosition = 0): Generator<{ position: number; info: BatchInfo }> {
    const header = Buffer.allocUnsafe(BATCH_HEADER_SIZE);
    let position = fromPosition;
    while (position + BATCH_HEADER_SIZE <= this.size) {
      readSync(this.fd, header, 0, BATCH_HEADER_SIZE, position);
      const info = readBatchInfo(header, 0);
      if (info === null) return;
      yield { position, info };
      position += info.size;
    }
  }

  /** The first batch whose max timestamp is >= `timestamp` (the record inside is found by the caller). */
  batchForTimestamp(timestamp: number): { position: number; info: BatchInfo } | null {
    if (this.maxTimestamp < timestamp) return null;
    for (const found of this.scan(0)) {
      if (found.info.maxTimestamp >= timestamp) return found;
    }
    return null;
  }

  /** Cuts the segment so that it ends before `offset`. Returns the bytes removed. */
  truncateTo(offset: number): number {
    if (offset >= this.nextOffset) return 0;
    let cut = 0;
    let newNext = this.baseOffset;
    for (const { position, info } of this.scan(0)) {
      if (info.baseOffset >= offset) {
        cut = position;
        break;
      }
      newNext = info.lastOffset + 1;
      cut = position + info.size;
    }
    const removed = this.size - cut;
    ftruncateSync(this.fd, cut);
    this.size = cut;
    this.nextOffset = newNext;
    this.offsetIndex.truncateTo(Math.max(0, this.offsetIndex.floor(newNext - 1) + 1));
    this.rebuildTimeIndex();
    return removed;
  }

  private rebuildTimeIndex(): void {
    this.timeIndex.truncateTo(0);
    this.maxTimestamp = -1;
    this.offsetOfMaxTimestamp = -1;
    for (const { info } of this.scan(0)) {
      if (info.maxTimestamp > this.maxTimestamp) {
        this.maxTimestamp = info.maxTimestamp;
        this.offsetOfMaxTimestamp = info.lastOffset;
        this.timeIndex.push(info.maxTimestamp, info.lastOffset);
      }
    }
  }

  /** Writes the indexes beside the log in Kafka's file layout (done on roll and on close). */
  writeIndexes(): void {
    const dir = join(this.path, '..');
    const index = Buffer.allocUnsafe(this.offsetIndex.length * 8);
    for (let i = 0; i < this.offsetIndex.length; i++) {
      index.writeInt32BE((this.offsetIndex.keys[i] as number) - this.baseOffset, i * 8);
      index.writeInt32BE(this.offsetIndex.values[i] as number, i * 8 + 4);
    }
    const time = Buffer.allocUnsafe(this.timeIndex.length * 12);
    for (let i = 0; i < this.timeIndex.length; i++) {
      time.writeBigInt64BE(BigInt(this.timeIndex.keys[i] as number), i * 12);
      time.writeInt32BE((this.timeIndex.values[i] as number) - this.baseOffset, i * 12 + 8);
    }
    writeAtomically(join(dir, segmentFileName(this.baseOffset, '.index')), index);
    writeAtomically(join(dir, segmentFileName(this.baseOffset, '.timeindex')), time);
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.writeIndexes();
    closeSync(this.fd);
    this.closed = true;
  }

  /**
   * Closes the file handle and nothing else: no flush, no index write, no file removed. For a segment
   * the log cleaner has already replaced on disk, where writing or deleting by name would hit the
   * replacement (which may carry the same base offset).
   */
  release(): void {
    if (this.closed) return;
    closeSync(this.fd);
    this.closed = true;
  }

  /** Closes and deletes the segment's files. */
  delete(): void {
    if (!this.closed) {
      closeSync(this.fd);
      this.closed = true;
    }
    const dir = join(this.path, '..');
    // .txnindex: the segment's aborted transactions (txn-index.ts) go with it.
    for (const suffix of ['.log', '.index', '.timeindex', '.txnindex'] as const) {
      rmSync(join(dir, segmentFileName(this.baseOffset, suffix)), { force: true });
    }
  }
}

function writeAtomically(path: string, data: Buffer): void {
  writeFileSync(`${path}.tmp`, data);
  renameSync(`${path}.tmp`, path);
}

/**
 * The aborted-transactions index of a partition (Kafka's `.txnindex`, one file per segment): for every
 * transaction that ended with an ABORT marker, the producer id, the offset of its first record, the
 * offset of the marker and the last stable offset once it was aborted. A read_committed consumer gets
 * the entries that overlap the range it fetched and drops those producers' records up to each marker
 * (KIP-98, "Transactional Messaging in Kafka", the aborted transaction index).
 *
 * File layout, Kafka's: 34-byte entries of version int16 (0), producerId int64, firstOffset int64,
 * lastOffset int64, lastStableOffset int64. An entry lives in the file of the segment that holds its
 * marker. Files are appended to as markers are written (not fsynced: after a crash the producer state
 * rebuild replays the markers after the last snapshot and adds what is missing), and cut on truncation.
 */
import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface AbortedTxn {
  readonly producerId: number;
  readonly firstOffset: number;
  /** The offset of the ABORT marker. */
  readonly lastOffset: number;
  readonly lastStableOffset: number;
}

const ENTRY_BYTES = 34;
const VERSION = 0;

export function txnIndexFileName(segmentBase: number): string {
  return `${String(segmentBase).padStart(20, '0')}.txnindex`;
}

interface Entry extends AbortedTxn {
  readonly segmentBase: number;
}

function encode(e: AbortedTxn): Buffer {
  const b = Buffer.allocUnsafe(ENTRY_BYTES);
  b.writeInt16BE(VERSION, 0);
  b.writeBigInt64BE(BigInt(e.producerId), 2);
  b.writeBigInt64BE(BigInt(e.firstOffset), 10);
  b.writeBigInt64BE(BigInt(e.lastOffset), 18);
  b.writeBigInt64BE(BigInt(e.lastStableOffset), 26);
  return b;
}

export class TransactionIndex {
  /** Every entry of the partition, in marker order (so sorted by lastOffset). */
  private entries: Entry[] = [];

  private constructor(private readonly dir: string) {}

  /**
   * Loads the index files of the given segments; files of segments that no longer exist are removed,
   * and entries whose marker lies at or beyond the log end offset (a torn tail cut by recovery) go.
   */
  static open(dir: string, segmentBases: readonly number[], logEndOffset: number): TransactionIndex {
    const index = new TransactionIndex(dir);
    const live = new Set(segmentBases);
    const files = existsSync(dir) ? readdirSync(dir).filter((f) => /^\d{20}\.txnindex$/.test(f)) : [];
    let cut = false;
    for (const f of files.sort()) {
      const base = Number(f.slice(0, 20));
      if (!live.has(base)) {
        rmSync(join(dir, f), { force: true });
        continue;
      }
      const bytes = readFileSync(join(dir, f));
      for (let at = 0; at + ENTRY_BYTES <= bytes.length; at += ENTRY_BYTES) {
        if (bytes.readInt16BE(at) !== VERSION) break;
        const entry: Entry = {
          segmentBase: base,
          producerId: Number(bytes.readBigInt64BE(at + 2)),
          firstOffset: Number(bytes.readBigInt64BE(at + 10)),
          lastOffset: Number(bytes.readBigInt64BE(at + 18)),
          lastStableOffset: Number(bytes.readBigInt64BE(at + 26)),
        };
        if (entry.lastOffset >= logEndOffset) cut = true;
        else index.entries.push(entry);
      }
    }
    index.entries.sort((a, b) => a.lastOffset - b.lastOffset);
    if (cut) index.rewrite();
    return index;
  }

  get size(): number {
    return this.entries.length;
  }

  /** Whether the abort with this marker is already indexed (recovery replays markers it may have seen). */
  has(producerId: number, lastOffset: number): boolean {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i] as Entry;
      if (e.lastOffset < lastOffset) return false;
      if (e.lastOffset === lastOffset && e.producerId === producerId) return true;
    }
    return false;
  }

  append(entry: AbortedTxn, segmentBase: number): void {
    this.entries.push({ ...entry, segmentBase });
    appendFileSync(join(this.dir, txnIndexFileName(segmentBase)), encode(entry));
  }

  /**
   * The aborted transactions a consumer reading [fetchOffset, upperBoundOffset) must know of: those
   * whose marker is at or after fetchOffset and whose first record is before the upper bound.
   */
  collect(fetchOffset: number, upperBoundOffset: number): AbortedTxn[] {
    const found: AbortedTxn[] = [];
    for (const e of this.entries) {
      if (e.lastOffset < fetchOffset || e.firstOffset >= upperBoundOffset) continue;
      found.push({
        producerId: e.producerId,
        firstOffset: e.firstOffset,
        lastOffset: e.lastOffset,
        lastStableOffset: e.lastStableOffset,
      });
    }
    return found;
  }

  /** Forgets entries whose marker is at or after `offset` (log truncation). */
  truncateTo(offset: number): void {
    const kept = this.entries.filter((e) => e.lastOffset < offset);
    if (kept.length === this.entries.length) return;
    this.entries = kept;
    this.rewrite();
  }

  /** Forgets entries of segments that were deleted (retention, DeleteRecords); their files went with them. */
  dropSegmentsBelow(logStartOffset: number): void {
    this.entries = this.entries.filter((e) => e.lastOffset >= logStartOffset);
  }

  private rewrite(): void {
    const bySegment = new Map<number, Buffer[]>();
    for (const f of existsSync(this.dir) ? readdirSync(this.dir) : []) {
      if (/^\d{20}\.txnindex$/.test(f)) bySegment.set(Number(f.slice(0, 20)), []);
    }
    for (const e of this.entries) {
      const list = bySegment.get(e.segmentBase) ?? [];
      list.push(encode(e));
      bySegment.set(e.segmentBase, list);
    }
    for (const [base, list] of bySegment) {
      const path = join(this.dir, txnIndexFileName(base));
      if (list.length === 0) rmSync(path, { force: true });
      else writeFileSync(path, Buffer.concat(list));
    }
  }
}

/**
 * Reads the aborted transactions of a log directory without changing anything (the log cleaner uses
 * this to drop aborted records; the partition's own TransactionIndex stays the one that writes).
 */
export function readAbortedTransactions(dir: string): AbortedTxn[] {
  const found: AbortedTxn[] = [];
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => /^\d{20}\.txnindex$/.test(f)) : [];
  for (const f of files) {
    const bytes = readFileSync(join(dir, f));
    for (let at = 0; at + ENTRY_BYTES <= bytes.length; at += ENTRY_BYTES) {
      if (bytes.readInt16BE(at) !== VERSION) break;
      found.push({
        producerId: Number(bytes.readBigInt64BE(at + 2)),
        firstOffset: Number(bytes.readBigInt64BE(at + 10)),
        lastOffset: Number(bytes.readBigInt64BE(at + 18)),
        lastStableOffset: Number(bytes.readBigInt64BE(at + 26)),
      });
    }
  }
  return found;
}

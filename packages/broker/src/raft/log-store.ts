/**
 * The metadata log on disk for a quorum member: `__cluster_metadata-0` as a partition log whose
 * batches carry the Raft epoch as their partition leader epoch (as KRaft writes it), plus snapshots as
 * `<endOffset>-<epoch>.checkpoint` files beside it (KIP-630's naming). The same batch encoding is what
 * Fetch carries between controllers, so `entriesToRecords` / `recordsToEntries` serve both.
 */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { decodeBatches, decodeRecords, encodeBatch } from '@flotilla/protocol';
import { type LogConfig, PartitionLog } from '../log/partition-log.js';
import type { RaftEntry } from './messages.js';
import { RaftLog, type RaftLogStore, type Snapshot } from './raft-log.js';

export const METADATA_LOG_CONFIG: LogConfig = {
  segmentBytes: 100 * 1024 * 1024,
  segmentMs: Number.POSITIVE_INFINITY,
  retentionMs: -1,
  retentionBytes: -1,
  maxMessageBytes: 8 * 1024 * 1024,
  indexIntervalBytes: 4096,
  flushMessages: 1,
  flushMs: Number.POSITIVE_INFINITY,
  compact: false,
  delete: false,
  logAppendTime: false,
  timestampBeforeMaxMs: Number.POSITIVE_INFINITY,
  timestampAfterMaxMs: Number.POSITIVE_INFINITY,
};

/** One record batch per run of entries with the same epoch; a leader-change marker is a null value. */
export function entriesToRecords(entries: readonly RaftEntry[], now = Date.now()): Buffer {
  const out: Buffer[] = [];
  let i = 0;
  while (i < entries.length) {
    const first = entries[i] as RaftEntry;
    let j = i;
    while (j < entries.length && (entries[j] as RaftEntry).epoch === first.epoch) j++;
    out.push(
      encodeBatch({
        baseOffset: BigInt(first.offset),
        partitionLeaderEpoch: first.epoch,
        baseTimestamp: BigInt(now),
        records: entries.slice(i, j).map((e, k) => ({
          attributes: 0,
          offsetDelta: k,
          timestampDelta: 0,
          key: null,
          value: e.data,
          headers: [],
        })),
      }),
    );
    i = j;
  }
  return Buffer.concat(out);
}

export function recordsToEntries(records: Buffer | null): RaftEntry[] {
  if (!records || records.length === 0) return [];
  const entries: RaftEntry[] = [];
  for (const batch of decodeBatches(records).batches) {
    if (batch.magic !== 2) continue;
    const base = Number(batch.header.baseOffset);
    for (const r of decodeRecords(batch)) {
      entries.push({ offset: base + r.offsetDelta, epoch: batch.header.partitionLeaderEpoch, data: r.value });
    }
  }
  return entries;
}

const CHECKPOINT = /^(\d{20})-(\d{10})\.checkpoint$/;

export class FileRaftLogStore implements RaftLogStore {
  private readonly log: PartitionLog;

  private constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.log = PartitionLog.open(dir, METADATA_LOG_CONFIG);
  }

  /** Opens `<logDir>/__cluster_metadata-0` and the latest snapshot, as a RaftLog. */
  static open(logDir: string): { log: RaftLog; store: FileRaftLogStore } {
    const store = new FileRaftLogStore(join(logDir, '__cluster_metadata-0'));
    const snapshot = store.latestSnapshot();
    const entries: RaftEntry[] = [];
    const from = Math.max(store.log.logStartOffset, snapshot?.id.endOffset ?? 0);
    for (let offset = from; offset < store.log.logEndOffset; ) {
      const { records } = store.log.read(offset, 1 << 20, store.log.logEndOffset, true);
      const read = recordsToEntries(records).filter((e) => e.offset >= offset);
      if (read.length === 0) break;
      entries.push(...read);
      offset = (read.at(-1) as RaftEntry).offset + 1;
    }
    // Entries below the snapshot are covered by it; a gap between the two can only follow a crash
    // during snapshot installation, and then the snapshot alone is the state.
    const contiguous = entries.length > 0 && entries[0]?.offset !== (snapshot?.id.endOffset ?? 0) ? [] : entries;
    if (contiguous !== entries) store.log.truncateFullyAndStartAt(snapshot?.id.endOffset ?? 0);
    return { log: new RaftLog(store, { entries: contiguous, snapshot }), store };
  }

  private latestSnapshot(): Snapshot | null {
    const files = readdirSync(this.dir)
      .map((f) => CHECKPOINT.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .sort((a, b) => Number(b[1]) - Number(a[1]));
    const best = files[0];
    if (!best) return null;
    return {
      id: { endOffset: Number(best[1]), epoch: Number(best[2]) },
      data: readFileSync(join(this.dir, best[0])),
    };
  }

  append(entries: readonly RaftEntry[]): void {
    // One batch per entry: a follower may have to truncate at any offset, and a partition log can
    // only truncate between batches.
    this.log.appendAsFollower(Buffer.concat(entries.map((e) => entriesToRecords([e]))));
    this.log.flush();
  }

  truncateTo(offset: number): void {
    this.log.truncateTo(offset);
    this.log.flush();
  }

  saveSnapshot(snapshot: Snapshot, discardAll: boolean): void {
    const name = `${String(snapshot.id.endOffset).padStart(20, '0')}-${String(snapshot.id.epoch).padStart(10, '0')}.checkpoint`;
    const tmp = join(this.dir, `${name}.part`);
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, snapshot.data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(this.dir, name));
    if (discardAll) this.log.truncateFullyAndStartAt(snapshot.id.endOffset);
    else this.log.deleteRecordsBefore(snapshot.id.endOffset);
    // Older snapshots are no longer needed: the new one covers them.
    for (const f of readdirSync(this.dir)) {
      if (CHECKPOINT.test(f) && f !== name) rmSync(join(this.dir, f), { force: true });
    }
  }

  get directory(): string {
    return this.dir;
  }

  close(): void {
    this.log.close();
  }
}

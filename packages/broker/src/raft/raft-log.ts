/**
 * The replicated log as the Raft state machine sees it: entries with offsets and epochs, a log start
 * offset below which the latest snapshot stands in for the entries (KIP-630), and the epoch lookups
 * that divergence checks need (Kafka's LeaderEpochFileCache.endOffsetFor). Entries are kept in memory
 * (the metadata log is small and snapshots bound it); a `RaftLogStore` makes every change durable
 * before the method returns, so what a node acknowledges in a Fetch or a Vote is on disk.
 */
import type { RaftEntry, SnapshotId } from './messages.js';

export interface Snapshot {
  readonly id: SnapshotId;
  readonly data: Buffer;
}

/** Durable storage behind a RaftLog; every call returns once the change is on disk. */
export interface RaftLogStore {
  append(entries: readonly RaftEntry[]): void;
  /** Removes entries at and after `offset`. */
  truncateTo(offset: number): void;
  /** Stores a snapshot and drops entries below its end offset (all entries when `discardAll`). */
  saveSnapshot(snapshot: Snapshot, discardAll: boolean): void;
}

export class RaftLog {
  private entries: RaftEntry[] = [];
  private snapshot: Snapshot | null = null;

  constructor(
    private readonly store: RaftLogStore | null = null,
    initial: { entries: readonly RaftEntry[]; snapshot: Snapshot | null } = { entries: [], snapshot: null },
  ) {
    this.snapshot = initial.snapshot;
    const start = this.startOffset;
    this.entries = initial.entries.filter((e) => e.offset >= start);
  }

  /** First offset held as an entry (the snapshot covers everything below). */
  get startOffset(): number {
    return this.snapshot?.id.endOffset ?? 0;
  }

  get endOffset(): number {
    return this.startOffset + this.entries.length;
  }

  /** Epoch of the last entry (or of the snapshot); 0 for an empty log. */
  get lastEpoch(): number {
    return this.entries.at(-1)?.epoch ?? this.snapshot?.id.epoch ?? 0;
  }

  get latestSnapshot(): Snapshot | null {
    return this.snapshot;
  }

  entryAt(offset: number): RaftEntry | undefined {
    return this.entries[offset - this.startOffset];
  }

  /** Entries from `offset`, at most `max` of them. */
  read(offset: number, max: number): RaftEntry[] {
    const from = offset - this.startOffset;
    if (from < 0) return [];
    return this.entries.slice(from, from + max);
  }

  append(entries: readonly RaftEntry[]): void {
    if (entries.length === 0) return;
    if (entries[0]?.offset !== this.endOffset) {
      throw new Error(`append at ${entries[0]?.offset} but the log ends at ${this.endOffset}`);
    }
    this.store?.append(entries);
    this.entries.push(...entries);
  }

  truncateTo(offset: number): void {
    if (offset >= this.endOffset) return;
    if (offset < this.startOffset) throw new Error(`cannot truncate to ${offset} below the snapshot`);
    this.store?.truncateTo(offset);
    this.entries.length = offset - this.startOffset;
  }

  /**
   * The largest epoch <= `epoch` the log knows and the offset where it ends (Kafka's
   * OffsetForLeaderEpoch answer). Null when the epoch is older than anything kept, so only the
   * snapshot can answer.
   */
  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: number } | null {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i] as RaftEntry;
      if (e.epoch <= epoch) return { epoch: e.epoch, endOffset: e.offset + 1 };
    }
    if (this.snapshot && this.snapshot.id.epoch <= epoch) {
      return { epoch: this.snapshot.id.epoch, endOffset: this.snapshot.id.endOffset };
    }
    if (!this.snapshot && epoch >= 0) return { epoch: 0, endOffset: 0 };
    return null;
  }

  /** Takes a snapshot of committed state at `endOffset` and drops the entries it covers. */
  snapshotAt(endOffset: number, data: Buffer): Snapshot {
    const last = this.entryAt(endOffset - 1);
    if (!last) throw new Error(`no entry at ${endOffset - 1} to snapshot at`);
    const snapshot: Snapshot = { id: { endOffset, epoch: last.epoch }, data };
    this.store?.saveSnapshot(snapshot, false);
    this.entries = this.entries.slice(endOffset - this.startOffset);
    this.snapshot = snapshot;
    return snapshot;
  }

  /** Replaces the whole log by a snapshot fetched from the leader. */
  installSnapshot(snapshot: Snapshot): void {
    this.store?.saveSnapshot(snapshot, true);
    this.entries = [];
    this.snapshot = snapshot;
  }
}

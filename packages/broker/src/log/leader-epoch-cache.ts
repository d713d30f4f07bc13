/**
 * The leader epoch history of a partition: for each leader epoch, the first offset written in it
 * (Kafka's `leader-epoch-checkpoint`, same text format). Followers use it, through OffsetForLeaderEpoch
 * or Fetch's diverging epoch, to find where their log parts from the new leader's (KIP-101, KIP-279).
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

export interface EpochEntry {
  readonly epoch: number;
  readonly startOffset: number;
}

export class LeaderEpochCache {
  private entries: EpochEntry[] = [];
  private dirty = false;

  constructor(private readonly file: string) {
    if (existsSync(file)) {
      const lines = readFileSync(file, 'utf8').trim().split('\n');
      for (const line of lines.slice(2)) {
        const [epoch, offset] = line.trim().split(/\s+/).map(Number);
        if (Number.isInteger(epoch) && Number.isInteger(offset)) {
          this.entries.push({ epoch: epoch as number, startOffset: offset as number });
        }
      }
    }
  }

  get latest(): EpochEntry | undefined {
    return this.entries[this.entries.length - 1];
  }

  all(): readonly EpochEntry[] {
    return this.entries;
  }

  /** Records that `epoch` starts at `offset` (no-op when the epoch is already the latest or older). */
  assign(epoch: number, offset: number): void {
    const last = this.latest;
    if (epoch < 0 || (last && epoch <= last.epoch)) return;
    this.entries.push({ epoch, startOffset: offset });
    this.dirty = true;
    this.flush();
  }

  /**
   * The largest epoch <= `requested` and the offset where it ended (the next epoch's start, or the log
   * end offset for the latest epoch); for an epoch older than the whole history, that epoch ending where
   * the history starts; {epoch: -1, endOffset: -1} when the history is empty.
   */
  endOffsetFor(requested: number, logEndOffset: number): { epoch: number; endOffset: number } {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i] as EpochEntry;
      if (e.epoch <= requested) {
        const next = this.entries[i + 1];
        return { epoch: e.epoch, endOffset: next ? next.startOffset : logEndOffset };
      }
    }
    // Older than every epoch this log knows (a follower that led the partition before this leader,
    // whose log never held a batch of the epochs in between): Kafka answers the requested epoch ending
    // where the first known epoch starts (LeaderEpochFileCache.endOffsetFor), not "undefined", which
    // would make an idle partition's returning follower diverge on every fetch and never rejoin the ISR.
    const first = this.entries[0];
    if (first && requested >= 0) return { epoch: requested, endOffset: first.startOffset };
    return { epoch: -1, endOffset: -1 };
  }

  /** Forgets epochs that start at or after `offset` (the log was truncated there). */
  truncateFromEnd(offset: number): void {
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => e.startOffset < offset);
    if (this.entries.length !== before) {
      this.dirty = true;
      this.flush();
    }
  }

  flush(): void {
    if (!this.dirty) return;
    const text = `0\n${this.entries.length}\n${this.entries.map((e) => `${e.epoch} ${e.startOffset}`).join('\n')}\n`;
    writeFileSync(`${this.file}.tmp`, text);
    renameSync(`${this.file}.tmp`, this.file);
    this.dirty = false;
  }
}

/**
 * Idempotent producer state of one partition (Kafka's ProducerStateManager): for each producer id its
 * epoch and the last five batches it wrote (sequence range and offsets), which is what the leader needs
 * to drop a retried batch as a duplicate (answering with the original offsets) and to reject a gap in
 * sequence numbers with OUT_OF_ORDER_SEQUENCE_NUMBER (KIP-98, KIP-360).
 *
 * The state is rebuilt from batch headers (producer id, epoch, base sequence and offsets are all in the
 * header), starting from the snapshot written at the last clean shutdown, so it survives restarts.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { ErrorCode, KafkaError } from '@flotilla/protocol';
import type { BatchInfo } from '../log/batch-info.js';

const MAX_CACHED_BATCHES = 5;
const NO_PRODUCER_ID = -1;

export interface CachedBatch {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly timestamp: number;
}

export interface ProducerEntry {
  epoch: number;
  batches: CachedBatch[];
  lastTimestamp: number;
}

/** Sequence numbers wrap from Int32.MAX to 0 (DefaultRecordBatch.incrementSequence). */
function nextSeq(seq: number): number {
  return seq === 0x7fffffff ? 0 : seq + 1;
}

function lastSeqOf(info: BatchInfo): number {
  const delta = info.lastOffset - info.baseOffset;
  return info.baseSequence + delta > 0x7fffffff ? info.baseSequence + delta - 0x80000000 : info.baseSequence + delta;
}

export class ProducerStateManager {
  private readonly producers = new Map<number, ProducerEntry>();

  constructor(private readonly snapshotFile: string) {}

  get size(): number {
    return this.producers.size;
  }

  entry(producerId: number): ProducerEntry | undefined {
    return this.producers.get(producerId);
  }

  /**
   * Checks an incoming batch before it is appended. Returns the original offsets when the batch is a
   * duplicate of one of the producer's last five, null when it is new and in sequence; throws a
   * KafkaError (INVALID_PRODUCER_EPOCH, OUT_OF_ORDER_SEQUENCE_NUMBER) otherwise.
   */
  check(info: BatchInfo): CachedBatch | null {
    if (info.producerId === NO_PRODUCER_ID) return null;
    const entry = this.producers.get(info.producerId);
    const firstSeq = info.baseSequence;
    const lastSeq = lastSeqOf(info);
    if (!entry) return null; // unknown producer (new, or its state was removed): any sequence is accepted
    if (info.producerEpoch < entry.epoch) {
      throw new KafkaError(
        ErrorCode.INVALID_PRODUCER_EPOCH,
        `producer ${info.producerId} epoch ${info.producerEpoch} is older than the current epoch ${entry.epoch}`,
      );
    }
    if (info.producerEpoch > entry.epoch) {
      if (firstSeq !== 0) {
        throw new KafkaError(
          ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          `invalid sequence ${firstSeq} for new epoch ${info.producerEpoch} of producer ${info.producerId}: expected 0`,
        );
      }
      return null;
    }
    const duplicate = entry.batches.find((b) => b.firstSeq === firstSeq && b.lastSeq === lastSeq);
    if (duplicate) return duplicate;
    const last = entry.batches[entry.batches.length - 1];
    if (last && firstSeq !== nextSeq(last.lastSeq)) {
      throw new KafkaError(
        ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        `out of order sequence ${firstSeq} from producer ${info.producerId} at epoch ${entry.epoch}: expected ${nextSeq(last.lastSeq)}`,
      );
    }
    return null;
  }

  /** Records a batch that is now in the log (leader append, follower append, or rebuild). */
  update(info: BatchInfo): void {
    if (info.producerId === NO_PRODUCER_ID) return;
    let entry = this.producers.get(info.producerId);
    if (!entry || info.producerEpoch > entry.epoch) {
      entry = { epoch: info.producerEpoch, batches: [], lastTimestamp: info.maxTimestamp };
      this.producers.set(info.producerId, entry);
    } else if (info.producerEpoch < entry.epoch) return;
    entry.batches.push({
      firstSeq: info.baseSequence,
      lastSeq: lastSeqOf(info),
      firstOffset: info.baseOffset,
      lastOffset: info.lastOffset,
      timestamp: info.maxTimestamp,
    });
    if (entry.batches.length > MAX_CACHED_BATCHES) entry.batches.shift();
    entry.lastTimestamp = Math.max(entry.lastTimestamp, info.maxTimestamp, Date.now());
  }

  /** Drops producers idle for longer than producer.id.expiration.ms. */
  expire(now: number, expirationMs: number): number {
    let removed = 0;
    for (const [id, entry] of this.producers) {
      if (now - entry.lastTimestamp > expirationMs) {
        this.producers.delete(id);
        removed++;
      }
    }
    return removed;
  }

  /** Forgets batches at or after `offset` (log truncation) by rebuilding from what remains. */
  truncateAndRebuild(batches: Iterable<BatchInfo>): void {
    this.producers.clear();
    for (const b of batches) this.update(b);
  }

  /** Loads the snapshot written at the last clean shutdown; returns the offset it covers up to. */
  loadSnapshot(): number {
    if (!existsSync(this.snapshotFile)) return 0;
    try {
      const data = JSON.parse(readFileSync(this.snapshotFile, 'utf8')) as {
        offset: number;
        producers: [number, ProducerEntry][];
      };
      for (const [id, entry] of data.producers) this.producers.set(id, entry);
      return data.offset;
    } catch {
      this.producers.clear();
      return 0;
    } finally {
      // A snapshot is only valid for the shutdown that wrote it.
      rmSync(this.snapshotFile, { force: true });
    }
  }

  writeSnapshot(offset: number): void {
    const data = JSON.stringify({ offset, producers: [...this.producers] });
    writeFileSync(`${this.snapshotFile}.tmp`, data);
    renameSync(`${this.snapshotFile}.tmp`, this.snapshotFile);
  }
}

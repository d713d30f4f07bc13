/**
 * Producer state of one partition (Kafka's ProducerStateManager): for each producer id its epoch and
 * the last five batches it wrote (sequence range and offsets), which is what the leader needs to drop a
 * retried batch as a duplicate (answering with the original offsets) and to reject a gap in sequence
 * numbers with OUT_OF_ORDER_SEQUENCE_NUMBER (KIP-98, KIP-360).
 *
 * Transactions (KIP-98): a producer's first transactional batch opens its transaction in this
 * partition (its first offset is kept); the COMMIT or ABORT control batch that the transaction
 * coordinator appends closes it. The smallest first offset of the open transactions bounds the last
 * stable offset (LSO), below which read_committed consumers read; an aborted transaction is recorded in
 * the aborted-transactions index (log/txn-index.ts) so that those consumers can drop its records.
 *
 * The state is rebuilt from batch headers (producer id, epoch, base sequence and offsets are all in the
 * header; a control batch's type is in its one record, read from the log), starting from the snapshot
 * written at the last clean shutdown, so it survives restarts.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import {
  ControlRecordType,
  decodeBatches,
  decodeControlRecordKey,
  decodeEndTxnMarker,
  decodeRecords,
  ErrorCode,
  KafkaError,
} from '@flotilla/protocol';
import { BATCH_HEADER_SIZE, type BatchInfo, isControl, isTransactional, readBatchInfo } from '../log/batch-info.js';
import type { PartitionLog } from '../log/partition-log.js';
import { type AbortedTxn, TransactionIndex } from '../log/txn-index.js';

const MAX_CACHED_BATCHES = 5;
const NO_PRODUCER_ID = -1;

/**
 * Who appends (Kafka's AppendOrigin): clients' batches are checked for sequence and may not be control
 * batches; the coordinators' own appends (transaction markers, transactional offset commits) are not
 * sequence-checked, as in Kafka.
 */
export type AppendOrigin = 'client' | 'coordinator';

/** A transaction closed in this partition by a marker. */
export interface CompletedTxn {
  readonly producerId: number;
  readonly firstOffset: number;
  /** The marker's offset. */
  readonly lastOffset: number;
  readonly aborted: boolean;
}

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
  /** First offset of the producer's open transaction in this partition; -1 or absent when none. */
  currentTxnFirstOffset?: number;
  /** The coordinator epoch of the last marker written for this producer (fences stale coordinators). */
  coordinatorEpoch?: number;
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
  /** The aborted transactions of the log (absent for a state kept without a log, in unit tests). */
  readonly txnIndex: TransactionIndex | null;

  /**
   * `log`, when given, is the partition's log: control batches' types are read from it and aborted
   * transactions go to its index files.
   */
  constructor(
    private readonly snapshotFile: string,
    private readonly log?: PartitionLog,
  ) {
    this.txnIndex = log
      ? TransactionIndex.open(
          log.dir,
          log.segmentList.map((s) => s.baseOffset),
          log.logEndOffset,
        )
      : null;
  }

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
  check(info: BatchInfo, origin: AppendOrigin = 'client'): CachedBatch | null {
    if (isControl(info) && origin === 'client') {
      // LogValidator: only the transaction coordinator writes markers.
      throw new KafkaError(ErrorCode.INVALID_RECORD, 'clients may not send control batches');
    }
    if (info.producerId === NO_PRODUCER_ID) {
      if (isTransactional(info))
        throw new KafkaError(ErrorCode.INVALID_RECORD, 'a transactional batch must carry a producer id');
      return null;
    }
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
    if (isControl(info)) return null;
    const inTxn = (entry.currentTxnFirstOffset ?? -1) >= 0;
    if (!isTransactional(info) && inTxn) {
      // ProducerAppendInfo.updateCurrentTxnFirstOffset
      throw new KafkaError(
        ErrorCode.INVALID_TXN_STATE,
        `Expected transactional write from producer ${info.producerId} at offset ${entry.currentTxnFirstOffset}`,
      );
    }
    if (origin === 'coordinator') return null;
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
  update(info: BatchInfo): CompletedTxn | null {
    if (info.producerId === NO_PRODUCER_ID) return null;
    if (isControl(info)) return this.applyMarkerBatch(info);
    let entry = this.producers.get(info.producerId);
    if (!entry || info.producerEpoch > entry.epoch) {
      entry = {
        epoch: info.producerEpoch,
        batches: [],
        lastTimestamp: info.maxTimestamp,
        currentTxnFirstOffset: entry?.currentTxnFirstOffset ?? -1,
        coordinatorEpoch: entry?.coordinatorEpoch ?? -1,
      };
      this.producers.set(info.producerId, entry);
    } else if (info.producerEpoch < entry.epoch) return null;
    if (isTransactional(info) && (entry.currentTxnFirstOffset ?? -1) < 0) entry.currentTxnFirstOffset = info.baseOffset;
    entry.batches.push({
      firstSeq: info.baseSequence,
      lastSeq: lastSeqOf(info),
      firstOffset: info.baseOffset,
      lastOffset: info.lastOffset,
      timestamp: info.maxTimestamp,
    });
    if (entry.batches.length > MAX_CACHED_BATCHES) entry.batches.shift();
    entry.lastTimestamp = Math.max(entry.lastTimestamp, info.maxTimestamp, Date.now());
    return null;
  }

  /** Reads a control batch's type and coordinator epoch from the log and applies it. */
  private applyMarkerBatch(info: BatchInfo): CompletedTxn | null {
    if (!this.log) return null;
    const { records } = this.log.read(info.baseOffset, info.size, Number.MAX_SAFE_INTEGER, true);
    const batch = decodeBatches(records).batches[0];
    if (batch?.magic !== 2) return null;
    const record = decodeRecords(batch, { verifyCrc: false })[0];
    if (!record) return null;
    const key = decodeControlRecordKey(record.key);
    if (key.type !== ControlRecordType.ABORT && key.type !== ControlRecordType.COMMIT) return null;
    const { coordinatorEpoch } = decodeEndTxnMarker(record.value);
    return this.completeTxn(info.producerId, info.producerEpoch, info.baseOffset, key.type, coordinatorEpoch);
  }

  /**
   * Checks a transaction marker before it is appended (ProducerAppendInfo.appendEndTxnMarker): an
   * older producer epoch gets INVALID_PRODUCER_EPOCH, an older coordinator epoch
   * TRANSACTION_COORDINATOR_FENCED.
   */
  checkMarker(producerId: number, producerEpoch: number, coordinatorEpoch: number): void {
    const entry = this.producers.get(producerId);
    if (!entry) return;
    if (producerEpoch < entry.epoch) {
      throw new KafkaError(
        ErrorCode.INVALID_PRODUCER_EPOCH,
        `marker for producer ${producerId} at epoch ${producerEpoch}, older than its epoch ${entry.epoch}`,
      );
    }
    if ((entry.coordinatorEpoch ?? -1) > coordinatorEpoch) {
      throw new KafkaError(
        ErrorCode.TRANSACTION_COORDINATOR_FENCED,
        `marker for producer ${producerId} from coordinator epoch ${coordinatorEpoch}, older than ${entry.coordinatorEpoch}`,
      );
    }
  }

  /** A marker at `offset` closes the producer's open transaction (if any), aborted or committed. */
  private completeTxn(
    producerId: number,
    producerEpoch: number,
    offset: number,
    type: number,
    coordinatorEpoch: number,
  ): CompletedTxn | null {
    let entry = this.producers.get(producerId);
    if (!entry) {
      entry = { epoch: producerEpoch, batches: [], lastTimestamp: Date.now() };
      this.producers.set(producerId, entry);
    }
    if (producerEpoch > entry.epoch) {
      entry.epoch = producerEpoch;
      entry.batches = [];
    }
    entry.coordinatorEpoch = coordinatorEpoch;
    entry.lastTimestamp = Date.now();
    const first = entry.currentTxnFirstOffset ?? -1;
    entry.currentTxnFirstOffset = -1;
    if (first < 0) return null;
    const completed: CompletedTxn = {
      producerId,
      firstOffset: first,
      lastOffset: offset,
      aborted: type === ControlRecordType.ABORT,
    };
    if (completed.aborted && this.txnIndex && !this.txnIndex.has(producerId, offset)) {
      const entryOf: AbortedTxn = { ...completed, lastStableOffset: this.lastStableOffsetAfter(offset) };
      this.txnIndex.append(entryOf, this.segmentBaseOf(offset));
    }
    return completed;
  }

  private segmentBaseOf(offset: number): number {
    const segments = this.log?.segmentList ?? [];
    let base = 0;
    for (const s of segments) if (s.baseOffset <= offset) base = s.baseOffset;
    return base;
  }

  /** The first offset of the open transactions, once `markerOffset`'s is closed (ProducerStateManager.lastStableOffset). */
  private lastStableOffsetAfter(markerOffset: number): number {
    return this.firstUnstableOffset ?? markerOffset + 1;
  }

  /** The smallest first offset of the open transactions in this partition, or null when none is open. */
  get firstUnstableOffset(): number | null {
    let min: number | null = null;
    for (const e of this.producers.values()) {
      const first = e.currentTxnFirstOffset ?? -1;
      if (first >= 0 && (min === null || first < min)) min = first;
    }
    return min;
  }

  /** Every producer this partition knows (DescribeProducers). */
  activeProducers(): {
    producerId: number;
    epoch: number;
    lastSequence: number;
    lastTimestamp: number;
    coordinatorEpoch: number;
    currentTxnStartOffset: number;
  }[] {
    return [...this.producers].map(([producerId, e]) => ({
      producerId,
      epoch: e.epoch,
      lastSequence: e.batches[e.batches.length - 1]?.lastSeq ?? -1,
      lastTimestamp: e.lastTimestamp,
      coordinatorEpoch: e.coordinatorEpoch ?? -1,
      currentTxnStartOffset: e.currentTxnFirstOffset ?? -1,
    }));
  }

  /** The producers with an open transaction and where it began (tests). */
  openTransactions(): { producerId: number; epoch: number; firstOffset: number }[] {
    const open: { producerId: number; epoch: number; firstOffset: number }[] = [];
    for (const [producerId, e] of this.producers) {
      if ((e.currentTxnFirstOffset ?? -1) >= 0)
        open.push({ producerId, epoch: e.epoch, firstOffset: e.currentTxnFirstOffset as number });
    }
    return open;
  }

  /**
   * The aborted transactions a read_committed fetch from `fetchOffset` that returned `records` must
   * carry: those overlapping [fetchOffset, the end of the last batch returned).
   */
  abortedTransactionsIn(fetchOffset: number, records: Buffer): AbortedTxn[] {
    let end = fetchOffset;
    for (let at = 0; at + BATCH_HEADER_SIZE <= records.length; ) {
      const info = readBatchInfo(records, at);
      if (info === null) break;
      end = info.lastOffset + 1;
      at += info.size;
    }
    return end > fetchOffset ? this.abortedTransactions(fetchOffset, end) : [];
  }

  /** The aborted transactions a read_committed fetch of [fetchOffset, upperBoundOffset) must carry. */
  abortedTransactions(fetchOffset: number, upperBoundOffset: number): AbortedTxn[] {
    return this.txnIndex?.collect(fetchOffset, upperBoundOffset) ?? [];
  }

  /** Drops producers idle for longer than producer.id.expiration.ms. */
  expire(now: number, expirationMs: number): number {
    let removed = 0;
    for (const [id, entry] of this.producers) {
      // A producer with an open transaction stays: its first offset holds the LSO.
      if ((entry.currentTxnFirstOffset ?? -1) >= 0) continue;
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
    if (this.log) this.txnIndex?.truncateTo(this.log.logEndOffset);
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

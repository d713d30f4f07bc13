/**
 * One transactional id's state at the coordinator (Kafka's TransactionMetadata): its producer id and
 * epoch, the transaction's timeout, state and partitions. State changes follow Kafka's state machine
 * (TransactionState.validPreviousStates) and are made durable in __transaction_state before they
 * count: a change is prepared (`pending` set), written, then completed or reverted.
 */
import { type TransactionLogValue, TxnState, type TxnTopicPartitions } from './records.js';

const VALID_PREVIOUS: Record<TxnState, readonly TxnState[]> = {
  [TxnState.Empty]: [TxnState.Empty, TxnState.CompleteCommit, TxnState.CompleteAbort],
  [TxnState.Ongoing]: [TxnState.Ongoing, TxnState.Empty, TxnState.CompleteCommit, TxnState.CompleteAbort],
  [TxnState.PrepareCommit]: [TxnState.Ongoing],
  [TxnState.PrepareAbort]: [TxnState.Ongoing, TxnState.PrepareEpochFence],
  [TxnState.CompleteCommit]: [TxnState.PrepareCommit],
  [TxnState.CompleteAbort]: [TxnState.PrepareAbort],
  [TxnState.Dead]: [TxnState.Empty, TxnState.CompleteAbort, TxnState.CompleteCommit],
  [TxnState.PrepareEpochFence]: [TxnState.Ongoing],
};

/** Epochs are int16; at Short.MAX_VALUE - 1 a producer gets a new producer id (KIP-360). */
export const MAX_EPOCH = 32767;
export const NO_PRODUCER_EPOCH = -1;
export const NO_PRODUCER_ID = -1;

export function isEpochExhausted(epoch: number): boolean {
  return epoch >= MAX_EPOCH - 1;
}

export class TxnMetadata {
  producerId: number;
  /** The producer id before the last rotation (epoch exhaustion), to recognise a retried InitProducerId. */
  lastProducerId = NO_PRODUCER_ID;
  producerEpoch: number;
  /** The epoch before the last bump, to answer a retried InitProducerId without bumping again. */
  lastProducerEpoch = NO_PRODUCER_EPOCH;
  timeoutMs: number;
  state: TxnState;
  /** topic -> partitions in the current transaction. */
  partitions = new Map<string, Set<number>>();
  startTimestamp = -1;
  lastUpdateTimestamp: number;
  /** A state change is being written (requests meanwhile get CONCURRENT_TRANSACTIONS). */
  pending = false;

  constructor(
    readonly transactionalId: string,
    producerId: number,
    producerEpoch: number,
    timeoutMs: number,
    state: TxnState,
    now: number,
  ) {
    this.producerId = producerId;
    this.producerEpoch = producerEpoch;
    this.timeoutMs = timeoutMs;
    this.state = state;
    this.lastUpdateTimestamp = now;
  }

  static fromValue(transactionalId: string, v: TransactionLogValue): TxnMetadata {
    const m = new TxnMetadata(
      transactionalId,
      v.producerId,
      v.producerEpoch,
      v.timeoutMs,
      v.state,
      v.lastUpdateTimestamp,
    );
    m.startTimestamp = v.startTimestamp;
    for (const tp of v.partitions) m.partitions.set(tp.topic, new Set(tp.partitions));
    return m;
  }

  get partitionList(): TxnTopicPartitions[] {
    return [...this.partitions].map(([topic, ps]) => ({ topic, partitions: [...ps].sort((a, b) => a - b) }));
  }

  get partitionCount(): number {
    let n = 0;
    for (const ps of this.partitions.values()) n += ps.size;
    return n;
  }

  hasAll(partitions: readonly TxnTopicPartitions[]): boolean {
    return partitions.every((tp) => tp.partitions.every((p) => this.partitions.get(tp.topic)?.has(p)));
  }

  canTransitionTo(next: TxnState): boolean {
    return VALID_PREVIOUS[next].includes(this.state);
  }

  /** What the log would hold after moving to `state` with the given changes (nothing changed yet). */
  toValue(changes: Partial<TransactionLogValue> = {}): TransactionLogValue {
    return {
      producerId: this.producerId,
      producerEpoch: this.producerEpoch,
      timeoutMs: this.timeoutMs,
      state: this.state,
      partitions: this.partitionList,
      lastUpdateTimestamp: this.lastUpdateTimestamp,
      startTimestamp: this.startTimestamp,
      ...changes,
    };
  }

  /** Takes a value that is now durable (the completion of a transition). */
  apply(v: TransactionLogValue): void {
    if (v.state !== this.state && !this.canTransitionTo(v.state)) {
      throw new Error(`invalid transition of transactional id ${this.transactionalId}: ${this.state} -> ${v.state}`);
    }
    this.producerId = v.producerId;
    this.producerEpoch = v.producerEpoch;
    this.timeoutMs = v.timeoutMs;
    this.state = v.state;
    this.partitions = new Map(v.partitions.map((tp) => [tp.topic, new Set(tp.partitions)]));
    this.lastUpdateTimestamp = v.lastUpdateTimestamp;
    this.startTimestamp = v.startTimestamp;
  }
}

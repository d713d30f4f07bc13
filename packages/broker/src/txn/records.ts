/**
 * The records of __transaction_state, in Kafka's own formats (transaction-coordinator's
 * TransactionLogKey and TransactionLogValue message specs), so that Kafka's tools
 * (kafka-dump-log --transaction-log-decoder) read what this broker writes.
 *
 * Key: version int16 (0), transactional id. Value: version int16, then producer id, epoch, timeout,
 * status byte, the partitions in the transaction (null when none), last update and start times. Value
 * v1 (Kafka 4, KIP-890) is flexible and adds tagged fields; it is read here (its tagged fields skipped),
 * v0 is written. A null value is a tombstone: the transactional id expired.
 */
import { DecodeError, Reader, Writer } from '@flotilla/protocol';

export const TRANSACTION_STATE_TOPIC = '__transaction_state';
const KEY_VERSION = 0;
const VALUE_VERSION = 0;

/** Kafka's TransactionState ids, as stored in the status byte. */
export const TxnState = {
  Empty: 0,
  Ongoing: 1,
  PrepareCommit: 2,
  PrepareAbort: 3,
  CompleteCommit: 4,
  CompleteAbort: 5,
  Dead: 6,
  PrepareEpochFence: 7,
} as const;
export type TxnState = (typeof TxnState)[keyof typeof TxnState];

export const TXN_STATE_NAMES: Record<TxnState, string> = {
  0: 'Empty',
  1: 'Ongoing',
  2: 'PrepareCommit',
  3: 'PrepareAbort',
  4: 'CompleteCommit',
  5: 'CompleteAbort',
  6: 'Dead',
  7: 'PrepareEpochFence',
};

export interface TxnTopicPartitions {
  readonly topic: string;
  readonly partitions: readonly number[];
}

export interface TransactionLogValue {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly timeoutMs: number;
  readonly state: TxnState;
  readonly partitions: readonly TxnTopicPartitions[];
  readonly lastUpdateTimestamp: number;
  readonly startTimestamp: number;
}

export function encodeTransactionLogKey(transactionalId: string): Buffer {
  return new Writer(32).i16(KEY_VERSION).string(transactionalId, false).toBuffer();
}

export function encodeTransactionLogValue(v: TransactionLogValue): Buffer {
  const w = new Writer(128)
    .i16(VALUE_VERSION)
    .i64(BigInt(v.producerId))
    .i16(v.producerEpoch)
    .i32(v.timeoutMs)
    .i8(v.state);
  // Kafka writes a null array for an Empty or completed transaction, which holds no partitions.
  if (v.partitions.length === 0) w.i32(-1);
  else {
    w.arrayLength(v.partitions.length, false);
    for (const tp of v.partitions) {
      w.string(tp.topic, false).arrayLength(tp.partitions.length, false);
      for (const p of tp.partitions) w.i32(p);
    }
  }
  return w.i64(BigInt(v.lastUpdateTimestamp)).i64(BigInt(v.startTimestamp)).toBuffer();
}

/** The transactional id of a key; null for a key version this broker does not know. */
export function decodeTransactionLogKey(key: Buffer): string | null {
  const r = new Reader(key);
  const version = r.i16();
  if (version !== KEY_VERSION) return null;
  const id = r.string(false);
  r.expectEnd('TransactionLogKey');
  return id;
}

export function decodeTransactionLogValue(buf: Buffer): TransactionLogValue {
  const r = new Reader(buf);
  const version = r.i16();
  if (version < 0 || version > 1) throw new DecodeError(`unknown TransactionLogValue version ${version}`, 0);
  const flexible = version >= 1;
  const producerId = Number(r.i64());
  const producerEpoch = r.i16();
  const timeoutMs = r.i32();
  const state = r.i8();
  if (state < 0 || state > 7) throw new DecodeError(`unknown transaction state ${state}`, 0);
  const count = flexible ? r.uvarint() - 1 : r.i32();
  const partitions: TxnTopicPartitions[] = [];
  for (let i = 0; i < count; i++) {
    const topic = r.string(flexible);
    const n = r.arrayLength(flexible);
    const ids: number[] = [];
    for (let j = 0; j < n; j++) ids.push(r.i32());
    if (flexible) skipTaggedFields(r);
    partitions.push({ topic, partitions: ids });
  }
  const lastUpdateTimestamp = Number(r.i64());
  const startTimestamp = Number(r.i64());
  return {
    producerId,
    producerEpoch,
    timeoutMs,
    state: state as TxnState,
    partitions,
    lastUpdateTimestamp,
    startTimestamp,
  };
}

function skipTaggedFields(r: Reader): void {
  const count = r.uvarint();
  for (let i = 0; i < count; i++) {
    r.uvarint();
    r.raw(r.uvarint());
  }
}

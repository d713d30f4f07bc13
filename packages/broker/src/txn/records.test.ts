import { describe, expect, it } from 'vitest';
import {
  decodeTransactionLogKey,
  decodeTransactionLogValue,
  encodeTransactionLogKey,
  encodeTransactionLogValue,
  TxnState,
} from './records.js';

describe('__transaction_state records', () => {
  it('writes TransactionLogKey v0 and TransactionLogValue v0 in Kafka layout', () => {
    expect(encodeTransactionLogKey('tx').toString('hex')).toBe('0000' + '0002' + '7478');
    const value = {
      producerId: 7,
      producerEpoch: 3,
      timeoutMs: 60_000,
      state: TxnState.Ongoing,
      partitions: [{ topic: 't', partitions: [0, 2] }],
      lastUpdateTimestamp: 1000,
      startTimestamp: 900,
    };
    const bytes = encodeTransactionLogValue(value);
    expect(bytes.toString('hex')).toBe(
      [
        '0000', // version 0
        '0000000000000007', // producer id
        '0003', // epoch
        '0000ea60', // timeout
        '01', // Ongoing
        '00000001', // one topic
        '0001' + '74', // "t"
        '00000002' + '00000000' + '00000002', // partitions 0 and 2
        '00000000000003e8', // last update
        '0000000000000384', // start
      ].join(''),
    );
    expect(decodeTransactionLogValue(bytes)).toEqual(value);
    expect(decodeTransactionLogKey(encodeTransactionLogKey('tx'))).toBe('tx');
    // An Empty transaction holds no partitions: a null array, as Kafka writes it.
    const empty = encodeTransactionLogValue({ ...value, state: TxnState.Empty, partitions: [] });
    expect(empty.subarray(17, 21).toString('hex')).toBe('ffffffff');
    expect(decodeTransactionLogValue(empty).partitions).toEqual([]);
  });

  it('reads the flexible TransactionLogValue v1 of Kafka 4, skipping tagged fields', () => {
    const v1 = Buffer.from(
      [
        '0001', // version 1
        '0000000000000009', // producer id
        '0001', // epoch
        '00002710', // timeout 10000
        '04', // CompleteCommit
        '02', // compact array of one
        '02' + '61', // "a"
        '02' + '00000005', // [5]
        '00', // no tagged fields in the element
        '0000000000000064', // last update 100
        '0000000000000032', // start 50
        '01' + '02' + '02' + '0002', // tagged field 2 (ClientTransactionVersion) = 2
      ].join(''),
      'hex',
    );
    expect(decodeTransactionLogValue(v1)).toEqual({
      producerId: 9,
      producerEpoch: 1,
      timeoutMs: 10_000,
      state: TxnState.CompleteCommit,
      partitions: [{ topic: 'a', partitions: [5] }],
      lastUpdateTimestamp: 100,
      startTimestamp: 50,
    });
  });
});

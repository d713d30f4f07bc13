/**
 * Transactions in a partition's producer state, on a real log: open transactions hold the last stable
 * offset, ABORT markers land in the aborted-transactions index (.txnindex files), and both survive a
 * restart through the snapshot or, after a crash, a rebuild from the log.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlRecordType, encodeBatch, encodeEndTxnMarkerBatch } from '@flotilla/protocol';
import { describe, expect, it } from 'vitest';
import { type LogConfig, PartitionLog, validateBatches } from '../log/partition-log.js';
import { type AppendOrigin, ProducerStateManager } from './producer-state.js';

const CONFIG: LogConfig = {
  segmentBytes: 1 << 30,
  segmentMs: Number.POSITIVE_INFINITY,
  retentionMs: -1,
  retentionBytes: -1,
  maxMessageBytes: 1 << 20,
  indexIntervalBytes: 4096,
  flushMessages: Number.POSITIVE_INFINITY,
  flushMs: Number.POSITIVE_INFINITY,
  compact: false,
  delete: true,
  logAppendTime: false,
  timestampBeforeMaxMs: Number.POSITIVE_INFINITY,
  timestampAfterMaxMs: Number.POSITIVE_INFINITY,
};

function data(producerId: number, sequence: number, count: number, transactional: boolean): Buffer {
  return encodeBatch({
    baseTimestamp: BigInt(Date.now()),
    producerId: BigInt(producerId),
    producerEpoch: 0,
    baseSequence: sequence,
    isTransactional: transactional,
    records: Array.from({ length: count }, (_, i) => ({
      attributes: 0,
      timestampDelta: 0,
      offsetDelta: i,
      key: null,
      value: Buffer.from(`v${i}`),
      headers: [],
    })),
  });
}

function marker(producerId: number, commit: boolean, epoch = 0, coordinatorEpoch = 0): Buffer {
  return encodeEndTxnMarkerBatch({
    type: commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT,
    producerId: BigInt(producerId),
    producerEpoch: epoch,
    coordinatorEpoch,
    timestamp: BigInt(Date.now()),
  });
}

/** What Partition.appendAsLeader does with the producer state around an append. */
function append(log: PartitionLog, state: ProducerStateManager, bytes: Buffer, origin: AppendOrigin = 'client') {
  const infos = validateBatches(bytes, 1 << 20);
  state.check(infos[0] as (typeof infos)[0], origin);
  const appended = log.appendAsLeader(bytes, infos, 0);
  return appended.batches.map((b) => state.update(b));
}

function open(dir: string): { log: PartitionLog; state: ProducerStateManager } {
  const log = PartitionLog.open(dir, CONFIG);
  const state = new ProducerStateManager(join(dir, 'producer-state.snapshot'), log);
  const from = Math.max(state.loadSnapshot(), log.logStartOffset);
  for (const b of log.batchesFrom(from)) state.update(b);
  return { log, state };
}

describe('ProducerStateManager with transactions', () => {
  it('tracks open transactions, their first offsets and the aborted ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'txn-state-'));
    const { log, state } = open(dir);
    append(log, state, data(1, 0, 2, false)); // offsets 0-1, idempotent only
    expect(state.firstUnstableOffset).toBeNull();
    append(log, state, data(7, 0, 3, true)); // 2-4: producer 7 opens a transaction at 2
    append(log, state, data(8, 0, 1, true)); // 5: producer 8 at 5
    expect(state.firstUnstableOffset).toBe(2);
    expect(
      state
        .openTransactions()
        .map((t) => t.producerId)
        .sort(),
    ).toEqual([7, 8]);

    // A non-transactional write while the producer's transaction is open is refused.
    expect(() => state.check(validateBatches(data(7, 3, 1, false), 1 << 20)[0] as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_TXN_STATE' }),
    );
    // Only coordinators write markers.
    expect(() => append(log, state, marker(7, false))).toThrow(expect.objectContaining({ code: 'INVALID_RECORD' }));

    const [aborted] = append(log, state, marker(7, false), 'coordinator'); // 6
    expect(aborted).toEqual({ producerId: 7, firstOffset: 2, lastOffset: 6, aborted: true });
    expect(state.firstUnstableOffset).toBe(5);
    const [committed] = append(log, state, marker(8, true), 'coordinator'); // 7
    expect(committed).toMatchObject({ producerId: 8, firstOffset: 5, lastOffset: 7, aborted: false });
    expect(state.firstUnstableOffset).toBeNull();

    // Only the abort is indexed, with the LSO at the time (producer 8 still open at 5).
    expect(state.abortedTransactions(0, 100)).toEqual([
      { producerId: 7, firstOffset: 2, lastOffset: 6, lastStableOffset: 5 },
    ]);
    expect(state.abortedTransactions(7, 100)).toEqual([]); // fetched after the marker
    expect(state.abortedTransactions(0, 2)).toEqual([]); // fetched range ends before the transaction
    const files = readdirSync(dir).filter((f) => f.endsWith('.txnindex'));
    expect(files).toEqual(['00000000000000000000.txnindex']);
    expect(readFileSync(join(dir, files[0] as string)).length).toBe(34); // Kafka's entry size
    log.close();
  });

  it('fences markers from older producer and coordinator epochs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'txn-state-'));
    const { log, state } = open(dir);
    append(log, state, data(7, 0, 1, true));
    append(log, state, marker(7, false, 1, 5), 'coordinator');
    expect(() => state.checkMarker(7, 0, 5)).toThrow(expect.objectContaining({ code: 'INVALID_PRODUCER_EPOCH' }));
    expect(() => state.checkMarker(7, 1, 4)).toThrow(
      expect.objectContaining({ code: 'TRANSACTION_COORDINATOR_FENCED' }),
    );
    expect(() => state.checkMarker(7, 1, 5)).not.toThrow();
    log.close();
  });

  it('keeps an open transaction and the aborted index across a clean restart and a crash', () => {
    const dir = mkdtempSync(join(tmpdir(), 'txn-state-'));
    let { log, state } = open(dir);
    append(log, state, data(7, 0, 2, true)); // 0-1
    append(log, state, marker(7, false), 'coordinator'); // 2
    append(log, state, data(9, 0, 1, true)); // 3: left open
    state.writeSnapshot(log.logEndOffset);
    log.close();

    ({ log, state } = open(dir)); // clean: from the snapshot
    expect(state.firstUnstableOffset).toBe(3);
    expect(state.abortedTransactions(0, 10)).toEqual([
      { producerId: 7, firstOffset: 0, lastOffset: 2, lastStableOffset: 3 },
    ]);
    log.close();

    ({ log, state } = open(dir)); // no snapshot (it is consumed on load): a crash, rebuilt from the log
    expect(state.firstUnstableOffset).toBe(3);
    expect(state.abortedTransactions(0, 10)).toHaveLength(1); // not indexed twice
    append(log, state, marker(9, false), 'coordinator');
    expect(state.firstUnstableOffset).toBeNull();
    expect(state.abortedTransactions(0, 10).map((a) => a.producerId)).toEqual([7, 9]);
    log.close();
  });

  it('forgets aborted transactions cut off by truncation', () => {
    const dir = mkdtempSync(join(tmpdir(), 'txn-state-'));
    const { log, state } = open(dir);
    append(log, state, data(7, 0, 2, true)); // 0-1
    append(log, state, marker(7, false), 'coordinator'); // 2
    log.truncateTo(2);
    state.truncateAndRebuild(log.batchesFrom(0));
    expect(state.abortedTransactions(0, 10)).toEqual([]);
    expect(state.firstUnstableOffset).toBe(0); // the transaction is open again
    log.close();
  });
});

/**
 * Compaction with transactions (the case of __consumer_offsets after TxnOffsetCommit): an aborted
 * transaction's records are removed and never shadow an older committed value of their key; a
 * transaction without a marker yet is left as it is; markers stay.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ControlRecordType,
  decodeBatches,
  decodeRecords,
  encodeBatch,
  encodeEndTxnMarkerBatch,
} from '@flotilla/protocol';
import { describe, expect, it } from 'vitest';
import { ProducerStateManager } from '../replica/producer-state.js';
import { cleanLog, logToClean } from './cleaner.js';
import { type LogConfig, PartitionLog, validateBatches } from './partition-log.js';

const T0 = 1_700_000_000_000;
const CONFIG: LogConfig = {
  segmentBytes: 1 << 20,
  segmentMs: Number.POSITIVE_INFINITY,
  retentionMs: -1,
  retentionBytes: -1,
  maxMessageBytes: 1 << 20,
  indexIntervalBytes: 4096,
  flushMessages: Number.POSITIVE_INFINITY,
  flushMs: Number.POSITIVE_INFINITY,
  compact: true,
  delete: false,
  logAppendTime: false,
  timestampBeforeMaxMs: Number.POSITIVE_INFINITY,
  timestampAfterMaxMs: Number.POSITIVE_INFINITY,
  minCleanableDirtyRatio: 0.5,
  deleteRetentionMs: 86_400_000,
  minCompactionLagMs: 0,
  maxCompactionLagMs: Number.POSITIVE_INFINITY,
};

function record(key: string, value: string) {
  return {
    attributes: 0,
    timestampDelta: 0,
    offsetDelta: 0,
    key: Buffer.from(key),
    value: Buffer.from(value),
    headers: [],
  };
}

describe('log cleaner with transactions', () => {
  it('drops aborted records, keeps undecided transactions and markers', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clean-txn-'));
    const log = PartitionLog.open(dir, CONFIG);
    const state = new ProducerStateManager(join(dir, 'producer-state.snapshot'), log);
    const append = (bytes: Buffer) => {
      for (const b of log.appendAsLeader(bytes, validateBatches(bytes, 1 << 20), 0, T0).batches) state.update(b);
    };
    const data = (key: string, value: string, producerId = -1, transactional = false) =>
      encodeBatch({
        baseTimestamp: BigInt(T0),
        producerId: BigInt(producerId),
        producerEpoch: producerId < 0 ? -1 : 0,
        baseSequence: producerId < 0 ? -1 : 0,
        isTransactional: transactional,
        records: [record(key, value)],
      });
    const marker = (producerId: number, commit: boolean) =>
      encodeEndTxnMarkerBatch({
        type: commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT,
        producerId: BigInt(producerId),
        producerEpoch: 0,
        coordinatorEpoch: 0,
        timestamp: BigInt(T0),
      });

    append(data('k', 'committed-plain')); // 0
    append(data('k', 'aborted', 7, true)); // 1
    append(marker(7, false)); // 2
    append(data('j', 'old')); // 3
    append(data('j', 'txn-committed', 8, true)); // 4
    append(marker(8, true)); // 5
    append(data('k', 'undecided', 9, true)); // 6: no marker yet
    log.roll();
    append(data('z', 'active')); // 7, in the active segment

    cleanLog(log, logToClean(log, undefined, T0), T0);

    const kept: string[] = [];
    let controls = 0;
    let offset = 0;
    while (offset < log.logEndOffset) {
      const batches = decodeBatches(log.read(offset, 1 << 20, log.logEndOffset, true).records).batches;
      for (const b of batches) {
        if (b.magic !== 2) continue;
        offset = Number(b.header.baseOffset) + b.header.lastOffsetDelta + 1;
        if (b.header.isControl) controls++;
        else
          for (const r of decodeRecords(b))
            kept.push(`${Number(b.header.baseOffset) + r.offsetDelta}:${r.key}=${r.value}`);
      }
      if (batches.length === 0) break;
    }
    expect(kept).toEqual(['0:k=committed-plain', '4:j=txn-committed', '6:k=undecided', '7:z=active']);
    expect(controls).toBe(2);
    log.close();
  });
});

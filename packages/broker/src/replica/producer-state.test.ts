import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BatchInfo } from '../log/batch-info.js';
import { ProducerStateManager } from './producer-state.js';

function info(producerId: number, epoch: number, baseSequence: number, baseOffset: number, count = 1): BatchInfo {
  return {
    baseOffset,
    lastOffset: baseOffset + count - 1,
    size: 100,
    partitionLeaderEpoch: 0,
    magic: 2,
    attributes: 0,
    baseTimestamp: Date.now(),
    maxTimestamp: Date.now(),
    producerId,
    producerEpoch: epoch,
    baseSequence,
    recordCount: count,
  };
}

describe('ProducerStateManager', () => {
  const file = () => join(mkdtempSync(join(tmpdir(), 'pstate-')), 'snapshot');

  it('accepts in-sequence batches, answers retries with the original offsets, rejects gaps', () => {
    const s = new ProducerStateManager(file());
    expect(s.check(info(7, 0, 0, 0, 3))).toBeNull();
    s.update(info(7, 0, 0, 0, 3));
    expect(s.check(info(7, 0, 3, 10, 2))).toBeNull();
    s.update(info(7, 0, 3, 10, 2));
    expect(s.check(info(7, 0, 0, 99, 3))).toMatchObject({ firstOffset: 0, lastOffset: 2 }); // duplicate
    expect(() => s.check(info(7, 0, 9, 99))).toThrow(expect.objectContaining({ code: 'OUT_OF_ORDER_SEQUENCE_NUMBER' }));
  });

  it('fences older epochs and requires sequence 0 in a new epoch', () => {
    const s = new ProducerStateManager(file());
    s.update(info(7, 2, 0, 0));
    expect(() => s.check(info(7, 1, 1, 1))).toThrow(expect.objectContaining({ code: 'INVALID_PRODUCER_EPOCH' }));
    expect(() => s.check(info(7, 3, 5, 1))).toThrow(expect.objectContaining({ code: 'OUT_OF_ORDER_SEQUENCE_NUMBER' }));
    expect(s.check(info(7, 3, 0, 1))).toBeNull();
  });

  it('wraps sequence numbers at Int32.MAX and survives a snapshot', () => {
    const path = file();
    const s = new ProducerStateManager(path);
    s.update(info(9, 0, 0x7ffffffe, 0, 2));
    expect(s.check(info(9, 0, 0, 2))).toBeNull();
    s.writeSnapshot(2);
    const t = new ProducerStateManager(path);
    expect(t.loadSnapshot()).toBe(2);
    expect(t.check(info(9, 0, 0x7ffffffe, 5, 2))).toMatchObject({ firstOffset: 0 });
  });
});

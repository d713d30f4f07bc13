import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LeaderEpochCache } from './leader-epoch-cache.js';

const dirs: string[] = [];
function cache(): LeaderEpochCache {
  const dir = mkdtempSync(join(tmpdir(), 'epochs-'));
  dirs.push(dir);
  return new LeaderEpochCache(join(dir, 'leader-epoch-checkpoint'));
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('LeaderEpochCache.endOffsetFor (Kafka LeaderEpochFileCache semantics)', () => {
  it('answers an epoch older than the history with that epoch, ending where the history starts', () => {
    // A new leader of an empty partition knows only its own epoch 1 from offset 0; the previous leader
    // (now following) fetches with lastFetchedEpoch 0 from offset 0: no divergence, so it can rejoin.
    const c = cache();
    c.assign(1, 0);
    expect(c.endOffsetFor(0, 0)).toEqual({ epoch: 0, endOffset: 0 });
    c.assign(3, 5);
    expect(c.endOffsetFor(0, 9)).toEqual({ epoch: 0, endOffset: 0 });
    expect(c.endOffsetFor(2, 9)).toEqual({ epoch: 1, endOffset: 5 });
    expect(c.endOffsetFor(3, 9)).toEqual({ epoch: 3, endOffset: 9 });
  });

  it('answers undefined for an empty history', () => {
    expect(cache().endOffsetFor(0, 0)).toEqual({ epoch: -1, endOffset: -1 });
  });
});

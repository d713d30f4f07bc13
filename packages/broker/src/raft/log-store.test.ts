/**
 * The quorum's disk and wire formats: the metadata log and its snapshots survive a reopen exactly
 * (entries, epochs, truncation, snapshot-covered prefix), and every Raft message survives a trip
 * through Kafka's own request and response bytes at the versions the quorum uses.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApiKey,
  decodeRequestFrame,
  decodeResponseFrame,
  encodeRequestFrame,
  encodeResponseFrame,
} from '@flotilla/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { entriesToRecords, FileRaftLogStore, recordsToEntries } from './log-store.js';
import type { RaftEntry, RaftRequest } from './messages.js';
import { FileElectionStore } from './quorum-state.js';
import {
  fromKafkaRequest,
  fromKafkaResponse,
  RAFT_FETCH_VERSION,
  toKafkaFetchResponse,
  toKafkaFetchSnapshotResponse,
  toKafkaRequest,
  toKafkaVoteResponse,
} from './wire.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'raft-log-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const entry = (offset: number, epoch: number, text: string | null): RaftEntry => ({
  offset,
  epoch,
  data: text === null ? null : Buffer.from(text),
});
const view = (entries: readonly RaftEntry[]) => entries.map((e) => [e.offset, e.epoch, e.data?.toString() ?? null]);

describe('metadata log on disk', () => {
  it('keeps entries, epochs and truncation across a reopen', () => {
    const dir = tempDir();
    const { log, store } = FileRaftLogStore.open(dir);
    log.append([entry(0, 1, null), entry(1, 1, 'a'), entry(2, 1, 'b')]);
    log.append([entry(3, 2, null), entry(4, 2, 'c')]);
    log.truncateTo(4); // a follower dropping a divergent tail
    log.append([entry(4, 3, 'd')]);
    store.close();
    const reopened = FileRaftLogStore.open(dir);
    expect(view(reopened.log.read(0, 100))).toEqual([
      [0, 1, null],
      [1, 1, 'a'],
      [2, 1, 'b'],
      [3, 2, null],
      [4, 3, 'd'],
    ]);
    expect(reopened.log.endOffsetForEpoch(2)).toEqual({ epoch: 2, endOffset: 4 });
    expect(reopened.log.lastEpoch).toBe(3);
    reopened.store.close();
  });

  it('keeps a snapshot and only the entries after it; an installed snapshot replaces the log', () => {
    const dir = tempDir();
    const { log, store } = FileRaftLogStore.open(dir);
    log.append([entry(0, 1, null), entry(1, 1, 'a'), entry(2, 1, 'b'), entry(3, 1, 'c')]);
    log.snapshotAt(3, Buffer.from('state@3'));
    store.close();
    const a = FileRaftLogStore.open(dir);
    expect(a.log.startOffset).toBe(3);
    expect(a.log.latestSnapshot?.id).toEqual({ endOffset: 3, epoch: 1 });
    expect(a.log.latestSnapshot?.data.toString()).toBe('state@3');
    expect(view(a.log.read(3, 10))).toEqual([[3, 1, 'c']]);
    a.log.installSnapshot({ id: { endOffset: 50, epoch: 4 }, data: Buffer.from('state@50') });
    a.store.close();
    const b = FileRaftLogStore.open(dir);
    expect(b.log.startOffset).toBe(50);
    expect(b.log.endOffset).toBe(50);
    expect(b.log.latestSnapshot?.data.toString()).toBe('state@50');
    b.log.append([entry(50, 4, 'e')]);
    expect(b.log.endOffset).toBe(51);
    b.store.close();
  });

  it('persists the election state before it is read back', () => {
    const dir = tempDir();
    new FileElectionStore(dir).write({ epoch: 7, votedId: 2, leaderId: -1 });
    expect(new FileElectionStore(dir).read()).toEqual({ epoch: 7, votedId: 2, leaderId: -1 });
  });
});

describe('Raft messages on the wire', () => {
  it('record batches carry offsets, epochs and leader-change markers', () => {
    const entries = [entry(10, 2, 'x'), entry(11, 2, null), entry(12, 3, 'y')];
    expect(view(recordsToEntries(entriesToRecords(entries)))).toEqual(view(entries));
  });

  it('every request survives Kafka request bytes', () => {
    const requests: RaftRequest[] = [
      { kind: 'vote', epoch: 5, candidateId: 2, lastEpoch: 4, endOffset: 99 },
      { kind: 'begin-epoch', epoch: 5, leaderId: 2 },
      { kind: 'end-epoch', epoch: 5, leaderId: 2, preferredSuccessors: [3, 1] },
      { kind: 'fetch', epoch: 5, replicaId: 3, fetchOffset: 42, lastFetchedEpoch: 4 },
      { kind: 'fetch-snapshot', epoch: 5, replicaId: 3, snapshotId: { endOffset: 40, epoch: 4 }, position: 1024 },
    ];
    for (const request of requests) {
      const { apiKey, body } = toKafkaRequest(request, 'cluster', 1);
      const version = apiKey === ApiKey.Fetch ? RAFT_FETCH_VERSION : 1;
      const frame = encodeRequestFrame({ apiKey, apiVersion: version, correlationId: 1, clientId: 't' }, body as never);
      const decoded = decodeRequestFrame(frame.subarray(4));
      expect(fromKafkaRequest(apiKey, decoded.body)?.request).toEqual(request);
    }
  });

  it('fetch, vote and snapshot responses survive Kafka response bytes', () => {
    const fetch = {
      errorCode: 0,
      epoch: 5,
      leaderId: 2,
      highWatermark: 12,
      entries: [entry(10, 5, 'x'), entry(11, 5, null)],
      divergingEpoch: { epoch: 4, endOffset: 9 },
    };
    const bytes = encodeResponseFrame(ApiKey.Fetch, RAFT_FETCH_VERSION, 1, toKafkaFetchResponse(fetch));
    const back = fromKafkaResponse(
      { kind: 'fetch', epoch: 5, replicaId: 3, fetchOffset: 10, lastFetchedEpoch: 4 },
      decodeResponseFrame(bytes.subarray(4), ApiKey.Fetch, RAFT_FETCH_VERSION).body,
    );
    expect({ ...back, entries: view((back as typeof fetch).entries) }).toEqual({
      ...fetch,
      entries: view(fetch.entries),
    });

    const vote = { errorCode: 0, epoch: 6, leaderId: -1, voteGranted: true };
    const voteBytes = encodeResponseFrame(ApiKey.Vote, 1, 1, toKafkaVoteResponse(vote));
    expect(
      fromKafkaResponse(
        { kind: 'vote', epoch: 6, candidateId: 1, lastEpoch: 5, endOffset: 3 },
        decodeResponseFrame(voteBytes.subarray(4), ApiKey.Vote, 1).body,
      ),
    ).toEqual(vote);

    const snap = {
      errorCode: 0,
      epoch: 6,
      leaderId: 1,
      snapshotId: { endOffset: 40, epoch: 4 },
      size: 3000,
      position: 1024,
      bytes: Buffer.from('chunk'),
    };
    const snapBytes = encodeResponseFrame(ApiKey.FetchSnapshot, 1, 1, toKafkaFetchSnapshotResponse(snap));
    expect(
      fromKafkaResponse(
        { kind: 'fetch-snapshot', epoch: 6, replicaId: 2, snapshotId: snap.snapshotId, position: 1024 },
        decodeResponseFrame(snapBytes.subarray(4), ApiKey.FetchSnapshot, 1).body,
      ),
    ).toEqual(snap);
  });
});

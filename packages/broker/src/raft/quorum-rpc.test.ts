/**
 * MetadataQuorum's RPC edge (what the controller listener handlers call), on a real metadata log
 * directory: requests from another cluster are refused, and votes are answered and persisted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiKey, ErrorCode, type VoteResponse } from '@flotilla/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { MetadataImage } from '../metadata/image.js';
import { MetadataQuorum } from './quorum.js';
import { FileElectionStore } from './quorum-state.js';
import { toKafkaRequest } from './wire.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function quorum(): { q: MetadataQuorum; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-rpc-'));
  dirs.push(dir);
  const q = new MetadataQuorum(new MetadataImage('cluster-a'), {
    nodeId: 2,
    clusterId: 'cluster-a',
    voters: [1, 2, 3].map((id) => ({ id, host: '127.0.0.1', port: 1 })),
    logDir: dir,
    electionTimeoutMs: 1000,
    fetchTimeoutMs: 2000,
    requestTimeoutMs: 1000,
    snapshotBytes: 1 << 20,
    log: createLogger('error'),
  });
  return { q, dir };
}

const vote = (clusterId: string) =>
  toKafkaRequest({ kind: 'vote', epoch: 3, candidateId: 1, lastEpoch: 0, endOffset: 0 }, clusterId, 2).body;

describe('quorum RPCs', () => {
  it('refuse nodes of another cluster', async () => {
    const { q } = quorum();
    const r = (await q.handle(ApiKey.Vote, vote('cluster-b'))) as VoteResponse;
    expect(r.topics[0]?.partitions[0]).toMatchObject({
      errorCode: ErrorCode.INCONSISTENT_CLUSTER_ID,
      voteGranted: false,
    });
    await q.close();
  });

  it('grant a vote and write it to quorum-state before answering', async () => {
    const { q, dir } = quorum();
    const r = (await q.handle(ApiKey.Vote, vote('cluster-a'))) as VoteResponse;
    expect(r.topics[0]?.partitions[0]).toMatchObject({ errorCode: 0, voteGranted: true, leaderEpoch: 3 });
    expect(new FileElectionStore(join(dir, '__cluster_metadata-0')).read()).toEqual({
      epoch: 3,
      votedId: 1,
      leaderId: -1,
    });
    await q.close();
  });
});

/**
 * The leader's and follower's replication logic on real logs in temporary directories, with the
 * controller's real AlterPartition planning over a real metadata image in place of the network: high
 * watermark = min LEO of the ISR, ISR shrink and expand, acks=all status, follower append, divergence.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeBatches, decodeRecords, ErrorCode, encodeBatch, KafkaError } from '@flotilla/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LogConfig, PartitionLog } from '../log/partition-log.js';
import { MetadataImage } from '../metadata/image.js';
import type { MetadataRecord } from '../metadata/records.js';
import { planAlterPartition } from '../metadata/replication-control.js';
import { type IsrChange, Partition } from './partition.js';
import { truncationOffset } from './replica-fetcher.js';

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

const TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAA';

function batch(...values: string[]): Buffer {
  return Buffer.from(
    encodeBatch({
      baseTimestamp: BigInt(Date.now()),
      records: values.map((v, i) => ({
        attributes: 0,
        timestampDelta: 0,
        offsetDelta: i,
        key: null,
        value: Buffer.from(v),
        headers: [],
      })),
    }),
  );
}

function values(records: Buffer): string[] {
  return decodeBatches(records).batches.flatMap((b) =>
    b.magic === 2 ? decodeRecords(b).map((r) => r.value?.toString() ?? '') : [],
  );
}

/** One partition on brokers 1..3, with the image the controller keeps and the replicas built from it. */
class Cluster {
  readonly image = new MetadataImage('test-cluster');
  readonly replicas = new Map<number, Partition>();
  readonly requests: IsrChange[] = [];
  readonly refused: number[] = [];
  clock = 1_000_000;
  private offset = 0;

  constructor(root: string, replicaIds: number[]) {
    const records: MetadataRecord[] = [
      ...replicaIds.map(
        (id): MetadataRecord => ({
          type: 'RegisterBroker',
          brokerId: id,
          incarnationId: `i${id}`,
          brokerEpoch: id,
          endpoints: [],
          rack: null,
          fenced: false,
        }),
      ),
      { type: 'Topic', name: 't', topicId: TOPIC_ID },
      {
        type: 'Partition',
        topicId: TOPIC_ID,
        partitionId: 0,
        replicas: replicaIds,
        isr: replicaIds,
        leader: replicaIds[0] as number,
        leaderEpoch: 0,
        partitionEpoch: 0,
      },
    ];
    for (const id of replicaIds) {
      const log = PartitionLog.open(join(root, `b${id}`, 't-0'), CONFIG);
      this.replicas.set(
        id,
        new Partition('t', 0, TOPIC_ID, log, id, undefined, {
          now: () => this.clock,
          alterIsr: async (change) => {
            this.requests.push(change);
            const plan = planAlterPartition(this.image, id, [
              {
                topicId: change.topicId,
                topicName: change.topic,
                partitionIndex: change.partitionId,
                leaderEpoch: change.leaderEpoch,
                partitionEpoch: change.partitionEpoch,
                newIsr: change.newIsr,
              },
            ]);
            const code = plan.results[0]?.errorCode ?? -1;
            if (code !== 0) {
              this.refused.push(code);
              throw new KafkaError(code, 'refused');
            }
            this.commit(plan.records);
          },
          isReplicaEligible: (brokerId) => this.image.brokers.get(brokerId)?.fenced === false,
        }),
      );
    }
    this.commit(records);
  }

  /** Applies records to the image and the image's partition state to every replica (the metadata log). */
  commit(records: readonly MetadataRecord[]): void {
    for (const r of records) this.image.apply(r, this.offset++);
    const info = this.image.topics.get('t')?.partitions[0];
    if (info) for (const p of this.replicas.values()) p.update(info);
  }

  get(id: number): Partition {
    return this.replicas.get(id) as Partition;
  }

  /** One follower fetch round: the leader serves `follower` from its LEO and records the fetch. */
  replicate(leaderId: number, followerId: number): void {
    const leader = this.get(leaderId);
    const follower = this.get(followerId);
    const offset = follower.log.logEndOffset;
    const { records } = leader.log.read(offset, 1 << 20, leader.log.logEndOffset, true);
    leader.updateFollowerFetchState(followerId, offset);
    follower.appendAsFollower(records, leader.highWatermark);
  }

  close(): void {
    for (const p of this.replicas.values()) {
      p.close();
      p.log.close();
    }
  }
}

async function settle(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
}

describe('Partition replication', () => {
  let root: string;
  let cluster: Cluster;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'flotilla-partition-'));
    cluster = new Cluster(root, [1, 2, 3]);
  });

  afterEach(() => {
    cluster.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('becomes leader by recording its epoch at the log end offset', () => {
    expect(cluster.get(1).isLeader).toBe(true);
    expect(cluster.get(2).isLeader).toBe(false);
    expect(cluster.get(1).log.epochs.latest).toEqual({ epoch: 0, startOffset: 0 });
    expect(cluster.get(1).leaderEpochStartOffset).toBe(0);
  });

  it('moves the high watermark to the minimum log end offset of the ISR, never backwards', () => {
    const leader = cluster.get(1);
    leader.appendAsLeader(batch('a', 'b'), -1, 1 << 20, 2);
    // Followers have not fetched in this epoch yet: the high watermark stays.
    expect(leader.highWatermark).toBe(0);
    cluster.replicate(1, 2); // follower 2 fetches from 0 and gets 2 records
    expect(leader.followers.get(2)?.logEndOffset).toBe(0);
    cluster.replicate(1, 2); // fetch from 2: the leader now knows follower 2 has 0..1
    cluster.replicate(1, 3);
    expect(leader.highWatermark).toBe(0); // follower 3 reported offset 0 only
    cluster.replicate(1, 3);
    expect(leader.highWatermark).toBe(2);
    // A follower reporting an older offset (a stale fetch) does not move it back.
    leader.updateFollowerFetchState(3, 1);
    expect(leader.highWatermark).toBe(2);
    // Followers learn the high watermark from the leader on their next fetch.
    cluster.replicate(1, 2);
    expect(cluster.get(2).highWatermark).toBe(2);
  });

  it('keeps offsets and leader epochs of the leader on followers', () => {
    const leader = cluster.get(1);
    leader.appendAsLeader(batch('a'), 1, 1 << 20, 1);
    leader.appendAsLeader(batch('b', 'c'), 1, 1 << 20, 1);
    cluster.replicate(1, 2);
    const follower = cluster.get(2);
    expect(follower.log.logEndOffset).toBe(3);
    const { records } = follower.log.read(0, 1 << 20, 3, true);
    expect(values(records)).toEqual(['a', 'b', 'c']);
    const headers = decodeBatches(records).batches.map((b) =>
      b.magic === 2 ? [Number(b.header.baseOffset), b.header.partitionLeaderEpoch] : [],
    );
    expect(headers).toEqual([
      [0, 0],
      [1, 0],
    ]);
    expect(follower.log.epochs.latest).toEqual({ epoch: 0, startOffset: 0 });
  });

  it('answers acks=all only when the ISR has the batch, and refuses below min.insync.replicas', async () => {
    const leader = cluster.get(1);
    const result = leader.appendAsLeader(batch('x'), -1, 1 << 20, 2);
    expect(leader.replicationStatus(result.lastOffset + 1, 2)).toBeNull();
    cluster.replicate(1, 2);
    cluster.replicate(1, 2);
    cluster.replicate(1, 3);
    expect(leader.replicationStatus(result.lastOffset + 1, 2)).toBeNull();
    cluster.replicate(1, 3);
    expect(leader.replicationStatus(result.lastOffset + 1, 2)).toBe(ErrorCode.NONE);

    // Followers 2 and 3 stop fetching: after replica.lag.time.max.ms they leave the ISR.
    const second = leader.appendAsLeader(batch('y'), -1, 1 << 20, 2);
    cluster.clock += 10_001;
    expect(leader.outOfSyncReplicas(10_000)).toEqual([2, 3]);
    expect(leader.maybeShrinkIsr(10_000)).toBe(true);
    await settle();
    expect(cluster.image.topics.get('t')?.partitions[0]?.isr).toEqual([1]);
    expect(leader.isr).toEqual([1]);
    // The batch is now below the high watermark (the ISR is the leader alone), but the ISR is too small.
    expect(leader.highWatermark).toBe(2);
    expect(leader.replicationStatus(second.lastOffset + 1, 2)).toBe(ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND);
    expect(() => leader.appendAsLeader(batch('z'), -1, 1 << 20, 2)).toThrow(
      expect.objectContaining({ errorCode: ErrorCode.NOT_ENOUGH_REPLICAS }),
    );
    // acks=1 still works with a one-replica ISR.
    expect(leader.appendAsLeader(batch('z'), 1, 1 << 20, 2).baseOffset).toBe(2);
  });

  it('lets a lagging follower rejoin the ISR once it has caught up to the high watermark', async () => {
    const leader = cluster.get(1);
    leader.appendAsLeader(batch('a'), 1, 1 << 20, 1);
    cluster.clock += 30_001;
    cluster.replicate(1, 2); // follower 2 fetches and is caught up; 3 never fetches
    cluster.replicate(1, 2);
    leader.maybeShrinkIsr(30_000);
    await settle();
    expect(leader.isr).toEqual([1, 2]);
    expect(leader.highWatermark).toBe(1);
    expect(cluster.requests.map((r) => r.newIsr)).toEqual([[1, 2]]);

    leader.appendAsLeader(batch('b'), 1, 1 << 20, 1);
    cluster.replicate(1, 3); // fetch from 0: behind the high watermark, stays out
    await settle();
    expect(leader.isr).toEqual([1, 2]);
    cluster.replicate(1, 3); // fetch from 2: has everything below the high watermark: expands
    await settle();
    expect(leader.isr).toEqual([1, 2, 3]);
    expect(cluster.image.topics.get('t')?.partitions[0]?.partitionEpoch).toBe(2);
  });

  it('does not propose a fenced broker (one in controlled shutdown) back into the ISR, nor hold the high watermark for it (KIP-841)', async () => {
    const leader = cluster.get(1);
    // Broker 3 shuts down: the controller fences it and takes it out of the ISR in one step.
    cluster.commit([
      { type: 'PartitionChange', topicId: TOPIC_ID, partitionId: 0, isr: [1, 2] },
      { type: 'FenceBroker', brokerId: 3, brokerEpoch: 3 },
    ]);
    leader.appendAsLeader(batch('a'), -1, 1 << 20, 2);
    cluster.replicate(1, 2);
    cluster.replicate(1, 3); // still fetching until it stops, and caught up
    cluster.replicate(1, 2);
    cluster.replicate(1, 3);
    await settle();
    expect(cluster.requests).toEqual([]);
    expect(leader.isrChangePending).toBe(false);
    expect(leader.highWatermark).toBe(1);
    expect(leader.isr).toEqual([1, 2]);
    // A leader that asked anyway is refused by the controller.
    const asked = planAlterPartition(cluster.image, 1, [
      { topicId: TOPIC_ID, topicName: 't', partitionIndex: 0, leaderEpoch: 0, partitionEpoch: 1, newIsr: [1, 2, 3] },
    ]);
    expect(asked.results[0]?.errorCode).toBe(ErrorCode.INELIGIBLE_REPLICA);
    expect(asked.records).toEqual([]);
    // Back (registered and unfenced): its next caught-up fetch brings it into the ISR.
    cluster.commit([{ type: 'UnfenceBroker', brokerId: 3, brokerEpoch: 3 }]);
    cluster.replicate(1, 3);
    await settle();
    expect(cluster.requests.map((r) => r.newIsr)).toEqual([[1, 2, 3]]);
    expect(leader.isr).toEqual([1, 2, 3]);
  });

  it('has the controller refuse an ISR change made against an old partition epoch', async () => {
    const leader = cluster.get(1);
    cluster.clock += 30_001;
    // The image moves on (another change) before the leader hears of it.
    const info = cluster.image.topics.get('t')?.partitions[0];
    cluster.image.apply({ type: 'PartitionChange', topicId: TOPIC_ID, partitionId: 0, isr: [1, 2, 3] }, 999);
    expect(info?.partitionEpoch).toBe(1);
    expect(leader.partitionEpoch).toBe(0);
    leader.maybeShrinkIsr(30_000);
    await settle();
    expect(cluster.refused).toEqual([ErrorCode.INVALID_UPDATE_VERSION]);
    expect(leader.isrChangePending).toBe(false);
  });

  it('truncates a follower tail written in an epoch the new leader never had', () => {
    const old = cluster.get(1);
    old.appendAsLeader(batch('a', 'b'), 1, 1 << 20, 1);
    cluster.replicate(1, 2);
    // Broker 1 appends more that nobody copies, then loses leadership to broker 2 (epoch 1).
    old.appendAsLeader(batch('lost-1', 'lost-2'), 1, 1 << 20, 1);
    cluster.commit([{ type: 'PartitionChange', topicId: TOPIC_ID, partitionId: 0, leader: 2, isr: [2, 3] }]);
    const leader = cluster.get(2);
    expect(leader.leaderEpoch).toBe(1);
    expect(leader.log.epochs.all()).toEqual([
      { epoch: 0, startOffset: 0 },
      { epoch: 1, startOffset: 2 },
    ]);
    leader.appendAsLeader(batch('c'), 1, 1 << 20, 1);
    // Broker 1 (now a follower) fetches with lastFetchedEpoch 0 from offset 4; the leader's epoch 0
    // ends at 2, so it answers the diverging epoch (0, 2), and broker 1 truncates to 2.
    const end = leader.log.epochs.endOffsetFor(0, leader.log.logEndOffset);
    expect(end).toEqual({ epoch: 0, endOffset: 2 });
    const follower = cluster.get(1);
    expect(follower.isLeader).toBe(false);
    const target = truncationOffset(follower, end.epoch, end.endOffset);
    expect(target).toBe(2);
    follower.truncateTo(target);
    cluster.replicate(2, 1);
    const { records } = follower.log.read(0, 1 << 20, follower.log.logEndOffset, true);
    expect(values(records)).toEqual(['a', 'b', 'c']);
    expect(follower.log.epochs.all()).toEqual([
      { epoch: 0, startOffset: 0 },
      { epoch: 1, startOffset: 2 },
    ]);
  });

  it('forgets a leader epoch it started without writing when the new leader never had it', () => {
    const leader = cluster.get(1);
    leader.appendAsLeader(batch('a', 'b'), 1, 1 << 20, 1);
    cluster.replicate(1, 2);
    cluster.replicate(1, 3);
    // Broker 2 leads epoch 1 but writes nothing before broker 3 takes over at epoch 2.
    cluster.commit([{ type: 'PartitionChange', topicId: TOPIC_ID, partitionId: 0, leader: 2 }]);
    expect(cluster.get(2).log.epochs.latest).toEqual({ epoch: 1, startOffset: 2 });
    cluster.commit([{ type: 'PartitionChange', topicId: TOPIC_ID, partitionId: 0, leader: 3 }]);
    const newLeader = cluster.get(3);
    expect(newLeader.log.epochs.all()).toEqual([
      { epoch: 0, startOffset: 0 },
      { epoch: 2, startOffset: 2 },
    ]);
    // Broker 2 fetches with lastFetchedEpoch 1 from offset 2: the leader answers (0, 2).
    const follower = cluster.get(2);
    const end = newLeader.log.epochs.endOffsetFor(1, newLeader.log.logEndOffset);
    expect(end).toEqual({ epoch: 0, endOffset: 2 });
    follower.truncateTo(truncationOffset(follower, end.epoch, end.endOffset));
    // Nothing was cut, but epoch 1 is gone: the next fetch no longer diverges.
    expect(follower.log.logEndOffset).toBe(2);
    expect(follower.log.epochs.latest).toEqual({ epoch: 0, startOffset: 0 });
    const again = newLeader.log.epochs.endOffsetFor(0, newLeader.log.logEndOffset);
    expect(again.epoch).toBe(0);
    expect(again.endOffset).toBeGreaterThanOrEqual(follower.log.logEndOffset);
  });

  it('narrows down divergence over several epochs the leader does not know', () => {
    const follower = cluster.get(3);
    // Follower 3's log: epoch 0 at 0..1, epoch 2 at 2..3 (an epoch the new leader never saw).
    const f = follower.log;
    const b0 = batch('a', 'b');
    b0.writeInt32BE(0, 12);
    f.appendAsFollower(b0);
    const b2 = batch('x', 'y');
    b2.writeBigInt64BE(2n, 0);
    b2.writeInt32BE(2, 12);
    f.appendAsFollower(b2);
    expect(f.epochs.all()).toEqual([
      { epoch: 0, startOffset: 0 },
      { epoch: 2, startOffset: 2 },
    ]);
    // The leader has epochs 0 (0..0) and 1 (from 1): for lastFetchedEpoch 2 it answers (1, LEO=5).
    // Follower 3's largest epoch <= 1 is 0, which ends at 2 here: truncate to 2 and ask again.
    expect(truncationOffset(follower, 1, 5)).toBe(2);
    follower.truncateTo(2);
    // Next fetch with lastFetchedEpoch 0: the leader says epoch 0 ends at 1: truncate to 1.
    expect(truncationOffset(follower, 0, 1)).toBe(1);
  });
});

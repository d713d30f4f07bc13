/**
 * A partition replica hosted on this broker: its log, its idempotent-producer state, its role (leader
 * or follower, with the leader epoch from the metadata image) and its high watermark. Consumers only
 * see offsets below the high watermark.
 *
 * As leader (Kafka's Partition.scala) it keeps each follower's fetch state (log end offset, last time
 * it was caught up), moves the high watermark to the minimum log end offset of the ISR (never
 * backwards), and asks the controller to shrink the ISR when a follower lags longer than
 * replica.lag.time.max.ms or to expand it when an outside replica catches up (AlterPartition, one
 * request in flight per partition; the image's next PartitionChange is the answer that counts).
 * As follower it appends the leader's batches as they are, truncates a divergent tail, and takes the
 * leader's high watermark (bounded by its own log end offset).
 */
import { join } from 'node:path';
import { ErrorCode, KafkaError } from '@flotilla/protocol';
import type { BatchInfo } from '../log/batch-info.js';
import {
  type AppendInfo,
  type PartitionLog,
  validateBatches,
  validateKeysForCompaction,
} from '../log/partition-log.js';
import type { PartitionInfo } from '../metadata/image.js';
import { type AppendOrigin, ProducerStateManager } from './producer-state.js';

export interface ProduceResult {
  readonly baseOffset: number;
  /** The last offset of the batch (the original one's, for a retried duplicate): acks=all waits past it. */
  readonly lastOffset: number;
  readonly logAppendTime: number;
  readonly logStartOffset: number;
  readonly appended: AppendInfo | null;
}

/** What the leader knows of one follower, from its fetches (Kafka's Replica / ReplicaState). */
export interface FollowerState {
  /** The follower's log end offset: the offset of its last fetch; -1 until it fetches in this epoch. */
  logEndOffset: number;
  /** The last time the follower had fetched up to the leader's log end offset. */
  lastCaughtUpTimeMs: number;
  lastFetchTimeMs: number;
  /** The leader's log end offset at the follower's previous fetch. */
  lastFetchLeaderLogEndOffset: number;
}

/** An ISR change the leader asks the controller for (AlterPartition). */
export interface IsrChange {
  readonly topic: string;
  readonly topicId: string;
  readonly partitionId: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly newIsr: readonly number[];
}

/**
 * Sends an ISR change to the controller. Resolves when the controller accepted it (its record will
 * reach the image) and rejects with a KafkaError when it refused (stale partition epoch, fenced
 * leader epoch...); either way the partition waits for the image before asking again.
 */
export type AlterIsr = (change: IsrChange) => Promise<void>;

export interface PartitionOptions {
  readonly alterIsr?: AlterIsr;
  readonly now?: () => number;
  /** Called on each ISR change this leader asks for: 'shrink' or 'expand' (metrics). */
  readonly onIsrChange?: (kind: 'shrink' | 'expand') => void;
  /**
   * Whether a broker may join an ISR now (KIP-841, Partition.isReplicaIsrEligible): registered and
   * neither fenced nor shutting down, in the leader's image. Every broker is when not given.
   */
  readonly isReplicaEligible?: (brokerId: number) => boolean;
}

export class Partition {
  readonly producers: ProducerStateManager;
  leaderEpoch = -1;
  leader = -1;
  partitionEpoch = -1;
  replicas: number[] = [];
  isr: number[] = [];
  /** Replicas being added or removed by a reassignment (KIP-455); empty otherwise. */
  addingReplicas: number[] = [];
  removingReplicas: number[] = [];
  highWatermark: number;
  /** Bytes appended below the high watermark since start: how much became readable (fetch min.bytes). */
  readableBytesTotal = 0;
  /** Bytes appended to the log since start, readable or not (what a follower's fetch waits for). */
  appendedBytesTotal = 0;
  /** Offset where this broker's current leader epoch began (a follower joins the ISR only past it). */
  leaderEpochStartOffset = -1;
  /** The followers' fetch states, while this broker leads. */
  readonly followers = new Map<number, FollowerState>();
  /** An AlterPartition in flight: no other is sent until the image shows a new partition epoch. */
  private isrChangeInFlight: IsrChange | null = null;
  /** Appended batches not yet below the high watermark: [end offset, appendedBytesTotal after it]. */
  private unreadable: [number, number][] = [];
  /**
   * Appended batches not yet below the last stable offset, as `unreadable` for the high watermark:
   * what a read_committed fetch may not read yet, however far the high watermark went.
   */
  private unstable: [number, number][] = [];
  private stableBytes = 0;
  /** Called after every append and high watermark move (wakes long-polling fetches). */
  private readonly listeners = new Set<() => void>();
  private readonly now: () => number;

  constructor(
    readonly topic: string,
    readonly partitionId: number,
    readonly topicId: string,
    readonly log: PartitionLog,
    private readonly brokerId: number,
    checkpointedHighWatermark: number | undefined,
    private readonly options: PartitionOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.producers = new ProducerStateManager(join(log.dir, 'producer-state.snapshot'), log);
    const from = Math.max(this.producers.loadSnapshot(), log.logStartOffset);
    for (const batch of log.batchesFrom(from)) this.producers.update(batch);
    this.highWatermark = Math.min(checkpointedHighWatermark ?? log.logEndOffset, log.logEndOffset);
  }

  get isLeader(): boolean {
    return this.leader === this.brokerId;
  }

  /**
   * Applies the partition's state from the metadata image: becomes leader or follower when the leader
   * epoch moves, takes the new ISR otherwise. Returns 'leader' or 'follower' when the role (or the
   * epoch) changed, so the replica manager can start or stop fetching; null when only the ISR changed.
   */
  update(info: PartitionInfo): 'leader' | 'follower' | null {
    const epochChanged = info.leaderEpoch !== this.leaderEpoch || info.leader !== this.leader;
    this.leader = info.leader;
    this.leaderEpoch = info.leaderEpoch;
    this.partitionEpoch = info.partitionEpoch;
    this.replicas = [...info.replicas];
    this.isr = [...info.isr];
    this.addingReplicas = [...(info.addingReplicas ?? [])];
    this.removingReplicas = [...(info.removingReplicas ?? [])];
    if (this.isrChangeInFlight && this.isrChangeInFlight.partitionEpoch !== info.partitionEpoch) {
      this.isrChangeInFlight = null;
    }
    let role: 'leader' | 'follower' | null = null;
    if (epochChanged) role = this.isLeader ? this.becomeLeader() : this.becomeFollower();
    if (this.isLeader) {
      for (const id of this.followers.keys()) if (!this.replicas.includes(id)) this.followers.delete(id);
      for (const id of this.replicas) if (id !== this.brokerId && !this.followers.has(id)) this.addFollower(id);
      this.maybeIncrementHighWatermark();
    }
    this.notify();
    return role;
  }

  private addFollower(id: number): void {
    const now = this.now();
    // A replica in the ISR counts as caught up when this leader takes over, as in Kafka; the lag
    // clock starts now for everyone.
    this.followers.set(id, {
      logEndOffset: -1,
      lastCaughtUpTimeMs: this.isr.includes(id) ? now : 0,
      lastFetchTimeMs: 0,
      lastFetchLeaderLogEndOffset: -1,
    });
  }

  /** Kafka's makeLeader: the new epoch starts at the log end offset, in the epoch cache. */
  private becomeLeader(): 'leader' {
    this.log.epochs.assign(this.leaderEpoch, this.log.logEndOffset);
    this.leaderEpochStartOffset = this.log.logEndOffset;
    this.followers.clear();
    this.isrChangeInFlight = null;
    return 'leader';
  }

  /** Kafka's makeFollower: no follower states; the fetcher takes it from here. */
  private becomeFollower(): 'follower' {
    this.followers.clear();
    this.isrChangeInFlight = null;
    this.leaderEpochStartOffset = -1;
    return 'follower';
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }

  /**
   * The ISR the high watermark is computed over: the committed ISR plus, while an expansion is in
   * flight, the replica being added (Kafka's "maximal ISR"), so that acks=all never waits for less
   * than the ISR the controller may already have written.
   */
  private get maximalIsr(): readonly number[] {
    const pending = this.isrChangeInFlight?.newIsr ?? [];
    return [...new Set([...this.isr, ...pending])];
  }

  /**
   * High watermark = minimum log end offset over the ISR (Partition.maybeIncrementLeaderHW); it only
   * moves forward. A follower that has not fetched in this leader epoch holds it where it is. Returns
   * whether it moved.
   */
  maybeIncrementHighWatermark(): boolean {
    if (!this.isLeader) return false;
    let candidate = this.log.logEndOffset;
    for (const id of this.maximalIsr) {
      if (id === this.brokerId) continue;
      const f = this.followers.get(id);
      const leo = f?.logEndOffset ?? -1;
      candidate = Math.min(candidate, leo < 0 ? this.highWatermark : leo);
    }
    if (candidate > this.highWatermark) {
      this.setHighWatermark(candidate);
      return true;
    }
    return false;
  }

  private setHighWatermark(hw: number): void {
    this.highWatermark = hw;
    // Bytes of the batches now below the high watermark become readable (wakes consumers' fetches).
    let i = 0;
    while (i < this.unreadable.length && (this.unreadable[i] as [number, number])[0] <= hw) i++;
    if (i > 0) {
      this.readableBytesTotal = (this.unreadable[i - 1] as [number, number])[1];
      this.unreadable.splice(0, i);
    }
    if (this.unreadable.length === 0) this.readableBytesTotal = this.appendedBytesTotal;
  }

  private recordAppended(endOffset: number, bytes: number): void {
    this.appendedBytesTotal += bytes;
    this.unreadable.push([endOffset, this.appendedBytesTotal]);
    this.unstable.push([endOffset, this.appendedBytesTotal]);
  }

  /**
   * Bytes appended below the last stable offset since start: how much became readable to read_committed
   * consumers (their fetch's min.bytes, as Kafka's DelayedFetch measures from the LSO). Worked out when
   * asked, since the LSO moves with both the high watermark and the transactions' markers.
   */
  get stableBytesTotal(): number {
    const lso = this.lastStableOffset;
    let i = 0;
    while (i < this.unstable.length && (this.unstable[i] as [number, number])[0] <= lso) i++;
    if (i > 0) {
      this.stableBytes = (this.unstable[i - 1] as [number, number])[1];
      this.unstable.splice(0, i);
    }
    return this.stableBytes;
  }

  /**
   * Appends a producer's record set as leader. `currentLeaderEpoch` is not part of Produce, so only
   * leadership is checked. A retried idempotent batch is answered with its original offsets.
   */
  appendAsLeader(
    records: Buffer,
    requiredAcks: number,
    maxMessageBytes: number,
    minInsyncReplicas: number,
    origin: AppendOrigin = 'client',
  ): ProduceResult {
    if (!this.isLeader) {
      throw new KafkaError(
        ErrorCode.NOT_LEADER_OR_FOLLOWER,
        `broker ${this.brokerId} is not the leader of ${this.topic}-${this.partitionId}`,
      );
    }
    const infos = validateBatches(records, maxMessageBytes);
    if (this.log.config.compact) validateKeysForCompaction(records, `${this.topic}-${this.partitionId}`);
    const idempotent = infos.some((b) => b.producerId >= 0);
    if (idempotent && infos.length !== 1) {
      throw new KafkaError(
        ErrorCode.INVALID_RECORD,
        'produce requests with idempotent batches must contain exactly one record batch',
      );
    }
    if (requiredAcks === -1 && this.isr.length < minInsyncReplicas) {
      throw new KafkaError(
        ErrorCode.NOT_ENOUGH_REPLICAS,
        `the ISR of ${this.topic}-${this.partitionId} has ${this.isr.length} replica(s), fewer than min.insync.replicas ${minInsyncReplicas}`,
      );
    }
    const first = infos[0] as BatchInfo;
    const duplicate = this.producers.check(first, origin);
    if (duplicate) {
      return {
        baseOffset: duplicate.firstOffset,
        lastOffset: duplicate.lastOffset,
        logAppendTime: -1,
        logStartOffset: this.log.logStartOffset,
        appended: null,
      };
    }
    const appended = this.log.appendAsLeader(records, infos, this.leaderEpoch);
    for (const b of appended.batches) this.producers.update(b);
    this.recordAppended(appended.lastOffset + 1, appended.bytes);
    this.maybeIncrementHighWatermark();
    this.notify();
    return {
      baseOffset: appended.firstOffset,
      lastOffset: appended.lastOffset,
      logAppendTime: appended.logAppendTime,
      logStartOffset: this.log.logStartOffset,
      appended,
    };
  }

  /**
   * Appends batches fetched from the leader, offsets and epochs as the leader wrote them, then takes
   * the leader's high watermark as far as this log reaches.
   */
  appendAsFollower(records: Buffer, leaderHighWatermark: number): AppendInfo | null {
    if (this.isLeader) {
      throw new KafkaError(
        ErrorCode.NOT_LEADER_OR_FOLLOWER,
        `broker ${this.brokerId} leads ${this.topic}-${this.partitionId}`,
      );
    }
    const appended = this.log.appendAsFollower(records, this.now());
    if (appended) {
      for (const b of appended.batches) this.producers.update(b);
      this.recordAppended(appended.lastOffset + 1, appended.bytes);
    }
    this.updateFollowerHighWatermark(leaderHighWatermark);
    this.notify();
    return appended;
  }

  /** A follower's high watermark is the leader's, bounded by its own log end offset. */
  updateFollowerHighWatermark(leaderHighWatermark: number): void {
    const hw = Math.min(leaderHighWatermark, this.log.logEndOffset);
    if (hw > this.highWatermark) this.setHighWatermark(hw);
  }

  /** Removes the log's tail from `offset` on (a divergent tail after a leader change, KIP-101/279). */
  truncateTo(offset: number): void {
    if (offset >= this.log.logEndOffset) {
      this.log.truncateTo(offset); // drops epochs that start at the end (see PartitionLog.truncateTo)
      return;
    }
    this.log.truncateTo(offset);
    this.producers.truncateAndRebuild(this.log.batchesFrom(this.log.logStartOffset));
    this.highWatermark = Math.min(this.highWatermark, this.log.logEndOffset);
    this.unreadable = this.unreadable.filter(([end]) => end <= this.log.logEndOffset);
    this.unstable = this.unstable.filter(([end]) => end <= this.log.logEndOffset);
  }

  /** Starts the log over at `offset` (the leader's log start offset passed this follower's position). */
  truncateFullyAndStartAt(offset: number): void {
    this.log.truncateFullyAndStartAt(offset);
    this.producers.truncateAndRebuild([]);
    this.highWatermark = offset;
    this.unreadable = [];
    this.unstable = [];
  }

  /**
   * The leader records a follower's fetch (Partition.updateFollowerFetchState): its log end offset is
   * the fetch offset; it is caught up when it asked for the leader's log end offset, or at least for
   * what the log end offset was at its previous fetch. May move the high watermark and ask to add the
   * follower to the ISR. Returns whether the high watermark moved.
   */
  updateFollowerFetchState(
    replicaId: number,
    fetchOffset: number,
    leaderLogEndOffset = this.log.logEndOffset,
  ): boolean {
    const f = this.followers.get(replicaId);
    if (!this.isLeader || !f) return false;
    const now = this.now();
    if (fetchOffset >= leaderLogEndOffset) f.lastCaughtUpTimeMs = Math.max(f.lastCaughtUpTimeMs, now);
    else if (fetchOffset >= f.lastFetchLeaderLogEndOffset && f.lastFetchLeaderLogEndOffset >= 0) {
      f.lastCaughtUpTimeMs = Math.max(f.lastCaughtUpTimeMs, f.lastFetchTimeMs);
    }
    f.logEndOffset = fetchOffset;
    f.lastFetchTimeMs = now;
    f.lastFetchLeaderLogEndOffset = leaderLogEndOffset;
    this.maybeExpandIsr(replicaId);
    const moved = this.maybeIncrementHighWatermark();
    if (moved) this.notify();
    return moved;
  }

  /**
   * A replica outside the ISR joins once it has everything below the high watermark and has reached
   * this leader's epoch (so it has truncated any divergent tail first). KIP-841: only replicas that
   * the controller still lists as replicas (and not being removed), on a broker that is neither fenced
   * nor shutting down, are eligible. A broker in controlled shutdown keeps fetching until it stops;
   * proposing it would only be refused (INELIGIBLE_REPLICA), and meanwhile the pending expansion
   * would hold the high watermark for a broker about to go (maximalIsr).
   */
  private maybeExpandIsr(replicaId: number): void {
    if (this.isr.includes(replicaId) || this.isrChangeInFlight) return;
    if (this.removingReplicas.includes(replicaId) || !this.replicas.includes(replicaId)) return;
    if (this.options.isReplicaEligible && !this.options.isReplicaEligible(replicaId)) return;
    const f = this.followers.get(replicaId);
    if (!f || f.logEndOffset < this.highWatermark || f.logEndOffset < this.leaderEpochStartOffset) return;
    this.requestIsrChange([...this.isr, replicaId], 'expand');
  }

  /** The ISR followers that have not caught up within `lagTimeMaxMs` (Partition.getOutOfSyncReplicas). */
  outOfSyncReplicas(lagTimeMaxMs: number): number[] {
    if (!this.isLeader) return [];
    const now = this.now();
    return this.isr.filter((id) => {
      if (id === this.brokerId) return false;
      const f = this.followers.get(id);
      return !f || now - f.lastCaughtUpTimeMs > lagTimeMaxMs;
    });
  }

  /** Asks the controller to drop lagging followers from the ISR (called periodically). */
  maybeShrinkIsr(lagTimeMaxMs: number): boolean {
    if (!this.isLeader || this.isrChangeInFlight) return false;
    const out = this.outOfSyncReplicas(lagTimeMaxMs);
    if (out.length === 0) return false;
    const newIsr = this.isr.filter((id) => !out.includes(id));
    if (newIsr.length === 0) return false;
    this.requestIsrChange(newIsr, 'shrink');
    return true;
  }

  private requestIsrChange(newIsr: number[], kind: 'shrink' | 'expand'): void {
    const alterIsr = this.options.alterIsr;
    if (!alterIsr) return;
    const change: IsrChange = {
      topic: this.topic,
      topicId: this.topicId,
      partitionId: this.partitionId,
      leaderEpoch: this.leaderEpoch,
      partitionEpoch: this.partitionEpoch,
      newIsr,
    };
    this.isrChangeInFlight = change;
    this.options.onIsrChange?.(kind);
    alterIsr(change).catch(() => {
      // Refused or unreachable: forget it so a later check asks again (with the image's epochs).
      if (this.isrChangeInFlight === change) this.isrChangeInFlight = null;
    });
  }

  /** Whether an AlterPartition is waiting for the controller (tests, metrics). */
  get isrChangePending(): boolean {
    return this.isrChangeInFlight !== null;
  }

  /**
   * acks=all: whether `requiredOffset` (one past the last offset appended) is below the high
   * watermark, and if so with which error (Partition.checkEnoughReplicasReachOffset): none, or
   * NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR shrank below min.insync.replicas meanwhile.
   * null while still waiting.
   */
  replicationStatus(requiredOffset: number, minInsyncReplicas: number): number | null {
    if (!this.isLeader) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    if (this.highWatermark < requiredOffset) return null;
    return this.isr.length < minInsyncReplicas ? ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND : ErrorCode.NONE;
  }

  /**
   * The last stable offset (KIP-98): read_committed consumers read below it. The first offset of the
   * oldest open transaction, bounded by the high watermark.
   */
  get lastStableOffset(): number {
    const unstable = this.producers.firstUnstableOffset;
    return unstable === null ? this.highWatermark : Math.min(unstable, this.highWatermark);
  }

  /** The last offset a consumer may read up to (exclusive): the high watermark. */
  get readableEnd(): number {
    return this.highWatermark;
  }

  /** DeleteRecords: only below the high watermark, as Kafka requires. */
  deleteRecordsBefore(offset: number): number {
    if (!this.isLeader)
      throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `not the leader of ${this.topic}-${this.partitionId}`);
    const target = offset === -1 ? this.highWatermark : offset;
    if (target < 0 || target > this.highWatermark) {
      throw new KafkaError(
        ErrorCode.OFFSET_OUT_OF_RANGE,
        `cannot delete records before ${target}: the high watermark is ${this.highWatermark}`,
      );
    }
    const low = this.log.deleteRecordsBefore(target);
    this.notify();
    return low;
  }

  /** Set by close(): the partition left this broker (or the broker stops). */
  closed = false;

  close(): void {
    this.producers.writeSnapshot(this.log.logEndOffset);
    this.closed = true;
    this.notify(); // parked fetches and acks=all waits answer now, not at their timeout
    this.listeners.clear();
  }
}

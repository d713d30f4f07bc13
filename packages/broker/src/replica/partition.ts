/**
 * A partition replica hosted on this broker: its log, its idempotent-producer state, its role (leader
 * or follower, with the leader epoch from the metadata image) and its high watermark. Consumers only
 * see offsets below the high watermark. On a single broker the ISR is this broker alone, so the high
 * watermark follows the log end offset; with replication (issue 4) it becomes the minimum log end
 * offset of the ISR, computed here from followers' fetch positions.
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
import { ProducerStateManager } from './producer-state.js';

export interface ProduceResult {
  readonly baseOffset: number;
  readonly logAppendTime: number;
  readonly logStartOffset: number;
  readonly appended: AppendInfo | null;
}

export class Partition {
  readonly producers: ProducerStateManager;
  leaderEpoch = -1;
  leader = -1;
  replicas: number[] = [];
  isr: number[] = [];
  highWatermark: number;
  /** Bytes appended below the high watermark since start: how much became readable (fetch min.bytes). */
  readableBytesTotal = 0;
  /** Called after every append and high watermark move (wakes long-polling fetches). */
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly topic: string,
    readonly partitionId: number,
    readonly topicId: string,
    readonly log: PartitionLog,
    private readonly brokerId: number,
    checkpointedHighWatermark: number | undefined,
  ) {
    this.producers = new ProducerStateManager(join(log.dir, 'producer-state.snapshot'));
    const from = Math.max(this.producers.loadSnapshot(), log.logStartOffset);
    for (const batch of log.batchesFrom(from)) this.producers.update(batch);
    this.highWatermark = Math.min(checkpointedHighWatermark ?? log.logEndOffset, log.logEndOffset);
  }

  get isLeader(): boolean {
    return this.leader === this.brokerId;
  }

  /** Applies the partition's state from the metadata image. */
  update(info: PartitionInfo): void {
    this.leader = info.leader;
    this.leaderEpoch = info.leaderEpoch;
    this.replicas = [...info.replicas];
    this.isr = [...info.isr];
    this.maybeAdvanceHighWatermark();
    this.notify();
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }

  /** The ISR is this broker alone: the high watermark is the log end offset. */
  private maybeAdvanceHighWatermark(): void {
    if (!this.isLeader) return;
    const onlyMe = this.isr.length === 1 && this.isr[0] === this.brokerId;
    if (onlyMe && this.highWatermark !== this.log.logEndOffset) {
      this.highWatermark = this.log.logEndOffset;
    }
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
    const duplicate = this.producers.check(first);
    if (duplicate) {
      return {
        baseOffset: duplicate.firstOffset,
        logAppendTime: -1,
        logStartOffset: this.log.logStartOffset,
        appended: null,
      };
    }
    const appended = this.log.appendAsLeader(records, infos, this.leaderEpoch);
    for (const b of appended.batches) this.producers.update(b);
    this.readableBytesTotal += appended.bytes;
    this.maybeAdvanceHighWatermark();
    this.notify();
    return {
      baseOffset: appended.firstOffset,
      logAppendTime: appended.logAppendTime,
      logStartOffset: this.log.logStartOffset,
      appended,
    };
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

  close(): void {
    this.producers.writeSnapshot(this.log.logEndOffset);
    this.listeners.clear();
  }
}

/**
 * The partitions this broker hosts, kept in line with the metadata image: a partition appears when the
 * image assigns this broker a replica of it, changes role when its leader changes, and disappears with
 * its topic. Produce, fetch (with long polling) and list offsets go through here.
 */
import { ErrorCode, KafkaError } from '@flotilla/protocol';
import type { LogManager } from '../log/log-manager.js';
import { partitionKey } from '../log/log-manager.js';
import type { Logger } from '../logger.js';
import type { ImageChange, MetadataImage, TopicInfo } from '../metadata/image.js';
import { Partition } from './partition.js';

export const ListOffsetsTimestamp = {
  LATEST: -1,
  EARLIEST: -2,
  MAX_TIMESTAMP: -3,
  EARLIEST_LOCAL: -4,
  EARLIEST_PENDING_UPLOAD: -5,
  LATEST_TIERED: -6,
} as const;

export interface FetchPartitionRequest {
  readonly topic: string;
  readonly partition: number;
  readonly fetchOffset: number;
  readonly currentLeaderEpoch: number;
  readonly maxBytes: number;
}

export interface FetchPartitionResult {
  readonly errorCode: number;
  readonly highWatermark: number;
  readonly lastStableOffset: number;
  readonly logStartOffset: number;
  readonly records: Buffer | null;
}

export interface FetchParams {
  readonly maxWaitMs: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  readonly readCommitted: boolean;
}

export class ReplicaManager {
  private readonly partitions = new Map<string, Partition>();

  constructor(
    private readonly brokerId: number,
    private readonly logs: LogManager,
    private readonly image: MetadataImage,
    private readonly log: Logger,
  ) {}

  get(topic: string, partition: number): Partition | undefined {
    return this.partitions.get(partitionKey(topic, partition));
  }

  all(): IterableIterator<Partition> {
    return this.partitions.values();
  }

  /** Creates or updates the hosted partitions of every topic in the image (at start). */
  syncWithImage(): void {
    for (const topic of this.image.topics.values()) this.syncTopic(topic);
    // Logs of topics that no longer exist (deleted while this broker was down) go.
    for (const hosted of [...this.logs.all()]) {
      const topic = this.image.topics.get(hosted.topic);
      if (!topic || (hosted.topicId !== null && hosted.topicId !== topic.id) || !topic.partitions[hosted.partition]) {
        if (hosted.topic === '__cluster_metadata') continue;
        this.log.info(`deleting log ${partitionKey(hosted.topic, hosted.partition)}: its topic is gone`);
        this.logs.delete(hosted.topic, hosted.partition);
      }
    }
  }

  private syncTopic(topic: TopicInfo): void {
    for (const p of topic.partitions) {
      if (!p?.replicas.includes(this.brokerId)) continue;
      const key = partitionKey(topic.name, p.partitionId);
      let partition = this.partitions.get(key);
      if (!partition) {
        const hosted = this.logs.getOrCreate(topic.name, p.partitionId, topic.id);
        partition = new Partition(
          topic.name,
          p.partitionId,
          topic.id,
          hosted.log,
          this.brokerId,
          this.logs.checkpointedHighWatermark(topic.name, p.partitionId),
        );
        this.partitions.set(key, partition);
      }
      partition.update(p);
    }
  }

  /** Reacts to one committed metadata change. */
  apply(change: ImageChange): void {
    switch (change.kind) {
      case 'topic-created':
      case 'partition-changed':
        this.syncTopic(change.topic);
        break;
      case 'topic-deleted':
        for (const [key, partition] of this.partitions) {
          if (partition.topicId !== change.topic.id) continue;
          partition.close();
          this.partitions.delete(key);
          this.logs.delete(partition.topic, partition.partitionId);
        }
        break;
      case 'topic-config-changed':
        this.logs.reconfigure(change.topic.name);
        break;
      case 'broker-config-changed':
        this.logs.reconfigure();
        break;
      default:
        break;
    }
  }

  /** The partition if this broker leads it, else the Kafka error a client should see. */
  leaderPartition(topic: string, partition: number): Partition {
    const t = this.image.topics.get(topic);
    if (!t?.partitions[partition]) {
      throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${topic}-${partition} does not exist`);
    }
    const p = this.get(topic, partition);
    if (!p?.isLeader) {
      throw new KafkaError(
        ErrorCode.NOT_LEADER_OR_FOLLOWER,
        `broker ${this.brokerId} does not lead ${topic}-${partition}`,
      );
    }
    return p;
  }

  private checkLeaderEpoch(p: Partition, currentLeaderEpoch: number): void {
    if (currentLeaderEpoch < 0) return;
    if (currentLeaderEpoch > p.leaderEpoch) {
      throw new KafkaError(
        ErrorCode.UNKNOWN_LEADER_EPOCH,
        `leader epoch ${currentLeaderEpoch} is newer than ${p.leaderEpoch}`,
      );
    }
    if (currentLeaderEpoch < p.leaderEpoch) {
      throw new KafkaError(
        ErrorCode.FENCED_LEADER_EPOCH,
        `leader epoch ${currentLeaderEpoch} is older than ${p.leaderEpoch}`,
      );
    }
  }

  private readOnce(
    requests: readonly FetchPartitionRequest[],
    params: FetchParams,
  ): { results: FetchPartitionResult[]; bytes: number; errors: boolean } {
    let remaining = params.maxBytes;
    let bytes = 0;
    let errors = false;
    const results = requests.map((req): FetchPartitionResult => {
      try {
        const p = this.leaderPartition(req.topic, req.partition);
        this.checkLeaderEpoch(p, req.currentLeaderEpoch);
        const hw = p.highWatermark;
        const { records, logStartOffset } = p.log.read(
          req.fetchOffset,
          Math.min(req.maxBytes, remaining),
          hw,
          bytes === 0, // KIP-74: the first partition with data returns at least one batch
        );
        remaining -= records.length;
        bytes += records.length;
        return { errorCode: 0, highWatermark: hw, lastStableOffset: hw, logStartOffset, records };
      } catch (e) {
        if (!(e instanceof KafkaError)) throw e;
        errors = true;
        const p = this.get(req.topic, req.partition);
        return {
          errorCode: e.errorCode,
          highWatermark: p?.highWatermark ?? -1,
          lastStableOffset: p?.highWatermark ?? -1,
          logStartOffset: p?.log.logStartOffset ?? -1,
          records: null,
        };
      }
    });
    return { results, bytes, errors };
  }

  /**
   * Fetch with long polling: answers at once when min.bytes are available, an error occurred or
   * max.wait.ms is 0; otherwise waits for appends to any of the partitions until then.
   */
  async fetch(requests: readonly FetchPartitionRequest[], params: FetchParams): Promise<FetchPartitionResult[]> {
    const first = this.readOnce(requests, params);
    if (params.maxWaitMs <= 0 || first.bytes >= params.minBytes || first.errors || requests.length === 0) {
      return first.results;
    }
    await new Promise<void>((resolve) => {
      const watched = requests
        .map((r) => this.get(r.topic, r.partition))
        .filter((p): p is Partition => p !== undefined);
      // Bytes made readable since the first read: the growth of each partition below its high watermark.
      const start = watched.map((p) => p.readableBytesTotal);
      const unsubscribe: (() => void)[] = [];
      const done = () => {
        clearTimeout(timer);
        for (const u of unsubscribe) u();
        resolve();
      };
      const timer = setTimeout(done, params.maxWaitMs);
      for (const p of watched) {
        unsubscribe.push(
          p.onChange(() => {
            let grown = first.bytes;
            watched.forEach((q, i) => {
              grown += q.readableBytesTotal - (start[i] as number);
            });
            if (grown >= params.minBytes || !p.isLeader) done();
          }),
        );
      }
    });
    return this.readOnce(requests, params).results;
  }

  /** ListOffsets for one partition: returns [offset, timestamp, leaderEpoch]. */
  listOffset(
    topic: string,
    partition: number,
    timestamp: number,
    currentLeaderEpoch: number,
    readCommitted: boolean,
  ): { offset: number; timestamp: number; leaderEpoch: number } {
    const p = this.leaderPartition(topic, partition);
    this.checkLeaderEpoch(p, currentLeaderEpoch);
    const epochAt = (offset: number) => p.log.epochs.endOffsetFor(Number.MAX_SAFE_INTEGER, offset).epoch;
    const end = readCommitted ? p.highWatermark : p.highWatermark;
    switch (timestamp) {
      case ListOffsetsTimestamp.LATEST:
        return { offset: end, timestamp: -1, leaderEpoch: p.leaderEpoch };
      case ListOffsetsTimestamp.EARLIEST:
      case ListOffsetsTimestamp.EARLIEST_LOCAL:
        return { offset: p.log.logStartOffset, timestamp: -1, leaderEpoch: epochAt(p.log.logStartOffset) };
      case ListOffsetsTimestamp.MAX_TIMESTAMP: {
        const max = p.log.maxTimestampAndOffset;
        if (max.offset < 0) return { offset: -1, timestamp: -1, leaderEpoch: -1 };
        return { offset: max.offset, timestamp: max.timestamp, leaderEpoch: p.leaderEpoch };
      }
      case ListOffsetsTimestamp.EARLIEST_PENDING_UPLOAD:
      case ListOffsetsTimestamp.LATEST_TIERED:
        return { offset: -1, timestamp: -1, leaderEpoch: -1 };
      default: {
        if (timestamp < 0) throw new KafkaError(ErrorCode.INVALID_REQUEST, `invalid timestamp ${timestamp}`);
        const found = p.log.offsetForTimestamp(timestamp);
        if (!found || found.offset >= end) return { offset: -1, timestamp: -1, leaderEpoch: -1 };
        return { offset: found.offset, timestamp: found.timestamp, leaderEpoch: p.leaderEpoch };
      }
    }
  }

  close(): void {
    for (const p of this.partitions.values()) p.close();
  }
}

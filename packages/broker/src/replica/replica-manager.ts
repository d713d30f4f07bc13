/**
 * The partitions this broker hosts, kept in line with the metadata image: a partition appears when the
 * image assigns this broker a replica of it, becomes leader or follower when its leader epoch moves
 * (followers are handed to the replica fetchers), and disappears with its topic or when a reassignment
 * moves it away. Produce (with acks=all waiting for the ISR), fetch (consumers' and followers', with
 * long polling) and list offsets go through here; a timer asks for ISR shrinks of lagging followers.
 */
import { decodeBatches, decodeRecords, ErrorCode, KafkaError, TimestampType } from '@flotilla/protocol';
import type { LogManager } from '../log/log-manager.js';
import { partitionKey } from '../log/log-manager.js';
import type { AbortedTxn } from '../log/txn-index.js';
import type { Logger } from '../logger.js';
import type { ImageChange, MetadataImage, TopicInfo } from '../metadata/image.js';
import { type AlterIsr, Partition } from './partition.js';
import { type FetcherSettings, ReplicaFetcherManager } from './replica-fetcher.js';
import type { ReplicationQuotas } from './replication-quota.js';

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
  /** The epoch of the follower's last fetched batch (Fetch v12+), -1 when not sent. */
  readonly lastFetchedEpoch?: number;
}

export interface FetchPartitionResult {
  readonly errorCode: number;
  readonly highWatermark: number;
  readonly lastStableOffset: number;
  readonly logStartOffset: number;
  readonly records: Buffer | null;
  /** read_committed: the aborted transactions overlapping the records returned (KIP-98). */
  readonly abortedTransactions?: readonly AbortedTxn[] | null;
  /** For a follower whose log parts from the leader's: the leader's epoch and its end offset there. */
  readonly divergingEpoch?: { readonly epoch: number; readonly endOffset: number };
}

export interface FetchParams {
  readonly maxWaitMs: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  readonly readCommitted: boolean;
  /** The fetching follower's broker id; absent or -1 for consumers. */
  readonly replicaId?: number;
  /** Gives the buffers records are read into (the response's pool); fresh buffers without it. */
  readonly allocate?: (size: number) => Buffer;
}

export interface ReplicationOptions {
  /** Sends ISR changes to the controller (AlterPartition); without it the ISR never changes. */
  readonly alterIsr?: AlterIsr;
  /** How followers reach their leaders; without it this broker never fetches (single-broker use). */
  readonly fetcher?: FetcherSettings;
  /** replica.lag.time.max.ms, read at each check so a dynamic change applies. */
  readonly replicaLagTimeMaxMs?: () => number;
  /** min.insync.replicas in force for a topic (metrics: under-min-ISR partitions). */
  readonly minInsyncReplicas?: (topic: string) => number;
  /** Replication quotas (KIP-73); without them nothing is throttled. */
  readonly quotas?: ReplicationQuotas;
}

export class ReplicaManager {
  private readonly partitions = new Map<string, Partition>();
  private readonly fetchers: ReplicaFetcherManager | null;
  private isrTimer: NodeJS.Timeout | undefined;
  /** ISR changes this broker asked for, as leader (IsrShrinksPerSec / IsrExpandsPerSec). */
  isrShrinks = 0;
  isrExpands = 0;
  readonly quotas: ReplicationQuotas | null;
  /**
   * False until the first syncWithImage. A quorum broker replays its metadata log at start, and the
   * changes it publishes meanwhile are history: acting on them would apply past states to today's
   * logs (a replica moved away and back since the last snapshot would lose its log on each restart,
   * while the controller still counts it in the ISR). The first sync, once caught up, applies the
   * current image instead.
   */
  private synced = false;

  constructor(
    private readonly brokerId: number,
    private readonly logs: LogManager,
    private readonly image: MetadataImage,
    private readonly log: Logger,
    private readonly replication: ReplicationOptions = {},
  ) {
    this.fetchers = replication.fetcher ? new ReplicaFetcherManager(replication.fetcher, log.child('fetcher')) : null;
    this.quotas = replication.quotas ?? null;
  }

  /**
   * Starts the ISR expiration check (every replica.lag.time.max.ms / 2, as Kafka's isr-expiration
   * task): each led partition asks to drop followers that have not caught up within the lag time.
   */
  startReplication(): void {
    if (this.isrTimer) return;
    const lag = () => this.replication.replicaLagTimeMaxMs?.() ?? 30_000;
    const tick = () => {
      for (const p of this.partitions.values()) p.maybeShrinkIsr(lag());
      this.isrTimer = setTimeout(tick, Math.max(50, lag() / 2));
      this.isrTimer.unref();
    };
    this.isrTimer = setTimeout(tick, Math.max(50, lag() / 2));
    this.isrTimer.unref();
  }

  /** Led partitions whose ISR is smaller than min.insync.replicas: acks=all produce fails on them. */
  underMinIsr(p: Partition): boolean {
    return p.isLeader && p.isr.length < (this.replication.minInsyncReplicas?.(p.topic) ?? 1);
  }

  /**
   * Partitions of the cluster without a live leader (Kafka's OfflinePartitionsCount, which only the
   * active controller reports; every broker's image answers the same here).
   */
  offlinePartitionCount(): number {
    let offline = 0;
    for (const t of this.image.topics.values()) {
      for (const p of t.partitions) {
        const leader = p && p.leader >= 0 ? this.image.brokers.get(p.leader) : undefined;
        if (p && (!leader || leader.fenced)) offline++;
      }
    }
    return offline;
  }

  /** The broker a follower partition fetches from (null when led here or not fetching). */
  fetchSourceOf(topic: string, partition: number): number | null {
    const p = this.get(topic, partition);
    return p && this.fetchers ? this.fetchers.sourceOf(p) : null;
  }

  get(topic: string, partition: number): Partition | undefined {
    return this.partitions.get(partitionKey(topic, partition));
  }

  all(): IterableIterator<Partition> {
    return this.partitions.values();
  }

  /** Creates or updates the hosted partitions of every topic in the image (at start). */
  syncWithImage(): void {
    this.synced = true;
    this.logs.reconfigure(); // topic and broker configs as they are now, not as when the logs were opened
    for (const topic of this.image.topics.values()) this.syncTopic(topic);
    // Logs of topics that no longer exist (deleted while this broker was down) go, and so do logs of
    // partitions a reassignment moved away from this broker meanwhile.
    for (const hosted of [...this.logs.all()]) {
      if (hosted.topic === '__cluster_metadata') continue;
      const topic = this.image.topics.get(hosted.topic);
      const gone =
        !topic || (hosted.topicId !== null && hosted.topicId !== topic.id) || !topic.partitions[hosted.partition];
      const movedAway = !gone && !topic?.partitions[hosted.partition]?.replicas.includes(this.brokerId);
      if (gone || movedAway) {
        const why = gone ? 'its topic is gone' : 'this broker is no longer one of its replicas';
        this.log.info(`deleting log ${partitionKey(hosted.topic, hosted.partition)}: ${why}`);
        this.logs.delete(hosted.topic, hosted.partition);
      }
    }
  }

  private syncTopic(topic: TopicInfo): void {
    for (const p of topic.partitions) {
      if (!p) continue;
      const key = partitionKey(topic.name, p.partitionId);
      let partition = this.partitions.get(key);
      if (!p.replicas.includes(this.brokerId)) {
        // A reassignment moved this replica away (Kafka's StopReplica with delete).
        if (partition && partition.topicId === topic.id) this.removePartition(key, partition);
        continue;
      }
      if (!partition) {
        const hosted = this.logs.getOrCreate(topic.name, p.partitionId, topic.id);
        partition = new Partition(
          topic.name,
          p.partitionId,
          topic.id,
          hosted.log,
          this.brokerId,
          this.logs.checkpointedHighWatermark(topic.name, p.partitionId),
          {
            alterIsr: this.replication.alterIsr && this.loggedAlterIsr(this.replication.alterIsr),
            onIsrChange: (kind) => {
              if (kind === 'shrink') this.isrShrinks++;
              else this.isrExpands++;
            },
            // Controlled shutdown fences the broker in the same records that move its leaderships.
            isReplicaEligible: (id) => this.image.brokers.get(id)?.fenced === false,
          },
        );
        this.partitions.set(key, partition);
      }
      const role = partition.update(p);
      // As Kafka's Partition.makeLeader/makeFollower log them: what a stall during a roll is read from.
      if (role === 'leader') {
        this.log.info(
          `${key}: leader at epoch ${p.leaderEpoch} from offset ${partition.leaderEpochStartOffset}, high watermark ${partition.highWatermark}, ISR [${p.isr}]`,
        );
      } else if (role === 'follower') {
        this.log.info(`${key}: follower of ${p.leader} at epoch ${p.leaderEpoch}, ISR [${p.isr}]`);
      }
      if (role === 'leader') this.fetchers?.unfollow(partition);
      else if (role === 'follower') {
        if (p.leader >= 0) this.fetchers?.follow(partition, p.leader);
        else this.fetchers?.unfollow(partition);
      }
    }
  }

  /** ISR changes this broker asks for, logged with their outcome (Kafka logs them at INFO too). */
  private loggedAlterIsr(alterIsr: AlterIsr): AlterIsr {
    return async (change) => {
      const key = partitionKey(change.topic, change.partitionId);
      this.log.info(
        `${key}: asking the controller for ISR [${change.newIsr}] (leader epoch ${change.leaderEpoch}, partition epoch ${change.partitionEpoch})`,
      );
      try {
        await alterIsr(change);
      } catch (e) {
        this.log.info(`${key}: ISR [${change.newIsr}] refused: ${(e as Error).message}`);
        throw e;
      }
    };
  }

  private removePartition(key: string, partition: Partition): void {
    this.log.info(`${key}: this broker is no longer a replica; deleting its log`);
    this.fetchers?.unfollow(partition);
    partition.close();
    this.partitions.delete(key);
    this.logs.delete(partition.topic, partition.partitionId);
  }

  /** Reacts to one committed metadata change (once the image is current: see `synced`). */
  apply(change: ImageChange): void {
    if (!this.synced) return;
    switch (change.kind) {
      case 'topic-created':
      case 'partition-changed':
        this.syncTopic(change.topic);
        break;
      case 'topic-deleted':
        for (const [key, partition] of this.partitions) {
          if (partition.topicId !== change.topic.id) continue;
          this.fetchers?.unfollow(partition);
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

  /**
   * A follower's fetch (Partition.fetchRecords with a replica id): the leader first checks that the
   * follower's log agrees with its own at the follower's last fetched epoch (KIP-320 style); if not it
   * answers the diverging epoch and no records. Otherwise the follower reads up to the log end offset,
   * and its fetch offset becomes its log end offset in the leader's view (which may move the high
   * watermark and the ISR).
   */
  private readForFollower(
    p: Partition,
    req: FetchPartitionRequest,
    replicaId: number,
    maxBytes: number,
    first: boolean,
    allocate: ((size: number) => Buffer) | undefined,
  ): FetchPartitionResult {
    if (!p.replicas.includes(replicaId)) {
      throw new KafkaError(
        ErrorCode.NOT_LEADER_OR_FOLLOWER,
        `broker ${replicaId} is not a replica of ${req.topic}-${req.partition}`,
      );
    }
    const leo = p.log.logEndOffset;
    const lastFetchedEpoch = req.lastFetchedEpoch ?? -1;
    if (lastFetchedEpoch >= 0) {
      const end = p.log.epochs.endOffsetFor(lastFetchedEpoch, leo);
      if (end.epoch < lastFetchedEpoch || end.endOffset < req.fetchOffset) {
        return {
          errorCode: 0,
          highWatermark: p.highWatermark,
          lastStableOffset: p.highWatermark,
          logStartOffset: p.log.logStartOffset,
          records: Buffer.alloc(0),
          divergingEpoch: { epoch: end.epoch, endOffset: end.endOffset },
        };
      }
    }
    // KIP-73 leader side: a throttled replica outside the ISR gets no records while the leader's quota
    // is exceeded (ReplicaManager.shouldLeaderThrottle); bytes of throttled partitions count either way.
    const quota = this.quotas?.leader;
    const throttled = quota?.isThrottled(req.topic, req.partition) ?? false;
    const held = throttled && !p.isr.includes(replicaId) && (quota?.isQuotaExceeded() ?? false);
    if (held && quota) quota.throttledCount++;
    const { records, logStartOffset } = held
      ? { records: Buffer.alloc(0), logStartOffset: p.log.logStartOffset }
      : p.log.read(req.fetchOffset, maxBytes, leo, first, allocate);
    if (throttled) quota?.record(records?.length ?? 0);
    p.updateFollowerFetchState(replicaId, req.fetchOffset, leo);
    return {
      errorCode: 0,
      highWatermark: p.highWatermark,
      lastStableOffset: p.highWatermark,
      logStartOffset,
      records,
    };
  }

  private readOnce(
    requests: readonly FetchPartitionRequest[],
    params: FetchParams,
  ): { results: FetchPartitionResult[]; bytes: number; errors: boolean } {
    let remaining = params.maxBytes;
    let bytes = 0;
    let errors = false;
    const replicaId = params.replicaId ?? -1;
    const results = requests.map((req): FetchPartitionResult => {
      try {
        const p = this.leaderPartition(req.topic, req.partition);
        this.checkLeaderEpoch(p, req.currentLeaderEpoch);
        if (replicaId >= 0) {
          const r = this.readForFollower(
            p,
            req,
            replicaId,
            Math.min(req.maxBytes, remaining),
            bytes === 0,
            params.allocate,
          );
          remaining -= r.records?.length ?? 0;
          bytes += r.records?.length ?? 0;
          if (r.divergingEpoch) errors = true; // answer at once: the follower must truncate first
          return r;
        }
        const hw = p.highWatermark;
        const lso = p.lastStableOffset;
        const { records, logStartOffset } = p.log.read(
          req.fetchOffset,
          Math.min(req.maxBytes, remaining),
          params.readCommitted ? lso : hw, // read_committed reads below the last stable offset
          bytes === 0, // KIP-74: the first partition with data returns at least one batch
          params.allocate,
        );
        remaining -= records.length;
        bytes += records.length;
        const abortedTransactions = params.readCommitted
          ? p.producers.abortedTransactionsIn(req.fetchOffset, records)
          : null;
        return { errorCode: 0, highWatermark: hw, lastStableOffset: lso, logStartOffset, records, abortedTransactions };
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
      // Bytes made readable since the first read: the growth of each partition below its high watermark
      // (for a follower: anything appended, since it reads up to the log end offset; for read_committed:
      // below the last stable offset, so that appends inside an open transaction do not wake the fetch
      // into an early empty answer).
      const follower = (params.replicaId ?? -1) >= 0;
      const total = (p: Partition) =>
        follower ? p.appendedBytesTotal : params.readCommitted ? p.stableBytesTotal : p.readableBytesTotal;
      const start = watched.map(total);
      // A partition of the fetch that changes leader or epoch (or goes away) answers it at once: a
      // follower learns of the move in this response instead of after max.wait.ms.
      const epochs = watched.map((p) => p.leaderEpoch);
      const unsubscribe: (() => void)[] = [];
      const done = () => {
        clearTimeout(timer);
        for (const u of unsubscribe) u();
        resolve();
      };
      const timer = setTimeout(done, params.maxWaitMs);
      watched.forEach((p, index) => {
        unsubscribe.push(
          p.onChange(() => {
            let grown = first.bytes;
            watched.forEach((q, i) => {
              grown += total(q) - (start[i] as number);
            });
            if (grown >= params.minBytes || !p.isLeader || p.leaderEpoch !== epochs[index] || p.closed) done();
          }),
        );
      });
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
    const end = readCommitted ? p.lastStableOffset : p.highWatermark;
    switch (timestamp) {
      case ListOffsetsTimestamp.LATEST:
        return { offset: end, timestamp: -1, leaderEpoch: p.leaderEpoch };
      case ListOffsetsTimestamp.EARLIEST:
      case ListOffsetsTimestamp.EARLIEST_LOCAL:
        return { offset: p.log.logStartOffset, timestamp: -1, leaderEpoch: epochAt(p.log.logStartOffset) };
      case ListOffsetsTimestamp.MAX_TIMESTAMP: {
        const max = p.log.maxTimestampAndOffset;
        if (max.offset < 0) return { offset: -1, timestamp: -1, leaderEpoch: -1 };
        return { offset: recordOfMaxTimestamp(p, max), timestamp: max.timestamp, leaderEpoch: p.leaderEpoch };
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

  /**
   * acks=all (Kafka's DelayedProduce): resolves with the error code for a batch that ends before
   * `requiredOffset` once the high watermark passes it (0, or NOT_ENOUGH_REPLICAS_AFTER_APPEND when
   * the ISR shrank below min.insync.replicas meanwhile), NOT_LEADER_OR_FOLLOWER when leadership moved,
   * or REQUEST_TIMED_OUT after `timeoutMs`.
   */
  awaitReplication(
    p: Partition,
    requiredOffset: number,
    minInsyncReplicas: number,
    timeoutMs: number,
  ): Promise<number> {
    const now = p.replicationStatus(requiredOffset, minInsyncReplicas);
    if (now !== null) return Promise.resolve(now);
    return new Promise((resolve) => {
      const finish = (code: number) => {
        clearTimeout(timer);
        unsubscribe();
        resolve(code);
      };
      const timer = setTimeout(() => finish(ErrorCode.REQUEST_TIMED_OUT), timeoutMs);
      const unsubscribe = p.onChange(() => {
        const status = p.replicationStatus(requiredOffset, minInsyncReplicas);
        if (status !== null) finish(status);
      });
    });
  }

  /** Stops the fetchers and the ISR check; the logs stay open (see close). */
  async stopReplication(): Promise<void> {
    clearTimeout(this.isrTimer);
    this.isrTimer = undefined;
    await this.fetchers?.close();
  }

  close(): void {
    clearTimeout(this.isrTimer);
    for (const p of this.partitions.values()) p.close();
  }
}

/**
 * The offset of the record that carries a batch's max timestamp: segments know batches, but Kafka
 * answers ListOffsets MAX_TIMESTAMP with the record (KAFKA-16310), which librdkafka's 0081 checks.
 * Falls back to the batch's offset when the batch cannot be read.
 */
function recordOfMaxTimestamp(p: Partition, max: { timestamp: number; offset: number }): number {
  const { records } = p.log.read(max.offset, 1, max.offset + 1, true);
  if (!records || records.length === 0) return max.offset;
  for (const batch of decodeBatches(records).batches) {
    if (batch.magic !== 2) continue;
    const base = Number(batch.header.baseOffset);
    if (max.offset < base || max.offset > base + batch.header.lastOffsetDelta) continue;
    if (batch.header.timestampType === TimestampType.LOG_APPEND_TIME) return base;
    const found = decodeRecords(batch).find(
      (r) => Number(batch.header.baseTimestamp) + r.timestampDelta === max.timestamp,
    );
    return found ? base + found.offsetDelta : max.offset;
  }
  return max.offset;
}

/**
 * Followers copy their leaders here (Kafka's ReplicaFetcherManager / ReplicaFetcherThread): one fetcher
 * per source broker, each with one connection over the inter-broker listener, sending Fetch with this
 * broker's replica id (ReplicaState from v15), the current leader epoch and the epoch of the last
 * fetched batch (v12+). The leader answers either records, appended here as they are (offsets and
 * epochs kept), or a diverging epoch, and the follower truncates its tail to where the logs agree
 * (KIP-320/KIP-595 style truncation, no OffsetForLeaderEpoch round trip). Each response also carries
 * the leader's high watermark, which the follower adopts up to its own log end offset.
 *
 * Right after a leader change the two brokers apply the change a few milliseconds apart, so the first
 * fetches may meet NOT_LEADER_OR_FOLLOWER or UNKNOWN/FENCED_LEADER_EPOCH; those are retried every
 * 50 ms for up to replica.fetch.backoff.ms, then after whole backoffs (and a long poll of the
 * other partitions does not outlast the retry): the new leader's acks=all produces wait for this
 * follower's fetch. For the same reason a partition handed to a fetcher whose fetch is parked at the
 * leader (long poll, up to replica.fetch.wait.max.ms) does not wait for that poll to end: the fetcher
 * drops the connection, which ends it, and fetches again at once with the new partition. Kafka's
 * fetcher threads wait the poll out; a leader move would then hold produces that long.
 */
import {
  ApiKey,
  type Connection,
  type ConnectionOptions,
  connect,
  defaultFetchRequest,
  defaultFetchRequestFetchPartition,
  ErrorCode,
  type FetchResponsePartitionData,
} from '@flotilla/protocol';
import type { Logger } from '../logger.js';
import type { Partition } from './partition.js';
import type { ReplicationQuota } from './replication-quota.js';

export interface FetcherSettings {
  readonly brokerId: number;
  /** This broker's epoch from its registration (ReplicaState.ReplicaEpoch), -1 when unknown. */
  readonly brokerEpoch: () => number;
  /** Where broker `id` listens for other brokers; null while it is unknown. */
  readonly endpointOf: (id: number) => { host: string; port: number } | null;
  readonly maxWaitMs: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  readonly partitionMaxBytes: number;
  readonly backoffMs: number;
  readonly requestTimeoutMs: number;
  /** Opens the connection (tests may pass options such as a client id; TLS/SASL later). */
  readonly connect?: (options: ConnectionOptions) => Promise<Connection>;
  /** The follower replication quota (KIP-73); without it nothing is throttled here. */
  readonly quota?: ReplicationQuota;
}

/** Log directories are not reported (KIP-858): the all-zero uuid. */
const NO_DIRECTORY = defaultFetchRequestFetchPartition().replicaDirectoryId;

interface FetchState {
  readonly partition: Partition;
  /** The leader epoch this state was created for: a response for an older one is dropped. */
  readonly leaderEpoch: number;
  /** Not fetched again before this time (after an error for this partition). */
  delayedUntil: number;
  /** Errors in a row for this partition. */
  errors: number;
}

/** The retry interval after a leader-change error, for the first replica.fetch.backoff.ms of them. */
const LEADER_CHANGE_RETRY_MS = 50;

/** Errors that mean the leader and this broker have not both applied the latest leader change yet. */
const LEADER_CHANGE_ERRORS: ReadonlySet<number> = new Set([
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
  ErrorCode.FENCED_LEADER_EPOCH,
]);

/** Fetches for the partitions led by one broker. */
class ReplicaFetcher {
  readonly states = new Map<Partition, FetchState>();
  private connection: Connection | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private wake: (() => void) | null = null;
  /** A fetch is in flight (being sent, or parked at the leader). */
  private fetching = false;
  /** The fetch in flight was ended on purpose (a partition was added): fetch again without backoff. */
  private interrupted = false;

  constructor(
    readonly leaderId: number,
    private readonly settings: FetcherSettings,
    private readonly log: Logger,
  ) {}

  add(partition: Partition): void {
    this.states.set(partition, { partition, leaderEpoch: partition.leaderEpoch, delayedUntil: 0, errors: 0 });
    this.running ??= this.run();
    this.wake?.();
    if (this.fetching && !this.interrupted) {
      this.interrupted = true;
      this.log.debug(
        `${partition.topic}-${partition.partitionId} added: ending the fetch parked at broker ${this.leaderId}`,
      );
      void this.connection?.close().catch(() => {});
      this.connection = null;
    }
  }

  remove(partition: Partition): void {
    this.states.delete(partition);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.connection?.close().catch(() => {});
    await this.running;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    }).finally(() => {
      this.wake = null;
    });
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const now = Date.now();
      const due = [...this.states.values()].filter((s) => s.delayedUntil <= now);
      const ready = due.filter((s) => !this.heldByQuota(s.partition));
      if (ready.length === 0) {
        const next = Math.min(...[...this.states.values()].map((s) => s.delayedUntil), now + 1000);
        // Everything due is throttled: wait until the quota lets bytes through again.
        const quotaWait = due.length > 0 ? (this.settings.quota?.throttleTimeMs() ?? 0) : Number.POSITIVE_INFINITY;
        await this.sleep(Math.max(10, Math.min(next - now, quotaWait, 1000)));
        continue;
      }
      this.fetching = true;
      this.interrupted = false;
      try {
        await this.fetchOnce(ready);
      } catch (e) {
        if (this.stopped) break;
        if (this.interrupted) continue;
        this.log.debug(`fetch from broker ${this.leaderId} failed: ${(e as Error).message}`);
        await this.connection?.close().catch(() => {});
        this.connection = null;
        await this.sleep(this.settings.backoffMs);
      } finally {
        this.fetching = false;
      }
    }
    await this.connection?.close().catch(() => {});
    this.connection = null;
  }

  /**
   * KIP-73 follower side (ReplicaFetcherThread.shouldFollowerThrottle): a throttled replica that is not
   * in the ISR is left out of the fetch while the follower quota is exceeded.
   */
  private heldByQuota(partition: Partition): boolean {
    const quota = this.settings.quota;
    if (!quota || partition.isr.includes(this.settings.brokerId)) return false;
    if (!quota.isThrottled(partition.topic, partition.partitionId) || !quota.isQuotaExceeded()) return false;
    quota.throttledCount++;
    return true;
  }

  private async ensureConnection(): Promise<Connection> {
    if (this.connection) return this.connection;
    const endpoint = this.settings.endpointOf(this.leaderId);
    if (!endpoint) throw new Error(`no endpoint known for broker ${this.leaderId}`);
    const open = this.settings.connect ?? connect;
    this.connection = await open({
      host: endpoint.host,
      port: endpoint.port,
      clientId: `broker-${this.settings.brokerId}-fetcher-${this.leaderId}`,
      requestTimeoutMs: this.settings.requestTimeoutMs + this.settings.maxWaitMs,
    });
    return this.connection;
  }

  /**
   * replica.fetch.wait.max.ms, but no longer than until a partition left out of this fetch (retrying
   * after an error) is due: a long poll must not hold its retry back.
   */
  private maxWaitMs(ready: readonly FetchState[]): number {
    let wait = this.settings.maxWaitMs;
    const now = Date.now();
    const fetched = new Set(ready);
    for (const s of this.states.values()) {
      if (!fetched.has(s) && s.delayedUntil > now) wait = Math.min(wait, s.delayedUntil - now);
    }
    return Math.max(0, wait);
  }

  private async fetchOnce(ready: FetchState[]): Promise<void> {
    const conn = await this.ensureConnection();
    if (this.interrupted) return; // a partition came while connecting: fetch again with it
    const byTopic = new Map<string, FetchState[]>();
    for (const s of ready) {
      const list = byTopic.get(s.partition.topic) ?? [];
      list.push(s);
      byTopic.set(s.partition.topic, list);
    }
    const { brokerId } = this.settings;
    const request = {
      ...defaultFetchRequest(),
      replicaId: brokerId,
      replicaState: { replicaId: brokerId, replicaEpoch: BigInt(this.settings.brokerEpoch()) },
      maxWaitMs: this.maxWaitMs(ready),
      minBytes: this.settings.minBytes,
      maxBytes: this.settings.maxBytes,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [...byTopic].map(([topic, states]) => ({
        topic,
        topicId: (states[0] as FetchState).partition.topicId,
        partitions: states.map((s) => ({
          partition: s.partition.partitionId,
          currentLeaderEpoch: s.leaderEpoch,
          fetchOffset: BigInt(s.partition.log.logEndOffset),
          lastFetchedEpoch: s.partition.log.epochs.latest?.epoch ?? -1,
          logStartOffset: BigInt(s.partition.log.logStartOffset),
          partitionMaxBytes: this.settings.partitionMaxBytes,
          replicaDirectoryId: NO_DIRECTORY,
        })),
      })),
      forgottenTopicsData: [],
      rackId: '',
    };
    const sent = new Map(ready.map((s) => [`${s.partition.topic}\u0000${s.partition.partitionId}`, s]));
    const fetchOffsets = new Map(ready.map((s) => [s, s.partition.log.logEndOffset]));
    const response = await conn.request(ApiKey.Fetch, request);
    if (response.errorCode !== 0) throw new Error(`fetch failed with error ${response.errorCode}`);
    for (const t of response.responses) {
      for (const p of t.partitions) {
        const topicName = t.topic || (ready.find((s) => s.partition.topicId === t.topicId)?.partition.topic ?? '');
        const state = sent.get(`${topicName}\u0000${p.partitionIndex}`);
        // Dropped meanwhile, or a new leader epoch: this answer is for a fetch that no longer exists.
        if (!state || this.states.get(state.partition) !== state) continue;
        if (state.partition.log.logEndOffset !== fetchOffsets.get(state)) continue;
        this.handlePartition(state, p);
      }
    }
  }

  private handlePartition(state: FetchState, p: FetchResponsePartitionData): void {
    const partition = state.partition;
    const name = `${partition.topic}-${partition.partitionId}`;
    if (p.errorCode !== ErrorCode.NONE) state.errors++;
    switch (p.errorCode) {
      case ErrorCode.NONE: {
        state.errors = 0;
        if (p.divergingEpoch.epoch >= 0 || p.divergingEpoch.endOffset >= 0n) {
          const target = truncationOffset(partition, p.divergingEpoch.epoch, Number(p.divergingEpoch.endOffset));
          this.log.info(
            `${name}: log diverges from leader ${this.leaderId} at epoch ${p.divergingEpoch.epoch}; truncating from ${partition.log.logEndOffset} to ${target}`,
          );
          partition.truncateTo(target);
          return;
        }
        if (
          p.records &&
          p.records.length > 0 &&
          this.settings.quota?.isThrottled(partition.topic, partition.partitionId)
        ) {
          this.settings.quota.record(p.records.length);
        }
        if (p.records && p.records.length > 0) partition.appendAsFollower(p.records, Number(p.highWatermark));
        else partition.updateFollowerHighWatermark(Number(p.highWatermark));
        return;
      }
      case ErrorCode.OFFSET_OUT_OF_RANGE: {
        const leaderStart = Number(p.logStartOffset);
        if (leaderStart > partition.log.logEndOffset) {
          this.log.info(`${name}: leader's log starts at ${leaderStart}, past ours; starting over there`);
          partition.truncateFullyAndStartAt(leaderStart);
        } else {
          // Ahead of the leader without a diverging epoch (a leader without epochs): keep what it has.
          partition.truncateTo(Math.max(Number(p.highWatermark), partition.highWatermark));
        }
        return;
      }
      default: {
        // NOT_LEADER_OR_FOLLOWER, FENCED/UNKNOWN_LEADER_EPOCH, UNKNOWN_TOPIC...: the image will catch up.
        const { backoffMs } = this.settings;
        const quick = LEADER_CHANGE_ERRORS.has(p.errorCode) && state.errors * LEADER_CHANGE_RETRY_MS <= backoffMs;
        const delay = quick ? Math.min(backoffMs, LEADER_CHANGE_RETRY_MS) : backoffMs;
        this.log.debug(`${name}: fetch from ${this.leaderId} answered error ${p.errorCode}; retrying in ${delay} ms`);
        state.delayedUntil = Date.now() + delay;
      }
    }
  }
}

/**
 * Where a follower's log and the leader's part (AbstractFetcherThread.getOffsetTruncationState): the
 * leader said its log holds epoch `leaderEpoch` up to `leaderEndOffset`. If this log's largest epoch
 * <= that one is the same epoch, the logs agree up to the smaller end offset; if it is an older epoch,
 * they agree at most up to where that older epoch ends here, and the next fetch (with that older
 * epoch as lastFetchedEpoch) narrows it down further.
 */
export function truncationOffset(partition: Partition, leaderEpoch: number, leaderEndOffset: number): number {
  const leo = partition.log.logEndOffset;
  if (leaderEndOffset < 0) return Math.min(partition.highWatermark, leo);
  if (leaderEpoch < 0) return Math.min(leaderEndOffset, leo);
  const mine = partition.log.epochs.endOffsetFor(leaderEpoch, leo);
  if (mine.epoch < 0) return Math.min(leaderEndOffset, leo);
  if (mine.epoch !== leaderEpoch) return Math.min(mine.endOffset, leo);
  return Math.min(leaderEndOffset, mine.endOffset, leo);
}

/** The fetchers of one broker, one per leader it follows. */
export class ReplicaFetcherManager {
  private readonly fetchers = new Map<number, ReplicaFetcher>();

  constructor(
    private readonly settings: FetcherSettings,
    private readonly log: Logger,
  ) {}

  /** Starts (or restarts, for a new leader or epoch) fetching `partition` from `leaderId`. */
  follow(partition: Partition, leaderId: number): void {
    this.unfollow(partition);
    let fetcher = this.fetchers.get(leaderId);
    if (!fetcher) {
      fetcher = new ReplicaFetcher(leaderId, this.settings, this.log.child(`fetcher-${leaderId}`));
      this.fetchers.set(leaderId, fetcher);
    }
    fetcher.add(partition);
  }

  unfollow(partition: Partition): void {
    for (const [id, f] of this.fetchers) {
      f.remove(partition);
      // A fetcher left with nothing to fetch closes its connection (Kafka's shutdownIdleFetcherThreads).
      if (f.states.size === 0) {
        this.fetchers.delete(id);
        void f.stop();
      }
    }
  }

  /** Which broker this broker fetches `partition` from, if any (tests, metrics). */
  sourceOf(partition: Partition): number | null {
    for (const [id, f] of this.fetchers) if (f.states.has(partition)) return id;
    return null;
  }

  async close(): Promise<void> {
    await Promise.all([...this.fetchers.values()].map((f) => f.stop()));
    this.fetchers.clear();
  }
}

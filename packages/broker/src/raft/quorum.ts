/**
 * The metadata log of a node in a controller quorum: the Raft state machine (raft-node.ts) on the
 * on-disk metadata log, driven by a 20 ms timer and Kafka RPCs to the other voters on their controller
 * listeners. It replaces LocalMetadataLog where `controller.quorum.voters` is set: the controller
 * appends through it (only on the quorum leader, the active controller), and every node applies the
 * committed records to its image in log order and publishes the changes, exactly as the local log
 * does. Every `metadata.log.max.record.bytes.between.snapshots` bytes applied, the image is written as
 * a snapshot and the log prefix it covers is dropped.
 *
 * A leader that closes hands over (KafkaRaftClient's graceful shutdown): it stops taking writes, lets
 * every live follower fetch the committed high watermark (so what it acknowledged is applied there,
 * not only held in their logs until the next leader commits it), resigns with EndQuorumEpoch, and
 * stays to vote until another voter leads.
 */
import { type ApiKey, Connection, type ConnectionOptions, ErrorCode, KafkaError } from '@flotilla/protocol';
import type { QuorumVoter } from '../config/broker-config.js';
import type { Logger } from '../logger.js';
import type { MetadataLog } from '../metadata/controller.js';
import type { ImageChange, MetadataImage } from '../metadata/image.js';
import { decodeMetadataRecord, encodeMetadataRecord, type MetadataRecord } from '../metadata/records.js';
import { encodeSnapshot, loadSnapshot } from '../metadata/snapshot.js';
import { FileRaftLogStore } from './log-store.js';
import type { FetchResponse, RaftEntry, RaftRequest } from './messages.js';
import { FileElectionStore } from './quorum-state.js';
import type { Snapshot } from './raft-log.js';
import { RaftNode } from './raft-node.js';
import {
  fromKafkaRequest,
  fromKafkaResponse,
  RAFT_FETCH_MAX_WAIT_MS,
  RAFT_FETCH_VERSION,
  toKafkaBeginResponse,
  toKafkaEndResponse,
  toKafkaFetchResponse,
  toKafkaFetchSnapshotResponse,
  toKafkaRequest,
  toKafkaVoteResponse,
} from './wire.js';

export interface QuorumOptions {
  readonly nodeId: number;
  readonly clusterId: string;
  readonly voters: readonly QuorumVoter[];
  readonly logDir: string;
  readonly electionTimeoutMs: number;
  readonly fetchTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly snapshotBytes: number;
  readonly log: Logger;
  /** TLS/SASL for connections to the other voters' controller listener (controllerClientOptions). */
  readonly clientOptions?: () => Pick<ConnectionOptions, 'tls' | 'sasl'>;
}

const TICK_MS = 20;

export class MetadataQuorum implements MetadataLog {
  readonly raft: RaftNode;
  private readonly store: FileRaftLogStore;
  private readonly peers = new Map<number, Promise<Connection>>();
  private readonly listeners: ((change: ImageChange) => void)[] = [];
  private readonly leaderListeners: ((leaderId: number, epoch: number) => void)[] = [];
  private waiters: { offset: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  private readonly changeWaiters = new Set<() => void>();
  private readonly leaderWaiters = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private bytesSinceSnapshot = 0;
  private closed = false;
  /** Set when close() starts: the leader takes no more writes while it hands over. */
  private resigning = false;
  private closing: Promise<void> | undefined;
  private readonly log: Logger;

  constructor(
    private readonly image: MetadataImage,
    private readonly options: QuorumOptions,
  ) {
    this.log = options.log;
    const { log, store } = FileRaftLogStore.open(options.logDir);
    this.store = store;
    const snapshot = log.latestSnapshot;
    if (snapshot) {
      loadSnapshot(image, snapshot.data, snapshot.id.endOffset);
      this.log.info(`loaded metadata snapshot at offset ${snapshot.id.endOffset} (epoch ${snapshot.id.epoch})`);
    }
    this.raft = new RaftNode(
      {
        nodeId: options.nodeId,
        voters: options.voters.map((v) => v.id),
        electionTimeoutMs: options.electionTimeoutMs,
        fetchTimeoutMs: options.fetchTimeoutMs,
      },
      log,
      new FileElectionStore(store.directory),
      {
        send: (to, request) => void this.send(to, request),
        onCommit: (entries) => this.applyCommitted(entries),
        onSnapshotInstalled: (s) => this.installSnapshot(s),
        onLeaderChange: (leaderId, epoch) => this.leaderChanged(leaderId, epoch),
        random: Math.random,
      },
    );
  }

  start(): void {
    this.raft.start(Date.now());
    this.timer = setInterval(() => {
      this.raft.tick(Date.now());
      this.notifyChange();
    }, TICK_MS);
  }

  get nodeId(): number {
    return this.options.nodeId;
  }

  get voters(): readonly QuorumVoter[] {
    return this.options.voters;
  }

  /** This node is the active controller: quorum leader with its epoch's first entry committed. */
  get isActive(): boolean {
    return this.raft.leaderReady && !this.resigning;
  }

  get leaderId(): number {
    return this.raft.leaderId;
  }

  subscribe(listener: (change: ImageChange) => void): void {
    this.listeners.push(listener);
  }

  onLeaderChange(listener: (leaderId: number, epoch: number) => void): void {
    this.leaderListeners.push(listener);
  }

  /** Resolves at the next leader change (or epoch change), or after `timeoutMs`. */
  leaderChange(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.leaderWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.leaderWaiters.add(done);
    });
  }

  /** Appends records as the active controller; resolves once they are committed and applied here. */
  append(records: readonly MetadataRecord[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('metadata log is closed'));
    if (records.length === 0) return Promise.resolve();
    if (!this.isActive) {
      return Promise.reject(
        new KafkaError(ErrorCode.NOT_CONTROLLER, `node ${this.nodeId} is not the active controller`),
      );
    }
    const last = this.raft.append(records.map(encodeMetadataRecord));
    this.notifyChange();
    return new Promise((resolve, reject) => {
      if (this.raft.appliedOffset > last) resolve();
      else this.waiters.push({ offset: last, resolve, reject });
    });
  }

  /**
   * Resolves once this node knows a leader and has applied what was committed when it learnt of it:
   * the broker starts serving with a current image (Kafka's broker waits the same way before it
   * unfences).
   */
  async caughtUp(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    let target = -1;
    while (Date.now() < deadline && !this.closed) {
      if (this.raft.leaderReady) return true;
      // The target is the leader's high watermark as the leader reports it now, never one this node
      // restored from its own snapshot or log: a restarted broker must not take a stale image for
      // the current one (it would act on replica moves already undone since).
      if (this.raft.leaderId >= 0 && this.raft.leaderHighWatermark >= 0) {
        if (target < 0) target = this.raft.leaderHighWatermark;
        if (this.raft.appliedOffset >= target) return true;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    return false;
  }

  // ---- the controller listener's side ----

  /** Answers a quorum RPC (Vote, BeginQuorumEpoch, EndQuorumEpoch, Fetch, FetchSnapshot). */
  async handle(apiKey: number, body: unknown, maxWaitMs = 0): Promise<unknown> {
    const parsed = fromKafkaRequest(apiKey, body);
    if (!parsed) throw new KafkaError(ErrorCode.INVALID_REQUEST, 'not a request for __cluster_metadata-0');
    const { request } = parsed;
    // Nodes of another cluster (a reused address, a mistyped voter list) must not vote or replicate here.
    const clusterId = (body as { clusterId?: string | null }).clusterId;
    if (clusterId && clusterId !== this.image.clusterId) {
      return this.encode(request, {
        errorCode: ErrorCode.INCONSISTENT_CLUSTER_ID,
        epoch: this.raft.epoch,
        leaderId: -1,
        voteGranted: false,
        highWatermark: 0,
        entries: [],
        snapshotId: { endOffset: -1, epoch: -1 },
        size: 0,
        position: 0,
        bytes: Buffer.alloc(0),
      });
    }
    const sentBefore = request.kind === 'fetch' ? this.raft.lastSentHighWatermark(request.replicaId) : -1;
    let response = this.raft.handleRequest(request, Date.now());
    this.notifyChange();
    if (request.kind === 'fetch' && maxWaitMs > 0) {
      const r = response as FetchResponse;
      const nothingNew =
        r.errorCode === 0 &&
        r.entries.length === 0 &&
        !r.divergingEpoch &&
        !r.snapshotId &&
        r.highWatermark === sentBefore;
      if (nothingNew) {
        // Long poll, as Kafka's leader parks a fetch in purgatory: answer when the log or the high
        // watermark moves, or at maxWaitMs. Without it followers would spin on empty fetches.
        await this.waitForChange(Math.min(maxWaitMs, RAFT_FETCH_MAX_WAIT_MS));
        if (!this.closed) response = this.raft.handleRequest(request, Date.now());
      }
    }
    return this.encode(request, response);
  }

  private encode(request: RaftRequest, response: object): unknown {
    switch (request.kind) {
      case 'vote':
        return toKafkaVoteResponse(response as Parameters<typeof toKafkaVoteResponse>[0]);
      case 'begin-epoch':
        return toKafkaBeginResponse(response as Parameters<typeof toKafkaBeginResponse>[0]);
      case 'end-epoch':
        return toKafkaEndResponse(response as Parameters<typeof toKafkaEndResponse>[0]);
      case 'fetch':
        return toKafkaFetchResponse(response as Parameters<typeof toKafkaFetchResponse>[0]);
      case 'fetch-snapshot':
        return toKafkaFetchSnapshotResponse(response as Parameters<typeof toKafkaFetchSnapshotResponse>[0]);
    }
  }

  private waitForChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.changeWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.changeWaiters.add(done);
    });
  }

  private lastNotified = { end: -1, hw: -1, epoch: -1, leader: -1 };

  /**
   * Wakes parked fetches when the log, the high watermark, the epoch or the leader moved (a leader that
   * resigned answers its followers' parked fetches at once).
   */
  private notifyChange(): void {
    const now = {
      end: this.raft.log.endOffset,
      hw: this.raft.highWatermark,
      epoch: this.raft.epoch,
      leader: this.raft.leaderId,
    };
    const n = this.lastNotified;
    if (now.end === n.end && now.hw === n.hw && now.epoch === n.epoch && now.leader === n.leader) return;
    this.lastNotified = now;
    for (const w of [...this.changeWaiters]) w();
  }

  // ---- the client side: requests to the other voters ----

  private connection(to: number): Promise<Connection> {
    let c = this.peers.get(to);
    if (!c) {
      const voter = this.options.voters.find((v) => v.id === to);
      if (!voter) return Promise.reject(new Error(`node ${to} is not a voter`));
      c = Connection.open({
        ...this.options.clientOptions?.(),
        host: voter.host,
        port: voter.port,
        clientId: `raft-client-${this.nodeId}`,
        connectTimeoutMs: this.options.requestTimeoutMs,
        requestTimeoutMs: this.options.requestTimeoutMs,
      });
      c.catch(() => this.peers.delete(to));
      this.peers.set(to, c);
    }
    return c;
  }

  private async send(to: number, request: RaftRequest): Promise<void> {
    if (this.closed) return;
    const { apiKey, body } = toKafkaRequest(request, this.image.clusterId, to);
    const isFetch = request.kind === 'fetch';
    try {
      let connection = await this.connection(to);
      if (connection.closed) {
        // The peer restarted or dropped us since the last request: reconnect at once, so a single
        // request (EndQuorumEpoch, BeginQuorumEpoch) is not lost to a stale connection.
        this.peers.delete(to);
        connection = await this.connection(to);
      }
      const response = await connection.request(apiKey as ApiKey, body as never, {
        version: isFetch ? RAFT_FETCH_VERSION : undefined,
        timeoutMs: this.options.requestTimeoutMs + (isFetch ? RAFT_FETCH_MAX_WAIT_MS : 0),
      });
      if (this.closed) return;
      this.raft.onResponse(to, request, fromKafkaResponse(request, response), Date.now());
    } catch (e) {
      if (this.closed) return;
      const c = this.peers.get(to);
      this.peers.delete(to);
      c?.then((x) => x.close()).catch(() => {});
      this.log.debug(`${request.kind} to ${to} failed: ${(e as Error).message}`);
      // A failed fetch is retried on the next tick; a short pause avoids a busy loop on a dead peer.
      if (isFetch) await new Promise((r) => setTimeout(r, 50));
      if (!this.closed) this.raft.onResponse(to, request, null, Date.now());
    }
    this.notifyChange();
  }

  // ---- applying committed entries ----

  private publish(change: ImageChange | null): void {
    if (!change) return;
    for (const l of this.listeners) {
      try {
        l(change);
      } catch (e) {
        this.log.error(`metadata listener failed: ${(e as Error).stack ?? e}`);
      }
    }
  }

  private applyCommitted(entries: readonly RaftEntry[]): void {
    for (const e of entries) {
      if (e.data) {
        const change = this.image.apply(decodeMetadataRecord(e.data), e.offset);
        this.bytesSinceSnapshot += e.data.length;
        this.publish(change);
      }
      this.image.offset = e.offset;
    }
    const last = entries.at(-1)?.offset ?? -1;
    this.resolveWaiters(last);
    if (this.bytesSinceSnapshot >= this.options.snapshotBytes) {
      this.bytesSinceSnapshot = 0;
      const endOffset = this.raft.appliedOffset;
      this.raft.snapshot(endOffset, encodeSnapshot(this.image));
      this.log.info(`wrote metadata snapshot at offset ${endOffset}`);
    }
  }

  private installSnapshot(snapshot: Snapshot): void {
    this.log.info(`installing metadata snapshot at offset ${snapshot.id.endOffset} from the leader`);
    for (const change of loadSnapshot(this.image, snapshot.data, snapshot.id.endOffset)) this.publish(change);
    this.bytesSinceSnapshot = 0;
    this.resolveWaiters(snapshot.id.endOffset - 1);
  }

  private resolveWaiters(upTo: number): void {
    if (this.waiters.length === 0) return;
    const done = this.waiters.filter((w) => w.offset <= upTo);
    this.waiters = this.waiters.filter((w) => w.offset > upTo);
    for (const w of done) w.resolve();
  }

  private leaderChanged(leaderId: number, epoch: number): void {
    this.log.info(
      leaderId === this.nodeId
        ? `elected quorum leader in epoch ${epoch}`
        : leaderId >= 0
          ? `following quorum leader ${leaderId} in epoch ${epoch}`
          : `no quorum leader in epoch ${epoch}`,
    );
    if (leaderId !== this.nodeId && this.waiters.length > 0) {
      // Our uncommitted writes may be truncated by the new leader: the caller must retry.
      const failed = this.waiters;
      this.waiters = [];
      for (const w of failed) w.reject(new KafkaError(ErrorCode.NOT_CONTROLLER, 'the active controller changed'));
    }
    for (const l of this.leaderListeners) l(leaderId, epoch);
    for (const w of [...this.leaderWaiters]) w();
  }

  /** DescribeQuorum's view (meaningful on the leader). */
  describe() {
    return {
      leaderId: this.raft.leaderId,
      epoch: this.raft.epoch,
      highWatermark: this.raft.highWatermark,
      replicas: this.raft.describeReplicas(),
    };
  }

  /**
   * Hands leadership over when this node leads (see the top of the file), then stops the timer and
   * closes connections and the log. Safe to call twice.
   */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.resigning = true;
    if (this.raft.role === 'leader') await this.handOver();
    this.raft.resign(true);
    this.closed = true;
    clearInterval(this.timer);
    for (const w of this.changeWaiters) w();
    for (const w of this.leaderWaiters) w();
    for (const w of this.waiters) w.reject(new Error('metadata log is closed'));
    this.waiters = [];
    await Promise.all([...this.peers.values()].map((c) => c.then((x) => x.close()).catch(() => {})));
    this.store.close();
  }

  private async handOver(): Promise<void> {
    const { requestTimeoutMs, fetchTimeoutMs, electionTimeoutMs } = this.options;
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    // 1. What was appended gets committed, and every follower that fetches gets the high watermark.
    const drainBy = Date.now() + requestTimeoutMs;
    while (this.raft.role === 'leader' && Date.now() < drainBy && !this.followersHaveHighWatermark(fetchTimeoutMs)) {
      await sleep(5);
    }
    const hw = this.raft.highWatermark;
    const now = Date.now();
    const liveVoters = this.raft
      .describeReplicas()
      .filter(
        (r) =>
          r.replicaId !== this.nodeId && this.raft.voters.includes(r.replicaId) && now - r.lastFetchMs < fetchTimeoutMs,
      );
    // 2. EndQuorumEpoch (parked fetches are answered at once: the leader changed), and wait for the
    // next leader, voting meanwhile (our vote may be the one a majority needs).
    this.raft.resign(true);
    this.notifyChange();
    // No other voter alive (a quorum of one, or the last node of a stopping cluster): nobody to wait for.
    if (liveVoters.length === 0) return;
    const electBy = Date.now() + 2 * electionTimeoutMs + requestTimeoutMs;
    while (Date.now() < electBy && (this.raft.leaderId < 0 || this.raft.leaderId === this.nodeId)) {
      await this.leaderChange(electBy - Date.now());
    }
    this.log.info(
      this.raft.leaderId >= 0
        ? `handed the quorum leadership over to ${this.raft.leaderId} (epoch ${this.raft.epoch}) at high watermark ${hw}`
        : `resigned the quorum leadership at high watermark ${hw}; no new leader yet`,
    );
  }

  /** Everything appended is committed and each follower fetching lately was sent that high watermark. */
  private followersHaveHighWatermark(fetchTimeoutMs: number): boolean {
    const hw = this.raft.highWatermark;
    if (hw < this.raft.log.endOffset) return false;
    const now = Date.now();
    return this.raft
      .describeReplicas()
      .filter((r) => r.replicaId !== this.nodeId && now - r.lastFetchMs < fetchTimeoutMs)
      .every((r) => this.raft.lastSentHighWatermark(r.replicaId) >= hw);
  }
}

/**
 * The Raft state machine of one quorum member, the way Kafka's KafkaRaftClient runs it (KIP-595):
 * pull-based replication (followers and observers Fetch from the leader; the leader learns their log
 * end offsets from the fetch offsets), leader election with Vote and randomized timeouts, a new leader
 * announced with BeginQuorumEpoch and a leader stepping down with EndQuorumEpoch, divergent tails
 * truncated from the Fetch response's divergingEpoch, and snapshots (KIP-630) for a fetcher whose
 * offset the leader no longer holds.
 *
 * It does no I/O and reads no clock: requests go out through `send`, responses come back through
 * `onResponse`, time arrives with `tick(now)` and randomness through `random`. The same code runs over
 * Kafka RPCs in the broker and over the simulated network of raft-node.test.ts.
 *
 * Rules kept from Raft and KRaft:
 * - at most one vote per epoch, persisted before the vote is answered (quorum-state);
 * - a vote only for a candidate whose log is at least as up to date (last epoch, then end offset);
 * - the high watermark is the largest offset a majority of voters hold, and it only moves once an
 *   entry of the leader's own epoch is in it (the leader appends a leader-change marker at election);
 * - a leader that has not heard from a majority within the fetch timeout resigns (check quorum), so a
 *   partitioned leader stops accepting writes;
 * - followers apply nothing above the high watermark.
 */
import { ErrorCode } from '@flotilla/protocol';
import type {
  EpochResponse,
  FetchResponse,
  FetchSnapshotResponse,
  RaftEntry,
  RaftRequest,
  SnapshotId,
  VoteResponse,
} from './messages.js';
import type { ElectionState, ElectionStore } from './quorum-state.js';
import type { RaftLog, Snapshot } from './raft-log.js';

export type RaftRole = 'unattached' | 'candidate' | 'leader' | 'follower';

export interface RaftConfig {
  readonly nodeId: number;
  readonly voters: readonly number[];
  /** controller.quorum.election.timeout.ms: the base of the randomized election timeout. */
  readonly electionTimeoutMs: number;
  /** controller.quorum.fetch.timeout.ms: a follower that hears nothing from its leader this long starts an election. */
  readonly fetchTimeoutMs: number;
  /** Entries per Fetch response. */
  readonly maxFetchEntries?: number;
  /** Bytes per FetchSnapshot response. */
  readonly snapshotChunkBytes?: number;
}

export interface RaftCallbacks {
  /** Sends a request; its response (or null when it failed) must come back through onResponse. */
  send(to: number, request: RaftRequest): void;
  /** Entries that became committed, in order, each delivered once. */
  onCommit(entries: readonly RaftEntry[]): void;
  /** The log was replaced by a snapshot from the leader: state must be rebuilt from it. */
  onSnapshotInstalled(snapshot: Snapshot): void;
  /** Leader or epoch changed (for metrics, controller activation, waiting writers). */
  onLeaderChange?(leaderId: number, epoch: number): void;
  /** Uniform in [0, 1). */
  random(): number;
}

interface ReplicaState {
  endOffset: number;
  lastFetchMs: number;
  lastCaughtUpMs: number;
  /** The high watermark last sent to this replica, to decide whether a fetch may wait (long poll). */
  sentHighWatermark: number;
}

export class RaftNode {
  private state: ElectionState;
  private roleValue: RaftRole = 'unattached';
  private highWatermarkValue = 0;
  private leaderHighWatermarkValue = -1;
  /** Next offset to hand to onCommit. */
  private applied = 0;
  private electionDeadline = 0;
  private votes = new Set<number>();
  /**
   * The fetch (or fetch-snapshot) awaiting its response. A new leader or epoch forgets it, so the
   * first fetch to the new leader goes out at once instead of after the old leader's long poll.
   */
  private inFlightFetch: RaftRequest | null = null;
  /** False once shutting down: the node still votes, but never stands for election again. */
  private standing = true;
  private fetchDeadline = 0;
  private lastFetchSentMs = -Infinity;
  private snapshotFetch: { id: SnapshotId; chunks: Buffer[]; position: number } | null = null;
  private readonly replicas = new Map<number, ReplicaState>();
  private leaderEpochStartOffset = 0;
  private lastBeginEpochMs = -Infinity;
  private now = 0;

  constructor(
    private readonly config: RaftConfig,
    readonly log: RaftLog,
    private readonly store: ElectionStore,
    private readonly io: RaftCallbacks,
  ) {
    this.state = store.read();
    // Everything in a snapshot was committed when it was taken.
    this.applied = log.startOffset;
    this.highWatermarkValue = log.startOffset;
  }

  get nodeId(): number {
    return this.config.nodeId;
  }
  get role(): RaftRole {
    return this.roleValue;
  }
  get epoch(): number {
    return this.state.epoch;
  }
  get leaderId(): number {
    return this.state.leaderId;
  }
  get votedId(): number {
    return this.state.votedId;
  }
  get highWatermark(): number {
    return this.highWatermarkValue;
  }

  /**
   * The high watermark the leader last reported in a Fetch response to this node since it started;
   * -1 before the first one. Unlike `highWatermark` it is never a value this node restored from disk.
   */
  get leaderHighWatermark(): number {
    return this.leaderHighWatermarkValue;
  }
  /** The leader has committed an entry of its own epoch, so its state is the whole committed state. */
  get leaderReady(): boolean {
    return this.roleValue === 'leader' && this.highWatermarkValue > this.leaderEpochStartOffset;
  }
  /** Offset of the next entry to be applied (everything below has been handed to onCommit). */
  get appliedOffset(): number {
    return this.applied;
  }
  get isVoter(): boolean {
    return this.config.voters.includes(this.config.nodeId);
  }

  /** Starts the node at `now`: a voter waits one election timeout for a leader before standing itself. */
  start(now: number): void {
    this.now = now;
    if (this.state.leaderId === this.nodeId) {
      // Leadership does not survive a restart: our epoch's followers may have elected someone else.
      this.persist({ ...this.state, leaderId: -1 });
    }
    if (this.state.leaderId >= 0) this.becomeFollower(this.state.epoch, this.state.leaderId, false);
    else this.becomeUnattached(this.state.epoch, false);
    if (this.config.voters.length === 1 && this.isVoter) this.startElection();
  }

  /** Advances time: election and fetch timeouts, check-quorum, fetches and BeginQuorumEpoch retries. */
  tick(now: number): void {
    this.now = now;
    switch (this.roleValue) {
      case 'leader': {
        const majority = Math.floor(this.config.voters.length / 2) + 1;
        let heard = 1;
        for (const v of this.config.voters) {
          if (v === this.nodeId) continue;
          const r = this.replicas.get(v);
          if (r && now - r.lastFetchMs < this.config.fetchTimeoutMs) heard++;
        }
        const leaderFor = now - (this.electionDeadline - this.config.fetchTimeoutMs);
        if (heard < majority && leaderFor > this.config.fetchTimeoutMs) {
          this.resign();
          return;
        }
        if (now - this.lastBeginEpochMs >= this.config.electionTimeoutMs / 2) {
          this.lastBeginEpochMs = now;
          for (const v of this.config.voters) {
            if (v === this.nodeId) continue;
            const r = this.replicas.get(v);
            if (!r || r.lastFetchMs < this.electionDeadline - this.config.fetchTimeoutMs) {
              this.io.send(v, { kind: 'begin-epoch', epoch: this.epoch, leaderId: this.nodeId });
            }
          }
        }
        return;
      }
      case 'follower':
        if (now >= this.fetchDeadline) {
          if (this.isVoter && this.standing) this.startElection();
          else this.becomeUnattached(this.epoch, true);
          return;
        }
        this.maybeFetch();
        return;
      case 'candidate':
      case 'unattached':
        if (this.isVoter && this.standing && now >= this.electionDeadline) {
          this.startElection();
          return;
        }
        if (!this.isVoter) this.maybeFetch();
        return;
    }
  }

  // ---- the leader's side of writes ----

  /** Appends records as the leader; returns the offset of the last one. Throws NOT_CONTROLLER elsewhere. */
  append(data: readonly Buffer[]): number {
    if (this.roleValue !== 'leader') throw new NotLeaderError(this.leaderId);
    const start = this.log.endOffset;
    this.log.append(data.map((d, i) => ({ offset: start + i, epoch: this.epoch, data: d })));
    this.updateHighWatermark();
    return this.log.endOffset - 1;
  }

  /** Takes a snapshot of the committed state at `endOffset` (which must be <= the high watermark). */
  snapshot(endOffset: number, data: Buffer): void {
    if (endOffset > this.highWatermarkValue || endOffset > this.applied) {
      throw new Error(`snapshot at ${endOffset} above the committed offset ${this.highWatermarkValue}`);
    }
    if (endOffset <= this.log.startOffset) return;
    this.log.snapshotAt(endOffset, data);
  }

  /**
   * Graceful resignation (shutdown, check-quorum): tell the voters so one of them stands at once.
   * `shuttingDown` also keeps this node from standing in any later election (it still votes), so the
   * leadership goes to another voter, as KafkaRaftClient's graceful shutdown does.
   */
  resign(shuttingDown = false): void {
    if (shuttingDown) this.standing = false;
    if (this.roleValue !== 'leader') return;
    const successors = [...this.config.voters]
      .filter((v) => v !== this.nodeId)
      .sort((a, b) => (this.replicas.get(b)?.endOffset ?? 0) - (this.replicas.get(a)?.endOffset ?? 0));
    for (const v of successors) {
      this.io.send(v, { kind: 'end-epoch', epoch: this.epoch, leaderId: this.nodeId, preferredSuccessors: successors });
    }
    // Stay in this epoch without a leader; our own election timer runs as any voter's does.
    this.persist({ epoch: this.epoch, votedId: this.state.votedId, leaderId: -1 });
    this.roleValue = 'unattached';
    this.resetElectionTimer(1);
    this.io.onLeaderChange?.(-1, this.epoch);
  }

  // ---- requests from other nodes ----

  /** Answers a request from another node; every request names its sender (candidate, leader, replica). */
  handleRequest(
    request: RaftRequest,
    now: number,
  ): VoteResponse | EpochResponse | FetchResponse | FetchSnapshotResponse {
    this.now = now;
    switch (request.kind) {
      case 'vote':
        return this.handleVote(request);
      case 'begin-epoch':
        return this.handleBeginEpoch(request);
      case 'end-epoch':
        return this.handleEndEpoch(request);
      case 'fetch':
        return this.handleFetch(request);
      case 'fetch-snapshot':
        return this.handleFetchSnapshot(request);
    }
  }

  private response(errorCode = 0): EpochResponse {
    return { errorCode, epoch: this.epoch, leaderId: this.leaderId };
  }

  private handleVote(req: Extract<RaftRequest, { kind: 'vote' }>): VoteResponse {
    if (!this.isVoter || !this.config.voters.includes(req.candidateId)) {
      return { ...this.response(ErrorCode.INCONSISTENT_VOTER_SET), voteGranted: false };
    }
    if (req.epoch < this.epoch) return { ...this.response(ErrorCode.FENCED_LEADER_EPOCH), voteGranted: false };
    if (req.epoch > this.epoch) this.becomeUnattached(req.epoch, true);
    // A node that knows this epoch's leader (or is it) votes for nobody else in it.
    if (this.leaderId >= 0) return { ...this.response(), voteGranted: false };
    if (this.state.votedId >= 0) return { ...this.response(), voteGranted: this.state.votedId === req.candidateId };
    const upToDate =
      req.lastEpoch > this.log.lastEpoch ||
      (req.lastEpoch === this.log.lastEpoch && req.endOffset >= this.log.endOffset);
    if (!upToDate) return { ...this.response(), voteGranted: false };
    this.persist({ epoch: this.epoch, votedId: req.candidateId, leaderId: -1 });
    if (this.roleValue === 'candidate') this.roleValue = 'unattached';
    this.resetElectionTimer();
    return { ...this.response(), voteGranted: true };
  }

  private handleBeginEpoch(req: Extract<RaftRequest, { kind: 'begin-epoch' }>): EpochResponse {
    if (req.epoch < this.epoch) return this.response(ErrorCode.FENCED_LEADER_EPOCH);
    if (req.epoch > this.epoch || this.leaderId !== req.leaderId || this.roleValue !== 'follower') {
      this.becomeFollower(req.epoch, req.leaderId, true);
    }
    return this.response();
  }

  private handleEndEpoch(req: Extract<RaftRequest, { kind: 'end-epoch' }>): EpochResponse {
    if (req.epoch < this.epoch) return this.response(ErrorCode.FENCED_LEADER_EPOCH);
    if (req.epoch > this.epoch || this.leaderId === req.leaderId) {
      this.becomeUnattached(req.epoch, true);
      // KIP-595: the preferred successors stand first, in order, so the most caught-up voter usually wins.
      const rank = req.preferredSuccessors.indexOf(this.nodeId);
      if (rank >= 0) this.electionDeadline = this.now + rank * (this.config.electionTimeoutMs / 4) + this.jitter(50);
    }
    return this.response();
  }

  private handleFetch(req: Extract<RaftRequest, { kind: 'fetch' }>): FetchResponse {
    const empty = { highWatermark: this.highWatermarkValue, entries: [] as RaftEntry[] };
    if (req.epoch > this.epoch) {
      return { ...this.response(ErrorCode.UNKNOWN_LEADER_EPOCH), ...empty };
    }
    if (this.roleValue !== 'leader') return { ...this.response(ErrorCode.NOT_LEADER_OR_FOLLOWER), ...empty };
    if (req.epoch < this.epoch) return { ...this.response(ErrorCode.FENCED_LEADER_EPOCH), ...empty };
    const snapshot = this.log.latestSnapshot;
    if (req.fetchOffset < this.log.startOffset && snapshot) {
      return { ...this.response(), ...empty, snapshotId: snapshot.id };
    }
    if (req.fetchOffset > 0) {
      const known = this.log.endOffsetForEpoch(req.lastFetchedEpoch);
      if (!known) {
        if (snapshot) return { ...this.response(), ...empty, snapshotId: snapshot.id };
      } else if (known.epoch !== req.lastFetchedEpoch || known.endOffset < req.fetchOffset) {
        return { ...this.response(), ...empty, divergingEpoch: known };
      }
    }
    // The fetch offset is the fetcher's log end offset: what it holds, durably (KIP-595).
    let replica = this.replicas.get(req.replicaId);
    if (!replica) {
      replica = { endOffset: 0, lastFetchMs: 0, lastCaughtUpMs: 0, sentHighWatermark: -1 };
      this.replicas.set(req.replicaId, replica);
    }
    replica.endOffset = req.fetchOffset;
    replica.lastFetchMs = this.now;
    if (req.fetchOffset >= this.log.endOffset) replica.lastCaughtUpMs = this.now;
    this.updateHighWatermark();
    replica.sentHighWatermark = this.highWatermarkValue;
    return {
      ...this.response(),
      highWatermark: this.highWatermarkValue,
      entries: this.log.read(req.fetchOffset, this.config.maxFetchEntries ?? 500),
    };
  }

  /** The high watermark last sent to `replicaId` in a fetch response (-1 if none). */
  lastSentHighWatermark(replicaId: number): number {
    return this.replicas.get(replicaId)?.sentHighWatermark ?? -1;
  }

  private handleFetchSnapshot(req: Extract<RaftRequest, { kind: 'fetch-snapshot' }>): FetchSnapshotResponse {
    const snapshot = this.log.latestSnapshot;
    const none = { snapshotId: req.snapshotId, size: 0, position: req.position, bytes: Buffer.alloc(0) };
    if (this.roleValue !== 'leader') return { ...this.response(ErrorCode.NOT_LEADER_OR_FOLLOWER), ...none };
    if (req.epoch !== this.epoch) return { ...this.response(ErrorCode.FENCED_LEADER_EPOCH), ...none };
    if (!snapshot || snapshot.id.endOffset !== req.snapshotId.endOffset || snapshot.id.epoch !== req.snapshotId.epoch) {
      return { ...this.response(ErrorCode.SNAPSHOT_NOT_FOUND), ...none };
    }
    const chunk = this.config.snapshotChunkBytes ?? 1 << 20;
    return {
      ...this.response(),
      snapshotId: snapshot.id,
      size: snapshot.data.length,
      position: req.position,
      bytes: snapshot.data.subarray(req.position, req.position + chunk),
    };
  }

  // ---- responses to our requests ----

  onResponse(
    from: number,
    request: RaftRequest,
    response: VoteResponse | EpochResponse | FetchResponse | FetchSnapshotResponse | null,
    now: number,
  ): void {
    this.now = now;
    if (request === this.inFlightFetch) this.inFlightFetch = null;
    if (!response) return;
    // Any response from a later epoch moves us there first (Raft's "term" rule).
    if (response.epoch > this.epoch) {
      if (response.leaderId >= 0) this.becomeFollower(response.epoch, response.leaderId, true);
      else this.becomeUnattached(response.epoch, true);
      if (request.kind !== 'fetch' && request.kind !== 'fetch-snapshot') return;
    }
    switch (request.kind) {
      case 'vote':
        this.onVoteResponse(from, request.epoch, response as VoteResponse);
        return;
      case 'fetch':
        this.onFetchResponse(from, request, response as FetchResponse);
        return;
      case 'fetch-snapshot':
        this.onFetchSnapshotResponse(from, response as FetchSnapshotResponse);
        return;
      default:
        return;
    }
  }

  private onVoteResponse(from: number, epoch: number, response: VoteResponse): void {
    if (this.roleValue !== 'candidate' || epoch !== this.epoch || !response.voteGranted) return;
    this.votes.add(from);
    if (this.votes.size > this.config.voters.length / 2) this.becomeLeader();
  }

  private onFetchResponse(
    from: number,
    request: Extract<RaftRequest, { kind: 'fetch' }>,
    response: FetchResponse,
  ): void {
    if (response.errorCode !== 0) {
      // NOT_LEADER_OR_FOLLOWER / FENCED_LEADER_EPOCH: the responder told us whom it knows as leader.
      if (response.epoch === this.epoch && response.leaderId >= 0 && response.leaderId !== this.leaderId) {
        if (response.leaderId !== this.nodeId) this.becomeFollower(response.epoch, response.leaderId, true);
      }
      return;
    }
    if (this.roleValue !== 'follower' || from !== this.leaderId || request.epoch !== this.epoch) return;
    this.fetchDeadline = this.now + this.config.fetchTimeoutMs;
    if (response.divergingEpoch) {
      const ours = this.log.endOffsetForEpoch(response.divergingEpoch.epoch);
      const to = Math.max(
        this.highWatermarkValue,
        Math.min(response.divergingEpoch.endOffset, ours?.endOffset ?? this.log.startOffset),
      );
      this.log.truncateTo(to);
      this.maybeFetch();
      return;
    }
    if (response.snapshotId) {
      this.snapshotFetch = { id: response.snapshotId, chunks: [], position: 0 };
      this.maybeFetch();
      return;
    }
    const entries = response.entries.filter((e) => e.offset >= this.log.endOffset);
    if (entries.length > 0 && entries[0]?.offset === this.log.endOffset) this.log.append(entries);
    this.leaderHighWatermarkValue = response.highWatermark;
    this.advanceHighWatermark(Math.min(response.highWatermark, this.log.endOffset));
    this.maybeFetch();
  }

  private onFetchSnapshotResponse(from: number, response: FetchSnapshotResponse): void {
    const fetch = this.snapshotFetch;
    if (!fetch || from !== this.leaderId || response.errorCode !== 0) {
      if (response.errorCode === ErrorCode.SNAPSHOT_NOT_FOUND) this.snapshotFetch = null;
      return;
    }
    this.fetchDeadline = this.now + this.config.fetchTimeoutMs;
    if (response.position !== fetch.position) return;
    fetch.chunks.push(Buffer.from(response.bytes));
    fetch.position += response.bytes.length;
    if (fetch.position >= response.size) {
      const snapshot: Snapshot = { id: fetch.id, data: Buffer.concat(fetch.chunks) };
      this.snapshotFetch = null;
      this.log.installSnapshot(snapshot);
      this.applied = snapshot.id.endOffset;
      this.highWatermarkValue = Math.max(this.highWatermarkValue, snapshot.id.endOffset);
      this.io.onSnapshotInstalled(snapshot);
    }
    this.maybeFetch();
  }

  // ---- transitions ----

  private persist(state: ElectionState): void {
    this.store.write(state);
    this.state = state;
  }

  private jitter(maxMs: number): number {
    return Math.floor(this.io.random() * maxMs);
  }

  private resetElectionTimer(factor = 1): void {
    const base = this.config.electionTimeoutMs * factor;
    this.electionDeadline = this.now + base + this.jitter(base);
  }

  private becomeUnattached(epoch: number, persist: boolean): void {
    const changed = epoch !== this.epoch || this.leaderId !== -1;
    if (persist && (epoch !== this.epoch || this.leaderId !== -1)) {
      this.persist({ epoch, votedId: epoch === this.epoch ? this.state.votedId : -1, leaderId: -1 });
    }
    this.roleValue = 'unattached';
    this.snapshotFetch = null;
    this.resetElectionTimer();
    if (changed) {
      this.inFlightFetch = null;
      this.io.onLeaderChange?.(-1, epoch);
    }
  }

  private becomeFollower(epoch: number, leaderId: number, persist: boolean): void {
    const changed = epoch !== this.epoch || leaderId !== this.leaderId || this.roleValue !== 'follower';
    if (persist && (epoch !== this.epoch || leaderId !== this.leaderId)) {
      this.persist({ epoch, votedId: epoch === this.epoch ? this.state.votedId : -1, leaderId });
    }
    this.roleValue = 'follower';
    this.fetchDeadline = this.now + this.config.fetchTimeoutMs;
    this.snapshotFetch = null;
    if (changed) {
      this.inFlightFetch = null;
      this.io.onLeaderChange?.(leaderId, epoch);
    }
    this.maybeFetch();
  }

  private startElection(): void {
    const epoch = this.epoch + 1;
    this.persist({ epoch, votedId: this.nodeId, leaderId: -1 });
    this.roleValue = 'candidate';
    this.inFlightFetch = null;
    this.votes = new Set([this.nodeId]);
    this.resetElectionTimer();
    this.io.onLeaderChange?.(-1, epoch);
    if (this.votes.size > this.config.voters.length / 2) {
      this.becomeLeader();
      return;
    }
    for (const v of this.config.voters) {
      if (v === this.nodeId) continue;
      this.io.send(v, {
        kind: 'vote',
        epoch,
        candidateId: this.nodeId,
        lastEpoch: this.log.lastEpoch,
        endOffset: this.log.endOffset,
      });
    }
  }

  private becomeLeader(): void {
    this.persist({ epoch: this.epoch, votedId: this.state.votedId, leaderId: this.nodeId });
    this.roleValue = 'leader';
    this.inFlightFetch = null;
    this.replicas.clear();
    // Reuse electionDeadline as "leader since + fetch timeout" for check-quorum's grace period.
    this.electionDeadline = this.now + this.config.fetchTimeoutMs;
    this.lastBeginEpochMs = -Infinity;
    this.leaderEpochStartOffset = this.log.endOffset;
    // The leader-change marker: an entry of our epoch that, once committed, commits everything before it.
    this.log.append([{ offset: this.log.endOffset, epoch: this.epoch, data: null }]);
    this.io.onLeaderChange?.(this.nodeId, this.epoch);
    this.updateHighWatermark();
    this.tick(this.now);
  }

  private maybeFetch(): void {
    if (this.inFlightFetch) return;
    const target = this.fetchTarget();
    if (target === undefined) return;
    this.lastFetchSentMs = this.now;
    const request: RaftRequest =
      this.snapshotFetch && this.roleValue === 'follower'
        ? {
            kind: 'fetch-snapshot',
            epoch: this.epoch,
            replicaId: this.nodeId,
            snapshotId: this.snapshotFetch.id,
            position: this.snapshotFetch.position,
          }
        : {
            kind: 'fetch',
            epoch: this.epoch,
            replicaId: this.nodeId,
            fetchOffset: this.log.endOffset,
            lastFetchedEpoch: this.log.lastEpoch,
          };
    this.inFlightFetch = request;
    this.io.send(target, request);
  }

  /** The leader when known; an observer without one asks a random voter (who answers with the leader). */
  private fetchTarget(): number | undefined {
    if (this.roleValue === 'follower') return this.leaderId;
    if (this.isVoter || this.now - this.lastFetchSentMs < this.config.electionTimeoutMs / 2) return undefined;
    return this.config.voters[Math.floor(this.io.random() * this.config.voters.length)];
  }

  private updateHighWatermark(): void {
    if (this.roleValue !== 'leader') return;
    const offsets = this.config.voters
      .map((v) => (v === this.nodeId ? this.log.endOffset : (this.replicas.get(v)?.endOffset ?? 0)))
      .sort((a, b) => b - a);
    const majorityOffset = offsets[Math.floor(this.config.voters.length / 2)] ?? 0;
    // Only an entry of our own epoch commits (Raft §5.4.2): the leader-change marker is the first one.
    if (majorityOffset > this.leaderEpochStartOffset) this.advanceHighWatermark(majorityOffset);
  }

  private advanceHighWatermark(offset: number): void {
    if (offset <= this.highWatermarkValue) return;
    this.highWatermarkValue = offset;
    if (this.applied < this.log.startOffset) this.applied = this.log.startOffset;
    const committed = this.log.read(this.applied, offset - this.applied);
    this.applied += committed.length;
    if (committed.length > 0) this.io.onCommit(committed);
  }

  /** Per-replica state for DescribeQuorum (leader only). */
  describeReplicas(): { replicaId: number; endOffset: number; lastFetchMs: number; lastCaughtUpMs: number }[] {
    const out = [
      { replicaId: this.nodeId, endOffset: this.log.endOffset, lastFetchMs: this.now, lastCaughtUpMs: this.now },
    ];
    for (const [id, r] of this.replicas) {
      out.push({ replicaId: id, endOffset: r.endOffset, lastFetchMs: r.lastFetchMs, lastCaughtUpMs: r.lastCaughtUpMs });
    }
    return out;
  }

  get voters(): readonly number[] {
    return this.config.voters;
  }
}

export class NotLeaderError extends Error {
  constructor(readonly leaderId: number) {
    super(`not the quorum leader (leader: ${leaderId})`);
  }
}

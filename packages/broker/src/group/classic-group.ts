/**
 * One consumer group of the classic rebalance protocol, as Kafka's GroupMetadata and MemberMetadata
 * keep it: its state, generation, selected protocol, leader, members (with the join or sync request
 * each one has waiting), static members by group.instance.id, and committed offsets.
 *
 * This file holds the data and its invariants only; the protocol (who may join, when a rebalance
 * completes, timers) lives in membership.ts, and offsets handling in offsets.ts.
 *
 * States (GroupState.scala):
 *   Empty ──join──▶ PreparingRebalance ──all joined──▶ CompletingRebalance ──leader's sync──▶ Stable
 *   Stable/CompletingRebalance ──join, leave, expiry──▶ PreparingRebalance; anything ──▶ Dead (deleted,
 *   unloaded). A rebalance that ends with no members goes back to Empty.
 */
import {
  type ConsumerProtocolSubscription,
  ErrorCode,
  Reader,
  readConsumerProtocolSubscription,
} from '@flotilla/protocol';
import type { GroupMetadataValue } from './records.js';

export const GroupState = {
  Empty: 'Empty',
  PreparingRebalance: 'PreparingRebalance',
  CompletingRebalance: 'CompletingRebalance',
  Stable: 'Stable',
  Dead: 'Dead',
} as const;
export type GroupState = (typeof GroupState)[keyof typeof GroupState];

const VALID_PREVIOUS_STATES: Record<GroupState, readonly GroupState[]> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
};

/** The protocol type of Kafka consumers, whose member metadata is a ConsumerProtocolSubscription. */
export const CONSUMER_PROTOCOL_TYPE = 'consumer';

const EMPTY = Buffer.alloc(0);

export interface GroupProtocol {
  readonly name: string;
  readonly metadata: Buffer;
}

export interface JoinResult {
  readonly errorCode: number;
  readonly memberId: string;
  readonly generationId: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly leaderId: string;
  readonly skipAssignment: boolean;
  /** Every member's metadata for the selected protocol: for the leader only. */
  readonly members: readonly { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
}

export interface SyncResult {
  readonly errorCode: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly assignment: Buffer;
}

export function joinError(memberId: string, errorCode: number): JoinResult {
  return {
    errorCode,
    memberId,
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leaderId: '',
    skipAssignment: false,
    members: [],
  };
}

export function syncError(errorCode: number): SyncResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY };
}

export interface CommittedOffset {
  readonly offset: bigint;
  readonly leaderEpoch: number;
  readonly metadata: string;
  readonly commitTimestamp: number;
  /** Set only by value version 1 records (an explicit retention); -1 otherwise. */
  readonly expireTimestamp: number;
}

export class GroupMember {
  /** Set once the join that added it completes: a new member is expired by the join timeout. */
  isNew = false;
  assignment: Buffer = EMPTY;
  /** The JoinGroup request of this member waiting for the rebalance to complete. */
  awaitingJoin: ((result: JoinResult) => void) | null = null;
  /** The SyncGroup request of this member waiting for the leader's assignment. */
  awaitingSync: ((result: SyncResult) => void) | null = null;

  constructor(
    public memberId: string,
    readonly groupInstanceId: string | null,
    public clientId: string,
    public clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    readonly protocolType: string,
    public protocols: readonly GroupProtocol[],
  ) {}

  get isStatic(): boolean {
    return this.groupInstanceId !== null;
  }

  metadata(protocol: string): Buffer {
    const p = this.protocols.find((x) => x.name === protocol);
    if (!p) throw new Error(`member ${this.memberId} does not support protocol ${protocol}`);
    return p.metadata;
  }

  /** Same protocols, in the same order, with the same metadata. */
  matches(protocols: readonly GroupProtocol[]): boolean {
    return (
      protocols.length === this.protocols.length &&
      protocols.every((p, i) => p.name === this.protocols[i]?.name && p.metadata.equals(this.protocols[i].metadata))
    );
  }

  /** The member's most preferred protocol among the candidates. */
  vote(candidates: ReadonlySet<string>): string {
    const choice = this.protocols.find((p) => candidates.has(p.name));
    if (!choice) throw new Error(`member ${this.memberId} supports none of ${[...candidates].join(', ')}`);
    return choice.name;
  }
}

export class ClassicGroup {
  state: GroupState = GroupState.Empty;
  currentStateTimestamp: number;
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, GroupMember>();
  /** group.instance.id to the member id that currently holds it. */
  readonly staticMembers = new Map<string, string>();
  /** Member ids handed out with MEMBER_ID_REQUIRED, not yet joined with them. */
  readonly pendingMembers = new Set<string>();
  /** Members of the new generation that have not sent SyncGroup yet. */
  readonly pendingSyncMembers = new Set<string>();
  /** A member joined during the initial rebalance delay: the delay is extended (InitialDelayedJoin). */
  newMemberAdded = false;
  /** Topics the members subscribe to, for consumer groups whose subscriptions parse; else null. */
  subscribedTopics: ReadonlySet<string> | null = null;
  /** Committed offsets by topic, then partition. */
  readonly offsets = new Map<string, Map<number, CommittedOffset>>();
  /** Offset commits being written, by `topic/partition`: fetches with requireStable wait for them. */
  readonly pendingOffsetCommits = new Map<string, number>();
  /**
   * Offsets committed inside transactions (TxnOffsetCommit), by producer id, written to the log but
   * not yet visible: the producer's COMMIT marker publishes them, its ABORT marker drops them (KIP-98).
   */
  readonly pendingTxnOffsets = new Map<
    number,
    Map<string, { topic: string; partition: number; offset: CommittedOffset }>
  >();

  constructor(
    readonly groupId: string,
    now: number,
  ) {
    this.currentStateTimestamp = now;
  }

  is(state: GroupState): boolean {
    return this.state === state;
  }

  transitionTo(state: GroupState, now: number): void {
    if (!VALID_PREVIOUS_STATES[state].includes(this.state)) {
      throw new Error(`group ${this.groupId} cannot go from ${this.state} to ${state}`);
    }
    this.state = state;
    this.currentStateTimestamp = now;
  }

  get canRebalance(): boolean {
    return VALID_PREVIOUS_STATES.PreparingRebalance.includes(this.state);
  }

  get size(): number {
    return this.members.size;
  }

  has(memberId: string): boolean {
    return this.members.has(memberId);
  }

  get(memberId: string): GroupMember {
    const m = this.members.get(memberId);
    if (!m) throw new Error(`group ${this.groupId} has no member ${memberId}`);
    return m;
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  get isConsumerGroup(): boolean {
    return this.protocolType === CONSUMER_PROTOCOL_TYPE;
  }

  get numAwaitingJoin(): number {
    let n = 0;
    for (const m of this.members.values()) if (m.awaitingJoin) n++;
    return n;
  }

  get hasAllMembersJoined(): boolean {
    return this.numAwaitingJoin === this.members.size && this.pendingMembers.size === 0;
  }

  /** The longest rebalance timeout of the members: how long a rebalance waits for them. */
  get rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  staticMemberId(groupInstanceId: string): string | undefined {
    return this.staticMembers.get(groupInstanceId);
  }

  add(member: GroupMember, onJoin: ((result: JoinResult) => void) | null): void {
    if (member.groupInstanceId !== null) {
      if (this.staticMembers.has(member.groupInstanceId)) {
        throw new Error(`static member ${member.groupInstanceId} is already a member of group ${this.groupId}`);
      }
      this.staticMembers.set(member.groupInstanceId, member.memberId);
    }
    if (this.members.size === 0) this.protocolType = member.protocolType;
    if (this.leaderId === null) this.leaderId = member.memberId;
    this.members.set(member.memberId, member);
    member.awaitingJoin = onJoin;
    this.pendingMembers.delete(member.memberId);
  }

  remove(memberId: string): void {
    const member = this.members.get(memberId);
    if (member) {
      this.members.delete(memberId);
      if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === memberId) {
        this.staticMembers.delete(member.groupInstanceId);
      }
    }
    if (this.isLeader(memberId)) this.leaderId = this.members.keys().next().value ?? null;
    this.pendingMembers.delete(memberId);
    this.pendingSyncMembers.delete(memberId);
  }

  updateMember(
    member: GroupMember,
    protocols: readonly GroupProtocol[],
    rebalanceTimeoutMs: number,
    sessionTimeoutMs: number,
    onJoin: ((result: JoinResult) => void) | null,
  ): void {
    member.protocols = protocols;
    member.rebalanceTimeoutMs = rebalanceTimeoutMs;
    member.sessionTimeoutMs = sessionTimeoutMs;
    member.awaitingJoin = onJoin;
  }

  /**
   * A static member rejoined with a new member id: the old id's waiting requests are fenced and the
   * member carries on under the new id (GroupMetadata.replaceStaticMember).
   */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string): GroupMember {
    const member = this.get(oldMemberId);
    this.members.delete(oldMemberId);
    this.maybeInvokeJoin(member, joinError(oldMemberId, ErrorCode.FENCED_INSTANCE_ID));
    this.maybeInvokeSync(member, syncError(ErrorCode.FENCED_INSTANCE_ID));
    member.memberId = newMemberId;
    this.members.set(newMemberId, member);
    if (this.isLeader(oldMemberId)) this.leaderId = newMemberId;
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId);
    this.staticMembers.set(groupInstanceId, newMemberId);
    return member;
  }

  maybeInvokeJoin(member: GroupMember, result: JoinResult): boolean {
    const callback = member.awaitingJoin;
    if (!callback) return false;
    member.awaitingJoin = null;
    callback(result);
    return true;
  }

  maybeInvokeSync(member: GroupMember, result: SyncResult): boolean {
    const callback = member.awaitingSync;
    if (!callback) return false;
    member.awaitingSync = null;
    callback(result);
    return true;
  }

  /** Members that have not rejoined during the current rebalance. */
  notYetRejoinedMembers(): GroupMember[] {
    return [...this.members.values()].filter((m) => !m.awaitingJoin);
  }

  /**
   * When the leader has not rejoined, any member that did becomes leader. False when nobody rejoined
   * (GroupMetadata.maybeElectNewJoinedLeader).
   */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    if (this.members.get(this.leaderId)?.awaitingJoin) return true;
    const joined = [...this.members.values()].find((m) => m.awaitingJoin);
    if (!joined) return false;
    this.leaderId = joined.memberId;
    return true;
  }

  /** Protocols every member supports. */
  private candidateProtocols(): Set<string> {
    const members = [...this.members.values()];
    const first = members[0];
    if (!first) return new Set();
    return new Set(
      first.protocols
        .map((p) => p.name)
        .filter((name) => members.every((m) => m.protocols.some((p) => p.name === name))),
    );
  }

  /**
   * The protocol of the next generation: among those all members support, the one most members
   * prefer (each member votes for its first supported candidate). Ties go to the first one voted for.
   */
  selectProtocol(): string {
    const candidates = this.candidateProtocols();
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const choice = m.vote(candidates);
      votes.set(choice, (votes.get(choice) ?? 0) + 1);
    }
    let best: string | undefined;
    let bestVotes = 0;
    for (const [name, n] of votes) {
      if (n > bestVotes) {
        best = name;
        bestVotes = n;
      }
    }
    if (best === undefined) throw new Error(`cannot select a protocol for group ${this.groupId} without members`);
    return best;
  }

  /** Whether a member with these protocols may join (GroupMetadata.supportsProtocols). */
  supportsProtocols(protocolType: string, protocols: readonly GroupProtocol[]): boolean {
    if (this.is(GroupState.Empty)) return protocolType !== '' && protocols.length > 0;
    if (this.protocolType !== protocolType) return false;
    const candidates = this.candidateProtocols();
    return protocols.some((p) => candidates.has(p.name));
  }

  /** Starts the next generation once the join phase is over. */
  initNextGeneration(now: number): void {
    this.generationId++;
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo(GroupState.CompletingRebalance, now);
    } else {
      this.protocolName = null;
      this.subscribedTopics = null;
      this.transitionTo(GroupState.Empty, now);
    }
    this.pendingSyncMembers.clear();
  }

  /** Each member's metadata for the selected protocol: what the leader assigns from. */
  currentMemberMetadata(): JoinResult['members'] {
    const protocol = this.protocolName;
    if (protocol === null) return [];
    return [...this.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: m.metadata(protocol),
    }));
  }

  computeSubscribedTopics(): ReadonlySet<string> | null {
    const protocol = this.protocolName;
    if (!this.isConsumerGroup || protocol === null || this.members.size === 0) return null;
    const topics = new Set<string>();
    for (const m of this.members.values()) {
      const subscription = parseSubscription(m.metadata(protocol));
      if (!subscription) return null;
      for (const t of subscription.topics) topics.add(t);
    }
    return topics;
  }

  isSubscribedToTopic(topic: string): boolean {
    return this.subscribedTopics?.has(topic) ?? false;
  }

  // Offsets.

  offset(topic: string, partition: number): CommittedOffset | undefined {
    return this.offsets.get(topic)?.get(partition);
  }

  setOffset(topic: string, partition: number, offset: CommittedOffset): void {
    let partitions = this.offsets.get(topic);
    if (!partitions) {
      partitions = new Map();
      this.offsets.set(topic, partitions);
    }
    partitions.set(partition, offset);
  }

  removeOffset(topic: string, partition: number): boolean {
    const partitions = this.offsets.get(topic);
    if (!partitions?.delete(partition)) return false;
    if (partitions.size === 0) this.offsets.delete(topic);
    return true;
  }

  get hasOffsets(): boolean {
    return this.offsets.size > 0 || this.pendingOffsetCommits.size > 0 || this.pendingTxnOffsets.size > 0;
  }

  allOffsets(): { topic: string; partition: number; offset: CommittedOffset }[] {
    const out: { topic: string; partition: number; offset: CommittedOffset }[] = [];
    for (const [topic, partitions] of this.offsets) {
      for (const [partition, offset] of partitions) out.push({ topic, partition, offset });
    }
    return out;
  }

  hasPendingOffsetCommit(topic: string, partition: number): boolean {
    if (this.pendingOffsetCommits.has(pendingKey(topic, partition))) return true;
    for (const offsets of this.pendingTxnOffsets.values()) if (offsets.has(pendingKey(topic, partition))) return true;
    return false;
  }

  /** Records an offset a transaction committed; it becomes visible with the transaction's COMMIT marker. */
  addPendingTxnOffset(producerId: number, topic: string, partition: number, offset: CommittedOffset): void {
    let offsets = this.pendingTxnOffsets.get(producerId);
    if (!offsets) {
      offsets = new Map();
      this.pendingTxnOffsets.set(producerId, offsets);
    }
    offsets.set(pendingKey(topic, partition), { topic, partition, offset });
  }

  /** A transaction ended: its offsets become the committed ones (commit) or are dropped (abort). */
  completePendingTxnOffsets(producerId: number, commit: boolean): number {
    const offsets = this.pendingTxnOffsets.get(producerId);
    if (!offsets) return 0;
    this.pendingTxnOffsets.delete(producerId);
    if (commit) for (const o of offsets.values()) this.setOffset(o.topic, o.partition, o.offset);
    return offsets.size;
  }

  beginOffsetCommit(topic: string, partition: number): void {
    const key = pendingKey(topic, partition);
    this.pendingOffsetCommits.set(key, (this.pendingOffsetCommits.get(key) ?? 0) + 1);
  }

  endOffsetCommit(topic: string, partition: number): void {
    const key = pendingKey(topic, partition);
    const n = (this.pendingOffsetCommits.get(key) ?? 1) - 1;
    if (n <= 0) this.pendingOffsetCommits.delete(key);
    else this.pendingOffsetCommits.set(key, n);
  }

  /**
   * Offsets past their retention (GroupMetadata.removeExpiredOffsets): in an Empty group, retention
   * counts from when it became empty; in a Stable consumer group, offsets of topics no member
   * subscribes to expire from their commit; offsets of a group without protocol (commits only) expire
   * from their commit. Offsets being committed never expire. Returns what was removed.
   */
  removeExpiredOffsets(now: number, retentionMs: number): { topic: string; partition: number }[] {
    let base: ((o: CommittedOffset) => number) | null = null;
    let keep: ReadonlySet<string> = new Set();
    if (this.protocolType !== null && this.is(GroupState.Empty)) {
      base = () => this.currentStateTimestamp;
    } else if (this.isConsumerGroup && this.subscribedTopics !== null && this.is(GroupState.Stable)) {
      base = (o) => o.commitTimestamp;
      keep = this.subscribedTopics;
    } else if (this.protocolType === null) {
      base = (o) => o.commitTimestamp;
    }
    if (base === null) return [];
    const expired: { topic: string; partition: number }[] = [];
    for (const { topic, partition, offset } of this.allOffsets()) {
      if (keep.has(topic) || this.hasPendingOffsetCommit(topic, partition)) continue;
      const isExpired = offset.expireTimestamp >= 0 ? now >= offset.expireTimestamp : now - base(offset) >= retentionMs;
      if (isExpired) expired.push({ topic, partition });
    }
    for (const e of expired) this.removeOffset(e.topic, e.partition);
    return expired;
  }

  /** The group as its GroupMetadataValue record, with the given assignments. */
  toRecord(assignments: ReadonlyMap<string, Buffer>): GroupMetadataValue {
    const protocol = this.protocolName;
    return {
      protocolType: this.protocolType ?? '',
      generation: this.generationId,
      protocol,
      leader: this.leaderId,
      currentStateTimestamp: this.currentStateTimestamp,
      members: [...this.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeout: m.rebalanceTimeoutMs,
        sessionTimeout: m.sessionTimeoutMs,
        subscription: protocol === null ? EMPTY : m.metadata(protocol),
        assignment: assignments.get(m.memberId) ?? EMPTY,
      })),
    };
  }

  /**
   * A group rebuilt from its last GroupMetadataValue (GroupMetadata.loadGroup): Stable with its
   * members, or Empty without. Members rejoin or expire from here.
   */
  static fromRecord(groupId: string, value: GroupMetadataValue, now: number): ClassicGroup {
    const group = new ClassicGroup(groupId, now);
    group.generationId = value.generation;
    group.protocolType = value.protocolType === '' ? null : value.protocolType;
    group.protocolName = value.protocol;
    group.leaderId = value.leader;
    group.state = value.members.length > 0 ? GroupState.Stable : GroupState.Empty;
    group.currentStateTimestamp = value.currentStateTimestamp >= 0 ? value.currentStateTimestamp : now;
    for (const m of value.members) {
      const protocols = value.protocol === null ? [] : [{ name: value.protocol, metadata: m.subscription }];
      const member = new GroupMember(
        m.memberId,
        m.groupInstanceId,
        m.clientId,
        m.clientHost,
        m.rebalanceTimeout,
        m.sessionTimeout,
        value.protocolType,
        protocols,
      );
      member.assignment = m.assignment;
      group.members.set(member.memberId, member);
      if (member.groupInstanceId !== null) group.staticMembers.set(member.groupInstanceId, member.memberId);
    }
    group.subscribedTopics = group.computeSubscribedTopics();
    return group;
  }
}

function pendingKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** A consumer's subscription (ConsumerProtocol.deserializeSubscription); null when it does not parse. */
export function parseSubscription(metadata: Buffer): ConsumerProtocolSubscription | null {
  try {
    const r = new Reader(metadata);
    const version = r.i16();
    if (version < 0) return null;
    // A newer subscription starts with the fields of the newest version known here (forward compatible).
    return readConsumerProtocolSubscription(r, Math.min(version, 3));
  } catch {
    return null;
  }
}

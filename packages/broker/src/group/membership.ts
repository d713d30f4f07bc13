/**
 * The classic rebalance protocol (JoinGroup, SyncGroup, Heartbeat, LeaveGroup), following Kafka's
 * GroupCoordinator.scala decision by decision, so that every client sees the errors it was written
 * against:
 *
 * - A join moves the group to PreparingRebalance; the join phase ends when every known member has
 *   rejoined (and no member id handed out with MEMBER_ID_REQUIRED is outstanding), or when the
 *   longest rebalance timeout of the members expires; members that did not rejoin are dropped
 *   (static members stay). A new group first waits group.initial.rebalance.delay.ms, extended while
 *   members keep arriving, up to the rebalance timeout (InitialDelayedJoin).
 * - Completing the join starts the next generation: the protocol most members prefer among those all
 *   support, every member's JoinGroup answered, the leader's with all members' metadata.
 * - The leader's SyncGroup carries the assignments: they are written to __consumer_offsets, then
 *   handed to every member waiting in SyncGroup, and the group is Stable. Members that do not sync
 *   within the rebalance timeout are dropped and the group rebalances again.
 * - Heartbeats keep a member; a session timeout without one removes it and rebalances the group.
 * - A static member (group.instance.id) that rejoins with a new member id takes over its old
 *   identity without a rebalance when its protocols leave the selected protocol unchanged.
 *
 * Waiting requests are callbacks on the member (the JoinGroup or SyncGroup handler awaits the promise
 * behind it). Every path that drops a member or the group answers them, so no request is left hanging.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '@flotilla/protocol';
import type { Logger } from '../logger.js';
import {
  type ClassicGroup,
  GroupMember,
  type GroupProtocol,
  GroupState,
  type JoinResult,
  joinError,
  type SyncResult,
  syncError,
} from './classic-group.js';
import type { GroupRegistry, GroupSettings } from './group-registry.js';
import { appendErrorCode, type GroupStore, groupStoreErrorFor } from './group-store.js';
import type { GroupTimers } from './timers.js';

/** How long a new member's JoinGroup may wait before the member is dropped (NewMemberJoinTimeoutMs). */
export const NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60 * 1000;

const EMPTY = Buffer.alloc(0);
const JOIN_TIMER = 'join';
const INITIAL_JOIN_TIMER = 'initial-join';
const SYNC_TIMER = 'sync';
const heartbeatTimer = (memberId: string) => `heartbeat:${memberId}`;

/** The member waits in JoinGroup; its callback answers when the rebalance completes. */
const WAITING = 'waiting';
type JoinOutcome = JoinResult | typeof WAITING;

export interface JoinRequest {
  readonly groupId: string;
  /** '' for a member joining for the first time. */
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  /** JoinGroup v4+ without group.instance.id: a new member first gets its id with MEMBER_ID_REQUIRED. */
  readonly requireKnownMemberId: boolean;
  /** JoinGroup v9+: a static leader may be told to skip the assignment. */
  readonly supportSkippingAssignment: boolean;
  readonly clientId: string;
  readonly clientHost: string;
  readonly rebalanceTimeoutMs: number;
  readonly sessionTimeoutMs: number;
  readonly protocolType: string;
  readonly protocols: readonly GroupProtocol[];
  readonly reason: string | null;
}

export interface SyncRequest {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  /** Checked when given (SyncGroup v5+). */
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly assignments: readonly { memberId: string; assignment: Buffer }[];
}

export interface HeartbeatRequest {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

export interface LeavingMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly reason: string | null;
}

export interface LeaveResult {
  readonly errorCode: number;
  readonly members: readonly (LeavingMember & { errorCode: number })[];
}

export interface GroupDescription {
  readonly errorCode: number;
  readonly groupId: string;
  readonly state: string;
  readonly protocolType: string;
  readonly protocolData: string;
  readonly members: readonly {
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    metadata: Buffer;
    assignment: Buffer;
  }[];
}

export interface GroupOverview {
  readonly groupId: string;
  readonly protocolType: string;
  readonly state: string;
  readonly type: string;
}

export interface MembershipDeps {
  readonly registry: GroupRegistry;
  readonly store: GroupStore;
  readonly timers: GroupTimers;
  readonly settings: GroupSettings;
  readonly log: Logger;
  readonly now: () => number;
}

export class GroupMembership {
  private readonly registry: GroupRegistry;
  private readonly timers: GroupTimers;
  private readonly settings: GroupSettings;
  private readonly log: Logger;

  constructor(private readonly deps: MembershipDeps) {
    this.registry = deps.registry;
    this.timers = deps.timers;
    this.settings = deps.settings;
    this.log = deps.log;
  }

  private now(): number {
    return this.deps.now();
  }

  // JoinGroup.

  join(req: JoinRequest): Promise<JoinResult> {
    return new Promise((respond) => {
      const outcome = this.handleJoin(req, respond);
      if (outcome !== WAITING) respond(outcome);
    });
  }

  /** An answer now, or WAITING: the member waits for the rebalance and `respond` answers it later. */
  private handleJoin(req: JoinRequest, respond: (r: JoinResult) => void): JoinOutcome {
    const status = this.registry.statusOf(req.groupId, false);
    if (status !== ErrorCode.NONE) return joinError(req.memberId, status);
    if (
      req.sessionTimeoutMs < this.settings.minSessionTimeoutMs ||
      req.sessionTimeoutMs > this.settings.maxSessionTimeoutMs
    ) {
      return joinError(req.memberId, ErrorCode.INVALID_SESSION_TIMEOUT);
    }
    const isUnknownMember = req.memberId === '';
    // A group is created by a member without id; a member id for a group that does not exist is stale.
    const existing = this.registry.get(req.groupId);
    if (!existing && !isUnknownMember) return joinError(req.memberId, ErrorCode.UNKNOWN_MEMBER_ID);
    const group = existing ?? this.registry.getOrCreate(req.groupId, this.now());

    let outcome: JoinOutcome;
    if (!this.acceptJoiningMember(group, req.memberId)) {
      const member = group.members.get(req.memberId);
      if (member) this.answerWaiting(group, member, ErrorCode.GROUP_MAX_SIZE_REACHED);
      group.remove(req.memberId);
      this.timers.cancel(group.groupId, heartbeatTimer(req.memberId));
      outcome = joinError('', ErrorCode.GROUP_MAX_SIZE_REACHED);
    } else if (isUnknownMember) {
      outcome = this.joinNewMember(group, req, respond);
    } else {
      outcome = this.joinCurrentMember(group, req, respond);
    }
    if (group.is(GroupState.PreparingRebalance)) this.tryCompleteJoin(group);
    this.discardIfUnused(group);
    return outcome;
  }

  /**
   * Whether one more member fits in group.max.size. During a rebalance the members that already
   * rejoined count, so that lowering the limit drops the last ones to rejoin.
   */
  private acceptJoiningMember(group: ClassicGroup, memberId: string): boolean {
    switch (group.state) {
      case GroupState.Empty:
      case GroupState.Dead:
        return true;
      case GroupState.PreparingRebalance:
        return (
          (group.members.get(memberId)?.awaitingJoin ?? null) !== null || group.numAwaitingJoin < this.settings.maxSize
        );
      case GroupState.CompletingRebalance:
      case GroupState.Stable:
        return group.has(memberId) || group.size < this.settings.maxSize;
    }
  }

  private joinNewMember(group: ClassicGroup, req: JoinRequest, respond: (r: JoinResult) => void): JoinOutcome {
    if (group.is(GroupState.Dead)) return joinError('', ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (!group.supportsProtocols(req.protocolType, req.protocols))
      return joinError('', ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const newMemberId = `${req.groupInstanceId ?? req.clientId}-${randomUUID()}`;
    if (req.groupInstanceId !== null) {
      const oldMemberId = group.staticMemberId(req.groupInstanceId);
      if (oldMemberId === undefined) {
        this.log.info(
          `static member ${req.groupInstanceId} joins group ${group.groupId} in state ${group.state} as ${newMemberId}`,
        );
        this.addMemberAndRebalance(group, req, newMemberId, respond);
      } else {
        this.log.info(
          `static member ${req.groupInstanceId} rejoins group ${group.groupId} in state ${group.state}: ${oldMemberId} becomes ${newMemberId}`,
        );
        this.updateStaticMemberAndRebalance(group, req, oldMemberId, newMemberId, respond);
      }
      return WAITING;
    }
    if (req.requireKnownMemberId) {
      // The client must come back with this id; until then it counts as pending for the rebalance.
      group.pendingMembers.add(newMemberId);
      this.scheduleExpiry(group, newMemberId, req.sessionTimeoutMs);
      return joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED);
    }
    this.addMemberAndRebalance(group, req, newMemberId, respond);
    return WAITING;
  }

  private joinCurrentMember(group: ClassicGroup, req: JoinRequest, respond: (r: JoinResult) => void): JoinOutcome {
    const memberId = req.memberId;
    if (group.is(GroupState.Dead)) return joinError(memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (!group.supportsProtocols(req.protocolType, req.protocols))
      return joinError(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    if (group.pendingMembers.has(memberId)) {
      // Pending members are never static: their id came with MEMBER_ID_REQUIRED, which static members skip.
      if (req.groupInstanceId !== null) return joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID);
      this.addMemberAndRebalance(group, req, memberId, respond);
      return WAITING;
    }
    const invalid = this.validateCurrentMember(group, memberId, req.groupInstanceId);
    if (invalid !== ErrorCode.NONE) return joinError(memberId, invalid);
    const member = group.get(memberId);
    const why = `client reason: ${req.reason ?? 'not provided'}`;
    switch (group.state) {
      case GroupState.PreparingRebalance:
        this.updateMemberAndRebalance(
          group,
          member,
          req,
          respond,
          `member ${memberId} joining during PreparingRebalance; ${why}`,
        );
        return WAITING;
      case GroupState.CompletingRebalance:
        // The same metadata again: the member missed the JoinGroup response of this generation.
        if (member.matches(req.protocols)) return this.generationResult(group, memberId, group.isLeader(memberId));
        this.updateMemberAndRebalance(group, member, req, respond, `member ${memberId} updated its metadata; ${why}`);
        return WAITING;
      case GroupState.Stable:
        // A rejoining leader forces a rebalance: it may have seen a change that members' metadata
        // does not show (new partitions of a subscribed topic).
        if (group.isLeader(memberId) || !member.matches(req.protocols)) {
          this.updateMemberAndRebalance(
            group,
            member,
            req,
            respond,
            `member ${memberId} rejoined Stable group; ${why}`,
          );
          return WAITING;
        }
        return this.generationResult(group, memberId, false);
      case GroupState.Empty:
      case GroupState.Dead:
        return joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID);
    }
  }

  private addMemberAndRebalance(
    group: ClassicGroup,
    req: JoinRequest,
    memberId: string,
    respond: (r: JoinResult) => void,
  ): void {
    const member = new GroupMember(
      memberId,
      req.groupInstanceId,
      req.clientId,
      req.clientHost,
      req.rebalanceTimeoutMs,
      req.sessionTimeoutMs,
      req.protocolType,
      req.protocols,
    );
    member.isNew = true;
    if (group.is(GroupState.PreparingRebalance) && group.generationId === 0) group.newMemberAdded = true;
    group.add(member, respond);
    // A new member cannot heartbeat before its JoinGroup returns; this bounds how long a client that
    // gave up on its JoinGroup stays in the rebalance.
    this.scheduleExpiry(group, memberId, NEW_MEMBER_JOIN_TIMEOUT_MS);
    this.maybePrepareRebalance(
      group,
      `adding new member ${memberId} with group instance id ${req.groupInstanceId}; client reason: ${req.reason ?? 'not provided'}`,
    );
  }

  private updateMemberAndRebalance(
    group: ClassicGroup,
    member: GroupMember,
    req: JoinRequest,
    respond: (r: JoinResult) => void,
    reason: string,
  ): void {
    // A JoinGroup of this member still waiting (sent on a connection the client gave up) is superseded.
    group.maybeInvokeJoin(member, joinError(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
    group.updateMember(member, req.protocols, req.rebalanceTimeoutMs, req.sessionTimeoutMs, respond);
    this.maybePrepareRebalance(group, reason);
  }

  private updateStaticMemberAndRebalance(
    group: ClassicGroup,
    req: JoinRequest,
    oldMemberId: string,
    newMemberId: string,
    respond: (r: JoinResult) => void,
  ): void {
    const instanceId = req.groupInstanceId as string;
    const previousLeader = group.leaderId;
    const member = group.replaceStaticMember(instanceId, oldMemberId, newMemberId);
    this.timers.cancel(group.groupId, heartbeatTimer(oldMemberId));
    this.scheduleExpiry(group, newMemberId, member.sessionTimeoutMs);
    const old = {
      protocols: member.protocols,
      rebalanceTimeoutMs: member.rebalanceTimeoutMs,
      sessionTimeoutMs: member.sessionTimeoutMs,
    };
    group.updateMember(member, req.protocols, req.rebalanceTimeoutMs, req.sessionTimeoutMs, respond);

    switch (group.state) {
      case GroupState.Stable: {
        if (group.protocolName !== group.selectProtocol()) {
          this.maybePrepareRebalance(
            group,
            `static member ${instanceId} rejoined with protocols that change the group's protocol`,
          );
          return;
        }
        // Nothing changes for the others: persist the new member id and hand back the current generation.
        const assignments = new Map([...group.members.values()].map((m) => [m.memberId, m.assignment]));
        void this.storeGroup(group, assignments).then((error) => {
          if (error !== ErrorCode.NONE) {
            this.log.warn(`failed to persist static member ${instanceId} of group ${group.groupId}: error ${error}`);
            group.updateMember(member, old.protocols, old.rebalanceTimeoutMs, old.sessionTimeoutMs, null);
            const reverted = group.replaceStaticMember(instanceId, newMemberId, oldMemberId);
            this.timers.cancel(group.groupId, heartbeatTimer(newMemberId));
            this.scheduleExpiry(group, oldMemberId, reverted.sessionTimeoutMs);
            respond({ ...this.generationResult(group, '', false), errorCode: error, leaderId: previousLeader ?? '' });
            return;
          }
          const isLeader = group.isLeader(newMemberId);
          if (req.supportSkippingAssignment) {
            // JoinGroup v9+: the leader learns it leads but keeps the current assignment.
            group.maybeInvokeJoin(member, {
              ...this.generationResult(group, newMemberId, isLeader),
              skipAssignment: isLeader,
            });
          } else {
            // Before v9 the member is not told it leads, so that it does not trigger a rebalance.
            group.maybeInvokeJoin(member, {
              ...this.generationResult(group, newMemberId, false),
              leaderId: previousLeader ?? '',
            });
          }
        });
        return;
      }
      case GroupState.CompletingRebalance:
        // The leader may already be assigning with the old member id: rebalance so that it sees the new one.
        this.prepareRebalance(group, `static member ${instanceId} rejoined during CompletingRebalance`);
        return;
      case GroupState.PreparingRebalance:
        return;
      case GroupState.Empty:
      case GroupState.Dead:
        // A static member exists, so the group is neither Empty nor Dead.
        throw new Error(`group ${group.groupId} in state ${group.state} has static member ${instanceId}`);
    }
  }

  /** The current generation as a JoinGroup answer, with all members' metadata for the leader. */
  private generationResult(group: ClassicGroup, memberId: string, withMembers: boolean): JoinResult {
    return {
      errorCode: ErrorCode.NONE,
      memberId,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leaderId: group.leaderId ?? '',
      skipAssignment: false,
      members: withMembers ? group.currentMemberMetadata() : [],
    };
  }

  /**
   * FENCED_INSTANCE_ID when group.instance.id is held by another member id, UNKNOWN_MEMBER_ID when the
   * member (or the instance id) is not in the group (GroupCoordinator.validateCurrentMember).
   */
  validateCurrentMember(group: ClassicGroup, memberId: string, groupInstanceId: string | null): number {
    if (groupInstanceId !== null) {
      const current = group.staticMemberId(groupInstanceId);
      if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (current !== memberId) {
        this.log.info(
          `member ${memberId} of static member ${groupInstanceId} in group ${group.groupId} is fenced by ${current}`,
        );
        return ErrorCode.FENCED_INSTANCE_ID;
      }
    }
    return group.has(memberId) ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
  }

  // The rebalance.

  private maybePrepareRebalance(group: ClassicGroup, reason: string): void {
    if (group.canRebalance) this.prepareRebalance(group, reason);
  }

  private prepareRebalance(group: ClassicGroup, reason: string): void {
    // Members waiting for an assignment of the generation being abandoned must rejoin.
    if (group.is(GroupState.CompletingRebalance))
      this.resetAndPropagateAssignmentError(group, ErrorCode.REBALANCE_IN_PROGRESS);
    this.timers.cancel(group.groupId, SYNC_TIMER);
    const initial = group.is(GroupState.Empty);
    group.transitionTo(GroupState.PreparingRebalance, this.now());
    this.log.info(
      `preparing to rebalance group ${group.groupId} with old generation ${group.generationId} ` +
        `(__consumer_offsets-${this.registry.partitionFor(group.groupId)}) (reason: ${reason})`,
    );
    if (initial) {
      const delay = this.settings.initialRebalanceDelayMs;
      this.scheduleInitialJoin(group, delay, Math.max(group.rebalanceTimeoutMs - delay, 0));
    } else {
      this.scheduleJoin(group);
      this.tryCompleteJoin(group);
    }
  }

  private scheduleJoin(group: ClassicGroup): void {
    this.timers.schedule(group.groupId, JOIN_TIMER, group.rebalanceTimeoutMs, () => {
      if (this.isCurrent(group) && group.is(GroupState.PreparingRebalance)) this.completeJoin(group);
    });
  }

  /** The first rebalance of a new group waits for more members, as long as they keep coming. */
  private scheduleInitialJoin(group: ClassicGroup, delayMs: number, remainingMs: number): void {
    this.timers.schedule(group.groupId, INITIAL_JOIN_TIMER, delayMs, () => {
      if (!this.isCurrent(group) || !group.is(GroupState.PreparingRebalance)) return;
      if (group.newMemberAdded && remainingMs !== 0) {
        group.newMemberAdded = false;
        const nextDelay = Math.min(this.settings.initialRebalanceDelayMs, remainingMs);
        this.scheduleInitialJoin(group, nextDelay, Math.max(remainingMs - delayMs, 0));
      } else {
        this.completeJoin(group);
      }
    });
  }

  /** Completes the join phase early once everyone is in (not during the initial delay). */
  private tryCompleteJoin(group: ClassicGroup): void {
    if (!group.is(GroupState.PreparingRebalance) || !this.timers.has(group.groupId, JOIN_TIMER)) return;
    if (group.hasAllMembersJoined) this.completeJoin(group);
  }

  private completeJoin(group: ClassicGroup): void {
    this.timers.cancel(group.groupId, JOIN_TIMER);
    this.timers.cancel(group.groupId, INITIAL_JOIN_TIMER);
    const gone = group.notYetRejoinedMembers().filter((m) => !m.isStatic);
    if (gone.length > 0) {
      this.log.info(
        `group ${group.groupId} removed dynamic members who haven't joined: ${gone.map((m) => m.memberId).join(', ')}`,
      );
      for (const m of gone) {
        this.answerWaiting(group, m, ErrorCode.UNKNOWN_MEMBER_ID);
        group.remove(m.memberId);
        this.timers.cancel(group.groupId, heartbeatTimer(m.memberId));
      }
    }
    if (group.is(GroupState.Dead)) return;
    if (!group.maybeElectNewJoinedLeader() && group.size > 0) {
      // Only static members that have not rejoined are left: wait for them, or for their sessions to end.
      this.log.error(`group ${group.groupId} could not complete rebalance because no members rejoined`);
      this.scheduleJoin(group);
      this.tryCompleteJoin(group);
      return;
    }
    group.initNextGeneration(this.now());
    const partition = `__consumer_offsets-${this.registry.partitionFor(group.groupId)}`;
    if (group.is(GroupState.Empty)) {
      this.log.info(`group ${group.groupId} with generation ${group.generationId} is now empty (${partition})`);
      void this.storeGroup(group, new Map()).then((error) => {
        // An old generation in the log is harmless: its members have no session and expire after a restart.
        if (error !== ErrorCode.NONE)
          this.log.warn(`failed to write empty metadata for group ${group.groupId}: error ${error}`);
      });
      return;
    }
    this.log.info(
      `stabilized group ${group.groupId} generation ${group.generationId} (${partition}) with ${group.size} members`,
    );
    for (const member of group.members.values()) {
      group.maybeInvokeJoin(member, this.generationResult(group, member.memberId, group.isLeader(member.memberId)));
      this.scheduleExpiry(group, member.memberId, member.sessionTimeoutMs);
      member.isNew = false;
      group.pendingSyncMembers.add(member.memberId);
    }
    const generation = group.generationId;
    this.timers.schedule(group.groupId, SYNC_TIMER, group.rebalanceTimeoutMs, () =>
      this.onSyncExpired(group, generation),
    );
  }

  /** Members that did not send SyncGroup in time are dropped (GroupCoordinator.onExpirePendingSync). */
  private onSyncExpired(group: ClassicGroup, generation: number): void {
    if (!this.isCurrent(group) || group.generationId !== generation) return;
    if (!group.is(GroupState.CompletingRebalance) && !group.is(GroupState.Stable)) return;
    const pending = [...group.pendingSyncMembers];
    if (pending.length === 0) return;
    for (const id of pending) {
      const m = group.members.get(id);
      if (m) this.answerWaiting(group, m, ErrorCode.UNKNOWN_MEMBER_ID);
      group.remove(id);
      this.timers.cancel(group.groupId, heartbeatTimer(id));
    }
    this.prepareRebalance(group, `removing ${pending.join(', ')} on pending sync request expiration`);
  }

  private removePendingSyncMember(group: ClassicGroup, memberId: string): void {
    group.pendingSyncMembers.delete(memberId);
    if (group.pendingSyncMembers.size === 0) this.timers.cancel(group.groupId, SYNC_TIMER);
  }

  // SyncGroup.

  sync(req: SyncRequest): Promise<SyncResult> {
    const status = this.registry.statusOf(req.groupId, false);
    // While loading, the rebalance in progress was lost: the member must rejoin. Old clients do not
    // know COORDINATOR_LOAD_IN_PROGRESS here, so they are told REBALANCE_IN_PROGRESS.
    if (status === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)
      return Promise.resolve(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
    if (status !== ErrorCode.NONE) return Promise.resolve(syncError(status));
    const group = this.registry.get(req.groupId);
    if (!group) return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    const invalid = this.validateSync(group, req);
    if (invalid !== ErrorCode.NONE) return Promise.resolve(syncError(invalid));

    switch (group.state) {
      case GroupState.Empty:
        return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
      case GroupState.PreparingRebalance:
        return Promise.resolve(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      case GroupState.Stable: {
        this.removePendingSyncMember(group, req.memberId);
        const member = group.get(req.memberId);
        this.scheduleExpiry(group, member.memberId, member.sessionTimeoutMs);
        return Promise.resolve({
          errorCode: ErrorCode.NONE,
          protocolType: group.protocolType,
          protocolName: group.protocolName,
          assignment: member.assignment,
        });
      }
      case GroupState.CompletingRebalance:
        return new Promise((respond) => {
          const member = group.get(req.memberId);
          group.maybeInvokeSync(member, syncError(ErrorCode.REBALANCE_IN_PROGRESS));
          member.awaitingSync = respond;
          this.removePendingSyncMember(group, req.memberId);
          if (group.isLeader(req.memberId)) this.onLeaderSync(group, req);
        });
      case GroupState.Dead:
        return Promise.resolve(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    }
  }

  private validateSync(group: ClassicGroup, req: SyncRequest): number {
    if (group.is(GroupState.Dead)) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const invalid = this.validateCurrentMember(group, req.memberId, req.groupInstanceId);
    if (invalid !== ErrorCode.NONE) return invalid;
    if (req.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    if (req.protocolType !== null && req.protocolType !== group.protocolType)
      return ErrorCode.INCONSISTENT_GROUP_PROTOCOL;
    if (req.protocolName !== null && req.protocolName !== group.protocolName)
      return ErrorCode.INCONSISTENT_GROUP_PROTOCOL;
    return ErrorCode.NONE;
  }

  /** The leader's assignments: persisted, then handed out; the group is then Stable. */
  private onLeaderSync(group: ClassicGroup, req: SyncRequest): void {
    this.log.info(
      `assignment received from leader ${req.memberId} for group ${group.groupId} for generation ${group.generationId}; ` +
        `the group has ${group.size} members, ${group.staticMembers.size} of which are static`,
    );
    const assignments = new Map<string, Buffer>();
    for (const a of req.assignments) assignments.set(a.memberId, a.assignment);
    const missing = [...group.members.keys()].filter((id) => !assignments.has(id));
    for (const id of missing) assignments.set(id, EMPTY);
    if (missing.length > 0) {
      this.log.warn(
        `setting empty assignments for members ${missing.join(', ')} of ${group.groupId} for generation ${group.generationId}`,
      );
    }
    const generation = group.generationId;
    void this.storeGroup(group, assignments).then((error) => {
      // A member may have joined meanwhile, starting another rebalance: then this generation is over.
      if (!group.is(GroupState.CompletingRebalance) || group.generationId !== generation) return;
      if (error !== ErrorCode.NONE) {
        this.resetAndPropagateAssignmentError(group, error);
        this.maybePrepareRebalance(
          group,
          `error ${error} when storing group assignment during SyncGroup (member: ${req.memberId})`,
        );
        return;
      }
      for (const m of group.members.values()) m.assignment = assignments.get(m.memberId) ?? EMPTY;
      this.propagateAssignment(group, ErrorCode.NONE);
      group.transitionTo(GroupState.Stable, this.now());
    });
  }

  private resetAndPropagateAssignmentError(group: ClassicGroup, error: number): void {
    for (const m of group.members.values()) m.assignment = EMPTY;
    this.propagateAssignment(group, error);
  }

  private propagateAssignment(group: ClassicGroup, error: number): void {
    for (const m of group.members.values()) {
      const result: SyncResult =
        error === ErrorCode.NONE
          ? {
              errorCode: ErrorCode.NONE,
              protocolType: group.protocolType,
              protocolName: group.protocolName,
              assignment: m.assignment,
            }
          : syncError(error);
      // The session restarts once the member has its answer: an expiry while it waited was ignored.
      if (group.maybeInvokeSync(m, result)) this.scheduleExpiry(group, m.memberId, m.sessionTimeoutMs);
    }
  }

  // Heartbeat.

  heartbeat(req: HeartbeatRequest): number {
    const status = this.registry.statusOf(req.groupId, false);
    // While loading, the heartbeat is accepted blindly: the member learns the truth once loaded.
    if (status === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) return ErrorCode.NONE;
    if (status !== ErrorCode.NONE) return status;
    const group = this.registry.get(req.groupId);
    if (!group) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (group.is(GroupState.Dead)) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const invalid = this.validateCurrentMember(group, req.memberId, req.groupInstanceId);
    if (invalid !== ErrorCode.NONE) return invalid;
    if (req.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    switch (group.state) {
      case GroupState.Empty:
        return ErrorCode.UNKNOWN_MEMBER_ID;
      case GroupState.CompletingRebalance:
      case GroupState.Stable:
        this.touch(group, req.memberId);
        return ErrorCode.NONE;
      case GroupState.PreparingRebalance:
        this.touch(group, req.memberId);
        return ErrorCode.REBALANCE_IN_PROGRESS;
      case GroupState.Dead:
        return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
  }

  /** Restarts a member's session: it heartbeated, synced or committed. */
  touch(group: ClassicGroup, memberId: string): void {
    const member = group.members.get(memberId);
    if (member) this.scheduleExpiry(group, memberId, member.sessionTimeoutMs);
  }

  private scheduleExpiry(group: ClassicGroup, memberId: string, timeoutMs: number): void {
    this.timers.schedule(group.groupId, heartbeatTimer(memberId), timeoutMs, () => this.onExpired(group, memberId));
  }

  private onExpired(group: ClassicGroup, memberId: string): void {
    if (!this.isCurrent(group)) return;
    if (group.pendingMembers.has(memberId)) {
      this.log.info(
        `pending member ${memberId} in group ${group.groupId} has been removed after session timeout expiration`,
      );
      this.removePendingMember(group, memberId);
      return;
    }
    const member = group.members.get(memberId);
    if (!member) return;
    // A member waiting in JoinGroup or SyncGroup is alive by definition (unless it is new and never
    // got its first JoinGroup answer); its session restarts when it gets the answer.
    if (!member.isNew && (member.awaitingJoin || member.awaitingSync)) return;
    this.log.info(`member ${memberId} in group ${group.groupId} has failed, removing it from the group`);
    this.removeMemberAndUpdateGroup(group, member, `removing member ${memberId} on heartbeat expiration`);
  }

  // LeaveGroup.

  leave(groupId: string, members: readonly LeavingMember[]): LeaveResult {
    const status = this.registry.statusOf(groupId, false);
    if (status !== ErrorCode.NONE) return { errorCode: status, members: [] };
    const group = this.registry.get(groupId);
    if (!group)
      return {
        errorCode: ErrorCode.NONE,
        members: members.map((m) => ({ ...m, errorCode: ErrorCode.UNKNOWN_MEMBER_ID })),
      };
    if (group.is(GroupState.Dead)) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    const results = members.map((m) => ({ ...m, errorCode: this.leaveOne(group, m) }));
    return { errorCode: ErrorCode.NONE, members: results };
  }

  private leaveOne(group: ClassicGroup, leaving: LeavingMember): number {
    const why = `client reason: ${leaving.reason ?? 'not provided'}`;
    if (leaving.memberId === '') {
      // Administrative removal of a static member by group.instance.id alone (KIP-345).
      const current = leaving.groupInstanceId === null ? undefined : group.staticMemberId(leaving.groupInstanceId);
      if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      this.removeMember(group, current, `removing member ${current} on LeaveGroup; ${why}`);
      return ErrorCode.NONE;
    }
    if (group.pendingMembers.has(leaving.memberId)) {
      this.removePendingMember(group, leaving.memberId);
      this.timers.cancel(group.groupId, heartbeatTimer(leaving.memberId));
      return ErrorCode.NONE;
    }
    const invalid = this.validateCurrentMember(group, leaving.memberId, leaving.groupInstanceId);
    if (invalid !== ErrorCode.NONE) return invalid;
    this.removeMember(group, leaving.memberId, `removing member ${leaving.memberId} on LeaveGroup; ${why}`);
    return ErrorCode.NONE;
  }

  private removeMember(group: ClassicGroup, memberId: string, reason: string): void {
    this.log.info(`member ${memberId} has left group ${group.groupId} through explicit LeaveGroup`);
    this.removeMemberAndUpdateGroup(group, group.get(memberId), reason);
    this.timers.cancel(group.groupId, heartbeatTimer(memberId));
  }

  private removeMemberAndUpdateGroup(group: ClassicGroup, member: GroupMember, reason: string): void {
    // A new member may still wait in JoinGroup: UNKNOWN_MEMBER_ID makes it join again if it is alive.
    this.answerWaiting(group, member, ErrorCode.UNKNOWN_MEMBER_ID);
    group.remove(member.memberId);
    switch (group.state) {
      case GroupState.Stable:
      case GroupState.CompletingRebalance:
        this.maybePrepareRebalance(group, reason);
        break;
      case GroupState.PreparingRebalance:
        this.tryCompleteJoin(group);
        break;
      default:
        break;
    }
  }

  private removePendingMember(group: ClassicGroup, memberId: string): void {
    group.remove(memberId);
    this.tryCompleteJoin(group);
  }

  private answerWaiting(group: ClassicGroup, member: GroupMember, error: number): void {
    group.maybeInvokeJoin(member, joinError(error === ErrorCode.UNKNOWN_MEMBER_ID ? '' : member.memberId, error));
    group.maybeInvokeSync(member, syncError(error));
  }

  // DescribeGroups and ListGroups.

  describe(groupId: string): GroupDescription {
    const none = { groupId, protocolType: '', protocolData: '', members: [] };
    const status = this.registry.statusOf(groupId, true);
    if (status !== ErrorCode.NONE) return { ...none, errorCode: status, state: '' };
    const group = this.registry.get(groupId);
    if (!group) return { ...none, errorCode: ErrorCode.NONE, state: GroupState.Dead };
    const stable = group.is(GroupState.Stable) && group.protocolName !== null;
    const protocol = group.protocolName ?? '';
    return {
      errorCode: ErrorCode.NONE,
      groupId,
      state: group.state,
      protocolType: group.protocolType ?? '',
      protocolData: stable ? protocol : '',
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: stable ? m.metadata(protocol) : EMPTY,
        assignment: stable ? m.assignment : EMPTY,
      })),
    };
  }

  /** Groups of the loaded partitions, filtered by state and type (case-insensitive; empty: all). */
  list(states: readonly string[], types: readonly string[]): { errorCode: number; groups: GroupOverview[] } {
    if (!this.registry.active) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [] };
    const wantedStates = new Set(states.map((s) => s.toLowerCase()));
    const wantedTypes = new Set(types.map((t) => t.toLowerCase()));
    const groups = [...this.registry.groups.values()]
      .filter((g) => !g.is(GroupState.Dead))
      .filter((g) => wantedStates.size === 0 || wantedStates.has(g.state.toLowerCase()))
      .filter(() => wantedTypes.size === 0 || wantedTypes.has('classic'))
      .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType ?? '', state: g.state, type: 'classic' }));
    return { errorCode: this.registry.anyLoading ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE, groups };
  }

  // Loading and unloading.

  /** A group just read from the log: its members' sessions start now (GroupCoordinator.onGroupLoaded). */
  onGroupLoaded(group: ClassicGroup): void {
    if (group.size > this.settings.maxSize) {
      this.prepareRebalance(
        group,
        `freshly-loaded group is over capacity (${group.size} members, group.max.size ${this.settings.maxSize})`,
      );
    }
    for (const m of group.members.values()) this.scheduleExpiry(group, m.memberId, m.sessionTimeoutMs);
  }

  /** The group leaves this coordinator (partition moved, shutdown): waiting requests get `error`. */
  unloadGroup(group: ClassicGroup, error: number): void {
    group.transitionTo(GroupState.Dead, this.now());
    for (const m of group.members.values()) this.answerWaiting(group, m, error);
    this.timers.cancelGroup(group.groupId);
  }

  /** Forgets a group that a failed first JoinGroup created and that holds nothing. */
  private discardIfUnused(group: ClassicGroup): void {
    if (
      group.is(GroupState.Empty) &&
      group.generationId === 0 &&
      group.size === 0 &&
      group.pendingMembers.size === 0 &&
      !group.hasOffsets
    ) {
      this.timers.cancelGroup(group.groupId);
      this.registry.remove(group);
    }
  }

  private isCurrent(group: ClassicGroup): boolean {
    return !group.is(GroupState.Dead) && this.registry.get(group.groupId) === group;
  }

  /** Writes the group's metadata; resolves with the error members should see (NONE on success). */
  private async storeGroup(group: ClassicGroup, assignments: ReadonlyMap<string, Buffer>): Promise<number> {
    const record = group.toRecord(assignments);
    try {
      await this.deps.store.append(this.registry.partitionFor(group.groupId), [
        { type: 'group-metadata', group: group.groupId, value: record },
      ]);
      return ErrorCode.NONE;
    } catch (e) {
      return groupStoreErrorFor(appendErrorCode(e));
    }
  }
}

/**
 * Committed offsets (OffsetCommit, OffsetFetch, OffsetDelete), group deletion (DeleteGroups) and the
 * expiry of old offsets, after Kafka's GroupCoordinator and GroupMetadataManager:
 *
 * - A commit from a group member must carry the current generation and member id; a "simple" commit
 *   (generation -1, no member id: kcat -o, the admin client, assign() consumers) is accepted only
 *   while the group has no members, and creates the group when there is none.
 * - A commit is answered once its records are in __consumer_offsets; only then do fetches see it.
 * - Deleting offsets or a group writes tombstones; a group left Empty without offsets is gone (Dead).
 * - Offsets expire after offsets.retention.minutes: those of an Empty group counted from when it
 *   became empty, those of a group that only commits counted from the commit, and in a Stable
 *   consumer group those of topics nobody subscribes to any more.
 */
import { ErrorCode } from '@flotilla/protocol';
import type { Logger } from '../logger.js';
import { type ClassicGroup, GroupState } from './classic-group.js';
import type { GroupRegistry, GroupSettings } from './group-registry.js';
import { appendErrorCode, commitErrorFor, type GroupStore } from './group-store.js';
import type { GroupMembership } from './membership.js';
import type { OffsetsTopicRecord } from './records.js';
import type { GroupTimers } from './timers.js';

export interface OffsetToCommit {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly leaderEpoch: number;
  readonly metadata: string | null;
  /** OffsetCommit v1's commit timestamp; absent or -1 means the time of the commit. */
  readonly commitTimestamp?: number;
}

export interface OffsetCommitInput {
  readonly groupId: string;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  /** -1 for a commit from outside group management. */
  readonly generationId: number;
  readonly offsets: readonly OffsetToCommit[];
}

export interface TxnOffsetCommitInput extends OffsetCommitInput {
  readonly producerId: number;
  readonly producerEpoch: number;
}

export interface TopicPartitions {
  readonly topic: string;
  readonly partitions: readonly number[];
}

export interface FetchedOffset {
  readonly partition: number;
  readonly offset: bigint;
  readonly leaderEpoch: number;
  readonly metadata: string;
  readonly errorCode: number;
}

export interface FetchedOffsets {
  readonly errorCode: number;
  readonly topics: readonly { topic: string; partitions: readonly FetchedOffset[] }[];
}

export interface OffsetsDeps {
  readonly registry: GroupRegistry;
  readonly store: GroupStore;
  readonly timers: GroupTimers;
  readonly settings: GroupSettings;
  readonly membership: GroupMembership;
  /** Whether the topic partition exists (commits and deletes of unknown ones are refused, as in KafkaApis). */
  readonly partitionExists: (topic: string, partition: number) => boolean;
  readonly log: Logger;
  readonly now: () => number;
}

const UNKNOWN_OFFSET = -1n;

export class GroupOffsets {
  private readonly registry: GroupRegistry;

  constructor(private readonly deps: OffsetsDeps) {
    this.registry = deps.registry;
  }

  /** Commits offsets; resolves with one error code per input offset, in order. */
  async commit(input: OffsetCommitInput): Promise<number[]> {
    const results: number[] = input.offsets.map((o) =>
      this.deps.partitionExists(o.topic, o.partition) ? ErrorCode.NONE : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    );
    const known = input.offsets.map((_, i) => i).filter((i) => results[i] === ErrorCode.NONE);
    if (known.length === 0) return results;
    const fail = (code: number) => {
      for (const i of known) results[i] = code;
      return results;
    };

    const status = this.registry.statusOf(input.groupId, true);
    if (status !== ErrorCode.NONE) return fail(status);
    let group = this.registry.get(input.groupId);
    if (!group) {
      // No group: either a consumer that does not use group management, or a stale generation.
      if (input.generationId >= 0) return fail(ErrorCode.ILLEGAL_GENERATION);
      group = this.registry.getOrCreate(input.groupId, this.deps.now());
    }
    const invalid = this.validateCommit(group, input);
    if (invalid !== ErrorCode.NONE) return fail(invalid);
    switch (group.state) {
      case GroupState.CompletingRebalance:
        // A valid member between JoinGroup and SyncGroup: it should sync first, then commit.
        return fail(ErrorCode.REBALANCE_IN_PROGRESS);
      case GroupState.Stable:
      case GroupState.PreparingRebalance:
        // Commits go on during a rebalance; the member learns of it from its next heartbeat.
        this.deps.membership.touch(group, input.memberId);
        break;
      default:
        break;
    }
    return this.store(group, input.offsets, known, results);
  }

  /**
   * TxnOffsetCommit (GroupCoordinator.handleTxnCommitOffsets): offsets written in the producer's
   * transaction, visible only once its COMMIT marker reaches the group's partition. The group is
   * created when missing; a member id or generation, when given, must be the group's current ones.
   */
  async commitTransactional(input: TxnOffsetCommitInput): Promise<number[]> {
    const results: number[] = input.offsets.map((o) =>
      this.deps.partitionExists(o.topic, o.partition) ? ErrorCode.NONE : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    );
    const known = input.offsets.map((_, i) => i).filter((i) => results[i] === ErrorCode.NONE);
    if (known.length === 0) return results;
    const fail = (code: number) => {
      for (const i of known) results[i] = code;
      return results;
    };
    const status = this.registry.statusOf(input.groupId, false);
    if (status !== ErrorCode.NONE) return fail(status);
    const group = this.registry.getOrCreate(input.groupId, this.deps.now());
    if (group.is(GroupState.Dead)) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (input.memberId !== '' || input.groupInstanceId !== null) {
      const invalid = this.deps.membership.validateCurrentMember(group, input.memberId, input.groupInstanceId);
      if (invalid !== ErrorCode.NONE) return fail(invalid);
    }
    if (input.generationId >= 0 && input.generationId !== group.generationId) return fail(ErrorCode.ILLEGAL_GENERATION);
    const store = this.deps.store.appendTransactional?.bind(this.deps.store);
    if (!store) return fail(ErrorCode.UNSUPPORTED_VERSION);
    const maxBytes = this.deps.settings.maxMetadataBytes;
    const writable = known.filter((i) => {
      const metadata = (input.offsets[i] as OffsetToCommit).metadata;
      if (metadata === null || metadata.length <= maxBytes) return true;
      results[i] = ErrorCode.OFFSET_METADATA_TOO_LARGE;
      return false;
    });
    if (writable.length === 0) return results;
    const now = this.deps.now();
    const values = writable.map((i) => {
      const o = input.offsets[i] as OffsetToCommit;
      return {
        topic: o.topic,
        partition: o.partition,
        value: {
          offset: o.offset,
          leaderEpoch: o.leaderEpoch,
          metadata: o.metadata ?? '',
          commitTimestamp: now,
          expireTimestamp: -1,
        },
      };
    });
    const records: OffsetsTopicRecord[] = values.map((v) => ({
      type: 'offset-commit',
      key: { group: group.groupId, topic: v.topic, partition: v.partition },
      value: v.value,
    }));
    let error: number = ErrorCode.NONE;
    try {
      await store(this.registry.partitionFor(group.groupId), records, {
        producerId: input.producerId,
        producerEpoch: input.producerEpoch,
      });
    } catch (e) {
      error = commitErrorFor(appendErrorCode(e));
      this.deps.log.warn(`transactional offset commit of group ${group.groupId} failed: ${(e as Error).message}`);
    }
    if (error === ErrorCode.NONE)
      for (const v of values) group.addPendingTxnOffset(input.producerId, v.topic, v.partition, v.value);
    for (const i of writable) results[i] = error;
    return results;
  }

  private validateCommit(group: ClassicGroup, input: OffsetCommitInput): number {
    if (group.is(GroupState.Dead)) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (input.generationId >= 0 || input.memberId !== '' || input.groupInstanceId !== null) {
      const invalid = this.deps.membership.validateCurrentMember(group, input.memberId, input.groupInstanceId);
      if (invalid !== ErrorCode.NONE) return invalid;
      return input.generationId === group.generationId ? ErrorCode.NONE : ErrorCode.ILLEGAL_GENERATION;
    }
    // When the group has members, only they may commit.
    return group.is(GroupState.Empty) ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
  }

  private async store(
    group: ClassicGroup,
    offsets: readonly OffsetToCommit[],
    indexes: readonly number[],
    results: number[],
  ): Promise<number[]> {
    const maxBytes = this.deps.settings.maxMetadataBytes;
    // Java's String.length: UTF-16 code units, as JavaScript's.
    const writable = indexes.filter((i) => {
      const metadata = (offsets[i] as OffsetToCommit).metadata;
      if (metadata === null || metadata.length <= maxBytes) return true;
      results[i] = ErrorCode.OFFSET_METADATA_TOO_LARGE;
      return false;
    });
    if (writable.length === 0) {
      this.discardIfUnused(group);
      return results;
    }
    const now = this.deps.now();
    const records: OffsetsTopicRecord[] = writable.map((i) => {
      const o = offsets[i] as OffsetToCommit;
      return {
        type: 'offset-commit',
        key: { group: group.groupId, topic: o.topic, partition: o.partition },
        value: {
          offset: o.offset,
          leaderEpoch: o.leaderEpoch,
          metadata: o.metadata ?? '',
          commitTimestamp: o.commitTimestamp === undefined || o.commitTimestamp === -1 ? now : o.commitTimestamp,
          expireTimestamp: -1,
        },
      };
    });
    for (const i of writable)
      group.beginOffsetCommit((offsets[i] as OffsetToCommit).topic, (offsets[i] as OffsetToCommit).partition);
    let error: number = ErrorCode.NONE;
    try {
      await this.deps.store.append(this.registry.partitionFor(group.groupId), records);
    } catch (e) {
      error = commitErrorFor(appendErrorCode(e));
      this.deps.log.warn(`offset commit of group ${group.groupId} failed: ${(e as Error).message}`);
    }
    writable.forEach((i, n) => {
      const o = offsets[i] as OffsetToCommit;
      group.endOffsetCommit(o.topic, o.partition);
      const value = (records[n] as Extract<OffsetsTopicRecord, { type: 'offset-commit' }>).value;
      if (error === ErrorCode.NONE && value && !group.is(GroupState.Dead)) group.setOffset(o.topic, o.partition, value);
      results[i] = error;
    });
    if (error !== ErrorCode.NONE) this.discardIfUnused(group);
    return results;
  }

  /**
   * Committed offsets of the group: of the given partitions, or all of them (`topics` null).
   * Unknown partitions get offset -1; the group need not exist or have members.
   */
  fetch(groupId: string, topics: readonly TopicPartitions[] | null, requireStable: boolean): FetchedOffsets {
    const status = this.registry.statusOf(groupId, true);
    if (status !== ErrorCode.NONE) return { errorCode: status, topics: [] };
    const group = this.registry.get(groupId);
    const unknown = (partition: number, errorCode: number = ErrorCode.NONE): FetchedOffset => ({
      partition,
      offset: UNKNOWN_OFFSET,
      leaderEpoch: -1,
      metadata: '',
      errorCode,
    });
    if (!group || group.is(GroupState.Dead)) {
      return {
        errorCode: ErrorCode.NONE,
        topics: (topics ?? []).map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => unknown(p)) })),
      };
    }
    const wanted =
      topics ?? [...group.offsets].map(([topic, partitions]) => ({ topic, partitions: [...partitions.keys()] }));
    return {
      errorCode: ErrorCode.NONE,
      topics: wanted.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((p) => {
          if (requireStable && group.hasPendingOffsetCommit(t.topic, p))
            return unknown(p, ErrorCode.UNSTABLE_OFFSET_COMMIT);
          const o = group.offset(t.topic, p);
          if (!o) return unknown(p);
          return {
            partition: p,
            offset: o.offset,
            leaderEpoch: o.leaderEpoch,
            metadata: o.metadata,
            errorCode: ErrorCode.NONE,
          };
        }),
      })),
    };
  }

  /**
   * OffsetDelete: removes offsets of an Empty group, or of topics a consumer group does not
   * subscribe to (GROUP_SUBSCRIBED_TO_TOPIC for the others).
   */
  async deleteOffsets(
    groupId: string,
    topics: readonly TopicPartitions[],
  ): Promise<{
    errorCode: number;
    topics: { topic: string; partitions: { partition: number; errorCode: number }[] }[];
  }> {
    const status = this.registry.statusOf(groupId, false);
    if (status !== ErrorCode.NONE) return { errorCode: status, topics: [] };
    const group = this.registry.get(groupId);
    if (!group || group.is(GroupState.Dead)) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] };
    const deletable = group.is(GroupState.Empty);
    if (!deletable && !group.isConsumerGroup) return { errorCode: ErrorCode.NON_EMPTY_GROUP, topics: [] };
    const removed: { topic: string; partition: number }[] = [];
    const results = topics.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((partition) => {
        if (!this.deps.partitionExists(t.topic, partition))
          return { partition, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
        if (!deletable && group.isSubscribedToTopic(t.topic))
          return { partition, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC };
        if (group.removeOffset(t.topic, partition)) removed.push({ topic: t.topic, partition });
        return { partition, errorCode: ErrorCode.NONE };
      }),
    }));
    await this.cleanup(group, removed);
    if (removed.length > 0) this.deps.log.info(`removed ${removed.length} offsets of group ${groupId}`);
    return { errorCode: ErrorCode.NONE, topics: results };
  }

  /** DeleteGroups: Empty groups go, with their offsets; others get NON_EMPTY_GROUP. */
  async deleteGroups(groupIds: readonly string[]): Promise<{ groupId: string; errorCode: number }[]> {
    const results: { groupId: string; errorCode: number }[] = [];
    const eligible: ClassicGroup[] = [];
    for (const groupId of groupIds) {
      const status = this.registry.statusOf(groupId, true);
      const group = this.registry.get(groupId);
      if (status !== ErrorCode.NONE) results.push({ groupId, errorCode: status });
      else if (!group || group.is(GroupState.Dead)) results.push({ groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND });
      else if (!group.is(GroupState.Empty)) results.push({ groupId, errorCode: ErrorCode.NON_EMPTY_GROUP });
      else {
        group.transitionTo(GroupState.Dead, this.deps.now());
        eligible.push(group);
        results.push({ groupId, errorCode: ErrorCode.NONE });
      }
    }
    for (const group of eligible) {
      const removed = group.allOffsets().map(({ topic, partition }) => ({ topic, partition }));
      for (const r of removed) group.removeOffset(r.topic, r.partition);
      await this.cleanup(group, removed);
      this.deps.log.info(`deleted group ${group.groupId} and its ${removed.length} offsets`);
    }
    return results;
  }

  /** Removes expired offsets of every group, and groups left Empty without offsets. */
  async expireOffsets(now: number): Promise<number> {
    let total = 0;
    for (const group of [...this.registry.groups.values()]) {
      if (group.is(GroupState.Dead)) continue;
      const removed = group.removeExpiredOffsets(now, this.deps.settings.offsetsRetentionMs);
      total += removed.length;
      await this.cleanup(group, removed);
    }
    if (total > 0) this.deps.log.info(`removed ${total} expired offsets`);
    return total;
  }

  /**
   * Writes tombstones for removed offsets; an Empty group without offsets becomes Dead and leaves the
   * registry, with a tombstone for its metadata when it ever had a generation (GroupMetadataManager
   * .cleanupGroupMetadata). Tombstones that fail to be written are logged: the next cleanup, or
   * the group's expiry after a restart, removes what they would have.
   */
  private async cleanup(group: ClassicGroup, removed: readonly { topic: string; partition: number }[]): Promise<void> {
    if (group.is(GroupState.Empty) && !group.hasOffsets && group.pendingMembers.size === 0) {
      group.transitionTo(GroupState.Dead, this.deps.now());
    }
    const records: OffsetsTopicRecord[] = removed.map(({ topic, partition }) => ({
      type: 'offset-commit',
      key: { group: group.groupId, topic, partition },
      value: null,
    }));
    if (group.is(GroupState.Dead)) {
      this.deps.log.info(`group ${group.groupId} transitioned to Dead in generation ${group.generationId}`);
      this.registry.remove(group);
      this.deps.timers.cancelGroup(group.groupId);
      if (group.generationId > 0) records.push({ type: 'group-metadata', group: group.groupId, value: null });
    }
    if (records.length === 0) return;
    try {
      await this.deps.store.append(this.registry.partitionFor(group.groupId), records);
    } catch (e) {
      this.deps.log.warn(
        `failed to write ${records.length} tombstones for group ${group.groupId}: ${(e as Error).message}`,
      );
    }
  }

  /** A group that a refused simple commit created, holding nothing, is forgotten at once. */
  private discardIfUnused(group: ClassicGroup): void {
    if (
      group.is(GroupState.Empty) &&
      group.generationId === 0 &&
      group.size === 0 &&
      group.pendingMembers.size === 0 &&
      !group.hasOffsets
    ) {
      this.registry.remove(group);
    }
  }
}

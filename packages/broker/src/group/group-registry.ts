/**
 * The groups this broker coordinates and the __consumer_offsets partitions they live in: a partition
 * is loading (its log being replayed) or loaded; a group can be served only when its partition is
 * loaded here. Shared by membership (join, sync, heartbeat, leave) and offsets, which both start with
 * Kafka's validateGroupStatus.
 */
import { ErrorCode } from '@flotilla/protocol';
import { ClassicGroup } from './classic-group.js';
import { offsetsPartitionFor } from './hash.js';

/** The group settings in force (broker configs group.* and offset*). */
export interface GroupSettings {
  readonly minSessionTimeoutMs: number;
  readonly maxSessionTimeoutMs: number;
  readonly maxSize: number;
  readonly initialRebalanceDelayMs: number;
  readonly maxMetadataBytes: number;
  readonly offsetsRetentionMs: number;
}

type PartitionState = 'loading' | 'loaded';

export class GroupRegistry {
  readonly groups = new Map<string, ClassicGroup>();
  private readonly partitions = new Map<number, PartitionState>();
  /** False before start() and after close(): every request gets COORDINATOR_NOT_AVAILABLE. */
  active = false;

  constructor(private readonly partitionCount: () => number) {}

  partitionFor(groupId: string): number {
    return offsetsPartitionFor(groupId, this.partitionCount());
  }

  /**
   * Why a request about this group cannot be served here, or NONE (GroupCoordinator.validateGroupStatus).
   * OffsetCommit, OffsetFetch, DescribeGroups and DeleteGroups accept the empty group id; others do not.
   */
  statusOf(groupId: string, allowEmptyId: boolean): number {
    if (groupId === '' && !allowEmptyId) return ErrorCode.INVALID_GROUP_ID;
    if (!this.active) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const state = this.partitions.get(this.partitionFor(groupId));
    if (state === 'loading') return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    if (state !== 'loaded') return ErrorCode.NOT_COORDINATOR;
    return ErrorCode.NONE;
  }

  get(groupId: string): ClassicGroup | undefined {
    return this.groups.get(groupId);
  }

  getOrCreate(groupId: string, now: number): ClassicGroup {
    let group = this.groups.get(groupId);
    if (!group) {
      group = new ClassicGroup(groupId, now);
      this.groups.set(groupId, group);
    }
    return group;
  }

  /** Forgets the group, if it is still the one registered under its id. */
  remove(group: ClassicGroup): void {
    if (this.groups.get(group.groupId) === group) this.groups.delete(group.groupId);
  }

  groupsOfPartition(partition: number): ClassicGroup[] {
    return [...this.groups.values()].filter((g) => this.partitionFor(g.groupId) === partition);
  }

  ownedPartitions(): number[] {
    return [...this.partitions.keys()];
  }

  owns(partition: number): boolean {
    return this.partitions.has(partition);
  }

  isLoading(partition: number): boolean {
    return this.partitions.get(partition) === 'loading';
  }

  get anyLoading(): boolean {
    for (const s of this.partitions.values()) if (s === 'loading') return true;
    return false;
  }

  setLoading(partition: number): void {
    this.partitions.set(partition, 'loading');
  }

  setLoaded(partition: number): void {
    this.partitions.set(partition, 'loaded');
  }

  release(partition: number): void {
    this.partitions.delete(partition);
  }

  releaseAll(): void {
    this.partitions.clear();
  }
}

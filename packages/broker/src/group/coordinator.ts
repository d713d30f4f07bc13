/**
 * The group coordinator: the consumer groups whose __consumer_offsets partition this broker leads.
 *
 * It follows leadership from the metadata image: becoming leader of a partition loads the groups and
 * offsets in its log (requests about them get COORDINATOR_LOAD_IN_PROGRESS meanwhile); losing it
 * drops them, answering waiting requests with NOT_COORDINATOR so that clients look the coordinator
 * up again. FindCoordinator creates __consumer_offsets on first use. Protocol decisions live in
 * membership.ts (JoinGroup, SyncGroup, Heartbeat, LeaveGroup, DescribeGroups, ListGroups) and
 * offsets.ts (OffsetCommit, OffsetFetch, OffsetDelete, DeleteGroups, offset expiry); this class wires
 * them to the broker and is what handlers call.
 */
import { ErrorCode, KafkaError } from '@flotilla/protocol';
import type { BrokerConfig, Listener } from '../config/broker-config.js';
import type { Logger } from '../logger.js';
import type { Controller } from '../metadata/controller.js';
import type { ImageChange, MetadataImage } from '../metadata/image.js';
import type { ReplicaManager } from '../replica/replica-manager.js';
import type { TopicConfigs } from '../topic-configs.js';
import { ClassicGroup, type JoinResult, type SyncResult } from './classic-group.js';
import { GroupRegistry, type GroupSettings } from './group-registry.js';
import { loadPartition, OffsetsReplay, PartitionGroupStore } from './group-store.js';
import { OFFSETS_TOPIC } from './hash.js';
import {
  type GroupDescription,
  GroupMembership,
  type GroupOverview,
  type HeartbeatRequest,
  type JoinRequest,
  type LeaveResult,
  type LeavingMember,
  type SyncRequest,
} from './membership.js';
import {
  type FetchedOffsets,
  GroupOffsets,
  type OffsetCommitInput,
  type TopicPartitions,
  type TxnOffsetCommitInput,
} from './offsets.js';
import { GroupTimers } from './timers.js';

export interface GroupCoordinatorOptions {
  readonly nodeId: number;
  readonly config: BrokerConfig;
  readonly image: MetadataImage;
  readonly controller: Controller;
  readonly replicas: ReplicaManager;
  readonly topicConfigs: TopicConfigs;
  readonly log: Logger;
}

/** Where a client finds a group's coordinator (FindCoordinator). */
export interface CoordinatorAnswer {
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
}

function noCoordinator(errorCode: number, errorMessage: string | null): CoordinatorAnswer {
  return { errorCode, errorMessage, nodeId: -1, host: '', port: -1 };
}

export class GroupCoordinator {
  private readonly nodeId: number;
  private readonly config: BrokerConfig;
  private readonly image: MetadataImage;
  private readonly controller: Controller;
  private readonly replicas: ReplicaManager;
  private readonly log: Logger;
  private readonly registry: GroupRegistry;
  private readonly timers: GroupTimers;
  private readonly membership: GroupMembership;
  private readonly offsets: GroupOffsets;
  /** Partition loads in progress; a load whose entry was replaced or removed is abandoned. */
  private readonly loads = new Map<number, { readonly done: Promise<void> }>();
  private retentionTimer: NodeJS.Timeout | undefined;
  private creatingTopic: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  constructor(options: GroupCoordinatorOptions) {
    const { nodeId, config, image, controller, replicas, topicConfigs, log } = options;
    this.nodeId = nodeId;
    this.config = config;
    this.image = image;
    this.controller = controller;
    this.replicas = replicas;
    this.log = log;
    this.registry = new GroupRegistry(
      () => image.topics.get(OFFSETS_TOPIC)?.partitions.length || config.int('offsets.topic.num.partitions'),
    );
    this.timers = new GroupTimers(log);
    const settings: GroupSettings = {
      get minSessionTimeoutMs() {
        return config.int('group.min.session.timeout.ms');
      },
      get maxSessionTimeoutMs() {
        return config.int('group.max.session.timeout.ms');
      },
      get maxSize() {
        return config.int('group.max.size');
      },
      get initialRebalanceDelayMs() {
        return config.int('group.initial.rebalance.delay.ms');
      },
      get maxMetadataBytes() {
        return config.int('offset.metadata.max.bytes');
      },
      get offsetsRetentionMs() {
        return config.int('offsets.retention.minutes') * 60_000;
      },
    };
    const store = new PartitionGroupStore(replicas, topicConfigs, Date.now, () =>
      config.int('offsets.commit.timeout.ms'),
    );
    const now = () => Date.now();
    this.membership = new GroupMembership({ registry: this.registry, store, timers: this.timers, settings, log, now });
    this.offsets = new GroupOffsets({
      registry: this.registry,
      store,
      timers: this.timers,
      settings,
      membership: this.membership,
      partitionExists: (topic, partition) => image.topics.get(topic)?.partitions[partition] !== undefined,
      log,
      now,
    });
  }

  /** Loads the groups of the __consumer_offsets partitions this broker leads, then serves them. */
  async start(): Promise<void> {
    if (this.closing) return;
    this.registry.active = true;
    this.syncLeadership();
    await Promise.all([...this.loads.values()].map((l) => l.done));
    const interval = this.config.long('offsets.retention.check.interval.ms');
    if (Number.isFinite(interval) && interval > 0) {
      this.retentionTimer = setInterval(() => {
        this.offsets
          .expireOffsets(Date.now())
          .catch((e) => this.log.error(`offset expiry failed: ${(e as Error).stack ?? e}`));
      }, interval);
      this.retentionTimer.unref();
    }
  }

  /** Stops serving: waiting JoinGroup and SyncGroup requests get COORDINATOR_NOT_AVAILABLE. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.registry.active = false;
      clearInterval(this.retentionTimer);
      this.loads.clear();
      this.registry.releaseAll();
      for (const group of this.registry.groups.values())
        this.membership.unloadGroup(group, ErrorCode.COORDINATOR_NOT_AVAILABLE);
      this.registry.groups.clear();
      this.timers.close();
    })();
    return this.closing;
  }

  onMetadataChange(change: ImageChange): void {
    switch (change.kind) {
      case 'topic-created':
      case 'partition-changed':
      case 'topic-deleted':
        if (change.topic.name === OFFSETS_TOPIC) this.syncLeadership();
        break;
      default:
        break;
    }
  }

  /** Loads partitions this broker came to lead, drops those it no longer leads. */
  private syncLeadership(): void {
    if (this.closing) return;
    const led = new Set<number>();
    for (const p of this.image.topics.get(OFFSETS_TOPIC)?.partitions ?? []) {
      if (p && p.leader === this.nodeId && this.replicas.get(OFFSETS_TOPIC, p.partitionId)?.isLeader)
        led.add(p.partitionId);
    }
    for (const p of this.registry.ownedPartitions()) if (!led.has(p)) this.unloadPartition(p);
    for (const p of led) if (!this.registry.owns(p)) this.startLoading(p);
  }

  private startLoading(partition: number): void {
    this.registry.setLoading(partition);
    const entry: { done: Promise<void> } = { done: Promise.resolve() };
    // Registered before the load starts: the load checks on every chunk that it is still the current one.
    this.loads.set(partition, entry);
    entry.done = this.load(partition, () => this.loads.get(partition) === entry)
      .catch((e) => this.log.error(`loading ${OFFSETS_TOPIC}-${partition} failed: ${(e as Error).stack ?? e}`))
      .finally(() => {
        if (this.loads.get(partition) === entry) this.loads.delete(partition);
      });
  }

  private async load(partition: number, current: () => boolean): Promise<void> {
    const started = Date.now();
    const p = this.replicas.get(OFFSETS_TOPIC, partition);
    const replay = new OffsetsReplay();
    const wanted = () => current() && this.registry.isLoading(partition);
    if (p) {
      try {
        if (!(await loadPartition(p, replay, wanted))) return;
      } catch (e) {
        // Serve what could be read rather than nothing: Kafka, too, owns the partition after a failed load.
        this.log.error(`error reading ${OFFSETS_TOPIC}-${partition}, serving what was read: ${(e as Error).message}`);
        if (!wanted()) return;
      }
    }
    const now = Date.now();
    let groups = 0;
    let offsets = 0;
    for (const [groupId, loaded] of replay.liveGroups()) {
      if (this.registry.partitionFor(groupId) !== partition) {
        this.log.warn(`group ${groupId} found in ${OFFSETS_TOPIC}-${partition}, which is not its partition: skipped`);
        continue;
      }
      const group = loaded.metadata
        ? ClassicGroup.fromRecord(groupId, loaded.metadata, now)
        : new ClassicGroup(groupId, now);
      for (const [topic, partitions] of loaded.offsets) {
        for (const [index, value] of partitions) {
          group.setOffset(topic, index, value);
          offsets++;
        }
      }
      this.registry.groups.set(groupId, group);
      this.membership.onGroupLoaded(group);
      groups++;
    }
    // Offsets of transactions still open at the end of the log: pending until their marker comes.
    for (const [producerId, records] of replay.pendingTxn) {
      for (const r of records) {
        if (r.type !== 'offset-commit' || !r.value || this.registry.partitionFor(r.key.group) !== partition) continue;
        const group = this.registry.getOrCreate(r.key.group, now);
        group.addPendingTxnOffset(producerId, r.key.topic, r.key.partition, r.value);
      }
    }
    this.registry.setLoaded(partition);
    this.log.info(
      `finished loading ${OFFSETS_TOPIC}-${partition} in ${Date.now() - started} ms: ${groups} groups, ${offsets} offsets` +
        (replay.skipped > 0 ? `, ${replay.skipped} records skipped (other kinds or unreadable)` : ''),
    );
  }

  private unloadPartition(partition: number): void {
    this.loads.delete(partition);
    this.registry.release(partition);
    const groups = this.registry.groupsOfPartition(partition);
    for (const group of groups) {
      this.membership.unloadGroup(group, ErrorCode.NOT_COORDINATOR);
      this.registry.remove(group);
    }
    this.log.info(`unloaded ${OFFSETS_TOPIC}-${partition}: ${groups.length} groups`);
  }

  /**
   * FindCoordinator for a group: the leader of its __consumer_offsets partition, with the endpoint of
   * the listener the client came on. `self` is this broker's endpoint on that listener.
   */
  async findCoordinator(groupId: string, listenerName: string, self: Listener | undefined): Promise<CoordinatorAnswer> {
    if (!this.registry.active)
      return noCoordinator(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The coordinator is not active.');
    const created = await this.ensureOffsetsTopic();
    const topic = this.image.topics.get(OFFSETS_TOPIC);
    if (!topic) return noCoordinator(ErrorCode.COORDINATOR_NOT_AVAILABLE, `${OFFSETS_TOPIC} could not be created.`);
    const partition = this.registry.partitionFor(groupId);
    const leader = topic.partitions[partition]?.leader ?? -1;
    if (leader === this.nodeId) {
      // A partition created by this very request loads at once (it is empty): wait rather than
      // sending the client into a retry.
      if (created) await this.loads.get(partition)?.done;
      if (this.registry.isLoading(partition) || !this.registry.owns(partition)) {
        return noCoordinator(ErrorCode.COORDINATOR_NOT_AVAILABLE, `${OFFSETS_TOPIC}-${partition} is loading.`);
      }
      if (!self) return noCoordinator(ErrorCode.COORDINATOR_NOT_AVAILABLE, `No endpoint for listener ${listenerName}.`);
      return { errorCode: ErrorCode.NONE, errorMessage: null, nodeId: this.nodeId, host: self.host, port: self.port };
    }
    // Another broker leads it: that broker is the coordinator (as Kafka answers, whichever broker is asked).
    const broker = leader >= 0 ? this.image.brokers.get(leader) : undefined;
    const endpoint = broker && !broker.fenced ? broker.endpoints.find((e) => e.name === listenerName) : undefined;
    if (!endpoint)
      return noCoordinator(ErrorCode.COORDINATOR_NOT_AVAILABLE, `${OFFSETS_TOPIC}-${partition} has no live leader.`);
    return { errorCode: ErrorCode.NONE, errorMessage: null, nodeId: leader, host: endpoint.host, port: endpoint.port };
  }

  /** Creates __consumer_offsets when it does not exist yet; true when this call created it. */
  private async ensureOffsetsTopic(): Promise<boolean> {
    if (this.image.topics.has(OFFSETS_TOPIC)) return false;
    this.creatingTopic ??= this.createOffsetsTopic().finally(() => {
      this.creatingTopic = undefined;
    });
    await this.creatingTopic;
    return true;
  }

  private async createOffsetsTopic(): Promise<void> {
    const live = [...this.image.brokers.values()].filter((b) => !b.fenced).length;
    const replicationFactor = Math.max(1, Math.min(this.config.int('offsets.topic.replication.factor'), live));
    const [result] = await this.controller.createTopics(
      [
        {
          name: OFFSETS_TOPIC,
          numPartitions: this.config.int('offsets.topic.num.partitions'),
          replicationFactor,
          assignments: [],
          configs: [
            { name: 'cleanup.policy', value: 'compact' },
            { name: 'segment.bytes', value: String(this.config.int('offsets.topic.segment.bytes')) },
            { name: 'compression.type', value: 'producer' },
          ],
        },
      ],
      false,
    );
    if (result && result.errorCode !== ErrorCode.NONE && result.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) {
      this.log.warn(
        `could not create ${OFFSETS_TOPIC}: ${new KafkaError(result.errorCode, result.errorMessage ?? undefined).message}`,
      );
    } else {
      this.log.info(`created ${OFFSETS_TOPIC} with replication factor ${replicationFactor}`);
    }
  }

  // The group APIs, for the handlers.

  joinGroup(request: JoinRequest): Promise<JoinResult> {
    return this.membership.join(request);
  }

  syncGroup(request: SyncRequest): Promise<SyncResult> {
    return this.membership.sync(request);
  }

  heartbeat(request: HeartbeatRequest): number {
    return this.membership.heartbeat(request);
  }

  leaveGroup(groupId: string, members: readonly LeavingMember[]): LeaveResult {
    return this.membership.leave(groupId, members);
  }

  describeGroup(groupId: string): GroupDescription {
    return this.membership.describe(groupId);
  }

  listGroups(states: readonly string[], types: readonly string[]): { errorCode: number; groups: GroupOverview[] } {
    return this.membership.list(states, types);
  }

  commitOffsets(input: OffsetCommitInput): Promise<number[]> {
    return this.offsets.commit(input);
  }

  /** The __consumer_offsets partition of a group (AddOffsetsToTxn adds it to a transaction). */
  partitionFor(groupId: string): number {
    return this.registry.partitionFor(groupId);
  }

  /** TxnOffsetCommit: offsets pending until the producer's transaction ends. */
  commitTxnOffsets(input: TxnOffsetCommitInput): Promise<number[]> {
    return this.offsets.commitTransactional(input);
  }

  /**
   * A transaction marker was written to __consumer_offsets-`partition`: the producer's pending
   * offsets in that partition's groups are published (commit) or dropped (abort).
   */
  completeTransaction(partition: number, producerId: number, commit: boolean): void {
    for (const group of this.registry.groupsOfPartition(partition)) {
      const n = group.completePendingTxnOffsets(producerId, commit);
      if (n > 0 && !commit) this.log.debug(`dropped ${n} aborted offsets of group ${group.groupId}`);
    }
  }

  fetchOffsets(groupId: string, topics: readonly TopicPartitions[] | null, requireStable: boolean): FetchedOffsets {
    return this.offsets.fetch(groupId, topics, requireStable);
  }

  deleteOffsets(groupId: string, topics: readonly TopicPartitions[]) {
    return this.offsets.deleteOffsets(groupId, topics);
  }

  deleteGroups(groupIds: readonly string[]): Promise<{ groupId: string; errorCode: number }[]> {
    return this.offsets.deleteGroups(groupIds);
  }

  /** Removes expired offsets now (the retention timer does this every offsets.retention.check.interval.ms). */
  expireOffsets(now = Date.now()): Promise<number> {
    return this.offsets.expireOffsets(now);
  }
}

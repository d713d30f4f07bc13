/**
 * A one-broker Kafka cluster in memory, just real enough for kcat, kafkajs, kafka-python and
 * confluent-kafka to go through their normal flows against the recorder: topics with N partitions led
 * by this broker, logs that keep the produced record batches as they came (so a consumer fetches back
 * exactly what a producer sent, compressed or not, without any record-batch code), single-member
 * consumer groups, committed offsets.
 *
 * It answers with our generated codecs' types; the recorder encodes them at the version asked for.
 * Where it differs from Kafka (no replication, no retention, no fetch sessions, every group has one
 * member at a time) it is only because no client in the capture scenarios needs more.
 */
import { createHash } from 'node:crypto';
import { ErrorCode } from '../../src/errors.js';
import { API_SPECS, ApiKey, type RequestTypes, type ResponseTypes } from '../../src/generated/api.js';
import * as messages from '../../src/generated/index.js';
import { uuidFromBytes, ZERO_UUID } from '../../src/primitives/uuid.js';

export const BROKER_ID = 1;
export const CLUSTER_ID = 'flotilla-capture-cluster';
const DEFAULT_PARTITIONS = 3;
/** Longest a Fetch with nothing to return is held, whatever the client's max wait. */
const MAX_FETCH_WAIT_MS = 300;

export interface RequestContext {
  readonly apiVersion: number;
  readonly clientId: string | null;
}

/** A handler returns the response body, or null when Kafka sends no response (acks=0 produce). */
type Handler<K extends ApiKey> = (
  request: RequestTypes[K],
  ctx: RequestContext,
) => ResponseTypes[K] | null | Promise<ResponseTypes[K] | null>;
type Handlers = { [K in ApiKey]?: Handler<K> };

interface StoredBatch {
  readonly baseOffset: bigint;
  readonly lastOffset: bigint;
  readonly bytes: Buffer;
}

interface Partition {
  readonly batches: StoredBatch[];
  logEndOffset: bigint;
}

interface Topic {
  readonly name: string;
  readonly topicId: string;
  readonly partitions: Partition[];
  readonly configs: ReadonlyMap<string, string>;
}

interface Member {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  metadata: Buffer;
  assignment: Buffer;
}

interface Group {
  readonly groupId: string;
  protocolType: string;
  protocolName: string;
  generationId: number;
  state: 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable';
  members: Map<string, Member>;
  /** Topics a KIP-848 group's members subscribe to (the broker assigns their partitions). */
  subscribedTopics: string[];
  readonly offsets: Map<string, { offset: bigint; leaderEpoch: number; metadata: string | null }>;
}

/** Kafka's topic id is random; a hash of the name keeps re-recorded fixtures stable. */
export function topicIdFor(name: string): string {
  const bytes = createHash('sha256').update(`topic:${name}`).digest().subarray(0, 16);
  return uuidFromBytes(bytes);
}

/**
 * Record sets are a sequence of batches, each `baseOffset int64, batchLength int32, ...`; in magic 2
 * batches `lastOffsetDelta` sits at byte 23 and is outside the CRC, as is the base offset, so the log
 * can assign offsets by rewriting the first 8 bytes (what Kafka's own LogValidator does for v2).
 * Legacy (magic 0/1) entries count as one offset each, which is all the clients here ever send.
 */
function splitBatches(records: Buffer): { bytes: Buffer; offsetCount: number }[] {
  const out: { bytes: Buffer; offsetCount: number }[] = [];
  let at = 0;
  while (at + 12 <= records.length) {
    const length = records.readInt32BE(at + 8);
    const end = at + 12 + length;
    if (length < 0 || end > records.length) break;
    const magic = length >= 5 ? records.readInt8(at + 16) : 0;
    const offsetCount = magic >= 2 && length >= 15 ? records.readInt32BE(at + 23) + 1 : 1;
    out.push({ bytes: Buffer.from(records.subarray(at, end)), offsetCount });
    at = end;
  }
  return out;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class FakeCluster {
  readonly host: string;
  readonly port: number;
  private readonly topics = new Map<string, Topic>();
  private readonly groups = new Map<string, Group>();
  private nextProducerId = 4000n;
  private nextMemberSerial = 1;
  private readonly handlers: Handlers;

  constructor(host: string, port: number) {
    this.host = host;
    this.port = port;
    this.handlers = {
      [ApiKey.ApiVersions]: () => this.apiVersions(),
      [ApiKey.Metadata]: (r, c) => this.metadata(r, c),
      [ApiKey.Produce]: (r) => this.produce(r),
      [ApiKey.Fetch]: (r, c) => this.fetch(r, c),
      [ApiKey.ListOffsets]: (r) => this.listOffsets(r),
      [ApiKey.OffsetForLeaderEpoch]: (r) => this.offsetForLeaderEpoch(r),
      [ApiKey.FindCoordinator]: (r) => this.findCoordinator(r),
      [ApiKey.JoinGroup]: (r, c) => this.joinGroup(r, c),
      [ApiKey.SyncGroup]: (r) => this.syncGroup(r),
      [ApiKey.Heartbeat]: () => ({ ...messages.defaultHeartbeatResponse() }),
      [ApiKey.LeaveGroup]: (r) => this.leaveGroup(r),
      [ApiKey.ConsumerGroupHeartbeat]: (r) => this.consumerGroupHeartbeat(r),
      [ApiKey.OffsetCommit]: (r) => this.offsetCommit(r),
      [ApiKey.OffsetFetch]: (r) => this.offsetFetch(r),
      [ApiKey.DescribeGroups]: (r) => this.describeGroups(r),
      [ApiKey.ListGroups]: () => this.listGroups(),
      [ApiKey.DeleteGroups]: (r) => this.deleteGroups(r),
      [ApiKey.CreateTopics]: (r) => this.createTopics(r),
      [ApiKey.DeleteTopics]: (r) => this.deleteTopics(r),
      [ApiKey.CreatePartitions]: (r) => this.createPartitions(r),
      [ApiKey.DescribeConfigs]: (r) => this.describeConfigs(r),
      [ApiKey.InitProducerId]: () => this.initProducerId(),
      [ApiKey.DescribeCluster]: () => this.describeCluster(),
      [ApiKey.SaslHandshake]: () => ({
        errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM,
        mechanisms: ['PLAIN'],
      }),
    };
  }

  /** The response to a decoded request; APIs without a handler get their message's all-default body. */
  async respond<K extends ApiKey>(apiKey: K, request: RequestTypes[K], ctx: RequestContext) {
    const handler = this.handlers[apiKey] as Handler<K> | undefined;
    if (handler) return handler(request, ctx);
    const factory: unknown = (messages as Record<string, unknown>)[`default${API_SPECS[apiKey].name}Response`];
    if (typeof factory !== 'function') throw new Error(`no default response for API key ${apiKey}`);
    return factory() as ResponseTypes[K];
  }

  /**
   * Every API a Kafka 3.9 broker serves on a client listener, each up to its newest stable version
   * (the same set and ranges `kafka-broker-api-versions.sh` prints against one), so clients pick the
   * versions they would use against a real cluster.
   */
  apiVersions(): ResponseTypes[typeof ApiKey.ApiVersions] {
    const apiKeys = Object.values(API_SPECS)
      .filter((s) => s.listeners.includes('broker'))
      .map((s) => ({
        apiKey: s.apiKey,
        minVersion: s.minVersion,
        maxVersion: s.latestVersionUnstable ? s.maxVersion - 1 : s.maxVersion,
      }))
      .filter((v) => v.maxVersion >= v.minVersion);
    return { ...messages.defaultApiVersionsResponse(), apiKeys };
  }

  private createTopic(name: string, partitions = DEFAULT_PARTITIONS, configs = new Map<string, string>()): Topic {
    const topic: Topic = {
      name,
      topicId: topicIdFor(name),
      partitions: Array.from({ length: partitions }, () => ({ batches: [], logEndOffset: 0n })),
      configs,
    };
    this.topics.set(name, topic);
    return topic;
  }

  private topicById(id: string): Topic | undefined {
    for (const t of this.topics.values()) if (t.topicId === id) return t;
    return undefined;
  }

  private brokers() {
    return [{ nodeId: BROKER_ID, host: this.host, port: this.port, rack: null }];
  }

  private metadataTopic(topic: Topic): messages.MetadataResponseTopic {
    return {
      ...messages.defaultMetadataResponseTopic(),
      name: topic.name,
      topicId: topic.topicId,
      partitions: topic.partitions.map((_, i) => ({
        ...messages.defaultMetadataResponsePartition(),
        partitionIndex: i,
        leaderId: BROKER_ID,
        leaderEpoch: 0,
        replicaNodes: [BROKER_ID],
        isrNodes: [BROKER_ID],
      })),
    };
  }

  private metadata(req: messages.MetadataRequest, ctx: RequestContext): messages.MetadataResponse {
    // v0: an empty list means every topic; v1+: null means every topic.
    const all = req.topics === null || (ctx.apiVersion === 0 && req.topics.length === 0);
    const topics: messages.MetadataResponseTopic[] = [];
    if (all) {
      for (const t of this.topics.values()) topics.push(this.metadataTopic(t));
    } else {
      for (const wanted of req.topics ?? []) {
        const existing = wanted.name === null ? this.topicById(wanted.topicId) : this.topics.get(wanted.name);
        // Before v4 there is no flag and brokers auto-created (auto.create.topics.enable defaults to true).
        const autoCreate = ctx.apiVersion < 4 || req.allowAutoTopicCreation;
        if (existing) topics.push(this.metadataTopic(existing));
        else if (wanted.name !== null && autoCreate) topics.push(this.metadataTopic(this.createTopic(wanted.name)));
        else {
          topics.push({
            ...messages.defaultMetadataResponseTopic(),
            errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            name: wanted.name ?? null,
            topicId: wanted.name === null ? wanted.topicId : ZERO_UUID,
          });
        }
      }
    }
    return {
      ...messages.defaultMetadataResponse(),
      brokers: this.brokers(),
      clusterId: CLUSTER_ID,
      controllerId: BROKER_ID,
      topics,
    };
  }

  private produce(req: messages.ProduceRequest): messages.ProduceResponse | null {
    const responses = req.topicData.map((td) => ({
      ...messages.defaultProduceResponseTopicProduceResponse(),
      name: td.name,
      partitionResponses: td.partitionData.map((pd) => {
        const partition = this.topics.get(td.name)?.partitions[pd.index];
        const base = { ...messages.defaultProduceResponsePartitionProduceResponse(), index: pd.index };
        if (!partition) return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, baseOffset: -1n };
        const baseOffset = partition.logEndOffset;
        for (const batch of splitBatches(pd.records ?? Buffer.alloc(0))) {
          batch.bytes.writeBigInt64BE(partition.logEndOffset, 0);
          const lastOffset = partition.logEndOffset + BigInt(batch.offsetCount) - 1n;
          partition.batches.push({ baseOffset: partition.logEndOffset, lastOffset, bytes: batch.bytes });
          partition.logEndOffset = lastOffset + 1n;
        }
        return { ...base, baseOffset, logAppendTimeMs: -1n, logStartOffset: 0n };
      }),
    }));
    if (req.acks === 0) return null;
    return { ...messages.defaultProduceResponse(), responses };
  }

  private async fetch(req: messages.FetchRequest, ctx: RequestContext): Promise<messages.FetchResponse> {
    const build = () => {
      let bytes = 0;
      const responses = req.topics.map((ft) => {
        // v13+ names topics by id only.
        const topic = ctx.apiVersion >= 13 ? this.topicById(ft.topicId) : this.topics.get(ft.topic);
        return {
          ...messages.defaultFetchResponseFetchableTopicResponse(),
          topic: ft.topic,
          topicId: ft.topicId,
          partitions: ft.partitions.map((fp) => {
            const base = { ...messages.defaultFetchResponsePartitionData(), partitionIndex: fp.partition };
            const partition = topic?.partitions[fp.partition];
            if (!partition) {
              const errorCode =
                ctx.apiVersion >= 13 ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
              return { ...base, errorCode };
            }
            const batches = partition.batches.filter((b) => b.lastOffset >= fp.fetchOffset);
            const records = Buffer.concat(batches.map((b) => b.bytes));
            bytes += records.length;
            return {
              ...base,
              highWatermark: partition.logEndOffset,
              lastStableOffset: partition.logEndOffset,
              logStartOffset: 0n,
              abortedTransactions: ctx.apiVersion >= 4 ? [] : null,
              records,
            };
          }),
        };
      });
      return { bytes, response: { ...messages.defaultFetchResponse(), responses } };
    };
    let result = build();
    if (result.bytes === 0 && req.maxWaitMs > 0) {
      // Long poll: Kafka holds an empty fetch for up to maxWaitMs. Holding it (briefly) keeps
      // consumers from spinning and filling the capture with identical Fetch requests.
      await sleep(Math.min(req.maxWaitMs, MAX_FETCH_WAIT_MS));
      result = build();
    }
    return result.response;
  }

  private listOffsets(req: messages.ListOffsetsRequest): messages.ListOffsetsResponse {
    return {
      ...messages.defaultListOffsetsResponse(),
      topics: req.topics.map((t) => ({
        ...messages.defaultListOffsetsResponseListOffsetsTopicResponse(),
        name: t.name,
        partitions: t.partitions.map((p) => {
          const base = {
            ...messages.defaultListOffsetsResponseListOffsetsPartitionResponse(),
            partitionIndex: p.partitionIndex,
          };
          const partition = this.topics.get(t.name)?.partitions[p.partitionIndex];
          if (!partition) return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
          // -2 is EARLIEST, anything else (LATEST -1, MAX_TIMESTAMP -3, a time) is answered with the end.
          const offset = p.timestamp === -2n ? 0n : partition.logEndOffset;
          return { ...base, offset, oldStyleOffsets: [offset], timestamp: -1n, leaderEpoch: 0 };
        }),
      })),
    };
  }

  private offsetForLeaderEpoch(req: messages.OffsetForLeaderEpochRequest): messages.OffsetForLeaderEpochResponse {
    return {
      ...messages.defaultOffsetForLeaderEpochResponse(),
      topics: req.topics.map((t) => ({
        ...messages.defaultOffsetForLeaderEpochResponseOffsetForLeaderTopicResult(),
        topic: t.topic,
        partitions: t.partitions.map((p) => {
          const partition = this.topics.get(t.topic)?.partitions[p.partition];
          return {
            ...messages.defaultOffsetForLeaderEpochResponseEpochEndOffset(),
            partition: p.partition,
            errorCode: partition ? 0 : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            leaderEpoch: 0,
            endOffset: partition ? partition.logEndOffset : -1n,
          };
        }),
      })),
    };
  }

  private findCoordinator(req: messages.FindCoordinatorRequest): messages.FindCoordinatorResponse {
    return {
      ...messages.defaultFindCoordinatorResponse(),
      nodeId: BROKER_ID,
      host: this.host,
      port: this.port,
      coordinators: req.coordinatorKeys.map((key) => ({
        ...messages.defaultFindCoordinatorResponseCoordinator(),
        key,
        nodeId: BROKER_ID,
        host: this.host,
        port: this.port,
      })),
    };
  }

  private group(groupId: string): Group {
    let group = this.groups.get(groupId);
    if (!group) {
      group = {
        groupId,
        protocolType: 'consumer',
        protocolName: '',
        generationId: 0,
        state: 'Empty',
        members: new Map(),
        subscribedTopics: [],
        offsets: new Map(),
      };
      this.groups.set(groupId, group);
    }
    return group;
  }

  private joinGroup(req: messages.JoinGroupRequest, ctx: RequestContext): messages.JoinGroupResponse {
    const base = messages.defaultJoinGroupResponse();
    if (req.memberId === '' && ctx.apiVersion >= 4) {
      // KIP-394: a new member first gets its id with MEMBER_ID_REQUIRED, then joins again with it.
      const memberId = `${ctx.clientId ?? 'member'}-${this.nextMemberSerial++}`;
      return { ...base, errorCode: ErrorCode.MEMBER_ID_REQUIRED, memberId };
    }
    const memberId = req.memberId || `${ctx.clientId ?? 'member'}-${this.nextMemberSerial++}`;
    const protocol = req.protocols[0];
    const group = this.group(req.groupId);
    group.protocolType = req.protocolType;
    group.protocolName = protocol?.name ?? '';
    group.generationId += 1;
    group.state = 'CompletingRebalance';
    const member: Member = {
      memberId,
      groupInstanceId: req.groupInstanceId,
      clientId: ctx.clientId ?? '',
      metadata: protocol?.metadata ?? Buffer.alloc(0),
      assignment: Buffer.alloc(0),
    };
    // One member per group: every scenario runs a single consumer in its group.
    group.members = new Map([[memberId, member]]);
    return {
      ...base,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: memberId,
      memberId,
      members: [{ memberId, groupInstanceId: req.groupInstanceId, metadata: member.metadata }],
    };
  }

  private syncGroup(req: messages.SyncGroupRequest): messages.SyncGroupResponse {
    const group = this.group(req.groupId);
    for (const a of req.assignments) {
      const member = group.members.get(a.memberId);
      if (member) member.assignment = a.assignment;
    }
    const member = group.members.get(req.memberId);
    if (!member) return { ...messages.defaultSyncGroupResponse(), errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
    group.state = 'Stable';
    return {
      ...messages.defaultSyncGroupResponse(),
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      assignment: member.assignment,
    };
  }

  private leaveGroup(req: messages.LeaveGroupRequest): messages.LeaveGroupResponse {
    const group = this.group(req.groupId);
    const leaving = req.members.length > 0 ? req.members : [{ memberId: req.memberId, groupInstanceId: null }];
    for (const m of leaving) group.members.delete(m.memberId);
    if (group.members.size === 0) group.state = 'Empty';
    return {
      ...messages.defaultLeaveGroupResponse(),
      members: req.members.map((m) => ({
        ...messages.defaultLeaveGroupResponseMemberResponse(),
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
      })),
    };
  }

  /**
   * KIP-848: the member heartbeats its subscription and the broker answers with its assignment. The
   * single member gets every partition of every topic it subscribes to; epoch 0 joins, -1 leaves.
   */
  private consumerGroupHeartbeat(req: messages.ConsumerGroupHeartbeatRequest): messages.ConsumerGroupHeartbeatResponse {
    const base = messages.defaultConsumerGroupHeartbeatResponse();
    const memberId = req.memberId || `consumer-member-${this.nextMemberSerial++}`;
    const group = this.group(req.groupId);
    if (req.memberEpoch < 0) {
      group.members.delete(memberId);
      if (group.members.size === 0) group.state = 'Empty';
      return { ...base, memberId, memberEpoch: req.memberEpoch };
    }
    if (req.memberEpoch === 0) {
      group.generationId += 1;
      group.members = new Map([
        [
          memberId,
          {
            memberId,
            groupInstanceId: req.instanceId,
            clientId: '',
            metadata: Buffer.alloc(0),
            assignment: Buffer.alloc(0),
          },
        ],
      ]);
    }
    if (req.subscribedTopicNames !== null) group.subscribedTopics = req.subscribedTopicNames;
    group.protocolType = 'consumer';
    group.state = 'Stable';
    const topics = group.subscribedTopics.flatMap((name) => this.topics.get(name) ?? []);
    return {
      ...base,
      memberId,
      memberEpoch: group.generationId,
      heartbeatIntervalMs: 500,
      assignment: {
        topicPartitions: topics.map((t) => ({ topicId: t.topicId, partitions: t.partitions.map((_, i) => i) })),
      },
    };
  }

  private offsetCommit(req: messages.OffsetCommitRequest): messages.OffsetCommitResponse {
    const group = this.group(req.groupId);
    return {
      ...messages.defaultOffsetCommitResponse(),
      topics: req.topics.map((t) => ({
        ...messages.defaultOffsetCommitResponseTopic(),
        name: t.name,
        partitions: t.partitions.map((p) => {
          group.offsets.set(`${t.name}\0${p.partitionIndex}`, {
            offset: p.committedOffset,
            leaderEpoch: p.committedLeaderEpoch,
            metadata: p.committedMetadata,
          });
          return { ...messages.defaultOffsetCommitResponsePartition(), partitionIndex: p.partitionIndex };
        }),
      })),
    };
  }

  /** Committed offsets of a group for the topics asked (null: every topic it committed for). */
  private committed(groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null) {
    const group = this.groups.get(groupId);
    const wanted = new Map<string, number[]>();
    if (topics) for (const t of topics) wanted.set(t.name, t.partitionIndexes);
    else {
      for (const key of group?.offsets.keys() ?? []) {
        const [name = '', p = '0'] = key.split('\0');
        wanted.set(name, [...(wanted.get(name) ?? []), Number(p)]);
      }
    }
    return [...wanted].map(([name, partitionIndexes]) => ({
      name,
      partitions: partitionIndexes.map((partitionIndex) => {
        const c = group?.offsets.get(`${name}\0${partitionIndex}`);
        return {
          partitionIndex,
          committedOffset: c?.offset ?? -1n,
          committedLeaderEpoch: c?.leaderEpoch ?? -1,
          metadata: c ? c.metadata : '',
          errorCode: 0,
        };
      }),
    }));
  }

  private offsetFetch(req: messages.OffsetFetchRequest): messages.OffsetFetchResponse {
    return {
      ...messages.defaultOffsetFetchResponse(),
      topics: this.committed(req.groupId, req.topics),
      groups: req.groups.map((g) => ({
        ...messages.defaultOffsetFetchResponseGroup(),
        groupId: g.groupId,
        topics: this.committed(g.groupId, g.topics),
      })),
    };
  }

  private describeGroups(req: messages.DescribeGroupsRequest): messages.DescribeGroupsResponse {
    return {
      ...messages.defaultDescribeGroupsResponse(),
      groups: req.groups.map((groupId) => {
        const group = this.groups.get(groupId);
        const base = { ...messages.defaultDescribeGroupsResponseDescribedGroup(), groupId };
        if (!group) return { ...base, groupState: 'Dead' };
        return {
          ...base,
          groupState: group.state,
          protocolType: group.protocolType,
          protocolData: group.protocolName,
          members: [...group.members.values()].map((m) => ({
            ...messages.defaultDescribeGroupsResponseDescribedGroupMember(),
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            clientId: m.clientId,
            clientHost: `/${this.host}`,
            memberMetadata: m.metadata,
            memberAssignment: m.assignment,
          })),
        };
      }),
    };
  }

  private listGroups(): messages.ListGroupsResponse {
    return {
      ...messages.defaultListGroupsResponse(),
      groups: [...this.groups.values()].map((g) => ({
        groupId: g.groupId,
        protocolType: g.protocolType,
        groupState: g.state,
        groupType: 'classic',
      })),
    };
  }

  private deleteGroups(req: messages.DeleteGroupsRequest): messages.DeleteGroupsResponse {
    return {
      ...messages.defaultDeleteGroupsResponse(),
      results: req.groupsNames.map((groupId) => {
        const existed = this.groups.delete(groupId);
        return { groupId, errorCode: existed ? 0 : ErrorCode.GROUP_ID_NOT_FOUND };
      }),
    };
  }

  private createTopics(req: messages.CreateTopicsRequest): messages.CreateTopicsResponse {
    return {
      ...messages.defaultCreateTopicsResponse(),
      topics: req.topics.map((t) => {
        const base = { ...messages.defaultCreateTopicsResponseCreatableTopicResult(), name: t.name };
        if (this.topics.has(t.name)) {
          return {
            ...base,
            errorCode: ErrorCode.TOPIC_ALREADY_EXISTS,
            errorMessage: `Topic '${t.name}' already exists.`,
          };
        }
        const partitions = t.numPartitions > 0 ? t.numPartitions : t.assignments.length || DEFAULT_PARTITIONS;
        const configs = new Map(t.configs.map((c) => [c.name, c.value ?? '']));
        const topic = req.validateOnly ? undefined : this.createTopic(t.name, partitions, configs);
        return {
          ...base,
          topicId: topic?.topicId ?? ZERO_UUID,
          numPartitions: partitions,
          replicationFactor: 1,
          configs: [...configs].map(([name, value]) => ({
            ...messages.defaultCreateTopicsResponseCreatableTopicConfigs(),
            name,
            value,
            configSource: 1,
          })),
        };
      }),
    };
  }

  private deleteTopics(req: messages.DeleteTopicsRequest): messages.DeleteTopicsResponse {
    const named = [...req.topicNames.map((name) => ({ name, topicId: ZERO_UUID })), ...req.topics];
    return {
      ...messages.defaultDeleteTopicsResponse(),
      responses: named.map((t) => {
        const topic = t.name !== null ? this.topics.get(t.name) : this.topicById(t.topicId);
        if (topic) this.topics.delete(topic.name);
        return {
          ...messages.defaultDeleteTopicsResponseDeletableTopicResult(),
          name: topic?.name ?? t.name,
          topicId: topic?.topicId ?? t.topicId,
          errorCode: topic ? 0 : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        };
      }),
    };
  }

  private createPartitions(req: messages.CreatePartitionsRequest): messages.CreatePartitionsResponse {
    return {
      ...messages.defaultCreatePartitionsResponse(),
      results: req.topics.map((t) => {
        const topic = this.topics.get(t.name);
        if (topic) {
          while (topic.partitions.length < t.count) topic.partitions.push({ batches: [], logEndOffset: 0n });
        }
        return {
          ...messages.defaultCreatePartitionsResponseCreatePartitionsTopicResult(),
          name: t.name,
          errorCode: topic ? 0 : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        };
      }),
    };
  }

  private describeConfigs(req: messages.DescribeConfigsRequest): messages.DescribeConfigsResponse {
    const TOPIC = 2;
    const brokerDefaults = new Map([
      ['cleanup.policy', 'delete'],
      ['compression.type', 'producer'],
      ['retention.ms', '604800000'],
      ['max.message.bytes', '1048588'],
    ]);
    return {
      ...messages.defaultDescribeConfigsResponse(),
      results: req.resources.map((res) => {
        const base = {
          ...messages.defaultDescribeConfigsResponseDescribeConfigsResult(),
          resourceType: res.resourceType,
          resourceName: res.resourceName,
        };
        const topic = res.resourceType === TOPIC ? this.topics.get(res.resourceName) : undefined;
        if (res.resourceType === TOPIC && !topic) return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
        const configs = new Map([...brokerDefaults, ...(topic?.configs ?? [])]);
        const names = res.configurationKeys ?? [...configs.keys()];
        return {
          ...base,
          configs: names
            .filter((name) => configs.has(name))
            .map((name) => {
              const isDefault = !topic?.configs.has(name);
              return {
                ...messages.defaultDescribeConfigsResponseDescribeConfigsResourceResult(),
                name,
                value: configs.get(name) ?? null,
                isDefault,
                // DEFAULT_CONFIG (5) or DYNAMIC_TOPIC_CONFIG (1); STRING config type (2).
                configSource: isDefault ? 5 : 1,
                configType: 2,
              };
            }),
        };
      }),
    };
  }

  private initProducerId(): messages.InitProducerIdResponse {
    const producerId = this.nextProducerId++;
    return { ...messages.defaultInitProducerIdResponse(), producerId, producerEpoch: 0 };
  }

  private describeCluster(): messages.DescribeClusterResponse {
    return {
      ...messages.defaultDescribeClusterResponse(),
      clusterId: CLUSTER_ID,
      controllerId: BROKER_ID,
      brokers: [{ brokerId: BROKER_ID, host: this.host, port: this.port, rack: null }],
    };
  }
}

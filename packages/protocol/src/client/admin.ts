/**
 * A thin admin client for the control plane: cluster metadata, topics, configs, groups and offsets,
 * routed as Kafka's own AdminClient routes them (KafkaAdminClient's node providers):
 *
 * - topic admin (CreateTopics, DeleteTopics, CreatePartitions) goes to the controller named in Metadata.
 *   ZooKeeper-era brokers only accept it there and answer NOT_CONTROLLER elsewhere (retried here after a
 *   metadata refresh); KRaft brokers name a live broker as "controller" and forward to the real
 *   controller (KIP-590), so the same rule works for both;
 * - configs of one broker (BROKER, BROKER_LOGGER) go to that broker, other configs to any broker;
 * - group requests go to the group's coordinator, found with FindCoordinator (batched from v4, KIP-699);
 * - ListGroups goes to every broker, as each lists only the groups it coordinates;
 * - ListOffsets goes to each partition's leader.
 *
 * Reads are retried on retriable errors (fresh metadata and coordinators each time); writes are not,
 * except for NOT_CONTROLLER, which means the broker did nothing. Per-resource error codes become a
 * KafkaError naming the resource.
 */
import { ErrorCode, errorInfo, KafkaError } from '../errors.js';
import { ApiKey } from '../generated/api.js';
import { ZERO_UUID } from '../primitives/uuid.js';
import { type Connection, type ConnectionOptions, connect } from './connection.js';
import { ClientError, ClientErrorCode } from './errors.js';

export interface BrokerAddress {
  readonly host: string;
  readonly port: number;
}

export interface AdminClientOptions extends Omit<ConnectionOptions, 'host' | 'port'> {
  /** Where to start: `host:port` strings (`[::1]:9092` for IPv6) or addresses. */
  readonly bootstrap: readonly (string | BrokerAddress)[];
  /** How many times a read is retried after a retriable error. Default 3. */
  readonly retries?: number;
  /** Backoff before the first retry, doubled for each further one. Default 100 ms. */
  readonly retryBackoffMs?: number;
}

export interface BrokerInfo {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
}

export interface PartitionInfo {
  readonly partition: number;
  /** -1 while the partition has no leader. */
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly offlineReplicas: readonly number[];
  /** LEADER_NOT_AVAILABLE and the like are per partition and do not fail the whole call. */
  readonly errorCode: number;
}

export interface TopicInfo {
  readonly name: string;
  /** Kafka's text form of the topic id; ZERO_UUID from brokers before Metadata v10. */
  readonly topicId: string;
  readonly isInternal: boolean;
  readonly partitions: readonly PartitionInfo[];
}

export interface ClusterMetadata {
  readonly clusterId: string | null;
  /** -1 when unknown (Metadata v0, or no controller). */
  readonly controllerId: number;
  readonly brokers: readonly BrokerInfo[];
  readonly topics: readonly TopicInfo[];
}

export interface ClusterDescription {
  readonly clusterId: string | null;
  readonly controllerId: number;
  readonly brokers: readonly BrokerInfo[];
}

export interface NewTopic {
  readonly name: string;
  /** Default -1: the broker's num.partitions (CreateTopics v4+). */
  readonly numPartitions?: number;
  /** Default -1: the broker's default.replication.factor (CreateTopics v4+). */
  readonly replicationFactor?: number;
  /** Replicas per partition, partition 0 first; excludes numPartitions and replicationFactor. */
  readonly assignments?: readonly (readonly number[])[];
  readonly configs?: Readonly<Record<string, string>>;
}

export interface CreatedTopic {
  readonly name: string;
  /** ZERO_UUID from brokers before CreateTopics v7. */
  readonly topicId: string;
  /** -1 from brokers before CreateTopics v5. */
  readonly numPartitions: number;
  readonly replicationFactor: number;
}

export interface TopicAdminOptions {
  /** How long the broker may wait for the change to propagate. Default 30 s. */
  readonly timeoutMs?: number;
  readonly validateOnly?: boolean;
}

export interface NewPartitions {
  readonly topic: string;
  /** The new total number of partitions. */
  readonly count: number;
  /** Replicas of each new partition. */
  readonly assignments?: readonly (readonly number[])[];
}

/** ConfigResource.Type in Kafka. */
export const ConfigResourceType = {
  TOPIC: 2,
  BROKER: 4,
  BROKER_LOGGER: 8,
  CLIENT_METRICS: 16,
  GROUP: 32,
} as const;
export type ConfigResourceType = (typeof ConfigResourceType)[keyof typeof ConfigResourceType];

/** AlterConfigOp.OpType in Kafka. */
export const AlterConfigOp = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;
export type AlterConfigOp = (typeof AlterConfigOp)[keyof typeof AlterConfigOp];

/** DescribeConfigsResponse ConfigSource in Kafka. */
export const ConfigSource = {
  UNKNOWN: 0,
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
  CLIENT_METRICS_CONFIG: 7,
  GROUP_CONFIG: 8,
} as const;

export interface ConfigResource {
  readonly type: ConfigResourceType;
  /** Topic name, broker id ('' for the cluster-wide broker default), group id, ... */
  readonly name: string;
}

export interface DescribeConfigsResource extends ConfigResource {
  /** Only these keys; all when absent. */
  readonly keys?: readonly string[];
}

export interface ConfigEntry {
  readonly name: string;
  /** null for sensitive values and unset ones. */
  readonly value: string | null;
  readonly readOnly: boolean;
  readonly isDefault: boolean;
  /** One of ConfigSource. */
  readonly source: number;
  readonly isSensitive: boolean;
  readonly synonyms: readonly { readonly name: string; readonly value: string | null; readonly source: number }[];
}

export interface ConfigResourceDescription extends ConfigResource {
  readonly configs: readonly ConfigEntry[];
}

export interface AlterConfigsResource extends ConfigResource {
  readonly ops: readonly { readonly name: string; readonly op: AlterConfigOp; readonly value?: string | null }[];
}

export interface ListedGroup {
  readonly groupId: string;
  readonly protocolType: string;
  /** '' from brokers before ListGroups v4. */
  readonly state: string;
  /** '' from brokers before ListGroups v5. */
  readonly type: string;
  /** The broker that listed it: the group's coordinator. */
  readonly coordinatorId: number;
}

export interface GroupMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly metadata: Buffer;
  readonly assignment: Buffer;
}

export interface GroupDescription {
  readonly groupId: string;
  readonly state: string;
  readonly protocolType: string;
  /** The assignor or protocol the group agreed on. */
  readonly protocol: string;
  readonly members: readonly GroupMember[];
  readonly coordinatorId: number;
}

export type OffsetSpec = 'earliest' | 'latest';

export interface PartitionOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly timestamp: bigint;
  readonly leaderEpoch: number;
}

const DEFAULT_RETRIES = 3;
const DEFAULT_RETRY_BACKOFF_MS = 100;
const DEFAULT_ADMIN_TIMEOUT_MS = 30_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** ListOffsets' special timestamps (ListOffsetsRequest.EARLIEST_TIMESTAMP, LATEST_TIMESTAMP). */
const OFFSET_TIMESTAMP: Record<OffsetSpec, bigint> = { earliest: -2n, latest: -1n };
const GROUP_KEY_TYPE = 0;

export class AdminClient {
  private readonly bootstrap: readonly BrokerAddress[];
  private readonly connectionOptions: Omit<ConnectionOptions, 'host' | 'port'>;
  private readonly retries: number;
  private readonly retryBackoffMs: number;
  private readonly requestTimeoutMs: number;
  /** One connection per broker address, shared by concurrent calls (requests pipeline on it). */
  private readonly pool = new Map<string, Promise<Connection>>();
  private cluster: ClusterMetadata | undefined;
  private closing: Promise<void> | undefined;

  constructor(options: AdminClientOptions) {
    const { bootstrap, retries, retryBackoffMs, ...connectionOptions } = options;
    if (bootstrap.length === 0) throw new TypeError('AdminClient needs at least one bootstrap address');
    this.bootstrap = bootstrap.map((a) => (typeof a === 'string' ? parseAddress(a) : a));
    this.connectionOptions = connectionOptions;
    this.retries = retries ?? DEFAULT_RETRIES;
    this.retryBackoffMs = retryBackoffMs ?? DEFAULT_RETRY_BACKOFF_MS;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  /** Brokers, controller, cluster id and the given topics (all topics when `topics` is absent). */
  metadata(topics?: readonly string[]): Promise<ClusterMetadata> {
    return this.retrying(() => this.fetchMetadata(topics ?? null));
  }

  /** DescribeCluster where the broker has it (Kafka 2.8+), Metadata otherwise. */
  describeCluster(): Promise<ClusterDescription> {
    return this.retrying(async () => {
      const connection = await this.anyConnection();
      if (connection.versionFor(ApiKey.DescribeCluster) === undefined) {
        const { clusterId, controllerId, brokers } = await this.fetchMetadata([]);
        return { clusterId, controllerId, brokers };
      }
      const response = await connection.request(ApiKey.DescribeCluster, {
        includeClusterAuthorizedOperations: false,
        endpointType: 1, // brokers, not controllers (v1+, KIP-919)
      });
      if (response.errorCode !== 0) {
        throw new KafkaError(response.errorCode, `DescribeCluster: ${response.errorMessage ?? ''}`);
      }
      return {
        clusterId: response.clusterId,
        controllerId: response.controllerId,
        brokers: response.brokers.map((b) => ({ nodeId: b.brokerId, host: b.host, port: b.port, rack: b.rack })),
      };
    });
  }

  /** Creates topics; throws the first topic's KafkaError (TOPIC_ALREADY_EXISTS, ...) once all are answered. */
  async createTopics(topics: readonly NewTopic[], options: TopicAdminOptions = {}): Promise<CreatedTopic[]> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_ADMIN_TIMEOUT_MS;
    const results = await this.onController(
      'topic',
      topics,
      (t) => t.name,
      async (connection, batch) => {
        const response = await connection.request(
          ApiKey.CreateTopics,
          {
            topics: batch.map((t) => ({
              name: t.name,
              numPartitions: t.assignments ? -1 : (t.numPartitions ?? -1),
              replicationFactor: t.assignments ? -1 : (t.replicationFactor ?? -1),
              assignments: (t.assignments ?? []).map((brokerIds, partitionIndex) => ({
                partitionIndex,
                brokerIds: [...brokerIds],
              })),
              configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
            })),
            timeoutMs,
            validateOnly: options.validateOnly ?? false,
          },
          { timeoutMs: timeoutMs + this.requestTimeoutMs },
        );
        return response.topics.map((r) => ({ name: r.name, result: r }));
      },
    );
    return topics.flatMap((t) => {
      const r = results.get(t.name);
      if (!r) return [];
      return [
        { name: r.name, topicId: r.topicId, numPartitions: r.numPartitions, replicationFactor: r.replicationFactor },
      ];
    });
  }

  /** Deletes topics by name; throws the first topic's KafkaError (UNKNOWN_TOPIC_OR_PARTITION, ...). */
  async deleteTopics(names: readonly string[], options: Pick<TopicAdminOptions, 'timeoutMs'> = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_ADMIN_TIMEOUT_MS;
    await this.onController(
      'topic',
      names,
      (n) => n,
      async (connection, batch) => {
        const response = await connection.request(
          ApiKey.DeleteTopics,
          {
            // v6+ names topics in `topics` (by name or id), earlier versions in `topicNames`.
            topics: batch.map((name) => ({ name, topicId: ZERO_UUID })),
            topicNames: [...batch],
            timeoutMs,
          },
          { timeoutMs: timeoutMs + this.requestTimeoutMs },
        );
        return response.responses.map((r) => ({ name: r.name ?? r.topicId, result: r }));
      },
    );
  }

  /** Raises topics' partition counts; throws the first topic's KafkaError (INVALID_PARTITIONS, ...). */
  async createPartitions(updates: readonly NewPartitions[], options: TopicAdminOptions = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_ADMIN_TIMEOUT_MS;
    await this.onController(
      'topic',
      updates,
      (u) => u.topic,
      async (connection, batch) => {
        const response = await connection.request(
          ApiKey.CreatePartitions,
          {
            topics: batch.map((u) => ({
              name: u.topic,
              count: u.count,
              assignments: u.assignments ? u.assignments.map((ids) => ({ brokerIds: [...ids] })) : null,
            })),
            timeoutMs,
            validateOnly: options.validateOnly ?? false,
          },
          { timeoutMs: timeoutMs + this.requestTimeoutMs },
        );
        return response.results.map((r) => ({ name: r.name, result: r }));
      },
    );
  }

  /** Current configs, in the order asked; throws a KafkaError naming the first resource that failed. */
  describeConfigs(
    resources: readonly DescribeConfigsResource[],
    options: { readonly includeSynonyms?: boolean } = {},
  ): Promise<ConfigResourceDescription[]> {
    return this.retrying(async () => {
      const answers = await this.perConfigTarget(resources, async (connection, batch) => {
        const response = await connection.request(ApiKey.DescribeConfigs, {
          resources: batch.map((r) => ({
            resourceType: r.type,
            resourceName: r.name,
            configurationKeys: r.keys ? [...r.keys] : null,
          })),
          includeSynonyms: options.includeSynonyms ?? false,
          includeDocumentation: false,
        });
        return response.results.map((r) => ({
          key: resourceKey(r.resourceType, r.resourceName),
          errorCode: r.errorCode,
          errorMessage: r.errorMessage,
          value: r,
        }));
      });
      return resources.map((resource) => {
        const r = answers.get(resourceKey(resource.type, resource.name));
        if (!r) throw missingAnswer('DescribeConfigs', resource);
        return {
          type: resource.type,
          name: resource.name,
          configs: r.configs.map((c) => ({
            name: c.name,
            value: c.value,
            readOnly: c.readOnly,
            isDefault: c.isDefault || c.configSource === ConfigSource.DEFAULT_CONFIG,
            source: c.configSource,
            isSensitive: c.isSensitive,
            synonyms: c.synonyms.map((s) => ({ name: s.name, value: s.value, source: s.source })),
          })),
        };
      });
    });
  }

  /** Applies SET/DELETE/APPEND/SUBTRACT operations; throws a KafkaError naming the first resource that failed. */
  async incrementalAlterConfigs(
    resources: readonly AlterConfigsResource[],
    options: { readonly validateOnly?: boolean } = {},
  ): Promise<void> {
    this.assertOpen();
    await this.perConfigTarget(resources, async (connection, batch) => {
      const response = await connection.request(ApiKey.IncrementalAlterConfigs, {
        resources: batch.map((r) => ({
          resourceType: r.type,
          resourceName: r.name,
          configs: r.ops.map((o) => ({ name: o.name, configOperation: o.op, value: o.value ?? null })),
        })),
        validateOnly: options.validateOnly ?? false,
      });
      return response.responses.map((r) => ({
        key: resourceKey(r.resourceType, r.resourceName),
        errorCode: r.errorCode,
        errorMessage: r.errorMessage,
        value: r,
      }));
    });
  }

  /** Groups of every broker. Filters need ListGroups v4 (states) and v5 (types). */
  listGroups(
    options: { readonly states?: readonly string[]; readonly types?: readonly string[] } = {},
  ): Promise<ListedGroup[]> {
    return this.retrying(async () => {
      const { brokers } = await this.fetchMetadata([]);
      const perBroker = await Promise.all(
        brokers.map(async (broker) => {
          const connection = await this.connectionTo(broker);
          const version = requireVersion(connection, ApiKey.ListGroups);
          if ((options.states?.length && version < 4) || (options.types?.length && version < 5)) {
            throw new ClientError(
              ClientErrorCode.UNSUPPORTED_VERSION,
              `broker ${broker.nodeId} speaks ListGroups v${version}, too old to filter groups by state (v4) or type (v5)`,
            );
          }
          const response = await connection.request(ApiKey.ListGroups, {
            statesFilter: [...(options.states ?? [])],
            typesFilter: [...(options.types ?? [])],
          });
          if (response.errorCode !== 0)
            throw new KafkaError(response.errorCode, `ListGroups on broker ${broker.nodeId}`);
          return response.groups.map((g) => ({
            groupId: g.groupId,
            protocolType: g.protocolType,
            state: g.groupState,
            type: g.groupType,
            coordinatorId: broker.nodeId,
          }));
        }),
      );
      const byId = new Map<string, ListedGroup>();
      for (const group of perBroker.flat()) if (!byId.has(group.groupId)) byId.set(group.groupId, group);
      return [...byId.values()];
    });
  }

  /** Describes groups at their coordinators, in the order asked. */
  describeGroups(groupIds: readonly string[]): Promise<GroupDescription[]> {
    return this.retrying(async () => {
      const coordinators = await this.findGroupCoordinators(groupIds);
      const byCoordinator = groupBy(groupIds, (id) => coordinators.get(id)?.nodeId ?? -1);
      const described = new Map<string, GroupDescription>();
      await Promise.all(
        [...byCoordinator].map(async ([, ids]) => {
          const coordinator = ids[0] === undefined ? undefined : coordinators.get(ids[0]);
          if (!coordinator) return;
          const connection = await this.connectionTo(coordinator);
          const response = await connection.request(ApiKey.DescribeGroups, {
            groups: ids,
            includeAuthorizedOperations: false,
          });
          for (const g of response.groups) {
            if (g.errorCode !== 0) throw new KafkaError(g.errorCode, `group "${g.groupId}"`);
            described.set(g.groupId, {
              groupId: g.groupId,
              state: g.groupState,
              protocolType: g.protocolType,
              protocol: g.protocolData,
              coordinatorId: coordinator.nodeId,
              members: g.members.map((m) => ({
                memberId: m.memberId,
                groupInstanceId: m.groupInstanceId,
                clientId: m.clientId,
                clientHost: m.clientHost,
                metadata: m.memberMetadata,
                assignment: m.memberAssignment,
              })),
            });
          }
        }),
      );
      return groupIds.map((id) => {
        const group = described.get(id);
        if (!group)
          throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `group "${id}" missing from DescribeGroups response`);
        return group;
      });
    });
  }

  /** The earliest or latest offset of every partition of `topics`, asked of each partition's leader. */
  listOffsets(
    topics: readonly string[],
    spec: OffsetSpec = 'latest',
    options: { readonly isolationLevel?: 'read_uncommitted' | 'read_committed' } = {},
  ): Promise<PartitionOffset[]> {
    return this.retrying(async () => {
      const metadata = await this.fetchMetadata(topics);
      const partitions = metadata.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, ...p })));
      for (const p of partitions) {
        if (p.leader < 0) {
          throw new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `partition ${p.topic}-${p.partition} has no leader`);
        }
      }
      const byLeader = groupBy(partitions, (p) => p.leader);
      const offsets = new Map<string, PartitionOffset>();
      await Promise.all(
        [...byLeader].map(async ([leader, owned]) => {
          const connection = await this.brokerConnection(leader);
          const version = requireVersion(connection, ApiKey.ListOffsets);
          const response = await connection.request(ApiKey.ListOffsets, {
            replicaId: -1,
            isolationLevel: options.isolationLevel === 'read_committed' ? 1 : 0,
            topics: [...groupBy(owned, (p) => p.topic)].map(([name, ps]) => ({
              name,
              partitions: ps.map((p) => ({
                partitionIndex: p.partition,
                currentLeaderEpoch: -1,
                timestamp: OFFSET_TIMESTAMP[spec],
                maxNumOffsets: 1,
              })),
            })),
            timeoutMs: this.requestTimeoutMs,
          });
          for (const t of response.topics) {
            for (const p of t.partitions) {
              if (p.errorCode !== 0) throw new KafkaError(p.errorCode, `partition ${t.name}-${p.partitionIndex}`);
              offsets.set(`${t.name}\u0000${p.partitionIndex}`, {
                topic: t.name,
                partition: p.partitionIndex,
                // v0 answers with a list of segment offsets instead of one offset.
                offset: version === 0 ? (p.oldStyleOffsets[0] ?? -1n) : p.offset,
                timestamp: p.timestamp,
                leaderEpoch: p.leaderEpoch,
              });
            }
          }
        }),
      );
      return partitions.map((p) => {
        const offset = offsets.get(`${p.topic}\u0000${p.partition}`);
        if (!offset) {
          throw new KafkaError(
            ErrorCode.UNKNOWN_SERVER_ERROR,
            `partition ${p.topic}-${p.partition} missing from ListOffsets response`,
          );
        }
        return offset;
      });
    });
  }

  /** Closes every connection. Safe to call twice: every call returns the same promise. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const connections = [...this.pool.values()];
      this.pool.clear();
      await Promise.all(
        connections.map((c) =>
          c.then(
            (connection) => connection.close(),
            () => undefined,
          ),
        ),
      );
    })();
    return this.closing;
  }

  private assertOpen(): void {
    if (this.closing) throw new ClientError(ClientErrorCode.CLIENT_CLOSED, 'the AdminClient is closed');
  }

  private async fetchMetadata(topics: readonly string[] | null): Promise<ClusterMetadata> {
    const connection = await this.anyConnection();
    const version = requireVersion(connection, ApiKey.Metadata);
    const response = await connection.request(ApiKey.Metadata, {
      // v0 has no null: an empty list means all topics there.
      topics: topics === null ? (version === 0 ? [] : null) : topics.map((name) => ({ topicId: ZERO_UUID, name })),
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    for (const t of response.topics) {
      if (t.errorCode !== 0) throw new KafkaError(t.errorCode, `topic "${t.name ?? t.topicId}"`);
    }
    const metadata: ClusterMetadata = {
      clusterId: response.clusterId,
      controllerId: response.controllerId,
      brokers: response.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack })),
      topics: response.topics.map((t) => ({
        name: t.name ?? '',
        topicId: t.topicId,
        isInternal: t.isInternal,
        partitions: t.partitions
          .map((p) => ({
            partition: p.partitionIndex,
            leader: p.leaderId,
            leaderEpoch: p.leaderEpoch,
            replicas: p.replicaNodes,
            isr: p.isrNodes,
            offlineReplicas: p.offlineReplicas,
            errorCode: p.errorCode,
          }))
          .sort((a, b) => a.partition - b.partition),
      })),
    };
    this.cluster = metadata;
    return metadata;
  }

  /**
   * Sends a topic admin batch to the controller. Items the broker answers NOT_CONTROLLER for were not
   * touched, so they are sent again to the controller of fresh metadata; any other error code is final.
   * Throws the first item's error once every item is answered, else returns each item's result.
   */
  private async onController<I, R extends { errorCode: number; errorMessage: string | null }>(
    kind: string,
    items: readonly I[],
    keyOf: (item: I) => string,
    send: (connection: Connection, batch: readonly I[]) => Promise<{ name: string; result: R }[]>,
  ): Promise<Map<string, R>> {
    this.assertOpen();
    const results = new Map<string, R>();
    const failures: KafkaError[] = [];
    let pending = items;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) await sleep(this.backoff(attempt - 1));
      const connection = await this.controllerConnection();
      const answers = await send(connection, pending);
      const retry = new Set<string>();
      for (const { name, result } of answers) {
        if (result.errorCode === ErrorCode.NOT_CONTROLLER && attempt < this.retries) retry.add(name);
        else if (result.errorCode !== 0) failures.push(resourceError(result, `${kind} "${name}"`));
        else results.set(name, result);
      }
      pending = pending.filter((item) => retry.has(keyOf(item)));
    }
    if (failures[0]) throw failures[0];
    return results;
  }

  /**
   * Sends config requests where Kafka wants them: a broker's own configs to that broker, the rest to
   * any broker. Returns the answers by resource; throws a KafkaError naming the first failed resource.
   */
  private async perConfigTarget<C extends ConfigResource, V>(
    resources: readonly C[],
    send: (
      connection: Connection,
      batch: C[],
    ) => Promise<{ key: string; errorCode: number; errorMessage: string | null; value: V }[]>,
  ): Promise<Map<string, V>> {
    const byTarget = groupBy(resources, (r) =>
      (r.type === ConfigResourceType.BROKER || r.type === ConfigResourceType.BROKER_LOGGER) && /^\d+$/.test(r.name)
        ? Number(r.name)
        : -1,
    );
    const answers = new Map<string, V>();
    const failures = new Map<string, KafkaError>();
    await Promise.all(
      [...byTarget].map(async ([target, batch]) => {
        const connection = target < 0 ? await this.anyConnection() : await this.brokerConnection(target);
        for (const answer of await send(connection, batch)) {
          if (answer.errorCode === 0) {
            answers.set(answer.key, answer.value);
            continue;
          }
          const resource = batch.find((r) => resourceKey(r.type, r.name) === answer.key);
          failures.set(answer.key, resourceError(answer, resource ? describeResource(resource) : answer.key));
        }
      }),
    );
    // The first failure in the caller's order, so that the error does not depend on response timing.
    for (const r of resources) {
      const failure = failures.get(resourceKey(r.type, r.name));
      if (failure) throw failure;
    }
    const [other] = failures.values();
    if (other) throw other;
    return answers;
  }

  private async findGroupCoordinators(groupIds: readonly string[]): Promise<Map<string, BrokerInfo>> {
    const connection = await this.anyConnection();
    const version = requireVersion(connection, ApiKey.FindCoordinator);
    const found = new Map<string, BrokerInfo>();
    const record = (
      groupId: string,
      c: { errorCode: number; errorMessage: string | null; nodeId: number; host: string; port: number },
    ) => {
      if (c.errorCode !== 0) throw resourceError(c, `coordinator of group "${groupId}"`);
      found.set(groupId, { nodeId: c.nodeId, host: c.host, port: c.port, rack: null });
    };
    if (version >= 4) {
      const response = await connection.request(ApiKey.FindCoordinator, {
        key: '',
        keyType: GROUP_KEY_TYPE,
        coordinatorKeys: [...groupIds],
      });
      for (const c of response.coordinators) record(c.key, c);
    } else {
      await Promise.all(
        groupIds.map(async (groupId) => {
          const response = await connection.request(ApiKey.FindCoordinator, {
            key: groupId,
            keyType: GROUP_KEY_TYPE,
            coordinatorKeys: [],
          });
          record(groupId, response);
        }),
      );
    }
    for (const id of groupIds) {
      if (!found.has(id)) {
        throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `no coordinator returned for group "${id}"`);
      }
    }
    return found;
  }

  /** The controller named by fresh metadata, or any broker when there is none. */
  private async controllerConnection(): Promise<Connection> {
    const metadata = await this.retrying(() => this.fetchMetadata([]));
    const controller = metadata.brokers.find((b) => b.nodeId === metadata.controllerId);
    return controller ? this.connectionTo(controller) : this.anyConnection();
  }

  private async brokerConnection(nodeId: number): Promise<Connection> {
    let broker = this.cluster?.brokers.find((b) => b.nodeId === nodeId);
    if (!broker) broker = (await this.fetchMetadata([])).brokers.find((b) => b.nodeId === nodeId);
    if (!broker)
      throw new KafkaError(ErrorCode.BROKER_NOT_AVAILABLE, `broker ${nodeId} is not in the cluster metadata`);
    return this.connectionTo(broker);
  }

  /**
   * An open connection if there is one, else the first bootstrap or known broker that accepts one. A
   * KafkaError while connecting (authentication failed, mechanism not enabled) is final: other brokers
   * of the same cluster would say the same.
   */
  private async anyConnection(): Promise<Connection> {
    this.assertOpen();
    for (const entry of [...this.pool.values()]) {
      const connection = await entry.catch(() => undefined);
      if (connection && !connection.closed) return connection;
    }
    const candidates = [...this.bootstrap, ...(this.cluster?.brokers ?? [])];
    const errors: unknown[] = [];
    for (const address of candidates) {
      try {
        return await this.connectionTo(address);
      } catch (err) {
        if (err instanceof KafkaError || (err instanceof ClientError && err.code === ClientErrorCode.CLIENT_CLOSED)) {
          throw err;
        }
        errors.push(err);
      }
    }
    const reasons = errors.map((e) => (e instanceof Error ? e.message : String(e))).join('; ');
    throw new ClientError(ClientErrorCode.NO_BROKER_AVAILABLE, `no broker could be reached: ${reasons}`, {
      cause: errors[0],
    });
  }

  private async connectionTo(address: BrokerAddress): Promise<Connection> {
    this.assertOpen();
    const key = `${address.host}:${address.port}`;
    const existing = this.pool.get(key);
    if (existing) {
      const connection = await existing.catch(() => undefined);
      if (connection && !connection.closed) return connection;
      if (this.pool.get(key) !== existing) return this.connectionTo(address);
      this.pool.delete(key);
    }
    const opening = connect({ ...this.connectionOptions, host: address.host, port: address.port });
    this.pool.set(key, opening);
    try {
      const connection = await opening;
      if (this.closing) {
        await connection.close();
        this.assertOpen();
      }
      return connection;
    } catch (err) {
      if (this.pool.get(key) === opening) this.pool.delete(key);
      throw err;
    }
  }

  private async retrying<T>(operation: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      this.assertOpen();
      try {
        return await operation();
      } catch (err) {
        const retriable = (err instanceof KafkaError || err instanceof ClientError) && err.retriable;
        if (!retriable || attempt >= this.retries || this.closing) throw err;
        await sleep(this.backoff(attempt));
      }
    }
  }

  private backoff(attempt: number): number {
    return this.retryBackoffMs * 2 ** attempt;
  }
}

function requireVersion(connection: Connection, apiKey: ApiKey): number {
  const version = connection.versionFor(apiKey);
  if (version === undefined) {
    throw new ClientError(
      ClientErrorCode.UNSUPPORTED_API,
      `${connection.address} has no usable version of API ${apiKey}`,
    );
  }
  return version;
}

function resourceError(result: { errorCode: number; errorMessage: string | null }, what: string): KafkaError {
  return new KafkaError(result.errorCode, `${what}: ${result.errorMessage ?? errorInfo(result.errorCode).message}`);
}

function missingAnswer(api: string, resource: ConfigResource): KafkaError {
  return new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `${describeResource(resource)} missing from ${api} response`);
}

const RESOURCE_TYPE_NAMES = new Map<number, string>(
  Object.entries(ConfigResourceType).map(([name, type]) => [type, name.toLowerCase().replace('_', ' ')]),
);

function describeResource(resource: ConfigResource): string {
  return `${RESOURCE_TYPE_NAMES.get(resource.type) ?? `resource type ${resource.type}`} "${resource.name}"`;
}

function resourceKey(type: number, name: string): string {
  return `${type}\u0000${name}`;
}

function groupBy<T, K>(items: readonly T[], keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

function parseAddress(address: string): BrokerAddress {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(address.trim());
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (!host || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TypeError(`not a host:port broker address: ${JSON.stringify(address)}`);
  }
  return { host, port };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

import { afterEach, describe, expect, it } from 'vitest';
import { allApiVersions, FakeBroker, type Handlers } from '../../test/fake-broker.js';
import { ErrorCode, KafkaError } from '../errors.js';
import { ApiKey } from '../generated/api.js';
import {
  defaultCreatePartitionsResponse,
  defaultCreateTopicsResponse,
  defaultCreateTopicsResponseCreatableTopicResult,
  defaultDeleteTopicsResponse,
  defaultDeleteTopicsResponseDeletableTopicResult,
  defaultDescribeClusterResponse,
  defaultDescribeConfigsResponse,
  defaultDescribeConfigsResponseDescribeConfigsResourceResult,
  defaultDescribeConfigsResponseDescribeConfigsResult,
  defaultDescribeGroupsResponse,
  defaultDescribeGroupsResponseDescribedGroup,
  defaultDescribeGroupsResponseDescribedGroupMember,
  defaultFindCoordinatorResponse,
  defaultFindCoordinatorResponseCoordinator,
  defaultIncrementalAlterConfigsResponse,
  defaultListGroupsResponse,
  defaultListGroupsResponseListedGroup,
  defaultListOffsetsResponse,
  defaultListOffsetsResponseListOffsetsPartitionResponse,
  defaultMetadataResponse,
  defaultMetadataResponsePartition,
  defaultMetadataResponseTopic,
} from '../generated/index.js';
import { randomUuid } from '../primitives/uuid.js';
import { AdminClient, type AdminClientOptions, AlterConfigOp, ConfigResourceType, ConfigSource } from './admin.js';
import { ClientError } from './errors.js';

/**
 * A three-broker cluster of fake brokers sharing one state, strict about routing the way Kafka is: topic
 * admin only at the controller (ZooKeeper-era behaviour, unless `anyBrokerIsController`), a broker's
 * configs only at that broker, group requests only at the coordinator, ListOffsets only at the leader.
 */
interface FakeTopic {
  readonly topicId: string;
  /** Leader of each partition; replicas are the leader and the next broker. */
  leaders: number[];
  readonly configs: Map<string, string>;
  readonly offsets: { earliest: bigint; latest: bigint }[];
}

interface FakeGroup {
  readonly coordinator: number;
  readonly state: string;
  readonly members: string[];
}

interface ClusterState {
  controllerId: number;
  /** Metadata keeps naming this broker as controller for this many more answers (a controller move). */
  staleController: { id: number; answers: number };
  /** KRaft brokers accept topic admin anywhere and forward it (KIP-590). */
  anyBrokerIsController: boolean;
  /** Metadata answers LEADER_NOT_AVAILABLE for topics this many more times (topic still being created). */
  leaderNotAvailable: number;
  readonly topics: Map<string, FakeTopic>;
  readonly brokerConfigs: Map<number, Map<string, string>>;
  readonly groups: Map<string, FakeGroup>;
}

const NODE_IDS = [1, 2, 3];

class FakeCluster {
  readonly state: ClusterState = {
    controllerId: 2,
    staleController: { id: -1, answers: 0 },
    anyBrokerIsController: false,
    leaderNotAvailable: 0,
    topics: new Map(),
    brokerConfigs: new Map(NODE_IDS.map((id) => [id, new Map([['log.retention.hours', String(100 + id)]])])),
    groups: new Map(),
  };
  readonly brokers: FakeBroker[] = [];

  static async start(): Promise<FakeCluster> {
    const cluster = new FakeCluster();
    for (const nodeId of NODE_IDS) {
      const broker = await FakeBroker.start({ nodeId });
      broker.handlers = cluster.handlersFor(nodeId);
      cluster.brokers.push(broker);
    }
    return cluster;
  }

  broker(nodeId: number): FakeBroker {
    const broker = this.brokers.find((b) => b.nodeId === nodeId);
    if (!broker) throw new Error(`no broker ${nodeId}`);
    return broker;
  }

  /** Which brokers received requests of `apiKey`. */
  receivers(apiKey: ApiKey): number[] {
    return this.brokers.filter((b) => b.versionsOf(apiKey).length > 0).map((b) => b.nodeId);
  }

  addTopic(name: string, leaders: number[], configs: Record<string, string> = {}): FakeTopic {
    const topic: FakeTopic = {
      topicId: randomUuid(),
      leaders,
      configs: new Map(Object.entries(configs)),
      offsets: leaders.map((_, p) => ({ earliest: BigInt(p * 10), latest: BigInt(p * 10 + 100) })),
    };
    this.state.topics.set(name, topic);
    return topic;
  }

  close(): Promise<unknown> {
    return Promise.all(this.brokers.map((b) => b.close()));
  }

  private isController(nodeId: number): boolean {
    return this.state.anyBrokerIsController || nodeId === this.state.controllerId;
  }

  private handlersFor(nodeId: number): Handlers {
    const s = this.state;
    return {
      [ApiKey.Metadata]: ({ body }) => {
        let controllerId = s.controllerId;
        if (s.staleController.answers > 0) {
          s.staleController.answers--;
          controllerId = s.staleController.id;
        }
        const names = body.topics === null ? [...s.topics.keys()] : body.topics.map((t) => t.name ?? '');
        const transient = names.length > 0 && s.leaderNotAvailable > 0;
        if (transient) s.leaderNotAvailable--;
        return {
          ...defaultMetadataResponse(),
          clusterId: 'fake-cluster',
          controllerId,
          brokers: this.brokers.map((b) => ({
            nodeId: b.nodeId,
            host: b.host,
            port: b.port,
            rack: `rack-${b.nodeId}`,
          })),
          topics: names.map((name) => {
            const topic = s.topics.get(name);
            if (!topic)
              return { ...defaultMetadataResponseTopic(), name, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
            if (transient)
              return { ...defaultMetadataResponseTopic(), name, errorCode: ErrorCode.LEADER_NOT_AVAILABLE };
            return {
              ...defaultMetadataResponseTopic(),
              name,
              topicId: topic.topicId,
              // Kafka lists partitions in no promised order.
              partitions: topic.leaders
                .map((leader, partitionIndex) => ({
                  ...defaultMetadataResponsePartition(),
                  partitionIndex,
                  leaderId: leader,
                  leaderEpoch: 5,
                  replicaNodes: [leader, (leader % 3) + 1],
                  isrNodes: [leader],
                }))
                .reverse(),
            };
          }),
        };
      },

      [ApiKey.CreateTopics]: ({ body }) => ({
        ...defaultCreateTopicsResponse(),
        topics: body.topics.map((t) => {
          const result = { ...defaultCreateTopicsResponseCreatableTopicResult(), name: t.name, configs: null };
          if (!this.isController(nodeId)) return { ...result, errorCode: ErrorCode.NOT_CONTROLLER };
          if (s.topics.has(t.name)) {
            return {
              ...result,
              errorCode: ErrorCode.TOPIC_ALREADY_EXISTS,
              errorMessage: `Topic '${t.name}' already exists.`,
            };
          }
          const count = t.assignments.length || (t.numPartitions < 0 ? 1 : t.numPartitions);
          const leaders = Array.from(
            { length: count },
            (_, p) => t.assignments[p]?.brokerIds[0] ?? NODE_IDS[p % 3] ?? 1,
          );
          const topic = this.addTopic(
            t.name,
            leaders,
            Object.fromEntries(t.configs.map((c) => [c.name, c.value ?? ''])),
          );
          return {
            ...result,
            topicId: topic.topicId,
            numPartitions: count,
            replicationFactor: t.replicationFactor < 0 ? 2 : t.replicationFactor,
          };
        }),
      }),

      [ApiKey.DeleteTopics]: ({ body, version }) => {
        const names = version >= 6 ? body.topics.map((t) => t.name ?? '') : body.topicNames;
        return {
          ...defaultDeleteTopicsResponse(),
          responses: names.map((name) => {
            const result = { ...defaultDeleteTopicsResponseDeletableTopicResult(), name };
            if (!this.isController(nodeId)) return { ...result, errorCode: ErrorCode.NOT_CONTROLLER };
            if (!s.topics.delete(name)) return { ...result, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
            return result;
          }),
        };
      },

      [ApiKey.CreatePartitions]: ({ body }) => ({
        ...defaultCreatePartitionsResponse(),
        results: body.topics.map((t) => {
          const topic = s.topics.get(t.name);
          const result = { name: t.name, errorCode: 0, errorMessage: null };
          if (!this.isController(nodeId)) return { ...result, errorCode: ErrorCode.NOT_CONTROLLER };
          if (!topic) return { ...result, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
          if (t.count <= topic.leaders.length) {
            return {
              ...result,
              errorCode: ErrorCode.INVALID_PARTITIONS,
              errorMessage: `Topic currently has ${topic.leaders.length} partitions, which is higher than the requested ${t.count}.`,
            };
          }
          while (topic.leaders.length < t.count) topic.leaders.push(1);
          return result;
        }),
      }),

      [ApiKey.DescribeConfigs]: ({ body }) => ({
        ...defaultDescribeConfigsResponse(),
        results: body.resources.map((r) => {
          const result = {
            ...defaultDescribeConfigsResponseDescribeConfigsResult(),
            resourceType: r.resourceType,
            resourceName: r.resourceName,
          };
          const configs = this.configsOf(nodeId, r.resourceType, r.resourceName);
          if (typeof configs === 'number') return { ...result, errorCode: configs };
          return {
            ...result,
            configs: [...configs]
              .filter(([name]) => r.configurationKeys === null || r.configurationKeys.includes(name))
              .map(([name, value]) => ({
                ...defaultDescribeConfigsResponseDescribeConfigsResourceResult(),
                name,
                value,
                configSource:
                  r.resourceType === ConfigResourceType.TOPIC
                    ? ConfigSource.DYNAMIC_TOPIC_CONFIG
                    : ConfigSource.STATIC_BROKER_CONFIG,
              })),
          };
        }),
      }),

      [ApiKey.IncrementalAlterConfigs]: ({ body }) => ({
        ...defaultIncrementalAlterConfigsResponse(),
        responses: body.resources.map((r) => {
          const result = {
            errorCode: 0,
            errorMessage: null,
            resourceType: r.resourceType,
            resourceName: r.resourceName,
          };
          const configs = this.configsOf(nodeId, r.resourceType, r.resourceName);
          if (typeof configs === 'number') return { ...result, errorCode: configs };
          for (const c of r.configs) {
            if (c.configOperation === AlterConfigOp.SET) configs.set(c.name, c.value ?? '');
            else if (c.configOperation === AlterConfigOp.DELETE) configs.delete(c.name);
            else return { ...result, errorCode: ErrorCode.INVALID_CONFIG, errorMessage: 'only SET and DELETE here' };
          }
          return result;
        }),
      }),

      [ApiKey.ListGroups]: ({ body }) => ({
        ...defaultListGroupsResponse(),
        groups: [...s.groups]
          .filter(([, g]) => g.coordinator === nodeId)
          .filter(([, g]) => body.statesFilter.length === 0 || body.statesFilter.includes(g.state))
          .map(([groupId, g]) => ({
            ...defaultListGroupsResponseListedGroup(),
            groupId,
            protocolType: 'consumer',
            groupState: g.state,
            groupType: 'classic',
          })),
      }),

      [ApiKey.FindCoordinator]: ({ body, version }) => {
        const locate = (key: string) => {
          const group = s.groups.get(key);
          // Kafka hashes unknown groups onto a coordinator too; broker 1 here.
          const broker = this.broker(group?.coordinator ?? 1);
          return { key, nodeId: broker.nodeId, host: broker.host, port: broker.port, errorCode: 0, errorMessage: null };
        };
        if (version >= 4) {
          return {
            ...defaultFindCoordinatorResponse(),
            coordinators: body.coordinatorKeys.map((k) => ({
              ...defaultFindCoordinatorResponseCoordinator(),
              ...locate(k),
            })),
          };
        }
        const { nodeId: coordinator, host, port } = locate(body.key);
        return { ...defaultFindCoordinatorResponse(), nodeId: coordinator, host, port };
      },

      [ApiKey.DescribeGroups]: ({ body }) => ({
        ...defaultDescribeGroupsResponse(),
        groups: body.groups.map((groupId) => {
          const group = s.groups.get(groupId);
          const result = { ...defaultDescribeGroupsResponseDescribedGroup(), groupId };
          if (group && group.coordinator !== nodeId) return { ...result, errorCode: ErrorCode.NOT_COORDINATOR };
          if (!group) return { ...result, groupState: 'Dead' };
          return {
            ...result,
            groupState: group.state,
            protocolType: 'consumer',
            protocolData: 'range',
            members: group.members.map((memberId) => ({
              ...defaultDescribeGroupsResponseDescribedGroupMember(),
              memberId,
              clientId: `client-${memberId}`,
              clientHost: '/127.0.0.1',
              memberAssignment: Buffer.from([0, 1]),
            })),
          };
        }),
      }),

      [ApiKey.ListOffsets]: ({ body }) => ({
        ...defaultListOffsetsResponse(),
        topics: body.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => {
            const topic = s.topics.get(t.name);
            const result = {
              ...defaultListOffsetsResponseListOffsetsPartitionResponse(),
              partitionIndex: p.partitionIndex,
            };
            const offsets = topic?.offsets[p.partitionIndex];
            if (!topic || !offsets) return { ...result, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
            if (topic.leaders[p.partitionIndex] !== nodeId)
              return { ...result, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
            return { ...result, offset: p.timestamp === -2n ? offsets.earliest : offsets.latest, leaderEpoch: 5 };
          }),
        })),
      }),

      [ApiKey.DescribeCluster]: () => ({
        ...defaultDescribeClusterResponse(),
        clusterId: 'fake-cluster',
        controllerId: s.controllerId,
        brokers: this.brokers.map((b) => ({ brokerId: b.nodeId, host: b.host, port: b.port, rack: null })),
      }),
    };
  }

  /** The config map a broker may serve for a resource, or the error code Kafka would answer. */
  private configsOf(nodeId: number, type: number, name: string): Map<string, string> | number {
    if (type === ConfigResourceType.TOPIC)
      return this.state.topics.get(name)?.configs ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    if (type === ConfigResourceType.BROKER) {
      // Kafka: a broker only describes its own configs ("Unexpected broker id").
      if (name !== String(nodeId)) return ErrorCode.INVALID_REQUEST;
      return this.state.brokerConfigs.get(nodeId) ?? ErrorCode.INVALID_REQUEST;
    }
    return ErrorCode.INVALID_REQUEST;
  }
}

const clusters: FakeCluster[] = [];
const admins: AdminClient[] = [];

afterEach(async () => {
  await Promise.all(admins.splice(0).map((a) => a.close()));
  await Promise.all(clusters.splice(0).map((c) => c.close()));
});

async function startCluster(): Promise<FakeCluster> {
  const cluster = await FakeCluster.start();
  clusters.push(cluster);
  return cluster;
}

function adminFor(cluster: FakeCluster, options: Partial<AdminClientOptions> = {}): AdminClient {
  const admin = new AdminClient({ bootstrap: [cluster.broker(1).bootstrap], retryBackoffMs: 5, ...options });
  admins.push(admin);
  return admin;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof Error) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('AdminClient: metadata', () => {
  it('lists brokers, controller, cluster id and topics with ids and sorted partitions', async () => {
    const cluster = await startCluster();
    const orders = cluster.addTopic('orders', [1, 2, 3]);
    cluster.addTopic('audit', [3]);
    const admin = adminFor(cluster);

    const all = await admin.metadata();
    expect(all.clusterId).toBe('fake-cluster');
    expect(all.controllerId).toBe(2);
    expect(all.brokers.map((b) => [b.nodeId, b.host, b.port, b.rack])).toEqual(
      cluster.brokers.map((b) => [b.nodeId, '127.0.0.1', b.port, `rack-${b.nodeId}`]),
    );
    expect(all.topics.map((t) => t.name).sort()).toEqual(['audit', 'orders']);

    const [topic] = (await admin.metadata(['orders'])).topics;
    expect(topic?.topicId).toBe(orders.topicId);
    expect(topic?.partitions.map((p) => [p.partition, p.leader, p.replicas])).toEqual([
      [0, 1, [1, 2]],
      [1, 2, [2, 3]],
      [2, 3, [3, 1]],
    ]);
  });

  it('names the topic in the KafkaError of an unknown topic, and retries a transient error', async () => {
    const cluster = await startCluster();
    cluster.addTopic('orders', [1]);
    const admin = adminFor(cluster);

    const err = await rejection(admin.metadata(['orders', 'missing']));
    expect(err).toBeInstanceOf(KafkaError);
    expect(err).toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
    expect(err.message).toContain('"missing"');

    cluster.state.leaderNotAvailable = 2;
    expect((await admin.metadata(['orders'])).topics).toHaveLength(1);
    expect(cluster.state.leaderNotAvailable).toBe(0);
  });

  it('describes the cluster with DescribeCluster, or with Metadata from brokers without it', async () => {
    const cluster = await startCluster();
    const described = await adminFor(cluster).describeCluster();
    expect(described).toMatchObject({ clusterId: 'fake-cluster', controllerId: 2 });
    expect(described.brokers.map((b) => b.nodeId)).toEqual(NODE_IDS);
    expect(cluster.receivers(ApiKey.DescribeCluster)).toEqual([1]);

    for (const broker of cluster.brokers) {
      broker.apiVersions = allApiVersions().filter((k) => k.apiKey !== ApiKey.DescribeCluster);
    }
    const fallback = await adminFor(cluster).describeCluster();
    expect(fallback.brokers.map((b) => b.rack)).toEqual(['rack-1', 'rack-2', 'rack-3']);
  });
});

describe('AdminClient: topics', () => {
  it('creates topics at the controller and names the topic that failed', async () => {
    const cluster = await startCluster();
    const admin = adminFor(cluster);

    const [created] = await admin.createTopics([
      { name: 'orders', numPartitions: 3, replicationFactor: 2, configs: { 'cleanup.policy': 'compact' } },
    ]);
    expect(created).toMatchObject({ name: 'orders', numPartitions: 3, replicationFactor: 2 });
    expect(created?.topicId).toBe(cluster.state.topics.get('orders')?.topicId);
    expect(cluster.state.topics.get('orders')?.configs.get('cleanup.policy')).toBe('compact');
    expect(cluster.receivers(ApiKey.CreateTopics)).toEqual([2]);

    const err = await rejection(admin.createTopics([{ name: 'payments', numPartitions: 1 }, { name: 'orders' }]));
    expect(err).toMatchObject({ code: 'TOPIC_ALREADY_EXISTS', errorCode: 36 });
    expect(err.message).toContain('topic "orders"');
    expect(cluster.state.topics.has('payments')).toBe(true);
  });

  it('follows a controller move: NOT_CONTROLLER topics go again to the new controller', async () => {
    const cluster = await startCluster();
    cluster.state.controllerId = 3;
    cluster.state.staleController = { id: 2, answers: 1 };
    const admin = adminFor(cluster);

    await admin.createTopics([
      {
        name: 'orders',
        assignments: [
          [3, 1],
          [1, 2],
        ],
      },
    ]);
    expect(cluster.state.topics.get('orders')?.leaders).toEqual([3, 1]);
    expect(cluster.broker(2).versionsOf(ApiKey.CreateTopics)).toHaveLength(1);
    expect(cluster.broker(3).versionsOf(ApiKey.CreateTopics)).toHaveLength(1);
  });

  it('sends topic admin to any broker when the cluster names no controller (KRaft brokers forward)', async () => {
    const cluster = await startCluster();
    cluster.state.controllerId = -1;
    cluster.state.anyBrokerIsController = true;
    const admin = adminFor(cluster);
    await admin.createTopics([{ name: 'orders' }]);
    expect(cluster.receivers(ApiKey.CreateTopics)).toEqual([1]);
  });

  it('adds partitions and deletes topics, with the failing topic named', async () => {
    const cluster = await startCluster();
    cluster.addTopic('orders', [1, 2]);
    const admin = adminFor(cluster);

    await admin.createPartitions([{ topic: 'orders', count: 4 }]);
    expect(cluster.state.topics.get('orders')?.leaders).toHaveLength(4);
    const shrink = await rejection(admin.createPartitions([{ topic: 'orders', count: 2 }]));
    expect(shrink).toMatchObject({ code: 'INVALID_PARTITIONS' });
    expect(shrink.message).toContain('topic "orders": Topic currently has 4 partitions');

    await admin.deleteTopics(['orders']);
    expect(cluster.state.topics.has('orders')).toBe(false);
    const gone = await rejection(admin.deleteTopics(['orders']));
    expect(gone).toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
    expect(gone.message).toContain('topic "orders"');
    expect(cluster.receivers(ApiKey.DeleteTopics)).toEqual([2]);
  });
});

describe('AdminClient: configs', () => {
  it('describes topic configs at any broker and broker configs at that broker, in the order asked', async () => {
    const cluster = await startCluster();
    cluster.addTopic('orders', [1], { 'retention.ms': '1000', 'cleanup.policy': 'delete' });
    const admin = adminFor(cluster);

    const [broker3, topic] = await admin.describeConfigs([
      { type: ConfigResourceType.BROKER, name: '3' },
      { type: ConfigResourceType.TOPIC, name: 'orders', keys: ['retention.ms'] },
    ]);
    expect(broker3?.configs.map((c) => [c.name, c.value, c.source])).toEqual([
      ['log.retention.hours', '103', ConfigSource.STATIC_BROKER_CONFIG],
    ]);
    expect(topic).toMatchObject({ type: ConfigResourceType.TOPIC, name: 'orders' });
    expect(topic?.configs.map((c) => [c.name, c.value])).toEqual([['retention.ms', '1000']]);
    expect(cluster.broker(3).versionsOf(ApiKey.DescribeConfigs)).toHaveLength(1);

    const err = await rejection(admin.describeConfigs([{ type: ConfigResourceType.TOPIC, name: 'nope' }]));
    expect(err).toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
    expect(err.message).toContain('topic "nope"');
  });

  it('alters configs incrementally (SET and DELETE) and names the resource that failed', async () => {
    const cluster = await startCluster();
    cluster.addTopic('orders', [1], { 'retention.ms': '1000' });
    const admin = adminFor(cluster);

    await admin.incrementalAlterConfigs([
      {
        type: ConfigResourceType.TOPIC,
        name: 'orders',
        ops: [
          { name: 'retention.ms', op: AlterConfigOp.DELETE },
          { name: 'max.message.bytes', op: AlterConfigOp.SET, value: '2097152' },
        ],
      },
      {
        type: ConfigResourceType.BROKER,
        name: '2',
        ops: [{ name: 'log.retention.hours', op: AlterConfigOp.SET, value: '1' }],
      },
    ]);
    expect([...(cluster.state.topics.get('orders')?.configs ?? [])]).toEqual([['max.message.bytes', '2097152']]);
    expect(cluster.state.brokerConfigs.get(2)?.get('log.retention.hours')).toBe('1');
    expect(cluster.broker(2).versionsOf(ApiKey.IncrementalAlterConfigs)).toHaveLength(1);

    const err = await rejection(
      admin.incrementalAlterConfigs([
        { type: ConfigResourceType.TOPIC, name: 'orders', ops: [{ name: 'x', op: AlterConfigOp.APPEND, value: 'y' }] },
      ]),
    );
    expect(err).toMatchObject({ code: 'INVALID_CONFIG' });
    expect(err.message).toContain('topic "orders": only SET and DELETE here');
  });
});

describe('AdminClient: groups and offsets', () => {
  function addGroups(cluster: FakeCluster): void {
    cluster.state.groups.set('billing', { coordinator: 1, state: 'Stable', members: ['m1', 'm2'] });
    cluster.state.groups.set('search', { coordinator: 3, state: 'Empty', members: [] });
    cluster.state.groups.set('emails', { coordinator: 3, state: 'Stable', members: ['m3'] });
  }

  it('lists the groups of every broker, optionally filtered by state', async () => {
    const cluster = await startCluster();
    addGroups(cluster);
    const admin = adminFor(cluster);
    const groups = await admin.listGroups();
    expect(groups.map((g) => [g.groupId, g.state, g.coordinatorId]).sort()).toEqual([
      ['billing', 'Stable', 1],
      ['emails', 'Stable', 3],
      ['search', 'Empty', 3],
    ]);
    expect(cluster.receivers(ApiKey.ListGroups)).toEqual(NODE_IDS);
    expect((await admin.listGroups({ states: ['Empty'] })).map((g) => g.groupId)).toEqual(['search']);
  });

  it('describes groups at their coordinators, batched FindCoordinator (v4+) or one per group', async () => {
    for (const findCoordinatorMax of [6, 3]) {
      const cluster = await startCluster();
      addGroups(cluster);
      for (const broker of cluster.brokers) {
        broker.apiVersions = allApiVersions().map((k) =>
          k.apiKey === ApiKey.FindCoordinator ? { ...k, maxVersion: findCoordinatorMax } : k,
        );
      }
      const admin = adminFor(cluster);
      const [search, billing] = await admin.describeGroups(['search', 'billing']);
      expect(search).toMatchObject({ groupId: 'search', state: 'Empty', coordinatorId: 3, members: [] });
      expect(billing).toMatchObject({ groupId: 'billing', state: 'Stable', protocol: 'range', coordinatorId: 1 });
      expect(billing?.members.map((m) => [m.memberId, m.clientId, [...m.assignment]])).toEqual([
        ['m1', 'client-m1', [0, 1]],
        ['m2', 'client-m2', [0, 1]],
      ]);
      expect(cluster.broker(1).versionsOf(ApiKey.FindCoordinator)).toHaveLength(findCoordinatorMax >= 4 ? 1 : 2);
      expect(cluster.receivers(ApiKey.DescribeGroups)).toEqual([1, 3]);
    }
  });

  it('lists earliest and latest offsets, asking each partition of its leader', async () => {
    const cluster = await startCluster();
    cluster.addTopic('orders', [2, 3, 2]);
    cluster.addTopic('audit', [1]);
    const admin = adminFor(cluster);

    const latest = await admin.listOffsets(['orders', 'audit']);
    expect(latest.map((o) => [o.topic, o.partition, o.offset])).toEqual([
      ['orders', 0, 100n],
      ['orders', 1, 110n],
      ['orders', 2, 120n],
      ['audit', 0, 100n],
    ]);
    const earliest = await admin.listOffsets(['orders'], 'earliest');
    expect(earliest.map((o) => o.offset)).toEqual([0n, 10n, 20n]);
    expect(cluster.broker(2).versionsOf(ApiKey.ListOffsets)).toHaveLength(2);
    expect(cluster.broker(3).versionsOf(ApiKey.ListOffsets)).toHaveLength(2);
    expect(cluster.broker(1).versionsOf(ApiKey.ListOffsets)).toHaveLength(1);

    const err = await rejection(admin.listOffsets(['missing']));
    expect(err).toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
  });
});

describe('AdminClient: lifecycle', () => {
  it('skips a dead bootstrap address and reports ERR_NO_BROKER_AVAILABLE when none answers', async () => {
    const cluster = await startCluster();
    const dead = await FakeBroker.start();
    const deadAddress = dead.bootstrap;
    await dead.close();

    const admin = adminFor(cluster, { bootstrap: [deadAddress, cluster.broker(2).bootstrap] });
    expect((await admin.metadata()).brokers).toHaveLength(3);

    const lonely = adminFor(cluster, { bootstrap: [deadAddress], retries: 1 });
    const err = await rejection(lonely.metadata());
    expect(err).toBeInstanceOf(ClientError);
    expect(err).toMatchObject({ code: 'ERR_NO_BROKER_AVAILABLE' });
  });

  it('reconnects after the broker drops its connection', async () => {
    const cluster = await startCluster();
    const admin = adminFor(cluster);
    await admin.metadata();
    for (const socket of cluster.broker(1).sockets) socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await admin.metadata()).brokers).toHaveLength(3);
  });

  it('close() is safe twice and later calls fail with ERR_CLIENT_CLOSED', async () => {
    const cluster = await startCluster();
    const admin = adminFor(cluster);
    await admin.metadata();
    const first = admin.close();
    expect(admin.close()).toBe(first);
    await first;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(cluster.broker(1).sockets.size).toBe(0);
    expect(await rejection(admin.metadata())).toMatchObject({ code: 'ERR_CLIENT_CLOSED' });
    expect(() => new AdminClient({ bootstrap: ['nonsense'] })).toThrow(TypeError);
  });
});

/**
 * The authorization table of packages/broker/README.md, one row per API: a principal without ACLs
 * gets the row's *_AUTHORIZATION_FAILED, and one granted exactly the row's operation on the row's
 * resource does not (whatever else the request then runs into). Kafka's own checks (KafkaApis,
 * ControllerApis); requests go over SASL_PLAINTEXT with PLAIN users from the listener's JAAS config.
 */
import {
  ApiKey,
  type Connection,
  connect,
  defaultAlterConfigsRequest,
  defaultCreatePartitionsRequest,
  defaultCreateTopicsRequest,
  defaultDeleteRecordsRequest,
  defaultDeleteTopicsRequest,
  defaultDescribeConfigsRequest,
  defaultDescribeGroupsRequest,
  defaultDescribeProducersRequest,
  defaultDescribeTransactionsRequest,
  defaultElectLeadersRequest,
  defaultFetchRequest,
  defaultFindCoordinatorRequest,
  defaultHeartbeatRequest,
  defaultIncrementalAlterConfigsRequest,
  defaultInitProducerIdRequest,
  defaultJoinGroupRequest,
  defaultLeaveGroupRequest,
  defaultListGroupsRequest,
  defaultListOffsetsRequest,
  defaultOffsetCommitRequest,
  defaultOffsetDeleteRequest,
  defaultOffsetFetchRequest,
  defaultOffsetForLeaderEpochRequest,
  defaultProduceRequest,
  defaultSyncGroupRequest,
  ErrorCode,
  encodeBatch,
  plain,
  ZERO_UUID,
} from '@flotilla/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AclOperation as Op, ResourceType as R } from '../src/security/acl.js';
import { removeDir, tempDir } from './harness.js';
import { makeCertificates, type SecureBroker, startSecureBroker } from './security-harness.js';

const TOPIC = 'acl-table';
const GROUP = 'acl-table-group';
const CLUSTER = 'kafka-cluster';
const T = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
const G = ErrorCode.GROUP_AUTHORIZATION_FAILED;
const C = ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
/** ConfigResource type of a broker in DescribeConfigs / AlterConfigs. */
const BROKER_CONFIG = 4;

// biome-ignore lint/suspicious/noExplicitAny: responses of 30 different APIs, read by each row's errorOf
type AnyResponse = any;

interface Row {
  readonly api: string;
  readonly operation: number;
  readonly resourceType: number;
  readonly resourceName: string;
  readonly error: number;
  call(c: Connection): Promise<AnyResponse>;
  errorOf(r: AnyResponse): number;
}

const records = () =>
  encodeBatch({
    baseOffset: 0n,
    baseTimestamp: BigInt(Date.now()),
    records: [{ attributes: 0, offsetDelta: 0, timestampDelta: 0, key: null, value: Buffer.from('v'), headers: [] }],
  });

const ROWS: Row[] = [
  {
    api: 'Produce',
    operation: Op.WRITE,
    resourceType: R.TOPIC,
    resourceName: TOPIC,
    error: T,
    call: (c) =>
      c.request(ApiKey.Produce, {
        ...defaultProduceRequest(),
        acks: -1,
        timeoutMs: 5000,
        topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: records() }] }],
      }),
    errorOf: (r) => r.responses[0].partitionResponses[0].errorCode,
  },
  {
    api: 'Fetch',
    operation: Op.READ,
    resourceType: R.TOPIC,
    resourceName: TOPIC,
    error: T,
    call: (c) =>
      c.request(
        ApiKey.Fetch,
        {
          ...defaultFetchRequest(),
          maxWaitMs: 0,
          topics: [
            {
              topic: TOPIC,
              topicId: undefined as never,
              partitions: [
                {
                  partition: 0,
                  currentLeaderEpoch: -1,
                  fetchOffset: 0n,
                  lastFetchedEpoch: -1,
                  logStartOffset: -1n,
                  partitionMaxBytes: 1 << 20,
                  replicaDirectoryId: undefined as never,
                },
              ],
            },
          ],
        },
        { version: 12 },
      ),
    errorOf: (r) => r.responses[0].partitions[0].errorCode,
  },
  {
    api: 'ListOffsets',
    operation: Op.DESCRIBE,
    resourceType: R.TOPIC,
    resourceName: TOPIC,
    error: T,
    call: (c) =>
      c.request(ApiKey.ListOffsets, {
        ...defaultListOffsetsRequest(),
        topics: [
          {
            name: TOPIC,
            partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }],
          },
        ],
      }),
    errorOf: (r) => r.topics[0].partitions[0].errorCode,
  },
  {
    api: 'Metadata',
    operation: Op.DESCRIBE,
    resourceType: R.TOPIC,
    resourceName: TOPIC,
    error: T,
    call: (c) =>
      c.request(ApiKey.Metadata, {
        topics: [{ name: TOPIC, topicId: ZERO_UUID }],
        allowAutoTopicCreation: false,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      }),
    errorOf: (r) => r.topics[0].errorCode,
  },
  {
    api: 'OffsetCommit',
    operation: Op.READ,
    resourceType: R.GROUP,
    resourceName: GROUP,
    error: G,
    call: (c) =>
      c.request(ApiKey.OffsetCommit, {
        ...defaultOffsetCommitRequest(),
        groupId: GROUP,
        generationIdOrMemberEpoch: -1,
        memberId: '',
        topics: [
          {
            name: TOPIC,
            topicId: undefined as never,
            partitions: [{ partitionIndex: 0, committedOffset: 0n, committedLeaderEpoch: -1, committedMetadata: '' }],
          },
        ],
      } as never),
    errorOf: (r) => r.topics[0].partitions[0].errorCode,
  },
  {
    api: 'OffsetFetch',
    operation: Op.DESCRIBE,
    resourceType: R.GROUP,
    resourceName: GROUP,
    error: G,
    call: (c) =>
      c.request(ApiKey.OffsetFetch, { ...defaultOffsetFetchRequest(), groupId: GROUP, topics: null }, { version: 7 }),
    errorOf: (r) => r.errorCode,
  },
  {
    api: 'FindCoordinator',
    operation: Op.DESCRIBE,
    resourceType: R.GROUP,
    resourceName: GROUP,
    error: G,
    call: (c) => c.request(ApiKey.FindCoordinator, { ...defaultFindCoordinatorRequest(), key: GROUP }, { version: 3 }),
    errorOf: (r) => r.errorCode,
  },
  {
    api: 'JoinGroup',
    operation: Op.READ,
    resourceType: R.GROUP,
    resourceName: GROUP,
    error: G,
    call: (c) =>
      c.request(ApiKey.JoinGroup, {
        ...defaultJoinGroupRequest(),
        groupId: GROUP,
        sessionTimeoutMs: 10_000,
        rebalanceTimeoutMs: 10_000,
        protocolType: 'consumer',
        protocols: [{ name: 'range', metadata: Buffer.alloc(0) }],
      }),
    errorOf: (r) => r.errorCode,
  },
  {
    api: 'Heartbeat',
    operation: Op.READ,
    resourceType: R.GROUP,
    resourceName: GROUP,
    error: G,
    call: (c) => c.request(ApiKey.Heartbeat, { ...defaultHeartbeatRequest(), groupId: GROUP, memberId: 'm' }),
    errorOf: (r) => r.errorCode,
  },
  {
    api: 'LeaveGroup',
    operation: Op.READ,
    resourceType: R.GROUP,
    resourceName: GROUP,
    error: G,
    call: (c) =>
      c.request(ApiKey.LeaveGroup, {
        ...defaultLeaveGroupRequest(),
        groupId: GROUP,
        members: [{ memberId: 'm', groupInstanceId: null, reason: null }],
      }),
    errorOf: (r) => r.errorCode,
  },
  {
    api: 'SyncGroup',
    operation: Op.READ,
    resourceType: R.GROUP,
    resourceName: GROUP,
    error: G,
    call: (c) =>
      c.request(ApiKey.SyncGroup, {
        ...defaultSyncGroupRequest(),
        groupId: GROUP,
        memberId: 'm',
        protocolType: 'consumer',
        protocolName: 'range',
      }),
    errorOf: (r) => r.errorCode,
  },
  {
    api: 'DescribeGroups',
    operation: Op.DESCRIBE,
    resourceType: R.GROUP,
    resourceName: GROUP,
    error: G,
    call: (c) => c.request(ApiKey.DescribeGroups, { ...defaultDescribeGroupsRequest(), groups: [GROUP] }),
    errorOf: (r) => r.groups[0].errorCode,
  },
  {
    api: 'CreateTopics',
    operation: Op.CREATE,
    resourceType: R.TOPIC,
    resourceName: 'acl-table-created',
    error: T,
    call: (c) =>
      c.request(ApiKey.CreateTopics, {
        ...defaultCreateTopicsRequest(),
        timeoutMs: 5000,
        topics: [{ name: 'acl-table-created', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
      }),
    errorOf: (r) => r.topics[0].errorCode,
  },
  {
    api: 'DeleteRecords',
    operation: Op.DELETE,
    resourceType: R.TOPIC,
    resourceName: TOPIC,
    error: T,
    call: (c) =>
      c.request(ApiKey.DeleteRecords, {
        ...defaultDeleteRecordsRequest(),
        timeoutMs: 5000,
        topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, offset: 0n }] }],
      }),
    errorOf: (r) => r.topics[0].partitions[0].errorCode,
  },
  {
    api: 'InitProducerId (idempotent)',
    operation: Op.IDEMPOTENT_WRITE,
    resourceType: R.CLUSTER,
    resourceName: CLUSTER,
    error: C,
    call: (c) => c.request(ApiKey.InitProducerId, { ...defaultInitProducerIdRequest(), transactionalId: null }),
    errorOf: (r) => r.errorCode,
  },
  {
    api: 'OffsetForLeaderEpoch',
    operation: Op.DESCRIBE,
    resourceType: R.TOPIC,
    resourceName: TOPIC,
    error: T,
    call: (c) =>
      c.request(ApiKey.OffsetForLeaderEpoch, {
        ...defaultOffsetForLeaderEpochRequest(),
        topics: [{ topic: TOPIC, partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] }],
      }),
    errorOf: (r) => r.topics[0].partitions[0].errorCode,
  },
  {
    api: 'DescribeAcls',
    operation: Op.DESCRIBE,
    resourceType: R.CLUSTER,
    resourceName: CLUSTER,
    error: C,
    call: (c) =>
      c.request(ApiKey.DescribeAcls, {
        resourceTypeFilter: 1,
        resourceNameFilter: null,
        patternTypeFilter: 1,
        principalFilter: null,
        hostFilter: null,
        operation: 1,
        permissionType: 1,
      }),
    errorOf: (r) => r.errorCode,
  },
  {
    api: 'DescribeConfigs',
    operation: Op.DESCRIBE_CONFIGS,
    resourceType: R.TOPIC,
    resourceName: TOPIC,
    error: T,
    call: (c) =>
      c.request(ApiKey.DescribeConfigs, {
        ...defaultDescribeConfigsRequest(),
        resources: [{ resourceType: 2, resourceName: TOPIC, configurationKeys: null }],
      }),
    errorOf: (r) => r.results[0].errorCode,
  },
  {
    api: 'AlterConfigs',
    operation: Op.ALTER_CONFIGS,
    resourceType: R.TOPIC,
    resourceName: TOPIC,
    error: T,
    call: (c) =>
      c.request(ApiKey.AlterConfigs, {
        ...defaultAlterConfigsRequest(),
        validateOnly: true,
        resources: [{ resourceType: 2, resourceName: TOPIC, configs: [{ name: 'retention.ms', value: '60000' }] }],
      }),
    errorOf: (r) => r.responses[0].errorCode,
  },
  {
    api: 'IncrementalAlterConfigs',
    operation: Op.ALTER_CONFIGS,
    resourceType: R.TOPIC,
    resourceName: TOPIC,
    error: T,
    call: (c) =>
      c.request(ApiKey.IncrementalAlterConfigs, {
        ...defaultIncrementalAlterConfigsRequest(),
        validateOnly: true,
        resources: [
          {
            resourceType: 2,
            resourceName: TOPIC,
            configs: [{ name: 'retention.ms', configOperation: 0, value: '60000' }],
          },
        ],
      }),
    errorOf: (r) => r.responses[0].errorCode,
  },
  {
    api: 'DescribeLogDirs',
    operation: Op.DESCRIBE,
    resourceType: R.CLUSTER,
    resourceName: CLUSTER,
    error: C,
    call: (c) => c.request(ApiKey.DescribeLogDirs, { topics: null }),
    errorOf: (r) => r.errorCode,
  },
  {
    api: 'CreatePartitions',
    operation: Op.ALTER,
    resourceType: R.TOPIC,
    resourceName: TOPIC,
    error: T,
    call: (c) =>
      c.request(ApiKey.CreatePartitions, {
        ...defaultCreatePartitionsRequest(),
        validateOnly: true,
        timeoutMs: 5000,
        topics: [{ name: TOPIC, count: 2, assignments: null }],
      }),
    errorOf: (r) => r.results[0].errorCode,
  },
  {
    api: 'ElectLeaders',
    operation: Op.ALTER,
    resourceType: R.CLUSTER,
    resourceName: CLUSTER,
    error: C,
    call: (c) => c.request(ApiKey.ElectLeaders, { ...defaultElectLeadersRequest(), topicPartitions: null }),
    errorOf: (r) => r.errorCode,
  },
  {
    api: 'OffsetDelete',
    operation: Op.DELETE,
    resourceType: R.GROUP,
    resourceName: GROUP,
    error: G,
    call: (c) =>
      c.request(ApiKey.OffsetDelete, {
        ...defaultOffsetDeleteRequest(),
        groupId: GROUP,
        topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0 }] }],
      }),
    errorOf: (r) => r.errorCode,
  },
  {
    api: 'DescribeUserScramCredentials',
    operation: Op.DESCRIBE,
    resourceType: R.CLUSTER,
    resourceName: CLUSTER,
    error: C,
    call: (c) => c.request(ApiKey.DescribeUserScramCredentials, { users: null }),
    errorOf: (r) => r.errorCode,
  },
  {
    api: 'DescribeConfigs (broker)',
    operation: Op.DESCRIBE_CONFIGS,
    resourceType: R.CLUSTER,
    resourceName: CLUSTER,
    error: C,
    call: (c) =>
      c.request(ApiKey.DescribeConfigs, {
        ...defaultDescribeConfigsRequest(),
        resources: [{ resourceType: BROKER_CONFIG, resourceName: '1', configurationKeys: null }],
      }),
    errorOf: (r) => r.results[0].errorCode,
  },
  {
    api: 'IncrementalAlterConfigs (broker)',
    operation: Op.ALTER_CONFIGS,
    resourceType: R.CLUSTER,
    resourceName: CLUSTER,
    error: C,
    call: (c) =>
      c.request(ApiKey.IncrementalAlterConfigs, {
        ...defaultIncrementalAlterConfigsRequest(),
        validateOnly: true,
        resources: [
          {
            resourceType: BROKER_CONFIG,
            resourceName: '1',
            configs: [{ name: 'log.retention.ms', configOperation: 0, value: '60000' }],
          },
        ],
      }),
    errorOf: (r) => r.responses[0].errorCode,
  },
  {
    api: 'DescribeProducers',
    operation: Op.READ,
    resourceType: R.TOPIC,
    resourceName: TOPIC,
    error: T,
    call: (c) =>
      c.request(ApiKey.DescribeProducers, {
        ...defaultDescribeProducersRequest(),
        topics: [{ name: TOPIC, partitionIndexes: [0] }],
      }),
    errorOf: (r) => r.topics[0].partitions[0].errorCode,
  },
  {
    api: 'DescribeTransactions',
    operation: Op.DESCRIBE,
    resourceType: R.TRANSACTIONAL_ID,
    resourceName: 'acl-table-txn',
    error: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    call: (c) =>
      c.request(ApiKey.DescribeTransactions, {
        ...defaultDescribeTransactionsRequest(),
        transactionalIds: ['acl-table-txn'],
      }),
    errorOf: (r) => r.transactionStates[0].errorCode,
  },
  {
    api: 'ListPartitionReassignments',
    operation: Op.DESCRIBE,
    resourceType: R.CLUSTER,
    resourceName: CLUSTER,
    error: C,
    call: (c) => c.request(ApiKey.ListPartitionReassignments, { timeoutMs: 5000, topics: null }),
    errorOf: (r) => r.errorCode,
  },
  {
    api: 'CreateAcls',
    operation: Op.ALTER,
    resourceType: R.CLUSTER,
    resourceName: CLUSTER,
    error: C,
    call: (c) =>
      c.request(ApiKey.CreateAcls, {
        creations: [
          {
            resourceType: R.TOPIC,
            resourceName: 'unrelated',
            resourcePatternType: 3,
            principal: 'User:someone',
            host: '*',
            operation: Op.READ,
            permissionType: 3,
          },
        ],
      }),
    errorOf: (r) => r.results[0].errorCode,
  },
  {
    api: 'DeleteGroups',
    operation: Op.DELETE,
    resourceType: R.GROUP,
    resourceName: GROUP,
    error: G,
    call: (c) => c.request(ApiKey.DeleteGroups, { groupsNames: [GROUP] }),
    errorOf: (r) => r.results[0].errorCode,
  },
  {
    api: 'AlterPartitionReassignments',
    operation: Op.ALTER,
    resourceType: R.CLUSTER,
    resourceName: CLUSTER,
    error: C,
    call: (c) => c.request(ApiKey.AlterPartitionReassignments, { timeoutMs: 5000, topics: [] }),
    errorOf: (r) => r.errorCode,
  },
  {
    api: 'AlterUserScramCredentials',
    operation: Op.ALTER,
    resourceType: R.CLUSTER,
    resourceName: CLUSTER,
    error: C,
    call: (c) =>
      c.request(ApiKey.AlterUserScramCredentials, {
        deletions: [{ name: 'nobody-at-all', mechanism: 2 }],
        upsertions: [],
      }),
    errorOf: (r) => r.results[0].errorCode,
  },
  {
    api: 'DescribeClientQuotas',
    operation: Op.DESCRIBE_CONFIGS,
    resourceType: R.CLUSTER,
    resourceName: CLUSTER,
    error: C,
    call: (c) => c.request(ApiKey.DescribeClientQuotas, { components: [], strict: false }),
    errorOf: (r) => r.errorCode,
  },
  {
    api: 'AlterClientQuotas',
    operation: Op.ALTER_CONFIGS,
    resourceType: R.CLUSTER,
    resourceName: CLUSTER,
    error: C,
    call: (c) =>
      c.request(ApiKey.AlterClientQuotas, {
        entries: [
          {
            entity: [{ entityType: 'user', entityName: 'acl-table-quota' }],
            ops: [{ key: 'producer_byte_rate', value: 1, remove: true }],
          },
        ],
        validateOnly: true,
      }),
    errorOf: (r) => r.entries[0].errorCode,
  },
  {
    api: 'DeleteAcls',
    operation: Op.ALTER,
    resourceType: R.CLUSTER,
    resourceName: CLUSTER,
    error: C,
    call: (c) =>
      c.request(ApiKey.DeleteAcls, {
        filters: [
          {
            resourceTypeFilter: R.TOPIC,
            resourceNameFilter: 'unrelated-to-anything',
            patternTypeFilter: 3,
            principalFilter: null,
            hostFilter: null,
            operation: 1,
            permissionType: 1,
          },
        ],
      }),
    errorOf: (r) => r.filterResults[0].errorCode,
  },
  {
    api: 'DeleteTopics',
    operation: Op.DELETE,
    resourceType: R.TOPIC,
    resourceName: 'acl-table-doomed',
    error: T,
    call: (c) =>
      c.request(
        ApiKey.DeleteTopics,
        { ...defaultDeleteTopicsRequest(), topicNames: ['acl-table-doomed'], timeoutMs: 5000 },
        { version: 5 },
      ),
    errorOf: (r) => r.responses[0].errorCode,
  },
];

describe('the authorization table: each API checks its operation on its resource', () => {
  let dir: string;
  let broker: SecureBroker;
  const as = (user: string) => {
    const [host, port] = (broker.endpoints.SASL_PLAINTEXT as string).split(':') as [string, string];
    return connect({ host, port: Number(port), sasl: plain({ username: user, password: `${user}-secret` }) });
  };

  beforeAll(async () => {
    dir = tempDir('flotilla-acl-table-');
    broker = await startSecureBroker(`${dir}/data`, makeCertificates(dir, []), {
      'listener.name.sasl_plaintext.plain.sasl.jaas.config':
        'org.apache.kafka.common.security.plain.PlainLoginModule required user_admin="admin-secret" user_nobody="nobody-secret" user_granted="granted-secret" user_viewer="viewer-secret" user_follower="follower-secret" user_describer="describer-secret";',
    });
    const admin = await as('admin');
    const created = await admin.request(ApiKey.CreateTopics, {
      ...defaultCreateTopicsRequest(),
      timeoutMs: 5000,
      topics: [TOPIC, 'acl-table-doomed'].map((name) => ({
        name,
        numPartitions: 1,
        replicationFactor: 1,
        assignments: [],
        configs: [],
      })),
    });
    expect(created.topics.map((t) => t.errorCode)).toEqual([0, 0]);
    await admin.close();
  }, 60_000);

  afterAll(async () => {
    await broker?.stop();
    removeDir(dir);
  });

  for (const row of ROWS) {
    it(`${row.api}: needs ${Object.entries(Op).find(([, v]) => v === row.operation)?.[0]} on ${Object.entries(R).find(([, v]) => v === row.resourceType)?.[0]}`, async () => {
      const nobody = await as('nobody');
      expect(row.errorOf(await row.call(nobody))).toBe(row.error);
      await nobody.close();

      const admin = await as('admin');
      const granted = await admin.request(ApiKey.CreateAcls, {
        creations: [
          {
            resourceType: row.resourceType,
            resourceName: row.resourceName,
            resourcePatternType: 3,
            principal: 'User:granted',
            host: '*',
            operation: row.operation,
            permissionType: 3,
          },
        ],
      });
      expect(granted.results[0]?.errorCode).toBe(0);
      await admin.close();
      const user = await as('granted');
      expect(row.errorOf(await row.call(user))).not.toBe(row.error);
      await user.close();
    });
  }

  // The APIs that check nothing or filter instead of refusing.
  const grant = async (principal: string, operation: number, resourceType: number, resourceName: string) => {
    const admin = await as('admin');
    const r = await admin.request(ApiKey.CreateAcls, {
      creations: [
        { resourceType, resourceName, resourcePatternType: 3, principal, host: '*', operation, permissionType: 3 },
      ],
    });
    expect(r.results[0]?.errorCode).toBe(0);
    await admin.close();
  };

  it('DescribeCluster: answers anyone; reports authorized operations only with Describe on cluster', async () => {
    // Kafka's broker (AuthHelper.computeDescribeClusterResponse) checks nothing but for the operations.
    const nobody = await as('nobody');
    const r = await nobody.request(ApiKey.DescribeCluster, {
      includeClusterAuthorizedOperations: true,
      endpointType: 1,
    });
    expect(r.errorCode).toBe(0);
    expect(r.brokers).toHaveLength(1);
    expect(r.clusterAuthorizedOperations).toBe(0);
    await nobody.close();
  });

  it('ListGroups: Describe on cluster lists every group, else only the groups the principal may describe', async () => {
    const admin = await as('admin');
    for (const groupId of ['listed-a', 'listed-b']) {
      const committed = await admin.request(ApiKey.OffsetCommit, {
        ...defaultOffsetCommitRequest(),
        groupId,
        generationIdOrMemberEpoch: -1,
        memberId: '',
        topics: [
          {
            name: TOPIC,
            topicId: undefined as never,
            partitions: [{ partitionIndex: 0, committedOffset: 0n, committedLeaderEpoch: -1, committedMetadata: '' }],
          },
        ],
      } as never);
      expect(committed.topics[0]?.partitions[0]?.errorCode).toBe(0);
    }
    await admin.close();
    const listed = async (user: string) => {
      const c = await as(user);
      const r = await c.request(ApiKey.ListGroups, defaultListGroupsRequest());
      await c.close();
      expect(r.errorCode).toBe(0);
      return r.groups.map((g) => g.groupId).filter((g) => g.startsWith('listed-'));
    };
    expect(await listed('nobody')).toEqual([]);
    await grant('User:viewer', Op.DESCRIBE, R.GROUP, 'listed-a');
    expect(await listed('viewer')).toEqual(['listed-a']);
    await grant('User:viewer', Op.DESCRIBE, R.CLUSTER, CLUSTER);
    expect((await listed('viewer')).sort()).toEqual(['listed-a', 'listed-b']);
  });

  it('ListTransactions: lists only the transactional ids the principal may describe', async () => {
    const admin = await as('admin');
    // FindCoordinator creates __transaction_state: retry InitProducerId until its coordinator is up.
    const find = await admin.request(
      ApiKey.FindCoordinator,
      { key: 'listed-txn', keyType: 1, coordinatorKeys: ['listed-txn'] },
      { version: 3 },
    );
    expect(find.errorCode).toBe(0);
    await expect
      .poll(
        async () =>
          (
            await admin.request(ApiKey.InitProducerId, {
              ...defaultInitProducerIdRequest(),
              transactionalId: 'listed-txn',
              transactionTimeoutMs: 60_000,
            })
          ).errorCode,
        { timeout: 20_000, interval: 250 },
      )
      .toBe(0);
    await admin.close();
    const listed = async (user: string) => {
      const c = await as(user);
      const r = await c.request(ApiKey.ListTransactions, {
        stateFilters: [],
        producerIdFilters: [],
        durationFilter: -1n,
      });
      await c.close();
      expect(r.errorCode).toBe(0);
      return r.transactionStates.map((t) => t.transactionalId);
    };
    expect(await listed('nobody')).toEqual([]);
    expect(await listed('viewer')).toEqual([]); // Describe on the cluster does not list them
    await grant('User:viewer', Op.DESCRIBE, R.TRANSACTIONAL_ID, 'listed-txn');
    expect(await listed('viewer')).toEqual(['listed-txn']);
  });

  it('Fetch and OffsetForLeaderEpoch from a follower: ClusterAction, else TOPIC_AUTHORIZATION_FAILED per partition', async () => {
    // Kafka: a follower's Fetch needs ClusterAction and is refused per partition with a topic error;
    // OffsetForLeaderEpoch takes ClusterAction or Describe on the topic, from followers and consumers alike.
    const FOLLOWER = 2; // a replica id other than the broker's own
    const fetchAs = async (user: string, replicaId: number) => {
      const c = await as(user);
      const r = await c.request(
        ApiKey.Fetch,
        {
          ...defaultFetchRequest(),
          replicaId,
          maxWaitMs: 0,
          topics: [
            {
              topic: TOPIC,
              topicId: undefined as never,
              partitions: [
                {
                  partition: 0,
                  currentLeaderEpoch: -1,
                  fetchOffset: 0n,
                  lastFetchedEpoch: -1,
                  logStartOffset: -1n,
                  partitionMaxBytes: 1 << 20,
                  replicaDirectoryId: undefined as never,
                },
              ],
            },
          ],
        },
        { version: 12 },
      );
      await c.close();
      expect(r.errorCode).toBe(0);
      return r.responses[0]?.partitions[0]?.errorCode;
    };
    const epochAs = async (user: string, replicaId: number) => {
      const c = await as(user);
      const r = await c.request(ApiKey.OffsetForLeaderEpoch, {
        ...defaultOffsetForLeaderEpochRequest(),
        replicaId,
        topics: [{ topic: TOPIC, partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] }],
      });
      await c.close();
      return r.topics[0]?.partitions[0]?.errorCode;
    };
    expect(await fetchAs('follower', FOLLOWER)).toBe(T);
    expect(await epochAs('follower', FOLLOWER)).toBe(T);
    expect(await epochAs('follower', -1)).toBe(T);
    await grant('User:follower', Op.CLUSTER_ACTION, R.CLUSTER, CLUSTER);
    expect(await fetchAs('follower', FOLLOWER)).not.toBe(T);
    expect(await epochAs('follower', FOLLOWER)).toBe(0);
    expect(await epochAs('follower', -1)).toBe(0); // ClusterAction serves a consumer too
    await grant('User:describer', Op.DESCRIBE, R.TOPIC, TOPIC);
    expect(await epochAs('describer', FOLLOWER)).toBe(0); // and Describe a follower
    expect(await fetchAs('describer', FOLLOWER)).toBe(T);
  });

  it('reports authorized operations (KIP-430) from the ACLs the rows granted', async () => {
    // Runs after the rows: User:granted then holds Alter, Describe, IdempotentWrite, DescribeConfigs and
    // AlterConfigs on the cluster.
    const user = await as('granted');
    const cluster = await user.request(ApiKey.DescribeCluster, {
      includeClusterAuthorizedOperations: true,
      endpointType: 1,
    });
    expect(cluster.clusterAuthorizedOperations).toBe(
      (1 << Op.ALTER) |
        (1 << Op.DESCRIBE) |
        (1 << Op.IDEMPOTENT_WRITE) |
        (1 << Op.DESCRIBE_CONFIGS) |
        (1 << Op.ALTER_CONFIGS),
    );
    const groups = await user.request(ApiKey.DescribeGroups, { groups: [GROUP], includeAuthorizedOperations: true });
    expect(groups.groups[0]?.authorizedOperations).toBe((1 << Op.READ) | (1 << Op.DESCRIBE) | (1 << Op.DELETE));
    await user.close();
  });
});

/**
 * ACLs on the transaction APIs (KafkaApis' checks), against the real broker binary with the
 * StandardAuthorizer and SASL/PLAIN users: a producer may use only the transactional ids and topics it
 * has Write on, offsets only of groups it may Read, WriteTxnMarkers is for brokers (ClusterAction), and
 * the admin APIs show only ids the caller may Describe.
 */
import { ApiKey, type Connection, connect, ErrorCode, plain } from '@flotilla/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrokerProcess, removeDir, startBrokerProcess, tempDir } from './harness.js';

const TOPIC = 2;
const TRANSACTIONAL_ID = 5;
const WRITE = 4;
const LITERAL = 3;
const ALLOW = 3;

describe('transaction APIs under ACLs', () => {
  let broker: BrokerProcess;
  let dir: string;
  let admin: Connection;
  let writer: Connection;

  beforeAll(async () => {
    dir = tempDir();
    broker = await startBrokerProcess({
      logDir: dir,
      overrides: {
        listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
        'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT',
        'sasl.enabled.mechanisms': 'PLAIN',
        'listener.name.sasl_plaintext.plain.sasl.jaas.config':
          'org.apache.kafka.common.security.plain.PlainLoginModule required user_admin="admin-secret" user_writer="writer-secret";',
        'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
        'super.users': 'User:admin',
        'transaction.state.log.num.partitions': '3',
      },
    });
    const sasl = /SASL_PLAINTEXT:\/\/127\.0\.0\.1:(\d+)/.exec(broker.output())?.[1];
    const as = (username: string) =>
      connect({ host: '127.0.0.1', port: Number(sasl), sasl: plain({ username, password: `${username}-secret` }) });
    admin = await as('admin');
    writer = await as('writer');
    await admin.request(ApiKey.CreateTopics, {
      topics: ['acl-txn', 'secret'].map((name) => ({
        name,
        numPartitions: 1,
        replicationFactor: 1,
        assignments: [],
        configs: [],
      })),
      timeoutMs: 10_000,
      validateOnly: false,
    });
    const allow = (resourceType: number, resourceName: string) => ({
      resourceType,
      resourceName,
      resourcePatternType: LITERAL,
      principal: 'User:writer',
      host: '*',
      operation: WRITE,
      permissionType: ALLOW,
    });
    const created = await admin.request(ApiKey.CreateAcls, {
      creations: [allow(TRANSACTIONAL_ID, 'w-txn'), allow(TOPIC, 'acl-txn')],
    });
    expect(created.results.map((r) => r.errorCode)).toEqual([0, 0]);
  });

  afterAll(async () => {
    await writer?.close();
    await admin?.close();
    await broker?.stop();
    removeDir(dir);
  });

  const init = (c: Connection, transactionalId: string) =>
    c.request(ApiKey.InitProducerId, {
      transactionalId,
      transactionTimeoutMs: 60_000,
      producerId: -1n,
      producerEpoch: -1,
    });

  it('checks the transactional id, the topics, the group and ClusterAction', async () => {
    const find = await writer.request(
      ApiKey.FindCoordinator,
      { key: 'w-txn', keyType: 1, coordinatorKeys: ['w-txn'] },
      { version: 3 },
    );
    expect(find.errorCode).toBe(0);
    const mine = await init(writer, 'w-txn');
    expect(mine.errorCode).toBe(0);
    expect((await init(writer, 'other-txn')).errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    expect((await init(admin, 'other-txn')).errorCode).toBe(0);

    const add = await writer.request(
      ApiKey.AddPartitionsToTxn,
      {
        transactions: [],
        v3AndBelowTransactionalId: 'w-txn',
        v3AndBelowProducerId: mine.producerId,
        v3AndBelowProducerEpoch: mine.producerEpoch,
        v3AndBelowTopics: [
          { name: 'acl-txn', partitions: [0] },
          { name: 'secret', partitions: [0] },
        ],
      },
      { version: 3 },
    );
    expect(
      add.resultsByTopicV3AndBelow.map((t) => [t.name, t.resultsByPartition[0]?.partitionErrorCode]).sort(),
    ).toEqual([
      ['acl-txn', ErrorCode.OPERATION_NOT_ATTEMPTED],
      ['secret', ErrorCode.TOPIC_AUTHORIZATION_FAILED],
    ]);

    const offsets = await writer.request(ApiKey.AddOffsetsToTxn, {
      transactionalId: 'w-txn',
      producerId: mine.producerId,
      producerEpoch: mine.producerEpoch,
      groupId: 'some-group',
    });
    expect(offsets.errorCode).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);

    const end = await writer.request(ApiKey.EndTxn, {
      transactionalId: 'other-txn',
      producerId: 0n,
      producerEpoch: 0,
      committed: true,
    });
    expect(end.errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);

    const markers = await writer.request(ApiKey.WriteTxnMarkers, {
      markers: [
        {
          producerId: mine.producerId,
          producerEpoch: mine.producerEpoch,
          transactionResult: true,
          topics: [{ name: 'acl-txn', partitionIndexes: [0] }],
          coordinatorEpoch: 0,
        },
      ],
    });
    expect(markers.markers[0]?.topics[0]?.partitions[0]?.errorCode).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);

    const described = await writer.request(ApiKey.DescribeTransactions, { transactionalIds: ['w-txn', 'other-txn'] });
    expect(described.transactionStates.map((s) => s.errorCode)).toEqual([
      0,
      ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    ]);
    const listed = await writer.request(ApiKey.ListTransactions, {
      stateFilters: [],
      producerIdFilters: [],
      durationFilter: -1n,
    });
    expect(listed.transactionStates.map((s) => s.transactionalId)).toEqual(['w-txn']);
    const all = await admin.request(ApiKey.ListTransactions, {
      stateFilters: [],
      producerIdFilters: [],
      durationFilter: -1n,
    });
    expect(all.transactionStates.map((s) => s.transactionalId).sort()).toEqual(['other-txn', 'w-txn']);
  });
});

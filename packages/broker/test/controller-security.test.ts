/**
 * Controller traffic authenticates when the CONTROLLER listener requires it (issue 5): on a 3-node
 * quorum whose controller listener is SASL_PLAINTEXT (PLAIN) with an authorizer on, the Raft RPCs,
 * registrations, heartbeats and forwarded requests all log in as User:controller (a super user), so the
 * quorum forms and the cluster works; a wrong password is refused, and a principal that authenticated
 * but lacks ClusterAction gets CLUSTER_AUTHORIZATION_FAILED from the quorum RPCs, as Kafka's
 * ControllerApis answers.
 */
import {
  ApiKey,
  type Connection,
  connect,
  defaultAllocateProducerIdsRequest,
  defaultBeginQuorumEpochRequest,
  defaultBrokerHeartbeatRequest,
  defaultDescribeQuorumRequest,
  defaultVoteRequest,
  ErrorCode,
  KafkaError,
  plain,
} from '@flotilla/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type QuorumCluster, quorumCluster } from './harness.js';

describe('an authenticated controller listener', () => {
  let cluster: QuorumCluster;

  beforeAll(async () => {
    cluster = await quorumCluster(3, {
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:SASL_PLAINTEXT',
      'sasl.enabled.mechanisms': 'PLAIN',
      'sasl.mechanism.controller.protocol': 'PLAIN',
      'listener.name.controller.plain.sasl.jaas.config':
        'org.apache.kafka.common.security.plain.PlainLoginModule required username="controller" password="controller-secret" user_controller="controller-secret" user_mallory="mallory-secret";',
      'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      // The broker listener is PLAINTEXT: followers fetch there as User:ANONYMOUS.
      'super.users': 'User:controller;User:ANONYMOUS',
    });
    await cluster.start();
  }, 60_000);

  afterAll(async () => {
    await cluster?.close();
  });

  const toController = (id: number, username: string, password: string): Promise<Connection> =>
    connect({ host: '127.0.0.1', port: cluster.node(id).controllerPort, sasl: plain({ username, password }) });

  it('forms the quorum over SASL and serves the cluster: topic creation and acks=all across 3 brokers', async () => {
    const c = await connect({ host: '127.0.0.1', port: cluster.node(2).port });
    try {
      // CreateTopics on a broker that may not be the active controller is forwarded over the channel.
      const created = await c.request(ApiKey.CreateTopics, {
        topics: [{ name: 'secured', numPartitions: 3, replicationFactor: 3, assignments: [], configs: [] }],
        timeoutMs: 10_000,
        validateOnly: false,
      });
      expect(created.topics[0]?.errorCode).toBe(0);
      const quorum = await toController(1, 'controller', 'controller-secret');
      const described = await quorum.request(ApiKey.DescribeQuorum, {
        ...defaultDescribeQuorumRequest(),
        topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }],
      });
      await quorum.close();
      expect(described.errorCode).toBe(0);
      const partition = described.topics[0]?.partitions[0];
      expect(partition?.leaderId).toBeGreaterThan(0);
      // Every node registered through the SASL channel and is in the metadata.
      const meta = await c.request(ApiKey.Metadata, {
        topics: null,
        allowAutoTopicCreation: false,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      });
      expect(meta.brokers.map((b) => b.nodeId).sort()).toEqual([1, 2, 3]);
    } finally {
      await c.close();
    }
  }, 30_000);

  it('refuses a wrong password on the controller listener', async () => {
    const failure = await toController(1, 'controller', 'wrong').then(
      async (c) => {
        await c.close();
        return null;
      },
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(KafkaError);
    expect((failure as KafkaError).errorCode).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
  });

  it('answers CLUSTER_AUTHORIZATION_FAILED to quorum RPCs from a principal without ClusterAction', async () => {
    const c = await toController(1, 'mallory', 'mallory-secret');
    try {
      const vote = await c.request(ApiKey.Vote, defaultVoteRequest());
      expect(vote.errorCode).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
      const begin = await c.request(ApiKey.BeginQuorumEpoch, defaultBeginQuorumEpochRequest());
      expect(begin.errorCode).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
      const heartbeat = await c.request(ApiKey.BrokerHeartbeat, { ...defaultBrokerHeartbeatRequest(), brokerId: 1 });
      expect(heartbeat.errorCode).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
      const ids = await c.request(ApiKey.AllocateProducerIds, { ...defaultAllocateProducerIdsRequest(), brokerId: 1 });
      expect(ids.errorCode).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
      const described = await c.request(ApiKey.DescribeQuorum, {
        ...defaultDescribeQuorumRequest(),
        topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }],
      });
      expect(described.errorCode).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
      // DescribeCluster, which a broker listener answers to anyone, needs Alter on the controller's (ControllerApis).
      const cluster = await c.request(ApiKey.DescribeCluster, {
        includeClusterAuthorizedOperations: false,
        endpointType: 1,
      });
      expect(cluster.errorCode).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    } finally {
      await c.close();
    }
    const controller = await toController(1, 'controller', 'controller-secret');
    const cluster = await controller.request(ApiKey.DescribeCluster, {
      includeClusterAuthorizedOperations: false,
      endpointType: 1,
    });
    expect(cluster.errorCode).toBe(0);
    await controller.close();
  });
});

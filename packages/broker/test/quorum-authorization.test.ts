/**
 * Authorization in a quorum cluster with an authorizer: a client's admin request forwarded by a broker
 * that is not the active controller is authorized as that client (Envelope, KIP-590), not as the
 * forwarding broker; the cluster's own requests on the controller listener (registration, internal
 * topics, producer ids) keep working. Client listener SASL_PLAINTEXT with PLAIN users, User:admin a
 * super user, alice with no ACLs.
 */
import { ApiKey, type Connection, connect, defaultCreateTopicsRequest, ErrorCode, plain } from '@flotilla/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type QuorumCluster, quorumCluster } from './harness.js';

describe('authorization across the controller quorum', () => {
  let cluster: QuorumCluster;

  beforeAll(async () => {
    cluster = await quorumCluster(3, {
      'listener.security.protocol.map': 'PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT',
      'sasl.enabled.mechanisms': 'PLAIN',
      'listener.name.plaintext.plain.sasl.jaas.config':
        'org.apache.kafka.common.security.plain.PlainLoginModule required user_admin="admin-secret" user_alice="alice-secret";',
      'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      'super.users': 'User:admin',
    });
    await cluster.start();
  });

  afterAll(async () => {
    await cluster?.close();
  });

  const login = (id: number, user: string): Promise<Connection> =>
    connect({
      host: '127.0.0.1',
      port: cluster.node(id).port,
      sasl: plain({ username: user, password: `${user}-secret` }),
    });

  async function activeController(): Promise<number> {
    const c = await login(1, 'admin');
    try {
      const r = await c.request(ApiKey.DescribeQuorum, {
        topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }],
      });
      return r.topics[0]?.partitions[0]?.leaderId ?? -1;
    } finally {
      await c.close();
    }
  }

  async function createTopic(c: Connection, name: string) {
    const r = await c.request(ApiKey.CreateTopics, {
      ...defaultCreateTopicsRequest(),
      timeoutMs: 15_000,
      topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
    });
    return r.topics[0];
  }

  it('authorizes a forwarded CreateTopics as the client that sent it', async () => {
    const leader = await activeController();
    const via = [1, 2, 3].find((id) => id !== leader) as number;

    const alice = await login(via, 'alice');
    try {
      expect((await createTopic(alice, 'alice-topic'))?.errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    } finally {
      await alice.close();
    }

    const admin = await login(via, 'admin');
    try {
      expect((await createTopic(admin, 'admin-topic'))?.errorCode).toBe(0);
      // The cluster's own controller requests still pass: a producer id block for an idempotent producer.
      const pid = await admin.request(ApiKey.InitProducerId, {
        transactionalId: null,
        transactionTimeoutMs: 60_000,
        producerId: -1n,
        producerEpoch: -1,
      });
      expect(pid.errorCode).toBe(0);
      expect(pid.producerId).toBeGreaterThanOrEqual(0n);
    } finally {
      await admin.close();
    }
  });
});

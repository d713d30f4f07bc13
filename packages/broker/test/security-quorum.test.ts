/**
 * SCRAM credentials live in the replicated metadata: on a 3-node quorum whose client listener requires
 * SASL, a user created with AlterUserScramCredentials on broker 1 (forwarded to the active controller)
 * logs in on broker 3 (with the protocol client, kcat and kafkajs), and is refused there again once deleted. The first administrator logs in with
 * PLAIN (a JAAS user), as a fresh Kafka cluster without SCRAM users is entered.
 */
import { randomBytes } from 'node:crypto';
import {
  ApiKey,
  type Connection,
  connect,
  encodeBatch,
  plain,
  saltPassword,
  scramSha512,
  ZERO_UUID,
} from '@flotilla/protocol';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type QuorumCluster, quorumCluster, run } from './harness.js';

const METADATA_ALL = {
  topics: null,
  allowAutoTopicCreation: false,
  includeClusterAuthorizedOperations: false,
  includeTopicAuthorizedOperations: false,
};

describe('SCRAM users across a controller quorum', () => {
  let cluster: QuorumCluster;

  beforeAll(async () => {
    // The client listener (named PLAINTEXT by the harness) speaks SASL_PLAINTEXT here.
    cluster = await quorumCluster(3, {
      'listener.security.protocol.map': 'PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT',
      'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-512',
      'listener.name.plaintext.plain.sasl.jaas.config':
        'org.apache.kafka.common.security.plain.PlainLoginModule required user_admin="admin-secret";',
    });
    await cluster.start();
  }, 60_000);

  afterAll(async () => {
    await cluster?.close();
  });

  const login = (id: number, mechanism: ReturnType<typeof plain>): Promise<Connection> =>
    connect({ host: '127.0.0.1', port: cluster.node(id).port, sasl: mechanism });

  it('accepts on broker 3 a user created on broker 1, and refuses it there once deleted', async () => {
    const admin = await login(1, plain({ username: 'admin', password: 'admin-secret' }));
    const salt = randomBytes(24);
    const altered = await admin.request(ApiKey.AlterUserScramCredentials, {
      deletions: [],
      upsertions: [
        {
          name: 'carol',
          mechanism: 2,
          iterations: 4096,
          salt,
          saltedPassword: await saltPassword('SHA-512', 'carol-secret', salt, 4096),
        },
      ],
    });
    expect(altered.results).toEqual([{ user: 'carol', errorCode: 0, errorMessage: null }]);

    // The record reaches broker 3 through the quorum: retry until it has caught up.
    let carol: Connection | undefined;
    for (let i = 0; i < 50 && !carol; i++) {
      carol = await login(3, scramSha512({ username: 'carol', password: 'carol-secret' })).catch(async () => {
        await new Promise((r) => setTimeout(r, 100));
        return undefined;
      });
    }
    expect(carol).toBeDefined();
    expect((await (carol as Connection).request(ApiKey.Metadata, METADATA_ALL)).brokers).toHaveLength(3);
    await carol?.close();
    // Real clients log in as carol on broker 3 too: kcat (librdkafka) and kafkajs, SCRAM-SHA-512.
    const broker3 = `127.0.0.1:${cluster.node(3).port}`;
    const listed = JSON.parse(
      await run('/usr/bin/kcat', [
        '-b',
        broker3,
        '-X',
        'security.protocol=SASL_PLAINTEXT',
        '-X',
        'sasl.mechanisms=SCRAM-SHA-512',
        '-X',
        'sasl.username=carol',
        '-X',
        'sasl.password=carol-secret',
        '-m',
        '15',
        '-L',
        '-J',
      ]),
    ) as { originating_broker: { id: number }; brokers: unknown[] };
    expect(listed.originating_broker.id).toBe(3);
    expect(listed.brokers).toHaveLength(3);
    const kafkajsAdmin = new Kafka({
      clientId: 'carol-on-3',
      brokers: [broker3],
      logLevel: logLevel.NOTHING,
      sasl: { mechanism: 'scram-sha-512', username: 'carol', password: 'carol-secret' },
    }).admin();
    await kafkajsAdmin.connect();
    expect((await kafkajsAdmin.describeCluster()).brokers).toHaveLength(3);
    await kafkajsAdmin.disconnect();
    await expect(login(3, scramSha512({ username: 'carol', password: 'wrong' }))).rejects.toThrow(
      /SASL|authentication/i,
    );

    const described = await (await login(2, plain({ username: 'admin', password: 'admin-secret' }))).request(
      ApiKey.DescribeUserScramCredentials,
      { users: [{ name: 'carol' }] },
    );
    expect(described.results[0]?.credentialInfos).toEqual([{ mechanism: 2, iterations: 4096 }]);

    await admin.request(ApiKey.AlterUserScramCredentials, {
      deletions: [{ name: 'carol', mechanism: 2 }],
      upsertions: [],
    });
    let refused = false;
    for (let i = 0; i < 50 && !refused; i++) {
      refused = await login(3, scramSha512({ username: 'carol', password: 'carol-secret' })).then(
        async (c) => {
          await c.close();
          await new Promise((r) => setTimeout(r, 100));
          return false;
        },
        () => true,
      );
    }
    expect(refused).toBe(true);
    await admin.close();
  }, 60_000);
});

describe('format --add-scram on every controller of a quorum', () => {
  let cluster: QuorumCluster;

  beforeAll(async () => {
    cluster = await quorumCluster(3, {
      'listener.security.protocol.map': 'PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT',
      'sasl.enabled.mechanisms': 'SCRAM-SHA-512',
    });
    // Each node formatted alone, as kafka-storage format runs on each: same cluster id, same users.
    const main = new URL('../dist/main.js', import.meta.url).pathname;
    for (const n of cluster.nodes) {
      const out = await run(process.execPath, [
        main,
        'format',
        '--cluster-id',
        'quorum-test-cluster-0000',
        '--add-scram',
        'SCRAM-SHA-512=[name=admin,password=admin-secret]',
        '--override',
        `node.id=${n.id}`,
        '--override',
        `log.dirs=${n.logDir}`,
      ]);
      expect(out).toContain('Added 1 SCRAM credential(s)');
    }
    await cluster.start();
  }, 60_000);

  afterAll(async () => {
    await cluster?.close();
  });

  it('lets the seeded user log in on every broker, and the quorum keeps working', async () => {
    for (const n of cluster.nodes) {
      const admin = await connect({
        host: '127.0.0.1',
        port: n.port,
        sasl: scramSha512({ username: 'admin', password: 'admin-secret' }),
      });
      expect((await admin.request(ApiKey.Metadata, METADATA_ALL)).brokers).toHaveLength(3);
      await admin.close();
    }
    // A metadata change after the seeded records commits and reaches every broker.
    const admin = await connect({
      host: '127.0.0.1',
      port: cluster.node(1).port,
      sasl: scramSha512({ username: 'admin', password: 'admin-secret' }),
    });
    const created = await admin.request(ApiKey.CreateTopics, {
      topics: [{ name: 'after-seed', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 5000,
      validateOnly: false,
    });
    expect(created.topics[0]?.errorCode).toBe(0);
    await admin.close();
  }, 30_000);
});

describe('replication over a SASL inter-broker listener', () => {
  let cluster: QuorumCluster;

  beforeAll(async () => {
    // Followers fetch over the client listener, which requires SASL: they log in with the JAAS
    // entry's username/password, as Kafka brokers do (sasl.mechanism.inter.broker.protocol).
    cluster = await quorumCluster(3, {
      'listener.security.protocol.map': 'PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT',
      'sasl.enabled.mechanisms': 'PLAIN',
      'sasl.mechanism.inter.broker.protocol': 'PLAIN',
      'listener.name.plaintext.plain.sasl.jaas.config':
        'org.apache.kafka.common.security.plain.PlainLoginModule required username="broker" password="broker-secret" user_broker="broker-secret";',
    });
    await cluster.start();
  }, 60_000);

  afterAll(async () => {
    await cluster?.close();
  });

  it('acknowledges acks=all only once the followers, authenticated, have the batch', async () => {
    const c = await connect({
      host: '127.0.0.1',
      port: cluster.node(1).port,
      sasl: plain({ username: 'broker', password: 'broker-secret' }),
    });
    const created = await c.request(ApiKey.CreateTopics, {
      topics: [{ name: 'replicated', numPartitions: 1, replicationFactor: 3, assignments: [], configs: [] }],
      timeoutMs: 5000,
      validateOnly: false,
    });
    expect(created.topics[0]?.errorCode).toBe(0);
    const meta = await c.request(ApiKey.Metadata, {
      ...METADATA_ALL,
      topics: [{ name: 'replicated', topicId: ZERO_UUID }],
    });
    const leader = meta.topics[0]?.partitions[0]?.leaderId as number;
    const toLeader = await connect({
      host: '127.0.0.1',
      port: cluster.node(leader).port,
      sasl: plain({ username: 'broker', password: 'broker-secret' }),
    });
    const produced = await toLeader.request(ApiKey.Produce, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 15_000,
      topicData: [
        {
          name: 'replicated',
          partitionData: [
            {
              index: 0,
              records: encodeBatch({
                baseOffset: 0n,
                baseTimestamp: BigInt(Date.now()),
                records: [
                  { attributes: 0, offsetDelta: 0, timestampDelta: 0, key: null, value: Buffer.from('x'), headers: [] },
                ],
              }),
            },
          ],
        },
      ],
    } as never);
    expect(produced?.responses[0]?.partitionResponses[0]?.errorCode).toBe(0);
    await toLeader.close();
    await c.close();
  }, 40_000);
});

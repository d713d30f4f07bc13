/**
 * SCRAM credentials live in the replicated metadata: on a 3-node quorum whose client listener requires
 * SASL, a user created with AlterUserScramCredentials on broker 1 (forwarded to the active controller)
 * logs in on broker 3, and is refused there again once deleted. The first administrator logs in with
 * PLAIN (a JAAS user), as a fresh Kafka cluster without SCRAM users is entered.
 */
import { randomBytes } from 'node:crypto';
import { ApiKey, type Connection, connect, plain, saltPassword, scramSha512 } from '@flotilla/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type QuorumCluster, quorumCluster } from './harness.js';

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

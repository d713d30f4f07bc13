/**
 * Broker security with real clients against the real broker binary, beyond the SCRAM-SHA-512 matrix of
 * security-matrix.test.ts (Write without Read, prefixed ACLs, DENY over ALLOW and wrong passwords, for
 * kcat, kafkajs, kafka-python and confluent-kafka over SASL_PLAINTEXT and SASL_SSL): super users and
 * cluster operations, Metadata hiding topics the principal may not describe, SCRAM-SHA-256 and PLAIN,
 * mutual TLS with the principal taken from the certificate's CN, and KIP-368 re-authentication, with
 * kcat and kafkajs. Users are seeded with `flotilla-broker format --add-scram`, ACLs created with
 * kafkajs' CreateAcls.
 */
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  type Admin,
  Kafka,
  type KafkaConfig,
  logLevel,
  ResourcePatternTypes,
} from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, run, tempDir } from './harness.js';
import {
  type Certificates,
  formatWithScram,
  makeCertificates,
  type SecureBroker,
  startSecureBroker,
} from './security-harness.js';

const USERS = ['admin', 'writer', 'reader', 'mallory'];

function kcat(
  endpoint: string,
  protocol: string,
  auth: { user?: string; password?: string; mechanism?: string; tls?: { ca: string; cert?: string; key?: string } },
  args: string[],
  input?: string,
  timeoutMs = 20_000,
): Promise<string> {
  const x: string[] = ['-X', `security.protocol=${protocol}`];
  if (auth.user) {
    x.push('-X', `sasl.mechanisms=${auth.mechanism ?? 'SCRAM-SHA-512'}`, '-X', `sasl.username=${auth.user}`);
    x.push('-X', `sasl.password=${auth.password ?? `${auth.user}-secret`}`);
  }
  if (auth.tls) {
    x.push('-X', `ssl.ca.location=${auth.tls.ca}`);
    if (auth.tls.cert)
      x.push('-X', `ssl.certificate.location=${auth.tls.cert}`, '-X', `ssl.key.location=${auth.tls.key}`);
  }
  return run('/usr/bin/kcat', ['-b', endpoint, ...x, '-m', '10', ...args], input, timeoutMs);
}

describe('security with kcat and kafkajs', () => {
  let dir: string;
  let certs: Certificates;
  let broker: SecureBroker;
  const kafkas: Admin[] = [];

  const kafkaFor = (
    user: string,
    listener: 'SASL_PLAINTEXT' | 'SASL_SSL' | 'REAUTH',
    password = `${user}-secret`,
  ): Kafka => {
    const config: KafkaConfig = {
      clientId: `security-${user}`,
      brokers: [broker.endpoints[listener] as string],
      logLevel: logLevel.NOTHING,
      sasl: { mechanism: 'scram-sha-512', username: user, password },
      retry: { retries: 2, initialRetryTime: 100 },
    };
    if (listener === 'SASL_SSL') config.ssl = { ca: [require('node:fs').readFileSync(certs.ca, 'utf8')] };
    return new Kafka(config);
  };
  const adminFor = async (user: string, listener: 'SASL_PLAINTEXT' | 'SASL_SSL' = 'SASL_PLAINTEXT') => {
    const admin = kafkaFor(user, listener).admin();
    await admin.connect();
    kafkas.push(admin);
    return admin;
  };

  beforeAll(async () => {
    dir = tempDir('flotilla-security-');
    certs = makeCertificates(dir, ['alice-tls']);
    const out = await formatWithScram(`${dir}/data`, [
      ...USERS.map((u) => `SCRAM-SHA-512=[name=${u},password=${u}-secret]`),
      'SCRAM-SHA-256=[name=user256,password=user256-secret,iterations=8192]',
    ]);
    expect(out).toContain('Added 5 SCRAM credential(s)');
    broker = await startSecureBroker(`${dir}/data`, certs);
    const admin = await adminFor('admin');
    await admin.createTopics({
      topics: ['orders', 'events.a', 'events.b', 'private', 'shared', 'tls-topic'].map((topic) => ({ topic })),
    });
    const acl = (
      principal: string,
      resourceName: string,
      operation: AclOperationTypes,
      extra: { type?: AclResourceTypes; pattern?: ResourcePatternTypes; deny?: boolean } = {},
    ) => ({
      resourceType: extra.type ?? AclResourceTypes.TOPIC,
      resourceName,
      resourcePatternType: extra.pattern ?? ResourcePatternTypes.LITERAL,
      principal,
      host: '*',
      operation,
      permissionType: extra.deny ? AclPermissionTypes.DENY : AclPermissionTypes.ALLOW,
    });
    await admin.createAcls({
      acl: [
        acl('User:writer', 'orders', AclOperationTypes.WRITE),
        acl('User:reader', 'events.', AclOperationTypes.READ, { pattern: ResourcePatternTypes.PREFIXED }),
        acl('User:reader', 'readers-', AclOperationTypes.READ, {
          type: AclResourceTypes.GROUP,
          pattern: ResourcePatternTypes.PREFIXED,
        }),
        acl('User:*', 'shared', AclOperationTypes.WRITE),
        acl('User:mallory', 'shared', AclOperationTypes.WRITE, { deny: true }),
        acl('User:alice-tls', 'tls-topic', AclOperationTypes.WRITE),
        acl('User:user256', 'orders', AclOperationTypes.DESCRIBE),
      ],
    });
  }, 120_000);

  afterAll(async () => {
    for (const k of kafkas) await k.disconnect().catch(() => {});
    await broker?.stop();
    removeDir(dir);
  });

  it('lets a super user do everything and refuses cluster operations to others', async () => {
    const admin = await adminFor('admin');
    const described = await admin.describeAcls({
      resourceType: AclResourceTypes.ANY,
      resourcePatternType: ResourcePatternTypes.ANY,
      operation: AclOperationTypes.ANY,
      permissionType: AclPermissionTypes.ANY,
    });
    expect(described.resources.flatMap((r) => r.acls)).toHaveLength(7);
    await admin.createTopics({ topics: [{ topic: 'admin-made' }] });
    await admin.deleteTopics({ topics: ['admin-made'] });

    const writer = await adminFor('writer');
    const refused = await writer.createTopics({ topics: [{ topic: 'writer-made' }] }).catch((e: unknown) => e);
    expect(JSON.stringify(refused)).toContain('TOPIC_AUTHORIZATION_FAILED');
    await expect(
      writer.describeAcls({
        resourceType: AclResourceTypes.ANY,
        resourcePatternType: ResourcePatternTypes.ANY,
        operation: AclOperationTypes.ANY,
        permissionType: AclPermissionTypes.ANY,
      }),
    ).rejects.toThrow(/[Cc]luster authorization/);
    const notDeleted = await writer.deleteTopics({ topics: ['orders'] }).catch((e: unknown) => e);
    expect(JSON.stringify(notDeleted)).toContain('TOPIC_AUTHORIZATION_FAILED');
    expect(await admin.listTopics()).toContain('orders');
  });

  // User:* may write (so describe) 'shared': every principal sees it.
  it('Metadata lists only the topics a principal may describe', async () => {
    const all = (await (await adminFor('admin')).listTopics()).filter((t) => !t.startsWith('__')).sort();
    expect(all).toEqual(['events.a', 'events.b', 'orders', 'private', 'shared', 'tls-topic']);
    expect((await (await adminFor('writer')).listTopics()).sort()).toEqual(['orders', 'shared']);
    expect((await (await adminFor('reader', 'SASL_SSL')).listTopics()).sort()).toEqual([
      'events.a',
      'events.b',
      'shared',
    ]);
    const listed = JSON.parse(
      await kcat(broker.endpoints.SASL_PLAINTEXT as string, 'SASL_PLAINTEXT', { user: 'mallory' }, ['-L', '-J']),
    ) as { topics: { topic: string }[] };
    expect(listed.topics.map((t) => t.topic)).toEqual(['shared']);
  });

  it('SCRAM-SHA-256 and PLAIN (JAAS users) log in too', async () => {
    const plain = broker.endpoints.SASL_PLAINTEXT as string;
    const sha256 = JSON.parse(
      await kcat(plain, 'SASL_PLAINTEXT', { user: 'user256', mechanism: 'SCRAM-SHA-256' }, ['-L', '-J']),
    ) as { topics: { topic: string }[] };
    expect(sha256.topics.map((t) => t.topic).sort()).toEqual(['orders', 'shared']);
    const viaPlain = JSON.parse(
      await kcat(plain, 'SASL_PLAINTEXT', { user: 'plainuser', password: 'plain-secret', mechanism: 'PLAIN' }, [
        '-L',
        '-J',
      ]),
    ) as { brokers: unknown[]; topics: unknown[] };
    expect(viaPlain.brokers).toHaveLength(1);
    expect(viaPlain.topics).toHaveLength(1);
    await expect(
      kcat(
        plain,
        'SASL_PLAINTEXT',
        { user: 'plainuser', password: 'wrong', mechanism: 'PLAIN' },
        ['-L'],
        undefined,
        15_000,
      ),
    ).rejects.toThrow(/Invalid username or password/);
  });

  it('mutual TLS: the principal is User:<CN> of the client certificate, and a certificate is required', async () => {
    const ssl = broker.endpoints.SSL as string;
    const tls = { ca: certs.ca, ...certs.client('alice-tls') };
    await kcat(ssl, 'SSL', { tls }, ['-P', '-t', 'tls-topic'], 'over-mtls\n');
    await expect(kcat(ssl, 'SSL', { tls }, ['-P', '-t', 'orders'], 'nope\n', 15_000)).rejects.toThrow(
      /[Tt]opic authorization failed/,
    );
    const meta = JSON.parse(await kcat(ssl, 'SSL', { tls }, ['-L', '-J'])) as { topics: { topic: string }[] };
    expect(meta.topics.map((t) => t.topic).sort()).toEqual(['shared', 'tls-topic']);
    await expect(kcat(ssl, 'SSL', { tls: { ca: certs.ca } }, ['-L'], undefined, 15_000)).rejects.toThrow();
  });
  it('kafkajs re-authenticates on the same connection when sessions last connections.max.reauth.ms (KIP-368)', async () => {
    // The REAUTH listener gives 1.5 s sessions; kafkajs re-authenticates before a request once the
    // session is within its threshold (10 s), so every send below re-authenticates, and none is refused.
    const producer = kafkaFor('admin', 'REAUTH').producer();
    await producer.connect();
    const admin = await adminFor('admin');
    await admin.createTopics({ topics: [{ topic: 'reauth-topic' }] });
    for (let i = 0; i < 5; i++) {
      await producer.send({ topic: 'reauth-topic', messages: [{ value: `m${i}` }] });
      await new Promise((r) => setTimeout(r, 700));
    }
    await producer.disconnect();
    expect((await admin.fetchTopicOffsets('reauth-topic'))[0]?.high).toBe('5');
    // No connection reached the end of its session (the broker logs each one it closes for that).
    expect(broker.output()).not.toMatch(/SASL session expired/);
  }, 30_000);
});

/**
 * TLS listeners beyond PEM files: a PKCS12 keystore (`ssl.keystore.type=PKCS12` with
 * `ssl.keystore.password`) and `ssl.client.auth=requested`, where a client certificate, when sent and
 * trusted, gives the principal User:<CN>, and a client without one is User:ANONYMOUS.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiKey, connect, defaultCreateTopicsRequest } from '@flotilla/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrokerProcess, removeDir, startBrokerProcess, tempDir } from './harness.js';
import { makeCertificates } from './security-harness.js';

const METADATA_ALL = {
  topics: null,
  allowAutoTopicCreation: false,
  includeClusterAuthorizedOperations: false,
  includeTopicAuthorizedOperations: false,
};

describe('PKCS12 keystore and requested client certificates', () => {
  let dir: string;
  let broker: BrokerProcess;
  let sslPort: number;
  let ca: Buffer;
  let client: { cert: Buffer; key: Buffer };

  beforeAll(async () => {
    dir = tempDir('flotilla-tls-');
    const certs = makeCertificates(dir, ['tls-client']);
    execFileSync(
      'openssl',
      [
        'pkcs12',
        '-export',
        '-in',
        'broker.pem',
        '-inkey',
        'broker.key',
        '-out',
        'broker.p12',
        '-passout',
        'pass:p12-secret',
      ],
      { cwd: dir, stdio: 'pipe' },
    );
    ca = readFileSync(certs.ca);
    client = { cert: readFileSync(certs.client('tls-client').cert), key: readFileSync(certs.client('tls-client').key) };
    broker = await startBrokerProcess({
      logDir: join(dir, 'data'),
      overrides: {
        listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0',
        'ssl.keystore.type': 'PKCS12',
        'ssl.keystore.location': join(dir, 'broker.p12'),
        'ssl.keystore.password': 'p12-secret',
        'ssl.truststore.location': certs.ca,
        'ssl.client.auth': 'requested',
        'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
        'super.users': 'User:ANONYMOUS',
      },
    });
    sslPort = Number(/SSL:\/\/127\.0\.0\.1:(\d+)/.exec(broker.output())?.[1]);
    const admin = await connect({ host: '127.0.0.1', port: broker.port });
    await admin.request(ApiKey.CreateTopics, {
      ...defaultCreateTopicsRequest(),
      timeoutMs: 5000,
      topics: ['for-tls-client', 'other'].map((name) => ({
        name,
        numPartitions: 1,
        replicationFactor: 1,
        assignments: [],
        configs: [],
      })),
    });
    const acl = await admin.request(ApiKey.CreateAcls, {
      creations: [
        {
          resourceType: 2,
          resourceName: 'for-tls-client',
          resourcePatternType: 3,
          principal: 'User:tls-client',
          host: '*',
          operation: 8,
          permissionType: 3,
        },
      ],
    });
    expect(acl.results[0]?.errorCode).toBe(0);
    await admin.close();
  }, 60_000);

  afterAll(async () => {
    await broker?.stop();
    removeDir(dir);
  });

  const topicsSeen = async (tls: Record<string, unknown>) => {
    const c = await connect({ host: '127.0.0.1', port: sslPort, tls: { ca, servername: 'localhost', ...tls } });
    const names = (await c.request(ApiKey.Metadata, METADATA_ALL)).topics.map((t) => t.name).sort();
    await c.close();
    return names;
  };

  it('serves TLS from a PKCS12 keystore; a client certificate makes the principal User:<CN>', async () => {
    expect(await topicsSeen(client)).toEqual(['for-tls-client']);
  });

  it('lets a client without a certificate in as User:ANONYMOUS when certificates are only requested', async () => {
    expect(await topicsSeen({})).toEqual(['for-tls-client', 'other']);
  });
});

/**
 * Clusters with client authentication and encryption in transit (MSK's clientAuthentication and
 * encryptionInfo), end to end on real things: the API and the operations worker on real Postgres and
 * Redis, brokers on the ProcessDriver (3 brokers: replication over the TLS INTERNAL listener) and on the
 * DockerDriver (1 broker, where an engine answers and the image exists), @aws-sdk/client-kafka for
 * MSK's calls, fetch for Flotilla's own routes, kcat (librdkafka over OpenSSL) as the client application.
 *
 * Also a mutual-TLS cluster (client certificates from the cluster CA) and a TLS_PLAINTEXT one.
 *
 * What a SCRAM-over-TLS cluster must do: GetBootstrapBrokers gives only the SASL/SCRAM string; the CA
 * from the API verifies the brokers; a user made through /users logs in over SASL_SSL and is refused a
 * topic until an ACL made through /acls grants it; a wrong password and PLAINTEXT on the SASL port (or
 * on the control plane's own listener) get nowhere; the API's own topic and group calls keep working
 * (the control plane's SCRAM super user); DeleteCluster removes it.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateClusterV2Command,
  CreateConfigurationCommand,
  CreateTopicCommand,
  DescribeClusterV2Command,
  GetBootstrapBrokersCommand,
  ListClusterOperationsV2Command,
  ListTopicsCommand,
  RebootBrokerCommand,
  UpdateBrokerCountCommand,
} from '@aws-sdk/client-kafka';
import { AdminClient, ConfigResourceType } from '@flotilla/protocol';
import { adminOptions, HealMonitor, Monitor, reconcileCluster, requireClusterEndpoint } from '@flotilla/worker';
import { describe, expect, it } from 'vitest';
import {
  type ControlPlane,
  deleteAndWait as deleteAndWaitFor,
  dockerReadiness,
  kcatRun as kcat,
  quiet,
  saslSsl,
  sdkError,
  until,
  useControlPlane,
  waitActive as waitActiveFor,
} from './harness.js';

type Harness = ControlPlane;

const call = (h: Harness, method: string, path: string, body?: unknown) => h.call(method, path, body);
const waitActive = (h: Harness, clusterArn: string) => waitActiveFor(h.msk, clusterArn);
const deleteAndWait = (h: Harness, clusterArn: string) => deleteAndWaitFor(h.msk, clusterArn);

const SCRAM_OVER_TLS = {
  ClientAuthentication: { Sasl: { Scram: { Enabled: true } } },
  EncryptionInfo: { EncryptionInTransit: { ClientBroker: 'TLS' as const, InCluster: true } },
};

describe('a SASL/SCRAM-over-TLS cluster on the process driver (3 brokers)', () => {
  const get = useControlPlane({ name: 'security_scram' });
  const under = (arn: string, rest: string) => `/v1/clusters/${encodeURIComponent(arn)}${rest}`;
  let clusterArn: string;
  let saslBootstrap: string;
  let caFile: string;

  it('documents the certificate routes in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${get().endpoint}/docs/json`)).json()) as {
      paths: Record<string, Record<string, { operationId?: string }>>;
    };
    expect(doc.paths['/v1/clusters/{clusterArn}/certificate-authority']?.get?.operationId).toBe(
      'GetCertificateAuthority',
    );
    expect(doc.paths['/v1/clusters/{clusterArn}/client-certificates']?.post?.operationId).toBe(
      'CreateClientCertificate',
    );
  });

  it('refuses what MSK refuses: SCRAM without TLS, IAM', async () => {
    const h = get();
    const info = {
      InstanceType: 'kafka.t3.small',
      ClientSubnets: ['subnet-1'],
      StorageInfo: { EbsStorageInfo: { VolumeSize: 1 } },
    };
    const noTls = await sdkError(
      h.msk.send(
        new CreateClusterV2Command({
          ClusterName: 'scram-plaintext',
          Provisioned: {
            KafkaVersion: '3.8.x',
            NumberOfBrokerNodes: 1,
            BrokerNodeGroupInfo: info,
            ClientAuthentication: { Sasl: { Scram: { Enabled: true } } },
            EncryptionInfo: { EncryptionInTransit: { ClientBroker: 'PLAINTEXT' } },
          },
        }),
      ),
    );
    expect(noTls).toMatchObject({ name: 'BadRequestException', invalidParameter: 'encryptionInfo' });
    expect(noTls.message).toMatch(/SCRAM.*TLS/);
    const iam = await sdkError(
      h.msk.send(
        new CreateClusterV2Command({
          ClusterName: 'iam',
          Provisioned: {
            KafkaVersion: '3.8.x',
            NumberOfBrokerNodes: 1,
            BrokerNodeGroupInfo: info,
            ClientAuthentication: { Sasl: { Iam: { Enabled: true } } },
          },
        }),
      ),
    );
    expect(iam).toMatchObject({ name: 'BadRequestException', invalidParameter: 'clientAuthentication' });
    expect(iam.message).toMatch(/IAM.*not supported/);
    expect(await h.catalog.cluster.count()).toBe(0);
  });

  it('CreateClusterV2 with SCRAM over TLS goes ACTIVE; GetBootstrapBrokers gives only the SASL/SCRAM string', async () => {
    const h = get();
    // ACLs bite for every resource (MSK's default is true: resources without ACLs open to all).
    const configuration = await h.msk.send(
      new CreateConfigurationCommand({
        Name: 'security-strict',
        ServerProperties: new TextEncoder().encode('allow.everyone.if.no.acl.found=false\n'),
      }),
    );
    const created = await h.msk.send(
      new CreateClusterV2Command({
        ClusterName: 'secure',
        Provisioned: {
          KafkaVersion: '3.8.x',
          NumberOfBrokerNodes: 3,
          ConfigurationInfo: { Arn: configuration.Arn, Revision: 1 },
          BrokerNodeGroupInfo: {
            InstanceType: 'kafka.t3.small',
            // One subnet: the scale-out test below may add a single broker.
            ClientSubnets: ['subnet-1'],
            StorageInfo: { EbsStorageInfo: { VolumeSize: 1 } },
          },
          ...SCRAM_OVER_TLS,
        },
      }),
    );
    clusterArn = created.ClusterArn as string;
    // The CA exists from the start (CREATING), so clients can be prepared before the brokers run.
    const ca = await call(h, 'GET', under(clusterArn, '/certificate-authority'));
    expect(ca.status).toBe(200);
    expect(ca.body.certificateAuthority).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    caFile = join(h.stateDir, 'secure-ca.pem');
    writeFileSync(caFile, ca.body.certificateAuthority as string);
    await waitActive(h, clusterArn);

    const brokers = await h.msk.send(new GetBootstrapBrokersCommand({ ClusterArn: clusterArn }));
    expect(brokers.BootstrapBrokerString).toBeUndefined();
    expect(brokers.BootstrapBrokerStringTls).toBeUndefined();
    saslBootstrap = brokers.BootstrapBrokerStringSaslScram as string;
    expect(saslBootstrap.split(',')).toHaveLength(3);
    for (const address of saslBootstrap.split(',')) expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    const described = await h.msk.send(new DescribeClusterV2Command({ ClusterArn: clusterArn }));
    expect(described.ClusterInfo?.Provisioned?.ClientAuthentication?.Sasl?.Scram?.Enabled).toBe(true);
    expect(described.ClusterInfo?.Provisioned?.EncryptionInfo?.EncryptionInTransit?.ClientBroker).toBe('TLS');
  }, 180_000);

  it('serves the API topic calls through the control plane SCRAM super user', async () => {
    const h = get();
    await h.msk.send(
      new CreateTopicCommand({
        ClusterArn: clusterArn,
        TopicName: 'payments',
        PartitionCount: 2,
        ReplicationFactor: 3,
      }),
    );
    const topics = await h.msk.send(new ListTopicsCommand({ ClusterArn: clusterArn }));
    expect(topics.Topics?.map((t) => t.TopicName)).toContain('payments');
    const groups = await call(h, 'GET', under(clusterArn, '/consumer-groups'));
    expect(groups.status).toBe(200);
  }, 60_000);

  it('never shows key material or the control plane password: DescribeConfigs, broker logs, recorded plan', async () => {
    const h = get();
    const row = await h.catalog.cluster.findUniqueOrThrow({ where: { arn: clusterArn } });
    const password = h.api.box.open(row.controlPlanePasswordSealed as Uint8Array);
    const admin = new AdminClient({
      ...adminOptions(requireClusterEndpoint(row, h.api.box)),
      clientId: 'security-test',
    });
    try {
      const [described] = await admin.describeConfigs([{ type: ConfigResourceType.BROKER, name: '1' }]);
      const key = described?.configs.find((c) => c.name === 'ssl.keystore.key');
      expect(key).toMatchObject({ value: null, isSensitive: true });
      expect(JSON.stringify(described)).not.toContain('PRIVATE KEY');
    } finally {
      await admin.close();
    }
    const runtimeDir = join(h.stateDir, 'runtime');
    const logs = readdirSync(runtimeDir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.log'))
      .map((f) => readFileSync(join(runtimeDir, f), 'utf8'))
      .join('\n');
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).not.toContain('PRIVATE KEY');
    expect(logs).not.toContain(password);
    const steps = await h.catalog.operationStep.findMany({ where: { operation: { clusterId: row.id } } });
    const recorded = JSON.stringify(steps.map((step) => step.detail));
    expect(recorded).toContain('ssl.keystore.key');
    expect(recorded).not.toContain('PRIVATE KEY');
    expect(recorded).not.toContain(password);
  });

  it('a user made through /users logs in over SASL_SSL and is refused the topic until an ACL grants it', async () => {
    const h = get();
    const made = await call(h, 'POST', under(clusterArn, '/users'), { username: 'alice', password: 'alice-secret-1' });
    expect(made).toMatchObject({ status: 200, body: { username: 'alice', mechanism: 'SCRAM-SHA-512' } });
    const alice = saslSsl(caFile, 'alice', 'alice-secret-1');

    // Authenticated (metadata answers) but not authorized for the topic.
    const refused = await kcat(
      ['-P', '-b', saslBootstrap, '-t', 'payments', ...alice, '-X', 'message.timeout.ms=10000'],
      'before\n',
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/Topic authorization failed/i);

    for (const operation of ['WRITE', 'READ']) {
      const acl = await call(h, 'POST', under(clusterArn, '/acls'), {
        resourceType: 'TOPIC',
        resourceName: 'payments',
        principal: 'User:alice',
        operation,
        permissionType: 'ALLOW',
      });
      expect(acl.status).toBe(200);
    }
    const group = await call(h, 'POST', under(clusterArn, '/acls'), {
      resourceType: 'GROUP',
      resourceName: 'alice-',
      patternType: 'PREFIXED',
      principal: 'User:alice',
      operation: 'READ',
      permissionType: 'ALLOW',
    });
    expect(group.status).toBe(200);

    const produced = await kcat(
      ['-P', '-b', saslBootstrap, '-t', 'payments', '-K', ':', ...alice, '-X', 'acks=all'],
      'k1:one\nk2:two\nk3:three\n',
    );
    expect(produced).toMatchObject({ code: 0 });
    const consumed = await kcat([
      '-C',
      '-b',
      saslBootstrap,
      '-G',
      'alice-readers',
      ...alice,
      '-X',
      'auto.offset.reset=earliest',
      '-e',
      '-f',
      '%k=%s\n',
      'payments',
    ]);
    expect(consumed.code).toBe(0);
    expect(consumed.stdout.trim().split('\n').sort()).toEqual(['k1=one', 'k2=two', 'k3=three']);

    // The group's committed offsets, asked by the control plane.
    await until('the group through the API', async () => {
      const described = await call(h, 'GET', under(clusterArn, '/consumer-groups/alice-readers'));
      return described.status === 200 && described.body.totalOffsetLag === 0 ? described : undefined;
    });
  }, 120_000);

  it('a wrong password, PLAINTEXT on the SASL port and on the control plane listener get nowhere', async () => {
    const h = get();
    const wrong = await kcat(['-L', '-b', saslBootstrap, '-m', '3', ...saslSsl(caFile, 'alice', 'not-her-password')]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/Authentication failed|authentication/i);

    const plain = await kcat(['-L', '-b', saslBootstrap, '-m', '3']);
    expect(plain.code).not.toBe(0);
    expect(plain.stdout).not.toMatch(/payments/);

    const row = await h.catalog.cluster.findUniqueOrThrow({ where: { arn: clusterArn } });
    expect(row.controlPlaneBootstrap?.split(',')).toHaveLength(3);
    expect(row.controlPlanePasswordSealed?.length).toBeGreaterThan(0);
    const controlPlane = await kcat(['-L', '-b', row.controlPlaneBootstrap as string, '-m', '3']);
    expect(controlPlane.code).not.toBe(0);
    expect(controlPlane.stdout).not.toMatch(/payments/);
    // Nor may a client verify brokers with another CA: TLS fails before any SASL.
    const otherCa = join(h.stateDir, 'other-ca.pem');
    const { createCertificateAuthority } = await import('@flotilla/runtime');
    writeFileSync(otherCa, createCertificateAuthority('someone else').certificate);
    const untrusted = await kcat([
      '-L',
      '-b',
      saslBootstrap,
      '-m',
      '5',
      ...saslSsl(otherCa, 'alice', 'alice-secret-1'),
    ]);
    expect(untrusted.code).not.toBe(0);
    expect(untrusted.stderr).toMatch(/certificate verify failed|SSL handshake failed/i);
  }, 60_000);

  it('keeps the control plane user out of /users and the catalog, and refuses flotilla- names', async () => {
    const h = get();
    const listed = await call(h, 'GET', under(clusterArn, '/users'));
    expect((listed.body.users as { username: string }[]).map((u) => u.username)).toEqual(['alice']);
    const reserved = await call(h, 'POST', under(clusterArn, '/users'), {
      username: 'flotilla-admin',
      password: 'x'.repeat(12),
    });
    expect(reserved).toMatchObject({ status: 400, type: 'BadRequestException' });
    const row = await h.catalog.cluster.findUniqueOrThrow({ where: { arn: clusterArn } });
    await reconcileCluster(h.catalog, row.id, { box: h.api.box, freshMs: 0 });
    const mirrored = await h.catalog.scramUser.findMany({ where: { clusterId: row.id } });
    expect(mirrored.map((u) => u.username)).toEqual(['alice']);
    // No mTLS on this cluster: no client certificates.
    const cert = await call(h, 'POST', under(clusterArn, '/client-certificates'), { commonName: 'bob' });
    expect(cert).toMatchObject({ status: 400, type: 'BadRequestException' });
  }, 60_000);

  it('a second create is a conflict; rotating retires the old password; deleting ends the logins', async () => {
    const h = get();
    const users = under(clusterArn, '/users');
    // Credentials reach every broker through the metadata log: a login is retried until one takes it.
    const login = (password: string) =>
      kcat(['-L', '-b', saslBootstrap, '-m', '5', ...saslSsl(caFile, 'dave', password)]).then((r) => r.code === 0);
    const made = await call(h, 'POST', users, { username: 'dave', password: 'dave-secret-1' });
    expect(made).toMatchObject({
      status: 200,
      body: { username: 'dave', mechanism: 'SCRAM-SHA-512', iterations: 8192 },
    });
    expect(await call(h, 'POST', users, { username: 'dave', password: 'dave-secret-1' })).toMatchObject({
      status: 409,
      type: 'ConflictException',
    });
    await until('dave logs in', async () => ((await login('dave-secret-1')) ? true : undefined));
    const row = await h.catalog.scramUser.findFirstOrThrow({ where: { username: 'dave' } });
    expect(row.salt.length).toBe(32);
    const everything = JSON.stringify(row, (_k, v) =>
      v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v,
    );
    expect(everything).not.toContain('dave-secret');

    const rotated = await call(h, 'PUT', `${users}/dave`, { password: 'dave-secret-2' });
    expect(rotated).toMatchObject({ status: 200, body: { username: 'dave', mechanism: 'SCRAM-SHA-512' } });
    const after = await h.catalog.scramUser.findFirstOrThrow({ where: { username: 'dave' } });
    expect(Buffer.from(after.storedKey).equals(Buffer.from(row.storedKey))).toBe(false);
    await until('the new password logs in', async () => ((await login('dave-secret-2')) ? true : undefined));
    await until('the old password refused', async () => ((await login('dave-secret-1')) ? undefined : true));
    expect(await call(h, 'PUT', `${users}/ghost`, { password: 'long-enough-1' })).toMatchObject({
      status: 404,
      type: 'NotFoundException',
    });

    expect((await call(h, 'DELETE', `${users}/dave`)).status).toBe(204);
    expect(await call(h, 'DELETE', `${users}/dave`)).toMatchObject({ status: 404, type: 'NotFoundException' });
    await until('dave refused', async () => ((await login('dave-secret-2')) ? undefined : true));
    await until('the catalog row gone', async () =>
      (await h.catalog.scramUser.count({ where: { username: 'dave' } })) === 0 ? true : undefined,
    );
    const listed = await call(h, 'GET', users);
    expect((listed.body.users as { username: string }[]).map((u) => u.username)).toEqual(['alice']);
  }, 180_000);

  it('scale-out gives the new broker the same listeners, its own certificate and the control plane user', async () => {
    const h = get();
    const before = await h.msk.send(new DescribeClusterV2Command({ ClusterArn: clusterArn }));
    await h.msk.send(
      new UpdateBrokerCountCommand({
        ClusterArn: clusterArn,
        CurrentVersion: before.ClusterInfo?.CurrentVersion as string,
        TargetNumberOfBrokerNodes: 4,
      }),
    );
    await waitActive(h, clusterArn);
    const operations = await h.msk.send(new ListClusterOperationsV2Command({ ClusterArn: clusterArn }));
    const scale = operations.ClusterOperationInfoList?.find((o) => o.OperationType === 'INCREASE_BROKER_COUNT');
    expect(scale?.OperationState).toBe('UPDATE_COMPLETE');
    const brokers = await h.msk.send(new GetBootstrapBrokersCommand({ ClusterArn: clusterArn }));
    expect(brokers.BootstrapBrokerString).toBeUndefined();
    const addresses = (brokers.BootstrapBrokerStringSaslScram as string).split(',');
    expect(addresses).toHaveLength(4);
    // The new broker alone as bootstrap: TLS verified with the cluster CA, alice logs in, sees 4 brokers.
    const added = addresses.at(-1) as string;
    const metadata = await kcat(['-L', '-b', added, '-m', '10', ...saslSsl(caFile, 'alice', 'alice-secret-1')]);
    expect(metadata.code).toBe(0);
    expect(metadata.stdout).toMatch(/4 brokers:/);
    // The control plane reached it too (rebalance moved replicas onto broker 4).
    const topic = await call(h, 'GET', under(clusterArn, '/consumer-groups/alice-readers'));
    expect(topic.status).toBe(200);
    const consumed = await kcat([
      '-C',
      '-b',
      added,
      '-t',
      'payments',
      ...saslSsl(caFile, 'alice', 'alice-secret-1'),
      '-o',
      'beginning',
      '-e',
      '-f',
      '%s\n',
    ]);
    expect(consumed.stdout.trim().split('\n').sort()).toEqual(['one', 'three', 'two']);
  }, 240_000);

  it('the monitor, a RebootBroker roll and the heal loop reach the brokers through the control plane user', async () => {
    const h = get();
    const row = await h.catalog.cluster.findUniqueOrThrow({ where: { arn: clusterArn } });
    const [scrape] = await new Monitor({ catalog: h.catalog, driver: h.driver, box: h.api.box, log: quiet }).runOnce();
    expect(scrape?.problems).toEqual([]);
    expect(scrape?.values.find((v) => v.metric === 'ActiveControllerCount')?.value).toBe(1);
    expect(scrape?.lag.map((g) => g.groupId)).toContain('alice-readers');

    const reboot = await h.msk.send(new RebootBrokerCommand({ ClusterArn: clusterArn, BrokerIds: ['4'] }));
    expect(reboot.ClusterOperationArn).toBeDefined();
    await waitActive(h, clusterArn);
    const operations = await h.msk.send(new ListClusterOperationsV2Command({ ClusterArn: clusterArn }));
    const rebooted = operations.ClusterOperationInfoList?.find((o) => o.OperationType === 'REBOOT_NODE');
    expect(rebooted?.OperationState).toBe('UPDATE_COMPLETE');

    // A broker killed behind the control plane's back comes back with its listeners and certificate.
    await h.driver.killBroker({ clusterId: row.id, nodeId: 2 });
    const healer = new HealMonitor({ catalog: h.catalog, driver: h.driver, box: h.api.box, log: quiet });
    await until(
      'the cluster healed',
      async () => ((await healer.checkOnce()).some((a) => a.action === 'recovered') ? true : undefined),
      120_000,
    );
    // The heal loop's 'recovered' can come before the controller fenced the killed broker; the broker
    // itself is what must be back: registered again, reached over SASL_SSL with the cluster CA.
    const broker2 = saslBootstrap.split(',')[1] as string;
    await until(
      'broker 2 registered again',
      async () => {
        const metadata = await kcat(['-L', '-b', broker2, '-m', '5', ...saslSsl(caFile, 'alice', 'alice-secret-1')]);
        return metadata.code === 0 && /4 brokers:/.test(metadata.stdout) && /broker 2 at/.test(metadata.stdout)
          ? true
          : undefined;
      },
      90_000,
    );
  }, 240_000);

  it('DeleteCluster removes it', async () => {
    await deleteAndWait(get(), clusterArn);
  }, 120_000);
});

describe('mutual TLS and TLS_PLAINTEXT clusters on the process driver (1 broker each)', () => {
  const get = useControlPlane({ name: 'security_mtls' });
  const under = (arn: string, rest: string) => `/v1/clusters/${encodeURIComponent(arn)}${rest}`;

  it('issues client certificates from the cluster CA; the principal is User:<CN> and ACLs bind it', async () => {
    const h = get();
    const created = await h.msk.send(
      new CreateClusterV2Command({
        ClusterName: 'mtls',
        Provisioned: {
          KafkaVersion: '3.8.x',
          NumberOfBrokerNodes: 1,
          BrokerNodeGroupInfo: {
            InstanceType: 'kafka.t3.small',
            ClientSubnets: ['subnet-1'],
            StorageInfo: { EbsStorageInfo: { VolumeSize: 1 } },
          },
          ClientAuthentication: { Tls: { CertificateAuthorityArnList: [], Enabled: true } },
          EncryptionInfo: { EncryptionInTransit: { ClientBroker: 'TLS' } },
        },
      }),
    );
    const arn = created.ClusterArn as string;
    await waitActive(h, arn);
    const brokers = await h.msk.send(new GetBootstrapBrokersCommand({ ClusterArn: arn }));
    expect(brokers.BootstrapBrokerString).toBeUndefined();
    expect(brokers.BootstrapBrokerStringSaslScram).toBeUndefined();
    const bootstrap = brokers.BootstrapBrokerStringTls as string;
    expect(bootstrap).toMatch(/^127\.0\.0\.1:\d+$/);

    const files = (name: string, cert: Record<string, unknown>) => {
      const base = join(h.stateDir, name);
      writeFileSync(`${base}.pem`, cert.certificate as string);
      writeFileSync(`${base}.key`, cert.privateKey as string);
      writeFileSync(`${base}-ca.pem`, cert.certificateAuthority as string);
      return [
        '-X',
        'security.protocol=SSL',
        '-X',
        `ssl.ca.location=${base}-ca.pem`,
        '-X',
        `ssl.certificate.location=${base}.pem`,
        '-X',
        `ssl.key.location=${base}.key`,
      ];
    };
    const bobCert = await call(h, 'POST', under(arn, '/client-certificates'), { commonName: 'bob' });
    expect(bobCert).toMatchObject({ status: 200, body: { principal: 'User:bob' } });
    const eveCert = await call(h, 'POST', under(arn, '/client-certificates'), { commonName: 'eve', validityDays: 1 });
    expect(eveCert.status).toBe(200);
    expect((await call(h, 'POST', under(arn, '/client-certificates'), { commonName: 'flotilla-broker' })).status).toBe(
      400,
    );
    const bob = files('bob', bobCert.body);
    const eve = files('eve', eveCert.body);

    await h.msk.send(
      new CreateTopicCommand({ ClusterArn: arn, TopicName: 'audit', PartitionCount: 1, ReplicationFactor: 1 }),
    );
    // An ACL on the topic: from now on only what ACLs allow (allow.everyone.if.no.acl.found applies to
    // resources without any).
    for (const operation of ['WRITE', 'READ']) {
      const acl = await call(h, 'POST', under(arn, '/acls'), {
        resourceType: 'TOPIC',
        resourceName: 'audit',
        principal: 'User:bob',
        operation,
        permissionType: 'ALLOW',
      });
      expect(acl.status).toBe(200);
    }
    const produced = await kcat(['-P', '-b', bootstrap, '-t', 'audit', ...bob, '-X', 'acks=all'], 'signed\n');
    expect(produced).toMatchObject({ code: 0 });
    const consumed = await kcat(['-C', '-b', bootstrap, '-t', 'audit', ...bob, '-o', 'beginning', '-e', '-f', '%s\n']);
    expect(consumed.stdout.trim()).toBe('signed');
    const refused = await kcat(['-P', '-b', bootstrap, '-t', 'audit', ...eve, '-X', 'message.timeout.ms=10000'], 'x\n');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/Topic authorization failed/i);
    // No client certificate: the TLS handshake fails (ssl.client.auth=required).
    const anonymous = await kcat([
      '-L',
      '-b',
      bootstrap,
      '-m',
      '5',
      '-X',
      'security.protocol=SSL',
      '-X',
      `ssl.ca.location=${join(h.stateDir, 'bob-ca.pem')}`,
    ]);
    expect(anonymous.code).not.toBe(0);
    // No SASL/SCRAM on this cluster: no SCRAM users (as MSK refuses to associate SCRAM secrets).
    expect(
      await call(h, 'POST', under(arn, '/users'), { username: 'carol', password: 'carol-secret-1' }),
    ).toMatchObject({ status: 400, type: 'BadRequestException', body: { invalidParameter: 'clientAuthentication' } });
    await deleteAndWait(h, arn);
  }, 240_000);

  it('TLS_PLAINTEXT without client authentication: a PLAINTEXT and a TLS listener, no authorizer', async () => {
    const h = get();
    const created = await h.msk.send(
      new CreateClusterV2Command({
        ClusterName: 'tls-plaintext',
        Provisioned: {
          KafkaVersion: '3.8.x',
          NumberOfBrokerNodes: 1,
          BrokerNodeGroupInfo: {
            InstanceType: 'kafka.t3.small',
            ClientSubnets: ['subnet-1'],
            StorageInfo: { EbsStorageInfo: { VolumeSize: 1 } },
          },
          EncryptionInfo: { EncryptionInTransit: { ClientBroker: 'TLS_PLAINTEXT', InCluster: false } },
        },
      }),
    );
    const arn = created.ClusterArn as string;
    await waitActive(h, arn);
    const brokers = await h.msk.send(new GetBootstrapBrokersCommand({ ClusterArn: arn }));
    expect(brokers.BootstrapBrokerStringSaslScram).toBeUndefined();
    const plaintext = brokers.BootstrapBrokerString as string;
    const tls = brokers.BootstrapBrokerStringTls as string;
    expect(plaintext).not.toBe(tls);
    const ca = await call(h, 'GET', under(arn, '/certificate-authority'));
    const caFile = join(h.stateDir, 'tls-plaintext-ca.pem');
    writeFileSync(caFile, ca.body.certificateAuthority as string);
    await h.msk.send(
      new CreateTopicCommand({ ClusterArn: arn, TopicName: 'open', PartitionCount: 1, ReplicationFactor: 1 }),
    );
    expect((await kcat(['-P', '-b', plaintext, '-t', 'open'], 'plain\n')).code).toBe(0);
    const ssl = ['-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${caFile}`];
    expect((await kcat(['-P', '-b', tls, '-t', 'open', ...ssl], 'encrypted\n')).code).toBe(0);
    const consumed = await kcat(['-C', '-b', tls, '-t', 'open', ...ssl, '-o', 'beginning', '-e', '-f', '%s\n']);
    expect(consumed.stdout.trim().split('\n')).toEqual(['plain', 'encrypted']);
    // No authorizer without SCRAM or mTLS: ACLs answer 400 (SECURITY_DISABLED), as on a PLAINTEXT cluster.
    const acl = await call(h, 'POST', under(arn, '/acls'), {
      resourceType: 'TOPIC',
      resourceName: 'open',
      principal: 'User:x',
      operation: 'READ',
      permissionType: 'ALLOW',
    });
    expect(acl.status).toBe(400);
    await deleteAndWait(h, arn);
  }, 240_000);
});

// The DockerDriver where an engine answers and the broker image exists (e2e.test.ts does the same).
const docker = await dockerReadiness();
if (docker.ready && process.env.FLOTILLA_E2E_DRIVER !== 'process') {
  describe('a SASL/SCRAM-over-TLS cluster on the docker driver (1 broker)', () => {
    const get = useControlPlane({ name: 'security_docker', runtime: 'docker' });
    const under = (arn: string, rest: string) => `/v1/clusters/${encodeURIComponent(arn)}${rest}`;

    it('create, a SCRAM round trip with kcat, delete', async () => {
      const h = get();
      const created = await h.msk.send(
        new CreateClusterV2Command({
          ClusterName: 'secure-docker',
          Provisioned: {
            KafkaVersion: '3.8.x',
            NumberOfBrokerNodes: 1,
            BrokerNodeGroupInfo: {
              InstanceType: 'kafka.t3.small',
              ClientSubnets: ['subnet-1'],
              StorageInfo: { EbsStorageInfo: { VolumeSize: 1 } },
            },
            ...SCRAM_OVER_TLS,
          },
        }),
      );
      const arn = created.ClusterArn as string;
      await waitActive(h, arn);
      const brokers = await h.msk.send(new GetBootstrapBrokersCommand({ ClusterArn: arn }));
      expect(brokers.BootstrapBrokerString).toBeUndefined();
      const bootstrap = brokers.BootstrapBrokerStringSaslScram as string;
      const ca = await call(h, 'GET', under(arn, '/certificate-authority'));
      const caFile = join(h.stateDir, 'docker-ca.pem');
      writeFileSync(caFile, ca.body.certificateAuthority as string);
      await h.msk.send(
        new CreateTopicCommand({ ClusterArn: arn, TopicName: 'events', PartitionCount: 1, ReplicationFactor: 1 }),
      );
      expect(
        (await call(h, 'POST', under(arn, '/users'), { username: 'carol', password: 'carol-secret-1' })).status,
      ).toBe(200);
      const carol = saslSsl(caFile, 'carol', 'carol-secret-1');
      // MSK's default allow.everyone.if.no.acl.found=true: a topic without ACLs is open to any user.
      const produced = await kcat(['-P', '-b', bootstrap, '-t', 'events', ...carol, '-X', 'acks=all'], 'a\nb\n');
      expect(produced).toMatchObject({ code: 0 });
      const consumed = await kcat([
        '-C',
        '-b',
        bootstrap,
        '-t',
        'events',
        ...carol,
        '-o',
        'beginning',
        '-e',
        '-f',
        '%s\n',
      ]);
      expect(consumed.stdout.trim().split('\n')).toEqual(['a', 'b']);
      const wrong = await kcat(['-L', '-b', bootstrap, '-m', '3', ...saslSsl(caFile, 'carol', 'wrong-password')]);
      expect(wrong.code).not.toBe(0);
      await deleteAndWait(h, arn);
    }, 300_000);
  });
} else {
  describe.skip(`on the docker driver (${docker.ready ? 'FLOTILLA_E2E_DRIVER=process' : docker.why})`, () => {});
}

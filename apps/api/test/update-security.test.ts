/**
 * MSK's UpdateSecurity on a running cluster, on real things: the API and the operations worker on real
 * Postgres and Redis, 3 broker processes (ProcessDriver), @aws-sdk/client-kafka's UpdateSecurityCommand
 * as an MSK user sends it, kcat (librdkafka over OpenSSL) as the client application.
 *
 * A PLAINTEXT cluster (Flotilla's default: no client authentication, no TLS anywhere) with a topic of
 * replication factor 3 and data in it goes to SASL/SCRAM over TLS in one UpdateSecurity (MSK lets
 * clientBroker change directly; Flotilla also turns on TLS between brokers, which SCRAM needs). The
 * worker rolls the brokers three times (open the new listeners, move replication to TLS, close the old
 * ones: runtime security-update.ts) while the control plane keeps answering through them; then the old
 * data is read over SASL_SSL by a user made through /users, the monitor and the heal loop reach the
 * brokers with the control plane's SCRAM user, and the refusals MSK answers leave the cluster as it was.
 * On the DockerDriver (where an engine answers and the image exists) one broker goes the same way: its
 * container replaced three times with its published ports moving (CONTROL_PLANE new, EXTERNAL kept).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateTopicCommand,
  DescribeClusterOperationV2Command,
  DescribeClusterV2Command,
  GetBootstrapBrokersCommand,
  ListClusterOperationsV2Command,
  UpdateSecurityCommand,
  type UpdateSecurityCommandInput,
} from '@aws-sdk/client-kafka';
import { HealMonitor, Monitor } from '@flotilla/worker';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import {
  activeCluster,
  createReplicatedTopic,
  dockerReadiness,
  kcatRun as kcat,
  quiet,
  saslSsl,
  sdkError,
  until,
  useControlPlane,
  waitActive,
} from './harness.js';

const MESSAGES = 300;
const TO_SCRAM_OVER_TLS = {
  ClientAuthentication: { Sasl: { Scram: { Enabled: true } } },
  EncryptionInfo: { EncryptionInTransit: { ClientBroker: 'TLS' as const } },
};

describe('UpdateSecurity: a PLAINTEXT cluster to SASL/SCRAM over TLS while it runs (ProcessDriver, 3 brokers)', () => {
  const get = useControlPlane({ name: 'update_security' });
  const under = (arn: string, rest: string) => `/v1/clusters/${encodeURIComponent(arn)}${rest}`;
  let clusterArn: string;
  let clusterId: string;
  let plaintextBootstrap: string;
  let saslBootstrap: string;
  let caFile: string;
  /** Values a PLAINTEXT producer had acknowledged (acks=all) while the brokers rolled. */
  const ackedDuringRoll: string[] = [];

  const describeCluster = async () =>
    (await get().msk.send(new DescribeClusterV2Command({ ClusterArn: clusterArn }))).ClusterInfo;
  const updateSecurity = (input: Omit<UpdateSecurityCommandInput, 'ClusterArn'>) =>
    get().msk.send(new UpdateSecurityCommand({ ClusterArn: clusterArn, ...input }));

  it('documents UpdateSecurity in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${get().endpoint}/docs/json`)).json()) as {
      paths: Record<string, Record<string, { operationId?: string }>>;
    };
    expect(doc.paths['/v1/clusters/{clusterArn}/security']?.patch?.operationId).toBe('UpdateSecurity');
  });

  it('a PLAINTEXT cluster with a topic of replication factor 3 and data', async () => {
    ({ clusterArn, clusterId, bootstrap: plaintextBootstrap } = await activeCluster(get().msk, 'secure-later'));
    await createReplicatedTopic(plaintextBootstrap, 'ledger', 3);
    const lines = Array.from({ length: MESSAGES }, (_, i) => `k${i}:entry-${i}`).join('\n');
    const produced = await kcat(
      ['-P', '-b', plaintextBootstrap, '-t', 'ledger', '-K', ':', '-X', 'acks=all'],
      `${lines}\n`,
    );
    expect(produced).toMatchObject({ code: 0 });
    // No SCRAM yet: /users refuses, naming the setting to change.
    const user = await get().call('POST', under(clusterArn, '/users'), {
      username: 'alice',
      password: 'alice-secret-1',
    });
    expect(user).toMatchObject({ status: 400, type: 'BadRequestException' });
    expect(user.body).toMatchObject({ invalidParameter: 'clientAuthentication' });
    expect(String(user.body.message)).toMatch(/UpdateSecurity/);
  }, 120_000);

  it('refuses what MSK refuses, with its error shapes, and changes nothing', async () => {
    const before = await describeCluster();
    const version = before?.CurrentVersion as string;
    const refusals = {
      stale: await sdkError(updateSecurity({ CurrentVersion: 'K0000000000000', ...TO_SCRAM_OVER_TLS })),
      nothing: await sdkError(updateSecurity({ CurrentVersion: version })),
      same: await sdkError(
        updateSecurity({
          CurrentVersion: version,
          ClientAuthentication: { Unauthenticated: { Enabled: true } },
          EncryptionInfo: { EncryptionInTransit: { ClientBroker: 'PLAINTEXT' } },
        }),
      ),
      atRest: await sdkError(
        updateSecurity({
          CurrentVersion: version,
          EncryptionInfo: { EncryptionAtRest: { DataVolumeKMSKeyId: 'alias/aws/kafka' } },
        }),
      ),
      scramPlaintext: await sdkError(
        updateSecurity({
          CurrentVersion: version,
          ClientAuthentication: { Sasl: { Scram: { Enabled: true } } },
          EncryptionInfo: { EncryptionInTransit: { ClientBroker: 'PLAINTEXT' } },
        }),
      ),
      scramWithoutInCluster: await sdkError(
        updateSecurity({
          CurrentVersion: version,
          ...TO_SCRAM_OVER_TLS,
          EncryptionInfo: { EncryptionInTransit: { ClientBroker: 'TLS', InCluster: false } },
        }),
      ),
      inCluster: await sdkError(
        updateSecurity({
          CurrentVersion: version,
          EncryptionInfo: { EncryptionInTransit: { ClientBroker: 'TLS_PLAINTEXT', InCluster: true } },
        }),
      ),
      noWayIn: await sdkError(updateSecurity({ CurrentVersion: version, ClientAuthentication: {} })),
      iam: await sdkError(
        updateSecurity({
          CurrentVersion: version,
          ClientAuthentication: { Sasl: { Iam: { Enabled: true } } },
          EncryptionInfo: { EncryptionInTransit: { ClientBroker: 'TLS' } },
        }),
      ),
    };
    for (const refused of Object.values(refusals)) {
      expect(refused).toMatchObject({ name: 'BadRequestException', status: 400 });
    }
    expect(refusals.stale).toMatchObject({ invalidParameter: 'currentVersion' });
    expect(refusals.nothing.message).toBe(
      'The request does not include any updates to the security setting of the cluster. Verify the request, then try again.',
    );
    expect(refusals.same.message).toBe(refusals.nothing.message);
    expect(refusals.atRest).toMatchObject({
      message: 'Updating encryption-at-rest settings on your cluster is not currently supported.',
      invalidParameter: 'encryptionInfo',
    });
    expect(refusals.scramPlaintext).toMatchObject({ invalidParameter: 'encryptionInfo' });
    expect(refusals.scramPlaintext.message).toMatch(/SCRAM.*TLS/);
    expect(refusals.scramWithoutInCluster).toMatchObject({ invalidParameter: 'encryptionInfo' });
    expect(refusals.scramWithoutInCluster.message).toMatch(/encryption between brokers/);
    expect(refusals.inCluster).toMatchObject({
      message: 'Updating the inter-broker encryption setting on your cluster is not currently supported.',
      invalidParameter: 'encryptionInfo',
    });
    expect(refusals.noWayIn).toMatchObject({ invalidParameter: 'clientAuthentication' });
    expect(refusals.noWayIn.message).toMatch(/at least one/);
    expect(refusals.iam).toMatchObject({ invalidParameter: 'clientAuthentication' });

    // A member MSK does not have, and a clientBroker it does not know: the request's schema says no.
    const h = get();
    const typo = await h.call('PATCH', under(clusterArn, '/security'), {
      currentVersion: version,
      clientAuthentication: { sasl: { scram: { enable: true } } },
    });
    expect(typo).toMatchObject({ status: 400, type: 'BadRequestException' });
    const unknownMode = await h.call('PATCH', under(clusterArn, '/security'), {
      currentVersion: version,
      encryptionInfo: { encryptionInTransit: { clientBroker: 'SSL' } },
    });
    expect(unknownMode).toMatchObject({ status: 400, type: 'BadRequestException' });

    // Nothing changed: same version, ACTIVE, no operation besides the create, same brokers and addresses.
    const after = await describeCluster();
    expect(after).toMatchObject({ State: 'ACTIVE', CurrentVersion: version });
    expect(after?.Provisioned?.ClientAuthentication).toBeUndefined();
    const operations = await h.msk.send(new ListClusterOperationsV2Command({ ClusterArn: clusterArn }));
    expect(operations.ClusterOperationInfoList?.map((o) => o.OperationType)).toEqual(['CREATE']);
    const brokers = await h.msk.send(new GetBootstrapBrokersCommand({ ClusterArn: clusterArn }));
    expect(brokers).toMatchObject({ BootstrapBrokerString: plaintextBootstrap });
    const row = await h.catalog.cluster.findUniqueOrThrow({ where: { id: clusterId } });
    expect(row).toMatchObject({ controlPlanePasswordSealed: null, caCertificate: null, controlPlaneBootstrap: null });
  }, 60_000);

  it('rolls the brokers to SASL/SCRAM over TLS, UPDATING meanwhile, the control plane answering throughout', async () => {
    const h = get();
    const started = Date.now();
    const op = await updateSecurity({
      CurrentVersion: (await describeCluster())?.CurrentVersion,
      ...TO_SCRAM_OVER_TLS,
    });
    expect(op.ClusterArn).toBe(clusterArn);
    expect(op.ClusterOperationArn).toMatch(/^arn:aws:kafka:.*:cluster-operation\//);
    expect((await describeCluster())?.State).toBe('UPDATING');
    // A second update while this one runs: MSK's refusal, not a second operation.
    const busy = await sdkError(
      updateSecurity({ CurrentVersion: (await describeCluster())?.CurrentVersion, ...TO_SCRAM_OVER_TLS }),
    );
    expect(busy).toMatchObject({ name: 'BadRequestException', invalidParameter: 'clusterArn' });

    // The API's own calls go through the control plane's connection to the brokers, whichever listener
    // it is on at the moment: asked every 300 ms while the brokers roll.
    const answers: { at: number; status: number; step: string }[] = [];
    let step = '';
    let done = false;
    const probe = (async () => {
      while (!done) {
        const topics = await h.call('GET', under(clusterArn, '/topics'));
        answers.push({ at: Date.now() - started, status: topics.status, step });
        await new Promise((r) => setTimeout(r, 300));
      }
    })();
    // A PLAINTEXT application keeps producing (acks=all, idempotent, kafkajs's retries) until the last
    // roll closes its listener, as a client of an MSK cluster moving to TLS would until it moves over.
    const producer = new Kafka({
      clientId: 'plaintext-app',
      brokers: plaintextBootstrap.split(','),
      logLevel: logLevel.NOTHING,
    }).producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 2_000 },
    });
    await producer.connect();
    const sends: { step: string; ok: boolean; error?: string }[] = [];
    const producing = (async () => {
      for (let n = 0; !done && !step.startsWith('close'); n++) {
        const at = step;
        const value = `during-${n}`;
        try {
          await producer.send({ topic: 'ledger', acks: -1, messages: [{ key: value, value }] });
          ackedDuringRoll.push(value);
          sends.push({ step: at, ok: true });
        } catch (error) {
          sends.push({ step: at, ok: false, error: String(error) });
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      await producer.disconnect();
    })();
    const info = await until(
      'UpdateSecurity to finish',
      async () => {
        const d = await h.msk.send(
          new DescribeClusterOperationV2Command({ ClusterOperationArn: op.ClusterOperationArn }),
        );
        const o = d.ClusterOperationInfo;
        step =
          o?.Provisioned?.OperationSteps?.findLast((s) => s.StepInfo?.StepStatus === 'IN_PROGRESS')?.StepName ?? step;
        if (o?.OperationState === 'UPDATE_FAILED') throw new Error(`failed: ${o.ErrorInfo?.ErrorString}`);
        return o?.OperationState === 'UPDATE_COMPLETE' ? o : undefined;
      },
      240_000,
    );
    done = true;
    await Promise.all([probe, producing]);
    const tookMs = Date.now() - started;
    const failed = answers.filter((a) => a.status !== 200);
    const failedSends = sends.filter((x) => !x.ok);
    console.log(
      `UpdateSecurity took ${tookMs} ms; control plane calls during it: ${answers.length}, failed: ${failed.length}` +
        (failed.length ? ` (${failed.map((f) => `${f.status} at ${f.at} ms in ${f.step}`).join('; ')})` : '') +
        `; PLAINTEXT sends before the last roll: ${sends.length}, failed: ${failedSends.length}` +
        (failedSends.length ? ` (${failedSends.map((f) => `${f.step}: ${f.error}`).join('; ')})` : ''),
    );

    expect(info.OperationType).toBe('UPDATE_SECURITY');
    const steps = info.Provisioned?.OperationSteps?.map((s) => s.StepName) ?? [];
    expect(steps.slice(0, 2)).toEqual(['prepare', 'control-plane-user']);
    for (const phase of ['open', 'switch', 'close']) {
      expect(steps).toContain(`${phase}-order`);
      expect(steps.filter((s) => s?.startsWith(`${phase}-broker-`))).toHaveLength(3);
      expect(steps).toContain(`${phase}-addresses`);
    }
    expect(info.Provisioned?.SourceClusterInfo?.EncryptionInfo?.EncryptionInTransit).toEqual({
      ClientBroker: 'PLAINTEXT',
      InCluster: false,
    });
    expect(info.Provisioned?.TargetClusterInfo?.ClientAuthentication?.Sasl?.Scram?.Enabled).toBe(true);
    expect(info.Provisioned?.TargetClusterInfo?.EncryptionInfo?.EncryptionInTransit).toEqual({
      ClientBroker: 'TLS',
      InCluster: true,
    });
    // The control plane reached the brokers in every phase of the roll: on EXTERNAL while the first one
    // opened CONTROL_PLANE, then there with its SCRAM user.
    for (const phase of ['open-broker-', 'switch-broker-', 'close-broker-']) {
      expect(answers.some((a) => a.step.startsWith(phase) && a.status === 200)).toBe(true);
    }
    expect(failed).toEqual([]);
    // The PLAINTEXT producer was served while the new listeners opened and replication moved to TLS.
    for (const phase of ['open-broker-', 'switch-broker-']) {
      expect(sends.some((x) => x.step.startsWith(phase) && x.ok)).toBe(true);
    }
    expect(failedSends).toEqual([]);
  }, 300_000);

  it('DescribeClusterV2 and GetBootstrapBrokers show the new settings; the old data is read over SASL_SSL by a user made through /users', async () => {
    const h = get();
    const cluster = await describeCluster();
    expect(cluster?.State).toBe('ACTIVE');
    expect(cluster?.Provisioned?.ClientAuthentication).toEqual({ Sasl: { Scram: { Enabled: true } } });
    expect(cluster?.Provisioned?.EncryptionInfo?.EncryptionInTransit).toEqual({ ClientBroker: 'TLS', InCluster: true });
    const brokers = await h.msk.send(new GetBootstrapBrokersCommand({ ClusterArn: clusterArn }));
    expect(brokers.BootstrapBrokerString).toBeUndefined();
    expect(brokers.BootstrapBrokerStringTls).toBeUndefined();
    saslBootstrap = brokers.BootstrapBrokerStringSaslScram as string;
    expect(saslBootstrap.split(',')).toHaveLength(3);

    const ca = await h.call('GET', under(clusterArn, '/certificate-authority'));
    expect(ca.status).toBe(200);
    caFile = join(h.stateDir, 'secure-later-ca.pem');
    writeFileSync(caFile, ca.body.certificateAuthority as string);

    const made = await h.call('POST', under(clusterArn, '/users'), { username: 'alice', password: 'alice-secret-1' });
    expect(made).toMatchObject({ status: 200, body: { username: 'alice', mechanism: 'SCRAM-SHA-512' } });
    const alice = saslSsl(caFile, 'alice', 'alice-secret-1');
    // Credentials reach every broker through the metadata log: read until a login takes.
    const consumed = await until('the old data over SASL_SSL', async () => {
      const run = await kcat([
        '-C',
        '-b',
        saslBootstrap,
        '-t',
        'ledger',
        ...alice,
        '-o',
        'beginning',
        '-e',
        '-q',
        '-f',
        '%k:%s\n',
      ]);
      return run.code === 0 ? run : undefined;
    });
    // Everything written before the update and everything acknowledged during it, exactly once.
    const records = consumed.stdout.trim().split('\n').sort();
    expect(records).toEqual(
      [
        ...Array.from({ length: MESSAGES }, (_, i) => `k${i}:entry-${i}`),
        ...ackedDuringRoll.map((v) => `${v}:${v}`),
      ].sort(),
    );
    // And written over it, read back.
    expect(
      await kcat(['-P', '-b', saslBootstrap, '-t', 'ledger', ...alice, '-X', 'acks=all'], 'after\n'),
    ).toMatchObject({ code: 0 });

    // Every broker runs the new settings: replication over TLS (the brokers' certificates), the
    // authorizer on, no PLAINTEXT listener left.
    for (const nodeId of [1, 2, 3]) {
      const config = (await h.driver.brokerSpec({ clusterId, nodeId }))?.config ?? {};
      expect(config['inter.broker.listener.name']).toBe('INTERNAL_TLS');
      expect(config['listener.security.protocol.map']).toBe(
        'INTERNAL_TLS:SSL,CONTROL_PLANE:SASL_PLAINTEXT,CLIENT_SASL_SCRAM:SASL_SSL,CONTROLLER:PLAINTEXT',
      );
      expect(config['authorizer.class.name']).toBeDefined();
      expect(config['super.users']).toBe('User:flotilla-admin;User:flotilla-broker');
    }

    // The keys and the control plane's password made for the update are sealed wherever recorded.
    const row = await h.catalog.cluster.findUniqueOrThrow({ where: { id: clusterId } });
    const password = h.api.box.open(row.controlPlanePasswordSealed as Uint8Array);
    const recorded = JSON.stringify(
      (await h.catalog.operationStep.findMany({ where: { operation: { clusterId } } })).map((x) => x.detail),
    );
    expect(recorded).toContain('keySealed');
    expect(recorded).not.toContain('PRIVATE KEY');
    expect(recorded).not.toContain(password);
    const specs = JSON.stringify((await h.catalog.broker.findMany({ where: { clusterId } })).map((b) => b.spec));
    expect(specs).toContain('ssl.keystore.key');
    expect(specs).not.toContain('PRIVATE KEY');

    // The PLAINTEXT listener is closed: its old addresses take no client.
    const plain = await kcat(['-L', '-b', plaintextBootstrap, '-m', '3']);
    expect(plain.code).not.toBe(0);
    // Nor does the SASL port talk to a client without TLS and a login.
    const bare = await kcat(['-L', '-b', saslBootstrap, '-m', '3']);
    expect(bare.code).not.toBe(0);
    expect(bare.stdout).not.toMatch(/ledger/);
  }, 120_000);

  it('the monitor and the heal loop reach the brokers with the control plane user after the update', async () => {
    const h = get();
    const row = await h.catalog.cluster.findUniqueOrThrow({ where: { id: clusterId } });
    expect(row.controlPlaneBootstrap?.split(',')).toHaveLength(3);
    const [scrape] = await new Monitor({ catalog: h.catalog, driver: h.driver, box: h.api.box, log: quiet }).runOnce();
    expect(scrape?.problems).toEqual([]);
    expect(scrape?.values.find((v) => v.metric === 'ActiveControllerCount')?.value).toBe(1);

    await h.driver.killBroker({ clusterId, nodeId: 3 });
    const healer = new HealMonitor({
      catalog: h.catalog,
      driver: h.driver,
      box: h.api.box,
      log: quiet,
      settleMs: 2_000,
    });
    await until(
      'the cluster healed',
      async () => ((await healer.checkOnce()).some((a) => a.action === 'recovered') ? true : undefined),
      90_000,
    );
    const broker3 = saslBootstrap.split(',')[2] as string;
    const alice = saslSsl(caFile, 'alice', 'alice-secret-1');
    await until('broker 3 back over SASL_SSL', async () => {
      const metadata = await kcat(['-L', '-b', broker3, '-m', '5', ...alice]);
      return metadata.code === 0 && /3 brokers:/.test(metadata.stdout) && /broker 3 at/.test(metadata.stdout)
        ? true
        : undefined;
    });
  }, 120_000);
});

// The DockerDriver where an engine answers and the broker image exists (cluster-security.test.ts does the same).
const docker = await dockerReadiness();
if (docker.ready && process.env.FLOTILLA_E2E_DRIVER !== 'process') {
  describe('UpdateSecurity on the docker driver (1 broker)', () => {
    const get = useControlPlane({ name: 'update_security_docker', runtime: 'docker' });

    it('PLAINTEXT to SASL/SCRAM over TLS: the container replaced per phase, its data read over SASL_SSL', async () => {
      const h = get();
      const under = (arn: string, rest: string) => `/v1/clusters/${encodeURIComponent(arn)}${rest}`;
      const {
        clusterArn: arn,
        clusterId: id,
        bootstrap,
      } = await activeCluster(h.msk, 'secure-later-docker', {
        brokers: 1,
      });
      await h.msk.send(
        new CreateTopicCommand({ ClusterArn: arn, TopicName: 'events', PartitionCount: 1, ReplicationFactor: 1 }),
      );
      expect(await kcat(['-P', '-b', bootstrap, '-t', 'events', '-X', 'acks=all'], 'a\nb\n')).toMatchObject({
        code: 0,
      });
      const version = (await h.msk.send(new DescribeClusterV2Command({ ClusterArn: arn }))).ClusterInfo?.CurrentVersion;
      const op = await h.msk.send(
        new UpdateSecurityCommand({ ClusterArn: arn, CurrentVersion: version, ...TO_SCRAM_OVER_TLS }),
      );
      await waitActive(h.msk, arn);
      const info = (
        await h.msk.send(new DescribeClusterOperationV2Command({ ClusterOperationArn: op.ClusterOperationArn }))
      ).ClusterOperationInfo;
      expect(info?.OperationState).toBe('UPDATE_COMPLETE');
      const spec = await h.driver.brokerSpec({ clusterId: id, nodeId: 1 });
      // The container's own ports: CONTROL_PLANE primary (its health check), SASL/SCRAM beside it.
      expect(spec?.containerPorts).toEqual({ kafka: 9098, metrics: 9404, listeners: { CLIENT_SASL_SCRAM: 9096 } });
      expect((await h.driver.inspectBroker({ clusterId: id, nodeId: 1 })).state).toBe('running');

      const brokers = await h.msk.send(new GetBootstrapBrokersCommand({ ClusterArn: arn }));
      expect(brokers.BootstrapBrokerString).toBeUndefined();
      const sasl = brokers.BootstrapBrokerStringSaslScram as string;
      const ca = await h.call('GET', under(arn, '/certificate-authority'));
      const file = join(h.stateDir, 'docker-ca.pem');
      writeFileSync(file, ca.body.certificateAuthority as string);
      expect(
        (await h.call('POST', under(arn, '/users'), { username: 'carol', password: 'carol-secret-1' })).status,
      ).toBe(200);
      const carol = saslSsl(file, 'carol', 'carol-secret-1');
      const consumed = await until('the data over SASL_SSL', async () => {
        const run = await kcat(['-C', '-b', sasl, '-t', 'events', ...carol, '-o', 'beginning', '-e', '-q']);
        return run.code === 0 ? run : undefined;
      });
      expect(consumed.stdout.trim().split('\n')).toEqual(['a', 'b']);
    }, 180_000);
  });
} else {
  describe.skip(`on the docker driver (${docker.ready ? 'FLOTILLA_E2E_DRIVER=process' : docker.why})`, () => {});
}

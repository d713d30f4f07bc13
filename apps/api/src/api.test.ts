/**
 * The API against real Postgres and Redis, driven by the AWS SDK (@aws-sdk/client-kafka) with an
 * endpoint override, as a user of MSK would drive it. No worker runs here: clusters stay CREATING
 * (the end-to-end test with the worker is e2e.test.ts).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BadRequestException,
  ConflictException,
  CreateClusterCommand,
  CreateClusterV2Command,
  CreateConfigurationCommand,
  DeleteClusterCommand,
  DeleteConfigurationCommand,
  DescribeClusterCommand,
  DescribeClusterOperationCommand,
  DescribeClusterOperationV2Command,
  DescribeClusterV2Command,
  DescribeConfigurationCommand,
  DescribeConfigurationRevisionCommand,
  GetBootstrapBrokersCommand,
  GetCompatibleKafkaVersionsCommand,
  KafkaClient,
  ListClusterOperationsCommand,
  ListClusterOperationsV2Command,
  ListClustersCommand,
  ListClustersV2Command,
  ListConfigurationRevisionsCommand,
  ListConfigurationsCommand,
  ListKafkaVersionsCommand,
  ListNodesCommand,
  ListTagsForResourceCommand,
  NotFoundException,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateConfigurationCommand,
} from '@aws-sdk/client-kafka';
import { dropDatabase, scratchDatabaseUrl } from '@flotilla/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { buildApi, type StartedApi } from './start.js';

const databaseUrl = scratchDatabaseUrl('flotilla_api_test');
const stateDir = mkdtempSync(join(tmpdir(), 'flotilla-api-'));
let api: StartedApi;
let endpoint: string;
let kafka: KafkaClient;

const provisioned = (overrides: Record<string, unknown> = {}) => ({
  kafkaVersion: '3.8.x',
  numberOfBrokerNodes: 3,
  brokerNodeGroupInfo: {
    instanceType: 'kafka.m5.large',
    clientSubnets: ['subnet-a', 'subnet-b', 'subnet-c'],
    storageInfo: { ebsStorageInfo: { volumeSize: 10 } },
  },
  ...overrides,
});

async function raw(method: string, path: string, body?: unknown, auth = true): Promise<Response> {
  return fetch(`${endpoint}${path}`, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(auth ? { authorization: `Bearer ${api.adminKey.accessKeyId}:${api.adminKey.secretAccessKey}` } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

beforeAll(async () => {
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    FLOTILLA_STATE_DIR: stateDir,
    FLOTILLA_API_PORT: '0',
    // A queue of its own, so no worker on this machine picks up these test jobs.
    FLOTILLA_QUEUE_PREFIX: `flotilla-test-${process.pid}`,
  });
  api = await buildApi(config);
  endpoint = await api.fastify.listen({ host: '127.0.0.1', port: 0 });
  kafka = new KafkaClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: api.adminKey.accessKeyId, secretAccessKey: api.adminKey.secretAccessKey },
  });
});

afterAll(async () => {
  kafka?.destroy();
  await api?.fastify.services.queue.obliterate({ force: true });
  await api?.fastify.close();
  await dropDatabase(databaseUrl);
  rmSync(stateDir, { recursive: true, force: true });
});

describe('MSK API through @aws-sdk/client-kafka', () => {
  it('issues an admin key and writes it in the AWS credentials-file format', () => {
    expect(api.adminKey.generated).toBe(true);
    expect(api.adminKey.accessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/);
    expect(api.adminKey.credentialsFile).toBe(join(stateDir, 'credentials'));
  });

  it('creates a cluster (CREATING, an operation, tags) and lists and describes it', async () => {
    const created = await kafka.send(
      new CreateClusterV2Command({
        ClusterName: 'orders',
        Tags: { team: 'payments' },
        Provisioned: {
          KafkaVersion: '3.8.x',
          NumberOfBrokerNodes: 3,
          BrokerNodeGroupInfo: {
            InstanceType: 'kafka.m5.large',
            ClientSubnets: ['subnet-a', 'subnet-b', 'subnet-c'],
            StorageInfo: { EbsStorageInfo: { VolumeSize: 10 } },
          },
        },
      }),
    );
    expect(created.State).toBe('CREATING');
    expect(created.ClusterType).toBe('PROVISIONED');
    expect(created.ClusterArn).toMatch(/^arn:aws:kafka:us-east-1:000000000000:cluster\/orders\/[0-9a-f-]{36}-1$/);
    const arn = created.ClusterArn as string;

    const described = await kafka.send(new DescribeClusterV2Command({ ClusterArn: arn }));
    const info = described.ClusterInfo;
    expect(info?.ClusterName).toBe('orders');
    expect(info?.State).toBe('CREATING');
    expect(info?.CreationTime).toBeInstanceOf(Date);
    expect(info?.Tags).toEqual({ team: 'payments' });
    expect(info?.Provisioned?.NumberOfBrokerNodes).toBe(3);
    expect(info?.Provisioned?.BrokerNodeGroupInfo?.InstanceType).toBe('kafka.m5.large');
    expect(info?.Provisioned?.BrokerNodeGroupInfo?.StorageInfo?.EbsStorageInfo?.VolumeSize).toBe(10);
    expect(info?.Provisioned?.CurrentBrokerSoftwareInfo?.KafkaVersion).toBe('3.8.x');
    expect(info?.ActiveOperationArn).toMatch(/cluster-operation\/orders\//);

    const listed = await kafka.send(new ListClustersV2Command({ ClusterNameFilter: 'ord' }));
    expect(listed.ClusterInfoList?.map((c) => c.ClusterArn)).toEqual([arn]);
    expect((await kafka.send(new ListClustersV2Command({ ClusterNameFilter: 'zzz' }))).ClusterInfoList).toEqual([]);

    const ops = await kafka.send(new ListClusterOperationsV2Command({ ClusterArn: arn }));
    expect(ops.ClusterOperationInfoList?.map((o) => [o.OperationType, o.OperationState])).toEqual([
      ['CREATE', 'PENDING'],
    ]);
    const op = await kafka.send(
      new DescribeClusterOperationV2Command({ ClusterOperationArn: ops.ClusterOperationInfoList?.[0]?.OperationArn }),
    );
    expect(op.ClusterOperationInfo?.Provisioned?.TargetClusterInfo?.NumberOfBrokerNodes).toBe(3);

    // The job is in Redis under the operation's id.
    const jobs = await api.fastify.services.queue.getJobs(['waiting', 'delayed', 'active']);
    expect(jobs.some((j) => j.name === 'create-cluster' && j.data.clusterId === arn.split('/')[2]?.slice(0, 36))).toBe(
      true,
    );

    const bootstrap = await kafka.send(new GetBootstrapBrokersCommand({ ClusterArn: arn }));
    expect(bootstrap.BootstrapBrokerString).toBeUndefined();
    expect((await kafka.send(new ListNodesCommand({ ClusterArn: arn }))).NodeInfoList).toEqual([]);
  });

  it('answers ConflictException for a second cluster with the same name', async () => {
    const error = await kafka
      .send(new CreateClusterV2Command({ ClusterName: 'orders', Provisioned: provisionedSdk() }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictException);
    expect((error as ConflictException).$metadata.httpStatusCode).toBe(409);
  });

  it('answers ConflictException in the wrong state and BadRequestException for a stale currentVersion', async () => {
    const arn = (await kafka.send(new ListClustersV2Command({}))).ClusterInfoList?.[0]?.ClusterArn as string;
    // CREATING: no update is accepted.
    const creating = await kafka.send(new DeleteClusterCommand({ ClusterArn: arn })).catch((e: unknown) => e);
    expect(creating).toBeInstanceOf(ConflictException);
    expect((creating as Error).message).toMatch(/CREATING/);

    // ACTIVE but a stale version.
    await api.fastify.services.catalog.cluster.update({ where: { arn }, data: { state: 'ACTIVE' } });
    const stale = await kafka
      .send(new DeleteClusterCommand({ ClusterArn: arn, CurrentVersion: 'KSTALE' }))
      .catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(BadRequestException);
    expect((stale as BadRequestException).$metadata.httpStatusCode).toBe(400);
    expect((stale as BadRequestException).message).toMatch(/current version/);
    // Nothing changed.
    const after = await kafka.send(new DescribeClusterV2Command({ ClusterArn: arn }));
    expect(after.ClusterInfo?.State).toBe('ACTIVE');

    // The right version: accepted, DELETING, a DELETE operation.
    const deleted = await kafka.send(
      new DeleteClusterCommand({ ClusterArn: arn, CurrentVersion: after.ClusterInfo?.CurrentVersion }),
    );
    expect(deleted.State).toBe('DELETING');
    const ops = await kafka.send(new ListClusterOperationsV2Command({ ClusterArn: arn }));
    expect(ops.ClusterOperationInfoList?.[0]?.OperationType).toBe('DELETE');
  });

  it('rejects malformed bodies with BadRequestException naming the parameter, and creates nothing', async () => {
    const cases: [unknown, RegExp, string][] = [
      [{ provisioned: provisioned() }, /clusterName/, 'clusterName'],
      [{ clusterName: 'bad name!', provisioned: provisioned() }, /clusterName must match pattern/, 'clusterName'],
      [
        { clusterName: 'x', provisioned: provisioned({ numberOfBrokerNodes: 0 }) },
        /numberOfBrokerNodes/,
        'numberOfBrokerNodes',
      ],
      [
        { clusterName: 'x', provisioned: provisioned({ numberOfBrokerNodes: 4 }) },
        /multiple of the number of client subnets/,
        'numberOfBrokerNodes',
      ],
      [
        { clusterName: 'x', provisioned: provisioned({ kafkaVersion: '0.8.0' }) },
        /Unsupported Kafka version 0\.8\.0/,
        'kafkaVersion',
      ],
      [
        {
          clusterName: 'x',
          provisioned: provisioned({ brokerNodeGroupInfo: { instanceType: 'kafka.huge', clientSubnets: ['a'] } }),
        },
        /Unsupported instance type kafka\.huge/,
        'instanceType',
      ],
      [{ clusterName: 'x', provisioned: provisioned(), colour: 'blue' }, /unknown member 'colour'/, 'colour'],
      [
        { clusterName: 'x', provisioned: provisioned({ configurationInfo: { arn: 'arn:nope', revision: 1 } }) },
        /does not exist/,
        'configurationInfo',
      ],
    ];
    for (const [body, message, parameter] of cases) {
      const response = await raw('POST', '/api/v2/clusters', body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.headers.get('x-amzn-errortype')).toBe('BadRequestException');
      const json = (await response.json()) as { message: string; invalidParameter?: string };
      expect(json.message).toMatch(message);
      expect(json.invalidParameter).toBe(parameter);
    }
    const broken = await fetch(`${endpoint}/api/v2/clusters`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${api.adminKey.accessKeyId}:${api.adminKey.secretAccessKey}`,
      },
      body: '{"clusterName": ',
    });
    expect(broken.status).toBe(400);
    expect(await api.fastify.services.catalog.cluster.count({ where: { name: 'x' } })).toBe(0);

    // And through the SDK: the typed exception.
    const error = await kafka
      .send(
        new CreateClusterV2Command({ ClusterName: 'y', Provisioned: { ...provisionedSdk(), NumberOfBrokerNodes: 2 } }),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRequestException);
    expect((error as BadRequestException).InvalidParameter).toBe('numberOfBrokerNodes');
  });

  it('answers NotFoundException for unknown ARNs', async () => {
    const error = await kafka
      .send(new DescribeClusterV2Command({ ClusterArn: 'arn:aws:kafka:us-east-1:000000000000:cluster/none/x-1' }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundException);
  });

  it('manages configurations and their revisions', async () => {
    const created = await kafka.send(
      new CreateConfigurationCommand({
        Name: 'retention-7d',
        Description: 'seven days',
        KafkaVersions: ['3.8.x'],
        ServerProperties: new TextEncoder().encode('log.retention.hours=168\nauto.create.topics.enable=false\n'),
      }),
    );
    expect(created.LatestRevision?.Revision).toBe(1);
    expect(created.State).toBe('ACTIVE');
    const arn = created.Arn as string;
    const updated = await kafka.send(
      new UpdateConfigurationCommand({
        Arn: arn,
        Description: 'three days',
        ServerProperties: new TextEncoder().encode('log.retention.hours=72\n'),
      }),
    );
    expect(updated.LatestRevision?.Revision).toBe(2);
    const described = await kafka.send(new DescribeConfigurationCommand({ Arn: arn }));
    expect([described.Name, described.LatestRevision?.Revision, described.KafkaVersions]).toEqual([
      'retention-7d',
      2,
      ['3.8.x'],
    ]);
    const revision1 = await kafka.send(new DescribeConfigurationRevisionCommand({ Arn: arn, Revision: 1 }));
    expect(new TextDecoder().decode(revision1.ServerProperties)).toBe(
      'log.retention.hours=168\nauto.create.topics.enable=false\n',
    );
    const revisions = await kafka.send(new ListConfigurationRevisionsCommand({ Arn: arn }));
    expect(revisions.Revisions?.map((r) => [r.Revision, r.Description])).toEqual([
      [1, 'seven days'],
      [2, 'three days'],
    ]);
    expect((await kafka.send(new ListConfigurationsCommand({}))).Configurations?.map((c) => c.Arn)).toEqual([arn]);

    const reserved = await kafka
      .send(
        new CreateConfigurationCommand({
          Name: 'sneaky',
          ServerProperties: new TextEncoder().encode('listeners=PLAINTEXT://0.0.0.0:9092\n'),
        }),
      )
      .catch((e: unknown) => e);
    expect(reserved).toBeInstanceOf(BadRequestException);
    expect((reserved as Error).message).toMatch(/listeners/);

    await kafka.send(new DeleteConfigurationCommand({ Arn: arn }));
    expect(await kafka.send(new DescribeConfigurationCommand({ Arn: arn })).catch((e: unknown) => e)).toBeInstanceOf(
      NotFoundException,
    );
  });

  it('tags and untags resources', async () => {
    const arn = (await kafka.send(new CreateClusterV2Command({ ClusterName: 'tagged', Provisioned: provisionedSdk() })))
      .ClusterArn as string;
    await kafka.send(new TagResourceCommand({ ResourceArn: arn, Tags: { env: 'dev', owner: 'me' } }));
    await kafka.send(new UntagResourceCommand({ ResourceArn: arn, TagKeys: ['owner'] }));
    expect((await kafka.send(new ListTagsForResourceCommand({ ResourceArn: arn }))).Tags).toEqual({ env: 'dev' });
  });

  it('serves the v1 cluster calls in their flat shapes', async () => {
    const created = await kafka.send(
      new CreateClusterCommand({
        ClusterName: 'legacy',
        KafkaVersion: '3.7.x',
        NumberOfBrokerNodes: 2,
        BrokerNodeGroupInfo: { InstanceType: 'kafka.m5.large', ClientSubnets: ['a', 'b'] },
        Tags: { api: 'v1' },
      }),
    );
    expect(created.State).toBe('CREATING');
    const arn = created.ClusterArn as string;
    const info = (await kafka.send(new DescribeClusterCommand({ ClusterArn: arn }))).ClusterInfo;
    expect([info?.ClusterName, info?.NumberOfBrokerNodes, info?.CurrentBrokerSoftwareInfo?.KafkaVersion]).toEqual([
      'legacy',
      2,
      '3.7.x',
    ]);
    expect(info?.BrokerNodeGroupInfo?.InstanceType).toBe('kafka.m5.large');
    expect(info?.BrokerNodeGroupInfo?.StorageInfo?.EbsStorageInfo?.VolumeSize).toBe(1000);
    expect(info?.Tags).toEqual({ api: 'v1' });
    const listed = await kafka.send(new ListClustersCommand({ ClusterNameFilter: 'legacy' }));
    expect(listed.ClusterInfoList?.map((c) => c.ClusterArn)).toEqual([arn]);
    const ops = await kafka.send(new ListClusterOperationsCommand({ ClusterArn: arn }));
    expect(ops.ClusterOperationInfoList?.[0]?.OperationType).toBe('CREATE');
    expect(ops.ClusterOperationInfoList?.[0]?.CreationTime).toBeInstanceOf(Date);
    const op = await kafka.send(
      new DescribeClusterOperationCommand({ ClusterOperationArn: ops.ClusterOperationInfoList?.[0]?.OperationArn }),
    );
    expect(op.ClusterOperationInfo?.TargetClusterInfo?.KafkaVersion).toBe('3.7.x');
  });

  it('lists Kafka versions and compatible upgrades', async () => {
    const versions = await kafka.send(new ListKafkaVersionsCommand({}));
    expect(versions.KafkaVersions?.map((v) => v.Version)).toContain('3.8.x');
    const compatible = await kafka.send(new GetCompatibleKafkaVersionsCommand({}));
    expect(compatible.CompatibleKafkaVersions?.find((c) => c.SourceVersion === '3.7.x')?.TargetVersions).toContain(
      '3.8.x',
    );
  });
});

/** The aws CLI (Debian's awscli, or any `aws` on PATH), signing with the admin key. */
function aws(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'aws',
      ['kafka', ...args, '--endpoint-url', endpoint, '--output', 'json'],
      {
        env: {
          ...process.env,
          AWS_ACCESS_KEY_ID: api.adminKey.accessKeyId,
          AWS_SECRET_ACCESS_KEY: api.adminKey.secretAccessKey,
          AWS_DEFAULT_REGION: 'us-east-1',
          AWS_CONFIG_FILE: '/dev/null',
          AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
          AWS_PAGER: '',
        },
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
const awsVersion = await new Promise<string | null>((resolve) =>
  execFile('aws', ['--version'], (error, stdout) => resolve(error ? null : stdout.trim())),
);

describe.skipIf(awsVersion === null)(
  `the aws CLI (${awsVersion ?? 'not installed: make setup installs awscli'})`,
  () => {
    it('creates, lists, describes and deletes a cluster, and reports a stale currentVersion', async () => {
      const created = await aws([
        'create-cluster-v2',
        '--cluster-name',
        'from-cli',
        '--provisioned',
        JSON.stringify({
          KafkaVersion: '3.8.x',
          NumberOfBrokerNodes: 1,
          BrokerNodeGroupInfo: { InstanceType: 'kafka.t3.small', ClientSubnets: ['a'] },
        }),
      ]);
      expect(created.stderr).toBe('');
      const arn = JSON.parse(created.stdout).ClusterArn as string;
      const listed = JSON.parse((await aws(['list-clusters-v2', '--cluster-name-filter', 'from-cli'])).stdout);
      expect(listed.ClusterInfoList.map((c: { ClusterArn: string }) => c.ClusterArn)).toEqual([arn]);
      const described = JSON.parse((await aws(['describe-cluster-v2', '--cluster-arn', arn])).stdout);
      expect(described.ClusterInfo.State).toBe('CREATING');

      // Query strings and ARNs in paths, signed by botocore: tags and a paged list.
      await aws(['tag-resource', '--resource-arn', arn, '--tags', 'team=data,env=dev']);
      const untagged = await aws(['untag-resource', '--resource-arn', arn, '--tag-keys', 'env', 'team']);
      expect(untagged.stderr).toBe('');
      await aws(['tag-resource', '--resource-arn', arn, '--tags', 'owner=cli']);
      expect(JSON.parse((await aws(['list-tags-for-resource', '--resource-arn', arn])).stdout).Tags).toEqual({
        owner: 'cli',
      });
      const nodes = await aws(['list-nodes', '--cluster-arn', arn, '--max-results', '5']);
      expect(JSON.parse(nodes.stdout).NodeInfoList).toEqual([]);

      await api.fastify.services.catalog.cluster.update({ where: { arn }, data: { state: 'ACTIVE' } });
      const stale = await aws(['delete-cluster', '--cluster-arn', arn, '--current-version', 'KSTALE']);
      expect(stale.code).not.toBe(0);
      expect(stale.stderr).toMatch(/BadRequestException/);
      const deleted = await aws([
        'delete-cluster',
        '--cluster-arn',
        arn,
        '--current-version',
        described.ClusterInfo.CurrentVersion,
      ]);
      expect(JSON.parse(deleted.stdout).State).toBe('DELETING');
    });
  },
);

describe('authentication', () => {
  it('answers 403 InvalidSignatureException to a request signed with the wrong secret', async () => {
    const wrong = new KafkaClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: api.adminKey.accessKeyId, secretAccessKey: 'not-the-secret' },
    });
    try {
      const error = (await wrong.send(new ListClustersV2Command({})).catch((e: unknown) => e)) as {
        name: string;
        $metadata: { httpStatusCode: number };
      };
      expect(error.$metadata.httpStatusCode).toBe(403);
      expect(error.name).toBe('InvalidSignatureException');
    } finally {
      wrong.destroy();
    }
  });

  it('answers 403 UnrecognizedClientException to an unknown access key', async () => {
    const unknown = new KafkaClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIAUNKNOWNUNKNOWN00', secretAccessKey: 'x' },
    });
    try {
      const error = (await unknown.send(new ListClustersV2Command({})).catch((e: unknown) => e)) as {
        name: string;
        $metadata: { httpStatusCode: number };
      };
      expect([error.$metadata.httpStatusCode, error.name]).toEqual([403, 'UnrecognizedClientException']);
    } finally {
      unknown.destroy();
    }
  });

  it('accepts a Bearer token and refuses requests without credentials', async () => {
    expect((await raw('GET', '/v1/kafka-versions')).status).toBe(200);
    const none = await raw('GET', '/v1/kafka-versions', undefined, false);
    expect(none.status).toBe(403);
    expect(none.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    const bad = await fetch(`${endpoint}/v1/kafka-versions`, {
      headers: { authorization: `Bearer ${api.adminKey.accessKeyId}:wrong` },
    });
    expect(bad.status).toBe(403);
  });

  it('serves the OpenAPI document without credentials', async () => {
    const response = await fetch(`${endpoint}/docs/json`);
    expect(response.status).toBe(200);
    const doc = (await response.json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/v2/clusters', '/api/v2/clusters/{clusterArn}', '/v1/configurations/{arn}']),
    );
  });
});

function provisionedSdk() {
  return {
    KafkaVersion: '3.8.x',
    NumberOfBrokerNodes: 3,
    BrokerNodeGroupInfo: { InstanceType: 'kafka.m5.large', ClientSubnets: ['a', 'b', 'c'] },
  };
}

describe('when Redis is down', () => {
  it('answers 503 ServiceUnavailableException to a create and leaves nothing behind', async () => {
    const down = await buildApi(
      loadConfig({
        DATABASE_URL: databaseUrl,
        FLOTILLA_STATE_DIR: stateDir,
        // Nothing listens on port 1.
        REDIS_URL: 'redis://127.0.0.1:1',
      }),
    );
    try {
      const response = await down.fastify.inject({
        method: 'POST',
        url: '/api/v2/clusters',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${down.adminKey.accessKeyId}:${down.adminKey.secretAccessKey}`,
        },
        payload: { clusterName: 'no-redis', provisioned: provisioned() },
      });
      expect(response.statusCode).toBe(503);
      expect(response.headers['x-amzn-errortype']).toBe('ServiceUnavailableException');
      expect(response.json().message).toMatch(/could not be queued.*nothing was changed/);
      const catalog = down.fastify.services.catalog;
      expect(await catalog.cluster.count({ where: { name: 'no-redis' } })).toBe(0);
      expect(await catalog.clusterOperation.count({ where: { clusterArn: { contains: '/no-redis/' } } })).toBe(0);
    } finally {
      await down.fastify.close();
    }
  });
});

describe('server process', () => {
  it('prints where it listens and the credentials, and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [new URL('../dist/server.js', import.meta.url).pathname], {
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        FLOTILLA_STATE_DIR: stateDir,
        FLOTILLA_API_PORT: '0',
        FLOTILLA_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const deadline = Date.now() + 30_000;
    while (!out.includes('aws kafka list-clusters-v2') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const url = /Flotilla API on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    expect(url, out).toBeDefined();
    // The key generated by the first start is found again in the credentials file, not re-issued.
    expect(out).toContain(`access key id: ${api.adminKey.accessKeyId}`);
    expect(out).not.toContain(api.adminKey.secretAccessKey);
    expect((await fetch(`${url}/health`)).status).toBe(200);
    const stoppedAt = Date.now();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(5_000);
  });
});

/**
 * The resources under a cluster ARN, on real things: the API and the operations worker on real
 * Postgres and Redis, one 3-broker cluster on the ProcessDriver made through CreateClusterV2 (with a
 * configuration that turns the brokers' authorizer on, so ACLs are enforced) and reused by every test.
 * MSK's topic calls go through @aws-sdk/client-kafka; Flotilla's own resources through fetch with a
 * bearer key; kafkajs plays the client applications; the reconciler runs as the worker runs it.
 */
import { execFile } from 'node:child_process';
import {
  CreateClusterV2Command,
  CreateConfigurationCommand,
  CreateTopicCommand,
  DeleteClusterCommand,
  DeleteTopicCommand,
  DescribeClusterV2Command,
  DescribeTopicCommand,
  DescribeTopicPartitionsCommand,
  GetBootstrapBrokersCommand,
  type KafkaClient,
  ListTopicsCommand,
  UpdateTopicCommand,
} from '@aws-sdk/client-kafka';
import { AdminClient } from '@flotilla/protocol';
import { RECONCILE_QUEUE, ReconcileWorker, reconcileCluster } from '@flotilla/worker';
import { Queue } from 'bullmq';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StartedApi } from '../src/start.js';
import { type ControlPlane, quiet, sdkError, until, useControlPlane, waitActive } from './harness.js';

const plane = useControlPlane({ name: 'resources' });
let api: StartedApi;
let endpoint: string;
let queuePrefix: string;
let reconciler: ReconcileWorker;
let reconcileQueue: Queue;
let reconcileRedisUrl: string;
let msk: KafkaClient;
let catalog: ControlPlane['catalog'];
let clusterArn: string;
let clusterId: string;
let bootstrap: string[];
let kafka: Kafka;

interface Answer {
  status: number;
  type: string | null;
  body: Record<string, unknown> & { message?: string; invalidParameter?: string };
}

/** Flotilla's own resources, with the admin key as a bearer token (what the console and curl use). */
async function call(method: string, path: string, body?: unknown): Promise<Answer> {
  const response = await fetch(`${endpoint}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${api.adminKey.accessKeyId}:${api.adminKey.secretAccessKey}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return {
    status: response.status,
    type: response.headers.get('x-amzn-errortype'),
    body: text ? (JSON.parse(text) as Answer['body']) : {},
  };
}

const under = (rest: string) => `/v1/clusters/${encodeURIComponent(clusterArn)}${rest}`;

beforeAll(async () => {
  ({ api, endpoint, queuePrefix, msk, catalog } = plane());
  // Only on demand here (after API mutations); the interval is exercised by the worker's own process.
  reconcileRedisUrl = plane().redisUrl;
  reconcileQueue = new Queue(RECONCILE_QUEUE, { connection: { url: reconcileRedisUrl }, prefix: queuePrefix });
  reconciler = new ReconcileWorker({
    catalog,
    redisUrl: reconcileRedisUrl,
    queuePrefix,
    intervalMs: 3_600_000,
    log: quiet,
  });
  await reconciler.start(reconcileQueue);

  // The authorizer on, everyone allowed where no ACL names a resource: ACLs made through the API bite.
  const configuration = await msk.send(
    new CreateConfigurationCommand({
      Name: 'resources-authorizer',
      ServerProperties: new TextEncoder().encode(
        'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer\nallow.everyone.if.no.acl.found=true\n',
      ),
    }),
  );
  const created = await msk.send(
    new CreateClusterV2Command({
      ClusterName: 'resources',
      Provisioned: {
        KafkaVersion: '3.8.x',
        NumberOfBrokerNodes: 3,
        ConfigurationInfo: { Arn: configuration.Arn, Revision: 1 },
        BrokerNodeGroupInfo: {
          InstanceType: 'kafka.t3.small',
          ClientSubnets: ['subnet-1', 'subnet-2', 'subnet-3'],
          StorageInfo: { EbsStorageInfo: { VolumeSize: 1 } },
        },
      },
    }),
  );
  clusterArn = created.ClusterArn as string;
  await waitActive(msk, clusterArn, 120_000);
  clusterId = (await catalog.cluster.findUniqueOrThrow({ where: { arn: clusterArn } })).id;
  const brokers = await msk.send(new GetBootstrapBrokersCommand({ ClusterArn: clusterArn }));
  bootstrap = (brokers.BootstrapBrokerString as string).split(',');
  kafka = new Kafka({ clientId: 'resources-test', brokers: bootstrap, logLevel: logLevel.NOTHING });
}, 120_000);

afterAll(async () => {
  await reconciler?.close();
  await reconcileQueue?.obliterate({ force: true }).catch(() => undefined);
  await reconcileQueue?.close();
});

describe('MSK topic calls', () => {
  it('CreateTopic puts the topic on every broker and in the catalog; Describe* and ListTopics show it', async () => {
    const configs = Buffer.from(JSON.stringify({ 'cleanup.policy': 'compact', 'retention.ms': '3600000' })).toString(
      'base64',
    );
    const created = await msk.send(
      new CreateTopicCommand({
        ClusterArn: clusterArn,
        TopicName: 'api-orders',
        PartitionCount: 3,
        ReplicationFactor: 3,
        Configs: configs,
      }),
    );
    expect(created).toMatchObject({
      TopicName: 'api-orders',
      Status: 'ACTIVE',
      TopicArn: `${clusterArn.replace(':cluster/', ':topic/')}/api-orders`,
    });

    // Asked of each broker alone: every one of them has the topic with its 3 partitions.
    for (const address of bootstrap) {
      const admin = new AdminClient({ bootstrap: [address] });
      try {
        const partitions = await until(`api-orders on ${address}`, async () => {
          const { topics } = await admin.metadata();
          return topics.find((t) => t.name === 'api-orders')?.partitions;
        });
        expect(partitions.map((p) => p.replicas.length)).toEqual([3, 3, 3]);
      } finally {
        await admin.close();
      }
    }
    const row = await catalog.topic.findUniqueOrThrow({ where: { clusterId_name: { clusterId, name: 'api-orders' } } });
    expect(row).toMatchObject({ state: 'ACTIVE', origin: 'api', partitionCount: 3, replicationFactor: 3 });
    expect(row.configs).toEqual({ 'cleanup.policy': 'compact', 'retention.ms': '3600000' });

    const described = await msk.send(new DescribeTopicCommand({ ClusterArn: clusterArn, TopicName: 'api-orders' }));
    expect(described).toMatchObject({
      TopicName: 'api-orders',
      PartitionCount: 3,
      ReplicationFactor: 3,
      Status: 'ACTIVE',
    });
    expect(JSON.parse(Buffer.from(described.Configs as string, 'base64').toString())).toEqual({
      'cleanup.policy': 'compact',
      'retention.ms': '3600000',
    });

    const partitions = await msk.send(
      new DescribeTopicPartitionsCommand({ ClusterArn: clusterArn, TopicName: 'api-orders', MaxResults: 2 }),
    );
    expect(partitions.Partitions?.map((p) => p.Partition)).toEqual([0, 1]);
    expect(partitions.NextToken).toBeDefined();
    for (const p of partitions.Partitions ?? []) {
      expect(p.Replicas?.slice().sort()).toEqual([1, 2, 3]);
      expect(p.Replicas).toContain(p.Leader);
      expect(p.Isr?.length).toBeGreaterThan(0);
    }
    const rest = await msk.send(
      new DescribeTopicPartitionsCommand({
        ClusterArn: clusterArn,
        TopicName: 'api-orders',
        NextToken: partitions.NextToken,
      }),
    );
    expect(rest.Partitions?.map((p) => p.Partition)).toEqual([2]);
    expect(rest.NextToken).toBeUndefined();

    const listed = await msk.send(new ListTopicsCommand({ ClusterArn: clusterArn }));
    expect(listed.Topics?.find((t) => t.TopicName === 'api-orders')).toMatchObject({
      PartitionCount: 3,
      ReplicationFactor: 3,
      OutOfSyncReplicaCount: 0,
    });
    // Internal topics stay out of the list.
    expect(listed.Topics?.some((t) => t.TopicName?.startsWith('__'))).toBe(false);
  });

  it('UpdateTopic adds partitions and replaces configs; DeleteTopic removes it from the cluster and the catalog', async () => {
    await msk.send(
      new UpdateTopicCommand({
        ClusterArn: clusterArn,
        TopicName: 'api-orders',
        PartitionCount: 5,
        Configs: Buffer.from(JSON.stringify({ 'retention.ms': '7200000' })).toString('base64'),
      }),
    );
    const described = await msk.send(new DescribeTopicCommand({ ClusterArn: clusterArn, TopicName: 'api-orders' }));
    expect(described.PartitionCount).toBe(5);
    expect(JSON.parse(Buffer.from(described.Configs as string, 'base64').toString())).toEqual({
      'retention.ms': '7200000',
    });
    const shrink = await sdkError(
      msk.send(new UpdateTopicCommand({ ClusterArn: clusterArn, TopicName: 'api-orders', PartitionCount: 2 })),
    );
    expect(shrink).toMatchObject({ name: 'BadRequestException', status: 400 });

    const deleted = await msk.send(new DeleteTopicCommand({ ClusterArn: clusterArn, TopicName: 'api-orders' }));
    expect(deleted.Status).toBe('DELETING');
    expect(await catalog.topic.count({ where: { clusterId, name: 'api-orders' } })).toBe(0);
    await until('api-orders gone', async () => {
      const listed = await msk.send(new ListTopicsCommand({ ClusterArn: clusterArn }));
      return listed.Topics?.some((t) => t.TopicName === 'api-orders') ? undefined : true;
    });
  });

  it('rejects bad input with MSK error shapes', async () => {
    // Invalid name, unknown member, malformed JSON, out-of-range numbers: 400 naming the member.
    const badName = await call('POST', under('/topics'), {
      topicName: 'no spaces!',
      partitionCount: 1,
      replicationFactor: 1,
    });
    expect(badName).toMatchObject({
      status: 400,
      type: 'BadRequestException',
      body: { invalidParameter: 'topicName' },
    });
    const unknown = await call('POST', under('/topics'), {
      topicName: 'x',
      partitionCount: 1,
      replicationFactor: 1,
      colour: 'red',
    });
    expect(unknown).toMatchObject({ status: 400, body: { invalidParameter: 'colour' } });
    expect((await call('POST', under('/topics'), '{"topicName":')).status).toBe(400);
    const zero = await call('POST', under('/topics'), { topicName: 'x', partitionCount: 0, replicationFactor: 1 });
    expect(zero).toMatchObject({ status: 400, body: { invalidParameter: 'partitionCount' } });
    const tooMany = await call('POST', under('/topics'), { topicName: 'x', partitionCount: 1, replicationFactor: 4 });
    expect(tooMany).toMatchObject({ status: 400, body: { invalidParameter: 'replicationFactor' } });
    const badConfigs = await call('POST', under('/topics'), {
      topicName: 'x',
      partitionCount: 1,
      replicationFactor: 1,
      configs: Buffer.from('not json').toString('base64'),
    });
    expect(badConfigs).toMatchObject({ status: 400, body: { invalidParameter: 'configs' } });
    // The broker's own refusal (an unknown config) is a 400 too, and leaves no catalog row behind.
    const brokerSaysNo = await call('POST', under('/topics'), {
      topicName: 'bad-config',
      partitionCount: 1,
      replicationFactor: 1,
      configs: Buffer.from(JSON.stringify({ 'no.such.config': '1' })).toString('base64'),
    });
    expect(brokerSaysNo).toMatchObject({ status: 400, type: 'BadRequestException' });
    expect(await catalog.topic.count({ where: { clusterId, name: 'bad-config' } })).toBe(0);

    // Exists already: 409; unknown topic: 404; unknown cluster: 404.
    await msk.send(
      new CreateTopicCommand({ ClusterArn: clusterArn, TopicName: 'twice', PartitionCount: 1, ReplicationFactor: 1 }),
    );
    const again = await sdkError(
      msk.send(
        new CreateTopicCommand({ ClusterArn: clusterArn, TopicName: 'twice', PartitionCount: 1, ReplicationFactor: 1 }),
      ),
    );
    expect(again).toMatchObject({ name: 'ConflictException', status: 409 });
    const missing = await sdkError(msk.send(new DescribeTopicCommand({ ClusterArn: clusterArn, TopicName: 'nope' })));
    expect(missing).toMatchObject({ name: 'NotFoundException', status: 404 });
    expect(
      (await sdkError(msk.send(new DeleteTopicCommand({ ClusterArn: clusterArn, TopicName: 'nope' })))).status,
    ).toBe(404);
    const otherArn = clusterArn.replace(/[0-9a-f]{8}-/, '00000000-');
    const noCluster = await sdkError(msk.send(new ListTopicsCommand({ ClusterArn: otherArn })));
    expect(noCluster).toMatchObject({ name: 'NotFoundException', status: 404 });

    // Wrong state: writes only in ACTIVE (as every MSK update), reads while the brokers serve.
    await catalog.cluster.update({ where: { id: clusterId }, data: { state: 'UPDATING' } });
    try {
      const busy = await sdkError(
        msk.send(
          new CreateTopicCommand({
            ClusterArn: clusterArn,
            TopicName: 'later',
            PartitionCount: 1,
            ReplicationFactor: 1,
          }),
        ),
      );
      expect(busy).toMatchObject({ name: 'BadRequestException', status: 400 });
      expect(busy.message).toMatch(/UPDATING/);
      expect((await msk.send(new ListTopicsCommand({ ClusterArn: clusterArn }))).Topics?.length).toBeGreaterThan(0);
    } finally {
      await catalog.cluster.update({ where: { id: clusterId }, data: { state: 'ACTIVE' } });
    }
  });
});

/** The aws CLI (botocore signs and serializes on its own), when installed. */
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

describe.skipIf(awsVersion === null)(`topics with the aws CLI (${awsVersion ?? 'not installed'})`, () => {
  it('create-topic, list-topics, describe-topic-partitions and delete-topic', async () => {
    const created = await aws([
      'create-topic',
      '--cluster-arn',
      clusterArn,
      '--topic-name',
      'from-cli',
      '--partition-count',
      '2',
      '--replication-factor',
      '2',
    ]);
    expect(created.stderr).toBe('');
    expect(JSON.parse(created.stdout)).toMatchObject({ TopicName: 'from-cli', Status: 'ACTIVE' });
    const listed = JSON.parse(
      (await aws(['list-topics', '--cluster-arn', clusterArn, '--topic-name-filter', 'from-'])).stdout,
    );
    expect(listed.Topics).toEqual([
      expect.objectContaining({ TopicName: 'from-cli', PartitionCount: 2, ReplicationFactor: 2 }),
    ]);
    const partitions = JSON.parse(
      (await aws(['describe-topic-partitions', '--cluster-arn', clusterArn, '--topic-name', 'from-cli'])).stdout,
    );
    expect(partitions.Partitions.map((p: { Partition: number }) => p.Partition)).toEqual([0, 1]);
    expect((await aws(['delete-topic', '--cluster-arn', clusterArn, '--topic-name', 'from-cli'])).code).toBe(0);
    const missing = await aws(['describe-topic', '--cluster-arn', clusterArn, '--topic-name', 'from-cli']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/NotFoundException/);
  });
});

describe('reconciliation', () => {
  it('a topic a client creates is listed at once and reaches the catalog through the worker', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'client-made', numPartitions: 2, replicationFactor: 2 }] });
    } finally {
      await admin.disconnect();
    }
    const listed = await msk.send(new ListTopicsCommand({ ClusterArn: clusterArn, TopicNameFilter: 'client' }));
    expect(listed.Topics?.map((t) => [t.TopicName, t.PartitionCount, t.ReplicationFactor])).toEqual([
      ['client-made', 2, 2],
    ]);
    // An API mutation asks the worker for a reconcile, which brings the client's topic into the catalog.
    await msk.send(
      new CreateTopicCommand({ ClusterArn: clusterArn, TopicName: 'trigger', PartitionCount: 1, ReplicationFactor: 1 }),
    );
    const row = await until('client-made in the catalog', () =>
      catalog.topic.findFirst({ where: { clusterId, name: 'client-made' } }).then((r) => r ?? undefined),
    );
    expect(row).toMatchObject({ origin: 'cluster', partitionCount: 2, replicationFactor: 2, state: 'ACTIVE' });
  });

  it('finishes the API intent left half-done and forgets topics a client deleted', async () => {
    // As if the API died after recording its intent and before the brokers heard of it.
    await catalog.topic.create({
      data: {
        clusterId,
        name: 'intent-only',
        topicArn: `${clusterArn.replace(':cluster/', ':topic/')}/intent-only`,
        partitionCount: 2,
        replicationFactor: 3,
        configs: { 'retention.ms': '60000' },
        state: 'CREATING',
      },
    });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.deleteTopics({ topics: ['client-made'] });
    } finally {
      await admin.disconnect();
    }
    await until('client-made gone from metadata', async () => {
      const listed = await msk.send(new ListTopicsCommand({ ClusterArn: clusterArn }));
      return listed.Topics?.some((t) => t.TopicName === 'client-made') ? undefined : true;
    });
    const summary = await reconcileCluster(catalog, clusterId, { freshMs: 0 });
    expect(summary?.topicsCreatedOnCluster).toEqual(['intent-only']);
    expect(summary?.topicsRemoved).toEqual(['client-made']);
    expect(await catalog.topic.findFirst({ where: { clusterId, name: 'intent-only' } })).toMatchObject({
      state: 'ACTIVE',
    });
    const described = await msk.send(new DescribeTopicCommand({ ClusterArn: clusterArn, TopicName: 'intent-only' }));
    expect(described).toMatchObject({ PartitionCount: 2, ReplicationFactor: 3 });
    // A second pass changes nothing.
    const again = await reconcileCluster(catalog, clusterId, { freshMs: 0 });
    expect(again).toMatchObject({
      topicsAdded: [],
      topicsRemoved: [],
      topicsCreatedOnCluster: [],
      topicsDeletedOnCluster: [],
    });
  });
});

describe('the reconciler on its interval', () => {
  it('brings a client-made topic into the catalog with no API call at all', async () => {
    // The same worker, now sweeping every ACTIVE cluster each second (the job scheduler is replaced).
    await reconciler.close();
    reconciler = new ReconcileWorker({
      catalog,
      redisUrl: reconcileRedisUrl,
      queuePrefix,
      intervalMs: 1_000,
      log: quiet,
    });
    await reconciler.start(reconcileQueue);
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'swept', numPartitions: 1, replicationFactor: 3 }] });
    } finally {
      await admin.disconnect();
    }
    const row = await until('swept in the catalog', () =>
      catalog.topic.findFirst({ where: { clusterId, name: 'swept' } }).then((r) => r ?? undefined),
    );
    expect(row).toMatchObject({ origin: 'cluster', replicationFactor: 3 });
    // Back to on-demand only, so a sweep cannot interleave with the exact counts the tests below check.
    await reconciler.close();
    reconciler = new ReconcileWorker({
      catalog,
      redisUrl: reconcileRedisUrl,
      queuePrefix,
      intervalMs: 3_600_000,
      log: quiet,
    });
    await reconciler.start(reconcileQueue);
  });
});

describe('ACLs', () => {
  it('an ACL created through the API is enforced by the brokers, listed, mirrored, and deleted', async () => {
    await msk.send(
      new CreateTopicCommand({ ClusterArn: clusterArn, TopicName: 'secret', PartitionCount: 1, ReplicationFactor: 3 }),
    );
    const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 1 } });
    await producer.connect();
    try {
      await producer.send({ topic: 'secret', messages: [{ value: 'before' }] });

      const acl = {
        resourceType: 'TOPIC',
        resourceName: 'secret',
        principal: 'User:ANONYMOUS',
        operation: 'WRITE',
        permissionType: 'DENY',
      };
      const created = await call('POST', under('/acls'), acl);
      expect(created).toMatchObject({ status: 200, body: { ...acl, patternType: 'LITERAL', host: '*' } });
      await until('the DENY in force', async () => {
        try {
          await producer.send({ topic: 'secret', messages: [{ value: 'denied' }] });
          return undefined;
        } catch (error) {
          return (error as { type?: string }).type === 'TOPIC_AUTHORIZATION_FAILED' ? true : undefined;
        }
      });

      const listed = await call('GET', `${under('/acls')}?resourceType=TOPIC&resourceName=secret`);
      expect(listed).toMatchObject({ status: 200, body: { acls: [{ ...acl, patternType: 'LITERAL', host: '*' }] } });
      const none = await call('GET', `${under('/acls')}?principal=User:nobody`);
      expect(none.body.acls).toEqual([]);
      // Reconciles run in the background after each mutation; the mirror settles on the cluster's state.
      await until('the ACL mirrored', async () =>
        (await catalog.acl.count({ where: { clusterId, resourceName: 'secret', permissionType: 'DENY' } })) === 1
          ? true
          : undefined,
      );

      const deleted = await call('DELETE', `${under('/acls')}?resourceType=TOPIC&resourceName=secret`);
      expect(deleted).toMatchObject({
        status: 200,
        body: { deletedAcls: [{ ...acl, patternType: 'LITERAL', host: '*' }] },
      });
      await until('the mirror emptied', async () =>
        (await catalog.acl.count({ where: { clusterId } })) === 0 ? true : undefined,
      );
      await until('writes allowed again', async () =>
        producer
          .send({ topic: 'secret', messages: [{ value: 'after' }] })
          .then(() => true)
          .catch(() => undefined),
      );
    } finally {
      await producer.disconnect();
    }
  });

  it('rejects bad ACLs', async () => {
    const base = { resourceType: 'TOPIC', resourceName: 't', principal: 'User:alice', operation: 'READ' };
    expect(await call('POST', under('/acls'), { ...base, resourceType: 'BOGUS' })).toMatchObject({
      status: 400,
      body: { invalidParameter: 'resourceType' },
    });
    expect(await call('POST', under('/acls'), { ...base, principal: 'alice' })).toMatchObject({
      status: 400,
      body: { invalidParameter: 'principal' },
    });
    expect(await call('POST', under('/acls'), { ...base, resourceType: 'CLUSTER' })).toMatchObject({
      status: 400,
      body: { invalidParameter: 'resourceName' },
    });
    // Deleting needs a resource: one call may not wipe every ACL.
    expect(await call('DELETE', `${under('/acls')}?principal=User:alice`)).toMatchObject({ status: 400 });
    expect(
      (await call('GET', `/v1/clusters/${encodeURIComponent(clusterArn.replace(/[0-9a-f]{8}-/, '00000000-'))}/acls`))
        .status,
    ).toBe(404);
  });
});

// The SCRAM user lifecycle on a SASL/SCRAM cluster, with logins, is in cluster-security.test.ts.
describe('SCRAM users on a cluster without SASL/SCRAM', () => {
  it('refuses to create or rotate a user, as MSK refuses to associate SCRAM secrets; lists and deletes', async () => {
    const refusal = {
      status: 400,
      type: 'BadRequestException',
      body: {
        invalidParameter: 'clientAuthentication',
        message: expect.stringMatching(/does not have SASL\/SCRAM client authentication enabled/),
      },
    };
    expect(await call('POST', under('/users'), { username: 'alice', password: 'correct-horse-battery' })).toMatchObject(
      refusal,
    );
    expect(await call('PUT', under('/users/alice'), { password: 'another-long-password' })).toMatchObject(refusal);
    // The list is the brokers' own (DescribeUserScramCredentials): nothing reached them.
    expect(await call('GET', under('/users'))).toMatchObject({ status: 200, body: { users: [] } });
    expect(await call('DELETE', under('/users/alice'))).toMatchObject({ status: 404, type: 'NotFoundException' });
    expect(await catalog.scramUser.count({ where: { clusterId } })).toBe(0);
  });

  it('checks the request before the cluster: a bad name or a short password names the parameter', async () => {
    expect(await call('POST', under('/users'), { username: 'bad name', password: 'long-enough-1' })).toMatchObject({
      status: 400,
      body: { invalidParameter: 'username' },
    });
    expect(await call('POST', under('/users'), { username: 'bob', password: 'short' })).toMatchObject({
      status: 400,
      body: { invalidParameter: 'password' },
    });
  });
});

describe('consumer groups', () => {
  it('describes members and lag, refuses a reset while members are active, resets with dryRun and for real', async () => {
    await msk.send(
      new CreateTopicCommand({ ClusterArn: clusterArn, TopicName: 'events', PartitionCount: 2, ReplicationFactor: 3 }),
    );
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: 'events',
      acks: -1,
      messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, partition: i % 2 })),
    });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: 'readers' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'events', fromBeginning: true });
    let received = 0;
    await consumer.run({
      autoCommitInterval: 100,
      eachMessage: async () => {
        received++;
      },
    });
    try {
      await until('10 consumed', async () => (received >= 10 ? true : undefined));
      const live = await until('committed', async () => {
        const d = await call('GET', under('/consumer-groups/readers'));
        return d.body.totalOffsetLag === 0 && (d.body.partitions as unknown[]).length === 2 ? d : undefined;
      });
      expect(live.body).toMatchObject({ groupId: 'readers', state: 'Stable', protocolType: 'consumer' });
      const members = live.body.members as {
        clientId: string;
        assignment: { topic: string; partitions: number[] }[];
      }[];
      expect(members).toHaveLength(1);
      expect(members[0]?.assignment).toEqual([{ topic: 'events', partitions: [0, 1] }]);
      expect(live.body.partitions).toEqual([
        { topic: 'events', partition: 0, committedOffset: 5, logEndOffset: 5, offsetLag: 0 },
        { topic: 'events', partition: 1, committedOffset: 5, logEndOffset: 5, offsetLag: 0 },
      ]);
      const listed = await call('GET', under('/consumer-groups'));
      expect(listed.body.consumerGroups).toContainEqual({
        groupId: 'readers',
        state: 'Stable',
        protocolType: 'consumer',
      });

      const refused = await call('POST', under('/consumer-groups/readers/reset-offsets'), { to: 'earliest' });
      expect(refused).toMatchObject({ status: 409, type: 'ConflictException' });
      expect(refused.body.message).toMatch(/inactive.*Stable/);
    } finally {
      await consumer.disconnect();
    }

    const dry = await call('POST', under('/consumer-groups/readers/reset-offsets'), { to: 'earliest', dryRun: true });
    expect(dry).toMatchObject({
      status: 200,
      body: {
        dryRun: true,
        partitions: [
          { topic: 'events', partition: 0, previousOffset: 5, newOffset: 0 },
          { topic: 'events', partition: 1, previousOffset: 5, newOffset: 0 },
        ],
      },
    });
    expect((await call('GET', under('/consumer-groups/readers'))).body.totalOffsetLag).toBe(0);

    await call('POST', under('/consumer-groups/readers/reset-offsets'), { to: 'earliest' });
    const reset = await call('GET', under('/consumer-groups/readers'));
    expect(reset.body).toMatchObject({ state: 'Empty', members: [], totalOffsetLag: 10 });

    const toOffset = await call('POST', under('/consumer-groups/readers/reset-offsets'), { to: 'offset', offset: 3 });
    expect((toOffset.body.partitions as { newOffset: number }[]).map((p) => p.newOffset)).toEqual([3, 3]);
    const future = await call('POST', under('/consumer-groups/readers/reset-offsets'), {
      to: 'timestamp',
      timestamp: Date.now() + 3_600_000,
    });
    expect((future.body.partitions as { newOffset: number }[]).map((p) => p.newOffset)).toEqual([5, 5]);
    const past = await call('POST', under('/consumer-groups/readers/reset-offsets'), { to: 'timestamp', timestamp: 0 });
    expect((past.body.partitions as { newOffset: number }[]).map((p) => p.newOffset)).toEqual([0, 0]);
    await call('POST', under('/consumer-groups/readers/reset-offsets'), { to: 'latest' });
    expect((await call('GET', under('/consumer-groups/readers'))).body.totalOffsetLag).toBe(0);
  });

  it('rejects bad resets and unknown groups', async () => {
    expect(await call('POST', under('/consumer-groups/readers/reset-offsets'), { to: 'yesterday' })).toMatchObject({
      status: 400,
      body: { invalidParameter: 'to' },
    });
    expect(await call('POST', under('/consumer-groups/readers/reset-offsets'), { to: 'timestamp' })).toMatchObject({
      status: 400,
      body: { invalidParameter: 'timestamp' },
    });
    expect((await call('GET', under('/consumer-groups/no-such-group'))).status).toBe(404);
  });
});

describe('OpenAPI', () => {
  it('documents every route of these resources', async () => {
    const doc = (await (await fetch(`${endpoint}/docs/json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/clusters/{clusterArn}/topics',
        '/v1/clusters/{clusterArn}/topics/{topicName}',
        '/v1/clusters/{clusterArn}/topics/{topicName}/partitions',
        '/v1/clusters/{clusterArn}/acls',
        '/v1/clusters/{clusterArn}/users',
        '/v1/clusters/{clusterArn}/users/{username}',
        '/v1/clusters/{clusterArn}/consumer-groups',
        '/v1/clusters/{clusterArn}/consumer-groups/{groupId}',
        '/v1/clusters/{clusterArn}/consumer-groups/{groupId}/reset-offsets',
        '/v1/events',
      ]),
    );
  });
});

describe('the event stream', () => {
  it('delivers the DELETE operation and the cluster state changes as server-sent events', async () => {
    const controller = new AbortController();
    const response = await fetch(`${endpoint}/v1/events?clusterArn=${encodeURIComponent(clusterArn)}`, {
      headers: { authorization: `Bearer ${api.adminKey.accessKeyId}:${api.adminKey.secretAccessKey}` },
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    // A second stream is left open on purpose: closing the server must end it, not wait for it.
    const lingering = await fetch(`${endpoint}/v1/events`, {
      headers: { authorization: `Bearer ${api.adminKey.accessKeyId}:${api.adminKey.secretAccessKey}` },
    });
    expect(lingering.status).toBe(200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let buffered = '';
    let connected = false;
    const events: { event: string; data: Record<string, unknown> }[] = [];
    const readUntil = async (done: () => boolean) => {
      const deadline = Date.now() + 30_000;
      while (!done()) {
        if (Date.now() > deadline) throw new Error(`events so far: ${JSON.stringify(events)}`);
        const chunk = await reader.read();
        if (chunk.done) throw new Error('stream ended');
        buffered += decoder.decode(chunk.value, { stream: true });
        let end = buffered.indexOf('\n\n');
        while (end >= 0) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          if (block.startsWith(': connected')) connected = true;
          const event = /^event: (.+)$/m.exec(block)?.[1];
          const data = /^data: (.+)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) });
          end = buffered.indexOf('\n\n');
        }
      }
    };
    await readUntil(() => connected);

    const current = await msk.send(new DescribeClusterV2Command({ ClusterArn: clusterArn }));
    await msk.send(
      new DeleteClusterCommand({ ClusterArn: clusterArn, CurrentVersion: current.ClusterInfo?.CurrentVersion }),
    );
    await readUntil(() => events.some((e) => e.event === 'operation' && e.data.operationState === 'UPDATE_COMPLETE'));
    controller.abort();
    const ops = events.filter((e) => e.event === 'operation').map((e) => [e.data.operationType, e.data.operationState]);
    expect(ops[0]).toEqual(['DELETE', 'PENDING']);
    expect(ops.at(-1)).toEqual(['DELETE', 'UPDATE_COMPLETE']);
    expect(events.filter((e) => e.event === 'cluster').map((e) => e.data.state)).toEqual(
      expect.arrayContaining(['DELETING']),
    );
    expect(events.every((e) => e.data.clusterArn === clusterArn)).toBe(true);
    expect(events.some((e) => e.event === 'operation-step')).toBe(true);
  });
});

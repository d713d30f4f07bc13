/**
 * The reconciler against a real broker process (no authorizer: ACLs answer SECURITY_DISABLED, which
 * must not stop topics and users from being reconciled) and real Postgres and Redis. The full path
 * through the API, on a 3-broker cluster with the authorizer on, is in
 * apps/api/test/cluster-resources.test.ts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Catalog, createCatalog, migrate } from '@flotilla/db';
import { dropDatabase, scratchDatabaseUrl } from '@flotilla/db/testing';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterAdmin } from '../kafka/cluster-admin.js';
import { isUserTopic, RECONCILE_QUEUE, reconcileCluster, requestReconcile, topicArn } from './reconcile.js';

const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const databaseUrl = scratchDatabaseUrl('flotilla_reconcile_test');
const clusterId = randomUUID();
const clusterArn = `arn:aws:kafka:us-east-1:123456789012:cluster/reconciled/${clusterId}-1`;

let catalog: Catalog;
let broker: { bootstrap: string; child: ChildProcess; logDir: string };
let admin: ClusterAdmin;

/** One real broker (packages/broker/dist/main.js) on a free port, ready when it says it listens. */
async function startBroker(): Promise<typeof broker> {
  const main = new URL('../../../../packages/broker/dist/main.js', import.meta.url).pathname;
  const logDir = mkdtempSync(join(tmpdir(), 'flotilla-reconcile-'));
  const overrides = {
    'node.id': '1',
    listeners: 'PLAINTEXT://127.0.0.1:0',
    'log.dirs': logDir,
    'offsets.topic.replication.factor': '1',
    'auto.create.topics.enable': 'false',
  };
  const child = spawn(
    process.execPath,
    [main, ...Object.entries(overrides).flatMap(([k, v]) => ['--override', `${k}=${v}`])],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`broker did not start:\n${out}`)), 20_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on PLAINTEXT:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`broker exited with ${code}:\n${out}`)));
  });
  return { bootstrap: `127.0.0.1:${port}`, child, logDir };
}

beforeAll(async () => {
  await migrate({ url: databaseUrl });
  catalog = createCatalog({ url: databaseUrl });
  broker = await startBroker();
  admin = new ClusterAdmin(broker.bootstrap);
  await catalog.cluster.create({
    data: {
      id: clusterId,
      arn: clusterArn,
      name: 'reconciled',
      state: 'ACTIVE',
      currentVersion: 'v1',
      kafkaVersion: '3.8.x',
      numberOfBrokerNodes: 1,
      brokerNodeGroupInfo: {},
      instanceType: 'kafka.t3.small',
      volumeSizeGiB: 1,
      runtime: 'process',
      bootstrapBrokerString: broker.bootstrap,
    },
  });
});

afterAll(async () => {
  await admin?.close();
  if (broker) {
    const exited = new Promise((resolve) => broker.child.once('exit', resolve));
    broker.child.kill('SIGTERM');
    await exited;
    rmSync(broker.logDir, { recursive: true, force: true });
  }
  await catalog?.$disconnect();
  await dropDatabase(databaseUrl);
});

describe('reconcileCluster', () => {
  it('mirrors topics (with their own configs) and SCRAM users made on the cluster, never a secret', async () => {
    await admin.admin.createTopics([
      { name: 'made-by-client', numPartitions: 2, replicationFactor: 1, configs: { 'retention.ms': '60000' } },
    ]);
    await admin.upsertScramUser('bob', 'SCRAM-SHA-256', 'bobs-password-123');

    const summary = await reconcileCluster(catalog, clusterId, { freshMs: 0 });
    expect(summary).toMatchObject({ topicsAdded: ['made-by-client'], acls: 0, users: 1 });
    const topic = await catalog.topic.findFirstOrThrow({ where: { clusterId, name: 'made-by-client' } });
    expect(topic).toMatchObject({
      origin: 'cluster',
      state: 'ACTIVE',
      partitionCount: 2,
      replicationFactor: 1,
      configs: { 'retention.ms': '60000' },
      topicArn: `arn:aws:kafka:us-east-1:123456789012:topic/reconciled/${clusterId}-1/made-by-client`,
    });
    const user = await catalog.scramUser.findFirstOrThrow({ where: { clusterId, username: 'bob' } });
    expect(user).toMatchObject({ mechanism: 'SCRAM-SHA-256', secretRef: 'cluster', iterations: 8192 });
    expect(user.salt.length + user.storedKey.length + user.serverKey.length).toBe(0);

    // Idempotent: a second pass finds nothing to do.
    expect(await reconcileCluster(catalog, clusterId, { freshMs: 0 })).toMatchObject({
      topicsAdded: [],
      topicsRemoved: [],
      topicsCreatedOnCluster: [],
      topicsDeletedOnCluster: [],
    });
  });

  it('follows a config and partition change made on the cluster', async () => {
    await admin.admin.createPartitions([{ topic: 'made-by-client', count: 3 }]);
    await reconcileCluster(catalog, clusterId, { freshMs: 0 });
    expect(await catalog.topic.findFirstOrThrow({ where: { clusterId, name: 'made-by-client' } })).toMatchObject({
      partitionCount: 3,
    });
  });

  it('carries out a deletion the API recorded but did not finish, and drops users deleted on the cluster', async () => {
    await catalog.topic.updateMany({ where: { clusterId, name: 'made-by-client' }, data: { state: 'DELETING' } });
    await admin.deleteScramUser('bob', 'SCRAM-SHA-256');
    const summary = await reconcileCluster(catalog, clusterId, { freshMs: 0 });
    expect(summary).toMatchObject({ topicsDeletedOnCluster: ['made-by-client'], users: 0 });
    const { topics } = await admin.admin.metadata();
    expect(topics.filter((t) => isUserTopic(t.name, t.isInternal)).map((t) => t.name)).toEqual([]);
    expect(await catalog.topic.count({ where: { clusterId } })).toBe(0);
    expect(await catalog.scramUser.count({ where: { clusterId } })).toBe(0);
  });

  it('leaves a cluster alone while it is not ACTIVE', async () => {
    await catalog.cluster.update({ where: { id: clusterId }, data: { state: 'UPDATING' } });
    try {
      await admin.admin.createTopics([{ name: 'while-updating', numPartitions: 1, replicationFactor: 1 }]);
      expect(await reconcileCluster(catalog, clusterId, { freshMs: 0 })).toBeNull();
      expect(await catalog.topic.count({ where: { clusterId } })).toBe(0);
    } finally {
      await catalog.cluster.update({ where: { id: clusterId }, data: { state: 'ACTIVE' } });
    }
  });

  it('names topics as MSK does and keeps internal topics out', () => {
    expect(topicArn('arn:aws:kafka:eu-west-1:111122223333:cluster/demo/abc-1', 'orders')).toBe(
      'arn:aws:kafka:eu-west-1:111122223333:topic/demo/abc-1/orders',
    );
    expect(isUserTopic('__consumer_offsets', true)).toBe(false);
    expect(isUserTopic('__hidden', false)).toBe(false);
    expect(isUserTopic('orders', false)).toBe(true);
  });
});

describe('requestReconcile', () => {
  it('coalesces requests into one waiting job per cluster', async () => {
    const queue = new Queue(RECONCILE_QUEUE, {
      connection: { url: REDIS_URL },
      prefix: `reconcile-test-${process.pid}`,
    });
    try {
      for (let i = 0; i < 5; i++) await requestReconcile(queue, clusterId);
      await requestReconcile(queue, randomUUID());
      expect((await queue.getJobCounts('waiting')).waiting).toBe(2);
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });
});

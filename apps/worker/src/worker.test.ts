/**
 * The operations worker on real Postgres, Redis and the runtime's ProcessDriver (real broker
 * processes): a failed provisioning ends FAILED with its reason and nothing left behind; a worker that
 * stops mid-provisioning is replaced and the operation completes with no duplicate brokers; the
 * process drains and exits on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Catalog, clusters, createCatalog, migrate, operations } from '@flotilla/db';
import { dropDatabase, scratchDatabaseUrl } from '@flotilla/db/testing';
import { ProcessDriver } from '@flotilla/runtime';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueJob, JOBS, OPERATIONS_QUEUE } from './jobs/catalog.js';
import { handlers, type JobHandlers } from './jobs/handlers.js';
import { requeueUnfinishedOperations } from './jobs/requeue.js';
import { OperationsWorker } from './worker.js';

const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const databaseUrl = scratchDatabaseUrl('flotilla_worker_test');
const stateDir = mkdtempSync(join(tmpdir(), 'flotilla-worker-'));
const queuePrefix = `flotilla-worker-test-${process.pid}`;
const silent = { info() {}, warn() {}, error() {} };

let catalog: Catalog;
let queue: Queue;

/** A CREATING cluster and its CREATE operation, as the API writes them. */
async function seedCluster(name: string, brokers: number): Promise<{ clusterId: string; operationId: string }> {
  const clusterId = randomUUID();
  const operationId = randomUUID();
  const arn = `arn:aws:kafka:us-east-1:000000000000:cluster/${name}/${clusterId}-1`;
  await clusters.createCluster(catalog, {
    id: clusterId,
    arn,
    name,
    currentVersion: 'K1',
    kafkaVersion: '3.8.x',
    numberOfBrokerNodes: brokers,
    brokerNodeGroupInfo: { instanceType: 'kafka.t3.small', clientSubnets: ['a'] },
    instanceType: 'kafka.t3.small',
    volumeSizeGiB: 1,
    runtime: 'process',
  });
  await operations.createOperation(catalog, {
    id: operationId,
    arn: `${arn}/op/${operationId}`,
    clusterId,
    clusterArn: arn,
    operationType: 'CREATE',
  });
  return { clusterId, operationId };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  await migrate({ url: databaseUrl });
  catalog = createCatalog({ url: databaseUrl });
  queue = new Queue(OPERATIONS_QUEUE, { connection: { url: REDIS_URL }, prefix: queuePrefix });
});

afterAll(async () => {
  await queue?.obliterate({ force: true });
  await queue?.close();
  await catalog?.$disconnect();
  await dropDatabase(databaseUrl);
  rmSync(stateDir, { recursive: true, force: true });
});

describe('job catalog', () => {
  it('has a handler for every job (the JobHandlers type makes a missing one a compile error)', () => {
    // @ts-expect-error: a handler map without delete-cluster does not compile.
    const incomplete: JobHandlers = { 'create-cluster': handlers['create-cluster'] };
    expect(Object.keys(incomplete)).toEqual(['create-cluster']);
    expect(Object.keys(handlers).sort()).toEqual(Object.keys(JOBS).sort());
  });

  it('refuses a payload that does not fit the job schema before it reaches Redis', async () => {
    await expect(
      enqueueJob(queue, 'create-cluster', { operationId: 'not-a-uuid', clusterId: randomUUID() }),
    ).rejects.toThrow(/invalid create-cluster payload: \/operationId/);
  });
});

describe('requeue at start', () => {
  it('queues each unfinished operation whose job Redis lost, once', async () => {
    const { operationId } = await seedCluster('lost-job', 1);
    expect(await queue.getJob(operationId)).toBeUndefined();
    const first = await requeueUnfinishedOperations(catalog, queue);
    expect(first.some((arn) => arn.endsWith(operationId))).toBe(true);
    const job = await queue.getJob(operationId);
    expect(job?.name).toBe('create-cluster');
    // Its job is now in Redis: a second start queues nothing for it.
    const second = await requeueUnfinishedOperations(catalog, queue);
    expect(second.some((arn) => arn.endsWith(operationId))).toBe(false);
    await job?.remove();
    await catalog.clusterOperation.update({ where: { id: operationId }, data: { operationState: 'UPDATE_FAILED' } });
  });
});

describe('create-cluster on the ProcessDriver', () => {
  it('leaves a cluster whose brokers cannot start FAILED with the reason, and removes what it made', async () => {
    // A "broker" that exits at once: the runtime starts it, it dies, the wait step sees it.
    const brokenMain = join(stateDir, 'broken-broker.mjs');
    writeFileSync(brokenMain, "console.error('this broker refuses to start'); process.exit(3);\n");
    const driver = new ProcessDriver({ stateDir: join(stateDir, 'broken'), brokerMain: brokenMain });
    const worker = new OperationsWorker({ catalog, driver, redisUrl: REDIS_URL, queuePrefix, log: silent });
    await worker.start();
    try {
      const { clusterId, operationId } = await seedCluster('broken', 1);
      await enqueueJob(queue, 'create-cluster', { operationId, clusterId });
      const cluster = await until('FAILED', async () => {
        const row = await catalog.cluster.findUnique({ where: { id: clusterId } });
        return row?.state === 'FAILED' ? row : undefined;
      });
      expect(cluster.stateCode).toBe('PROVISIONING_FAILED');
      expect(cluster.stateMessage).toMatch(/broker 1 is/);
      const op = await operations.findOperationById(catalog, operationId);
      expect(op?.operationState).toBe('UPDATE_FAILED');
      expect(op?.endTime).toBeInstanceOf(Date);
      expect(op?.steps.find((s) => s.name === 'wait-for-brokers')?.status).toBe('FAILED');
      // An unrecoverable failure is not retried, and nothing is left on the runtime or in the catalog.
      expect((await queue.getJob(operationId))?.attemptsMade).toBe(1);
      expect(await driver.listBrokers(clusterId)).toEqual([]);
      expect(await driver.listClusters()).not.toContain(clusterId);
      expect(await clusters.listBrokers(catalog, clusterId)).toEqual([]);
    } finally {
      await worker.close(0);
      await driver.close();
    }
  });

  it('resumes after the worker stops mid-provisioning: same plan, no duplicate brokers, ACTIVE', async () => {
    const driver = new ProcessDriver({ stateDir: join(stateDir, 'resume') });
    const { clusterId, operationId } = await seedCluster('resumed', 3);
    const first = new OperationsWorker({ catalog, driver, redisUrl: REDIS_URL, queuePrefix, log: silent });
    await first.start();
    await enqueueJob(queue, 'create-cluster', { operationId, clusterId });
    // Stop the first worker as soon as its brokers are started, before they are all registered.
    await until('brokers step complete', async () => {
      const op = await operations.findOperationById(catalog, operationId);
      return op?.steps.some((s) => s.name === 'brokers' && s.status === 'COMPLETE') ? true : undefined;
    });
    const planBefore = (await operations.findOperationById(catalog, operationId))?.steps.find((s) => s.name === 'plan');
    await first.close(0);

    const second = new OperationsWorker({ catalog, driver, redisUrl: REDIS_URL, queuePrefix, log: silent });
    await second.start();
    try {
      const cluster = await until(
        'ACTIVE',
        async () => {
          const row = await catalog.cluster.findUnique({ where: { id: clusterId } });
          if (row?.state === 'FAILED') throw new Error(`FAILED: ${row.stateMessage}`);
          return row?.state === 'ACTIVE' ? row : undefined;
        },
        90_000,
      );
      const op = await operations.findOperationById(catalog, operationId);
      expect(op?.operationState).toBe('UPDATE_COMPLETE');
      // The plan (ports, specs) was made once and reused; each step appears once.
      expect(op?.steps.find((s) => s.name === 'plan')?.detail).toEqual(planBefore?.detail);
      expect(op?.steps.map((s) => s.name)).toEqual([
        'plan',
        'network',
        'volumes',
        'brokers',
        'wait-for-brokers',
        'round-trip',
        'activate',
      ]);
      // The first attempt was cut short (it failed with 'worker shutting down'); a second one finished.
      expect((await queue.getJob(operationId))?.attemptsMade).toBeGreaterThanOrEqual(2);
      const running = await driver.listBrokers(clusterId);
      expect(running.map((b) => b.nodeId).sort()).toEqual([1, 2, 3]);
      expect(running.every((b) => b.state === 'running')).toBe(true);
      expect(cluster.bootstrapBrokerString?.split(',')).toHaveLength(3);
    } finally {
      await second.close(0);
      await driver.deleteCluster(clusterId);
      await driver.close();
    }
  });
});

describe('a worker killed with SIGKILL mid-provisioning', () => {
  it('leaves a stalled job that another worker resumes to ACTIVE with no duplicate brokers', async () => {
    const { clusterId, operationId } = await seedCluster('killed', 3);
    const child = spawn(process.execPath, [new URL('../dist/main.js', import.meta.url).pathname], {
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        FLOTILLA_QUEUE_PREFIX: queuePrefix,
        FLOTILLA_RUNTIME: 'process',
        FLOTILLA_STATE_DIR: join(stateDir, 'killed-state'),
        FLOTILLA_WORKER_LOCK_MS: '2000',
      },
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // The child's ProcessDriver keeps its brokers under FLOTILLA_STATE_DIR/runtime.
    const driver = new ProcessDriver({ stateDir: join(stateDir, 'killed-state', 'runtime') });
    let second: OperationsWorker | undefined;
    try {
      await enqueueJob(queue, 'create-cluster', { operationId, clusterId });
      await until('brokers started by the first worker', async () => {
        const op = await operations.findOperationById(catalog, operationId);
        return op?.steps.some((s) => s.name === 'brokers' && s.status === 'COMPLETE') ? true : undefined;
      });
      child.kill('SIGKILL');
      await exited;
      // Killed mid-way: the operation is not finished.
      expect((await operations.findOperationById(catalog, operationId))?.operationState).toBe('UPDATE_IN_PROGRESS');
      // Its broker processes outlive it (they run under their own supervisors).
      expect((await driver.listBrokers(clusterId)).length).toBe(3);

      second = new OperationsWorker({
        catalog,
        driver,
        redisUrl: REDIS_URL,
        queuePrefix,
        log: silent,
        lockDurationMs: 2000,
      });
      await second.start();
      await until(
        'ACTIVE after the stalled job is taken over',
        async () => {
          const row = await catalog.cluster.findUnique({ where: { id: clusterId } });
          if (row?.state === 'FAILED') throw new Error(`FAILED: ${row.stateMessage}`);
          return row?.state === 'ACTIVE' ? row : undefined;
        },
        90_000,
      );
      const brokers = await driver.listBrokers(clusterId);
      expect(brokers.map((b) => b.nodeId).sort()).toEqual([1, 2, 3]);
      expect(brokers.every((b) => b.state === 'running')).toBe(true);
      const op = await operations.findOperationById(catalog, operationId);
      expect(op?.operationState).toBe('UPDATE_COMPLETE');
      expect(op?.steps.filter((s) => s.name === 'brokers')).toHaveLength(1);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await second?.close(0);
      await driver.deleteCluster(clusterId);
      await driver.close();
    }
  });
});

describe('worker process', () => {
  it('drains and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [new URL('../dist/main.js', import.meta.url).pathname], {
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        FLOTILLA_QUEUE_PREFIX: queuePrefix,
        FLOTILLA_RUNTIME: 'process',
        FLOTILLA_STATE_DIR: join(stateDir, 'process'),
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
    await until('worker ready', async () => (out.includes('worker ready') ? true : undefined), 30_000);
    const stoppedAt = Date.now();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toMatch(/draining/);
    expect(Date.now() - stoppedAt).toBeLessThan(10_000);
  });
});

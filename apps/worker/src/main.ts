#!/usr/bin/env node
/**
 * Starts the worker: applies catalog migrations (safe alongside the API: they take Prisma's advisory
 * lock), picks the runtime (FLOTILLA_RUNTIME=docker|process, else Docker when an engine answers, else
 * processes), and processes operations until SIGINT/SIGTERM, which drains running jobs and exits.
 */
import { join } from 'node:path';
import { createCatalog, databaseUrl, loadMasterKey, migrate, SecretBox } from '@flotilla/db';
import { createRuntimeDriver, type RuntimeKind } from '@flotilla/runtime';
import { Queue } from 'bullmq';
import { OPERATIONS_QUEUE } from './jobs/catalog.js';
import { HealMonitor } from './jobs/heal.js';
import { RECONCILE_QUEUE, ReconcileWorker } from './jobs/reconcile.js';
import { requeueUnfinishedOperations } from './jobs/requeue.js';
import { Monitor } from './monitor/index.js';
import { consoleLogger, OperationsWorker } from './worker.js';

async function main(): Promise<void> {
  const url = databaseUrl();
  await migrate({ url });
  const catalog = createCatalog({ url });
  const stateDir = process.env.FLOTILLA_STATE_DIR ?? join(process.cwd(), '.flotilla');
  // The API's master key (same FLOTILLA_MASTER_KEY / stateDir/master.key), for sealed catalog columns.
  const box = new SecretBox(loadMasterKey(process.env.FLOTILLA_MASTER_KEY || null, stateDir));
  const driver = await createRuntimeDriver({
    runtime: (process.env.FLOTILLA_RUNTIME as RuntimeKind | undefined) || undefined,
    process: { stateDir: join(stateDir, 'runtime') },
  });
  const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  const queuePrefix = process.env.FLOTILLA_QUEUE_PREFIX || 'flotilla';
  const queue = new Queue(OPERATIONS_QUEUE, { connection: { url: redisUrl }, prefix: queuePrefix });
  const requeued = await requeueUnfinishedOperations(catalog, queue);
  await queue.close();
  if (requeued.length) consoleLogger.info('requeued unfinished operations', { operations: requeued });
  const worker = new OperationsWorker({
    catalog,
    driver,
    box,
    redisUrl,
    queuePrefix,
    concurrency: Number(process.env.FLOTILLA_WORKER_CONCURRENCY ?? 4),
    lockDurationMs: Number(process.env.FLOTILLA_WORKER_LOCK_MS ?? 30_000),
    // Replication throttle of partition moves, bytes/s per broker (Kafka's reassign --throttle).
    reassignThrottleBytes: process.env.FLOTILLA_REASSIGN_THROTTLE_BYTES
      ? Number(process.env.FLOTILLA_REASSIGN_THROTTLE_BYTES)
      : undefined,
  });
  await worker.start();
  // Topics, ACLs and SCRAM users: catalog and clusters kept equal (FLOTILLA_RECONCILE_INTERVAL_MS, default 30 s).
  const reconcileQueue = new Queue(RECONCILE_QUEUE, { connection: { url: redisUrl }, prefix: queuePrefix });
  const reconciler = new ReconcileWorker({
    catalog,
    box,
    redisUrl,
    queuePrefix,
    intervalMs: Number(process.env.FLOTILLA_RECONCILE_INTERVAL_MS ?? 30_000),
    log: consoleLogger,
  });
  await reconciler.start(reconcileQueue);
  // Self-healing (issue 7): dead brokers of ACTIVE clusters are brought back.
  const healer = new HealMonitor({
    catalog,
    driver,
    box,
    log: consoleLogger,
    intervalMs: Number(process.env.FLOTILLA_HEAL_INTERVAL_MS ?? 5_000),
  });
  healer.start();
  consoleLogger.info('worker ready', { runtime: driver.kind });
  // The monitor (issue 8): scrapes, stores samples, evaluates alarms (events go to the API's stream).
  const monitor = new Monitor({
    catalog,
    driver,
    box,
    intervalMs: Number(process.env.FLOTILLA_MONITOR_INTERVAL_MS ?? 30_000),
    log: consoleLogger,
  });
  if (process.env.FLOTILLA_MONITOR !== 'off') monitor.start();

  let stopping: Promise<void> | undefined;
  const stop = (signal: string) => {
    stopping ??= (async () => {
      consoleLogger.info('draining', { signal });
      await healer.close();
      await worker.close();
      await monitor.close();
      await reconciler.close();
      await reconcileQueue.close();
      await driver.close();
      await catalog.$disconnect();
    })();
    return stopping;
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

/**
 * The operations worker: a BullMQ Worker on the operations queue that checks each job against the
 * catalog's schema, runs its handler with the job's time limit (an AbortSignal) and lets BullMQ retry
 * with backoff. A job that cannot succeed (unknown name, bad payload, UnrecoverableError) fails at
 * once. `close()` stops taking jobs, lets running ones finish, and is safe to call twice.
 */
import type { Catalog, SecretBox } from '@flotilla/db';
import type { RuntimeDriver } from '@flotilla/runtime';
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import { checkPayload, isJobName, JOBS, type JobName, type JobPayload, OPERATIONS_QUEUE } from './jobs/catalog.js';
import type { JobContext, JobLogger } from './jobs/context.js';
import { handlers, type JobHandlers } from './jobs/handlers.js';

export interface OperationsWorkerOptions {
  readonly catalog: Catalog;
  readonly driver: RuntimeDriver;
  readonly redisUrl: string;
  readonly queuePrefix: string;
  /** Jobs run at once. Default 4: provisioning mostly waits on brokers. */
  readonly concurrency?: number;
  /**
   * How long a job's lock lives without renewal (BullMQ's lockDuration, default 30 s). A worker that
   * dies (SIGKILL, power loss) holds its jobs this long; then another worker finds them stalled and
   * runs them again, resuming at their first incomplete step.
   */
  readonly lockDurationMs?: number;
  readonly log?: JobLogger;
  /**
   * Opens the catalog's sealed columns (a secured cluster's control-plane password and CA key): a
   * SecretBox under the API's master key. Without it only PLAINTEXT clusters can be provisioned.
   */
  readonly box?: SecretBox;
  /** Bytes/s per broker that partition reassignments may use (scale-out/in); default 50 MiB/s. */
  readonly reassignThrottleBytes?: number;
  /** For tests: replace handlers. */
  readonly handlers?: JobHandlers;
}

export const consoleLogger: JobLogger = {
  info: (message, fields) => console.log(JSON.stringify({ level: 'info', message, ...fields })),
  warn: (message, fields) => console.warn(JSON.stringify({ level: 'warn', message, ...fields })),
  error: (message, fields) => console.error(JSON.stringify({ level: 'error', message, ...fields })),
};

export class OperationsWorker {
  readonly worker: Worker;
  private readonly shutdown = new AbortController();
  private closing: Promise<void> | undefined;

  constructor(private readonly options: OperationsWorkerOptions) {
    const log = options.log ?? consoleLogger;
    this.worker = new Worker(OPERATIONS_QUEUE, (job) => this.process(job, log), {
      connection: { url: options.redisUrl, maxRetriesPerRequest: null },
      prefix: options.queuePrefix,
      concurrency: options.concurrency ?? 4,
      lockDuration: options.lockDurationMs ?? 30_000,
      stalledInterval: options.lockDurationMs ?? 30_000,
      autorun: false,
    });
    this.worker.on('failed', (job, error) =>
      log.warn('job failed', { job: job?.name, id: job?.id, attempt: job?.attemptsMade, error: error.message }),
    );
    this.worker.on('error', (error) => log.error('worker error', { error: error.message }));
  }

  /** Starts taking jobs; resolves once the worker is connected. */
  async start(): Promise<void> {
    void this.worker.run();
    await this.worker.waitUntilReady();
  }

  private async process(job: Job, log: JobLogger): Promise<void> {
    if (!isJobName(job.name)) throw new UnrecoverableError(`no job named ${job.name}`);
    const name: JobName = job.name;
    let payload: JobPayload<typeof name>;
    try {
      payload = checkPayload(name, job.data);
    } catch (error) {
      throw new UnrecoverableError((error as Error).message);
    }
    const definition = JOBS[name];
    const timeout = AbortSignal.timeout(definition.timeoutMs);
    const signal = AbortSignal.any([timeout, this.shutdown.signal]);
    const attempts = job.opts.attempts ?? 1;
    const ctx: JobContext = {
      catalog: this.options.catalog,
      driver: this.options.driver,
      ...(this.options.box ? { box: this.options.box } : {}),
      signal,
      log,
      attempt: job.attemptsMade + 1,
      finalAttempt: job.attemptsMade + 1 >= attempts,
      reassignThrottleBytes: this.options.reassignThrottleBytes,
    };
    const handler = (this.options.handlers ?? handlers)[name];
    const aborted = new Promise<never>((_, reject) => {
      signal.addEventListener('abort', () =>
        reject(
          new Error(timeout.aborted ? `${name} timed out after ${definition.timeoutMs} ms` : 'worker shutting down'),
        ),
      );
    });
    // The handler sees the abort through ctx.signal; the race makes sure a handler stuck in a call
    // that ignores it does not hold the job past its limit.
    await Promise.race([handler(payload, ctx), aborted]);
  }

  /** Stops taking jobs and waits for running ones (they see ctx.signal abort after `graceMs`). */
  close(graceMs = 30_000): Promise<void> {
    this.closing ??= (async () => {
      const timer = setTimeout(() => this.shutdown.abort(), graceMs);
      try {
        await this.worker.close();
      } finally {
        clearTimeout(timer);
      }
    })();
    return this.closing;
  }
}

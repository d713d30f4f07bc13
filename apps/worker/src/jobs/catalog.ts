/**
 * The job catalog: every job the worker runs, with the schema of its payload, its time limit and its
 * retry policy (trigger.dev's redis-worker catalog). The API enqueues through `enqueueJob`, which checks
 * the payload against the same schema; the worker's handler map is typed from this catalog, so a job
 * without a handler does not compile (see handlers.ts).
 *
 * One job per cluster operation, with the operation's id as the BullMQ job id: enqueueing the same
 * operation twice is a no-op, and a job that is retried finds its operation's completed steps in the
 * catalog and resumes after them (issue 6: "jobs are idempotent and resumable").
 */
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { Queue } from 'bullmq';

/** The one queue cluster operations go through. */
export const OPERATIONS_QUEUE = 'flotilla-operations';

export interface JobDefinition<S extends TSchema = TSchema> {
  readonly schema: S;
  /** The handler is aborted (its AbortSignal fires) and the attempt fails after this long. */
  readonly timeoutMs: number;
  /** Attempts in all, the first included; retries back off exponentially from `backoffMs`. */
  readonly attempts: number;
  readonly backoffMs: number;
}

const UUID = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';

const OperationJob = Type.Object(
  {
    /** ClusterOperation.id: the job id too. */
    operationId: Type.String({ pattern: UUID }),
    clusterId: Type.String({ pattern: UUID }),
  },
  { additionalProperties: false },
);

export const JOBS = {
  'create-cluster': { schema: OperationJob, timeoutMs: 10 * 60_000, attempts: 5, backoffMs: 2_000 },
  'delete-cluster': { schema: OperationJob, timeoutMs: 5 * 60_000, attempts: 5, backoffMs: 2_000 },
  // Day-2 operations (issue 7): a roll waits up to 5 minutes per broker, so their limits are generous.
  'reboot-broker': { schema: OperationJob, timeoutMs: 30 * 60_000, attempts: 5, backoffMs: 2_000 },
  'update-broker-type': { schema: OperationJob, timeoutMs: 60 * 60_000, attempts: 5, backoffMs: 2_000 },
  'update-configuration': { schema: OperationJob, timeoutMs: 60 * 60_000, attempts: 5, backoffMs: 2_000 },
  'update-kafka-version': { schema: OperationJob, timeoutMs: 60 * 60_000, attempts: 5, backoffMs: 2_000 },
  'update-broker-count': { schema: OperationJob, timeoutMs: 2 * 60 * 60_000, attempts: 5, backoffMs: 2_000 },
  'update-storage': { schema: OperationJob, timeoutMs: 60 * 60_000, attempts: 5, backoffMs: 2_000 },
  // Up to three rolls (update-security.ts).
  'update-security': { schema: OperationJob, timeoutMs: 3 * 60 * 60_000, attempts: 5, backoffMs: 2_000 },
} as const satisfies Record<string, JobDefinition>;

export type JobName = keyof typeof JOBS;
export type JobPayload<N extends JobName> = Static<(typeof JOBS)[N]['schema']>;

export function isJobName(name: string): name is JobName {
  return Object.hasOwn(JOBS, name);
}

/** Throws a TypeError naming the first problem when `payload` does not fit job `name`'s schema. */
export function checkPayload<N extends JobName>(name: N, payload: unknown): JobPayload<N> {
  const schema = JOBS[name].schema;
  if (!Value.Check(schema, payload)) {
    const first = Value.Errors(schema, payload).First();
    throw new TypeError(`invalid ${name} payload: ${first ? `${first.path || '/'} ${first.message}` : 'no detail'}`);
  }
  return payload as JobPayload<N>;
}

/**
 * Adds job `name` for one operation. The operation id is the job id, so a second call for the same
 * operation (an API retry) does not queue a second job.
 */
export async function enqueueJob<N extends JobName>(queue: Queue, name: N, payload: JobPayload<N>): Promise<string> {
  checkPayload(name, payload);
  const definition: JobDefinition = JOBS[name];
  const job = await queue.add(name, payload, {
    jobId: payload.operationId,
    attempts: definition.attempts,
    backoff: { type: 'exponential', delay: definition.backoffMs },
    removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
    removeOnFail: { age: 30 * 24 * 3600 },
  });
  return job.id ?? payload.operationId;
}

/** The job that carries out each operation type (ClusterOperation.operationType). */
export const JOB_FOR_OPERATION: Readonly<Record<string, JobName>> = {
  CREATE: 'create-cluster',
  DELETE: 'delete-cluster',
  REBOOT_NODE: 'reboot-broker',
  UPDATE_BROKER_TYPE: 'update-broker-type',
  UPDATE_CLUSTER_CONFIGURATION: 'update-configuration',
  UPDATE_CLUSTER_KAFKA_VERSION: 'update-kafka-version',
  INCREASE_BROKER_COUNT: 'update-broker-count',
  DECREASE_BROKER_COUNT: 'update-broker-count',
  UPDATE_BROKER_STORAGE: 'update-storage',
  UPDATE_SECURITY: 'update-security',
};

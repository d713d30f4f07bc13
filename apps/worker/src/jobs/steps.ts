/**
 * Operation steps: each named step is recorded on the ClusterOperation (IN_PROGRESS with a start time,
 * then COMPLETE or FAILED with an end time), which is what the API's DescribeClusterOperationV2 shows.
 * A retried job runs its steps again in order; a step already COMPLETE is skipped and its recorded
 * result returned, so work done before a crash is not done twice (issue 6: jobs are resumable).
 */
import { type ClientOrTransaction, operations, type Prisma } from '@flotilla/db';

export async function runStep<T extends Prisma.InputJsonValue | null>(
  db: ClientOrTransaction,
  operationId: string,
  name: string,
  body: () => Promise<T>,
): Promise<T> {
  const before = await operations.beginStep(db, operationId, name);
  if (before.status === 'COMPLETE') return (before.detail ?? null) as T;
  try {
    const result = await body();
    await operations.endStep(db, operationId, name, 'COMPLETE', result === null ? {} : { detail: result });
    return result;
  } catch (error) {
    await operations.endStep(db, operationId, name, 'FAILED', {
      error: error instanceof Error ? error.message : String(error),
    });
    throw error;
  }
}

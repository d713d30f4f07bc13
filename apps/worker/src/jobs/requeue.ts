/**
 * The catalog is the record of what must happen; Redis only schedules it. At start the worker enqueues
 * every operation that is not finished, so operations survive a Redis that lost its data (ours keeps
 * nothing on disk) or an API that crashed between its catalog write and its enqueue. The operation id
 * is the job id, so an operation whose job is still queued is not queued twice.
 */
import type { Catalog } from '@flotilla/db';
import type { Queue } from 'bullmq';
import { enqueueJob, JOB_FOR_OPERATION } from './catalog.js';

export async function requeueUnfinishedOperations(catalog: Catalog, queue: Queue): Promise<string[]> {
  const unfinished = await catalog.clusterOperation.findMany({
    where: { operationState: { in: ['PENDING', 'UPDATE_IN_PROGRESS'] }, clusterId: { not: null } },
    orderBy: { startTime: 'asc' },
  });
  const queued: string[] = [];
  for (const op of unfinished) {
    const name = JOB_FOR_OPERATION[op.operationType];
    if (!name || !op.clusterId) continue;
    const existing = await queue.getJob(op.id);
    // A failed job of an unfinished operation means the worker died before recording the failure.
    if (existing && (await existing.isFailed())) await existing.remove();
    else if (existing) continue;
    await enqueueJob(queue, name, { operationId: op.id, clusterId: op.clusterId });
    queued.push(op.arn);
  }
  return queued;
}

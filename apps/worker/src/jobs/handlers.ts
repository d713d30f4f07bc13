/**
 * The handler of every job in the catalog. The type requires one entry per JobName, with that job's
 * payload type, so adding a job to JOBS without a handler here does not compile.
 */
import type { JobName, JobPayload } from './catalog.js';
import type { JobContext } from './context.js';
import { createCluster } from './create-cluster.js';
import { deleteCluster } from './delete-cluster.js';

export type JobHandlers = { readonly [N in JobName]: (payload: JobPayload<N>, ctx: JobContext) => Promise<void> };

export const handlers: JobHandlers = {
  'create-cluster': createCluster,
  'delete-cluster': deleteCluster,
};

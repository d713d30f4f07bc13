export * from './jobs/catalog.js';
export type { JobContext, JobLogger } from './jobs/context.js';
export { handlers, type JobHandlers } from './jobs/handlers.js';
export { type HealAction, HealMonitor } from './jobs/heal.js';
export { requeueUnfinishedOperations } from './jobs/requeue.js';
export * from './worker.js';
export * from './jobs/reconcile.js';
export * from './kafka/cluster-admin.js';
export * from './monitor/index.js';

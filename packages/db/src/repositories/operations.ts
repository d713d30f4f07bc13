import type { ClientOrTransaction } from '../client.js';
import type {
  ClusterOperation,
  OperationState,
  OperationStep,
  Prisma,
  StepStatus,
} from '../generated/prisma/client.js';

export type OperationWithSteps = ClusterOperation & { steps: OperationStep[] };

export function createOperation(
  db: ClientOrTransaction,
  data: Prisma.ClusterOperationUncheckedCreateInput,
): Promise<ClusterOperation> {
  return db.clusterOperation.create({ data });
}

export function findOperationByArn(db: ClientOrTransaction, arn: string): Promise<OperationWithSteps | null> {
  return db.clusterOperation.findUnique({ where: { arn }, include: { steps: { orderBy: { index: 'asc' } } } });
}

export function findOperationById(db: ClientOrTransaction, id: string): Promise<OperationWithSteps | null> {
  return db.clusterOperation.findUnique({ where: { id }, include: { steps: { orderBy: { index: 'asc' } } } });
}

/** A cluster's operations, newest first (MSK's ListClusterOperations order). */
export async function listOperations(
  db: ClientOrTransaction,
  options: { clusterArn: string; maxResults: number; nextToken?: string },
): Promise<{ operations: OperationWithSteps[]; nextToken: string | null }> {
  const rows = await db.clusterOperation.findMany({
    where: { clusterArn: options.clusterArn },
    orderBy: [{ startTime: 'desc' }, { arn: 'desc' }],
    take: options.maxResults + 1,
    ...(options.nextToken ? { cursor: { arn: options.nextToken }, skip: 1 } : {}),
    include: { steps: { orderBy: { index: 'asc' } } },
  });
  const more = rows.length > options.maxResults;
  const operations = more ? rows.slice(0, options.maxResults) : rows;
  return { operations, nextToken: more ? (operations.at(-1)?.arn ?? null) : null };
}

export function setOperationState(
  db: ClientOrTransaction,
  id: string,
  state: OperationState,
  extra: { errorCode?: string | null; errorString?: string | null; endTime?: Date | null; jobId?: string } = {},
): Promise<ClusterOperation> {
  return db.clusterOperation.update({ where: { id }, data: { operationState: state, ...extra } });
}

/**
 * Marks step `name` IN_PROGRESS (creating it at the end of the list the first time), so a resumed job
 * finds the same row again. Returns the step as it was before, to tell a completed step from a new one.
 */
export async function beginStep(db: ClientOrTransaction, operationId: string, name: string): Promise<OperationStep> {
  const existing = await db.operationStep.findUnique({ where: { operationId_name: { operationId, name } } });
  if (existing) {
    if (existing.status === 'COMPLETE') return existing;
    return db.operationStep.update({
      where: { operationId_name: { operationId, name } },
      data: { status: 'IN_PROGRESS', startedAt: new Date(), endedAt: null, error: null },
    });
  }
  const index = await db.operationStep.count({ where: { operationId } });
  return db.operationStep.create({
    data: { operationId, name, index, status: 'IN_PROGRESS', startedAt: new Date() },
  });
}

export function endStep(
  db: ClientOrTransaction,
  operationId: string,
  name: string,
  status: Extract<StepStatus, 'COMPLETE' | 'FAILED'>,
  extra: { detail?: Prisma.InputJsonValue; error?: string } = {},
): Promise<OperationStep> {
  return db.operationStep.update({
    where: { operationId_name: { operationId, name } },
    data: { status, endedAt: new Date(), ...extra },
  });
}

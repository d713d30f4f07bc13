/**
 * What every day-2 operation (reboot, broker type, configuration, version, broker count, storage) does
 * around its own work (issue 7): the API has already moved the cluster out of ACTIVE (UPDATING or
 * REBOOTING_BROKER) with a new currentVersion and written the operation with its source and target
 * (MSK's DescribeClusterOperationV2 sourceClusterInfo/targetClusterInfo); the job marks the operation
 * UPDATE_IN_PROGRESS, does its recorded steps, then in one transaction writes the cluster's new
 * attributes, puts it back to ACTIVE and completes the operation.
 *
 * A failure that is final (last attempt, or an UnrecoverableError such as a roll that could not proceed
 * within its time limit) fails the operation with the reason and returns the cluster to ACTIVE, as MSK
 * does after a failed update: the brokers kept running throughout, so the cluster is still usable.
 */
import { type Cluster, type ClusterOperation, clusters, operations, type Prisma } from '@flotilla/db';
import { UnrecoverableError } from 'bullmq';
import { type ClusterEndpoint, clusterEndpoint } from '../kafka/cluster-endpoint.js';
import type { JobContext } from './context.js';

export interface OperationJobPayload {
  readonly operationId: string;
  readonly clusterId: string;
}

export interface OperationScope {
  readonly cluster: Cluster;
  readonly operation: ClusterOperation;
  /** How the control plane reaches the cluster (cluster-endpoint.ts). */
  readonly endpoint: ClusterEndpoint;
  /** The operation's targetClusterInfo, as the API wrote it. */
  readonly target: Record<string, unknown>;
}

/**
 * Runs `body` as the operation's work. `body` returns the cluster attributes to write when it is done
 * (e.g. the new instanceType); they are written together with ACTIVE and UPDATE_COMPLETE.
 */
export async function runClusterOperation(
  payload: OperationJobPayload,
  ctx: JobContext,
  body: (scope: OperationScope) => Promise<Prisma.ClusterUpdateInput>,
): Promise<void> {
  const { catalog } = ctx;
  const operation = await operations.findOperationById(catalog, payload.operationId);
  if (!operation) throw new UnrecoverableError(`operation ${payload.operationId} is not in the catalog`);
  if (operation.operationState === 'UPDATE_COMPLETE' || operation.operationState === 'UPDATE_FAILED') return;
  const cluster = await catalog.cluster.findUnique({ where: { id: payload.clusterId } });
  if (!cluster) throw new UnrecoverableError(`cluster ${payload.clusterId} is not in the catalog`);
  const endpoint = clusterEndpoint(cluster, ctx.box);
  if (!endpoint) throw new UnrecoverableError(`cluster ${cluster.name} has no brokers yet`);
  try {
    await operations.setOperationState(catalog, operation.id, 'UPDATE_IN_PROGRESS');
    const changes = await body({
      cluster,
      operation,
      endpoint,
      target: (operation.targetClusterInfo ?? {}) as Record<string, unknown>,
    });
    await catalog.$transaction(async (tx) => {
      await clusters.updateCluster(tx, cluster.id, {
        ...changes,
        state: 'ACTIVE',
        stateCode: null,
        stateMessage: null,
      });
      await operations.setOperationState(tx, operation.id, 'UPDATE_COMPLETE', { endTime: new Date() });
    });
    ctx.log.info('operation complete', { operation: operation.operationType, cluster: cluster.name });
  } catch (error) {
    if (ctx.finalAttempt || error instanceof UnrecoverableError) {
      const reason = error instanceof Error ? error.message : String(error);
      ctx.log.error('operation failed', { operation: operation.operationType, cluster: cluster.name, reason });
      await catalog.$transaction(async (tx) => {
        await operations.setOperationState(tx, operation.id, 'UPDATE_FAILED', {
          errorCode: error instanceof UnrecoverableError ? 'InvalidRequest' : 'InternalError',
          errorString: reason,
          endTime: new Date(),
        });
        await clusters.setClusterState(tx, cluster.id, 'ACTIVE');
      });
    }
    throw error;
  }
}

/**
 * delete-cluster: removes every broker, volume and the network from the runtime, then the cluster's
 * catalog rows (brokers, topics, ACLs, users and tags go with it), as MSK forgets a deleted cluster.
 * The operation row stays, with the cluster's ARN, so DescribeClusterOperationV2 still answers.
 *
 * Steps: remove-runtime-resources (the driver's deleteCluster is idempotent), remove-from-catalog.
 */
import { clusters, operations, tags } from '@flotilla/db';
import { UnrecoverableError } from 'bullmq';
import type { JobPayload } from './catalog.js';
import type { JobContext } from './context.js';
import { runStep } from './steps.js';

export async function deleteCluster(payload: JobPayload<'delete-cluster'>, ctx: JobContext): Promise<void> {
  const { catalog, driver } = ctx;
  const { operationId, clusterId } = payload;
  const operation = await operations.findOperationById(catalog, operationId);
  if (!operation) throw new UnrecoverableError(`operation ${operationId} is not in the catalog`);
  if (operation.operationState === 'UPDATE_COMPLETE') return;
  try {
    await operations.setOperationState(catalog, operationId, 'UPDATE_IN_PROGRESS');
    await runStep(catalog, operationId, 'remove-runtime-resources', async () => {
      await driver.deleteCluster(clusterId);
      const left = await driver.listBrokers(clusterId);
      if (left.length > 0) throw new Error(`${left.length} broker(s) still present after removal`);
      return { removed: true };
    });
    await runStep(catalog, operationId, 'remove-from-catalog', async () => {
      await catalog.$transaction(async (tx) => {
        await clusters.removeCluster(tx, clusterId);
        await tags.removeAllTags(tx, operation.clusterArn);
        await operations.setOperationState(tx, operationId, 'UPDATE_COMPLETE', { endTime: new Date() });
      });
      return null;
    });
    ctx.log.info('cluster deleted', { clusterId });
  } catch (error) {
    if (ctx.finalAttempt || error instanceof UnrecoverableError) {
      const reason = error instanceof Error ? error.message : String(error);
      await catalog.$transaction(async (tx) => {
        await operations.setOperationState(tx, operationId, 'UPDATE_FAILED', {
          errorCode: 'InternalError',
          errorString: reason,
          endTime: new Date(),
        });
        const exists = await tx.cluster.count({ where: { id: clusterId } });
        if (exists) await clusters.setClusterState(tx, clusterId, 'FAILED', { code: 'DELETE_FAILED', message: reason });
      });
    }
    throw error;
  }
}

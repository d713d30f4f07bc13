/**
 * update-broker-type (MSK's UpdateBrokerType, operation type UPDATE_BROKER_TYPE): new CPU and memory
 * limits from the target instance type (runtime scaleLimits: a fraction of MSK's vCPU/GiB fitted to
 * this host), applied by a safe rolling restart that replaces each broker from its spec with the new
 * limits (same node id, ports and volume).
 */
import { brokerType, hostCapacity, scaleLimits } from '@flotilla/runtime';
import { UnrecoverableError } from 'bullmq';
import type { JobPayload } from './catalog.js';
import type { JobContext } from './context.js';
import { rollingRestart } from './rolling-restart.js';
import { runClusterOperation } from './update-common.js';

export async function updateBrokerType(payload: JobPayload<'update-broker-type'>, ctx: JobContext): Promise<void> {
  await runClusterOperation(payload, ctx, async ({ endpoint, target }) => {
    const instanceType = String(target.instanceType ?? '');
    let limits: ReturnType<typeof scaleLimits>;
    try {
      limits = scaleLimits(brokerType(instanceType), hostCapacity());
    } catch (error) {
      throw new UnrecoverableError((error as Error).message);
    }
    await rollingRestart(ctx, {
      operationId: payload.operationId,
      clusterId: payload.clusterId,
      endpoint,
      nextSpec: (spec) => ({ ...spec, limits }),
    });
    const groupInfo = await ctx.catalog.cluster.findUniqueOrThrow({
      where: { id: payload.clusterId },
      select: { brokerNodeGroupInfo: true },
    });
    return {
      instanceType,
      brokerNodeGroupInfo: { ...(groupInfo.brokerNodeGroupInfo as Record<string, unknown>), instanceType },
    };
  });
}

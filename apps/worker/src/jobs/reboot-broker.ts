/**
 * reboot-broker (MSK's RebootBroker, operation type REBOOT_NODE): restarts the brokers the request
 * names, one at a time, through the same safety checks as a rolling restart (rolling-restart.ts): it
 * waits until no partition is under-replicated and none would fall below min.insync.replicas, stops
 * the broker gracefully (controlled shutdown), starts it with the same spec, and waits until it is in
 * sync again. The cluster is REBOOTING_BROKER meanwhile (set by the API), ACTIVE after.
 */
import type { JobPayload } from './catalog.js';
import type { JobContext } from './context.js';
import { rollOneBroker } from './rolling-restart.js';
import { runClusterOperation } from './update-common.js';

export async function rebootBroker(payload: JobPayload<'reboot-broker'>, ctx: JobContext): Promise<void> {
  await runClusterOperation(payload, ctx, async ({ endpoint, target }) => {
    const brokerIds = (target.brokerIds as string[] | undefined) ?? [];
    for (const id of brokerIds.map(Number)) {
      await rollOneBroker(
        ctx,
        { operationId: payload.operationId, clusterId: payload.clusterId, endpoint, nextSpec: (spec) => spec },
        id,
        `reboot-broker-${id}`,
      );
    }
    return {};
  });
}

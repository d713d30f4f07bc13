/**
 * update-storage (MSK's UpdateBrokerStorage and UpdateStorage, operation type UPDATE_BROKER_STORAGE):
 * grows every broker's storage to the target size (MSK only grows volumes), online, as MSK does: no
 * broker restarts. A broker's storage is the limit it enforces itself, `log.dirs.max.bytes` (past it,
 * produce is refused with KAFKA_STORAGE_ERROR while retention keeps deleting old segments); that key is
 * a per-broker dynamic config, so each broker gets it by IncrementalAlterConfigs on its own resource,
 * kept in the cluster's metadata log across restarts. One step per broker (`grow-broker-N`): the new
 * limit set, read back from that broker, and recorded in its catalog spec (storageBytes, and the static
 * key too) so a broker rebuilt later by healing or a roll starts with the same size.
 */
import { AlterConfigOp, ConfigResourceType } from '@flotilla/protocol';
import { UnrecoverableError } from 'bullmq';
import { currentBrokerSpec, recordBrokerSpec } from './broker-spec.js';
import type { JobPayload } from './catalog.js';
import type { JobContext } from './context.js';
import { DEFAULT_BROKER_TIMEOUT_MS, waitUntil, withAdmin } from './rolling-restart.js';
import { runStep } from './steps.js';
import { runClusterOperation } from './update-common.js';

const GIB = 1024 ** 3;
/** The broker config that bounds the bytes its log directories may hold. */
export const STORAGE_LIMIT_KEY = 'log.dirs.max.bytes';

export async function updateStorage(payload: JobPayload<'update-storage'>, ctx: JobContext): Promise<void> {
  await runClusterOperation(payload, ctx, async ({ endpoint, target }) => {
    const volumeSizeGB = Number(target.volumeSizeGB);
    if (!Number.isInteger(volumeSizeGB) || volumeSizeGB < 1) {
      throw new UnrecoverableError(`target volume size ${String(target.volumeSizeGB)} GiB is not valid`);
    }
    const storageBytes = volumeSizeGB * GIB;
    const limit = String(storageBytes);
    const brokers = await ctx.catalog.broker.findMany({
      where: { clusterId: payload.clusterId },
      orderBy: { nodeId: 'asc' },
      select: { nodeId: true },
    });
    for (const { nodeId } of brokers) {
      await runStep(ctx.catalog, payload.operationId, `grow-broker-${nodeId}`, async () => {
        const started = Date.now();
        // A broker that is down (being healed, say) is waited for: its own resource is set on it, once
        // (each SET is a metadata record), then read back until the broker has applied it.
        const resource = { type: ConfigResourceType.BROKER, name: String(nodeId) };
        let set = false;
        await waitUntil(ctx, DEFAULT_BROKER_TIMEOUT_MS, `broker ${nodeId} storage limit not applied`, () =>
          withAdmin(endpoint, async (admin) => {
            if (!set) {
              await admin.incrementalAlterConfigs([
                { ...resource, ops: [{ name: STORAGE_LIMIT_KEY, value: limit, op: AlterConfigOp.SET }] },
              ]);
              set = true;
            }
            const [described] = await admin.describeConfigs([{ ...resource, keys: [STORAGE_LIMIT_KEY] }]);
            const value = described?.configs.find((c) => c.name === STORAGE_LIMIT_KEY)?.value;
            return value === limit ? null : `broker ${nodeId} reports ${STORAGE_LIMIT_KEY}=${value}`;
          }).catch((error: unknown) => (error instanceof Error ? error.message : String(error))),
        );
        const ref = { clusterId: payload.clusterId, nodeId };
        const spec = await currentBrokerSpec(ctx, ref);
        if (spec) {
          await recordBrokerSpec(
            ctx.catalog,
            { ...spec, storageBytes, config: { ...spec.config, [STORAGE_LIMIT_KEY]: limit } },
            ctx.box,
          );
        }
        return { nodeId, storageBytes, tookMs: Date.now() - started, restarted: false };
      });
    }
    return { volumeSizeGiB: volumeSizeGB };
  });
}

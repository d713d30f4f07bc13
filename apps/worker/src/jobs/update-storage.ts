/**
 * update-storage (MSK's UpdateBrokerStorage and UpdateStorage, operation type UPDATE_BROKER_STORAGE):
 * grows every broker's storage to the target size (MSK only grows volumes). Each broker's spec gets
 * the new storageBytes (the volume's size: a Docker volume label, the broker's own limit) and the
 * broker config `log.dirs.max.bytes`, the limit past which the broker refuses produce requests with
 * KAFKA_STORAGE_ERROR while retention keeps deleting old segments; the new spec is applied by a safe
 * rolling restart, since a volume's limit is fixed when its container is created.
 */
import { UnrecoverableError } from 'bullmq';
import type { JobPayload } from './catalog.js';
import type { JobContext } from './context.js';
import { rollingRestart } from './rolling-restart.js';
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
    await rollingRestart(ctx, {
      operationId: payload.operationId,
      clusterId: payload.clusterId,
      endpoint,
      nextSpec: (spec) => ({
        ...spec,
        storageBytes,
        config: { ...spec.config, [STORAGE_LIMIT_KEY]: String(storageBytes) },
      }),
    });
    return { volumeSizeGiB: volumeSizeGB };
  });
}

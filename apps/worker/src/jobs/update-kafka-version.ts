/**
 * update-kafka-version (MSK's UpdateClusterKafkaVersion, operation type UPDATE_CLUSTER_KAFKA_VERSION):
 * a safe rolling restart onto the target version's broker image from the version catalog (runtime
 * versions.ts), each broker replaced with the same node id, ports and volume. The API has already
 * checked that the target is one of GetCompatibleKafkaVersions' answers.
 */
import { resolveKafkaVersion } from '@flotilla/runtime';
import { UnrecoverableError } from 'bullmq';
import type { JobPayload } from './catalog.js';
import type { JobContext } from './context.js';
import { rollingRestart } from './rolling-restart.js';
import { runClusterOperation } from './update-common.js';

export async function updateKafkaVersion(payload: JobPayload<'update-kafka-version'>, ctx: JobContext): Promise<void> {
  await runClusterOperation(payload, ctx, async ({ bootstrap, target }) => {
    const name = String(target.kafkaVersion ?? '');
    let version: ReturnType<typeof resolveKafkaVersion>;
    try {
      version = resolveKafkaVersion(name);
    } catch (error) {
      throw new UnrecoverableError((error as Error).message);
    }
    await rollingRestart(ctx, {
      operationId: payload.operationId,
      clusterId: payload.clusterId,
      bootstrap,
      nextSpec: (spec) => ({ ...spec, image: version.image, kafkaVersion: version.name }),
    });
    return { kafkaVersion: version.name };
  });
}

/**
 * update-kafka-version (MSK's UpdateClusterKafkaVersion, operation type UPDATE_CLUSTER_KAFKA_VERSION):
 * a safe rolling restart onto the target version's broker image from the version catalog (runtime
 * versions.ts), each broker replaced with the same node id, ports and volume. The API has already
 * checked that the target is one of GetCompatibleKafkaVersions' answers. When the call names a
 * configuration (MSK allows one with the upgrade), its properties go into the brokers' server.properties
 * in the same roll, and it becomes the cluster's configuration.
 */
import { configurations, type Prisma } from '@flotilla/db';
import { parseServerProperties, RESERVED_KEYS, resolveKafkaVersion } from '@flotilla/runtime';
import { UnrecoverableError } from 'bullmq';
import type { JobPayload } from './catalog.js';
import type { JobContext } from './context.js';
import { rollingRestart } from './rolling-restart.js';
import { runClusterOperation } from './update-common.js';

export async function updateKafkaVersion(payload: JobPayload<'update-kafka-version'>, ctx: JobContext): Promise<void> {
  await runClusterOperation(payload, ctx, async ({ endpoint, target }) => {
    const name = String(target.kafkaVersion ?? '');
    let version: ReturnType<typeof resolveKafkaVersion>;
    try {
      version = resolveKafkaVersion(name);
    } catch (error) {
      throw new UnrecoverableError((error as Error).message);
    }
    const info = target.configurationInfo as { arn: string; revision: number } | undefined;
    const properties = info ? await revisionProperties(ctx, info.arn, info.revision) : {};
    await rollingRestart(ctx, {
      operationId: payload.operationId,
      clusterId: payload.clusterId,
      endpoint,
      nextSpec: (spec) => ({
        ...spec,
        image: version.image,
        kafkaVersion: version.name,
        config: { ...spec.config, ...properties },
      }),
    });
    const changes: Prisma.ClusterUpdateInput = { kafkaVersion: version.name };
    return info ? { ...changes, configurationArn: info.arn, configurationRevision: info.revision } : changes;
  });
}

async function revisionProperties(ctx: JobContext, arn: string, revision: number): Promise<Record<string, string>> {
  const configuration = await configurations.findConfigurationByArn(ctx.catalog, arn);
  const row = configuration ? await configurations.findRevision(ctx.catalog, configuration.id, revision) : null;
  if (!row) throw new UnrecoverableError(`configuration ${arn} revision ${revision} does not exist`);
  let properties: Record<string, string>;
  try {
    properties = parseServerProperties(row.serverProperties);
  } catch (error) {
    throw new UnrecoverableError(`configuration ${arn} revision ${revision}: ${(error as Error).message}`);
  }
  const reserved = Object.keys(properties).filter((k) => RESERVED_KEYS.has(k));
  if (reserved.length > 0) throw new UnrecoverableError(`the configuration may not set ${reserved.join(', ')}`);
  return properties;
}

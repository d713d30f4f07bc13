/**
 * create-cluster: from a CREATING catalog row to running brokers and an ACTIVE cluster.
 *
 * Steps (each recorded on the operation, skipped when a retried job finds it COMPLETE):
 *   plan            ports on 127.0.0.1 and one BrokerSpec per broker (stored, so a resumed job reuses the
 *                   same ports and specs instead of planning a second cluster)
 *   network         the cluster network (Docker) / state directory (processes)
 *   volumes         one data volume per broker
 *   format          a secured cluster's controllers formatted with the control plane's SCRAM user
 *                   (`format --add-scram`, runtime formatBroker), so it can log in from the first start
 *   brokers         one container/process per broker, created and started (the driver's calls are
 *                   idempotent: a broker made before a crash is found again, not made twice), and its
 *                   spec recorded on its catalog row (broker-spec.ts: what healing rebuilds it from)
 *   wait-for-brokers  every broker registered in the cluster's metadata, asked with Kafka's own
 *                   DescribeCluster/Metadata through @flotilla/protocol's AdminClient
 *   round-trip      a topic created, one record produced with acks=all and fetched back (canary.ts)
 *   activate        bootstrap addresses written (each listener's, runtime bootstrapColumns), cluster
 *                   ACTIVE, operation UPDATE_COMPLETE
 *
 * The control plane reaches the brokers through the cluster's endpoint (kafka/cluster-endpoint.ts):
 * the CONTROL_PLANE listeners with SCRAM on a secured cluster, the PLAINTEXT ones otherwise.
 *
 * When the last attempt fails (or an UnrecoverableError is thrown), the runtime resources are removed
 * and the cluster is left FAILED with the reason, the operation UPDATE_FAILED (MSK's behaviour: a
 * FAILED cluster can only be deleted).
 */
import { clusters, configurations, operations, type Prisma } from '@flotilla/db';
import { AdminClient } from '@flotilla/protocol';
import {
  type BrokerSpec,
  bootstrapColumns,
  controllerIds,
  parseServerProperties,
  planCluster,
  RuntimeError,
} from '@flotilla/runtime';
import { UnrecoverableError } from 'bullmq';
import {
  adminOptions,
  type ClusterEndpoint,
  controlPlaneEndpoint,
  plaintextEndpoint,
} from '../kafka/cluster-endpoint.js';
import { recordBrokerSpec } from './broker-spec.js';
import { canaryRoundTrip } from './canary.js';
import type { JobPayload } from './catalog.js';
import { clusterSecurity, controlPlaneScram, openSpecSecrets, sealSpecSecrets } from './cluster-security.js';
import type { JobContext } from './context.js';
import { runStep } from './steps.js';

/** How long brokers have to register after they start, per attempt. */
const REGISTRATION_TIMEOUT_MS = 120_000;
const POLL_INTERVAL_MS = 250;
/** A broker the runtime has restarted this often while we wait is crash-looping: waiting longer is pointless. */
const MAX_RESTARTS_WHILE_WAITING = 3;

/** What the plan step records: broker keys sealed (cluster-security.ts), never in the clear. */
interface StoredPlan {
  readonly brokers: BrokerSpec[];
  readonly bootstrapServers: string;
}

export async function createCluster(payload: JobPayload<'create-cluster'>, ctx: JobContext): Promise<void> {
  const { catalog, driver } = ctx;
  const { operationId, clusterId } = payload;
  const cluster = await catalog.cluster.findUnique({ where: { id: clusterId } });
  if (!cluster) throw new UnrecoverableError(`cluster ${clusterId} is not in the catalog`);
  const operation = await operations.findOperationById(catalog, operationId);
  if (!operation) throw new UnrecoverableError(`operation ${operationId} is not in the catalog`);
  if (operation.operationState === 'UPDATE_COMPLETE') return;
  if (cluster.state !== 'CREATING') {
    throw new UnrecoverableError(`cluster ${cluster.name} is ${cluster.state}, not CREATING`);
  }

  try {
    await operations.setOperationState(catalog, operationId, 'UPDATE_IN_PROGRESS');
    await catalog.cluster.update({ where: { id: clusterId }, data: { runtime: driver.kind } });

    const plan = await runStep(catalog, operationId, 'plan', async () => {
      const configuration = await configurationProperties(ctx, cluster.configurationArn, cluster.configurationRevision);
      const planned = await planCluster(driver, {
        clusterId,
        brokerCount: cluster.numberOfBrokerNodes,
        kafkaVersion: cluster.kafkaVersion,
        brokerType: cluster.instanceType,
        storageGiB: cluster.volumeSizeGiB,
        configuration,
        ...securityOf(cluster, ctx),
      }).catch(permanentIfInvalid);
      const stored: StoredPlan = {
        brokers: planned.brokers.map((spec) => sealSpecSecrets(spec, ctx.box)),
        bootstrapServers: planned.bootstrapServers,
      };
      return stored as unknown as Prisma.InputJsonValue;
    }).then((detail) => {
      const stored = detail as unknown as StoredPlan;
      return { ...stored, brokers: stored.brokers.map((spec) => openSpecSecrets(spec, ctx.box)) };
    });
    const scram = controlPlaneScram(cluster, ctx.box);
    const endpoint: ClusterEndpoint =
      scram.length > 0 && cluster.controlPlanePasswordSealed && ctx.box
        ? controlPlaneEndpoint(plan.bootstrapServers, ctx.box.open(cluster.controlPlanePasswordSealed))
        : plaintextEndpoint(plan.bootstrapServers);

    await runStep(catalog, operationId, 'network', async () => {
      const network = await driver.ensureNetwork(clusterId);
      await clusters.updateCluster(catalog, clusterId, { networkId: network.id });
      return { networkId: network.id, name: network.name };
    });

    await runStep(catalog, operationId, 'volumes', async () => {
      const volumes = [];
      for (const spec of plan.brokers) {
        const volume = await driver.ensureVolume(spec);
        await clusters.upsertBroker(catalog, clusterId, spec.nodeId, { volume: volume.name, state: 'PENDING' });
        volumes.push(volume.name);
      }
      return { volumes };
    });

    if (scram.length > 0) {
      await runStep(catalog, operationId, 'format', async () => {
        // Controllers hold the metadata log the credential is seeded into (Kafka formats its
        // controllers with --add-scram; brokers get the records by replication).
        const voters = new Set(controllerIds(plan.brokers.map((b) => b.nodeId)));
        const formatted = [];
        for (const spec of plan.brokers.filter((b) => voters.has(b.nodeId))) {
          await driver.formatBroker(spec, { addScram: scram }).catch(permanentIfInvalid);
          formatted.push(spec.nodeId);
        }
        return { formatted };
      });
    }

    await runStep(catalog, operationId, 'brokers', async () => {
      const started = [];
      for (const spec of plan.brokers) {
        await driver.createBroker(spec).catch(permanentIfInvalid);
        const status = await driver.startBroker(spec);
        await recordBrokerSpec(catalog, spec, ctx.box, {
          containerId: status.id,
          host: '127.0.0.1',
          port: spec.ports.kafka,
          state: 'STARTING',
        });
        started.push({ nodeId: spec.nodeId, id: status.id });
      }
      return { started };
    });

    await runStep(catalog, operationId, 'wait-for-brokers', async () => {
      const registered = await waitForBrokers(plan, endpoint, ctx);
      for (const spec of plan.brokers) {
        await clusters.upsertBroker(catalog, clusterId, spec.nodeId, { state: 'RUNNING' });
      }
      return registered;
    });

    await runStep(catalog, operationId, 'round-trip', async () => {
      const result = await canaryRoundTrip(endpoint, plan.brokers.length, ctx.signal);
      return { ...result };
    });

    const addresses = bootstrapColumns(plan.brokers);
    await runStep(catalog, operationId, 'activate', async () => {
      await catalog.$transaction(async (tx) => {
        await clusters.updateCluster(tx, clusterId, {
          ...addresses,
          state: 'ACTIVE',
          stateCode: null,
          stateMessage: null,
        });
        await operations.setOperationState(tx, operationId, 'UPDATE_COMPLETE', { endTime: new Date() });
      });
      return { ...addresses };
    });
    ctx.log.info('cluster active', { clusterId, ...addresses });
  } catch (error) {
    if (ctx.finalAttempt || error instanceof UnrecoverableError) await failCreation(payload, ctx, error);
    throw error;
  }
}

/** The plan's security settings (runtime security.ts), or nothing for a PLAINTEXT cluster. */
function securityOf(
  cluster: Parameters<typeof clusterSecurity>[0],
  ctx: JobContext,
): { security?: NonNullable<ReturnType<typeof clusterSecurity>> } {
  const security = clusterSecurity(cluster, ctx.box);
  return security ? { security } : {};
}

/** The cluster's configuration revision as properties, checked by the runtime's rules. */
async function configurationProperties(
  ctx: JobContext,
  arn: string | null,
  revision: number | null,
): Promise<Record<string, string>> {
  if (!arn || revision === null) return {};
  const configuration = await configurations.findConfigurationByArn(ctx.catalog, arn);
  const row = configuration ? await configurations.findRevision(ctx.catalog, configuration.id, revision) : null;
  if (!row) throw new UnrecoverableError(`configuration ${arn} revision ${revision} no longer exists`);
  try {
    return parseServerProperties(row.serverProperties);
  } catch (error) {
    throw new UnrecoverableError(`configuration ${arn} revision ${revision}: ${(error as Error).message}`);
  }
}

/** A spec the runtime calls invalid will be invalid on every retry too. */
function permanentIfInvalid(error: unknown): never {
  if (error instanceof RuntimeError && (error.code === 'INVALID_SPEC' || error.code === 'UNKNOWN_VERSION')) {
    throw new UnrecoverableError(`${error.code}: ${error.message}`);
  }
  throw error;
}

/**
 * Polls the cluster until every planned broker is in its metadata. Retriable failures (connection
 * refused while brokers start) are part of waiting; the step fails when REGISTRATION_TIMEOUT_MS passes.
 */
async function waitForBrokers(
  plan: StoredPlan,
  endpoint: ClusterEndpoint,
  ctx: JobContext,
): Promise<Prisma.InputJsonValue> {
  const expected = new Set(plan.brokers.map((b) => b.nodeId));
  const deadline = Date.now() + REGISTRATION_TIMEOUT_MS;
  let lastProblem = 'no answer yet';
  while (Date.now() < deadline) {
    ctx.signal.throwIfAborted();
    await checkBrokersAlive(plan, ctx);
    const admin = new AdminClient({
      ...adminOptions(endpoint),
      clientId: 'flotilla-worker',
      connectTimeoutMs: 2_000,
      requestTimeoutMs: 5_000,
      retries: 0,
    });
    try {
      const description = await admin.describeCluster();
      const seen = new Set(description.brokers.map((b) => b.nodeId));
      const missing = [...expected].filter((id) => !seen.has(id));
      if (missing.length === 0 && description.controllerId >= 0) {
        return {
          kafkaClusterId: description.clusterId,
          controllerId: description.controllerId,
          brokers: description.brokers.map((b) => `${b.nodeId}@${b.host}:${b.port}`),
        };
      }
      lastProblem =
        missing.length > 0 ? `brokers ${missing.join(', ')} not registered yet` : 'no active controller yet';
    } catch (error) {
      lastProblem = error instanceof Error ? error.message : String(error);
    } finally {
      await admin.close();
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  throw new Error(`brokers did not all register within ${REGISTRATION_TIMEOUT_MS / 1000} s: ${lastProblem}`);
}

/**
 * Fails the wait at once, with the broker's last log lines, when the runtime says a broker is not
 * running or keeps restarting (a broker that cannot start will not start on a retry either).
 */
async function checkBrokersAlive(plan: StoredPlan, ctx: JobContext): Promise<void> {
  for (const spec of plan.brokers) {
    const status = await ctx.driver.inspectBroker(spec);
    const down = status.state === 'exited' || status.state === 'dead' || status.state === 'missing';
    if (down || status.restartCount >= MAX_RESTARTS_WHILE_WAITING) {
      const logs = await ctx.driver.logs(spec, { tail: 5 }).catch(() => '');
      throw new UnrecoverableError(
        `broker ${spec.nodeId} is ${status.state}${status.restartCount ? ` after ${status.restartCount} restarts` : ''}` +
          `${status.exitCode !== null ? ` (exit code ${status.exitCode})` : ''}; last log lines:\n${logs.trim()}`,
      );
    }
  }
}

/** Final failure: remove what was made, leave the cluster FAILED with the reason (MSK's StateInfo). */
async function failCreation(payload: JobPayload<'create-cluster'>, ctx: JobContext, error: unknown): Promise<void> {
  const reason = error instanceof Error ? error.message : String(error);
  ctx.log.error('cluster creation failed', { clusterId: payload.clusterId, reason });
  try {
    await ctx.driver.deleteCluster(payload.clusterId);
  } catch (cleanup) {
    ctx.log.warn('cleanup after failed creation did not finish', {
      clusterId: payload.clusterId,
      error: String(cleanup),
    });
  }
  await ctx.catalog.$transaction(async (tx) => {
    await tx.broker.deleteMany({ where: { clusterId: payload.clusterId } });
    await clusters.setClusterState(tx, payload.clusterId, 'FAILED', { code: 'PROVISIONING_FAILED', message: reason });
    await operations.setOperationState(tx, payload.operationId, 'UPDATE_FAILED', {
      errorCode: error instanceof UnrecoverableError ? 'InvalidRequest' : 'InternalError',
      errorString: reason,
      endTime: new Date(),
    });
  });
}

/**
 * MSK's update calls (issue 7): RebootBroker, UpdateBrokerCount, UpdateBrokerType, UpdateBrokerStorage,
 * UpdateStorage, UpdateClusterConfiguration, UpdateClusterKafkaVersion, UpdateSecurity.
 *
 * Each is accepted only while the cluster is ACTIVE and, where the call carries one, with the cluster's
 * currentVersion (MSK's optimistic concurrency, answered with BadRequestException when stale). In one
 * transaction the cluster moves to UPDATING (REBOOTING_BROKER for a reboot) with a new currentVersion
 * and a ClusterOperation is written with MSK's sourceClusterInfo/targetClusterInfo; then the job is
 * queued (apps/worker jobs/update-*.ts, reboot-broker.ts), and undone if Redis refuses it.
 */
import { randomUUID } from 'node:crypto';
import { type ClusterState, clusters, configurations, operations, type Prisma } from '@flotilla/db';
import { AdminClient } from '@flotilla/protocol';
import {
  BROKER_TYPES,
  type ClientAccess,
  compatibleKafkaVersions,
  controllerIds,
  type MskClientAuthentication,
  type MskEncryptionInfo,
  resolveClientAccess,
  SecuritySettingsError,
} from '@flotilla/runtime';
import { adminOptions, clusterEndpoint } from '@flotilla/worker';
import type { JobName } from '@flotilla/worker/jobs';
import { operationArn } from '../lib/arn.js';
import { badRequest, notFound } from '../lib/errors.js';
import type {
  RebootBrokerRequest,
  UpdateBrokerCountRequest,
  UpdateBrokerStorageRequest,
  UpdateBrokerTypeRequest,
  UpdateClusterConfigurationRequest,
  UpdateClusterKafkaVersionRequest,
  UpdateSecurityRequest,
  UpdateStorageRequest,
} from '../schemas/updates.js';
import { enqueueOrUndo, newClusterVersion, requireCluster } from './clusters.js';
import type { Services } from './context.js';

type ClusterRow = Awaited<ReturnType<typeof requireCluster>>;

interface Update {
  readonly operationType: string;
  readonly job: JobName;
  readonly busyState: Extract<ClusterState, 'UPDATING' | 'REBOOTING_BROKER'>;
  readonly source: Prisma.InputJsonValue;
  readonly target: Prisma.InputJsonValue;
}

/** MSK's rule: updates only in ACTIVE, and only at the version the caller last saw. */
function checkUpdatable(row: ClusterRow, currentVersion: string | undefined): void {
  if (row.state !== 'ACTIVE') {
    throw badRequest(`Cluster ${row.name} is ${row.state}; it can be updated only when it is ACTIVE`, 'clusterArn');
  }
  if (currentVersion !== undefined && currentVersion !== row.currentVersion) {
    throw badRequest(
      `The cluster's current version is ${row.currentVersion}, not ${currentVersion}. Describe the cluster and retry with its current version`,
      'currentVersion',
    );
  }
}

async function accept(s: Services, row: ClusterRow, update: Update) {
  const operationId = randomUUID();
  const accepted = await s.catalog.$transaction(async (tx) => {
    const ok = await clusters.updateClusterIfCurrent(
      tx,
      { arn: row.arn, currentVersion: row.currentVersion, expectedState: 'ACTIVE' },
      { currentVersion: newClusterVersion(), state: update.busyState },
    );
    if (!ok) return false;
    await operations.createOperation(tx, {
      id: operationId,
      arn: operationArn(s.arns, row.name, row.id, operationId),
      clusterId: row.id,
      clusterArn: row.arn,
      operationType: update.operationType,
      sourceClusterInfo: update.source,
      targetClusterInfo: update.target,
    });
    return true;
  });
  if (!accepted) {
    throw badRequest('The cluster changed while the request was processed; describe it and retry', 'currentVersion');
  }
  await enqueueOrUndo(s, update.job, { operationId, clusterId: row.id }, async () => {
    await s.catalog.$transaction(async (tx) => {
      await tx.clusterOperation.deleteMany({ where: { id: operationId } });
      await tx.cluster.update({ where: { id: row.id }, data: { state: 'ACTIVE', currentVersion: row.currentVersion } });
    });
  });
  return { clusterArn: row.arn, clusterOperationArn: operationArn(s.arns, row.name, row.id, operationId) };
}

/** RebootBroker: one broker at a time, as MSK allows. */
export async function rebootBroker(s: Services, arn: string, request: RebootBrokerRequest) {
  const row = await requireCluster(s, arn);
  checkUpdatable(row, undefined);
  if (request.brokerIds.length !== 1) throw badRequest('Only one broker can be rebooted at a time', 'brokerIds');
  const id = Number(request.brokerIds[0]);
  if (!row.brokers.some((b) => b.nodeId === id)) throw badRequest(`Broker ${id} is not in the cluster`, 'brokerIds');
  return accept(s, row, {
    operationType: 'REBOOT_NODE',
    job: 'reboot-broker',
    busyState: 'REBOOTING_BROKER',
    source: {},
    target: { brokerIds: request.brokerIds },
  });
}

/**
 * UpdateBrokerCount. Scale in is refused when a topic's replication factor exceeds the brokers left
 * (asked of the cluster itself), or when it would remove a controller quorum voter.
 */
export async function updateBrokerCount(s: Services, arn: string, request: UpdateBrokerCountRequest) {
  const row = await requireCluster(s, arn);
  checkUpdatable(row, request.currentVersion);
  const target = request.targetNumberOfBrokerNodes;
  const current = row.brokers.map((b) => b.nodeId).sort((a, b) => a - b);
  const subnets = (row.brokerNodeGroupInfo as { clientSubnets?: string[] }).clientSubnets?.length ?? 1;
  if (target === current.length) {
    throw badRequest(`The cluster already has ${target} brokers`, 'targetNumberOfBrokerNodes');
  }
  if (target % subnets !== 0 || target / subnets > 15) {
    throw badRequest(
      `The number of broker nodes must be a multiple of the ${subnets} client subnet(s), at most 15 per subnet`,
      'targetNumberOfBrokerNodes',
    );
  }
  let brokerCountUpdateInfo: { createdBrokerIds: number[]; deletedBrokerIds: number[] };
  if (target > current.length) {
    const max = Math.max(0, ...current);
    brokerCountUpdateInfo = {
      createdBrokerIds: Array.from({ length: target - current.length }, (_, i) => max + 1 + i),
      deletedBrokerIds: [],
    };
  } else {
    const voters = new Set(controllerIds(current));
    const removable = current.filter((id) => !voters.has(id));
    if (removable.length < current.length - target) {
      throw badRequest(
        `The cluster cannot go below ${voters.size} brokers: brokers ${[...voters].join(', ')} form its controller quorum`,
        'targetNumberOfBrokerNodes',
      );
    }
    const maxReplicationFactor = await largestReplicationFactor(s, row);
    if (maxReplicationFactor > target) {
      throw badRequest(
        `The cluster has topics with replication factor ${maxReplicationFactor}; ${target} brokers cannot hold them. Lower their replication factor first`,
        'targetNumberOfBrokerNodes',
      );
    }
    brokerCountUpdateInfo = { createdBrokerIds: [], deletedBrokerIds: removable.slice(-(current.length - target)) };
  }
  return accept(s, row, {
    operationType: target > current.length ? 'INCREASE_BROKER_COUNT' : 'DECREASE_BROKER_COUNT',
    job: 'update-broker-count',
    busyState: 'UPDATING',
    source: { numberOfBrokerNodes: current.length },
    target: { numberOfBrokerNodes: target, brokerCountUpdateInfo },
  });
}

async function largestReplicationFactor(s: Services, row: ClusterRow): Promise<number> {
  const endpoint = clusterEndpoint(row, s.box);
  if (!endpoint) throw badRequest(`Cluster ${row.name} has no brokers to ask`, 'clusterArn');
  const admin = new AdminClient({
    ...adminOptions(endpoint),
    clientId: 'flotilla-api',
    connectTimeoutMs: 2_000,
    requestTimeoutMs: 5_000,
  });
  try {
    const metadata = await admin.metadata();
    return Math.max(0, ...metadata.topics.flatMap((t) => t.partitions.map((p) => p.replicas.length)));
  } finally {
    await admin.close();
  }
}

export async function updateBrokerType(s: Services, arn: string, request: UpdateBrokerTypeRequest) {
  const row = await requireCluster(s, arn);
  checkUpdatable(row, request.currentVersion);
  if (!BROKER_TYPES.some((t) => t.name === request.targetInstanceType)) {
    throw badRequest(`Unknown broker type ${request.targetInstanceType}`, 'targetInstanceType');
  }
  if (request.targetInstanceType === row.instanceType) {
    throw badRequest(`The brokers are already ${row.instanceType}`, 'targetInstanceType');
  }
  return accept(s, row, {
    operationType: 'UPDATE_BROKER_TYPE',
    job: 'update-broker-type',
    busyState: 'UPDATING',
    source: { instanceType: row.instanceType },
    target: { instanceType: request.targetInstanceType },
  });
}

async function updateVolume(s: Services, row: ClusterRow, volumeSizeGB: number | undefined) {
  if (volumeSizeGB === undefined) throw badRequest('volumeSizeGB is required', 'volumeSizeGB');
  // MSK grows volumes only.
  if (volumeSizeGB <= row.volumeSizeGiB) {
    throw badRequest(
      `The volume size can only grow: it is ${row.volumeSizeGiB} GiB, ${volumeSizeGB} GiB asked`,
      'volumeSizeGB',
    );
  }
  return accept(s, row, {
    operationType: 'UPDATE_BROKER_STORAGE',
    job: 'update-storage',
    busyState: 'UPDATING',
    source: { brokerEBSVolumeInfo: [{ kafkaBrokerNodeId: 'All', volumeSizeGB: row.volumeSizeGiB }] },
    target: {
      brokerEBSVolumeInfo: [{ kafkaBrokerNodeId: 'All', volumeSizeGB }],
      volumeSizeGB,
    },
  });
}

export async function updateBrokerStorage(s: Services, arn: string, request: UpdateBrokerStorageRequest) {
  const row = await requireCluster(s, arn);
  checkUpdatable(row, request.currentVersion);
  const [info, ...more] = request.targetBrokerEBSVolumeInfo;
  if (!info || more.length > 0 || info.kafkaBrokerNodeId.toUpperCase() !== 'ALL') {
    throw badRequest(
      'Give one entry with kafkaBrokerNodeId "All": every broker has the same size',
      'targetBrokerEBSVolumeInfo',
    );
  }
  return updateVolume(s, row, info.volumeSizeGB);
}

export async function updateStorage(s: Services, arn: string, request: UpdateStorageRequest) {
  const row = await requireCluster(s, arn);
  checkUpdatable(row, request.currentVersion);
  if (request.storageMode === 'TIERED') throw badRequest('Tiered storage is not supported by Flotilla', 'storageMode');
  return updateVolume(s, row, request.volumeSizeGB);
}

export async function updateClusterConfiguration(s: Services, arn: string, request: UpdateClusterConfigurationRequest) {
  const row = await requireCluster(s, arn);
  checkUpdatable(row, request.currentVersion);
  await requireRevision(s, request.configurationInfo);
  return accept(s, row, {
    operationType: 'UPDATE_CLUSTER_CONFIGURATION',
    job: 'update-configuration',
    busyState: 'UPDATING',
    source: row.configurationArn
      ? { configurationInfo: { arn: row.configurationArn, revision: row.configurationRevision } }
      : {},
    target: { configurationInfo: request.configurationInfo },
  });
}

async function requireRevision(s: Services, info: { arn: string; revision: number }) {
  const configuration = await configurations.findConfigurationByArn(s.catalog, info.arn);
  const revision = configuration ? await configurations.findRevision(s.catalog, configuration.id, info.revision) : null;
  if (!revision)
    throw notFound(`Configuration ${info.arn} revision ${info.revision} does not exist`, 'configurationInfo');
}

export async function updateClusterKafkaVersion(s: Services, arn: string, request: UpdateClusterKafkaVersionRequest) {
  const row = await requireCluster(s, arn);
  checkUpdatable(row, request.currentVersion);
  const allowed = compatibleKafkaVersions(row.kafkaVersion).map((v) => v.name);
  if (!allowed.includes(request.targetKafkaVersion)) {
    throw badRequest(
      `Kafka version ${request.targetKafkaVersion} is not a compatible target for ${row.kafkaVersion}; compatible: ${allowed.join(', ') || 'none'}`,
      'targetKafkaVersion',
    );
  }
  if (request.configurationInfo) await requireRevision(s, request.configurationInfo);
  return accept(s, row, {
    operationType: 'UPDATE_CLUSTER_KAFKA_VERSION',
    job: 'update-kafka-version',
    busyState: 'UPDATING',
    source: { kafkaVersion: row.kafkaVersion },
    target: {
      kafkaVersion: request.targetKafkaVersion,
      ...(request.configurationInfo ? { configurationInfo: request.configurationInfo } : {}),
    },
  });
}

/** MSK's answer to an UpdateSecurity that changes nothing. */
const NO_SECURITY_UPDATE =
  'The request does not include any updates to the security setting of the cluster. Verify the request, then try again.';

/** clientBroker of resolved settings (MSK's TLS, TLS_PLAINTEXT, PLAINTEXT). */
function clientBrokerOf(access: ClientAccess): 'TLS' | 'TLS_PLAINTEXT' | 'PLAINTEXT' {
  if (!access.plaintext) return 'TLS';
  return access.tls !== null || access.saslScram ? 'TLS_PLAINTEXT' : 'PLAINTEXT';
}

function resolveOrRefuse(auth: MskClientAuthentication | null, encryption: MskEncryptionInfo): ClientAccess {
  try {
    return resolveClientAccess(auth, encryption);
  } catch (error) {
    if (error instanceof SecuritySettingsError) throw badRequest(error.message, error.field);
    throw error;
  }
}

/**
 * UpdateSecurity (https://docs.aws.amazon.com/msk/latest/developerguide/msk-update-security.html): new
 * client authentication and/or client-broker encryption, by rolling restarts (worker
 * update-security.ts). MSK's rules: ACTIVE and the current version only; the combinations CreateCluster
 * allows (runtime security.ts: SCRAM and mTLS need TLS, PLAINTEXT needs unauthenticated access, at least
 * one way in, no IAM); encryption at rest and the in-cluster setting cannot be updated; a request that
 * changes nothing is refused.
 *
 * `clientAuthentication`, when given, is the cluster's whole new client authentication (what it does
 * not enable is off, as in CreateCluster); without it the current one stays. `clientBroker` absent keeps
 * the current one.
 *
 * Deviation from MSK, which cannot turn on SASL/SCRAM or mTLS on a cluster without TLS between brokers:
 * Flotilla's PLAINTEXT clusters (created without encryptionInfo) have none, where MSK's default has it;
 * enabling SCRAM or mTLS on them turns TLS between brokers on too (the brokers' certificates are how
 * they prove who they are to one another once ACLs apply), and encryptionInfo then says inCluster true.
 * It is never turned off.
 */
export async function updateSecurity(s: Services, arn: string, request: UpdateSecurityRequest) {
  const row = await requireCluster(s, arn);
  checkUpdatable(row, request.currentVersion);
  if (request.clientAuthentication === undefined && request.encryptionInfo === undefined) {
    throw badRequest(NO_SECURITY_UPDATE);
  }
  if (request.encryptionInfo?.encryptionAtRest !== undefined) {
    throw badRequest(
      'Updating encryption-at-rest settings on your cluster is not currently supported.',
      'encryptionInfo',
    );
  }
  const currentAuth = row.clientAuthentication as MskClientAuthentication | null;
  const currentEncryption = row.encryptionInfo as MskEncryptionInfo | null;
  const current = resolveClientAccess(currentAuth, currentEncryption);
  const auth = (request.clientAuthentication as MskClientAuthentication | undefined) ?? currentAuth;
  const transit = request.encryptionInfo?.encryptionInTransit;
  const clientBroker = transit?.clientBroker ?? clientBrokerOf(current);
  const next = resolveOrRefuse(auth, { encryptionInTransit: { clientBroker, inCluster: current.inClusterTls } });
  if (transit?.inCluster !== undefined && transit.inCluster !== next.inClusterTls) {
    throw badRequest(
      transit.inCluster === false && next.authorizer
        ? 'SASL/SCRAM and TLS client authentication require encryption between brokers (inCluster true)'
        : 'Updating the inter-broker encryption setting on your cluster is not currently supported.',
      'encryptionInfo',
    );
  }
  if (JSON.stringify(next) === JSON.stringify(current)) throw badRequest(NO_SECURITY_UPDATE);
  const encryptionInfo = {
    ...(currentEncryption?.encryptionAtRest !== undefined
      ? { encryptionAtRest: currentEncryption.encryptionAtRest }
      : {}),
    encryptionInTransit: { clientBroker, inCluster: next.inClusterTls },
  };
  const sourceEncryption = {
    ...(currentEncryption ?? {}),
    encryptionInTransit: { clientBroker: clientBrokerOf(current), inCluster: current.inClusterTls },
  };
  return accept(s, row, {
    operationType: 'UPDATE_SECURITY',
    job: 'update-security',
    busyState: 'UPDATING',
    source: {
      ...(currentAuth ? { clientAuthentication: currentAuth as Prisma.InputJsonValue } : {}),
      encryptionInfo: sourceEncryption as Prisma.InputJsonValue,
    },
    target: {
      ...(auth ? { clientAuthentication: auth as Prisma.InputJsonValue } : {}),
      encryptionInfo: encryptionInfo as Prisma.InputJsonValue,
    },
  });
}

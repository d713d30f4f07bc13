/**
 * Cluster calls: CreateClusterV2, DescribeClusterV2, ListClustersV2, DeleteCluster, GetBootstrapBrokers,
 * ListNodes. Mutations write the catalog rows and a ClusterOperation in one transaction, then enqueue
 * the operation's job; if Redis refuses the job, the rows are removed again so nothing half-created
 * remains (issue 6, "Bad input").
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { clusters, clusterViews, configurations, operations, Prisma, tags } from '@flotilla/db';
import {
  BROKER_TYPES,
  type ClientAccess,
  createCertificateAuthority,
  isPlaintextOnly,
  KAFKA_VERSIONS,
  type MskClientAuthentication,
  type MskEncryptionInfo,
  needsTls,
  resolveClientAccess,
  SecuritySettingsError,
} from '@flotilla/runtime';
import { enqueueJob, type JobName } from '@flotilla/worker/jobs';
import { clusterArn, nodeArn, operationArn } from '../lib/arn.js';
import { ApiError, badRequest, conflict, notFound } from '../lib/errors.js';
import type { CreateClusterRequest, CreateClusterV2Request } from '../schemas/msk.js';
import type { Services } from './context.js';
import { presentCluster, presentClusterInfo } from './present.js';

/** MSK: 1 to 15 brokers per Availability Zone, a multiple of the number of client subnets. */
const MAX_BROKERS_PER_ZONE = 15;
/** How long a mutating call waits for Redis to take its job. */
const ENQUEUE_TIMEOUT_MS = 3_000;
/** MSK's default EBS volume size when storageInfo is absent. */
const DEFAULT_VOLUME_GIB = 1000;

/** A fresh opaque currentVersion, in the style of MSK's (e.g. "K3AEGXETSR30VB"). */
export function newClusterVersion(): string {
  return `K${randomUUID().replaceAll('-', '').slice(0, 13).toUpperCase()}`;
}

export async function createCluster(s: Services, request: CreateClusterV2Request) {
  if (request.serverless) throw badRequest('Serverless clusters are not supported by Flotilla', 'serverless');
  const p = request.provisioned;
  if (!p) throw badRequest('provisioned is required', 'provisioned');
  const info = p.brokerNodeGroupInfo;
  if (!BROKER_TYPES.some((t) => t.name === info.instanceType)) {
    throw badRequest(
      `Unsupported instance type ${info.instanceType}. Supported: ${BROKER_TYPES.map((t) => t.name).join(', ')}`,
      'instanceType',
    );
  }
  const version = KAFKA_VERSIONS.find((v) => v.name === p.kafkaVersion);
  if (version?.status !== 'ACTIVE') {
    throw badRequest(
      `Unsupported Kafka version ${p.kafkaVersion}. Supported: ${KAFKA_VERSIONS.filter((v) => v.status === 'ACTIVE')
        .map((v) => v.name)
        .join(', ')}`,
      'kafkaVersion',
    );
  }
  const zones = info.clientSubnets.length;
  if (p.numberOfBrokerNodes % zones !== 0 || p.numberOfBrokerNodes / zones > MAX_BROKERS_PER_ZONE) {
    throw badRequest(
      `The number of broker nodes must be a multiple of the number of client subnets (${zones}) and at most ` +
        `${MAX_BROKERS_PER_ZONE} per subnet; got ${p.numberOfBrokerNodes}`,
      'numberOfBrokerNodes',
    );
  }
  if (p.configurationInfo) {
    const configuration = await configurations.findConfigurationByArn(s.catalog, p.configurationInfo.arn);
    if (configuration?.state !== 'ACTIVE') {
      throw badRequest(`Configuration ${p.configurationInfo.arn} does not exist`, 'configurationInfo');
    }
    if (p.configurationInfo.revision > configuration.latestRevision) {
      throw badRequest(
        `Configuration ${p.configurationInfo.arn} has no revision ${p.configurationInfo.revision}`,
        'configurationInfo',
      );
    }
    if (configuration.kafkaVersions.length > 0 && !configuration.kafkaVersions.includes(p.kafkaVersion)) {
      throw badRequest(
        `Configuration ${configuration.name} is for Kafka ${configuration.kafkaVersions.join(', ')}, not ${p.kafkaVersion}`,
        'configurationInfo',
      );
    }
  }
  const access = clientAccessOf(p.clientAuthentication, p.encryptionInfo);
  if (await clusters.findClusterByName(s.catalog, request.clusterName)) {
    throw conflict(`A cluster named ${request.clusterName} already exists`, 'clusterName');
  }

  const id = randomUUID();
  const arn = clusterArn(s.arns, request.clusterName, id);
  const operationId = randomUUID();
  const volumeSize = info.storageInfo?.ebsStorageInfo?.volumeSize ?? DEFAULT_VOLUME_GIB;
  const brokerNodeGroupInfo = {
    brokerAZDistribution: 'DEFAULT',
    ...info,
    storageInfo: { ebsStorageInfo: { volumeSize, ...info.storageInfo?.ebsStorageInfo } },
  };
  const target = {
    numberOfBrokerNodes: p.numberOfBrokerNodes,
    instanceType: info.instanceType,
    kafkaVersion: p.kafkaVersion,
    brokerEBSVolumeInfo: [{ kafkaBrokerNodeId: 'ALL', volumeSizeGB: volumeSize }],
    ...(p.configurationInfo ? { configurationInfo: p.configurationInfo } : {}),
    enhancedMonitoring: p.enhancedMonitoring ?? 'DEFAULT',
  };
  try {
    await s.catalog.$transaction(async (tx) => {
      await clusters.createCluster(tx, {
        id,
        arn,
        name: request.clusterName,
        state: 'CREATING',
        currentVersion: newClusterVersion(),
        kafkaVersion: p.kafkaVersion,
        numberOfBrokerNodes: p.numberOfBrokerNodes,
        brokerNodeGroupInfo,
        instanceType: info.instanceType,
        volumeSizeGiB: volumeSize,
        encryptionInfo: p.encryptionInfo ?? Prisma.DbNull,
        clientAuthentication: p.clientAuthentication ?? Prisma.DbNull,
        enhancedMonitoring: p.enhancedMonitoring ?? 'DEFAULT',
        openMonitoring: p.openMonitoring ?? Prisma.DbNull,
        loggingInfo: p.loggingInfo ?? Prisma.DbNull,
        storageMode: p.storageMode ?? 'LOCAL',
        configurationArn: p.configurationInfo?.arn ?? null,
        configurationRevision: p.configurationInfo?.revision ?? null,
        runtime: s.runtime,
        ...securityColumns(s, request.clusterName, access),
      });
      await operations.createOperation(tx, {
        id: operationId,
        arn: operationArn(s.arns, request.clusterName, id, operationId),
        clusterId: id,
        clusterArn: arn,
        operationType: 'CREATE',
        targetClusterInfo: target,
      });
      if (request.tags) await tags.setTags(tx, arn, request.tags);
    });
  } catch (error) {
    // Two creates with the same name racing: the unique index decides, as MSK's 409 says.
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
      throw conflict(`A cluster named ${request.clusterName} already exists`, 'clusterName');
    }
    throw error;
  }
  await enqueueOrUndo(s, 'create-cluster', { operationId, clusterId: id }, async () => {
    await s.catalog.$transaction(async (tx) => {
      await tx.clusterOperation.deleteMany({ where: { id: operationId } });
      await clusters.removeCluster(tx, id);
      await tags.removeAllTags(tx, arn);
    });
  });
  return { clusterArn: arn, clusterName: request.clusterName, state: 'CREATING', clusterType: 'PROVISIONED' };
}

/** MSK's client authentication and encryption settings, resolved (runtime security.ts); 400 as MSK refuses. */
function clientAccessOf(clientAuthentication: unknown, encryptionInfo: unknown): ClientAccess {
  try {
    return resolveClientAccess(
      clientAuthentication as MskClientAuthentication | undefined,
      encryptionInfo as MskEncryptionInfo | undefined,
    );
  } catch (error) {
    if (error instanceof SecuritySettingsError) throw badRequest(error.message, error.field);
    throw error;
  }
}

/**
 * A secured cluster's secrets, made once here and sealed under the master key: the control plane's
 * SCRAM password (base64url: safe inside `--add-scram [name=...,password=...]`) and, when any listener
 * uses TLS, the cluster's CA. A PLAINTEXT cluster gets neither.
 */
function securityColumns(s: Services, clusterName: string, access: ClientAccess) {
  if (isPlaintextOnly(access)) return {};
  const ca = needsTls(access) ? createCertificateAuthority(`Flotilla cluster ${clusterName} CA`) : null;
  return {
    controlPlanePasswordSealed: new Uint8Array(s.box.seal(randomBytes(24).toString('base64url'))),
    ...(ca ? { caCertificate: ca.certificate, caPrivateKeySealed: new Uint8Array(s.box.seal(ca.privateKey)) } : {}),
  };
}

/** Enqueues the operation's job; when that fails, runs `undo` and answers 503 (the caller may retry). */
export async function enqueueOrUndo(
  s: Services,
  name: JobName,
  payload: { operationId: string; clusterId: string },
  undo: () => Promise<void>,
): Promise<void> {
  try {
    // BullMQ waits for its Redis connection without a limit: bound it, so an outage answers 503.
    // A job that still lands after the undo finds no catalog rows and fails as unrecoverable.
    let timer: NodeJS.Timeout | undefined;
    const jobId = await Promise.race([
      enqueueJob(s.queue, name, payload),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`Redis did not answer in ${ENQUEUE_TIMEOUT_MS} ms`)),
          ENQUEUE_TIMEOUT_MS,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    await operations.setOperationState(s.catalog, payload.operationId, 'PENDING', { jobId });
  } catch (error) {
    await undo();
    throw new ApiError(
      'ServiceUnavailableException',
      `The operation could not be queued (${error instanceof Error ? error.message : String(error)}); nothing was changed`,
    );
  }
}

export async function requireCluster(s: Services, arn: string) {
  const row = await clusters.findClusterByArn(s.catalog, arn);
  if (!row) throw notFound(`Cluster ${arn} does not exist`, 'clusterArn');
  return row;
}

/** DescribeClusterV2: one catalog read (the cluster, its tags and its running operation). */
export async function describeCluster(s: Services, arn: string) {
  const view = await clusterViews.describeClusterView(s.catalog, arn);
  if (!view) throw notFound(`Cluster ${arn} does not exist`, 'clusterArn');
  return presentCluster(view);
}

export async function listClusters(
  s: Services,
  query: { clusterNameFilter?: string; clusterTypeFilter?: string; maxResults?: number; nextToken?: string },
) {
  if (query.clusterTypeFilter && query.clusterTypeFilter !== 'PROVISIONED') {
    return { clusterInfoList: [] };
  }
  const page = await clusterViews.listClusterViews(s.catalog, {
    ...(query.clusterNameFilter ? { nameFilter: query.clusterNameFilter } : {}),
    maxResults: query.maxResults ?? 10,
    ...(query.nextToken ? { nextToken: query.nextToken } : {}),
  });
  const clusterInfoList = page.clusters.map(presentCluster);
  return { clusterInfoList, ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
}

/**
 * DeleteCluster: allowed from ACTIVE and FAILED (a FAILED cluster can only be deleted, as on MSK);
 * with `currentVersion`, only while the cluster is still at that version.
 */
export async function deleteCluster(s: Services, arn: string, currentVersion?: string) {
  const row = await requireCluster(s, arn);
  if (row.state !== 'ACTIVE' && row.state !== 'FAILED') {
    throw conflict(`Cluster ${row.name} is ${row.state}; it can be deleted when it is ACTIVE or FAILED`, 'clusterArn');
  }
  if (currentVersion !== undefined && currentVersion !== row.currentVersion) {
    // MSK answers a stale currentVersion with BadRequestException (issue 6), as the update calls do.
    throw badRequest(
      `The cluster's current version is ${row.currentVersion}, not ${currentVersion}. Describe the cluster and retry with its current version`,
      'currentVersion',
    );
  }
  const operationId = randomUUID();
  const accepted = await s.catalog.$transaction(async (tx) => {
    const ok = await clusters.updateClusterIfCurrent(
      tx,
      { arn, currentVersion: row.currentVersion, expectedState: row.state },
      { currentVersion: newClusterVersion(), state: 'DELETING' },
    );
    if (!ok) return false;
    await operations.createOperation(tx, {
      id: operationId,
      arn: operationArn(s.arns, row.name, row.id, operationId),
      clusterId: row.id,
      clusterArn: arn,
      operationType: 'DELETE',
      sourceClusterInfo: { numberOfBrokerNodes: row.numberOfBrokerNodes, kafkaVersion: row.kafkaVersion },
    });
    return true;
  });
  if (!accepted) throw conflict('The cluster changed while the request was processed; describe it and retry');
  await enqueueOrUndo(s, 'delete-cluster', { operationId, clusterId: row.id }, async () => {
    await s.catalog.$transaction(async (tx) => {
      await tx.clusterOperation.deleteMany({ where: { id: operationId } });
      await tx.cluster.update({
        where: { id: row.id },
        data: { state: row.state, currentVersion: row.currentVersion },
      });
    });
  });
  return { clusterArn: arn, state: 'DELETING' };
}

export async function getBootstrapBrokers(s: Services, arn: string) {
  const row = await requireCluster(s, arn);
  return {
    ...(row.bootstrapBrokerString ? { bootstrapBrokerString: row.bootstrapBrokerString } : {}),
    ...(row.bootstrapBrokerStringTls ? { bootstrapBrokerStringTls: row.bootstrapBrokerStringTls } : {}),
    ...(row.bootstrapBrokerStringSaslScram
      ? { bootstrapBrokerStringSaslScram: row.bootstrapBrokerStringSaslScram }
      : {}),
  };
}

export async function listNodes(s: Services, arn: string, query: { maxResults?: number; nextToken?: string }) {
  const row = await requireCluster(s, arn);
  const subnets = (row.brokerNodeGroupInfo as { clientSubnets?: string[] }).clientSubnets ?? [];
  const start = query.nextToken ? Number(query.nextToken) : 0;
  const max = query.maxResults ?? 10;
  const page = row.brokers.slice(start, start + max);
  const nodeInfoList = page.map((b) => ({
    addedToClusterTime: b.createdAt.toISOString(),
    brokerNodeInfo: {
      brokerId: b.nodeId,
      ...(subnets.length ? { clientSubnet: subnets[(b.nodeId - 1) % subnets.length] } : {}),
      clientVpcIpAddress: b.host ?? '127.0.0.1',
      currentBrokerSoftwareInfo: { kafkaVersion: row.kafkaVersion },
      endpoints: b.host ? [b.host] : [],
      ...(b.containerId ? { attachedENIId: b.containerId } : {}),
    },
    instanceType: row.instanceType.replace(/^kafka\./, ''),
    nodeARN: nodeArn(s.arns, row.name, row.id, b.nodeId),
    nodeType: 'BROKER',
  }));
  const next = start + max < row.brokers.length ? String(start + max) : undefined;
  return { nodeInfoList, ...(next ? { nextToken: next } : {}) };
}

/** CreateCluster (v1): the same cluster as CreateClusterV2, from the flat v1 body. */
export async function createClusterV1(s: Services, request: CreateClusterRequest) {
  const { clusterName, tags: clusterTags, ...provisioned } = request;
  const created = await createCluster(s, {
    clusterName,
    ...(clusterTags ? { tags: clusterTags } : {}),
    provisioned,
  });
  return { clusterArn: created.clusterArn, clusterName: created.clusterName, state: created.state };
}

export async function describeClusterV1(s: Services, arn: string) {
  return { clusterInfo: presentClusterInfo(await describeCluster(s, arn)) };
}

export async function listClustersV1(
  s: Services,
  query: { clusterNameFilter?: string; maxResults?: number; nextToken?: string },
) {
  const page = await listClusters(s, query);
  return { ...page, clusterInfoList: page.clusterInfoList.map(presentClusterInfo) };
}

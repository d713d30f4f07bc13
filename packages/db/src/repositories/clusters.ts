import type { ClientOrTransaction } from '../client.js';
import type { Broker, BrokerState, Cluster, ClusterState, Prisma } from '../generated/prisma/client.js';

export type ClusterWithBrokers = Cluster & { brokers: Broker[] };

export function createCluster(db: ClientOrTransaction, data: Prisma.ClusterCreateInput): Promise<Cluster> {
  return db.cluster.create({ data });
}

export function findClusterByArn(db: ClientOrTransaction, arn: string): Promise<ClusterWithBrokers | null> {
  return db.cluster.findUnique({ where: { arn }, include: { brokers: { orderBy: { nodeId: 'asc' } } } });
}

export function findClusterByName(db: ClientOrTransaction, name: string): Promise<Cluster | null> {
  return db.cluster.findUnique({ where: { name } });
}

/**
 * MSK's optimistic concurrency: changes the cluster only while it is in `expectedState` with
 * `currentVersion`, and gives it `newVersion`. Returns false when another update got there first.
 */
export async function updateClusterIfCurrent(
  db: ClientOrTransaction,
  where: { arn: string; currentVersion: string; expectedState: ClusterState },
  data: Omit<Prisma.ClusterUpdateManyMutationInput, 'currentVersion'> & { currentVersion: string },
): Promise<boolean> {
  const { count } = await db.cluster.updateMany({
    where: { arn: where.arn, currentVersion: where.currentVersion, state: where.expectedState },
    data,
  });
  return count === 1;
}

export function updateCluster(db: ClientOrTransaction, id: string, data: Prisma.ClusterUpdateInput): Promise<Cluster> {
  return db.cluster.update({ where: { id }, data });
}

export function setClusterState(
  db: ClientOrTransaction,
  id: string,
  state: ClusterState,
  info: { code?: string | null; message?: string | null } = {},
): Promise<Cluster> {
  return db.cluster.update({
    where: { id },
    data: { state, stateCode: info.code ?? null, stateMessage: info.message ?? null },
  });
}

/** Removes the cluster and its brokers, topics, ACLs and users; its operations keep the ARN. */
export async function removeCluster(db: ClientOrTransaction, id: string): Promise<void> {
  await db.cluster.deleteMany({ where: { id } });
}

export function listBrokers(db: ClientOrTransaction, clusterId: string): Promise<Broker[]> {
  return db.broker.findMany({ where: { clusterId }, orderBy: { nodeId: 'asc' } });
}

/** Creates or updates the broker row for (cluster, node id): provisioning steps call it again on resume. */
export function upsertBroker(
  db: ClientOrTransaction,
  clusterId: string,
  nodeId: number,
  data: {
    host?: string | null;
    port?: number | null;
    containerId?: string | null;
    volume?: string | null;
    state?: BrokerState;
    /** The broker's runtime spec as it runs now, secrets sealed (schema.prisma Broker.spec). */
    spec?: Prisma.InputJsonValue;
  },
): Promise<Broker> {
  return db.broker.upsert({
    where: { clusterId_nodeId: { clusterId, nodeId } },
    create: { clusterId, nodeId, ...data },
    update: data,
  });
}

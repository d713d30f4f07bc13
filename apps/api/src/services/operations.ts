import { operations } from '@flotilla/db';
import { notFound } from '../lib/errors.js';
import { requireCluster } from './clusters.js';
import type { Services } from './context.js';
import { presentOperation, presentOperationSummary, presentOperationV1 } from './present.js';

export async function listClusterOperations(
  s: Services,
  clusterArn: string,
  query: { maxResults?: number; nextToken?: string },
) {
  await requireCluster(s, clusterArn);
  const page = await operations.listOperations(s.catalog, {
    clusterArn,
    maxResults: query.maxResults ?? 10,
    ...(query.nextToken ? { nextToken: query.nextToken } : {}),
  });
  return {
    clusterOperationInfoList: page.operations.map(presentOperationSummary),
    ...(page.nextToken ? { nextToken: page.nextToken } : {}),
  };
}

/** Operations stay describable after their cluster is deleted (they keep its ARN). */
export async function describeClusterOperation(s: Services, operationArn: string) {
  const op = await operations.findOperationByArn(s.catalog, operationArn);
  if (!op) throw notFound(`Cluster operation ${operationArn} does not exist`, 'clusterOperationArn');
  return { clusterOperationInfo: presentOperation(op) };
}

/** ListClusterOperations (v1): full ClusterOperationInfo entries, steps included. */
export async function listClusterOperationsV1(
  s: Services,
  clusterArn: string,
  query: { maxResults?: number; nextToken?: string },
) {
  await requireCluster(s, clusterArn);
  const page = await operations.listOperations(s.catalog, {
    clusterArn,
    maxResults: query.maxResults ?? 10,
    ...(query.nextToken ? { nextToken: query.nextToken } : {}),
  });
  return {
    clusterOperationInfoList: page.operations.map(presentOperationV1),
    ...(page.nextToken ? { nextToken: page.nextToken } : {}),
  };
}

export async function describeClusterOperationV1(s: Services, operationArn: string) {
  const op = await operations.findOperationByArn(s.catalog, operationArn);
  if (!op) throw notFound(`Cluster operation ${operationArn} does not exist`, 'clusterOperationArn');
  return { clusterOperationInfo: presentOperationV1(op) };
}

/**
 * ACLs under a cluster ARN, through the brokers' CreateAcls/DescribeAcls/DeleteAcls. The brokers are the
 * authority (clients may change ACLs with kafka-acls too): the API writes through to them and then
 * mirrors the result into the catalog's Acl rows; the worker's reconciler keeps that mirror exact.
 */
import type { AclBinding } from '@flotilla/worker';
import { badRequest } from '../lib/errors.js';
import type { Acl, AclFilterQuery, CreateAclRequest } from '../schemas/cluster-resources.js';
import { withCluster } from './cluster-access.js';
import type { Services } from './context.js';

/** Bindings the brokers hold are concrete: never the ANY/MATCH filter values. */
function present(a: AclBinding): Acl {
  return a as Acl;
}

export async function createAcl(
  s: Services,
  requestReconcile: (clusterId: string) => Promise<void>,
  clusterArn: string,
  request: CreateAclRequest,
) {
  const binding: AclBinding = {
    resourceType: request.resourceType,
    resourceName: request.resourceName,
    patternType: request.patternType ?? 'LITERAL',
    principal: request.principal,
    host: request.host ?? '*',
    operation: request.operation,
    permissionType: request.permissionType ?? 'ALLOW',
  };
  if (binding.resourceType === 'CLUSTER' && binding.resourceName !== 'kafka-cluster')
    throw badRequest("A CLUSTER ACL's resourceName must be 'kafka-cluster'", 'resourceName');
  const clusterId = await withCluster(s, clusterArn, { mutation: true }, async (admin, cluster) => {
    await admin.createAcls([binding]);
    await s.catalog.acl.createMany({ data: [{ clusterId: cluster.id, ...binding }], skipDuplicates: true });
    return cluster.id;
  });
  await requestReconcile(clusterId).catch(() => undefined);
  return present(binding);
}

export async function listAcls(s: Services, clusterArn: string, filter: AclFilterQuery) {
  return withCluster(s, clusterArn, { mutation: false }, async (admin) => ({
    acls: (await admin.describeAcls(filter)).map(present),
  }));
}

/** Deletes the ACLs that match; at least a resource type and name, so one call cannot wipe them all. */
export async function deleteAcls(
  s: Services,
  requestReconcile: (clusterId: string) => Promise<void>,
  clusterArn: string,
  filter: AclFilterQuery,
) {
  if (!filter.resourceType || !filter.resourceName)
    throw badRequest('Deleting ACLs needs at least resourceType and resourceName', 'resourceName');
  const result = await withCluster(s, clusterArn, { mutation: true }, async (admin, cluster) => {
    const deleted = await admin.deleteAcls({ patternType: 'LITERAL', ...filter });
    for (const a of deleted) await s.catalog.acl.deleteMany({ where: { clusterId: cluster.id, ...a } });
    return { clusterId: cluster.id, deleted };
  });
  await requestReconcile(result.clusterId).catch(() => undefined);
  return { deletedAcls: result.deleted.map(present) };
}

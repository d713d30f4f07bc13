/**
 * CreateAcls (key 30), v0-3. Adds ACLs to the metadata (security/acl-store.ts); one result per
 * creation, INVALID_REQUEST for an ACL Kafka would refuse (ANY/MATCH codes, a cluster not named
 * kafka-cluster, a principal without a type). Needs Alter on the cluster; SECURITY_DISABLED
 * without an authorizer.
 */
import { ApiKey, defaultCreateAclsResponse, ErrorCode } from '@flotilla/protocol';
import { AclOperation } from '../security/acl.js';
import { createAcls } from '../security/acl-store.js';
import { authorizedOnCluster } from '../security/request-authorization.js';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.CreateAcls,
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, request) {
    const all = (errorCode: number, errorMessage: string) => ({
      ...defaultCreateAclsResponse(),
      results: request.creations.map(() => ({ errorCode, errorMessage })),
    });
    if (!ctx.broker.authorizer.enabled) return all(ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured.');
    if (!authorizedOnCluster(ctx, AclOperation.ALTER)) {
      return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.');
    }
    const results = await createAcls(
      ctx.broker.controller,
      ctx.broker.image,
      request.creations.map((c) => ({
        resourceType: c.resourceType,
        resourceName: c.resourceName,
        patternType: c.resourcePatternType,
        principal: c.principal,
        host: c.host,
        operation: c.operation,
        permissionType: c.permissionType,
      })),
    );
    return { ...defaultCreateAclsResponse(), results };
  },
});

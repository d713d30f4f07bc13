/**
 * DeleteAcls (key 31), v0-3. Removes every ACL a filter matches and reports them per filter. Needs
 * Alter on the cluster; SECURITY_DISABLED without an authorizer.
 */
import { ApiKey, defaultDeleteAclsResponse, ErrorCode } from '@flotilla/protocol';
import { AclOperation } from '../security/acl.js';
import { deleteAcls } from '../security/acl-store.js';
import { authorizedOnCluster } from '../security/request-authorization.js';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.DeleteAcls,
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, request) {
    const all = (errorCode: number, errorMessage: string) => ({
      ...defaultDeleteAclsResponse(),
      filterResults: request.filters.map(() => ({ errorCode, errorMessage, matchingAcls: [] })),
    });
    if (!ctx.broker.authorizer.enabled) return all(ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured.');
    if (!authorizedOnCluster(ctx, AclOperation.ALTER)) {
      return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.');
    }
    const results = await deleteAcls(
      ctx.broker.controller,
      ctx.broker.image,
      request.filters.map((f) => ({
        resourceType: f.resourceTypeFilter,
        resourceName: f.resourceNameFilter,
        patternType: f.patternTypeFilter,
        principal: f.principalFilter,
        host: f.hostFilter,
        operation: f.operation,
        permissionType: f.permissionType,
      })),
    );
    return {
      ...defaultDeleteAclsResponse(),
      filterResults: results.map((r) => ({
        errorCode: r.errorCode,
        errorMessage: r.errorMessage,
        matchingAcls: r.deleted.map((a) => ({
          errorCode: 0,
          errorMessage: null,
          resourceType: a.resourceType,
          resourceName: a.resourceName,
          patternType: a.patternType,
          principal: a.principal,
          host: a.host,
          operation: a.operation,
          permissionType: a.permissionType,
        })),
      })),
    };
  },
});

/**
 * DescribeAcls (key 29), v0-3. The ACLs that match a filter, grouped by resource pattern. Needs
 * Describe on the cluster. Without an authorizer (authorizer.class.name empty) the answer is
 * SECURITY_DISABLED, as Kafka's. v0 has no pattern type and means LITERAL.
 */
import {
  ApiKey,
  type DescribeAclsResponseDescribeAclsResource,
  defaultDescribeAclsResponse,
  ErrorCode,
} from '@flotilla/protocol';
import { AclOperation, aclFilterProblem } from '../security/acl.js';
import { describeAcls } from '../security/acl-store.js';
import { authorizedOnCluster } from '../security/request-authorization.js';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.DescribeAcls,
  minVersion: 0,
  maxVersion: 3,
  handle(ctx, request) {
    const fail = (errorCode: number, errorMessage: string) => ({
      ...defaultDescribeAclsResponse(),
      errorCode,
      errorMessage,
    });
    if (!ctx.broker.authorizer.enabled) return fail(ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured.');
    if (!authorizedOnCluster(ctx, AclOperation.DESCRIBE)) {
      return fail(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.');
    }
    const filter = {
      resourceType: request.resourceTypeFilter,
      resourceName: request.resourceNameFilter,
      patternType: request.patternTypeFilter,
      principal: request.principalFilter,
      host: request.hostFilter,
      operation: request.operation,
      permissionType: request.permissionType,
    };
    const problem = aclFilterProblem(filter);
    if (problem) return fail(ErrorCode.INVALID_REQUEST, problem);
    const resources = new Map<string, DescribeAclsResponseDescribeAclsResource>();
    for (const acl of describeAcls(ctx.broker.image, filter)) {
      const key = `${acl.resourceType}\u0000${acl.patternType}\u0000${acl.resourceName}`;
      let resource = resources.get(key);
      if (!resource) {
        resource = {
          resourceType: acl.resourceType,
          resourceName: acl.resourceName,
          patternType: acl.patternType,
          acls: [],
        };
        resources.set(key, resource);
      }
      resource.acls.push({
        principal: acl.principal,
        host: acl.host,
        operation: acl.operation,
        permissionType: acl.permissionType,
      });
    }
    return { ...defaultDescribeAclsResponse(), errorCode: 0, errorMessage: null, resources: [...resources.values()] };
  },
});

/**
 * DescribeGroups (key 15), v0-5: state, protocol and members; member metadata and assignments only
 * for Stable groups, as Kafka. An unknown group is reported Dead without error. Needs Describe on
 * the group; asked for authorized operations (v3+), the answer is what the authorizer allows of read,
 * describe and delete (all three without an authorizer).
 */
import { ApiKey, defaultDescribeGroupsResponse } from '@flotilla/protocol';
import { AclOperation, ResourceType } from '../security/acl.js';
import { authorizedOperations, groupDenial } from '../security/request-authorization.js';
import { AUTHORIZED_OPERATIONS_OMITTED } from './03-metadata.js';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.DescribeGroups,
  minVersion: 0,
  maxVersion: 5,
  handle(ctx, request) {
    const withOperations = ctx.apiVersion >= 3 && request.includeAuthorizedOperations;
    return {
      ...defaultDescribeGroupsResponse(),
      groups: request.groups.map((groupId) => {
        const denied = groupDenial(ctx, AclOperation.DESCRIBE, groupId);
        const d = denied
          ? { errorCode: denied, state: '', protocolType: '', protocolData: '', members: [] }
          : ctx.broker.groups.describeGroup(groupId);
        return {
          errorCode: d.errorCode,
          groupId,
          groupState: d.state,
          protocolType: d.protocolType,
          protocolData: d.protocolData,
          members: d.members.map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            clientId: m.clientId,
            clientHost: m.clientHost,
            memberMetadata: m.metadata,
            memberAssignment: m.assignment,
          })),
          authorizedOperations: withOperations
            ? authorizedOperations(ctx, ResourceType.GROUP, groupId)
            : AUTHORIZED_OPERATIONS_OMITTED,
        };
      }),
    };
  },
});

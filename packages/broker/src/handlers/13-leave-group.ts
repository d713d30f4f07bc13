/**
 * LeaveGroup (key 13), v0-5: removes members and rebalances the rest. v3+ removes a batch of members,
 * static ones by group.instance.id alone (KIP-345); v5+ carries a reason. Before v3 the one member's
 * error is the response's error, as Kafka reports it.
 */
import { ApiKey, defaultLeaveGroupResponse, ErrorCode } from '@flotilla/protocol';
import { AclOperation } from '../security/acl.js';
import { groupDenial } from '../security/request-authorization.js';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.LeaveGroup,
  minVersion: 0,
  maxVersion: 5,
  handle(ctx, request) {
    const v = ctx.apiVersion;
    const denied = groupDenial(ctx, AclOperation.READ, request.groupId);
    if (denied) return { ...defaultLeaveGroupResponse(), errorCode: denied };
    const leaving =
      v >= 3
        ? request.members.map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            reason: v >= 5 ? m.reason : null,
          }))
        : [{ memberId: request.memberId, groupInstanceId: null, reason: null }];
    const result = ctx.broker.groups.leaveGroup(request.groupId, leaving);
    if (v < 3) {
      const memberError = result.members.find((m) => m.errorCode !== ErrorCode.NONE)?.errorCode ?? ErrorCode.NONE;
      return {
        ...defaultLeaveGroupResponse(),
        errorCode: result.errorCode !== ErrorCode.NONE ? result.errorCode : memberError,
      };
    }
    return {
      ...defaultLeaveGroupResponse(),
      errorCode: result.errorCode,
      members: result.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        errorCode: m.errorCode,
      })),
    };
  },
});

/**
 * SyncGroup (key 14), v0-5: the leader hands in the assignments (opaque bytes) and every member gets
 * its own, once the group's metadata is written to __consumer_offsets; followers wait for the leader.
 * v5+ must name the protocol type and name, which are checked against the group's.
 */
import { ApiKey, defaultSyncGroupResponse, ErrorCode } from '@flotilla/protocol';
import { AclOperation } from '../security/acl.js';
import { groupDenial } from '../security/request-authorization.js';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.SyncGroup,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, request) {
    const v = ctx.apiVersion;
    const denied = groupDenial(ctx, AclOperation.READ, request.groupId);
    if (denied) return { ...defaultSyncGroupResponse(), errorCode: denied };
    if (v >= 5 && (request.protocolType === null || request.protocolName === null)) {
      return { ...defaultSyncGroupResponse(), errorCode: ErrorCode.INCONSISTENT_GROUP_PROTOCOL };
    }
    const result = await ctx.broker.groups.syncGroup({
      groupId: request.groupId,
      generationId: request.generationId,
      memberId: request.memberId,
      groupInstanceId: v >= 3 ? request.groupInstanceId : null,
      protocolType: v >= 5 ? request.protocolType : null,
      protocolName: v >= 5 ? request.protocolName : null,
      assignments: request.assignments.map((a) => ({ memberId: a.memberId, assignment: Buffer.from(a.assignment) })),
    });
    return {
      ...defaultSyncGroupResponse(),
      errorCode: result.errorCode,
      protocolType: result.protocolType,
      protocolName: result.protocolName,
      assignment: result.assignment,
    };
  },
});

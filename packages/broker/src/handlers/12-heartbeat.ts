/**
 * Heartbeat (key 12), v0-4: keeps a member's session alive; REBALANCE_IN_PROGRESS tells it to rejoin.
 * As in Kafka, a heartbeat that arrives while the group's partition is loading is accepted blindly.
 */
import { ApiKey, defaultHeartbeatResponse } from '@flotilla/protocol';
import { AclOperation } from '../security/acl.js';
import { groupDenial } from '../security/request-authorization.js';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.Heartbeat,
  minVersion: 0,
  maxVersion: 4,
  handle(ctx, request) {
    const denied = groupDenial(ctx, AclOperation.READ, request.groupId);
    if (denied) return { ...defaultHeartbeatResponse(), errorCode: denied };
    const errorCode = ctx.broker.groups.heartbeat({
      groupId: request.groupId,
      generationId: request.generationId,
      memberId: request.memberId,
      groupInstanceId: ctx.apiVersion >= 3 ? request.groupInstanceId : null,
    });
    return { ...defaultHeartbeatResponse(), errorCode };
  },
});

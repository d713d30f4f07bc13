/**
 * JoinGroup (key 11), v0-9: joins a consumer group, waiting (holding this connection's request) until
 * the rebalance completes. v4+ members without group.instance.id first get MEMBER_ID_REQUIRED with
 * their member id; v5+ static membership; v8+ reason; v9+ skipAssignment for a static leader. As in
 * Kafka, v0 has no rebalance timeout: the session timeout serves as one.
 */
import { ApiKey, defaultJoinGroupResponse } from '@flotilla/protocol';
import { AclOperation } from '../security/acl.js';
import { groupDenial } from '../security/request-authorization.js';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.JoinGroup,
  minVersion: 0,
  maxVersion: 9,
  async handle(ctx, request) {
    const v = ctx.apiVersion;
    const denied = groupDenial(ctx, AclOperation.READ, request.groupId);
    if (denied) return { ...defaultJoinGroupResponse(), errorCode: denied, memberId: request.memberId };
    const groupInstanceId = v >= 5 ? request.groupInstanceId : null;
    const result = await ctx.broker.groups.joinGroup({
      groupId: request.groupId,
      memberId: request.memberId,
      groupInstanceId,
      requireKnownMemberId: v >= 4 && groupInstanceId === null,
      supportSkippingAssignment: v >= 9,
      clientId: ctx.header.clientId ?? '',
      clientHost: `/${ctx.connection.remoteAddress}`,
      rebalanceTimeoutMs: v === 0 ? request.sessionTimeoutMs : request.rebalanceTimeoutMs,
      sessionTimeoutMs: request.sessionTimeoutMs,
      protocolType: request.protocolType,
      // Copies: the group keeps them long after the request frame is gone.
      protocols: request.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
      reason: v >= 8 ? request.reason : null,
    });
    return {
      ...defaultJoinGroupResponse(),
      errorCode: result.errorCode,
      generationId: result.generationId,
      protocolType: result.protocolType,
      // Before v7 the protocol name is not nullable.
      protocolName: v < 7 ? (result.protocolName ?? '') : result.protocolName,
      leader: result.leaderId,
      skipAssignment: result.skipAssignment,
      memberId: result.memberId,
      members: result.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        metadata: m.metadata,
      })),
    };
  },
});

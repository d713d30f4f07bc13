/**
 * TxnOffsetCommit (key 28), v0-4: a transactional producer commits a consumer group's offsets inside
 * its transaction (consume-transform-produce). The group coordinator writes them to the group's
 * __consumer_offsets partition as part of the transaction; they become the group's committed offsets
 * when the COMMIT marker arrives and are dropped on ABORT. v3+ carries the consumer's member id,
 * instance id and generation, which are checked against the group (KIP-447). ACLs (KafkaApis): Write
 * on the transactional id and Read on the group for the whole request, Read on each topic.
 */
import { ApiKey, defaultTxnOffsetCommitResponse, ErrorCode } from '@flotilla/protocol';
import { AclOperation, ResourceType } from '../security/acl.js';
import { authorized, groupDenial, topicDenial } from '../security/request-authorization.js';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.TxnOffsetCommit,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, request) {
    const v3 = ctx.apiVersion >= 3;
    const whole = !authorized(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, request.transactionalId)
      ? ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
      : groupDenial(ctx, AclOperation.READ, request.groupId);
    const denied = new Map(request.topics.map((t) => [t.name, whole || topicDenial(ctx, AclOperation.READ, t.name)]));
    const allowed = request.topics.filter((t) => !denied.get(t.name));
    const offsets = allowed.flatMap((t) =>
      t.partitions.map((p) => ({
        topic: t.name,
        partition: p.partitionIndex,
        offset: p.committedOffset,
        leaderEpoch: ctx.apiVersion >= 2 ? p.committedLeaderEpoch : -1,
        metadata: p.committedMetadata,
      })),
    );
    const codes = await ctx.broker.groups.commitTxnOffsets({
      groupId: request.groupId,
      producerId: Number(request.producerId),
      producerEpoch: request.producerEpoch,
      memberId: v3 ? request.memberId : '',
      groupInstanceId: v3 ? request.groupInstanceId : null,
      generationId: v3 ? request.generationId : -1,
      offsets,
    });
    let i = 0;
    const results = new Map(
      allowed.map((t) => [
        t,
        t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: codes[i++] ?? 0 })),
      ]),
    );
    return {
      ...defaultTxnOffsetCommitResponse(),
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions:
          results.get(t) ??
          t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: denied.get(t.name) ?? 0 })),
      })),
    };
  },
});

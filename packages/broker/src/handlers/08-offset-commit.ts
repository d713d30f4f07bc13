/**
 * OffsetCommit (key 8), v0-9: commits offsets for a group member of the current generation, or, with
 * generation -1 and no member id, for a group without members (consumers that assign partitions
 * themselves). Answered once the offsets are written to __consumer_offsets. v6+ carries the leader
 * epoch, v7+ group.instance.id. Differs from Kafka: the retention time of v2-4 is ignored
 * (offsets.retention.minutes applies), as Kafka 2.1+ ignores it for groups with members anyway; v9's
 * member epoch is taken as the generation (KIP-848 consumer groups are not served). v1's per-partition
 * commit timestamp is kept as the commit's timestamp (-1: now). v0 stored offsets in ZooKeeper: like a
 * KRaft-mode Kafka 3.x, every partition of a v0 commit that passes authorization gets UNSUPPORTED_VERSION.
 */
import { ApiKey, defaultOffsetCommitResponse, ErrorCode } from '@flotilla/protocol';
import { AclOperation } from '../security/acl.js';
import { groupDenial, topicDenial } from '../security/request-authorization.js';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.OffsetCommit,
  minVersion: 0,
  maxVersion: 9,
  async handle(ctx, request) {
    const v = ctx.apiVersion;
    // Kafka: Read on the group, else every partition fails; Read on each topic, else its partitions do.
    const groupDenied = groupDenial(ctx, AclOperation.READ, request.groupId);
    const denied = new Map(
      request.topics.map((t) => [t.name, groupDenied || topicDenial(ctx, AclOperation.READ, t.name)]),
    );
    const offsets = request.topics
      .filter((t) => !denied.get(t.name))
      .flatMap((t) =>
        t.partitions.map((p) => ({
          topic: t.name,
          partition: p.partitionIndex,
          offset: p.committedOffset,
          leaderEpoch: v >= 6 ? p.committedLeaderEpoch : -1,
          metadata: p.committedMetadata,
          commitTimestamp: v === 1 ? Number(p.commitTimestamp) : -1,
        })),
      );
    const errors =
      offsets.length === 0
        ? []
        : v === 0
          ? offsets.map(() => ErrorCode.UNSUPPORTED_VERSION) // Kafka: "Version 0 offset commit requests" need ZooKeeper
          : await ctx.broker.groups.commitOffsets({
              groupId: request.groupId,
              memberId: request.memberId,
              groupInstanceId: v >= 7 ? request.groupInstanceId : null,
              generationId: request.generationIdOrMemberEpoch,
              offsets,
            });
    let i = 0;
    return {
      ...defaultOffsetCommitResponse(),
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          errorCode: denied.get(t.name) || (errors[i++] ?? 0),
        })),
      })),
    };
  },
});

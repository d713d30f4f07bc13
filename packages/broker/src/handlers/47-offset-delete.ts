/**
 * OffsetDelete (key 47), v0: deletes committed offsets of a group: any of an Empty group's; of a
 * consumer group with members, only those of topics no member subscribes to (GROUP_SUBSCRIBED_TO_TOPIC
 * for the others). Partitions that do not exist get UNKNOWN_TOPIC_OR_PARTITION.
 */
import { ApiKey, defaultOffsetDeleteResponse, ErrorCode } from '@flotilla/protocol';
import { AclOperation } from '../security/acl.js';
import { groupDenial, topicDenial } from '../security/request-authorization.js';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.OffsetDelete,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, request) {
    const groupDenied = groupDenial(ctx, AclOperation.DELETE, request.groupId);
    if (groupDenied) return { ...defaultOffsetDeleteResponse(), errorCode: groupDenied, topics: [] };
    // Kafka: topics the caller may not read are answered TOPIC_AUTHORIZATION_FAILED and left alone.
    const refused = request.topics.filter((t) => topicDenial(ctx, AclOperation.READ, t.name));
    const deleted = await ctx.broker.groups.deleteOffsets(
      request.groupId,
      request.topics
        .filter((t) => !refused.includes(t))
        .map((t) => ({ topic: t.name, partitions: t.partitions.map((p) => p.partitionIndex) })),
    );
    const result = {
      errorCode: deleted.errorCode,
      topics: [
        ...refused.map((t) => ({
          topic: t.name,
          partitions: t.partitions.map((p) => ({
            partition: p.partitionIndex,
            errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
          })),
        })),
        ...deleted.topics,
      ],
    };
    return {
      ...defaultOffsetDeleteResponse(),
      errorCode: result.errorCode,
      topics: result.topics.map((t) => ({
        name: t.topic,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partition, errorCode: p.errorCode })),
      })),
    };
  },
});

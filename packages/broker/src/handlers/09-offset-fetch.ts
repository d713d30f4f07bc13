/**
 * OffsetFetch (key 9), v0-9: a group's committed offsets, -1 for partitions without one; all of them
 * when topics is null (v2+). v7+ requireStable answers UNSTABLE_OFFSET_COMMIT for a partition whose
 * commit is still being written; v8+ asks for several groups at once. v9's member id and epoch
 * (KIP-848) are not checked: every group here is a classic group. Before v2 a group error is
 * reported on every requested partition, as Kafka does. v0 read offsets from ZooKeeper: like a KRaft-mode
 * Kafka 3.x, an authorized v0 request gets UNSUPPORTED_VERSION on every requested partition.
 */
import { ApiKey, defaultOffsetFetchResponse, ErrorCode } from '@flotilla/protocol';
import type { FetchedOffsets } from '../group/offsets.js';
import { AclOperation, ResourceType } from '../security/acl.js';
import { authorized, groupDenial } from '../security/request-authorization.js';
import { defineHandler, type HandlerContext } from './types.js';

function fetch(
  ctx: HandlerContext,
  groupId: string,
  topics: readonly { name: string; partitionIndexes: number[] }[] | null,
  requireStable: boolean,
): FetchedOffsets {
  const groupDenied = groupDenial(ctx, AclOperation.DESCRIBE, groupId);
  if (groupDenied) return { errorCode: groupDenied, topics: [] };
  const result = ctx.broker.groups.fetchOffsets(
    groupId,
    topics === null ? null : topics.map((t) => ({ topic: t.name, partitions: t.partitionIndexes })),
    requireStable,
  );
  // Topics the caller may not describe: left out of "all topics", refused when named (as Kafka).
  const describable = (topic: string) => authorized(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, topic);
  return {
    errorCode: result.errorCode,
    topics: result.topics
      .filter((t) => topics !== null || describable(t.topic))
      .map((t) =>
        describable(t.topic)
          ? t
          : {
              topic: t.topic,
              partitions: t.partitions.map((p) => ({
                ...p,
                offset: -1n,
                leaderEpoch: -1,
                metadata: '',
                errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
              })),
            },
      ),
  };
}

function toTopics(result: FetchedOffsets) {
  return result.topics.map((t) => ({
    name: t.topic,
    partitions: t.partitions.map((p) => ({
      partitionIndex: p.partition,
      committedOffset: p.offset,
      committedLeaderEpoch: p.leaderEpoch,
      metadata: p.metadata,
      errorCode: p.errorCode,
    })),
  }));
}

export default defineHandler({
  apiKey: ApiKey.OffsetFetch,
  minVersion: 0,
  maxVersion: 9,
  handle(ctx, request) {
    const v = ctx.apiVersion;
    const requireStable = v >= 7 && request.requireStable;
    if (v >= 8) {
      return {
        ...defaultOffsetFetchResponse(),
        groups: request.groups.map((g) => {
          const result = fetch(ctx, g.groupId, g.topics, requireStable);
          return { groupId: g.groupId, errorCode: result.errorCode, topics: toTopics(result) };
        }),
      };
    }
    const result =
      v === 0 && !groupDenial(ctx, AclOperation.DESCRIBE, request.groupId)
        ? { errorCode: ErrorCode.UNSUPPORTED_VERSION, topics: [] }
        : fetch(ctx, request.groupId, request.topics, requireStable);
    if (result.errorCode !== ErrorCode.NONE && v < 2) {
      // v1 has no top-level error: each requested partition carries it.
      return {
        ...defaultOffsetFetchResponse(),
        topics: (request.topics ?? []).map((t) => ({
          name: t.name,
          partitions: t.partitionIndexes.map((partitionIndex) => ({
            partitionIndex,
            committedOffset: -1n,
            committedLeaderEpoch: -1,
            metadata: '',
            errorCode: result.errorCode,
          })),
        })),
      };
    }
    return { ...defaultOffsetFetchResponse(), errorCode: result.errorCode, topics: toTopics(result) };
  },
});

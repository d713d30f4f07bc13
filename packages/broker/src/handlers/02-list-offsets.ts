/**
 * ListOffsets (key 2), v0-10: earliest (-2), latest (-1: the high watermark, or for isolation level 1,
 * read_committed, the last stable offset, KIP-98), max timestamp (-3, v7+), earliest local (-4, v8+), and
 * by timestamp (the first offset whose timestamp is at or after it, or -1).
 * v0 (Kafka serves it until 4.0, KIP-896; Burrow's sarama still sends it) answers a list of offsets:
 * here the one offset found, never Kafka's legacy list of segment base offsets, and none when not found.
 */
import {
  ApiKey,
  defaultListOffsetsResponse,
  defaultListOffsetsResponseListOffsetsPartitionResponse,
  KafkaError,
} from '@flotilla/protocol';
import { AclOperation } from '../security/acl.js';
import { topicDenial } from '../security/request-authorization.js';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.ListOffsets,
  minVersion: 0,
  maxVersion: 10,
  handle(ctx, request) {
    const { replicas } = ctx.broker;
    return {
      ...defaultListOffsetsResponse(),
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => {
          const base = {
            ...defaultListOffsetsResponseListOffsetsPartitionResponse(),
            partitionIndex: p.partitionIndex,
          };
          const denied = topicDenial(ctx, AclOperation.DESCRIBE, t.name);
          if (denied) return { ...base, errorCode: denied, offset: -1n, timestamp: -1n };
          try {
            const found = replicas.listOffset(
              t.name,
              p.partitionIndex,
              Number(p.timestamp),
              p.currentLeaderEpoch,
              request.isolationLevel === 1,
            );
            return {
              ...base,
              errorCode: 0,
              offset: BigInt(found.offset),
              timestamp: BigInt(found.timestamp),
              leaderEpoch: found.leaderEpoch,
              ...(ctx.apiVersion === 0 ? { oldStyleOffsets: found.offset >= 0 ? [BigInt(found.offset)] : [] } : {}),
            };
          } catch (e) {
            if (!(e instanceof KafkaError)) throw e;
            return { ...base, errorCode: e.errorCode, offset: -1n, timestamp: -1n };
          }
        }),
      })),
    };
  },
});

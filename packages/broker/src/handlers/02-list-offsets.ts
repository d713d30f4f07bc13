/**
 * ListOffsets (key 2), v0-10: earliest (-2), latest (-1: the high watermark, or for isolation level 1,
 * read_committed, the last stable offset, KIP-98), max timestamp (-3, v7+), earliest local (-4, v8+), and
 * by timestamp (the first offset whose timestamp is at or after it, or -1).
 * v0 (Kafka serves it until 4.0, KIP-896; clients before 0.10.1 and Burrow's sarama send it) answers
 * Kafka's legacy list instead: up to maxNumOffsets offsets, newest first, among the segments' base
 * offsets and the log end offset, from the last whose segment was modified at or before the timestamp
 * (UnifiedLog.legacyFetchOffsetsBefore), never past the high watermark for a consumer.
 */

import { statSync } from 'node:fs';
import {
  ApiKey,
  defaultListOffsetsResponse,
  defaultListOffsetsResponseListOffsetsPartitionResponse,
  KafkaError,
} from '@flotilla/protocol';
import type { Partition } from '../replica/partition.js';
import { ListOffsetsTimestamp } from '../replica/replica-manager.js';
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
            if (ctx.apiVersion === 0) {
              const partition = replicas.leaderPartition(t.name, p.partitionIndex);
              const fromConsumer = request.replicaId === CONSUMER_REPLICA_ID;
              const offsets = legacyOffsetsBefore(partition, Number(p.timestamp), p.maxNumOffsets, fromConsumer);
              return { ...base, errorCode: 0, oldStyleOffsets: offsets.map(BigInt) };
            }
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

const CONSUMER_REPLICA_ID = -1;

/**
 * ListOffsets v0's answer (Kafka's UnifiedLog.legacyFetchOffsetsBefore and
 * Partition.legacyFetchOffsetsForTimestamp): each segment's base offset (at least the log start offset)
 * with the segment file's modification time, plus the log end offset at "now" when the active segment
 * holds data; from the latest (-1), the earliest (-2) or the last entry modified at or before the
 * timestamp, up to maxNumOffsets entries going back, newest first. A consumer never gets an offset past
 * the high watermark: the high watermark replaces those.
 */
function legacyOffsetsBefore(
  p: Partition,
  timestamp: number,
  maxNumOffsets: number,
  fromConsumer: boolean,
  now = Date.now(),
): number[] {
  const log = p.log;
  const segments = log.segmentList;
  const entries = segments.map((s) => ({
    offset: Math.max(s.baseOffset, log.logStartOffset),
    modifiedMs: modifiedMs(s.path, s.createdMs),
  }));
  if ((segments.at(-1)?.size ?? 0) > 0) entries.push({ offset: log.logEndOffset, modifiedMs: now });
  let start = entries.length - 1;
  if (timestamp === ListOffsetsTimestamp.EARLIEST) start = 0;
  else if (timestamp !== ListOffsetsTimestamp.LATEST) {
    while (start >= 0 && (entries[start]?.modifiedMs as number) > timestamp) start--;
  }
  const offsets: number[] = [];
  for (let i = start; i >= 0 && offsets.length < maxNumOffsets; i--) offsets.push(entries[i]?.offset as number);
  offsets.sort((a, b) => b - a);
  if (!fromConsumer) return offsets;
  const hw = p.highWatermark;
  return offsets.some((o) => o > hw) ? [hw, ...offsets.filter((o) => o <= hw)] : offsets;
}

function modifiedMs(path: string, fallback: number): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return fallback; // deleted by retention since the list was taken
  }
}

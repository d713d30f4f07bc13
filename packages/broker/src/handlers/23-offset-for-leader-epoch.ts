/**
 * OffsetForLeaderEpoch (key 23), v2-4: the end offset of the largest leader epoch <= the one asked for.
 * Consumers use it after a leader change to detect log truncation (KIP-320); followers (issue 4) to
 * find where to truncate.
 */
import { ApiKey, defaultOffsetForLeaderEpochResponse, ErrorCode, KafkaError } from '@flotilla/protocol';
import { clusterActionOrDescribeDenial } from '../security/request-authorization.js';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.OffsetForLeaderEpoch,
  minVersion: 2,
  maxVersion: 4,
  handle(ctx, request) {
    const { replicas } = ctx.broker;
    // ClusterAction, or Describe on the topic, whether a follower or a consumer asks (as Kafka).
    const denial = clusterActionOrDescribeDenial(ctx);
    return {
      ...defaultOffsetForLeaderEpochResponse(),
      topics: request.topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((p) => {
          const denied = denial(t.topic);
          if (denied) return { errorCode: denied, partition: p.partition, leaderEpoch: -1, endOffset: -1n };
          try {
            const partition = replicas.leaderPartition(t.topic, p.partition);
            if (p.currentLeaderEpoch >= 0 && p.currentLeaderEpoch !== partition.leaderEpoch) {
              const code =
                p.currentLeaderEpoch > partition.leaderEpoch
                  ? ErrorCode.UNKNOWN_LEADER_EPOCH
                  : ErrorCode.FENCED_LEADER_EPOCH;
              return { errorCode: code, partition: p.partition, leaderEpoch: -1, endOffset: -1n };
            }
            const found = partition.log.epochs.endOffsetFor(p.leaderEpoch, partition.log.logEndOffset);
            return {
              errorCode: 0,
              partition: p.partition,
              leaderEpoch: found.epoch,
              endOffset: BigInt(found.endOffset),
            };
          } catch (e) {
            if (!(e instanceof KafkaError)) throw e;
            return { errorCode: e.errorCode, partition: p.partition, leaderEpoch: -1, endOffset: -1n };
          }
        }),
      })),
    };
  },
});

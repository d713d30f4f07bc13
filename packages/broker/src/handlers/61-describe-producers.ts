/**
 * DescribeProducers (key 61), v0 (KIP-664): the producers a partition leader knows, with their epoch,
 * last sequence, last write and the first offset of their open transaction (-1 when none), which is
 * what `kafka-transactions.sh describe-producers` shows to find a hanging transaction. ACL: Read on the
 * topic.
 */
import { ApiKey, defaultDescribeProducersResponse, KafkaError } from '@flotilla/protocol';
import { AclOperation } from '../security/acl.js';
import { topicDenial } from '../security/request-authorization.js';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.DescribeProducers,
  minVersion: 0,
  maxVersion: 0,
  handle(ctx, request) {
    const { replicas } = ctx.broker;
    return {
      ...defaultDescribeProducersResponse(),
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((partitionIndex) => {
          const denied = topicDenial(ctx, AclOperation.READ, t.name);
          if (denied) return { partitionIndex, errorCode: denied, errorMessage: null, activeProducers: [] };
          try {
            const p = replicas.leaderPartition(t.name, partitionIndex);
            return {
              partitionIndex,
              errorCode: 0,
              errorMessage: null,
              activeProducers: p.producers.activeProducers().map((a) => ({
                producerId: BigInt(a.producerId),
                producerEpoch: a.epoch,
                lastSequence: a.lastSequence,
                lastTimestamp: BigInt(a.lastTimestamp),
                coordinatorEpoch: a.coordinatorEpoch,
                currentTxnStartOffset: BigInt(a.currentTxnStartOffset),
              })),
            };
          } catch (e) {
            if (!(e instanceof KafkaError)) throw e;
            return { partitionIndex, errorCode: e.errorCode, errorMessage: e.message, activeProducers: [] };
          }
        }),
      })),
    };
  },
});

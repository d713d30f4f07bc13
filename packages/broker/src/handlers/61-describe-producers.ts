/**
 * DescribeProducers (key 61), v0 (KIP-664): the producers a partition leader knows, with their epoch,
 * last sequence, last write and the first offset of their open transaction (-1 when none), which is
 * what `kafka-transactions.sh describe-producers` shows to find a hanging transaction.
 */
import { ApiKey, defaultDescribeProducersResponse, KafkaError } from '@flotilla/protocol';
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

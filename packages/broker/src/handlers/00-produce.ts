/**
 * Produce (key 0), v3-11: record batch v2 only (v0-2 carry the pre-0.11 message formats, which no
 * current client sends). Batches are stored as sent: no decompression, no re-compression. acks=0 gets no
 * response; acks=1 and acks=-1 are answered once the batch is in the log (on one broker the ISR is the
 * leader alone, so acks=-1 only adds the min.insync.replicas check). Topics are never created by Produce,
 * as in Kafka (auto-creation happens on Metadata).
 */
import {
  ApiKey,
  defaultProduceResponse,
  defaultProduceResponsePartitionProduceResponse,
  ErrorCode,
  KafkaError,
  type ProduceResponsePartitionProduceResponse,
} from '@flotilla/protocol';
import { RecordValidationError } from '../log/partition-log.js';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.Produce,
  minVersion: 3,
  maxVersion: 11,
  handle(ctx, request) {
    const { replicas, topicConfigs, metrics } = ctx.broker;
    const acks = request.acks;
    const validAcks = acks === -1 || acks === 0 || acks === 1;
    const responses = request.topicData.map((topic) => ({
      name: topic.name,
      partitionResponses: topic.partitionData.map((p): ProduceResponsePartitionProduceResponse => {
        const base = { ...defaultProduceResponsePartitionProduceResponse(), index: p.index };
        if (!validAcks) return { ...base, errorCode: ErrorCode.INVALID_REQUIRED_ACKS, baseOffset: -1n };
        try {
          if (p.records === null || p.records.length === 0) {
            throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'produce request without records');
          }
          const partition = replicas.leaderPartition(topic.name, p.index);
          const result = partition.appendAsLeader(
            p.records,
            acks,
            topicConfigs.logConfig(topic.name).maxMessageBytes,
            topicConfigs.minInsyncReplicas(topic.name),
          );
          if (result.appended) metrics.recordProduce(topic.name, result.appended.bytes, result.appended.records);
          return {
            ...base,
            errorCode: 0,
            baseOffset: BigInt(result.baseOffset),
            logAppendTimeMs: BigInt(result.logAppendTime),
            logStartOffset: BigInt(result.logStartOffset),
          };
        } catch (e) {
          if (!(e instanceof KafkaError)) throw e;
          metrics.recordProduceError(topic.name);
          return {
            ...base,
            errorCode: e.errorCode,
            baseOffset: -1n,
            logStartOffset: -1n,
            errorMessage: e.message,
            recordErrors:
              e instanceof RecordValidationError
                ? e.recordErrors.map((r) => ({ batchIndex: r.batchIndex, batchIndexErrorMessage: r.message }))
                : [],
          };
        }
      }),
    }));
    if (acks === 0) return null;
    return { ...defaultProduceResponse(), responses };
  },
});

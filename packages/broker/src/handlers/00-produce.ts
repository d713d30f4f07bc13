/**
 * Produce (key 0), v0-11. v3+ carry record batches v2, stored as sent, unless the topic's
 * compression.type names another codec than the batch's: then it is written again in that codec, as
 * Kafka's LogValidator does (log/recompress.ts). v0-2 (clients before Kafka 0.11) carry message sets of formats v0/v1, validated and
 * up-converted to one v2 batch first, as Kafka 3.x does (log/legacy-produce.ts; Kafka 4 dropped them,
 * KIP-896). A transactional batch without a transactional id (always so before v3) is refused with
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED for the whole request, as Kafka does. acks=0 gets no
 * response; acks=1 is answered once the batch is in the leader's log; acks=-1 first requires an ISR of at
 * least min.insync.replicas (else NOT_ENOUGH_REPLICAS, nothing appended), then waits, up to the request's
 * timeout, until the high watermark passes the batch, i.e. every ISR member has it (Kafka's
 * DelayedProduce): REQUEST_TIMED_OUT if it does not, NOT_ENOUGH_REPLICAS_AFTER_APPEND if the ISR shrank
 * below min.insync.replicas meanwhile. NOT_LEADER_OR_FOLLOWER carries the current leader and its
 * endpoint (v10+, KIP-951). Topics are never created by Produce, as in Kafka (auto-creation happens on
 * Metadata). A zstd batch needs v7+ (KIP-110): older versions get UNSUPPORTED_COMPRESSION_TYPE, as Fetch
 * before v10 does for a zstd topic. A producer over its producer_byte_rate quota gets throttle_time_ms
 * and its connection is not read for that time (v6+; older versions get the response that much later).
 */
import {
  ApiKey,
  defaultProduceResponse,
  defaultProduceResponsePartitionProduceResponse,
  ErrorCode,
  KafkaError,
  type ProduceResponsePartitionProduceResponse,
} from '@flotilla/protocol';
import { hasTransactionalBatch, hasZstdBatch } from '../log/batch-info.js';
import { upConvertProduce } from '../log/legacy-produce.js';
import { RecordValidationError } from '../log/partition-log.js';
import { recompressForTopic } from '../log/recompress.js';
import { clientThrottles, quotaSession } from '../quota/client-quota-manager.js';
import { leaderHint } from '../replica/leader-hint.js';
import { AclOperation, ResourceType } from '../security/acl.js';
import { authorized } from '../security/request-authorization.js';
import { verifyTransactionalBatch } from '../txn/verification.js';
import { defineHandler } from './types.js';

/** zstd batches need Produce v7+ (KIP-110); older requests carrying one get UNSUPPORTED_COMPRESSION_TYPE. */
const FIRST_ZSTD_PRODUCE_VERSION = 7;

export default defineHandler({
  apiKey: ApiKey.Produce,
  minVersion: 0,
  maxVersion: 11,
  async handle(ctx, request) {
    const { replicas, topicConfigs, metrics, image } = ctx.broker;
    const acks = request.acks;
    const validAcks = acks === -1 || acks === 0 || acks === 1;
    // Write on the transactional id (if any) and on each topic, checked before the topic's existence.
    // Transactional records need a transactional id to be authorized against (KafkaApis.handleProduceRequest).
    const txnDenied =
      request.transactionalId !== null
        ? !authorized(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, request.transactionalId)
        : request.topicData.some((t) => t.partitionData.some((p) => hasTransactionalBatch(p.records)));
    const writeDenied = (topic: string) =>
      txnDenied
        ? ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
        : authorized(ctx, AclOperation.WRITE, ResourceType.TOPIC, topic)
          ? 0
          : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
    const leaderHints = new Map<number, { host: string; port: number; rack: string | null }>();
    const failed = (
      topic: string,
      base: ProduceResponsePartitionProduceResponse,
      errorCode: number,
      message: string,
    ): ProduceResponsePartitionProduceResponse => {
      metrics.recordProduceError(topic);
      const hint = leaderHint(image, topic, base.index, errorCode, ctx.connection.listenerName);
      if (hint?.endpoint) leaderHints.set(hint.leaderId, hint.endpoint);
      return {
        ...base,
        errorCode,
        baseOffset: -1n,
        logStartOffset: -1n,
        errorMessage: message,
        ...(hint ? { currentLeader: { leaderId: hint.leaderId, leaderEpoch: hint.leaderEpoch } } : {}),
      };
    };
    const responses = await Promise.all(
      request.topicData.map(async (topic) => ({
        name: topic.name,
        partitionResponses: await Promise.all(
          topic.partitionData.map(async (p): Promise<ProduceResponsePartitionProduceResponse> => {
            const base = { ...defaultProduceResponsePartitionProduceResponse(), index: p.index };
            if (!validAcks) return { ...base, errorCode: ErrorCode.INVALID_REQUIRED_ACKS, baseOffset: -1n };
            const denied = writeDenied(topic.name);
            if (denied) return { ...base, errorCode: denied, baseOffset: -1n, logStartOffset: -1n };
            try {
              if (p.records === null || p.records.length === 0) {
                throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'produce request without records');
              }
              const partition = replicas.leaderPartition(topic.name, p.index);
              const logConfig = topicConfigs.logConfig(topic.name);
              if (ctx.apiVersion < FIRST_ZSTD_PRODUCE_VERSION && hasZstdBatch(p.records)) {
                throw new KafkaError(
                  ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
                  `Produce requests with version ${ctx.apiVersion} are not allowed to use ZStandard compression`,
                );
              }
              const compressionType = topicConfigs.entry(topic.name, 'compression.type').value ?? 'producer';
              const records =
                ctx.apiVersion < 3
                  ? upConvertProduce(p.records, { ...logConfig, compressionType })
                  : recompressForTopic(p.records, compressionType);
              // KIP-890: a transaction's first batch in a partition must belong to an open transaction.
              await verifyTransactionalBatch(
                ctx.broker.transactions,
                request.transactionalId,
                topic.name,
                p.index,
                partition,
                records,
              );
              const minInsync = topicConfigs.minInsyncReplicas(topic.name);
              const result = partition.appendAsLeader(records, acks, logConfig.maxMessageBytes, minInsync);
              if (result.appended) metrics.recordProduce(topic.name, result.appended.bytes, result.appended.records);
              if (acks === -1) {
                // A retried duplicate waits for the original batch, which may not be replicated yet.
                const end = result.lastOffset + 1;
                const code = await replicas.awaitReplication(partition, end, minInsync, request.timeoutMs);
                if (code !== 0) {
                  return failed(topic.name, base, code, `waiting for the ISR of ${topic.name}-${p.index}`);
                }
              }
              return {
                ...base,
                errorCode: 0,
                baseOffset: BigInt(result.baseOffset),
                logAppendTimeMs: BigInt(result.logAppendTime),
                logStartOffset: BigInt(result.logStartOffset),
              };
            } catch (e) {
              if (!(e instanceof KafkaError)) throw e;
              return {
                ...failed(topic.name, base, e.errorCode, e.message),
                recordErrors:
                  e instanceof RecordValidationError
                    ? e.recordErrors.map((r) => ({ batchIndex: r.batchIndex, batchIndexErrorMessage: r.message }))
                    : [],
              };
            }
          }),
        ),
      })),
    );
    // producer_byte_rate counts the request's bytes; over quota, the connection is throttled (KIP-219).
    const throttleTimeMs = ctx.broker.clientQuotas.produce.recordAndGetThrottleTimeMs(
      quotaSession(ctx.connection.principal, ctx.header.clientId),
      ctx.requestBytes ?? 0,
    );
    ctx.throttle?.(throttleTimeMs, clientThrottles('produce', ctx.apiVersion));
    if (acks === 0) return null;
    const nodeEndpoints = [...leaderHints].map(([nodeId, e]) => ({ nodeId, host: e.host, port: e.port, rack: e.rack }));
    return { ...defaultProduceResponse(), throttleTimeMs, responses, nodeEndpoints };
  },
});

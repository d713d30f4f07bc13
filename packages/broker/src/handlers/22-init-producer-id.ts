/**
 * InitProducerId (key 22), v0-5. Without a transactional id (idempotent producers): a fresh producer
 * id at epoch 0, or, when a producer sends its current id and epoch (v3+, KIP-360), the same id at the
 * next epoch, so that it can reset its sequence numbers without losing its identity. With a
 * transactional id: the transaction coordinator's answer (txn/coordinator.ts), which fences older
 * producers of that id. PRODUCER_FENCED exists from v4; older versions get INVALID_PRODUCER_EPOCH, as
 * in Kafka's KafkaApis.
 */
import { ApiKey, defaultInitProducerIdResponse, ErrorCode } from '@flotilla/protocol';
import { AclOperation, ResourceType } from '../security/acl.js';
import { authorized, authorizedOnAny, authorizedOnCluster } from '../security/request-authorization.js';
import { defineHandler } from './types.js';

const MAX_EPOCH = 32767;

export default defineHandler({
  apiKey: ApiKey.InitProducerId,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, request) {
    // Transactional: Write on the id. Idempotent: IdempotentWrite on the cluster, or Write on any topic (KIP-679).
    const denied =
      request.transactionalId !== null
        ? authorized(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, request.transactionalId)
          ? 0
          : ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
        : authorizedOnCluster(ctx, AclOperation.IDEMPOTENT_WRITE) ||
            authorizedOnAny(ctx, AclOperation.WRITE, ResourceType.TOPIC)
          ? 0
          : ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
    if (denied) return { ...defaultInitProducerIdResponse(), errorCode: denied, producerId: -1n, producerEpoch: -1 };
    if (request.transactionalId !== null) {
      const result = await ctx.broker.transactions.initProducerId(
        request.transactionalId,
        request.transactionTimeoutMs,
        ctx.apiVersion >= 3 ? Number(request.producerId) : -1,
        ctx.apiVersion >= 3 ? request.producerEpoch : -1,
      );
      const errorCode =
        result.errorCode === ErrorCode.PRODUCER_FENCED && ctx.apiVersion < 4
          ? ErrorCode.INVALID_PRODUCER_EPOCH
          : result.errorCode;
      return {
        ...defaultInitProducerIdResponse(),
        errorCode,
        producerId: BigInt(result.producerId),
        producerEpoch: result.producerEpoch,
      };
    }
    const { producerIds } = ctx.broker;
    if (request.producerId >= 0n && request.producerEpoch >= 0 && request.producerEpoch < MAX_EPOCH - 1) {
      return {
        ...defaultInitProducerIdResponse(),
        producerId: request.producerId,
        producerEpoch: request.producerEpoch + 1,
      };
    }
    const id = await producerIds.nextProducerId();
    return { ...defaultInitProducerIdResponse(), producerId: BigInt(id), producerEpoch: 0 };
  },
});

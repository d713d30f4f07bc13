/**
 * InitProducerId (key 22), v0-5, for idempotent producers: a fresh producer id at epoch 0, or, when a
 * producer sends its current id and epoch (v3+, KIP-360), the same id at the next epoch, so that it can
 * reset its sequence numbers without losing its identity. Transactional ids are not served yet: such
 * producers get COORDINATOR_NOT_AVAILABLE from FindCoordinator before they get here.
 */
import { ApiKey, defaultInitProducerIdResponse, ErrorCode } from '@flotilla/protocol';
import { defineHandler } from './types.js';

const MAX_EPOCH = 32767;

export default defineHandler({
  apiKey: ApiKey.InitProducerId,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, request) {
    if (request.transactionalId !== null) {
      return {
        ...defaultInitProducerIdResponse(),
        errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE,
        producerId: -1n,
        producerEpoch: -1,
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

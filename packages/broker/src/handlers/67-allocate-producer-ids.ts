/**
 * AllocateProducerIds (key 67), v0, controller listener only (KIP-730): hands a broker the next block
 * of producer ids, recorded in the metadata log so no id is given twice across brokers and restarts.
 * Block size is the broker's choice (1000, as Kafka's); the broker epoch is not checked.
 */
import { ApiKey, defaultAllocateProducerIdsResponse, ErrorCode } from '@flotilla/protocol';
import { quorumOf, quorumPeerAllowed } from './quorum-handler.js';
import { defineHandler } from './types.js';

const BLOCK_SIZE = 1000;

export default defineHandler({
  apiKey: ApiKey.AllocateProducerIds,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, request) {
    if (!quorumPeerAllowed(ctx))
      return { ...defaultAllocateProducerIdsResponse(), errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED };
    const { localController } = quorumOf(ctx);
    try {
      const block = await localController.allocateProducerIds(request.brokerId, BLOCK_SIZE);
      return {
        ...defaultAllocateProducerIdsResponse(),
        producerIdStart: BigInt(block.first),
        producerIdLen: block.count,
      };
    } catch (e) {
      const code = (e as { errorCode?: number }).errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
      return { ...defaultAllocateProducerIdsResponse(), errorCode: code };
    }
  },
});

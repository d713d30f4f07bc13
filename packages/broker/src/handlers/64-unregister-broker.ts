/**
 * UnregisterBroker (key 64), v0: takes a broker out of service for good (scale-in): its leaderships
 * move and it is fenced. Differs from Kafka: the registration record stays (fenced) rather than being
 * removed, so partitions still listing the broker keep a known replica until they are reassigned.
 * Forwarded to the active controller from any broker listener.
 */
import { ApiKey, defaultUnregisterBrokerResponse, ErrorCode } from '@flotilla/protocol';
import { AclOperation } from '../security/acl.js';
import { quorumPeerAllowed } from './quorum-handler.js';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.UnregisterBroker,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, request) {
    if (!quorumPeerAllowed(ctx, AclOperation.ALTER))
      return { ...defaultUnregisterBrokerResponse(), errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED };
    const q = ctx.broker.quorum;
    if (!q) {
      return {
        ...defaultUnregisterBrokerResponse(),
        errorCode: ErrorCode.UNSUPPORTED_VERSION,
        errorMessage: 'no quorum',
      };
    }
    try {
      const errorCode = await q.heartbeats.unregister(request.brokerId);
      return { ...defaultUnregisterBrokerResponse(), errorCode };
    } catch (e) {
      const code = (e as { errorCode?: number }).errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
      return { ...defaultUnregisterBrokerResponse(), errorCode: code, errorMessage: (e as Error).message };
    }
  },
});

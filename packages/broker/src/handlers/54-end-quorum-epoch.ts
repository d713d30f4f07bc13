/**
 * EndQuorumEpoch (key 54), v0-1, controller listener only (KIP-595): a leader that resigns (shutdown,
 * lost quorum) tells the voters; its preferred successors, most caught up first, stand for election
 * after shorter timeouts so a new leader follows quickly.
 */
import { ApiKey, defaultEndQuorumEpochResponse, type EndQuorumEpochResponse, ErrorCode } from '@flotilla/protocol';
import { quorumOf, quorumPeerAllowed } from './quorum-handler.js';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.EndQuorumEpoch,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, request) {
    if (!quorumPeerAllowed(ctx))
      return { ...defaultEndQuorumEpochResponse(), errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED };
    return (await quorumOf(ctx).quorum.handle(ApiKey.EndQuorumEpoch, request)) as EndQuorumEpochResponse;
  },
});

/**
 * BeginQuorumEpoch (key 53), v0-1, controller listener only (KIP-595): a newly elected leader tells the
 * voters, which follow it and start fetching. Leader endpoints are not sent: voters are static
 * (controller.quorum.voters), so every node already knows where each voter listens.
 */
import { ApiKey, type BeginQuorumEpochResponse, defaultBeginQuorumEpochResponse, ErrorCode } from '@flotilla/protocol';
import { quorumOf, quorumPeerAllowed } from './quorum-handler.js';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.BeginQuorumEpoch,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, request) {
    if (!quorumPeerAllowed(ctx))
      return { ...defaultBeginQuorumEpochResponse(), errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED };
    return (await quorumOf(ctx).quorum.handle(ApiKey.BeginQuorumEpoch, request)) as BeginQuorumEpochResponse;
  },
});

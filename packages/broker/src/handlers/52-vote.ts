/**
 * Vote (key 52), v0-1, controller listener only (KIP-595). Grants at most one vote per epoch,
 * persisted in quorum-state before the answer leaves, and only to a candidate whose log is at least as
 * up to date. Differs from Kafka: no pre-vote (KIP-996) and no voter directory ids (static quorum).
 */
import { ApiKey, defaultVoteResponse, ErrorCode, type VoteResponse } from '@flotilla/protocol';
import { quorumOf, quorumPeerAllowed } from './quorum-handler.js';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.Vote,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, request) {
    if (!quorumPeerAllowed(ctx)) return { ...defaultVoteResponse(), errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED };
    return (await quorumOf(ctx).quorum.handle(ApiKey.Vote, request)) as VoteResponse;
  },
});

/**
 * BeginQuorumEpoch (key 53), v0-1, controller listener only (KIP-595): a newly elected leader tells the
 * voters, which follow it and start fetching. Leader endpoints are not sent: voters are static
 * (controller.quorum.voters), so every node already knows where each voter listens.
 */
import { ApiKey, type BeginQuorumEpochResponse } from '@flotilla/protocol';
import { quorumOf } from './quorum-handler.js';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.BeginQuorumEpoch,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, request) {
    return (await quorumOf(ctx).quorum.handle(ApiKey.BeginQuorumEpoch, request)) as BeginQuorumEpochResponse;
  },
});

/**
 * Fetch (key 1) on the controller listener, v12-17: replication of `__cluster_metadata-0` between the
 * quorum's members (KIP-595). The fetch offset is the fetcher's log end offset, from which the leader
 * computes the high watermark; the answer carries the high watermark, divergingEpoch when the
 * fetcher's log has a tail the leader does not, or snapshotId when it must load a snapshot first. An
 * empty answer waits up to maxWaitMs for new entries. Client fetches go to the broker listeners'
 * Fetch handler (01-fetch.ts), never here.
 */
import { ApiKey, defaultFetchResponse, ErrorCode, type FetchResponse } from '@flotilla/protocol';
import { quorumOf, quorumPeerAllowed } from './quorum-handler.js';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.Fetch,
  minVersion: 12,
  maxVersion: 17,
  async handle(ctx, request) {
    if (!quorumPeerAllowed(ctx))
      return { ...defaultFetchResponse(), errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED };
    return (await quorumOf(ctx).quorum.handle(ApiKey.Fetch, request, request.maxWaitMs)) as FetchResponse;
  },
});

/**
 * FetchSnapshot (key 59), v0-1, controller listener only (KIP-630): a fetcher whose offset is below the
 * leader's log start reads the latest metadata snapshot in chunks, then fetches the log after it.
 * Snapshots here are JSON arrays of metadata records, not Kafka's record-batch snapshot files.
 */
import { ApiKey, defaultFetchSnapshotResponse, ErrorCode, type FetchSnapshotResponse } from '@flotilla/protocol';
import { quorumOf, quorumPeerAllowed } from './quorum-handler.js';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.FetchSnapshot,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, request) {
    if (!quorumPeerAllowed(ctx))
      return { ...defaultFetchSnapshotResponse(), errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED };
    return (await quorumOf(ctx).quorum.handle(ApiKey.FetchSnapshot, request)) as FetchSnapshotResponse;
  },
});

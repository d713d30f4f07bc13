/**
 * BrokerHeartbeat (key 63), v0-1, controller listener only (KIP-631): keeps the broker's session alive;
 * unfences it once its metadata offset reaches its registration; with wantShutDown moves its
 * leaderships away and answers shouldShutDown (controlled shutdown). offlineLogDirs is ignored.
 */
import { ApiKey, defaultBrokerHeartbeatResponse, ErrorCode } from '@flotilla/protocol';
import { quorumOf, quorumPeerAllowed } from './quorum-handler.js';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.BrokerHeartbeat,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, request) {
    if (!quorumPeerAllowed(ctx))
      return { ...defaultBrokerHeartbeatResponse(), errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED };
    const { heartbeats } = quorumOf(ctx);
    try {
      const r = await heartbeats.heartbeat({
        brokerId: request.brokerId,
        brokerEpoch: Number(request.brokerEpoch),
        currentMetadataOffset: Number(request.currentMetadataOffset),
        wantFence: request.wantFence,
        wantShutDown: request.wantShutDown,
      });
      return { ...defaultBrokerHeartbeatResponse(), ...r };
    } catch (e) {
      const code = (e as { errorCode?: number }).errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
      return { ...defaultBrokerHeartbeatResponse(), errorCode: code, isFenced: true };
    }
  },
});

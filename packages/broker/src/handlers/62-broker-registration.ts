/**
 * BrokerRegistration (key 62), v0-4, controller listener only (KIP-631): the active controller records
 * the broker (RegisterBroker, fenced) and answers its broker epoch, the offset of that record. Features
 * and log directories are accepted and not checked. A broker re-registering with a new incarnation
 * before its session expired is accepted (Kafka answers DUPLICATE_BROKER_REGISTRATION until the old
 * session times out); its leaderships move first, as for a fenced broker.
 */
import { ApiKey, defaultBrokerRegistrationResponse, ErrorCode } from '@flotilla/protocol';
import { quorumOf, quorumPeerAllowed } from './quorum-handler.js';
import { defineHandler } from './types.js';

const PROTOCOL_NAMES = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];

export default defineHandler({
  apiKey: ApiKey.BrokerRegistration,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, request) {
    if (!quorumPeerAllowed(ctx))
      return { ...defaultBrokerRegistrationResponse(), errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED };
    const { heartbeats } = quorumOf(ctx);
    try {
      const r = await heartbeats.register({
        brokerId: request.brokerId,
        clusterId: request.clusterId,
        incarnationId: request.incarnationId,
        rack: request.rack,
        endpoints: request.listeners.map((l) => ({
          name: l.name,
          host: l.host,
          port: l.port,
          securityProtocol: PROTOCOL_NAMES[l.securityProtocol] ?? 'PLAINTEXT',
        })),
      });
      return { ...defaultBrokerRegistrationResponse(), errorCode: r.errorCode, brokerEpoch: BigInt(r.brokerEpoch) };
    } catch (e) {
      const code = (e as { errorCode?: number }).errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
      return { ...defaultBrokerRegistrationResponse(), errorCode: code, brokerEpoch: -1n };
    }
  },
});

/**
 * SaslHandshake (key 17), v0-1. Picks the SASL mechanism for this connection and lists the enabled
 * ones. v0 means the tokens that follow come raw, without Kafka headers; v1 means they come in
 * SaslAuthenticate requests. A SaslHandshake on an authenticated connection starts re-authentication
 * (KIP-368), which needs v1 and the same mechanism. The connection's SaslSession (security/) holds the
 * state; on a listener without SASL the answer is ILLEGAL_SASL_STATE, as Kafka gives.
 */
import { ApiKey, ErrorCode } from '@flotilla/protocol';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.SaslHandshake,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, request) {
    const sasl = ctx.connection.sasl;
    if (!sasl) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] };
    const errorCode = sasl.handshake(request.mechanism, ctx.apiVersion);
    return { errorCode, mechanisms: [...sasl.enabledMechanisms] };
  },
});

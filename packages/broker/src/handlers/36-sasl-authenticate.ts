/**
 * SaslAuthenticate (key 36), v0-2. Carries one SASL token each way. The last successful step gives
 * the session lifetime (v1+, connections.max.reauth.ms; 0 when sessions do not expire). A failure
 * answers SASL_AUTHENTICATION_FAILED with Kafka's vague message and the connection is closed after the
 * response (network/connection.ts). Without SASL on the listener: ILLEGAL_SASL_STATE.
 */
import { ApiKey, defaultSaslAuthenticateResponse, ErrorCode } from '@flotilla/protocol';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.SaslAuthenticate,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, request) {
    const sasl = ctx.connection.sasl;
    if (!sasl) {
      return {
        ...defaultSaslAuthenticateResponse(),
        errorCode: ErrorCode.ILLEGAL_SASL_STATE,
        errorMessage: 'SaslAuthenticate on a listener without SASL',
      };
    }
    const result = await sasl.authenticate(request.authBytes);
    return {
      ...defaultSaslAuthenticateResponse(),
      errorCode: result.errorCode,
      errorMessage: result.errorMessage,
      authBytes: result.authBytes,
      sessionLifetimeMs: BigInt(result.sessionLifetimeMs),
    };
  },
});

/**
 * ApiVersions (key 18), v0-4. Lists every API this broker handles with the versions it supports. A
 * request at a version above ours is answered at v0 with UNSUPPORTED_VERSION and our range, so the
 * client can retry at a version we know (KIP-511); librdkafka relies on this fallback.
 */
import { ApiKey, type ApiVersionsResponse, defaultApiVersionsResponse, ErrorCode } from '@flotilla/protocol';
import { defineHandler, type Handler } from './types.js';

export function apiVersionsBody(handlers: readonly Handler[], errorCode = 0): ApiVersionsResponse {
  return {
    ...defaultApiVersionsResponse(),
    errorCode,
    apiKeys: [...handlers]
      .sort((a, b) => a.apiKey - b.apiKey)
      .map((h) => ({ apiKey: h.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion })),
  };
}

export function apiVersionsHandler(handlers: () => readonly Handler[]) {
  return defineHandler({
    apiKey: ApiKey.ApiVersions,
    minVersion: 0,
    maxVersion: 4,
    handle(ctx, request) {
      // v3+ clients name themselves; Kafka validates the strings (INVALID_REQUEST on bad characters).
      const legal = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/;
      if (
        ctx.apiVersion >= 3 &&
        (!legal.test(request.clientSoftwareName) || !legal.test(request.clientSoftwareVersion))
      ) {
        return apiVersionsBody(handlers(), ErrorCode.INVALID_REQUEST);
      }
      return apiVersionsBody(handlers());
    },
  });
}

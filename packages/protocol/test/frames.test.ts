import { describe, expect, it } from 'vitest';
import { DecodeError, KafkaError } from '../src/errors.js';
import {
  decodeRequestFrame,
  decodeResponseFrame,
  encodeRequestFrame,
  encodeResponseFrame,
  requestHeaderVersion,
  responseHeaderVersion,
} from '../src/frames.js';
import { API_SPECS, ApiKey } from '../src/generated/api.js';
import { defaultApiVersionsResponse } from '../src/generated/messages/api-versions-response.js';
import { defaultMetadataRequest } from '../src/generated/messages/metadata-request.js';

describe('header versions', () => {
  it('follow flexible versions, with Kafka two exceptions', () => {
    expect(requestHeaderVersion(ApiKey.Produce, 8)).toBe(1);
    expect(requestHeaderVersion(ApiKey.Produce, 9)).toBe(2);
    expect(requestHeaderVersion(ApiKey.ControlledShutdown, 0)).toBe(0);
    expect(requestHeaderVersion(ApiKey.ControlledShutdown, 1)).toBe(1);
    expect(responseHeaderVersion(ApiKey.Metadata, 9)).toBe(1);
    expect(responseHeaderVersion(ApiKey.Metadata, 8)).toBe(0);
    // ApiVersions responses always use header v0, even at flexible v3+.
    expect(responseHeaderVersion(ApiKey.ApiVersions, 3)).toBe(0);
  });
});

describe('frames', () => {
  it('encode a request with size, header and body, and decode it back', () => {
    const body = { ...defaultMetadataRequest(), topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'orders' }] };
    const frame = encodeRequestFrame(
      { apiKey: ApiKey.Metadata, apiVersion: 12, correlationId: 7, clientId: 'flo' },
      body,
    );
    expect(frame.readInt32BE(0)).toBe(frame.length - 4);
    // header v2: key, version, correlation id, client id as a classic (int16-length) string, tagged fields
    expect(frame.subarray(4, 17)).toEqual(Buffer.from([0, 3, 0, 12, 0, 0, 0, 7, 0, 3, 0x66, 0x6c, 0x6f]));
    const decoded = decodeRequestFrame(frame.subarray(4));
    expect(decoded.header).toMatchObject({ apiKey: 3, apiVersion: 12, correlationId: 7, clientId: 'flo' });
    expect(decoded.body).toEqual(body);
  });

  it('encode an ApiVersions v3 response with a v0 header', () => {
    const body = {
      ...defaultApiVersionsResponse(),
      apiKeys: Object.values(API_SPECS).map((s) => ({
        apiKey: s.apiKey,
        minVersion: s.minVersion,
        maxVersion: s.maxVersion,
      })),
    };
    const frame = encodeResponseFrame(ApiKey.ApiVersions, 3, 42, body);
    // correlation id, then straight to the error code: no header tagged-field byte
    expect(frame.readInt32BE(4)).toBe(42);
    expect(frame.readInt16BE(8)).toBe(0);
    expect(decodeResponseFrame(frame.subarray(4), ApiKey.ApiVersions, 3).body).toEqual(body);
  });

  it('ignore bytes after a request body (as Kafka does), reject unknown keys and unsupported versions', () => {
    const frame = encodeRequestFrame(
      { apiKey: ApiKey.Metadata, apiVersion: 1, correlationId: 1, clientId: null },
      defaultMetadataRequest(),
    );
    const padded = Buffer.concat([frame.subarray(4), Buffer.from([0])]);
    expect(decodeRequestFrame(padded).body).toEqual(defaultMetadataRequest());
    const unknownKey = Buffer.from(frame.subarray(4));
    unknownKey.writeInt16BE(999, 0);
    expect(() => decodeRequestFrame(unknownKey)).toThrow(DecodeError);
    const badVersion = Buffer.from(frame.subarray(4));
    badVersion.writeInt16BE(99, 2);
    expect(() => decodeRequestFrame(badVersion)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_VERSION' }));
    expect(() =>
      encodeRequestFrame(
        { apiKey: ApiKey.Metadata, apiVersion: 99, correlationId: 1, clientId: null },
        defaultMetadataRequest(),
      ),
    ).toThrow(KafkaError);
  });
});

/**
 * Request and response frames: size prefix, header, body (protocol.html, "Common Request and Response
 * Structure"). The header version follows from the API's flexible versions, with two historical
 * exceptions: ControlledShutdown v0 uses request header v0 (no client id), and ApiVersions responses
 * always use header v0 so that a client can read them before it knows what the broker supports.
 */

import { DecodeError, ErrorCode, KafkaError } from './errors.js';
import { API_SPECS, type ApiKey, ApiKey as Keys, type RequestTypes, type ResponseTypes } from './generated/api.js';
import { type RequestHeader, readRequestHeader, writeRequestHeader } from './generated/messages/request-header.js';
import { readResponseHeader, writeResponseHeader } from './generated/messages/response-header.js';
import { Reader } from './primitives/reader.js';
import { Writer } from './primitives/writer.js';

export function isApiKey(key: number): key is ApiKey {
  return Object.hasOwn(API_SPECS, key);
}

export function apiSpec(key: number) {
  if (!isApiKey(key)) throw new DecodeError(`unknown API key ${key}`, 0);
  return API_SPECS[key];
}

export function isSupportedVersion(key: number, version: number): boolean {
  if (!isApiKey(key)) return false;
  const spec = API_SPECS[key];
  return version >= spec.minVersion && version <= spec.maxVersion;
}

export function requestHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === Keys.ControlledShutdown && apiVersion === 0) return 0;
  const flex = isApiKey(apiKey) ? API_SPECS[apiKey].requestFlexibleVersion : -1;
  return flex >= 0 && apiVersion >= flex ? 2 : 1;
}

export function responseHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === Keys.ApiVersions) return 0;
  const flex = isApiKey(apiKey) ? API_SPECS[apiKey].responseFlexibleVersion : -1;
  return flex >= 0 && apiVersion >= flex ? 1 : 0;
}

function checkVersion(apiKey: number, apiVersion: number): void {
  if (!isSupportedVersion(apiKey, apiVersion)) {
    throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, `API key ${apiKey} version ${apiVersion} is not supported`);
  }
}

export interface RequestFrameHeader {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
}

/** Writes a whole request frame (int32 size first) into `w`. */
export function writeRequestFrame<K extends ApiKey>(
  w: Writer,
  header: RequestFrameHeader & { apiKey: K },
  body: RequestTypes[K],
): void {
  checkVersion(header.apiKey, header.apiVersion);
  const size = w.reserveI32();
  const h: RequestHeader = {
    requestApiKey: header.apiKey,
    requestApiVersion: header.apiVersion,
    correlationId: header.correlationId,
    clientId: header.clientId,
  };
  writeRequestHeader(w, requestHeaderVersion(header.apiKey, header.apiVersion), h);
  API_SPECS[header.apiKey].writeRequest(w, header.apiVersion, body);
  w.patchLength(size);
}

export function encodeRequestFrame<K extends ApiKey>(
  header: RequestFrameHeader & { apiKey: K },
  body: RequestTypes[K],
): Buffer {
  const w = new Writer();
  writeRequestFrame(w, header, body);
  return w.toBuffer();
}

export interface DecodedRequestHeader extends RequestFrameHeader {
  readonly headerVersion: number;
  /** Tagged fields of a v2 header this code does not know (kept for exact re-encoding). */
  readonly unknownTaggedFields?: RequestHeader['unknownTaggedFields'];
}

/**
 * Reads a request header from a frame without its size prefix. Works for any API key and version
 * (a broker must answer an unsupported ApiVersions request, so the header must decode first); the
 * reader is left at the start of the body.
 */
export function readRequestFrameHeader(r: Reader): DecodedRequestHeader {
  if (r.remaining < 4) throw new DecodeError('request shorter than its api key and version', r.offset);
  const apiKey = r.buf.readInt16BE(r.offset);
  const apiVersion = r.buf.readInt16BE(r.offset + 2);
  const headerVersion = requestHeaderVersion(apiKey, apiVersion);
  const h = readRequestHeader(r, headerVersion);
  return {
    apiKey,
    apiVersion,
    correlationId: h.correlationId,
    clientId: h.clientId,
    headerVersion,
    ...(h.unknownTaggedFields ? { unknownTaggedFields: h.unknownTaggedFields } : {}),
  };
}

/**
 * Reads a request body of a known key and version. Bytes after the body are ignored, as Kafka ignores
 * them: librdkafka 2.x sends Metadata v9+ "all topics" requests with a 4-byte placeholder where a
 * 1-byte compact array count belongs, and Kafka's parser never looks past the tagged fields.
 */
export function readRequestBody<K extends ApiKey>(r: Reader, apiKey: K, apiVersion: number): RequestTypes[K] {
  checkVersion(apiKey, apiVersion);
  return API_SPECS[apiKey].readRequest(r, apiVersion);
}

export interface DecodedRequest {
  readonly header: DecodedRequestHeader;
  readonly body: RequestTypes[ApiKey];
}

/** Decodes a whole request frame (without its size prefix). */
export function decodeRequestFrame(frame: Buffer): DecodedRequest {
  const r = new Reader(frame);
  const header = readRequestFrameHeader(r);
  if (!isApiKey(header.apiKey)) throw new DecodeError(`unknown API key ${header.apiKey}`, 0);
  return { header, body: readRequestBody(r, header.apiKey, header.apiVersion) };
}

/** Writes a whole response frame (int32 size first) into `w`. */
export function writeResponseFrame<K extends ApiKey>(
  w: Writer,
  apiKey: K,
  apiVersion: number,
  correlationId: number,
  body: ResponseTypes[K],
): void {
  const size = w.reserveI32();
  writeResponseHeader(w, responseHeaderVersion(apiKey, apiVersion), { correlationId });
  API_SPECS[apiKey].writeResponse(w, apiVersion, body);
  w.patchLength(size);
}

export function encodeResponseFrame<K extends ApiKey>(
  apiKey: K,
  apiVersion: number,
  correlationId: number,
  body: ResponseTypes[K],
): Buffer {
  const w = new Writer();
  writeResponseFrame(w, apiKey, apiVersion, correlationId, body);
  return w.toBuffer();
}

/** The correlation id of a response frame (without size prefix): how a client matches it to a request. */
export function peekCorrelationId(frame: Buffer): number {
  if (frame.length < 4) throw new DecodeError('response shorter than its correlation id', 0);
  return frame.readInt32BE(0);
}

/** Decodes a response frame (without size prefix) for the request it answers. */
export function decodeResponseFrame<K extends ApiKey>(
  frame: Buffer,
  apiKey: K,
  apiVersion: number,
): { correlationId: number; body: ResponseTypes[K] } {
  checkVersion(apiKey, apiVersion);
  const r = new Reader(frame);
  const header = readResponseHeader(r, responseHeaderVersion(apiKey, apiVersion));
  const body = API_SPECS[apiKey].readResponse(r, apiVersion);
  r.expectEnd(`${API_SPECS[apiKey].name} v${apiVersion} response`);
  return { correlationId: header.correlationId, body };
}

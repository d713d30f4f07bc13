/**
 * Errors raised by the client itself, as opposed to error codes a broker sends (those are KafkaError).
 * Callers branch on `code`, which never changes once released (after undici's `UND_ERR_*`); the message
 * is for humans and may change.
 */

export const ClientErrorCode = {
  /** The connection is closed (by us, by the broker, or after a socket error); see `cause`. */
  CONNECTION_CLOSED: 'ERR_CONNECTION_CLOSED',
  /** TCP or TLS connection to the broker could not be established. */
  CONNECT_FAILED: 'ERR_CONNECT_FAILED',
  /** TCP or TLS connection did not complete within `connectTimeoutMs`. */
  CONNECT_TIMEOUT: 'ERR_CONNECT_TIMEOUT',
  /** No response within the request's timeout. The connection stays open. */
  REQUEST_TIMEOUT: 'ERR_REQUEST_TIMEOUT',
  /** The broker does not offer the API at all. */
  UNSUPPORTED_API: 'ERR_UNSUPPORTED_API',
  /** The broker offers the API, but no version that this client can encode (or not the one asked for). */
  UNSUPPORTED_VERSION: 'ERR_UNSUPPORTED_VERSION',
  /** A frame's size prefix is above `maxFrameBytes`: a misbehaving peer, or not Kafka at all (TLS, HTTP). */
  FRAME_TOO_LARGE: 'ERR_FRAME_TOO_LARGE',
  /** A frame's size prefix is negative or too small to hold a correlation id. */
  INVALID_FRAME: 'ERR_INVALID_FRAME',
  /** A response did not answer the oldest request in flight; Kafka answers in order per connection. */
  CORRELATION_MISMATCH: 'ERR_CORRELATION_MISMATCH',
  /** The broker's answers do not follow the SASL mechanism (bad nonce, too few iterations, ...). */
  SASL_PROTOCOL: 'ERR_SASL_PROTOCOL',
  /** The AdminClient was closed. */
  CLIENT_CLOSED: 'ERR_CLIENT_CLOSED',
  /** No broker in the bootstrap list (or in the cluster metadata) could be reached. */
  NO_BROKER_AVAILABLE: 'ERR_NO_BROKER_AVAILABLE',
} as const;
export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

/** Codes after which the same request may succeed on a fresh connection or a moment later. */
const RETRIABLE = new Set<ClientErrorCode>([
  ClientErrorCode.CONNECTION_CLOSED,
  ClientErrorCode.CONNECT_FAILED,
  ClientErrorCode.CONNECT_TIMEOUT,
  ClientErrorCode.REQUEST_TIMEOUT,
  ClientErrorCode.NO_BROKER_AVAILABLE,
]);

export class ClientError extends Error {
  readonly code: ClientErrorCode;
  readonly retriable: boolean;

  constructor(code: ClientErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ClientError';
    this.code = code;
    this.retriable = RETRIABLE.has(code);
  }
}

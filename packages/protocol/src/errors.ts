/**
 * Kafka's error table and the one error class that carries a code from it.
 *
 * The table itself (code, name, message) is generated from Kafka's Errors.java listing
 * (spec/errors.tsv); `retriable` follows Java's exception hierarchy: an error is retriable when its
 * exception extends RetriableException (directly or through InvalidMetadataException), which is what
 * every Kafka client uses to decide whether to retry.
 */
import { ERROR_TABLE, ErrorCode } from './generated/errors.js';

export { ErrorCode };

export interface ErrorInfo {
  readonly code: number;
  readonly name: string;
  readonly retriable: boolean;
  readonly message: string;
}

const RETRIABLE = new Set([
  'CORRUPT_MESSAGE',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_OR_FOLLOWER',
  'REQUEST_TIMED_OUT',
  'REPLICA_NOT_AVAILABLE',
  'NETWORK_EXCEPTION',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR',
  'NOT_ENOUGH_REPLICAS',
  'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  'NOT_CONTROLLER',
  'KAFKA_STORAGE_ERROR',
  'CONCURRENT_TRANSACTIONS',
  'FETCH_SESSION_ID_NOT_FOUND',
  'INVALID_FETCH_SESSION_EPOCH',
  'LISTENER_NOT_FOUND',
  'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH',
  'OFFSET_NOT_AVAILABLE',
  'PREFERRED_LEADER_NOT_AVAILABLE',
  'ELIGIBLE_LEADERS_NOT_AVAILABLE',
  'UNSTABLE_OFFSET_COMMIT',
  'THROTTLING_QUOTA_EXCEEDED',
  'FETCH_SESSION_TOPIC_ID_ERROR',
  'INCONSISTENT_TOPIC_ID',
  'UNKNOWN_TOPIC_ID',
  'SHARE_SESSION_NOT_FOUND',
  'INVALID_SHARE_SESSION_EPOCH',
]);

const byCode = new Map<number, ErrorInfo>();
const byName = new Map<string, ErrorInfo>();
for (const [code, name, message] of ERROR_TABLE) {
  const info: ErrorInfo = { code, name, message, retriable: RETRIABLE.has(name) };
  byCode.set(code, info);
  byName.set(name, info);
}

export function errorInfo(code: number): ErrorInfo {
  return (
    byCode.get(code) ?? {
      code,
      name: `UNKNOWN_ERROR_CODE_${code}`,
      retriable: false,
      message: `Error code ${code} is not in Kafka's error table.`,
    }
  );
}

export function errorByName(name: string): ErrorInfo {
  const info = byName.get(name);
  if (!info) throw new TypeError(`no Kafka error named ${name}`);
  return info;
}

/**
 * An error with a Kafka error code. `code` is the stable name (callers branch on it, never on the
 * message text); `errorCode` is the number on the wire.
 */
export class KafkaError extends Error {
  readonly errorCode: number;
  readonly code: string;
  readonly retriable: boolean;

  constructor(errorCode: number, detail?: string) {
    const info = errorInfo(errorCode);
    super(detail ? `${info.name}: ${detail}` : `${info.name}: ${info.message}`);
    this.name = 'KafkaError';
    this.errorCode = errorCode;
    this.code = info.name;
    this.retriable = info.retriable;
  }

  /** Throws a KafkaError when `errorCode` is not 0 (NONE). */
  static check(errorCode: number, detail?: string): void {
    if (errorCode !== 0) throw new KafkaError(errorCode, detail);
  }
}

/**
 * Bytes that do not decode: a short frame, an impossible length, an unknown version. Kafka answers
 * such a request by closing the connection (InvalidRequestException, INVALID_REQUEST).
 */
export class DecodeError extends KafkaError {
  /** Byte offset in the input where decoding failed. */
  readonly offset: number;

  constructor(detail: string, offset: number) {
    super(ErrorCode.INVALID_REQUEST, `${detail} (at byte ${offset})`);
    this.name = 'DecodeError';
    this.offset = offset;
  }
}

/** A record batch whose CRC, size or layout is wrong (CorruptRecordException, CORRUPT_MESSAGE). */
export class CorruptRecordError extends KafkaError {
  constructor(detail: string) {
    super(ErrorCode.CORRUPT_MESSAGE, detail);
    this.name = 'CorruptRecordError';
  }
}

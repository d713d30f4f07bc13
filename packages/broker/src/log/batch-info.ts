/**
 * What the log needs from a record batch header, read at fixed positions without decoding records:
 * the broker validates, indexes and serves batches without ever decompressing them. Offsets and
 * timestamps become JS numbers (exact up to 2^53, far beyond any offset a partition reaches).
 */
import type { CompressionType } from '@flotilla/protocol';

export const BATCH_HEADER_SIZE = 61;
/** Bytes before batchLength's count starts: baseOffset (8) + batchLength (4). */
export const LOG_OVERHEAD = 12;

export interface BatchInfo {
  readonly baseOffset: number;
  readonly lastOffset: number;
  /** Whole batch size in bytes, LOG_OVERHEAD included. */
  readonly size: number;
  readonly partitionLeaderEpoch: number;
  readonly magic: number;
  readonly attributes: number;
  readonly baseTimestamp: number;
  readonly maxTimestamp: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly recordCount: number;
}

/** Attribute bits of a v2 batch: a transaction's batch, and a control batch (a transaction marker). */
const TRANSACTIONAL_BIT = 0x10;
const CONTROL_BIT = 0x20;
/** The low three attribute bits name the codec; 4 is zstd. */
const COMPRESSION_MASK = 0x07;
const ZSTD_CODEC = 4;
/** Where a v2 batch header holds its magic byte and its attributes. */
const MAGIC_AT = 16;
const ATTRIBUTES_AT = 21;

export function isTransactional(info: Pick<BatchInfo, 'attributes'>): boolean {
  return (info.attributes & TRANSACTIONAL_BIT) !== 0;
}

export function isControl(info: Pick<BatchInfo, 'attributes'>): boolean {
  return (info.attributes & CONTROL_BIT) !== 0;
}

/** Whether some v2 batch header of a record set has attributes passing `test`; stops at the first header that cannot be one. */
export function someBatchAttributes(records: Buffer | null, test: (attributes: number) => boolean): boolean {
  if (records === null) return false;
  for (let at = 0; at + BATCH_HEADER_SIZE <= records.length; ) {
    if (records.readInt8(at + MAGIC_AT) === 2 && test(records.readInt16BE(at + ATTRIBUTES_AT))) return true;
    const length = records.readInt32BE(at + 8);
    if (length <= 0) return false; // corrupt: answered per partition when appended
    at += LOG_OVERHEAD + length;
  }
  return false;
}

/**
 * Whether a record set holds a v2 batch with the transactional bit (Kafka's
 * RequestUtils.hasTransactionalRecords), read from the batch headers in place: Produce asks it of every
 * request without a transactional id.
 */
export function hasTransactionalBatch(records: Buffer | null): boolean {
  return someBatchAttributes(records, (a) => (a & TRANSACTIONAL_BIT) !== 0);
}

/** The codec (CompressionType) named by a v2 batch's attributes. */
export function batchCodec(attributes: number): CompressionType {
  return (attributes & COMPRESSION_MASK) as CompressionType;
}

/** Whether a record set holds a zstd-compressed v2 batch, which Produce before v7 may not carry (KIP-110). */
export function hasZstdBatch(records: Buffer | null): boolean {
  return someBatchAttributes(records, (a) => batchCodec(a) === ZSTD_CODEC);
}

/** Reads the header of the batch at `at`; null when the bytes cannot be a v2 batch header. */
export function readBatchInfo(buf: Buffer, at: number): BatchInfo | null {
  if (at + BATCH_HEADER_SIZE > buf.length) return null;
  const batchLength = buf.readInt32BE(at + 8);
  const magic = buf.readInt8(at + MAGIC_AT);
  if (magic !== 2 || batchLength < BATCH_HEADER_SIZE - LOG_OVERHEAD) return null;
  const baseOffset = Number(buf.readBigInt64BE(at));
  return {
    baseOffset,
    lastOffset: baseOffset + buf.readInt32BE(at + 23),
    size: batchLength + LOG_OVERHEAD,
    partitionLeaderEpoch: buf.readInt32BE(at + 12),
    magic,
    attributes: buf.readInt16BE(at + ATTRIBUTES_AT),
    baseTimestamp: Number(buf.readBigInt64BE(at + 27)),
    maxTimestamp: Number(buf.readBigInt64BE(at + 35)),
    producerId: Number(buf.readBigInt64BE(at + 43)),
    producerEpoch: buf.readInt16BE(at + 51),
    baseSequence: buf.readInt32BE(at + 53),
    recordCount: buf.readInt32BE(at + 57),
  };
}

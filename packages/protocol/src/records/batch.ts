/**
 * Record batch v2 (magic 2), the unit of Produce, Fetch and the log: implementation.html §5.3.1-5.3.2.
 *
 *   baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 | crc uint32 |
 *   attributes int16 | lastOffsetDelta int32 | baseTimestamp int64 | maxTimestamp int64 |
 *   producerId int64 | producerEpoch int16 | baseSequence int32 | recordCount int32 | records
 *
 * The 61-byte header is read without touching the records, so the broker can validate a batch and
 * assign its offsets without decompressing it: baseOffset and partitionLeaderEpoch sit before the CRC
 * (which covers attributes to the end) and are rewritten in place. Records are compressed as one
 * block after recordCount.
 *
 * Message formats v0/v1 (pre-0.11 message sets) share the first 17 bytes' layout, so they are
 * recognised and reported with their magic here; legacy.ts decodes them (Produce v0-2, Fetch v0-3).
 *
 * Everything wrong inside a batch is a CorruptRecordError (CORRUPT_MESSAGE), what Kafka answers.
 */
import { CorruptRecordError, DecodeError } from '../errors.js';
import { Reader } from '../primitives/reader.js';
import { Writer } from '../primitives/writer.js';
import { CompressionType, type CompressOptions, compress, decompress, isCompressionType } from './compression/index.js';
import { crc32c } from './crc32c.js';

// Byte positions of the header fields from the start of a batch.
const BASE_OFFSET = 0;
const BATCH_LENGTH = 8;
const PARTITION_LEADER_EPOCH = 12;
const MAGIC = 16;
const CRC = 17;
const ATTRIBUTES = 21;
const LAST_OFFSET_DELTA = 23;
const BASE_TIMESTAMP = 27;
const MAX_TIMESTAMP = 35;
const PRODUCER_ID = 43;
const PRODUCER_EPOCH = 51;
const BASE_SEQUENCE = 53;
const RECORD_COUNT = 57;

/** Size of the v2 batch header; records start here. */
export const RECORD_BATCH_HEADER_BYTES = 61;
/** baseOffset + batchLength, the bytes that batchLength does not count (Kafka's LOG_OVERHEAD). */
export const LOG_OVERHEAD = 12;
/** Bytes needed to read the magic of any message format (Kafka's HEADER_SIZE_UP_TO_MAGIC). */
const HEADER_BYTES_UP_TO_MAGIC = MAGIC + 1;
const MIN_V2_BATCH_LENGTH = RECORD_BATCH_HEADER_BYTES - LOG_OVERHEAD;
/** A legacy message's smallest size: crc, magic, attributes, key and value lengths (v0). */
const MIN_LEGACY_MESSAGE_SIZE = 14;
/** attributes, timestampDelta, offsetDelta, keyLength, valueLength, headerCount: one byte each at least. */
const MIN_RECORD_BODY_BYTES = 6;
/** Writer.varint reserves 5 bytes (varlong 10) whatever it writes: room so an exact size never regrows. */
const WRITER_SLACK = 16;

const COMPRESSION_MASK = 0x07;
const TIMESTAMP_TYPE_BIT = 0x08;
const TRANSACTIONAL_BIT = 0x10;
const CONTROL_BIT = 0x20;
const DELETE_HORIZON_BIT = 0x40;

export const TimestampType = { CREATE_TIME: 0, LOG_APPEND_TIME: 1 } as const;
export type TimestampType = (typeof TimestampType)[keyof typeof TimestampType];

/** The producer id, epoch and sequence of a batch from a non-idempotent producer. */
export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
export const NO_PARTITION_LEADER_EPOCH = -1;

export interface RecordBatchHeader {
  baseOffset: bigint;
  /** Bytes after this field: the whole batch is `batchLength + LOG_OVERHEAD` bytes. */
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: 2;
  crc: number;
  /** The attributes as on the wire; the five fields below are its bits decoded. */
  attributes: number;
  compression: CompressionType;
  timestampType: TimestampType;
  isTransactional: boolean;
  isControl: boolean;
  hasDeleteHorizonMs: boolean;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

/** A v0/v1 message (offset, message_size, then a message whose magic is at the same byte as v2's). */
export interface LegacyMessageHeader {
  magic: 0 | 1;
  /** The message's offset (the last inner offset for a compressed wrapper). */
  baseOffset: bigint;
  /** message_size: like batchLength, the bytes after this field. */
  batchLength: number;
}

export type BatchHeader = RecordBatchHeader | LegacyMessageHeader;

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

/**
 * One record (§5.3.2). Decoded keys, values and header values share memory with the batch (or with its
 * decompressed records): copy them to keep them past the input buffer's life.
 */
export interface Record {
  /** Unused by Kafka so far; kept as read. */
  attributes: number;
  timestampDelta: number;
  offsetDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export interface RecordBatch {
  readonly magic: 2;
  readonly header: RecordBatchHeader;
  /** The whole batch, baseOffset to the end; shares memory with the input. */
  readonly bytes: Buffer;
}

export interface LegacyMessage {
  readonly magic: 0 | 1;
  readonly header: LegacyMessageHeader;
  readonly bytes: Buffer;
}

export interface DecodedBatches {
  /** In input order; check `magic` before decoding records, legacy messages are not decoded. */
  batches: (RecordBatch | LegacyMessage)[];
  /**
   * Bytes at the end holding an incomplete batch: a fetch response is cut at the fetch size limit
   * (Kafka's consumers skip the partial tail too). 0 when the input ends on a batch boundary.
   */
  partialBytes: number;
}

/** What `encodeBatch` needs: a header without the derived fields, and the records. */
export interface RecordBatchInput {
  /** Default 0: producers leave it to the broker. */
  baseOffset?: bigint;
  partitionLeaderEpoch?: number;
  compression?: CompressionType;
  timestampType?: TimestampType;
  isTransactional?: boolean;
  isControl?: boolean;
  hasDeleteHorizonMs?: boolean;
  /** Default: the last record's offsetDelta (0 for an empty batch). */
  lastOffsetDelta?: number;
  baseTimestamp: bigint;
  /** Default: baseTimestamp plus the largest timestampDelta. */
  maxTimestamp?: bigint;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  records: readonly Record[];
}

function corrupt(detail: string): CorruptRecordError {
  return new CorruptRecordError(detail);
}

function ensureV2Header(buf: Buffer, position: number): void {
  if (position < 0 || buf.length - position < RECORD_BATCH_HEADER_BYTES) {
    throw corrupt(`a record batch header needs ${RECORD_BATCH_HEADER_BYTES} bytes, ${buf.length - position} left`);
  }
  const magic = buf.readInt8(position + MAGIC);
  if (magic !== 2) throw corrupt(`expected a magic 2 record batch, found magic ${magic}`);
}

/**
 * The header of the batch at `position`, records untouched. A v0/v1 message is reported with its magic
 * and framing only. Does not check that the batch's bytes are all present (decodeBatches does).
 */
export function readBatchHeader(buf: Buffer, position = 0): BatchHeader {
  if (position < 0 || buf.length - position < HEADER_BYTES_UP_TO_MAGIC) {
    throw corrupt(`a batch needs ${HEADER_BYTES_UP_TO_MAGIC} bytes to read its magic, ${buf.length - position} left`);
  }
  const baseOffset = buf.readBigInt64BE(position + BASE_OFFSET);
  const batchLength = buf.readInt32BE(position + BATCH_LENGTH);
  const magic = buf.readInt8(position + MAGIC);
  if (magic === 0 || magic === 1) {
    if (batchLength < MIN_LEGACY_MESSAGE_SIZE) throw corrupt(`message size ${batchLength} is below the minimum`);
    return { magic, baseOffset, batchLength };
  }
  if (magic !== 2) throw corrupt(`unknown magic ${magic}`);
  if (buf.length - position < RECORD_BATCH_HEADER_BYTES) {
    throw corrupt(`a record batch header needs ${RECORD_BATCH_HEADER_BYTES} bytes, ${buf.length - position} left`);
  }
  if (batchLength < MIN_V2_BATCH_LENGTH) throw corrupt(`batch length ${batchLength} is below the header size`);
  const attributes = buf.readInt16BE(position + ATTRIBUTES);
  const compression = attributes & COMPRESSION_MASK;
  if (!isCompressionType(compression)) throw corrupt(`unknown compression type ${compression}`);
  const recordCount = buf.readInt32BE(position + RECORD_COUNT);
  if (recordCount < 0) throw corrupt(`negative record count ${recordCount}`);
  return {
    baseOffset,
    batchLength,
    partitionLeaderEpoch: buf.readInt32BE(position + PARTITION_LEADER_EPOCH),
    magic,
    crc: buf.readUInt32BE(position + CRC),
    attributes,
    compression,
    timestampType: attributes & TIMESTAMP_TYPE_BIT ? TimestampType.LOG_APPEND_TIME : TimestampType.CREATE_TIME,
    isTransactional: (attributes & TRANSACTIONAL_BIT) !== 0,
    isControl: (attributes & CONTROL_BIT) !== 0,
    hasDeleteHorizonMs: (attributes & DELETE_HORIZON_BIT) !== 0,
    lastOffsetDelta: buf.readInt32BE(position + LAST_OFFSET_DELTA),
    baseTimestamp: buf.readBigInt64BE(position + BASE_TIMESTAMP),
    maxTimestamp: buf.readBigInt64BE(position + MAX_TIMESTAMP),
    producerId: buf.readBigInt64BE(position + PRODUCER_ID),
    producerEpoch: buf.readInt16BE(position + PRODUCER_EPOCH),
    baseSequence: buf.readInt32BE(position + BASE_SEQUENCE),
    recordCount,
  };
}

/**
 * Splits a Fetch/Produce `records` field (batches back to back) into batches, reading only headers.
 * A trailing partial batch is counted in `partialBytes`, not thrown; a header that cannot be right
 * (length below the minimum, unknown magic) throws CorruptRecordError.
 */
export function decodeBatches(buf: Buffer): DecodedBatches {
  const batches: (RecordBatch | LegacyMessage)[] = [];
  let position = 0;
  while (position < buf.length) {
    const left = buf.length - position;
    if (left < HEADER_BYTES_UP_TO_MAGIC) break;
    const header = readBatchHeaderIfComplete(buf, position, left);
    if (!header) break;
    const end = position + LOG_OVERHEAD + header.batchLength;
    const bytes = buf.subarray(position, end);
    batches.push(header.magic === 2 ? { magic: 2, header, bytes } : { magic: header.magic, header, bytes });
    position = end;
  }
  return { batches, partialBytes: buf.length - position };
}

/** The header at `position`, or null when the batch runs past the end of the input. */
function readBatchHeaderIfComplete(buf: Buffer, position: number, left: number): BatchHeader | null {
  const batchLength = buf.readInt32BE(position + BATCH_LENGTH);
  const magic = buf.readInt8(position + MAGIC);
  // A length too small to be real is corruption even in a partial tail (Kafka's
  // ByteBufferLogInputStream checks it first); one too large may be where the response was cut.
  if (batchLength < MIN_LEGACY_MESSAGE_SIZE || (magic === 2 && batchLength < MIN_V2_BATCH_LENGTH)) {
    throw corrupt(`batch length ${batchLength} is below the minimum`);
  }
  if (LOG_OVERHEAD + batchLength > left) return null;
  return readBatchHeader(buf, position);
}

/** The CRC-32C a v2 batch at `position` should carry (attributes to the end of the batch). */
export function computeBatchCrc(buf: Buffer, position = 0): number {
  ensureV2Header(buf, position);
  const end = position + LOG_OVERHEAD + buf.readInt32BE(position + BATCH_LENGTH);
  if (end > buf.length || end < position + RECORD_BATCH_HEADER_BYTES) {
    throw corrupt(`batch of ${end - position} bytes does not fit in the ${buf.length - position} bytes left`);
  }
  return crc32c(buf.subarray(position + ATTRIBUTES, end));
}

/** Throws CorruptRecordError unless the CRC of the v2 batch at `position` matches its bytes. */
export function verifyCrc(buf: Buffer, position = 0): void {
  const computed = computeBatchCrc(buf, position);
  const stored = buf.readUInt32BE(position + CRC);
  if (computed !== stored) {
    throw corrupt(`record batch CRC mismatch: stored 0x${hex32(stored)}, computed 0x${hex32(computed)}`);
  }
}

function hex32(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/** Sets baseOffset in place: the broker's offset assignment. Outside the CRC, so nothing else changes. */
export function setBaseOffset(buf: Buffer, position: number, baseOffset: bigint): void {
  ensureV2Header(buf, position);
  buf.writeBigInt64BE(baseOffset, position + BASE_OFFSET);
}

/** Sets partitionLeaderEpoch in place (the leader stamps its epoch). Outside the CRC. */
export function setPartitionLeaderEpoch(buf: Buffer, position: number, epoch: number): void {
  ensureV2Header(buf, position);
  buf.writeInt32BE(epoch, position + PARTITION_LEADER_EPOCH);
}

/**
 * Sets the timestamp type and maxTimestamp in place and recomputes the CRC: what a broker does for a
 * topic with `message.timestamp.type=LogAppendTime` (Kafka's DefaultRecordBatch.setMaxTimestamp).
 * Record timestamps are left alone; readers use maxTimestamp for every record of such a batch.
 */
export function setMaxTimestamp(
  buf: Buffer,
  position: number,
  timestampType: TimestampType,
  maxTimestamp: bigint,
): void {
  ensureV2Header(buf, position);
  const attributes = buf.readInt16BE(position + ATTRIBUTES);
  const updated =
    timestampType === TimestampType.LOG_APPEND_TIME
      ? attributes | TIMESTAMP_TYPE_BIT
      : attributes & ~TIMESTAMP_TYPE_BIT;
  buf.writeInt16BE(updated, position + ATTRIBUTES);
  buf.writeBigInt64BE(maxTimestamp, position + MAX_TIMESTAMP);
  buf.writeUInt32BE(computeBatchCrc(buf, position), position + CRC);
}

export interface DecodeRecordsOptions {
  /** Check the CRC first (default true); skip it only for bytes already verified. */
  verifyCrc?: boolean;
  /** Bound on the decompressed records (default DEFAULT_MAX_DECOMPRESSED_BYTES); past it, CORRUPT_MESSAGE. */
  maxDecompressedBytes?: number;
}

/** The records of a v2 batch, decompressed and parsed. */
export function decodeRecords(batch: RecordBatch, options: DecodeRecordsOptions = {}): Record[] {
  const { header, bytes } = batch;
  if (options.verifyCrc !== false) verifyCrc(bytes, 0);
  const payload = decompress(
    header.compression,
    bytes.subarray(RECORD_BATCH_HEADER_BYTES),
    options.maxDecompressedBytes,
  );
  const count = header.recordCount;
  if (count > payload.length / (MIN_RECORD_BODY_BYTES + 1)) {
    throw corrupt(`${count} records cannot fit in ${payload.length} bytes of records`);
  }
  const r = new Reader(payload);
  const records: Record[] = new Array(count);
  let index = 0;
  try {
    for (; index < count; index++) records[index] = readRecord(r);
  } catch (err) {
    if (err instanceof DecodeError) throw corrupt(`record ${index} of ${count}: ${err.message}`);
    throw err;
  }
  if (r.remaining !== 0) throw corrupt(`${r.remaining} byte(s) after the last of ${count} records`);
  return records;
}

function readRecord(r: Reader): Record {
  const length = r.varint();
  if (length < MIN_RECORD_BODY_BYTES) throw corrupt(`record length ${length} is below the minimum`);
  const start = r.offset;
  const attributes = r.i8();
  const timestampDelta = r.varlongNumber();
  const offsetDelta = r.varint();
  const key = readVarBytes(r, 'key');
  const value = readVarBytes(r, 'value');
  const headerCount = r.varint();
  if (headerCount < 0 || headerCount > r.remaining / 2) throw corrupt(`invalid header count ${headerCount}`);
  const headers: RecordHeader[] = new Array(headerCount);
  for (let i = 0; i < headerCount; i++) {
    const keyLength = r.varint();
    if (keyLength < 0) throw corrupt(`invalid header key length ${keyLength}`);
    const headerKey = r.raw(keyLength).toString('utf8');
    headers[i] = { key: headerKey, value: readVarBytes(r, 'header value') };
  }
  if (r.offset - start !== length) {
    throw corrupt(`record declares ${length} bytes but its fields take ${r.offset - start}`);
  }
  return { attributes, timestampDelta, offsetDelta, key, value, headers };
}

function readVarBytes(r: Reader, what: string): Buffer | null {
  const length = r.varint();
  if (length === -1) return null;
  if (length < -1) throw corrupt(`invalid ${what} length ${length}`);
  return r.raw(length);
}

/** Encodes one batch. The CRC, batchLength and recordCount are computed. */
export function encodeBatch(input: RecordBatchInput, options: CompressOptions = {}): Buffer {
  const sizes = recordSizes(input.records);
  const w = new Writer(RECORD_BATCH_HEADER_BYTES + sizes.total + WRITER_SLACK);
  writeBatch(w, input, options, sizes);
  return w.view();
}

/** Appends one batch to `w` (a Produce request's records, a log segment buffer). */
export function writeBatch(
  w: Writer,
  input: RecordBatchInput,
  options: CompressOptions = {},
  sizes = recordSizes(input.records),
): void {
  const { records } = input;
  const compression = input.compression ?? CompressionType.NONE;
  const start = w.offset;
  w.i64(input.baseOffset ?? 0n);
  const lengthAt = w.reserveI32();
  w.i32(input.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH).i8(2);
  const crcAt = w.reserveI32();
  w.i16(attributesOf(input, compression))
    .i32(input.lastOffsetDelta ?? records.at(-1)?.offsetDelta ?? 0)
    .i64(input.baseTimestamp)
    .i64(input.maxTimestamp ?? maxTimestampOf(input))
    .i64(input.producerId ?? NO_PRODUCER_ID)
    .i16(input.producerEpoch ?? NO_PRODUCER_EPOCH)
    .i32(input.baseSequence ?? NO_SEQUENCE)
    .i32(records.length);
  if (compression === CompressionType.NONE) {
    writeRecords(w, records, sizes);
  } else {
    const inner = new Writer(sizes.total + WRITER_SLACK);
    writeRecords(inner, records, sizes);
    w.raw(compress(compression, inner.view(), options));
  }
  w.patchLength(lengthAt);
  w.patchU32(crcAt, crc32c(w.view().subarray(start + ATTRIBUTES)));
}

function attributesOf(input: RecordBatchInput, compression: CompressionType): number {
  return (
    compression |
    (input.timestampType === TimestampType.LOG_APPEND_TIME ? TIMESTAMP_TYPE_BIT : 0) |
    (input.isTransactional ? TRANSACTIONAL_BIT : 0) |
    (input.isControl ? CONTROL_BIT : 0) |
    (input.hasDeleteHorizonMs ? DELETE_HORIZON_BIT : 0)
  );
}

function maxTimestampOf(input: RecordBatchInput): bigint {
  if (input.records.length === 0) return input.baseTimestamp;
  let max = -Infinity;
  for (const record of input.records) if (record.timestampDelta > max) max = record.timestampDelta;
  return input.baseTimestamp + BigInt(max);
}

/** Each record's body size (what its length varint says), and the bytes of all records. */
interface RecordSizes {
  bodies: number[];
  /** UTF-8 header keys, encoded once for both the size and the write. */
  headerKeys: Buffer[][];
  total: number;
}

function recordSizes(records: readonly Record[]): RecordSizes {
  const bodies: number[] = new Array(records.length);
  const headerKeys: Buffer[][] = new Array(records.length);
  let total = 0;
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as Record;
    let size =
      1 +
      varlongSize(record.timestampDelta) +
      varintSize(record.offsetDelta) +
      nullableBytesSize(record.key) +
      nullableBytesSize(record.value) +
      varintSize(record.headers.length);
    const keys: Buffer[] = new Array(record.headers.length);
    for (let h = 0; h < record.headers.length; h++) {
      const header = record.headers[h] as RecordHeader;
      const key = Buffer.from(header.key, 'utf8');
      keys[h] = key;
      size += varintSize(key.length) + key.length + nullableBytesSize(header.value);
    }
    bodies[i] = size;
    headerKeys[i] = keys;
    total += varintSize(size) + size;
  }
  return { bodies, headerKeys, total };
}

function writeRecords(w: Writer, records: readonly Record[], sizes: RecordSizes): void {
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as Record;
    w.varint(sizes.bodies[i] as number)
      .i8(record.attributes)
      .varlongNumber(record.timestampDelta)
      .varint(record.offsetDelta);
    writeNullableBytes(w, record.key);
    writeNullableBytes(w, record.value);
    w.varint(record.headers.length);
    const keys = sizes.headerKeys[i] as Buffer[];
    for (let h = 0; h < record.headers.length; h++) {
      const key = keys[h] as Buffer;
      w.varint(key.length).raw(key);
      writeNullableBytes(w, (record.headers[h] as RecordHeader).value);
    }
  }
}

function writeNullableBytes(w: Writer, bytes: Buffer | null): void {
  if (bytes === null) w.varint(-1);
  else w.varint(bytes.length).raw(bytes);
}

function nullableBytesSize(bytes: Buffer | null): number {
  return bytes === null ? 1 : varintSize(bytes.length) + bytes.length;
}

/** Bytes of a zigzag VARINT. */
function varintSize(v: number): number {
  const z = ((v << 1) ^ (v >> 31)) >>> 0;
  if (z < 0x80) return 1;
  if (z < 0x4000) return 2;
  if (z < 0x200000) return 3;
  if (z < 0x10000000) return 4;
  return 5;
}

/** Bytes of a zigzag VARLONG holding a safe integer, as Writer.varlongNumber writes it. */
function varlongSize(v: number): number {
  if (v >= -0x40000000 && v < 0x40000000) return varintSize(v);
  let z = v >= 0 ? v * 2 : -v * 2 - 1;
  let size = 1;
  while (z >= 0x80) {
    z = Math.floor(z / 0x80);
    size++;
  }
  return size;
}

// Control batches (§5.3.1.1): one record whose key says what it marks.

export const ControlRecordType = { ABORT: 0, COMMIT: 1 } as const;
export type ControlRecordType = (typeof ControlRecordType)[keyof typeof ControlRecordType];

export interface ControlRecordKey {
  version: number;
  /** ControlRecordType for transaction markers; KRaft uses further types in its own log. */
  type: number;
}

/** The value of an ABORT or COMMIT control record (Kafka's EndTransactionMarker). */
export interface EndTxnMarker {
  version: number;
  coordinatorEpoch: number;
}

export function encodeControlRecordKey(type: number, version = 0): Buffer {
  return new Writer(4).i16(version).i16(type).toBuffer();
}

export function decodeControlRecordKey(key: Buffer | null): ControlRecordKey {
  if (key === null || key.length < 4) throw corrupt(`control record key of ${key?.length ?? 'null'} bytes, need 4`);
  const version = key.readInt16BE(0);
  if (version < 0) throw corrupt(`invalid control record key version ${version}`);
  return { version, type: key.readInt16BE(2) };
}

export function encodeEndTxnMarker(coordinatorEpoch: number, version = 0): Buffer {
  return new Writer(6).i16(version).i32(coordinatorEpoch).toBuffer();
}

export function decodeEndTxnMarker(value: Buffer | null): EndTxnMarker {
  if (value === null || value.length < 6)
    throw corrupt(`end transaction marker of ${value?.length ?? 'null'} bytes, need 6`);
  const version = value.readInt16BE(0);
  if (version < 0) throw corrupt(`invalid end transaction marker version ${version}`);
  return { version, coordinatorEpoch: value.readInt32BE(2) };
}

export interface EndTxnMarkerBatchInput {
  type: ControlRecordType;
  producerId: bigint;
  producerEpoch: number;
  coordinatorEpoch: number;
  timestamp: bigint;
  baseOffset?: bigint;
  partitionLeaderEpoch?: number;
}

/** The control batch a transaction coordinator's WriteTxnMarkers appends to each partition. */
export function encodeEndTxnMarkerBatch(input: EndTxnMarkerBatchInput): Buffer {
  return encodeBatch({
    baseOffset: input.baseOffset ?? 0n,
    partitionLeaderEpoch: input.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH,
    isTransactional: true,
    isControl: true,
    baseTimestamp: input.timestamp,
    producerId: input.producerId,
    producerEpoch: input.producerEpoch,
    baseSequence: NO_SEQUENCE,
    records: [
      {
        attributes: 0,
        timestampDelta: 0,
        offsetDelta: 0,
        key: encodeControlRecordKey(input.type),
        value: encodeEndTxnMarker(input.coordinatorEpoch),
        headers: [],
      },
    ],
  });
}

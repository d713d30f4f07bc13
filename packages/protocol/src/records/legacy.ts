/**
 * Message sets: the pre-0.11 message formats v0 and v1 (implementation.html "Message sets", Kafka's
 * LegacyRecord and AbstractLegacyRecordBatch). Produce v0-2 carry them and Fetch v0-3 answer with them.
 *
 *   offset int64 | message_size int32 | crc uint32 | magic int8 | attributes int8 |
 *   timestamp int64 (v1 only) | key bytes | value bytes
 *
 * `crc` is CRC-32 (IEEE, not batch v2's CRC-32C) of everything after it. Attribute bits 0-2 are the
 * codec, bit 3 (v1) the timestamp type. A compressed message, the "wrapper", holds a whole message set
 * of uncompressed messages as its value; its offset is the offset of the last one inside. Inner offsets
 * are absolute in v0 and relative (0, 1, ...) in v1, where the wrapper's offset makes them absolute. The
 * codecs are those of the Java client of the time (compressMessageSet): xerial-framed snappy, and lz4
 * whose v0 frame header checksum also hashes the frame magic (KAFKA-3160).
 *
 * Layout and CRC errors are CorruptRecordError (CORRUPT_MESSAGE); a well-formed message that cannot be
 * a record (a zstd or empty wrapper, a compressed message inside a wrapper, a v1 wrapper offset below
 * its last inner offset) is INVALID_RECORD, as Kafka's legacy record iterator answers.
 */
import { CorruptRecordError, ErrorCode, KafkaError } from '../errors.js';
import { Writer } from '../primitives/writer.js';
import { LOG_OVERHEAD, TimestampType } from './batch.js';
import {
  CompressionType,
  type CompressOptions,
  compressMessageSet,
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  decompressMessageSet,
  isCompressionType,
} from './compression/index.js';
import { crc32 } from './crc32.js';

export type LegacyMagic = 0 | 1;

/** crc, magic, attributes, key length and value length: the smallest v0 message (RECORD_OVERHEAD_V0). */
export const MESSAGE_OVERHEAD_V0 = 14;
/** The same plus the timestamp (RECORD_OVERHEAD_V1). */
export const MESSAGE_OVERHEAD_V1 = 22;
/** A message's timestamp when it has none (every v0 message). */
export const NO_TIMESTAMP = -1n;

// Byte positions from the start of an entry (its offset field).
const SIZE = 8;
const CRC = 12;
const MAGIC = 16;
const ATTRIBUTES = 17;
const TIMESTAMP = 18;

const COMPRESSION_MASK = 0x07;
const TIMESTAMP_TYPE_BIT = 0x08;

/** One message as it lies in a message set: a record, or a compressed wrapper of records. */
export interface MessageSetEntry {
  readonly offset: bigint;
  readonly magic: LegacyMagic;
  readonly crc: number;
  /** As on the wire; `compression` and `timestampType` are its bits. */
  readonly attributes: number;
  readonly compression: CompressionType;
  /** v1's timestamp type bit; CREATE_TIME for v0, which has no timestamps. */
  readonly timestampType: TimestampType;
  /** -1 (NO_TIMESTAMP) for v0. */
  readonly timestamp: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** The whole entry, offset field to the end; shares memory with the input. */
  readonly bytes: Buffer;
}

/** A record of a message set: an uncompressed message, with its absolute offset. */
export interface LegacyRecord {
  readonly offset: bigint;
  readonly magic: LegacyMagic;
  /** A wrapper's type wins over an inner v1 message's own (Kafka's LegacyRecord.timestampType). */
  readonly timestampType: TimestampType;
  /** -1 for v0; a LogAppendTime wrapper's timestamp for the messages inside it. */
  readonly timestamp: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

export interface DecodedMessageSet {
  entries: MessageSetEntry[];
  /** Bytes at the end holding an incomplete message (a fetch cut at its size limit), as decodeBatches. */
  partialBytes: number;
}

export interface LegacyReadOptions {
  /** Check CRCs (default true): the entry's in readMessageSetEntry, inner messages' in legacyRecords. */
  verifyCrc?: boolean;
  /** Bound on a wrapper's decompressed value (default DEFAULT_MAX_DECOMPRESSED_BYTES). */
  maxDecompressedBytes?: number;
}

function corrupt(detail: string): CorruptRecordError {
  return new CorruptRecordError(detail);
}

function invalid(detail: string): KafkaError {
  return new KafkaError(ErrorCode.INVALID_RECORD, detail);
}

export function messageOverhead(magic: LegacyMagic): number {
  return magic === 0 ? MESSAGE_OVERHEAD_V0 : MESSAGE_OVERHEAD_V1;
}

/**
 * The message at `position`, parsed and (by default) CRC-checked. It must lie wholly in `buf`: a message
 * cut short is corrupt here (decodeMessageSet is the one that tolerates a partial tail).
 */
export function readMessageSetEntry(buf: Buffer, position = 0, options: LegacyReadOptions = {}): MessageSetEntry {
  if (position < 0 || buf.length - position < LOG_OVERHEAD) {
    throw corrupt(`a message needs ${LOG_OVERHEAD} bytes for its offset and size, ${buf.length - position} left`);
  }
  const size = buf.readInt32BE(position + SIZE);
  if (size < MESSAGE_OVERHEAD_V0) throw corrupt(`message size ${size} is below the minimum ${MESSAGE_OVERHEAD_V0}`);
  const end = position + LOG_OVERHEAD + size;
  if (end > buf.length) throw corrupt(`message of ${size} bytes overruns the ${buf.length - position} bytes left`);
  const magic = buf.readInt8(position + MAGIC);
  if (magic !== 0 && magic !== 1) throw corrupt(`expected a message of magic 0 or 1, found magic ${magic}`);
  if (size < messageOverhead(magic)) throw corrupt(`message size ${size} is below the v${magic} minimum`);
  const crc = buf.readUInt32BE(position + CRC);
  if (options.verifyCrc !== false) {
    const computed = crc32(buf.subarray(position + MAGIC, end));
    if (computed !== crc) {
      throw corrupt(`message CRC mismatch: stored 0x${hex32(crc)}, computed 0x${hex32(computed)}`);
    }
  }
  const attributes = buf.readInt8(position + ATTRIBUTES);
  const compression = attributes & COMPRESSION_MASK;
  if (!isCompressionType(compression)) throw corrupt(`unknown compression type ${compression}`);
  let at = position + ATTRIBUTES + 1;
  let timestamp = NO_TIMESTAMP;
  let timestampType: TimestampType = TimestampType.CREATE_TIME;
  if (magic === 1) {
    timestamp = buf.readBigInt64BE(position + TIMESTAMP);
    at += 8;
    if (attributes & TIMESTAMP_TYPE_BIT) timestampType = TimestampType.LOG_APPEND_TIME;
  }
  const key = readBytes(buf, at, end, 'key');
  at += 4 + (key?.length ?? 0);
  const value = readBytes(buf, at, end, 'value');
  at += 4 + (value?.length ?? 0);
  if (at !== end) throw corrupt(`message declares ${size} bytes but its fields take ${size - (end - at)}`);
  return {
    offset: buf.readBigInt64BE(position),
    magic,
    crc,
    attributes,
    compression,
    timestampType,
    timestamp,
    key,
    value,
    bytes: buf.subarray(position, end),
  };
}

function readBytes(buf: Buffer, at: number, end: number, what: string): Buffer | null {
  if (end - at < 4) throw corrupt(`message ends before its ${what} length`);
  const length = buf.readInt32BE(at);
  if (length === -1) return null;
  if (length < -1 || length > end - at - 4) throw corrupt(`invalid ${what} length ${length}`);
  return buf.subarray(at + 4, at + 4 + length);
}

function hex32(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/**
 * Splits a message set into its (shallow) messages, each parsed and CRC-checked. A message cut short
 * at the end is counted in `partialBytes`; anything else wrong throws.
 */
export function decodeMessageSet(buf: Buffer, options: LegacyReadOptions = {}): DecodedMessageSet {
  const entries: MessageSetEntry[] = [];
  let position = 0;
  while (buf.length - position >= LOG_OVERHEAD) {
    const size = buf.readInt32BE(position + SIZE);
    if (size < MESSAGE_OVERHEAD_V0) throw corrupt(`message size ${size} is below the minimum ${MESSAGE_OVERHEAD_V0}`);
    if (LOG_OVERHEAD + size > buf.length - position) break;
    const entry = readMessageSetEntry(buf, position, options);
    entries.push(entry);
    position += entry.bytes.length;
  }
  return { entries, partialBytes: buf.length - position };
}

/**
 * The records of a message: the message itself when uncompressed, else the messages inside the
 * wrapper with absolute offsets (Kafka's DeepRecordsIterator). Like Kafka, an inner message set that
 * ends in an incomplete message ends there.
 */
export function legacyRecords(entry: MessageSetEntry, options: LegacyReadOptions = {}): LegacyRecord[] {
  if (entry.compression === CompressionType.NONE) {
    const { offset, magic, timestampType, timestamp, key, value } = entry;
    return [{ offset, magic, timestampType, timestamp, key, value }];
  }
  if (entry.compression === CompressionType.ZSTD) {
    throw invalid(`a message of magic ${entry.magic} cannot be compressed with zstd`);
  }
  if (entry.value === null) throw invalid(`compressed message (magic ${entry.magic}) with a null value`);
  const inner = decompressMessageSet(
    entry.compression,
    entry.value,
    entry.magic,
    options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES,
  );
  const { entries } = decodeMessageSet(inner, options);
  const last = entries.at(-1);
  if (!last) throw invalid('compressed message set with no inner messages');
  let base = 0n;
  if (entry.magic === 1 && entry.offset !== 0n) {
    // A wrapper offset of 0 is what some librdkafka versions produce: offsets then stay relative (Kafka too).
    if (entry.offset < last.offset) {
      throw invalid(`wrapper offset ${entry.offset} is below the last inner offset ${last.offset}`);
    }
    base = entry.offset - last.offset;
  }
  const logAppendTime = entry.magic === 1 && entry.timestampType === TimestampType.LOG_APPEND_TIME;
  return entries.map((m): LegacyRecord => {
    if (m.compression !== CompressionType.NONE) throw invalid('inner messages must not be compressed');
    const v1 = m.magic === 1;
    return {
      offset: entry.magic === 1 ? base + m.offset : m.offset,
      magic: m.magic,
      // An inner v1 message takes the wrapper's timestamp type, and its timestamp under LogAppendTime.
      timestampType: v1 ? entry.timestampType : TimestampType.CREATE_TIME,
      timestamp: v1 && logAppendTime ? entry.timestamp : m.timestamp,
      key: m.key,
      value: m.value,
    };
  });
}

/** A record to write into a message set. */
export interface LegacyRecordInput {
  readonly offset: bigint;
  /** Ignored by v0, which has no timestamps. */
  readonly timestamp: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

export interface MessageSetInput {
  magic: LegacyMagic;
  /** Default NONE: one message per record. Otherwise one wrapper holding them all; zstd is refused. */
  compression?: CompressionType;
  /** v1 only. LOG_APPEND_TIME writes `logAppendTime` as every timestamp (MemoryRecordsBuilder does). */
  timestampType?: TimestampType;
  logAppendTime?: bigint;
  records: readonly LegacyRecordInput[];
}

/**
 * Encodes records as a message set the way Kafka's MemoryRecordsBuilder does for magic 0 and 1: each
 * record its own message, or for a codec one wrapper whose offset is the last record's, whose timestamp
 * is the largest (or the append time), and whose inner offsets are relative in v1. Empty input, empty set.
 */
export function encodeMessageSet(input: MessageSetInput, options: CompressOptions = {}): Buffer {
  const { magic, records } = input;
  const compression = input.compression ?? CompressionType.NONE;
  const first = records[0];
  const last = records.at(-1);
  if (!first || !last) return Buffer.alloc(0);
  const logAppendTime = magic === 1 && input.timestampType === TimestampType.LOG_APPEND_TIME;
  const typeBit = logAppendTime ? TIMESTAMP_TYPE_BIT : 0;
  const timestampOf = (r: LegacyRecordInput) => (logAppendTime ? (input.logAppendTime ?? NO_TIMESTAMP) : r.timestamp);
  const size = messageSetSize(magic, records);
  if (compression === CompressionType.NONE) {
    const w = new Writer(size);
    for (const r of records) writeMessage(w, magic, r.offset, typeBit, timestampOf(r), r.key, r.value);
    return w.view();
  }
  const inner = new Writer(size);
  let maxTimestamp = NO_TIMESTAMP;
  for (const r of records) {
    const timestamp = timestampOf(r);
    if (timestamp > maxTimestamp) maxTimestamp = timestamp;
    writeMessage(inner, magic, magic === 1 ? r.offset - first.offset : r.offset, typeBit, timestamp, r.key, r.value);
  }
  const value = compressMessageSet(compression, inner.view(), magic, options);
  const w = new Writer(LOG_OVERHEAD + messageOverhead(magic) + value.length);
  writeMessage(w, magic, last.offset, compression | typeBit, maxTimestamp, null, value);
  return w.view();
}

/** Bytes of the uncompressed message set holding `records`. */
export function messageSetSize(magic: LegacyMagic, records: readonly LegacyRecordInput[]): number {
  let size = 0;
  for (const r of records) {
    size += LOG_OVERHEAD + messageOverhead(magic) + (r.key?.length ?? 0) + (r.value?.length ?? 0);
  }
  return size;
}

function writeMessage(
  w: Writer,
  magic: LegacyMagic,
  offset: bigint,
  attributes: number,
  timestamp: bigint,
  key: Buffer | null,
  value: Buffer | null,
): void {
  w.i64(offset);
  const sizeAt = w.reserveI32();
  const crcAt = w.reserveI32();
  w.i8(magic).i8(attributes);
  if (magic === 1) w.i64(timestamp);
  w.nullableBytes(key, false).nullableBytes(value, false);
  w.patchLength(sizeAt);
  w.patchU32(crcAt, crc32(w.view().subarray(crcAt + 4)));
}

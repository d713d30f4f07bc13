/**
 * Conversions between record batch v2 and message sets (formats v0/v1), what a Kafka 3.x broker does
 * for clients older than 0.11: records up-converted on produce (LogValidator builds one v2 batch from
 * them) and down-converted on fetch (RecordsUtil.downConvert). Pure functions: the broker decides
 * when, with which codec and timestamps.
 */
import { ErrorCode, KafkaError } from '../errors.js';
import { decodeRecords, encodeBatch, type Record, type RecordBatch, TimestampType } from './batch.js';
import { CompressionType, type CompressOptions } from './compression/index.js';
import {
  encodeMessageSet,
  type LegacyMagic,
  type LegacyRecord,
  type LegacyRecordInput,
  NO_TIMESTAMP,
} from './legacy.js';

export interface DownConvertOptions extends CompressOptions {
  maxDecompressedBytes?: number;
}

/**
 * One v2 batch as a message set of `toMagic` (RecordsUtil.convertRecordBatch): an empty buffer for a
 * control batch (transaction markers have no place in the old formats) or for a batch left with no
 * records. Uncompressed, the records before `fetchOffset` are dropped, since an old consumer takes
 * whatever it is sent; compressed, the batch stays whole in one wrapper of the same codec (consumers
 * skip the offsets below the one they asked for). A zstd batch cannot be expressed in these formats:
 * UNSUPPORTED_COMPRESSION_TYPE, as Kafka answers.
 */
export function downConvertBatch(
  batch: RecordBatch,
  toMagic: LegacyMagic,
  fetchOffset: bigint,
  options: DownConvertOptions = {},
): Buffer {
  const { header } = batch;
  if (header.isControl) return Buffer.alloc(0);
  if (header.compression === CompressionType.ZSTD) {
    throw new KafkaError(
      ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
      `a zstd-compressed batch at offset ${header.baseOffset} cannot be down-converted to magic ${toMagic}`,
    );
  }
  const compressed = header.compression !== CompressionType.NONE;
  // Stored batches were checked when they were appended.
  const records = decodeRecords(batch, { verifyCrc: false, maxDecompressedBytes: options.maxDecompressedBytes });
  const inputs: LegacyRecordInput[] = [];
  for (const r of records) {
    const offset = header.baseOffset + BigInt(r.offsetDelta);
    if (!compressed && offset < fetchOffset) continue;
    inputs.push({ offset, timestamp: header.baseTimestamp + BigInt(r.timestampDelta), key: r.key, value: r.value });
  }
  const logAppendTime = header.timestampType === TimestampType.LOG_APPEND_TIME;
  return encodeMessageSet(
    {
      magic: toMagic,
      compression: header.compression,
      timestampType: header.timestampType,
      logAppendTime: logAppendTime ? header.maxTimestamp : NO_TIMESTAMP,
      records: inputs,
    },
    options,
  );
}

/**
 * The records of a message set as one v2 batch (offsets from 0, for the log to assign), the way
 * Kafka's LogValidator writes a legacy produce into a v2 log: CreateTime with the records' own
 * timestamps (-1 for v0, which has none; a LogAppendTime topic stamps the batch afterwards), no
 * producer id, no headers. A timestamp spread that a v2 batch cannot express is INVALID_TIMESTAMP.
 */
export function messageSetToBatch(
  records: readonly LegacyRecord[],
  compression: CompressionType,
  options: CompressOptions = {},
): Buffer {
  const first = records[0];
  if (!first) throw new KafkaError(ErrorCode.INVALID_RECORD, 'a message set without records');
  const baseTimestamp = first.timestamp;
  let maxTimestamp = NO_TIMESTAMP;
  const v2: Record[] = records.map((r, i) => {
    if (r.timestamp > maxTimestamp) maxTimestamp = r.timestamp;
    const delta = r.timestamp - baseTimestamp;
    if (delta > BigInt(Number.MAX_SAFE_INTEGER) || delta < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new KafkaError(
        ErrorCode.INVALID_TIMESTAMP,
        `timestamp ${r.timestamp} is too far from the first record's ${baseTimestamp} for one record batch`,
      );
    }
    return { attributes: 0, timestampDelta: Number(delta), offsetDelta: i, key: r.key, value: r.value, headers: [] };
  });
  return encodeBatch(
    { baseOffset: 0n, compression, timestampType: TimestampType.CREATE_TIME, baseTimestamp, maxTimestamp, records: v2 },
    options,
  );
}

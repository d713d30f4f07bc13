/**
 * Produce v0-2 from clients older than Kafka 0.11, whose records come as message sets (formats v0/v1),
 * into a log of record batches v2: validated and up-converted to one v2 batch before the log assigns
 * offsets, as Kafka 3.x's LogValidator does for a v2 log (UnifiedLog.analyzeAndValidateRecords, then
 * validateMessagesAndAssignOffsets):
 *
 * - each message's size against max.message.bytes (MESSAGE_TOO_LARGE), then its CRC-32 (CORRUPT_MESSAGE);
 *   every message of the same magic, and a compressed message alone in its partition's set (INVALID_RECORD);
 * - the messages inside a compressed wrapper checked too: CRC, no nested compression, no zstd;
 * - timestamps: a v0 message has none and keeps -1 (a LogAppendTime topic stamps the batch with the
 *   broker's append time, PartitionLog.appendAsLeader); a v1 CreateTime timestamp must lie within
 *   message.timestamp.before/after.max.ms, and a producer may not claim LogAppendTime (INVALID_TIMESTAMP);
 * - the codec of the new batch is the topic's compression.type, or the producer's for `producer`
 *   (BrokerCompressionType.targetCompression).
 *
 * The converted batch is then appended like any v2 batch, so its size is checked against
 * max.message.bytes once more (Kafka checks the converted size too). Record batches v2 sent with
 * Produce v0-2 are taken as they are: Kafka only checks the magic from v3 on (ProduceRequest.validateRecords).
 */
import {
  CompressionType,
  CorruptRecordError,
  decodeBatches,
  ErrorCode,
  KafkaError,
  type LegacyRecord,
  legacyRecords,
  type MessageSetEntry,
  messageSetToBatch,
  NO_TIMESTAMP,
  readMessageSetEntry,
  TimestampType,
} from '@flotilla/protocol';

export interface LegacyProduceConfig {
  readonly maxMessageBytes: number;
  /** The topic's compression.type: producer, uncompressed, gzip, snappy, lz4 or zstd. */
  readonly compressionType: string;
  readonly logAppendTime: boolean;
  readonly timestampBeforeMaxMs: number;
  readonly timestampAfterMaxMs: number;
}

const CODECS: Readonly<Record<string, CompressionType>> = {
  uncompressed: CompressionType.NONE,
  gzip: CompressionType.GZIP,
  snappy: CompressionType.SNAPPY,
  lz4: CompressionType.LZ4,
  zstd: CompressionType.ZSTD,
};

/** The codec a batch is written with: the topic's, or for compression.type=producer the producer's. */
export function targetCompression(compressionType: string, source: CompressionType): CompressionType {
  return CODECS[compressionType] ?? source;
}

/** A produced partition's records as the log stores them: message sets become one v2 batch. */
export function upConvertProduce(records: Buffer, config: LegacyProduceConfig, now = Date.now()): Buffer {
  const { batches, partialBytes } = decodeBatches(records);
  const first = batches[0];
  if (!first || partialBytes > 0) throw new CorruptRecordError('message set ends with a truncated message');
  if (batches.some((b) => b.magic !== first.magic)) {
    const other = batches.find((b) => b.magic !== first.magic);
    throw new KafkaError(
      ErrorCode.INVALID_RECORD,
      `message magic ${other?.magic} is not the same as the first message's magic ${first.magic}`,
    );
  }
  if (first.magic === 2) return records;
  const entries: MessageSetEntry[] = batches.map((b) => {
    if (b.bytes.length > config.maxMessageBytes) {
      throw new KafkaError(
        ErrorCode.MESSAGE_TOO_LARGE,
        `message of ${b.bytes.length} bytes exceeds max.message.bytes ${config.maxMessageBytes}`,
      );
    }
    return readMessageSetEntry(b.bytes);
  });
  let source: CompressionType = CompressionType.NONE;
  for (const e of entries) if (e.compression !== CompressionType.NONE) source = e.compression;
  if (source !== CompressionType.NONE && entries.length > 1) {
    throw new KafkaError(ErrorCode.INVALID_RECORD, 'a compressed message must be the only message of its partition');
  }
  const converted: LegacyRecord[] = [];
  for (const entry of entries) {
    for (const record of legacyRecords(entry)) {
      if (record.magic !== entry.magic) {
        throw new KafkaError(
          ErrorCode.INVALID_RECORD,
          `inner message of magic ${record.magic} in a wrapper of magic ${entry.magic}`,
        );
      }
      checkTimestamp(record, config, now);
      converted.push(record);
    }
  }
  return messageSetToBatch(converted, targetCompression(config.compressionType, source));
}

/** LogValidator.validateTimestamp for one record of a message set. */
function checkTimestamp(record: LegacyRecord, config: LegacyProduceConfig, now: number): void {
  if (!config.logAppendTime && record.timestamp !== NO_TIMESTAMP) {
    const ts = Number(record.timestamp);
    if (ts < now - config.timestampBeforeMaxMs || ts > now + config.timestampAfterMaxMs) {
      throw new KafkaError(
        ErrorCode.INVALID_TIMESTAMP,
        `timestamp ${ts} of offset ${record.offset} is outside the range allowed by message.timestamp.before/after.max.ms`,
      );
    }
  } else if (record.timestampType === TimestampType.LOG_APPEND_TIME) {
    throw new KafkaError(ErrorCode.INVALID_TIMESTAMP, 'a producer may not set the timestamp type to LogAppendTime');
  }
}

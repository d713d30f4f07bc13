/**
 * A topic's compression.type applied to produced record batches v2, as Kafka's LogValidator does
 * (validateMessagesAndAssignOffsetsCompressed): a batch whose codec is not the topic's target codec
 * (BrokerCompressionType.targetCompression; `producer` keeps whatever the producer sent) is opened and
 * written again with the target codec. Every header field is kept (producer id, epoch and base
 * sequence for idempotence, base and max timestamps, timestamp type, the transactional bit), so
 * deduplication and transactions see the batch the producer sent; the offsets are assigned later by
 * the log as for any batch. A batch already in the target codec is kept byte for byte: the usual case
 * costs one header read per batch. The CRC is checked before a batch is opened (CORRUPT_MESSAGE), and
 * the batch written is checked against max.message.bytes by the append, as Kafka checks the converted
 * size.
 */
import {
  decodeBatches,
  decodeRecords,
  ErrorCode,
  encodeBatch,
  KafkaError,
  type RecordBatch,
  verifyCrc,
} from '@flotilla/protocol';
import { batchCodec, someBatchAttributes } from './batch-info.js';
import { targetCompression } from './legacy-produce.js';

/** `records` with every batch in the topic's codec; the same buffer when nothing changes. */
export function recompressForTopic(records: Buffer, compressionType: string): Buffer {
  const differs = (attributes: number) =>
    targetCompression(compressionType, batchCodec(attributes)) !== batchCodec(attributes);
  if (compressionType === 'producer' || !someBatchAttributes(records, differs)) return records;
  const { batches, partialBytes } = decodeBatches(records);
  if (partialBytes > 0) return records; // a truncated tail: the append answers CORRUPT_MESSAGE
  const out: Buffer[] = [];
  for (const batch of batches) {
    if (batch.magic !== 2) return records;
    const target = targetCompression(compressionType, batch.header.compression);
    out.push(target === batch.header.compression ? batch.bytes : rewrite(batch, target));
  }
  return Buffer.concat(out);
}

function rewrite(batch: RecordBatch, compression: ReturnType<typeof targetCompression>): Buffer {
  try {
    verifyCrc(batch.bytes);
  } catch {
    throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'record batch CRC mismatch');
  }
  const h = batch.header;
  let records: ReturnType<typeof decodeRecords>;
  try {
    records = decodeRecords(batch);
  } catch (e) {
    if (e instanceof KafkaError) throw e; // a codec this broker cannot run
    throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `record batch cannot be read: ${(e as Error).message}`);
  }
  return encodeBatch({
    baseOffset: h.baseOffset,
    partitionLeaderEpoch: h.partitionLeaderEpoch,
    compression,
    timestampType: h.timestampType,
    isTransactional: h.isTransactional,
    isControl: h.isControl,
    hasDeleteHorizonMs: h.hasDeleteHorizonMs,
    lastOffsetDelta: h.lastOffsetDelta,
    baseTimestamp: h.baseTimestamp,
    maxTimestamp: h.maxTimestamp,
    producerId: h.producerId,
    producerEpoch: h.producerEpoch,
    baseSequence: h.baseSequence,
    records,
  });
}

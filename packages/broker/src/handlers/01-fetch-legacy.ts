/**
 * Fetch v0-3, for clients before Kafka 0.11: the log's record batches v2 are read as for Fetch v4 and
 * down-converted to message sets, magic 0 for v0-1 and magic 1 for v2-3, as Kafka 3.x does
 * (KafkaApis.maybeConvertFetchedData, LazyDownConversionRecords, RecordsUtil.downConvert; Kafka 4
 * dropped these versions, KIP-896). Kept out of 01-fetch.ts so the v4+ path does not change.
 *
 * - Reads are read_uncommitted (no isolation level before v4); transaction markers are dropped, since
 *   the old formats cannot express them.
 * - A partition of a topic with compression.type=zstd answers UNSUPPORTED_COMPRESSION_TYPE (the v4 read
 *   refuses it, as for every consumer fetch before v10), and so does one whose next batch is zstd-compressed (producer-compressed in a `producer` topic): these formats
 *   have no zstd. A zstd batch after converted ones ends the partition's answer there, so the next fetch
 *   starts at it and gets the error. message.downconversion.enable=false answers UNSUPPORTED_VERSION.
 * - Sizes: the message sets answered may be larger than the v2 bytes read (per-message overhead), but no
 *   larger than the bigger of those bytes and the first converted batch (Kafka's LazyDownConversionRecords
 *   size); whole messages only, where Kafka cuts the last one short.
 * - KIP-74 ("the first batch even if larger than the limits") came with v3. Before it a partition's limit
 *   was hard: Kafka reads at most that much, converts nothing from a partial batch and answers an
 *   "overflow" message header claiming more bytes than were sent, so the client sees one message too
 *   large for its fetch size and says so (the 0.9 Java consumer throws RecordTooLargeException) instead
 *   of fetching the same offset forever. v0-2 get that here; v3 gets the v4 rule.
 * - KAFKA_STORAGE_ERROR is answered as NOT_LEADER_OR_FOLLOWER, which these clients know.
 */
import {
  type ApiKey,
  decodeBatches,
  downConvertBatch,
  ErrorCode,
  type FetchRequest,
  type FetchRequestFetchPartition,
  type FetchResponse,
  type FetchResponsePartitionData,
  KafkaError,
  type LegacyMagic,
  type RecordBatch,
} from '@flotilla/protocol';
import type { Handler, HandlerContext } from './types.js';

/** Fetch versions before this answer message sets. */
export const FIRST_RECORD_BATCH_FETCH_VERSION = 4;

/** Kafka's overflow message: offset -1 and a size (RECORD_BATCH_OVERHEAD) past the bytes that follow. */
const OVERFLOW_MESSAGE = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 61]);

export type FetchReader = Handler<typeof ApiKey.Fetch>['handle'];

export async function fetchLegacy(
  ctx: HandlerContext,
  request: FetchRequest,
  readV4: FetchReader,
): Promise<FetchResponse | null> {
  const version = ctx.apiVersion;
  const response = await readV4({ ...ctx, apiVersion: FIRST_RECORD_BATCH_FETCH_VERSION }, request);
  if (!response) return response;
  const asked = new Map<string, FetchRequestFetchPartition>();
  for (const t of request.topics) for (const p of t.partitions) asked.set(`${t.topic}\0${p.partition}`, p);
  const toMagic: LegacyMagic = version <= 1 ? 0 : 1;
  for (const topic of response.responses) {
    topic.partitions = topic.partitions.map((p) => {
      const req = asked.get(`${topic.topic}\0${p.partitionIndex}`);
      if (p.errorCode === ErrorCode.KAFKA_STORAGE_ERROR) return { ...p, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
      if (!req || p.errorCode !== 0) return p;
      const refusal = conversionRefused(ctx, topic.topic);
      if (refusal) return failed(p, refusal);
      return downConvertPartition(p, req, version, toMagic);
    });
  }
  return response;
}

/** Kafka's refusal by topic config before any record is looked at (zstd topics are refused by the v4 read). */
function conversionRefused(ctx: HandlerContext, topic: string): number {
  const downConversion = ctx.broker.topicConfigs.entry(topic, 'message.downconversion.enable').value;
  return downConversion === 'false' ? ErrorCode.UNSUPPORTED_VERSION : 0;
}

/** A partition answered with an error only (FetchResponse.partitionResponse). */
function failed(p: FetchResponsePartitionData, errorCode: number): FetchResponsePartitionData {
  return { ...p, errorCode, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n, records: Buffer.alloc(0) };
}

function downConvertPartition(
  p: FetchResponsePartitionData,
  req: FetchRequestFetchPartition,
  version: number,
  toMagic: LegacyMagic,
): FetchResponsePartitionData {
  const read = p.records ?? Buffer.alloc(0);
  const batches = decodeBatches(read).batches.filter((b): b is RecordBatch => b.magic === 2);
  const first = batches[0];
  // Before v3 the partition limit is hard: a first batch larger than it (which the v4 read returns
  // whole, or not at all when another partition came first) gets the overflow message.
  if (version <= 2 && (first ? first.bytes.length > req.partitionMaxBytes : req.fetchOffset < p.highWatermark)) {
    return { ...p, records: OVERFLOW_MESSAGE };
  }
  const fetchOffset = req.fetchOffset;
  const parts: Buffer[] = [];
  let size = 0;
  for (const batch of batches) {
    let converted: Buffer;
    try {
      converted = downConvertBatch(batch, toMagic, fetchOffset);
    } catch (err) {
      if (!(err instanceof KafkaError)) throw err;
      if (parts.length === 0) return failed(p, err.errorCode);
      break; // the next fetch starts at this batch and gets the error
    }
    if (converted.length === 0) continue;
    if (parts.length > 0 && size + converted.length > Math.max(read.length, (parts[0] as Buffer).length)) break;
    parts.push(converted);
    size += converted.length;
  }
  return { ...p, records: parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, size) };
}

/**
 * The codecs of record batch attributes bits 0-2 (implementation.html §5.3.1). Every codec is
 * synchronous: the broker calls these on its request path, and a thread hop per batch would cost
 * more than the work for the small batches that dominate (see bench/records.bench.ts).
 *
 * Decompression failures are CorruptRecordError (CORRUPT_MESSAGE, what Kafka answers for a batch it
 * cannot read); a codec whose native module did not load here is UNSUPPORTED_COMPRESSION_TYPE.
 */
import { gunzipSync, gzipSync, constants as zlibConstants } from 'node:zlib';
import { CorruptRecordError, ErrorCode, KafkaError } from '../../errors.js';
import { DEFAULT_MAX_DECOMPRESSED_BYTES, tooLarge } from './limits.js';

export { DEFAULT_MAX_DECOMPRESSED_BYTES } from './limits.js';

import { lz4Compress, lz4Decompress, lz4Module } from './lz4.js';
import { snappyCompress, snappyCompressXerial, snappyDecompress, snappyModule } from './snappy.js';
import { ZSTD_DEFAULT_LEVEL, zstdBackend, zstdCompress, zstdDecompress } from './zstd.js';

export const CompressionType = {
  NONE: 0,
  GZIP: 1,
  SNAPPY: 2,
  LZ4: 3,
  ZSTD: 4,
} as const;
export type CompressionType = (typeof CompressionType)[keyof typeof CompressionType];

const NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type CompressionName = (typeof NAMES)[number];

export function compressionName(type: CompressionType): CompressionName {
  return NAMES[type];
}

export function isCompressionType(n: number): n is CompressionType {
  return Number.isInteger(n) && n >= 0 && n < NAMES.length;
}

export interface CompressOptions {
  /**
   * gzip (1-9, default 6) and zstd (default 3) levels, as Kafka's `compression.<codec>.level` (KIP-390).
   * Snappy has no levels; lz4 is always written at the fast level, as librdkafka does by default.
   */
  level?: number;
}

/** The implementation behind each codec here, for logs and benchmarks. */
export const compressionBackends: Readonly<Record<Exclude<CompressionName, 'none'>, string>> = {
  gzip: 'node:zlib',
  snappy: snappyModule ? 'snappy (napi-rs)' : 'unavailable',
  lz4: lz4Module ? 'lz4-napi (lz4_flex)' : 'unavailable',
  zstd: zstdBackend === 'zstd-napi' ? 'zstd-napi (libzstd)' : 'fzstd (pure JS, decompress only)',
};

export function compress(type: CompressionType, data: Buffer, options: CompressOptions = {}): Buffer {
  switch (type) {
    case CompressionType.NONE:
      return data;
    case CompressionType.GZIP:
      return gzipSync(data, { level: options.level ?? zlibConstants.Z_DEFAULT_COMPRESSION });
    case CompressionType.SNAPPY:
      return snappyCompress(data);
    case CompressionType.LZ4:
      return lz4Compress(data);
    case CompressionType.ZSTD:
      return zstdCompress(data, options.level ?? ZSTD_DEFAULT_LEVEL);
  }
}

/**
 * Decompresses a batch payload. Output beyond `maxBytes` is CORRUPT_MESSAGE; each codec stops as soon
 * as it knows (a size header, a block, a stream chunk) instead of first inflating everything.
 */
export function decompress(
  type: CompressionType,
  data: Buffer,
  maxBytes: number = DEFAULT_MAX_DECOMPRESSED_BYTES,
): Buffer {
  switch (type) {
    case CompressionType.NONE:
      return data;
    case CompressionType.GZIP:
      try {
        return gunzipSync(data, { maxOutputLength: maxBytes });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge('gzip', maxBytes);
        throw new CorruptRecordError(`gzip: ${(err as Error).message}`);
      }
    case CompressionType.SNAPPY:
      return snappyDecompress(data, maxBytes);
    case CompressionType.LZ4:
      return lz4Decompress(data, maxBytes);
    case CompressionType.ZSTD:
      return zstdDecompress(data, maxBytes);
  }
}

/**
 * A message set's codecs (formats v0 and v1, Kafka's CompressionType.wrapForOutput/wrapForInput with a
 * magic below 2): snappy in snappy-java's xerial framing and lz4 with v0's header checksum (KAFKA-3160),
 * as the Java client of the time wrote them. zstd does not exist in these formats (KIP-110): INVALID_RECORD,
 * as Kafka's legacy record iterator answers.
 */
export function compressMessageSet(
  type: CompressionType,
  data: Buffer,
  magic: 0 | 1,
  options: CompressOptions = {},
): Buffer {
  switch (type) {
    case CompressionType.SNAPPY:
      return snappyCompressXerial(data);
    case CompressionType.LZ4:
      return lz4Compress(data, { legacyHeaderChecksum: magic === 0 });
    case CompressionType.ZSTD:
      throw new KafkaError(ErrorCode.INVALID_RECORD, `zstd cannot compress a message set of magic ${magic}`);
    default:
      return compress(type, data, options);
  }
}

/** Decompresses a message set's compressed wrapper value; see compressMessageSet. */
export function decompressMessageSet(
  type: CompressionType,
  data: Buffer,
  magic: 0 | 1,
  maxBytes: number = DEFAULT_MAX_DECOMPRESSED_BYTES,
): Buffer {
  switch (type) {
    case CompressionType.LZ4:
      return lz4Decompress(data, maxBytes, { legacyHeaderChecksum: magic === 0 });
    case CompressionType.ZSTD:
      throw new KafkaError(ErrorCode.INVALID_RECORD, `a message of magic ${magic} cannot be compressed with zstd`);
    default:
      return decompress(type, data, maxBytes);
  }
}

import { CorruptRecordError } from '../../errors.js';

/**
 * The most a batch may decompress to unless the caller says otherwise. Every payload is decompressed
 * into memory, so without a bound one small crafted batch (zeros compress ~1000:1 with zstd) could take
 * the broker's whole heap. Producers batch before compressing (`batch.size`, librdkafka's
 * `message.max.bytes`), so real batches stay far below this.
 */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024;

/** The error for output past the bound, shared by every codec: Kafka's CORRUPT_MESSAGE. */
export function tooLarge(codec: string, maxBytes: number): CorruptRecordError {
  return new CorruptRecordError(`${codec}: decompresses to more than ${maxBytes} bytes`);
}

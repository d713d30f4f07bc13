/**
 * Loading of the optional native (N-API) packages behind CRC-32C and the compression codecs. Each ships
 * prebuilt binaries (per-platform npm packages, or a build at install time for zstd-napi); a platform
 * without one must still be able to load this package and use everything else, so a failed load is a
 * `null` the caller falls back from, never an import-time crash.
 */
import { createRequire } from 'node:module';
import { ErrorCode, KafkaError } from '../errors.js';

const require = createRequire(import.meta.url);

/** `require(name)`, or null when the package or its native binary does not load here. */
export function loadOptional<T>(name: string): T | null {
  try {
    return require(name) as T;
  } catch {
    return null;
  }
}

/** The error for a codec whose native module is missing here: Kafka's UNSUPPORTED_COMPRESSION_TYPE. */
export function codecUnavailable(codec: string, detail: string): KafkaError {
  return new KafkaError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `${codec}: ${detail}`);
}

/**
 * CRC-32C (Castagnoli), the checksum of record batch v2 (implementation.html §5.3.1).
 *
 * Two implementations: a pure-JS slicing-by-8 table walk (~1 GB/s here), and `@node-rs/crc32`, a Rust
 * SSE4.2/ARMv8 CRC instruction build shipped as prebuilt per-platform npm packages (no install script;
 * ~2.5 GB/s on 1 KiB, ~3.4 GB/s on 1 MiB). A call into native code costs about 0.2 µs, so below
 * NATIVE_MIN_BYTES the table walk wins and is used even when the native build loaded (measured on
 * this machine: JS 1.05 GB/s vs native 1.1 GB/s at 256 bytes, 0.65 vs 0.33 GB/s at 64 bytes).
 * `bench/records.bench.ts` prints both.
 */
import { loadOptional } from './native.js';

type Crc32cFn = (buf: Uint8Array, initial?: number) => number;

/** Below this many bytes the JS table walk beats the native call (see the note above). */
const NATIVE_MIN_BYTES = 256;

// Reflected Castagnoli polynomial 0x1EDC6F41.
const POLYNOMIAL = 0x82f63b78;

// TABLE[k * 256 + b]: the CRC of byte b followed by k zero bytes, for slicing-by-8.
const TABLE = new Int32Array(8 * 256);
for (let b = 0; b < 256; b++) {
  let c = b;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLYNOMIAL : c >>> 1;
  TABLE[b] = c;
}
for (let b = 0; b < 256; b++) {
  let c = TABLE[b] as number;
  for (let k = 1; k < 8; k++) {
    c = (TABLE[c & 0xff] as number) ^ (c >>> 8);
    TABLE[k * 256 + b] = c;
  }
}

/**
 * Pure-JS CRC-32C, slicing-by-8. `initial` is the CRC of the bytes before `buf`, so
 * `crc32cJs(b, crc32cJs(a))` is the CRC of `a` then `b`.
 */
export function crc32cJs(buf: Uint8Array, initial = 0): number {
  const t = TABLE;
  let crc = ~initial;
  let i = 0;
  const len = buf.length;
  const end8 = len - (len & 7);
  // The `as number` casts are free at run time; the indices are in range by construction.
  while (i < end8) {
    const lo =
      ((buf[i] as number) |
        ((buf[i + 1] as number) << 8) |
        ((buf[i + 2] as number) << 16) |
        ((buf[i + 3] as number) << 24)) ^
      crc;
    crc =
      (t[1792 + (lo & 0xff)] as number) ^
      (t[1536 + ((lo >>> 8) & 0xff)] as number) ^
      (t[1280 + ((lo >>> 16) & 0xff)] as number) ^
      (t[1024 + (lo >>> 24)] as number) ^
      (t[768 + (buf[i + 4] as number)] as number) ^
      (t[512 + (buf[i + 5] as number)] as number) ^
      (t[256 + (buf[i + 6] as number)] as number) ^
      (t[buf[i + 7] as number] as number);
    i += 8;
  }
  while (i < len) crc = (t[(crc ^ (buf[i++] as number)) & 0xff] as number) ^ (crc >>> 8);
  return ~crc >>> 0;
}

function loadNative(): Crc32cFn | null {
  const mod = loadOptional<typeof import('@node-rs/crc32')>('@node-rs/crc32');
  if (!mod) return null;
  const fn: Crc32cFn = (buf, initial = 0) => mod.crc32c(buf, initial) >>> 0;
  // A build that loads but computes something else must not be trusted with every batch.
  return fn(Buffer.from('123456789')) === 0xe3069283 ? fn : null;
}

/** The native CRC-32C (`@node-rs/crc32`), or null when no prebuilt binary loads on this platform. */
export const crc32cNative: Crc32cFn | null = loadNative();

/** Which implementation `crc32c` uses for large buffers: for logs and benchmarks. */
export const crc32cBackend: 'native' | 'js' = crc32cNative ? 'native' : 'js';

const native = crc32cNative;

/** CRC-32C of `buf`, continuing from `initial` (the CRC of preceding bytes; 0 to start). */
export const crc32c: Crc32cFn = native
  ? (buf, initial = 0) => (buf.length >= NATIVE_MIN_BYTES ? native(buf, initial) : crc32cJs(buf, initial))
  : crc32cJs;

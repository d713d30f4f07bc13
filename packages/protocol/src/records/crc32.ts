/**
 * CRC-32 (IEEE 802.3, the zlib/gzip polynomial), the checksum of the pre-0.11 message formats v0 and
 * v1 (record batch v2 uses CRC-32C instead, crc32c.ts). Only old clients' message sets need it, so
 * speed matters less: zlib's own (Node 20.15+, 22.2+) when present, else a byte-wise table walk.
 */
import * as zlib from 'node:zlib';

type Crc32Fn = (buf: Uint8Array, initial?: number) => number;

// Reflected polynomial 0x04C11DB7.
const POLYNOMIAL = 0xedb88320;
const TABLE = new Int32Array(256);
for (let b = 0; b < 256; b++) {
  let c = b;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLYNOMIAL : c >>> 1;
  TABLE[b] = c;
}

/** Pure-JS CRC-32; `initial` is the CRC of the bytes before `buf`. */
export function crc32Js(buf: Uint8Array, initial = 0): number {
  let crc = ~initial;
  for (let i = 0; i < buf.length; i++) crc = (TABLE[(crc ^ (buf[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return ~crc >>> 0;
}

const zlibCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** CRC-32 of `buf`, continuing from `initial` (0 to start). */
export const crc32: Crc32Fn = zlibCrc32 ? (buf, initial = 0) => zlibCrc32(buf, initial) >>> 0 : crc32Js;

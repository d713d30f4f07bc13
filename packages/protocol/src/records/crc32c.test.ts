import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32c, crc32cBackend, crc32cJs, crc32cNative } from './crc32c.js';

/** Bit-at-a-time CRC-32C straight from the definition: the reference the fast versions must match. */
function crc32cBitwise(buf: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of buf) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}

// RFC 3720 (iSCSI) appendix B.4, and the CRC catalogue's check value.
const VECTORS: [string, Buffer, number][] = [
  ['"123456789"', Buffer.from('123456789'), 0xe3069283],
  ['32 bytes of zeros', Buffer.alloc(32, 0x00), 0x8a9136aa],
  ['32 bytes of ones', Buffer.alloc(32, 0xff), 0x62a8ab43],
  ['32 incrementing bytes', Buffer.from(Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e],
  ['32 decrementing bytes', Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c],
  [
    'an iSCSI SCSI Read (10) command PDU',
    Buffer.from(
      '01c00000000000000000000000000000' + '14000000000004000000001400000018' + '28000000000000000200000000000000',
      'hex',
    ),
    0xd9963a56,
  ],
  ['empty input', Buffer.alloc(0), 0],
];

const implementations: [string, ((buf: Uint8Array, initial?: number) => number) | null][] = [
  ['pure JS', crc32cJs],
  ['native', crc32cNative],
  ['crc32c (dispatching)', crc32c],
];

describe.each(implementations)('CRC-32C, %s', (_name, fn) => {
  it.skipIf(fn === null).each(VECTORS)('matches the known value for %s', (_what, input, expected) => {
    expect(fn?.(input)).toBe(expected);
  });

  it.skipIf(fn === null)('matches the bitwise definition at every length and alignment', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), fc.nat(15), (bytes, shift) => {
        const input = Buffer.from(bytes).subarray(Math.min(shift, bytes.length));
        expect(fn?.(input)).toBe(crc32cBitwise(input));
      }),
    );
  });

  it.skipIf(fn === null)('continues from a previous CRC as if over the concatenation', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1024 }), fc.uint8Array({ maxLength: 1024 }), (a, b) => {
        expect(fn?.(b, fn(a))).toBe(crc32cBitwise(Buffer.concat([a, b])));
      }),
    );
  });
});

describe('CRC-32C backends', () => {
  it('loads the native build on this platform', () => {
    // @node-rs/crc32 ships linux-x64-gnu among its prebuilt packages; losing it would quietly halve
    // CRC throughput on large batches, so say so here rather than in a benchmark nobody reads.
    expect(crc32cBackend).toBe('native');
  });

  it('agrees with the native build on large random buffers', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 256, maxLength: 70_000 }), (bytes) => {
        expect(crc32cJs(bytes)).toBe(crc32cNative?.(bytes) ?? crc32cJs(bytes));
      }),
      { numRuns: 50 },
    );
  });
});

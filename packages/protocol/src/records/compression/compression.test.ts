import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CorruptRecordError } from '../../errors.js';
import { CompressionType, compress, compressionBackends, compressionName, decompress } from './index.js';
import { lz4Module } from './lz4.js';
import { isXerialFramed, snappyCompress, XERIAL_MAGIC } from './snappy.js';
import { xxhash32 } from './xxhash32.js';
import { zstdDecompressJs } from './zstd.js';

const fixture = (name: string): Buffer => readFileSync(fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url)));
const plain = fixture('plain.jsonl');

const CODECS = [CompressionType.GZIP, CompressionType.SNAPPY, CompressionType.LZ4, CompressionType.ZSTD] as const;

/** Xerial framing (snappy-java's SnappyOutputStream) around our raw snappy, chunked as asked. */
function xerialFrame(data: Buffer, chunkSize: number): Buffer {
  const header = Buffer.alloc(16);
  XERIAL_MAGIC.copy(header);
  header.writeInt32BE(1, 8);
  header.writeInt32BE(1, 12);
  const parts: Buffer[] = [header];
  for (let pos = 0; pos < data.length; pos += chunkSize) {
    const block = snappyCompress(data.subarray(pos, pos + chunkSize));
    const length = Buffer.alloc(4);
    length.writeInt32BE(block.length);
    parts.push(length, block);
  }
  return Buffer.concat(parts);
}

/** Runs a CLI decoder on `input`, or returns null when the tool is not installed here. */
function cliDecode(command: string, args: string[], input: Buffer): Buffer | null {
  const result = spawnSync(command, args, { input, maxBuffer: 64 << 20 });
  if (result.error) return null;
  expect(result.status, result.stderr.toString()).toBe(0);
  return result.stdout;
}

const hasTool = (command: string, ...args: string[]): boolean => !spawnSync(command, args).error;

describe('codecs round-trip', () => {
  // Random bytes for the incompressible case, and runs of a few symbols so the codecs find matches.
  const payload = fc.oneof(
    fc.uint8Array({ maxLength: 4096 }),
    fc
      .array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 300 })), { maxLength: 200 })
      .map((runs) => Uint8Array.from(runs.flatMap(([symbol, count]) => new Array<number>(count).fill(symbol)))),
  );

  it.each(CODECS.map((c) => [compressionName(c), c] as const))('%s', (_name, codec) => {
    fc.assert(
      fc.property(payload, (bytes) => {
        const data = Buffer.from(bytes);
        expect(decompress(codec, compress(codec, data)).equals(data)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it.each(CODECS.map((c) => [compressionName(c), c] as const))('%s over several LZ4-sized blocks', (_name, codec) => {
    const big = Buffer.concat([plain, plain, plain]);
    expect(decompress(codec, compress(codec, big)).equals(big)).toBe(true);
  });

  it('passes data through untouched for NONE', () => {
    expect(compress(CompressionType.NONE, plain)).toBe(plain);
    expect(decompress(CompressionType.NONE, plain)).toBe(plain);
  });

  it('honours gzip and zstd levels', () => {
    for (const codec of [CompressionType.GZIP, CompressionType.ZSTD]) {
      const fast = compress(codec, plain, { level: 1 });
      const best = compress(codec, plain, { level: 9 });
      // Not smaller for zstd on this input (the zstd CLI agrees: 5324 bytes at -1, 5654 at -9), only different.
      expect(best.equals(fast)).toBe(false);
      expect(decompress(codec, best).equals(plain)).toBe(true);
    }
  });
});

describe('decoding streams written by other implementations (fixtures/README.md)', () => {
  it.each([
    ['lz4 CLI, linked blocks, content checksum', 'plain.linked.lz4', CompressionType.LZ4],
    ['lz4 CLI, independent blocks, block checksums', 'plain.block-checksums.lz4', CompressionType.LZ4],
    ['lz4 CLI, content size, 256 KiB blocks', 'plain.content-size.lz4', CompressionType.LZ4],
    ['python lz4.frame, linked blocks, every optional field', 'plain.python-all-flags.lz4', CompressionType.LZ4],
    [
      'python lz4.frame, independent blocks, every optional field',
      'plain.python-independent-all-checksums.lz4',
      CompressionType.LZ4,
    ],
    ['zstd CLI, with content size', 'plain.zst', CompressionType.ZSTD],
    ['zstd CLI, streamed (no content size, as Java writes)', 'plain.streamed.zst', CompressionType.ZSTD],
    ['gzip CLI', 'plain.jsonl.gz', CompressionType.GZIP],
    ['python-snappy, raw (as librdkafka writes)', 'plain.raw.snappy', CompressionType.SNAPPY],
    ['python-snappy in xerial framing (as the Java client writes)', 'plain.xerial.snappy', CompressionType.SNAPPY],
  ] as const)('%s', (_what, file, codec) => {
    expect(decompress(codec, fixture(file)).equals(plain)).toBe(true);
  });

  it('decodes an LZ4 frame holding an uncompressed block', () => {
    expect(decompress(CompressionType.LZ4, fixture('incompressible.lz4')).equals(fixture('incompressible.bin'))).toBe(
      true,
    );
  });

  it('decodes zstd with the pure-JS fallback too', () => {
    expect(zstdDecompressJs(fixture('plain.streamed.zst')).equals(plain)).toBe(true);
    expect(zstdDecompressJs(compress(CompressionType.ZSTD, plain)).equals(plain)).toBe(true);
  });
});

describe('snappy framing', () => {
  it('writes raw snappy, not the xerial framing', () => {
    expect(isXerialFramed(compress(CompressionType.SNAPPY, plain))).toBe(false);
  });

  it('reads xerial framing at any chunk size', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.integer({ min: 1, max: 1024 }), (bytes, chunkSize) => {
        const data = Buffer.from(bytes);
        expect(decompress(CompressionType.SNAPPY, xerialFrame(data, chunkSize)).equals(data)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('rejects a xerial chunk that overruns the input', () => {
    const framed = xerialFrame(plain, 32 * 1024);
    expect(() => decompress(CompressionType.SNAPPY, framed.subarray(0, framed.length - 1))).toThrow(CorruptRecordError);
  });
});

describe('the LZ4 frame we write', () => {
  const frame = compress(CompressionType.LZ4, plain);

  it('is what the Java client reads: independent 64 KiB blocks, no checksums', () => {
    // Lz4BlockInputStream refuses dependent blocks and sizes its buffer by the BD byte.
    expect(frame.subarray(0, 7).toString('hex')).toBe('04224d18604082');
  });

  it.skipIf(!hasTool('lz4', '--version'))('decodes with the lz4 CLI', () => {
    expect(cliDecode('lz4', ['-dc'], frame)?.equals(plain)).toBe(true);
  });

  it.skipIf(!hasTool('/usr/bin/python3', '-c', 'import lz4.frame'))('decodes with python lz4.frame', () => {
    const script = 'import sys, lz4.frame; sys.stdout.buffer.write(lz4.frame.decompress(sys.stdin.buffer.read()))';
    expect(cliDecode('/usr/bin/python3', ['-c', script], frame)?.equals(plain)).toBe(true);
  });

  it('decodes frames from the lz4-napi frame encoder, with any checksum flags', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 5000 }),
        fc.boolean(),
        fc.boolean(),
        (bytes, contentChecksum, blockChecksums) => {
          const data = Buffer.from(bytes);
          const frame = lz4Module?.compressFrameSync(data, { contentChecksum, blockChecksums }) ?? Buffer.alloc(0);
          expect(decompress(CompressionType.LZ4, frame).equals(data)).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('decodes concatenated frames as one stream', () => {
    const a = plain.subarray(0, 1000);
    const b = plain.subarray(1000, 3000);
    const joined = Buffer.concat([compress(CompressionType.LZ4, a), compress(CompressionType.LZ4, b)]);
    expect(decompress(CompressionType.LZ4, joined).equals(plain.subarray(0, 3000))).toBe(true);
  });

  it('is a valid frame for empty input', () => {
    expect(decompress(CompressionType.LZ4, compress(CompressionType.LZ4, Buffer.alloc(0))).length).toBe(0);
  });
});

describe('other tools read what we write', () => {
  it.skipIf(!hasTool('zstd', '--version'))('zstd CLI', () => {
    expect(cliDecode('zstd', ['-dc'], compress(CompressionType.ZSTD, plain))?.equals(plain)).toBe(true);
  });

  it.skipIf(!hasTool('gzip', '--version'))('gzip CLI', () => {
    expect(cliDecode('gzip', ['-dc'], compress(CompressionType.GZIP, plain))?.equals(plain)).toBe(true);
  });

  it.skipIf(!hasTool('/usr/bin/python3', '-c', 'import snappy'))('python-snappy', () => {
    const script = 'import sys, snappy; sys.stdout.buffer.write(snappy.uncompress(sys.stdin.buffer.read()))';
    expect(cliDecode('/usr/bin/python3', ['-c', script], compress(CompressionType.SNAPPY, plain))?.equals(plain)).toBe(
      true,
    );
  });
});

describe('corrupt input', () => {
  it.each(CODECS.map((c) => [compressionName(c), c] as const))(
    '%s: damage is a CorruptRecordError or a different output, never a crash',
    (_name, codec) => {
      const compressed = compress(codec, plain.subarray(0, 5000));
      fc.assert(
        fc.property(
          fc.nat(compressed.length - 1),
          fc.integer({ min: 1, max: 255 }),
          fc.boolean(),
          (at, flip, truncate) => {
            const damaged = truncate ? compressed.subarray(0, at) : Buffer.from(compressed);
            if (!truncate) damaged[at] = (damaged[at] as number) ^ flip;
            try {
              decompress(codec, damaged);
            } catch (err) {
              expect(err).toBeInstanceOf(CorruptRecordError);
            }
          },
        ),
        { numRuns: 300 },
      );
    },
  );

  it('detects a damaged LZ4 block through its block checksum', () => {
    const frame = Buffer.from(fixture('plain.block-checksums.lz4'));
    frame[100] = (frame[100] as number) ^ 0x01;
    expect(() => decompress(CompressionType.LZ4, frame)).toThrow(CorruptRecordError);
  });

  it('detects a damaged zstd frame through its checksum', () => {
    const frame = Buffer.from(fixture('plain.streamed.zst'));
    frame[frame.length - 1] = (frame[frame.length - 1] as number) ^ 0x01;
    expect(() => decompress(CompressionType.ZSTD, frame)).toThrow(CorruptRecordError);
  });
});

describe('decompressed size bound', () => {
  const FIXTURES = [
    ['plain.linked.lz4', CompressionType.LZ4],
    ['plain.block-checksums.lz4', CompressionType.LZ4],
    ['plain.content-size.lz4', CompressionType.LZ4],
    ['plain.zst', CompressionType.ZSTD],
    ['plain.streamed.zst', CompressionType.ZSTD],
    ['plain.jsonl.gz', CompressionType.GZIP],
    ['plain.raw.snappy', CompressionType.SNAPPY],
    ['plain.xerial.snappy', CompressionType.SNAPPY],
  ] as const;

  it.each(FIXTURES)('%s decodes with the bound at its exact size and fails one byte below', (file, codec) => {
    const compressed = fixture(file);
    expect(decompress(codec, compressed, plain.length).equals(plain)).toBe(true);
    expect(() => decompress(codec, compressed, plain.length - 1)).toThrow(/decompresses to more than/);
    expect(() => decompress(codec, compressed, plain.length - 1)).toThrow(CorruptRecordError);
  });

  it.each(CODECS.map((c) => [compressionName(c), c] as const))(
    '%s: a bomb (64 MiB of zeros) is refused under a 1 MiB bound',
    (_name, codec) => {
      const bomb = compress(codec, Buffer.alloc(64 << 20));
      expect(bomb.length).toBeLessThan(8 << 20);
      expect(() => decompress(codec, bomb, 1 << 20)).toThrow(/decompresses to more than 1048576 bytes/);
    },
  );

  it('the pure-JS zstd fallback honours the bound too', () => {
    expect(zstdDecompressJs(fixture('plain.zst'), plain.length).equals(plain)).toBe(true);
    expect(() => zstdDecompressJs(fixture('plain.zst'), plain.length - 1)).toThrow(CorruptRecordError);
    expect(() => zstdDecompressJs(fixture('plain.streamed.zst'), plain.length - 1)).toThrow(CorruptRecordError);
  });
});

describe('xxhash32', () => {
  it.each([
    ['', 0x02cc5d05],
    ['abc', 0x32d153ff],
    ['Nobody inspects the spammish repetition', 0xe2293b2f],
  ])('hashes %j', (input, expected) => {
    expect(xxhash32(Buffer.from(input))).toBe(expected);
  });

  it('gives the header checksum byte of the frame we write', () => {
    expect((xxhash32(Buffer.from([0x60, 0x40])) >>> 8) & 0xff).toBe(0x82);
  });
});

describe('backends', () => {
  it('loads the native codecs on this platform', () => {
    expect(compressionBackends).toEqual({
      gzip: 'node:zlib',
      snappy: 'snappy (napi-rs)',
      lz4: 'lz4-napi (lz4_flex)',
      zstd: 'zstd-napi (libzstd)',
    });
  });
});

import {
  CompressionType,
  decodeBatches,
  decodeRecords,
  encodeBatch,
  type RecordBatch,
  TimestampType,
  verifyCrc,
} from '@flotilla/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { recompressForTopic } from './recompress.js';

const NOW = 1_700_000_000_000n;

function batch(compression: CompressionType, values: string[], extra: Partial<Parameters<typeof encodeBatch>[0]> = {}) {
  return encodeBatch({
    baseTimestamp: NOW,
    compression,
    records: values.map((v, i) => ({
      attributes: 0,
      timestampDelta: i * 5,
      offsetDelta: i,
      key: i % 2 ? null : Buffer.from(`k${i}`),
      value: Buffer.from(v),
      headers: i === 1 ? [{ key: 'h', value: Buffer.from('x') }] : [],
    })),
    ...extra,
  });
}

function batchesOf(buf: Buffer): RecordBatch[] {
  const { batches, partialBytes } = decodeBatches(buf);
  expect(partialBytes).toBe(0);
  return batches as RecordBatch[];
}

const verifyCrcOk = (buf: Buffer) => {
  try {
    verifyCrc(buf);
    return true;
  } catch {
    return false;
  }
};

const valuesOf = (b: RecordBatch) => decodeRecords(b).map((r) => r.value?.toString());

describe('recompressForTopic (a topic compression.type applied to produced batches)', () => {
  it('keeps the very buffer for compression.type=producer and for batches already in the target codec', () => {
    const snappy = batch(CompressionType.SNAPPY, ['a', 'b']);
    expect(recompressForTopic(snappy, 'producer')).toBe(snappy);
    expect(recompressForTopic(snappy, 'snappy')).toBe(snappy);
    const plain = batch(CompressionType.NONE, ['a']);
    expect(recompressForTopic(plain, 'uncompressed')).toBe(plain);
  });

  it('writes a batch again in the topic codec, every header field and record kept', () => {
    const sent = batch(CompressionType.NONE, ['one', 'two', 'three'], {
      producerId: 4242n,
      producerEpoch: 3,
      baseSequence: 17,
      isTransactional: true,
      partitionLeaderEpoch: 9,
    });
    for (const [topicCodec, expected] of [
      ['gzip', CompressionType.GZIP],
      ['snappy', CompressionType.SNAPPY],
      ['lz4', CompressionType.LZ4],
      ['zstd', CompressionType.ZSTD],
    ] as const) {
      const [before] = batchesOf(sent);
      const [after] = batchesOf(recompressForTopic(sent, topicCodec));
      if (!before || !after) throw new Error('no batch');
      expect(after.header.compression).toBe(expected);
      verifyCrc(after.bytes);
      const { compression: _a, attributes: _b, crc: _c, batchLength: _d, ...kept } = before.header;
      expect(after.header).toMatchObject(kept);
      expect(decodeRecords(after)).toEqual(decodeRecords(before));
    }
  });

  it('opens a compressed batch for compression.type=uncompressed, and keeps LogAppendTime and max timestamp', () => {
    const sent = batch(CompressionType.LZ4, ['x', 'y'], { timestampType: TimestampType.LOG_APPEND_TIME });
    const [after] = batchesOf(recompressForTopic(sent, 'uncompressed'));
    if (!after) throw new Error('no batch');
    expect(after.header.compression).toBe(CompressionType.NONE);
    expect(after.header.timestampType).toBe(TimestampType.LOG_APPEND_TIME);
    expect(after.header.maxTimestamp).toBe(NOW + 5n);
    expect(valuesOf(after)).toEqual(['x', 'y']);
  });

  it('rewrites only the batches that differ, in order', () => {
    const gzip = batch(CompressionType.GZIP, ['g']);
    const plain = batch(CompressionType.NONE, ['p']);
    const out = recompressForTopic(Buffer.concat([gzip, plain]), 'gzip');
    const [first, second] = batchesOf(out);
    if (!first || !second) throw new Error('two batches expected');
    expect(first.bytes.equals(gzip)).toBe(true);
    expect(second.header.compression).toBe(CompressionType.GZIP);
    expect([...valuesOf(first), ...valuesOf(second)]).toEqual(['g', 'p']);
  });

  it('refuses a batch whose CRC does not match with CORRUPT_MESSAGE instead of opening it', () => {
    const corrupt = Buffer.from(batch(CompressionType.NONE, ['a', 'b']));
    corrupt.writeUInt8(corrupt.readUInt8(corrupt.length - 1) ^ 0xff, corrupt.length - 1);
    expect(() => recompressForTopic(corrupt, 'gzip')).toThrow(expect.objectContaining({ code: 'CORRUPT_MESSAGE' }));
  });

  it('property: any batches, any topic codec: the records and header fields come back as sent; garbage is refused, never mangled', () => {
    const codecs = [
      CompressionType.NONE,
      CompressionType.GZIP,
      CompressionType.SNAPPY,
      CompressionType.LZ4,
      CompressionType.ZSTD,
    ];
    const TARGET: Record<string, CompressionType | null> = {
      producer: null,
      uncompressed: CompressionType.NONE,
      gzip: CompressionType.GZIP,
      snappy: CompressionType.SNAPPY,
      lz4: CompressionType.LZ4,
      zstd: CompressionType.ZSTD,
    };
    const types = Object.keys(TARGET);
    const record = fc.record({
      key: fc.option(fc.uint8Array({ maxLength: 20 }), { nil: null }),
      value: fc.option(fc.uint8Array({ maxLength: 200 }), { nil: null }),
      timestampDelta: fc.nat(10_000),
    });
    const batchArb = fc.record({
      codec: fc.constantFrom(...codecs),
      records: fc.array(record, { minLength: 1, maxLength: 8 }),
      producerId: fc.bigInt(-1n, 1n << 40n),
      baseSequence: fc.nat(1 << 20),
    });
    fc.assert(
      fc.property(fc.array(batchArb, { minLength: 1, maxLength: 3 }), fc.constantFrom(...types), (specs, type) => {
        const sent = Buffer.concat(
          specs.map((b) =>
            encodeBatch({
              baseTimestamp: NOW,
              compression: b.codec,
              producerId: b.producerId,
              baseSequence: b.baseSequence,
              records: b.records.map((r, i) => ({
                attributes: 0,
                timestampDelta: r.timestampDelta,
                offsetDelta: i,
                key: r.key && Buffer.from(r.key),
                value: r.value && Buffer.from(r.value),
                headers: [],
              })),
            }),
          ),
        );
        const before = batchesOf(sent);
        const after = batchesOf(recompressForTopic(sent, type));
        expect(after).toHaveLength(before.length);
        after.forEach((b, i) => {
          const original = before[i] as RecordBatch;
          expect(b.header.compression).toBe(TARGET[type] ?? original.header.compression);
          verifyCrc(b.bytes);
          expect(b.header.producerId).toBe(original.header.producerId);
          expect(b.header.baseSequence).toBe(original.header.baseSequence);
          expect(b.header.maxTimestamp).toBe(original.header.maxTimestamp);
          expect(decodeRecords(b)).toEqual(decodeRecords(original));
        });
      }),
      { numRuns: 150 },
    );
    // A valid batch with bytes flipped: refused with CORRUPT_MESSAGE, passed through untouched (the
    // append refuses it), or written again only when its CRC held.
    const valid = batch(CompressionType.NONE, ['alpha', 'beta', 'gamma']);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.constantFrom('gzip', 'zstd', 'lz4'),
        (flips, type) => {
          const buf = Buffer.from(valid);
          for (const [at, x] of flips) buf.writeUInt8(buf.readUInt8(at) ^ x, at);
          let out: Buffer;
          try {
            out = recompressForTopic(buf, type);
          } catch (e) {
            expect(e).toMatchObject({ code: 'CORRUPT_MESSAGE' });
            return;
          }
          if (out === buf) return;
          for (const b of batchesOf(out)) verifyCrc(b.bytes);
          expect(verifyCrcOk(buf)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});

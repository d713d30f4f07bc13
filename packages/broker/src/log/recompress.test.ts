import {
  CompressionType,
  decodeBatches,
  decodeRecords,
  encodeBatch,
  type RecordBatch,
  TimestampType,
  verifyCrc,
} from '@flotilla/protocol';
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
});

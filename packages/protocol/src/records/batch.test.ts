import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CorruptRecordError } from '../errors.js';
import {
  ControlRecordType,
  computeBatchCrc,
  decodeBatches,
  decodeControlRecordKey,
  decodeEndTxnMarker,
  decodeRecords,
  encodeBatch,
  encodeEndTxnMarkerBatch,
  LOG_OVERHEAD,
  RECORD_BATCH_HEADER_BYTES,
  type Record,
  type RecordBatch,
  type RecordBatchHeader,
  type RecordBatchInput,
  readBatchHeader,
  setBaseOffset,
  setMaxTimestamp,
  setPartitionLeaderEpoch,
  TimestampType,
  verifyCrc,
} from './batch.js';
import { CompressionType, compressionName } from './compression/index.js';

const int16 = fc.integer({ min: -0x8000, max: 0x7fff });
const int32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });
const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const bytes = (maxLength: number) => fc.uint8Array({ maxLength }).map((b) => Buffer.from(b));
const nullableBytes = (maxLength: number) => fc.option(bytes(maxLength), { nil: null, freq: 4 });

const record: fc.Arbitrary<Record> = fc.record({
  attributes: fc.integer({ min: -128, max: 127 }),
  // Mostly small deltas, sometimes ones that need a full varlong.
  timestampDelta: fc.oneof(fc.integer({ min: -1000, max: 100_000 }), fc.integer({ min: -(2 ** 50), max: 2 ** 50 })),
  offsetDelta: fc.oneof(fc.nat(1000), int32),
  key: nullableBytes(64),
  value: nullableBytes(512),
  headers: fc.array(fc.record({ key: fc.string({ unit: 'binary', maxLength: 12 }), value: nullableBytes(32) }), {
    maxLength: 4,
  }),
});

const batchInput = (compression: CompressionType): fc.Arbitrary<RecordBatchInput> =>
  fc.record(
    {
      baseOffset: fc.bigInt({ min: 0n, max: 2n ** 62n }),
      partitionLeaderEpoch: int32,
      compression: fc.constant(compression),
      timestampType: fc.constantFrom(TimestampType.CREATE_TIME, TimestampType.LOG_APPEND_TIME),
      isTransactional: fc.boolean(),
      isControl: fc.boolean(),
      hasDeleteHorizonMs: fc.boolean(),
      lastOffsetDelta: int32,
      baseTimestamp: fc.bigInt({ min: -(2n ** 52n), max: 2n ** 52n }),
      maxTimestamp: int64,
      producerId: int64,
      producerEpoch: int16,
      baseSequence: int32,
      records: fc.array(record, { maxLength: 20 }),
    },
    // Leave the defaulted fields out sometimes, so the defaults are exercised too.
    { requiredKeys: ['baseTimestamp', 'records'] },
  );

function onlyBatch(buf: Buffer): RecordBatch {
  const { batches, partialBytes } = decodeBatches(buf);
  expect(partialBytes).toBe(0);
  expect(batches).toHaveLength(1);
  const batch = batches[0];
  if (batch?.magic !== 2) throw new Error('expected one v2 batch');
  return batch;
}

function expectedHeader(input: RecordBatchInput, encoded: Buffer): Omit<RecordBatchHeader, 'crc' | 'attributes'> {
  const records = input.records;
  const maxDelta = records.length ? Math.max(...records.map((r) => r.timestampDelta)) : 0;
  return {
    baseOffset: input.baseOffset ?? 0n,
    batchLength: encoded.length - LOG_OVERHEAD,
    partitionLeaderEpoch: input.partitionLeaderEpoch ?? -1,
    magic: 2,
    compression: input.compression ?? CompressionType.NONE,
    timestampType: input.timestampType ?? TimestampType.CREATE_TIME,
    isTransactional: input.isTransactional ?? false,
    isControl: input.isControl ?? false,
    hasDeleteHorizonMs: input.hasDeleteHorizonMs ?? false,
    lastOffsetDelta: input.lastOffsetDelta ?? records.at(-1)?.offsetDelta ?? 0,
    baseTimestamp: input.baseTimestamp,
    maxTimestamp: input.maxTimestamp ?? input.baseTimestamp + BigInt(maxDelta),
    producerId: input.producerId ?? -1n,
    producerEpoch: input.producerEpoch ?? -1,
    baseSequence: input.baseSequence ?? -1,
    recordCount: records.length,
  };
}

const ALL_COMPRESSIONS = [
  CompressionType.NONE,
  CompressionType.GZIP,
  CompressionType.SNAPPY,
  CompressionType.LZ4,
  CompressionType.ZSTD,
] as const;

describe('record batch round trip', () => {
  it.each(ALL_COMPRESSIONS.map((c) => [compressionName(c), c] as const))('%s', (_name, compression) => {
    fc.assert(
      fc.property(batchInput(compression), (input) => {
        const encoded = encodeBatch(input);
        const batch = onlyBatch(encoded);
        expect(batch.header).toMatchObject(expectedHeader(input, encoded));
        expect(batch.header.crc).toBe(computeBatchCrc(encoded));
        const records = decodeRecords(batch);
        expect(records).toEqual(input.records);
        // A decoded header spreads back into encodeBatch and gives the same bytes.
        expect(encodeBatch({ ...batch.header, records }).equals(encoded)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('reads the header alone, without the records', () => {
    const encoded = encodeBatch({
      baseTimestamp: 0n,
      compression: CompressionType.ZSTD,
      records: [{ attributes: 0, timestampDelta: 0, offsetDelta: 0, key: null, value: Buffer.alloc(100), headers: [] }],
    });
    const header = readBatchHeader(encoded.subarray(0, RECORD_BATCH_HEADER_BYTES), 0);
    expect(header).toMatchObject({ magic: 2, compression: CompressionType.ZSTD, recordCount: 1 });
  });
});

describe('the wire layout', () => {
  // Written out field by field from implementation.html §5.3, independently of the encoder.
  const golden = Buffer.from(
    [
      '0000000000000005', // baseOffset 5
      '00000045', // batchLength 69
      '00000007', // partitionLeaderEpoch 7
      '02', // magic
      '95f8ceaa', // crc (CRC-32C of everything below)
      '0000', // attributes: no compression, CreateTime
      '00000001', // lastOffsetDelta 1
      '00000000000003e8', // baseTimestamp 1000
      '00000000000003ea', // maxTimestamp 1002
      '000000000000002a', // producerId 42
      '0003', // producerEpoch 3
      '00000009', // baseSequence 9
      '00000002', // 2 records
      // length 12, attributes, timestampDelta 0, offsetDelta 0, key "k", value "v1", 1 header "h" = null
      '18 00 00 00 026b 047631 02 0268 01',
      // length 6, attributes, timestampDelta 2, offsetDelta 1, key null, value "", no headers
      '0c 00 04 02 01 00 00',
    ]
      .join('')
      .replaceAll(' ', ''),
    'hex',
  );
  const records: Record[] = [
    {
      attributes: 0,
      timestampDelta: 0,
      offsetDelta: 0,
      key: Buffer.from('k'),
      value: Buffer.from('v1'),
      headers: [{ key: 'h', value: null }],
    },
    { attributes: 0, timestampDelta: 2, offsetDelta: 1, key: null, value: Buffer.alloc(0), headers: [] },
  ];

  it('encodes byte for byte', () => {
    const encoded = encodeBatch({
      baseOffset: 5n,
      partitionLeaderEpoch: 7,
      baseTimestamp: 1000n,
      producerId: 42n,
      producerEpoch: 3,
      baseSequence: 9,
      records,
    });
    expect(encoded.toString('hex')).toBe(golden.toString('hex'));
  });

  it('decodes', () => {
    verifyCrc(golden);
    const batch = onlyBatch(golden);
    expect(batch.header).toMatchObject({ baseOffset: 5n, lastOffsetDelta: 1, maxTimestamp: 1002n, producerId: 42n });
    expect(decodeRecords(batch)).toEqual(records);
  });
});

describe('corruption', () => {
  const encoded = encodeBatch({
    baseTimestamp: 1_700_000_000_000n,
    compression: CompressionType.NONE,
    records: Array.from({ length: 5 }, (_, i) => ({
      attributes: 0,
      timestampDelta: i,
      offsetDelta: i,
      key: Buffer.from(`key-${i}`),
      value: Buffer.from(`value-${i}`.repeat(i + 1)),
      headers: [{ key: 'trace', value: Buffer.from([i]) }],
    })),
  });
  const afterCrc = 21;

  it('detects any flipped bit after the CRC field', () => {
    fc.assert(
      fc.property(fc.integer({ min: afterCrc, max: encoded.length - 1 }), fc.nat(7), (at, bit) => {
        const damaged = Buffer.from(encoded);
        damaged[at] = (damaged[at] as number) ^ (1 << bit);
        expect(() => verifyCrc(damaged)).toThrow(CorruptRecordError);
        // Either the header is already impossible (a negative count, an unknown codec), or the CRC
        // check in decodeRecords refuses the batch.
        expect(() => {
          for (const batch of decodeBatches(damaged).batches) if (batch.magic === 2) decodeRecords(batch);
        }).toThrow(CorruptRecordError);
      }),
      { numRuns: 300 },
    );
  });

  it('detects a damaged CRC field itself', () => {
    const damaged = Buffer.from(encoded);
    damaged[18] = (damaged[18] as number) ^ 0x10;
    expect(() => verifyCrc(damaged)).toThrow(/CRC mismatch/);
  });

  it('never fails with anything but CorruptRecordError on damaged records, CRC unchecked', () => {
    fc.assert(
      fc.property(fc.integer({ min: RECORD_BATCH_HEADER_BYTES, max: encoded.length - 1 }), fc.nat(255), (at, value) => {
        const damaged = Buffer.from(encoded);
        damaged[at] = value;
        try {
          decodeRecords(onlyBatch(damaged), { verifyCrc: false });
        } catch (err) {
          expect(err).toBeInstanceOf(CorruptRecordError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a record count the records cannot hold', () => {
    const damaged = Buffer.from(encoded);
    damaged.writeInt32BE(1_000_000, 57);
    expect(() => decodeRecords(onlyBatch(damaged), { verifyCrc: false })).toThrow(/cannot fit/);
  });

  it('refuses bytes after the last record', () => {
    const damaged = Buffer.from(encoded);
    damaged.writeInt32BE(4, 57);
    expect(() => decodeRecords(onlyBatch(damaged), { verifyCrc: false })).toThrow(CorruptRecordError);
  });

  it('refuses an unknown compression type and an unknown magic', () => {
    const badCodec = Buffer.from(encoded);
    badCodec.writeInt16BE(5, 21);
    expect(() => readBatchHeader(badCodec, 0)).toThrow(/compression type 5/);
    const badMagic = Buffer.from(encoded);
    badMagic[16] = 3;
    expect(() => readBatchHeader(badMagic, 0)).toThrow(/magic 3/);
  });
});

describe('truncated input', () => {
  const one = encodeBatch({
    baseTimestamp: 0n,
    records: [{ attributes: 0, timestampDelta: 0, offsetDelta: 0, key: null, value: Buffer.from('x'), headers: [] }],
  });
  const two = encodeBatch({
    baseOffset: 1n,
    baseTimestamp: 0n,
    compression: CompressionType.LZ4,
    records: [{ attributes: 0, timestampDelta: 0, offsetDelta: 0, key: null, value: Buffer.from('yy'), headers: [] }],
  });
  const both = Buffer.concat([one, two]);

  it('reports a partial batch at the end of a fetch response instead of throwing', () => {
    for (let cut = 0; cut <= both.length; cut++) {
      const { batches, partialBytes } = decodeBatches(both.subarray(0, cut));
      const whole = cut >= both.length ? 2 : cut >= one.length ? 1 : 0;
      expect(batches).toHaveLength(whole);
      expect(partialBytes).toBe(cut - ([0, one.length, both.length][whole] as number));
    }
  });

  it('keeps the batches as views of the input', () => {
    const { batches } = decodeBatches(both);
    expect(batches.map((b) => b.header.baseOffset)).toEqual([0n, 1n]);
    expect(batches[1]?.bytes.buffer).toBe(both.buffer);
  });

  it('fails readBatchHeader with CorruptRecordError on a short header', () => {
    for (let cut = 0; cut < RECORD_BATCH_HEADER_BYTES; cut++) {
      expect(() => readBatchHeader(one.subarray(0, cut), 0)).toThrow(CorruptRecordError);
    }
  });

  it('fails the CRC check and the record decoder on a batch cut short', () => {
    const cut = one.subarray(0, one.length - 1);
    expect(() => verifyCrc(cut)).toThrow(CorruptRecordError);
  });

  it('treats a batch length below the minimum as corruption, not as a partial batch', () => {
    for (const length of [-1, 10, 48]) {
      const damaged = Buffer.from(both);
      damaged.writeInt32BE(length, 8);
      expect(() => decodeBatches(damaged)).toThrow(CorruptRecordError);
    }
  });
});

describe('in-place rewrites', () => {
  const input: RecordBatchInput = {
    baseTimestamp: 1000n,
    compression: CompressionType.SNAPPY,
    records: [
      { attributes: 0, timestampDelta: 5, offsetDelta: 0, key: null, value: Buffer.from('a'), headers: [] },
      { attributes: 0, timestampDelta: 9, offsetDelta: 1, key: null, value: Buffer.from('b'), headers: [] },
    ],
  };

  it('sets baseOffset and partitionLeaderEpoch without touching the CRC', () => {
    const buf = Buffer.concat([Buffer.from('prefix'), encodeBatch(input)]);
    const crcBefore = buf.readUInt32BE(6 + 17);
    setBaseOffset(buf, 6, 1234567890123n);
    setPartitionLeaderEpoch(buf, 6, 42);
    expect(buf.readUInt32BE(6 + 17)).toBe(crcBefore);
    verifyCrc(buf, 6);
    expect(readBatchHeader(buf, 6)).toMatchObject({ baseOffset: 1234567890123n, partitionLeaderEpoch: 42 });
  });

  it('sets LogAppendTime and recomputes the CRC', () => {
    const buf = encodeBatch(input);
    setMaxTimestamp(buf, 0, TimestampType.LOG_APPEND_TIME, 5000n);
    verifyCrc(buf);
    const batch = onlyBatch(buf);
    expect(batch.header).toMatchObject({ timestampType: TimestampType.LOG_APPEND_TIME, maxTimestamp: 5000n });
    expect(decodeRecords(batch)).toEqual(input.records);
  });

  it('refuses to rewrite what is not a v2 batch header', () => {
    expect(() => setBaseOffset(Buffer.alloc(30), 0, 1n)).toThrow(CorruptRecordError);
  });
});

describe('control batches', () => {
  it('encodes a COMMIT marker as Kafka does', () => {
    const buf = encodeEndTxnMarkerBatch({
      type: ControlRecordType.COMMIT,
      producerId: 7n,
      producerEpoch: 2,
      coordinatorEpoch: 11,
      timestamp: 1234n,
    });
    const batch = onlyBatch(buf);
    expect(batch.header).toMatchObject({ isControl: true, isTransactional: true, producerId: 7n, baseSequence: -1 });
    const [marker, ...rest] = decodeRecords(batch);
    expect(rest).toHaveLength(0);
    expect(marker?.key?.toString('hex')).toBe('00000001');
    expect(decodeControlRecordKey(marker?.key ?? null)).toEqual({ version: 0, type: ControlRecordType.COMMIT });
    expect(decodeEndTxnMarker(marker?.value ?? null)).toEqual({ version: 0, coordinatorEpoch: 11 });
  });

  it('refuses short control keys and markers', () => {
    expect(() => decodeControlRecordKey(Buffer.alloc(3))).toThrow(CorruptRecordError);
    expect(() => decodeEndTxnMarker(null)).toThrow(CorruptRecordError);
  });
});

describe('old message formats', () => {
  // A v1 message: offset, message_size, crc, magic 1, attributes, timestamp, null key, value "hi".
  const v1 = Buffer.from(
    '0000000000000003' + '00000018' + 'deadbeef' + '01' + '00' + '00000000000003e8' + 'ffffffff' + '00000002' + '6869',
    'hex',
  );

  it('recognises magic 0 and 1 and reports them', () => {
    expect(readBatchHeader(v1, 0)).toEqual({ magic: 1, baseOffset: 3n, batchLength: 24 });
    const v0 = Buffer.from(v1);
    v0[16] = 0;
    expect(readBatchHeader(v0, 0)).toMatchObject({ magic: 0 });
  });

  it('frames them in a batch sequence without decoding them', () => {
    const v2 = encodeBatch({ baseTimestamp: 0n, records: [] });
    const { batches, partialBytes } = decodeBatches(Buffer.concat([v1, v2]));
    expect(partialBytes).toBe(0);
    expect(batches.map((b) => b.magic)).toEqual([1, 2]);
  });
});

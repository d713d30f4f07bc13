import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CorruptRecordError, ErrorCode, KafkaError } from '../errors.js';
import { decodeBatches, decodeRecords, encodeBatch, type RecordBatch, TimestampType } from './batch.js';
import { CompressionType, compressionName, compressMessageSet } from './compression/index.js';
import { xxhash32 } from './compression/xxhash32.js';
import { downConvertBatch, messageSetToBatch } from './convert.js';
import { crc32, crc32Js } from './crc32.js';
import {
  decodeMessageSet,
  encodeMessageSet,
  type LegacyMagic,
  type LegacyRecord,
  type LegacyRecordInput,
  legacyRecords,
  type MessageSetInput,
  readMessageSetEntry,
} from './legacy.js';

const fixture = (name: string): Buffer => readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)));

const LEGACY_CODECS = [
  CompressionType.NONE,
  CompressionType.GZIP,
  CompressionType.SNAPPY,
  CompressionType.LZ4,
] as const;

/** Every record of a message set, wrappers opened. */
function readAll(buf: Buffer): LegacyRecord[] {
  const { entries, partialBytes } = decodeMessageSet(buf);
  expect(partialBytes).toBe(0);
  return entries.flatMap((e) => legacyRecords(e));
}

const str = (b: Buffer | null) => (b === null ? null : b.toString());

describe('CRC-32', () => {
  it('is the IEEE CRC (check value of "123456789"), the same from zlib and from the table', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32Js(Buffer.from('123456789'))).toBe(0xcbf43926);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }), (a, b) => {
        expect(crc32Js(b, crc32Js(a))).toBe(crc32(Buffer.concat([a, b])));
      }),
    );
  });
});

describe('message sets written by kafka-python (fixtures/README.md)', () => {
  const expected = JSON.parse(fixture('message-set.records.json').toString()) as {
    offset: number;
    timestamp: number;
    key: string | null;
    value: string | null;
  }[];

  for (const magic of [0, 1] as const) {
    for (const codec of LEGACY_CODECS) {
      const name = `message-set.v${magic}.${compressionName(codec)}.bin`;
      it(`reads ${name}`, () => {
        const bytes = fixture(name);
        const { entries } = decodeMessageSet(bytes);
        expect(entries.every((e) => e.magic === magic && e.compression === codec)).toBe(true);
        expect(entries).toHaveLength(codec === CompressionType.NONE ? 20 : 1);
        const records = entries.flatMap((e) => legacyRecords(e));
        expect(
          records.map((r) => ({
            offset: Number(r.offset),
            timestamp: Number(r.timestamp),
            key: str(r.key),
            value: str(r.value),
          })),
        ).toEqual(expected.map((e) => ({ ...e, timestamp: magic === 0 ? -1 : e.timestamp })));
      });
    }
    it(`writes v${magic} uncompressed byte for byte as kafka-python does`, () => {
      const input: MessageSetInput = {
        magic,
        records: expected.map((e) => ({
          offset: BigInt(e.offset),
          timestamp: BigInt(e.timestamp),
          key: e.key === null ? null : Buffer.from(e.key),
          value: e.value === null ? null : Buffer.from(e.value),
        })),
      };
      expect(encodeMessageSet(input).equals(fixture(`message-set.v${magic}.none.bin`))).toBe(true);
    });
  }

  it('v0 lz4 carries the KAFKA-3160 header checksum (over the frame magic too), and so do we; v1 the right one', () => {
    const hc = (frame: Buffer, from: number) => (xxhash32(frame.subarray(from, 6)) >>> 8) & 0xff;
    const v0 = decodeMessageSet(fixture('message-set.v0.lz4.bin')).entries[0]?.value as Buffer;
    expect(v0[6]).toBe(hc(v0, 0));
    expect(v0[6]).not.toBe(hc(v0, 4));
    const ours0 = compressMessageSet(CompressionType.LZ4, Buffer.from('x'.repeat(100)), 0);
    const ours1 = compressMessageSet(CompressionType.LZ4, Buffer.from('x'.repeat(100)), 1);
    expect(ours0[6]).toBe(hc(ours0, 0));
    expect(ours1[6]).toBe(hc(ours1, 4));
  });
});

const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const nullableBytes = (max: number) =>
  fc.option(
    fc.uint8Array({ maxLength: max }).map((b) => Buffer.from(b)),
    { nil: null, freq: 5 },
  );

/** Records with increasing offsets from a random base, as a log holds them. */
const recordsArb = fc
  .tuple(
    fc.bigInt({ min: 0n, max: 2n ** 62n }),
    fc.array(fc.record({ gap: fc.nat(3), timestamp: int64, key: nullableBytes(40), value: nullableBytes(300) }), {
      minLength: 1,
      maxLength: 30,
    }),
  )
  .map(([base, rs]) => {
    let offset = base;
    return rs.map((r): LegacyRecordInput => {
      offset += BigInt(r.gap);
      return { offset, timestamp: r.timestamp, key: r.key, value: r.value };
    });
  });

const messageSetArb: fc.Arbitrary<MessageSetInput> = fc.record({
  magic: fc.constantFrom<LegacyMagic>(0, 1),
  compression: fc.constantFrom(...LEGACY_CODECS),
  timestampType: fc.constantFrom(TimestampType.CREATE_TIME, TimestampType.LOG_APPEND_TIME),
  logAppendTime: fc.bigInt({ min: 0n, max: 2n ** 50n }),
  records: recordsArb,
});

function expectedRecords(input: MessageSetInput): LegacyRecord[] {
  const lat = input.magic === 1 && input.timestampType === TimestampType.LOG_APPEND_TIME;
  return input.records.map((r) => ({
    offset: r.offset,
    magic: input.magic,
    timestampType: lat ? TimestampType.LOG_APPEND_TIME : TimestampType.CREATE_TIME,
    timestamp: input.magic === 0 ? -1n : lat ? (input.logAppendTime as bigint) : r.timestamp,
    key: r.key,
    value: r.value,
  }));
}

describe('message set round trips', () => {
  it('encode then decode gives the records back: offsets, timestamps, keys, values, for every codec', () => {
    fc.assert(
      fc.property(messageSetArb, (input) => {
        expect(readAll(encodeMessageSet(input))).toEqual(expectedRecords(input));
      }),
      { numRuns: 300 },
    );
  });

  it('writes a compressed set as one wrapper at the last offset, relative inner offsets in v1', () => {
    const records = [10n, 11n, 14n].map((offset) => ({ offset, timestamp: 1000n + offset, key: null, value: null }));
    for (const magic of [0, 1] as const) {
      const bytes = encodeMessageSet({ magic, compression: CompressionType.GZIP, records });
      const [wrapper] = decodeMessageSet(bytes).entries;
      expect(wrapper?.offset).toBe(14n);
      expect(wrapper?.timestamp).toBe(magic === 1 ? 1014n : -1n);
      const inner = decodeMessageSet(gunzipSync(wrapper?.value as Buffer)).entries.map((e) => e.offset);
      expect(inner).toEqual(magic === 1 ? [0n, 1n, 4n] : [10n, 11n, 14n]);
    }
  });

  it('a v1 wrapper at offset 0 leaves inner offsets as they are (some librdkafka versions write it)', () => {
    const inner = encodeMessageSet({
      magic: 1,
      records: [0n, 1n, 2n].map((offset) => ({ offset, timestamp: 5n, key: null, value: Buffer.from('v') })),
    });
    const wrapper = wrapperOf(1, CompressionType.GZIP, inner, 0n);
    expect(readAll(wrapper).map((r) => r.offset)).toEqual([0n, 1n, 2n]);
  });

  it('a v1 LogAppendTime wrapper gives its timestamp and type to the messages inside', () => {
    const inner = encodeMessageSet({
      magic: 1,
      records: [0n, 1n].map((offset) => ({ offset, timestamp: 5n, key: null, value: null })),
    });
    const records = readAll(wrapperOf(1, CompressionType.SNAPPY, inner, 41n, 0x08, 777n));
    expect(records.map((r) => [r.offset, r.timestamp, r.timestampType])).toEqual([
      [40n, 777n, TimestampType.LOG_APPEND_TIME],
      [41n, 777n, TimestampType.LOG_APPEND_TIME],
    ]);
  });
});

/** A wrapper message around `inner` (a message set), written by hand. */
function wrapperOf(
  magic: LegacyMagic,
  codec: CompressionType,
  inner: Buffer,
  offset: bigint,
  extraAttributes = 0,
  timestamp = 0n,
): Buffer {
  const value = codec === CompressionType.ZSTD ? inner : compressMessageSet(codec, inner, magic);
  const body = Buffer.alloc((magic === 1 ? 22 : 14) + value.length);
  let at = 4;
  body.writeInt8(magic, at++);
  body.writeInt8(codec | extraAttributes, at++);
  if (magic === 1) {
    body.writeBigInt64BE(timestamp, at);
    at += 8;
  }
  body.writeInt32BE(-1, at);
  body.writeInt32BE(value.length, at + 4);
  value.copy(body, at + 8);
  body.writeUInt32BE(crc32(body.subarray(4)), 0);
  const head = Buffer.alloc(12);
  head.writeBigInt64BE(offset, 0);
  head.writeInt32BE(body.length, 8);
  return Buffer.concat([head, body]);
}

describe('invalid message sets', () => {
  const one = encodeMessageSet({
    magic: 1,
    records: [{ offset: 0n, timestamp: 1n, key: null, value: Buffer.from('abc') }],
  });

  it('a CRC mismatch is CORRUPT_MESSAGE, also inside a wrapper', () => {
    const bad = Buffer.from(one);
    bad.writeUInt8((bad.at(-1) as number) ^ 1, bad.length - 1);
    expect(() => decodeMessageSet(bad)).toThrow(CorruptRecordError);
    expect(() => readAll(wrapperOf(0, CompressionType.GZIP, bad, 0n))).toThrow(CorruptRecordError);
  });

  it('zstd, nested compression, an empty or null wrapper, a wrapper offset below its inner offsets: INVALID_RECORD', () => {
    const codeOf = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as KafkaError).errorCode;
      }
      return 0;
    };
    const twice = wrapperOf(1, CompressionType.GZIP, wrapperOf(1, CompressionType.GZIP, one, 0n), 0n);
    const threeInner = encodeMessageSet({
      magic: 1,
      records: [0n, 1n, 2n].map((offset) => ({ offset, timestamp: 1n, key: null, value: null })),
    });
    for (const bytes of [
      wrapperOf(1, CompressionType.ZSTD, one, 0n),
      twice,
      wrapperOf(1, CompressionType.GZIP, Buffer.alloc(0), 0n),
      wrapperOf(1, CompressionType.GZIP, threeInner, 1n),
    ]) {
      expect(codeOf(() => readAll(bytes))).toBe(ErrorCode.INVALID_RECORD);
    }
    expect(() => encodeMessageSet({ magic: 1, compression: CompressionType.ZSTD, records: [] })).not.toThrow();
    expect(
      codeOf(() =>
        encodeMessageSet({
          magic: 0,
          compression: CompressionType.ZSTD,
          records: [{ offset: 0n, timestamp: 0n, key: null, value: null }],
        }),
      ),
    ).toBe(ErrorCode.INVALID_RECORD);
  });

  it('a message cut short is a partial tail for decodeMessageSet, corrupt for readMessageSetEntry', () => {
    const two = Buffer.concat([one, one]);
    const cut = two.subarray(0, two.length - 3);
    expect(decodeMessageSet(cut)).toMatchObject({ partialBytes: one.length - 3 });
    expect(decodeMessageSet(cut).entries).toHaveLength(1);
    expect(() => readMessageSetEntry(cut, one.length)).toThrow(CorruptRecordError);
  });

  it('v1 lz4 checks its frame header checksum, v0 does not (Kafka skips it for v0)', () => {
    const inner = encodeMessageSet({
      magic: 0,
      records: [{ offset: 0n, timestamp: 0n, key: null, value: Buffer.from('hello') }],
    });
    for (const magic of [0, 1] as const) {
      const good = wrapperOf(magic, CompressionType.LZ4, inner, 0n);
      const entry = decodeMessageSet(good).entries[0];
      const value = Buffer.from(entry?.value as Buffer);
      value.writeUInt8((value[6] as number) ^ 0xff, 6); // the frame header checksum
      const tampered = { ...(entry as NonNullable<typeof entry>), value };
      if (magic === 0) expect(legacyRecords(tampered).map((r) => str(r.value))).toEqual(['hello']);
      else expect(() => legacyRecords(tampered)).toThrow(CorruptRecordError);
    }
  });
});

describe('decoding hostile bytes', () => {
  /** Decoding either succeeds or throws a KafkaError, within a time budget. */
  function decodesOrFailsTyped(input: Buffer): void {
    const start = performance.now();
    try {
      for (const entry of decodeMessageSet(input).entries) legacyRecords(entry, { maxDecompressedBytes: 1 << 20 });
    } catch (err) {
      if (!(err instanceof KafkaError)) {
        throw new Error(`threw ${(err as Error)?.name} on ${input.toString('hex')}: ${err}`, { cause: err });
      }
    }
    expect(performance.now() - start).toBeLessThan(2_000);
  }

  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (b) => decodesOrFailsTyped(Buffer.from(b))),
      { numRuns: 2000 },
    );
  });

  it('valid message sets with bytes changed, inserted or cut', () => {
    const mutation = fc.record({
      position: fc.nat(),
      kind: fc.constantFrom('flip', 'set', 'cut', 'insert'),
      byte: fc.integer({ min: 0, max: 255 }),
    });
    fc.assert(
      fc.property(messageSetArb, fc.array(mutation, { minLength: 1, maxLength: 4 }), (input, mutations) => {
        let bytes = Buffer.from(encodeMessageSet(input));
        for (const m of mutations) {
          if (bytes.length === 0) break;
          const at = m.position % bytes.length;
          if (m.kind === 'flip') bytes[at] = (bytes[at] as number) ^ (1 << (m.byte % 8));
          else if (m.kind === 'set') bytes[at] = m.byte;
          else if (m.kind === 'cut') bytes = bytes.subarray(0, at);
          else bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([m.byte]), bytes.subarray(at)]);
        }
        decodesOrFailsTyped(bytes);
      }),
      { numRuns: 1000 },
    );
  });

  it('wrappers with a valid CRC around hostile inner bytes (the CRC does not stop them)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<LegacyMagic>(0, 1),
        fc.constantFrom(CompressionType.GZIP, CompressionType.SNAPPY, CompressionType.LZ4),
        fc.uint8Array({ maxLength: 300 }),
        fc.bigInt({ min: -5n, max: 50n }),
        (magic, codec, inner, offset) => decodesOrFailsTyped(wrapperOf(magic, codec, Buffer.from(inner), offset)),
      ),
      { numRuns: 1000 },
    );
  });
});

describe('conversions between record batch v2 and message sets', () => {
  const v2Record = (i: number, value: string | null) => ({
    attributes: 0,
    timestampDelta: i * 10,
    offsetDelta: i,
    key: Buffer.from(`k${i}`),
    value: value === null ? null : Buffer.from(value),
    headers: [{ key: 'h', value: Buffer.from('dropped') }],
  });
  const batchOf = (bytes: Buffer): RecordBatch => decodeBatches(bytes).batches[0] as RecordBatch;

  it('down-converts any v2 batch to v0 and v1 and back without losing keys, values, offsets or v1 timestamps', () => {
    const arb = fc.record({
      compression: fc.constantFrom(...LEGACY_CODECS),
      timestampType: fc.constantFrom(TimestampType.CREATE_TIME, TimestampType.LOG_APPEND_TIME),
      baseOffset: fc.bigInt({ min: 0n, max: 2n ** 40n }),
      values: fc.array(fc.option(fc.string({ maxLength: 50 }), { nil: null }), { minLength: 1, maxLength: 20 }),
      skip: fc.nat(25),
      magic: fc.constantFrom<LegacyMagic>(0, 1),
    });
    fc.assert(
      fc.property(arb, ({ compression, timestampType, baseOffset, values, skip, magic }) => {
        const bytes = encodeBatch({
          baseOffset,
          compression,
          timestampType,
          baseTimestamp: 1_700_000_000_000n,
          maxTimestamp: timestampType === TimestampType.LOG_APPEND_TIME ? 1_800_000_000_000n : undefined,
          records: values.map((v, i) => v2Record(i, v)),
        });
        const fetchOffset = baseOffset + BigInt(skip);
        const legacy = downConvertBatch(batchOf(bytes), magic, fetchOffset);
        const compressed = compression !== CompressionType.NONE;
        const kept = values
          .map((v, i) => ({ v, i, offset: baseOffset + BigInt(i) }))
          .filter((r) => compressed || r.offset >= fetchOffset);
        if (kept.length === 0) {
          expect(legacy.length).toBe(0);
          return;
        }
        const { entries } = decodeMessageSet(legacy);
        expect(entries.every((e) => e.magic === magic && e.compression === compression)).toBe(true);
        const back = entries.flatMap((e) => legacyRecords(e));
        const lat = timestampType === TimestampType.LOG_APPEND_TIME;
        expect(back.map((r) => [r.offset, str(r.key), str(r.value), r.timestamp])).toEqual(
          kept.map((r) => [
            r.offset,
            `k${r.i}`,
            r.v,
            magic === 0 ? -1n : lat ? 1_800_000_000_000n : 1_700_000_000_000n + BigInt(r.i * 10),
          ]),
        );
        // And up again: one v2 batch with the same records.
        const up = batchOf(messageSetToBatch(back, compression));
        expect(up.header.compression).toBe(compression);
        expect(decodeRecords(up).map((r) => [r.offsetDelta, str(r.key), str(r.value)])).toEqual(
          kept.map((r, i) => [i, `k${r.i}`, r.v]),
        );
      }),
      { numRuns: 200 },
    );
  });

  it('drops control batches and refuses zstd batches with UNSUPPORTED_COMPRESSION_TYPE', () => {
    const control = encodeBatch({
      isControl: true,
      isTransactional: true,
      baseTimestamp: 0n,
      records: [v2Record(0, 'x')],
    });
    expect(downConvertBatch(batchOf(control), 1, 0n).length).toBe(0);
    const zstd = encodeBatch({ compression: CompressionType.ZSTD, baseTimestamp: 0n, records: [v2Record(0, 'x')] });
    expect(() => downConvertBatch(batchOf(zstd), 1, 0n)).toThrow(
      expect.objectContaining({ errorCode: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE }),
    );
  });

  it('up-converts v0 records with timestamp -1 (no timestamp) and refuses a spread no batch can hold', () => {
    const v0 = readAll(fixture('message-set.v0.gzip.bin'));
    const batch = batchOf(messageSetToBatch(v0, CompressionType.GZIP));
    expect([batch.header.baseTimestamp, batch.header.maxTimestamp]).toEqual([-1n, -1n]);
    expect(decodeRecords(batch)).toHaveLength(20);
    const far = [
      { ...(v0[0] as LegacyRecord), timestamp: -(2n ** 62n) },
      { ...(v0[1] as LegacyRecord), timestamp: 2n ** 62n },
    ];
    expect(() => messageSetToBatch(far, CompressionType.NONE)).toThrow(
      expect.objectContaining({ errorCode: ErrorCode.INVALID_TIMESTAMP }),
    );
  });
});

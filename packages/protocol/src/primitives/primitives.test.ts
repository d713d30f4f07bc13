import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../errors.js';
import { Reader } from './reader.js';
import { uuidFromBytes, uuidToBytes } from './uuid.js';
import { Writer } from './writer.js';

const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const uuid = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => uuidFromBytes(b));

/** Writes a value, reads it back, and checks every byte was consumed. */
function roundTrip<T>(write: (w: Writer, v: T) => void, read: (r: Reader) => T, v: T): T {
  const w = new Writer(1); // start tiny so growth is exercised
  write(w, v);
  const r = new Reader(w.toBuffer());
  const out = read(r);
  r.expectEnd('value');
  return out;
}

describe('primitives round-trip', () => {
  const cases: [string, fc.Arbitrary<unknown>, (w: Writer, v: never) => void, (r: Reader) => unknown][] = [
    ['bool', fc.boolean(), (w, v) => w.bool(v), (r) => r.bool()],
    ['int8', fc.integer({ min: -128, max: 127 }), (w, v) => w.i8(v), (r) => r.i8()],
    ['int16', fc.integer({ min: -32768, max: 32767 }), (w, v) => w.i16(v), (r) => r.i16()],
    ['uint16', fc.integer({ min: 0, max: 65535 }), (w, v) => w.u16(v), (r) => r.u16()],
    ['int32', fc.integer(), (w, v) => w.i32(v), (r) => r.i32()],
    ['uint32', fc.integer({ min: 0, max: 2 ** 32 - 1 }), (w, v) => w.u32(v), (r) => r.u32()],
    ['int64', int64, (w, v) => w.i64(v), (r) => r.i64()],
    ['float64', fc.double({ noNaN: true }), (w, v) => w.f64(v), (r) => r.f64()],
    ['unsigned varint', fc.integer({ min: 0, max: 2 ** 32 - 1 }), (w, v) => w.uvarint(v), (r) => r.uvarint()],
    ['varint', fc.integer(), (w, v) => w.varint(v), (r) => r.varint()],
    ['varlong', int64, (w, v) => w.varlong(v), (r) => r.varlong()],
    ['varlong (number)', fc.maxSafeInteger(), (w, v) => w.varlongNumber(v), (r) => r.varlongNumber()],
    ['uuid', uuid, (w, v) => w.uuid(v), (r) => r.uuid()],
    ['string', fc.string({ unit: 'grapheme' }), (w, v) => w.string(v, false), (r) => r.string(false)],
    ['compact string', fc.string({ unit: 'grapheme' }), (w, v) => w.string(v, true), (r) => r.string(true)],
    [
      'nullable string',
      fc.option(fc.string(), { nil: null }),
      (w, v) => w.nullableString(v, false),
      (r) => r.nullableString(false),
    ],
    [
      'compact nullable string',
      fc.option(fc.string(), { nil: null }),
      (w, v) => w.nullableString(v, true),
      (r) => r.nullableString(true),
    ],
    ['bytes', fc.uint8Array().map((b) => Buffer.from(b)), (w, v) => w.bytes(v, false), (r) => r.bytes(false)],
    [
      'compact nullable bytes',
      fc.option(
        fc.uint8Array().map((b) => Buffer.from(b)),
        { nil: null },
      ),
      (w, v) => w.nullableBytes(v, true),
      (r) => r.nullableBytes(true),
    ],
    [
      'nullable bytes',
      fc.option(
        fc.uint8Array().map((b) => Buffer.from(b)),
        { nil: null },
      ),
      (w, v) => w.nullableBytes(v, false),
      (r) => r.nullableBytes(false),
    ],
  ];
  for (const [name, arb, write, read] of cases) {
    it(name, () => {
      fc.assert(
        fc.property(arb, (v) => {
          expect(roundTrip(write as (w: Writer, v: unknown) => void, read, v)).toEqual(v);
        }),
        { numRuns: 300 },
      );
    });
  }

  it('array lengths, classic and compact, null included', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1, max: 1000 }), fc.boolean(), (n, compact) => {
        const w = new Writer().arrayLength(n, compact);
        // a real array carries at least one byte per element after its length
        w.raw(Buffer.alloc(Math.max(n, 0)));
        expect(new Reader(w.toBuffer()).arrayLength(compact)).toBe(n);
      }),
    );
  });
});

describe('wire encodings match the Kafka protocol guide', () => {
  it('zigzag varints', () => {
    expect(new Writer().varint(0).toBuffer()).toEqual(Buffer.from([0]));
    expect(new Writer().varint(-1).toBuffer()).toEqual(Buffer.from([1]));
    expect(new Writer().varint(1).toBuffer()).toEqual(Buffer.from([2]));
    expect(new Writer().varint(-64).toBuffer()).toEqual(Buffer.from([0x7f]));
    expect(new Writer().varint(64).toBuffer()).toEqual(Buffer.from([0x80, 0x01]));
    expect(new Writer().varint(2147483647).toBuffer()).toEqual(Buffer.from([0xfe, 0xff, 0xff, 0xff, 0x0f]));
    expect(new Writer().varlong(-(2n ** 63n)).toBuffer()).toEqual(
      Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
    );
  });

  it('compact strings carry length + 1 and null as 0', () => {
    expect(new Writer().nullableString(null, true).toBuffer()).toEqual(Buffer.from([0]));
    expect(new Writer().string('ab', true).toBuffer()).toEqual(Buffer.from([3, 0x61, 0x62]));
    expect(new Writer().nullableString(null, false).toBuffer()).toEqual(Buffer.from([0xff, 0xff]));
  });

  it('UUIDs print the way Kafka prints them (URL-safe base64, 22 characters)', () => {
    const bytes = Buffer.from('f81d4fae7dec11d0a76500a0c91e6bf6', 'hex');
    expect(uuidFromBytes(bytes)).toBe('-B1Prn3sEdCnZQCgyR5r9g');
    expect(uuidToBytes('-B1Prn3sEdCnZQCgyR5r9g')).toEqual(bytes);
    expect(() => uuidToBytes('short')).toThrow(TypeError);
  });

  it('length back-patching', () => {
    const w = new Writer(2);
    const at = w.reserveI32();
    w.string('hello', false).i64(5n);
    w.patchLength(at);
    const buf = w.toBuffer();
    expect(buf.readInt32BE(0)).toBe(buf.length - 4);
  });

  it('shared byte arrays: the chunks reference them and read back as the copied encoding', () => {
    const big = Buffer.alloc(40, 7);
    const write = (w: Writer) => {
      const frame = w.reserveI32();
      w.i16(1)
        .bytes(big, true)
        .nullableBytes(Buffer.from([1, 2]), false);
      const inner = w.reserveI32(); // patched after another shared array
      w.bytes(big, false).i8(-1);
      w.patchLength(inner).patchLength(frame);
    };
    const copied = new Writer(2);
    write(copied);
    const shared = new Writer(2, { shareBytesFrom: 32 });
    write(shared);
    const chunks = shared.chunks();
    expect(chunks.filter((c) => c === big)).toHaveLength(2); // referenced, not copied
    expect(Buffer.concat(chunks)).toEqual(copied.toBuffer());
    expect(shared.offset).toBe(copied.offset);
    // view() joins the chunks and the writer goes on after them.
    expect(shared.i8(5).view()).toEqual(copied.i8(5).view());
    expect(shared.chunks()).toHaveLength(1);
    expect(new Writer(2).chunks()).toEqual([Buffer.alloc(0)]);
  });
});

describe('malformed input fails with DecodeError', () => {
  it.each([
    ['truncated int32', (r: Reader) => r.i32(), [0, 1, 2]],
    ['varint over 5 bytes', (r: Reader) => r.uvarint(), [0x80, 0x80, 0x80, 0x80, 0x80, 0x01]],
    ['varint over 32 bits', (r: Reader) => r.uvarint(), [0xff, 0xff, 0xff, 0xff, 0x1f]],
    ['varlong over 64 bits', (r: Reader) => r.varlong(), [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02]],
    ['string longer than the frame', (r: Reader) => r.string(false), [0, 10, 0x61]],
    ['negative string length', (r: Reader) => r.nullableString(false), [0xff, 0xfe]],
    ['null where a string is required', (r: Reader) => r.string(true), [0]],
    ['array count larger than the frame', (r: Reader) => r.arrayLength(false), [0x7f, 0xff, 0xff, 0xff]],
    ['negative bytes length', (r: Reader) => r.nullableBytes(false), [0xff, 0xff, 0xff, 0xf0]],
  ])('%s', (_name, read, bytes) => {
    expect(() => read(new Reader(Buffer.from(bytes)))).toThrow(DecodeError);
  });
});

/**
 * A bounds-checked reader over one Buffer. Every method either returns a value or throws DecodeError
 * (never a RangeError from Node, never a silently short value): malformed input from the network is
 * an ordinary event for a broker.
 */
import { DecodeError } from '../errors.js';
import { uuidFromBytes } from './uuid.js';

const MAX_SAFE_BIGINT = BigInt(Number.MAX_SAFE_INTEGER);

export class Reader {
  readonly buf: Buffer;
  private pos: number;
  private readonly end: number;

  constructor(buf: Buffer, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Fails unless every byte was consumed: trailing garbage is as malformed as a short frame. */
  expectEnd(what: string): void {
    if (this.pos !== this.end) {
      throw new DecodeError(`${this.end - this.pos} unexpected trailing byte(s) after ${what}`, this.pos);
    }
  }

  private need(n: number, what: string): number {
    const at = this.pos;
    if (n < 0 || at + n > this.end) {
      throw new DecodeError(`need ${n} byte(s) for ${what}, ${this.end - at} left`, at);
    }
    this.pos = at + n;
    return at;
  }

  bool(): boolean {
    return this.buf[this.need(1, 'bool')] !== 0;
  }

  i8(): number {
    return this.buf.readInt8(this.need(1, 'int8'));
  }

  u8(): number {
    return this.buf.readUInt8(this.need(1, 'uint8'));
  }

  i16(): number {
    return this.buf.readInt16BE(this.need(2, 'int16'));
  }

  u16(): number {
    return this.buf.readUInt16BE(this.need(2, 'uint16'));
  }

  i32(): number {
    return this.buf.readInt32BE(this.need(4, 'int32'));
  }

  u32(): number {
    return this.buf.readUInt32BE(this.need(4, 'uint32'));
  }

  i64(): bigint {
    return this.buf.readBigInt64BE(this.need(8, 'int64'));
  }

  f64(): number {
    return this.buf.readDoubleBE(this.need(8, 'float64'));
  }

  uvarint(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.pos >= this.end) throw new DecodeError('truncated varint', this.pos);
      const b = this.buf[this.pos++] as number;
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) {
        if (shift === 28 && b > 0x0f) throw new DecodeError('varint does not fit in 32 bits', this.pos - 1);
        return result >>> 0;
      }
    }
    throw new DecodeError('varint longer than 5 bytes', this.pos);
  }

  varint(): number {
    const u = this.uvarint();
    return (u >>> 1) ^ -(u & 1);
  }

  varlong(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.end) throw new DecodeError('truncated varlong', this.pos);
      const b = this.buf[this.pos++] as number;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) {
        if (shift === 63n && b > 1) throw new DecodeError('varlong does not fit in 64 bits', this.pos - 1);
        return (result >> 1n) ^ -(result & 1n);
      }
    }
    throw new DecodeError('varlong longer than 10 bytes', this.pos);
  }

  /** A VARLONG that must be a safe JS integer (record deltas); larger values are malformed for us. */
  varlongNumber(): number {
    const start = this.pos;
    // Fast path: up to 4 bytes is at most 28 bits, well inside int32 zigzag.
    let u = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (this.pos >= this.end) throw new DecodeError('truncated varlong', this.pos);
      const b = this.buf[this.pos++] as number;
      u |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return (u >>> 1) ^ -(u & 1);
    }
    this.pos = start;
    const v = this.varlong();
    if (v > MAX_SAFE_BIGINT || v < -MAX_SAFE_BIGINT) {
      throw new DecodeError(`varlong ${v} is outside the safe integer range`, start);
    }
    return Number(v);
  }

  uuid(): string {
    const at = this.need(16, 'uuid');
    return uuidFromBytes(this.buf.subarray(at, at + 16));
  }

  /** A reader over the next `n` bytes, which this reader skips (a tagged field's value). */
  sub(n: number): Reader {
    const at = this.need(n, 'tagged field');
    return new Reader(this.buf, at, at + n);
  }

  /** Raw bytes, sharing memory with the input (zero copy). */
  raw(n: number): Buffer {
    const at = this.need(n, 'bytes');
    return this.buf.subarray(at, at + n);
  }

  private stringLength(compact: boolean): number {
    return compact ? this.uvarint() - 1 : this.i16();
  }

  string(compact: boolean): string {
    const start = this.pos;
    const len = this.stringLength(compact);
    if (len < 0) throw new DecodeError('null string where a string is required', start);
    const at = this.need(len, 'string');
    return this.buf.toString('utf8', at, at + len);
  }

  nullableString(compact: boolean): string | null {
    const start = this.pos;
    const len = this.stringLength(compact);
    if (len < -1) throw new DecodeError(`invalid string length ${len}`, start);
    if (len === -1) return null;
    const at = this.need(len, 'string');
    return this.buf.toString('utf8', at, at + len);
  }

  private bytesLength(compact: boolean): number {
    return compact ? this.uvarint() - 1 : this.i32();
  }

  bytes(compact: boolean): Buffer {
    const start = this.pos;
    const len = this.bytesLength(compact);
    if (len < 0) throw new DecodeError('null bytes where bytes are required', start);
    return this.raw(len);
  }

  nullableBytes(compact: boolean): Buffer | null {
    const start = this.pos;
    const len = this.bytesLength(compact);
    if (len < -1) throw new DecodeError(`invalid bytes length ${len}`, start);
    if (len === -1) return null;
    return this.raw(len);
  }

  /**
   * An array length: -1 for null. Each element takes at least one byte, so a count larger than the
   * bytes left is rejected before anything is allocated for it.
   */
  arrayLength(compact: boolean): number {
    const start = this.pos;
    const n = compact ? this.uvarint() - 1 : this.i32();
    if (n < -1) throw new DecodeError(`invalid array length ${n}`, start);
    if (n > this.end - this.pos) {
      throw new DecodeError(`array of ${n} elements cannot fit in ${this.end - this.pos} bytes`, start);
    }
    return n;
  }
}

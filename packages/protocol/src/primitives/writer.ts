/**
 * A growable byte writer with chainable methods and length back-patching, after porsager/postgres'
 * `bytes.js`: `w.i16(key).i16(version).i32(correlationId).nullableString(clientId)`, the frame length
 * reserved first and patched last. It knows Kafka's primitive types (protocol.html, "Protocol Primitive
 * Types") and nothing about messages; the generated codecs call it.
 */
import { uuidToBytes } from './uuid.js';

const INITIAL_SIZE = 256;

export interface WriterOptions {
  /**
   * Byte arrays of at least this many bytes are referenced instead of copied (a Fetch response's
   * records): what was written is then a list of chunks (`chunks()`), for a vectored socket write. The
   * caller must not change such an array until the chunks are sent.
   */
  readonly shareBytesFrom?: number;
}

export class Writer {
  private buf: Buffer;
  private pos = 0;
  /** Chunks finished before `buf`: written bytes and shared arrays, in order (see WriterOptions). */
  private done: Buffer[] = [];
  private doneLength = 0;
  private readonly shareFrom: number;

  constructor(initialSize = INITIAL_SIZE, options: WriterOptions = {}) {
    this.buf = Buffer.allocUnsafe(initialSize);
    this.shareFrom = options.shareBytesFrom ?? Number.POSITIVE_INFINITY;
  }

  /** Bytes written so far. */
  get offset(): number {
    return this.doneLength + this.pos;
  }

  /** A view of what has been written (shares memory with the writer until the next write). */
  view(): Buffer {
    if (this.done.length > 0) this.flatten();
    return this.buf.subarray(0, this.pos);
  }

  /** A copy of what has been written, safe to keep after the writer is reused. */
  toBuffer(): Buffer {
    return Buffer.from(this.view());
  }

  /** What has been written as one or more buffers, in order, without copying shared arrays. */
  chunks(): Buffer[] {
    if (this.done.length === 0) return [this.buf.subarray(0, this.pos)];
    return this.pos > 0 ? [...this.done, this.buf.subarray(0, this.pos)] : [...this.done];
  }

  reset(): this {
    this.done = [];
    this.doneLength = 0;
    this.pos = 0;
    return this;
  }

  /** Copies the chunks into one buffer that the writer goes on writing into. */
  private flatten(): void {
    const all = Buffer.concat(this.chunks(), this.offset);
    this.done = [];
    this.doneLength = 0;
    this.buf = all;
    this.pos = all.length;
  }

  private ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = Math.max(this.buf.length * 2, INITIAL_SIZE);
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  bool(v: boolean): this {
    return this.i8(v ? 1 : 0);
  }

  i8(v: number): this {
    this.ensure(1);
    this.buf.writeInt8(v, this.pos);
    this.pos += 1;
    return this;
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  i16(v: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  u16(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  i32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  u32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  i64(v: bigint): this {
    this.ensure(8);
    this.buf.writeBigInt64BE(v, this.pos);
    this.pos += 8;
    return this;
  }

  f64(v: number): this {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
    return this;
  }

  /** Unsigned LEB128 of a 32-bit value (UNSIGNED_VARINT). */
  uvarint(v: number): this {
    this.ensure(5);
    let x = v >>> 0;
    while (x >= 0x80) {
      this.buf[this.pos++] = (x & 0x7f) | 0x80;
      x >>>= 7;
    }
    this.buf[this.pos++] = x;
    return this;
  }

  /** Zigzag-encoded signed 32-bit value (VARINT). */
  varint(v: number): this {
    return this.uvarint(((v << 1) ^ (v >> 31)) >>> 0);
  }

  /** Zigzag-encoded signed 64-bit value (VARLONG). */
  varlong(v: bigint): this {
    this.ensure(10);
    let x = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    while (x >= 0x80n) {
      this.buf[this.pos++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.pos++] = Number(x);
    return this;
  }

  /**
   * VARLONG from a JS number. Record deltas (offset, timestamp) are small; this avoids BigInt on the
   * hot path while staying exact for every safe integer.
   */
  varlongNumber(v: number): this {
    if (v >= -0x40000000 && v < 0x40000000) return this.varint(v);
    return this.varlong(BigInt(v));
  }

  uuid(v: string): this {
    return this.raw(uuidToBytes(v));
  }

  raw(bytes: Uint8Array): this {
    if (bytes.length >= this.shareFrom) {
      // Close the current chunk, reference the array, and go on in the rest of the current buffer.
      if (this.pos > 0) this.done.push(this.buf.subarray(0, this.pos));
      this.done.push(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
      this.doneLength += this.pos + bytes.length;
      this.buf = this.buf.subarray(this.pos);
      this.pos = 0;
      return this;
    }
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  /** STRING (int16 length) or COMPACT_STRING (uvarint length + 1). */
  string(v: string, compact: boolean): this {
    const len = Buffer.byteLength(v, 'utf8');
    if (compact) this.uvarint(len + 1);
    else this.i16(len);
    this.ensure(len);
    this.pos += this.buf.write(v, this.pos, len, 'utf8');
    return this;
  }

  nullableString(v: string | null, compact: boolean): this {
    if (v === null) return compact ? this.uvarint(0) : this.i16(-1);
    return this.string(v, compact);
  }

  /** BYTES (int32 length) or COMPACT_BYTES (uvarint length + 1). */
  bytes(v: Uint8Array, compact: boolean): this {
    if (compact) this.uvarint(v.length + 1);
    else this.i32(v.length);
    return this.raw(v);
  }

  nullableBytes(v: Uint8Array | null, compact: boolean): this {
    if (v === null) return compact ? this.uvarint(0) : this.i32(-1);
    return this.bytes(v, compact);
  }

  /** The length prefix of an ARRAY (int32) or COMPACT_ARRAY (uvarint N+1); -1 is a null array. */
  arrayLength(n: number, compact: boolean): this {
    if (compact) return this.uvarint(n + 1);
    return this.i32(n);
  }

  /** Reserve an int32 to be patched later (frame sizes, batch lengths). Returns its position. */
  reserveI32(): number {
    this.ensure(4);
    const at = this.offset;
    this.pos += 4;
    return at;
  }

  patchI32(at: number, v: number): this {
    const [buf, i] = this.locate(at);
    buf.writeInt32BE(v, i);
    return this;
  }

  patchU32(at: number, v: number): this {
    const [buf, i] = this.locate(at);
    buf.writeUInt32BE(v >>> 0, i);
    return this;
  }

  /** The chunk and index of position `at` (a reserved int32 never spans two chunks: ensure(4) first). */
  private locate(at: number): [Buffer, number] {
    if (at >= this.doneLength) return [this.buf, at - this.doneLength];
    let start = 0;
    for (const chunk of this.done) {
      if (at < start + chunk.length) return [chunk, at - start];
      start += chunk.length;
    }
    throw new RangeError(`position ${at} is outside the written bytes`);
  }

  /** Patch an int32 at `at` with the number of bytes written after it: a back-patched length. */
  patchLength(at: number): this {
    return this.patchI32(at, this.offset - at - 4);
  }
}

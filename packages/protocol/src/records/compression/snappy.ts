/**
 * Snappy (compression type 2). Kafka clients write one of two layouts:
 *
 * - raw snappy, one block for the whole record set (librdkafka, franz-go, sarama by default);
 * - xerial snappy-java's stream framing (the Java client, kafkajs-snappy): the 16-byte header
 *   `0x82 'SNAPPY' 0x00`, int32 version, int32 compatible version, then chunks of
 *   `int32 length` + raw snappy block, all big-endian.
 *
 * The decoder takes both, recognising xerial by its magic exactly as snappy-java's SnappyInputStream
 * does. The encoder writes raw snappy: every Kafka reader accepts it (SnappyInputStream falls back to
 * raw when the magic is missing, which is how Java brokers and consumers read librdkafka's batches),
 * and it is one native call and 20 bytes shorter than the framed form. Message sets (formats v0/v1),
 * which only old clients read, get the xerial framing the Java client of their time wrote
 * (`snappyCompressXerial`).
 *
 * The codec is `snappy` (napi-rs over the Rust `snap` crate, prebuilt per-platform packages).
 */
import { CorruptRecordError } from '../../errors.js';
import { codecUnavailable, loadOptional } from '../native.js';
import { tooLarge } from './limits.js';

type SnappyModule = typeof import('snappy');

export const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
/** Magic (8) + version (4) + compatible version (4). */
const XERIAL_HEADER_BYTES = 16;

export const snappyModule: SnappyModule | null = loadOptional<SnappyModule>('snappy');

function native(): SnappyModule {
  if (!snappyModule) throw codecUnavailable('snappy', 'the `snappy` native module did not load on this platform');
  return snappyModule;
}

export function snappyCompress(data: Buffer): Buffer {
  return native().compressSync(data);
}

/** snappy-java's SnappyOutputStream default block size: the input is compressed in chunks of this. */
const XERIAL_BLOCK_BYTES = 32 * 1024;
/** Version and compatible version in the header, as every snappy-java writes them. */
const XERIAL_VERSION = 1;

/** snappy-java's stream framing (SnappyOutputStream): the header, then `int32 length` + raw block per 32 KiB. */
export function snappyCompressXerial(data: Buffer): Buffer {
  const snappy = native();
  const header = Buffer.alloc(XERIAL_HEADER_BYTES);
  XERIAL_MAGIC.copy(header, 0);
  header.writeInt32BE(XERIAL_VERSION, 8);
  header.writeInt32BE(XERIAL_VERSION, 12);
  const parts: Buffer[] = [header];
  for (let pos = 0; pos < data.length; pos += XERIAL_BLOCK_BYTES) {
    const block = snappy.compressSync(data.subarray(pos, pos + XERIAL_BLOCK_BYTES));
    const length = Buffer.allocUnsafe(4);
    length.writeInt32BE(block.length);
    parts.push(length, block);
  }
  return Buffer.concat(parts);
}

/** A raw snappy block starts with its uncompressed length as an unsigned varint (format_description.txt). */
function rawLength(block: Buffer): number {
  let value = 0;
  for (let i = 0; i < 5 && i < block.length; i++) {
    const byte = block[i] as number;
    value += (byte & 0x7f) * 2 ** (7 * i);
    if (byte < 0x80) return value;
  }
  throw new CorruptRecordError('snappy: invalid uncompressed length');
}

function rawUncompress(snappy: SnappyModule, block: Buffer, maxBytes: number): Buffer {
  if (rawLength(block) > maxBytes) throw tooLarge('snappy', maxBytes);
  try {
    return snappy.uncompressSync(block, { asBuffer: true }) as Buffer;
  } catch (err) {
    throw new CorruptRecordError(`snappy: ${(err as Error).message}`);
  }
}

export function isXerialFramed(data: Buffer): boolean {
  return data.length >= XERIAL_HEADER_BYTES && data.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC);
}

export function snappyDecompress(data: Buffer, maxBytes: number): Buffer {
  const snappy = native();
  if (!isXerialFramed(data)) return rawUncompress(snappy, data, maxBytes);
  // The version fields are not checked: every writer uses 1/1 and snappy-java itself only rejects
  // versions below 1, which changes nothing about the chunk layout.
  const chunks: Buffer[] = [];
  let total = 0;
  let pos = XERIAL_HEADER_BYTES;
  while (pos < data.length) {
    if (pos + 4 > data.length) throw new CorruptRecordError(`snappy: truncated xerial chunk length at byte ${pos}`);
    const len = data.readInt32BE(pos);
    pos += 4;
    if (len < 0 || pos + len > data.length) {
      throw new CorruptRecordError(`snappy: xerial chunk of ${len} bytes at byte ${pos - 4} overruns the input`);
    }
    const chunk = rawUncompress(snappy, data.subarray(pos, pos + len), maxBytes - total);
    total += chunk.length;
    chunks.push(chunk);
    pos += len;
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
}

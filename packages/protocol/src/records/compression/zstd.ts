/**
 * Zstandard (compression type 4). Node 20's zlib has no zstd, so the codec is `zstd-napi`: N-API
 * bindings over the reference libzstd, synchronous, and the fastest npm option measured here. Side by
 * side on the same 1 MiB of text (compress / decompress MB/s): zstd-napi 171 / 206 (115 / 101 on
 * 1 KiB); `@mongodb-js/zstd` 1.2.2 125 / 160 but async only, 9 / 4 on 1 KiB (its current majors fetch
 * binaries from GitHub at install, which fails offline); `zstd-codec` (WASM) 113 / 46;
 * `@bokuweb/zstd-wasm` fails on 1 MiB frames; `fzstd` (pure JS, decompress only) 31.
 *
 * zstd-napi's prebuilt binaries also live on GitHub: its install script falls back to building the
 * bundled libzstd with node-gyp (~25 s; python3, make and a C++ compiler). Where that did not happen
 * (install scripts disabled, no compiler) decompression falls back to `fzstd` so zstd batches can
 * still be read, and compression answers UNSUPPORTED_COMPRESSION_TYPE.
 *
 * Java producers write frames without a content size (ZstdOutputStream streams); both decoders handle
 * that.
 */
import { decompress as fzstdDecompress } from 'fzstd';
import { CorruptRecordError } from '../../errors.js';
import { codecUnavailable, loadOptional } from '../native.js';
import { DEFAULT_MAX_DECOMPRESSED_BYTES, tooLarge } from './limits.js';

type ZstdNapi = typeof import('zstd-napi');
type ZstdBinding = typeof import('zstd-napi/binding.js');
type Compressor = InstanceType<ZstdNapi['Compressor']>;
type DCtx = InstanceType<ZstdBinding['DCtx']>;

/** Kafka's default `compression.zstd.level` (KIP-390). */
export const ZSTD_DEFAULT_LEVEL = 3;

const zstdNapi = loadOptional<ZstdNapi>('zstd-napi');
// The binding's streaming decoder, so output can be bounded chunk by chunk (Decompressor has no limit).
const zstdBinding = zstdNapi ? loadOptional<ZstdBinding>('zstd-napi/binding.js') : null;

/** `zstd-napi` when its native build loaded, else the pure-JS decoder (no compression). */
export const zstdBackend: 'zstd-napi' | 'fzstd' = zstdNapi ? 'zstd-napi' : 'fzstd';

// One context per level, reused: creating a ZSTD_CCtx costs more than compressing a small batch.
const compressors = new Map<number, Compressor>();
let dctx: DCtx | undefined;
/** Streaming output chunk: ZSTD_DStreamOutSize, one block (128 KiB). */
const STREAM_CHUNK = 128 * 1024;

export function zstdCompress(data: Buffer, level = ZSTD_DEFAULT_LEVEL): Buffer {
  if (!zstdNapi) {
    throw codecUnavailable(
      'zstd',
      'compression needs zstd-napi, whose native build is missing (npm rebuild zstd-napi)',
    );
  }
  let compressor = compressors.get(level);
  if (!compressor) {
    compressor = new zstdNapi.Compressor();
    compressor.setParameters({ compressionLevel: level });
    compressors.set(level, compressor);
  }
  return compressor.compress(data);
}

/**
 * Decodes every frame of `data` into at most `maxBytes`. A frame header that declares its size (what
 * librdkafka writes) is decoded in one call into an exact buffer; frames without one (the Java client's
 * ZstdOutputStream) are streamed in 128 KiB chunks, stopping at the bound.
 */
export function zstdDecompress(data: Buffer, maxBytes: number): Buffer {
  if (!zstdBinding) return zstdDecompressJs(data, maxBytes);
  try {
    dctx ??= new zstdBinding.DCtx();
    const declared = singleFrameContentSize(zstdBinding, data);
    if (declared !== null) {
      if (declared > maxBytes) throw tooLarge('zstd', maxBytes);
      const out = Buffer.allocUnsafe(declared);
      const written = dctx.decompress(out, data);
      if (written !== declared)
        throw new CorruptRecordError(`zstd: frame declares ${declared} bytes, holds ${written}`);
      return out;
    }
    return zstdStream(dctx, data, maxBytes);
  } catch (err) {
    dctx = undefined; // a context that failed mid-frame is not reused
    if (err instanceof CorruptRecordError) throw err;
    throw new CorruptRecordError(`zstd: ${(err as Error).message}`);
  }
}

/** The declared size when `data` is exactly one frame that has one, else null. */
function singleFrameContentSize(binding: ZstdBinding, data: Buffer): number | null {
  const size = binding.getFrameContentSize(data);
  if (size === null || binding.findFrameCompressedSize(data) !== data.length) return null;
  return size;
}

function zstdStream(context: DCtx, data: Buffer, maxBytes: number): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  let input = data;
  let frameOpen = false;
  while (input.length > 0 || frameOpen) {
    const chunk = Buffer.allocUnsafe(STREAM_CHUNK);
    const [remaining, produced, consumed] = context.decompressStream(chunk, input);
    if (produced === 0 && consumed === 0) throw new CorruptRecordError('zstd: truncated frame');
    total += produced;
    if (total > maxBytes) throw tooLarge('zstd', maxBytes);
    chunks.push(chunk.subarray(0, produced));
    input = input.subarray(consumed);
    frameOpen = remaining !== 0; // 0: a frame ended and everything it held was flushed
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total);
}

/**
 * The pure-JS decoder alone, so tests and benchmarks can exercise the fallback where zstd-napi loads.
 * fzstd takes no bound: a declared frame size is checked first, otherwise the output after the fact.
 */
export function zstdDecompressJs(data: Buffer, maxBytes = DEFAULT_MAX_DECOMPRESSED_BYTES): Buffer {
  const declared = declaredFrameSize(data);
  if (declared !== null && declared > maxBytes) throw tooLarge('zstd', maxBytes);
  let out: Uint8Array;
  try {
    out = fzstdDecompress(data);
  } catch (err) {
    throw new CorruptRecordError(`zstd: ${(err as Error).message}`);
  }
  if (out.byteLength > maxBytes) throw tooLarge('zstd', maxBytes);
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

/** Frame_Content_Size of the first frame header (RFC 8878 §3.1.1.1), or null when absent or unreadable. */
function declaredFrameSize(data: Buffer): number | null {
  if (data.length < 6 || data.readUInt32LE(0) !== 0xfd2fb528) return null;
  const descriptor = data[4] as number;
  const fcsFlag = descriptor >> 6;
  const singleSegment = (descriptor >> 5) & 1;
  const dictIdBytes = [0, 1, 2, 4][descriptor & 3] as number;
  const fcsBytes = fcsFlag === 0 ? singleSegment : 1 << fcsFlag;
  if (fcsBytes === 0) return null;
  const at = 5 + (singleSegment ? 0 : 1) + dictIdBytes;
  if (data.length < at + fcsBytes) return null;
  switch (fcsBytes) {
    case 1:
      return data.readUInt8(at);
    case 2:
      return data.readUInt16LE(at) + 256;
    case 4:
      return data.readUInt32LE(at);
    default:
      return Number(data.readBigUInt64LE(at));
  }
}

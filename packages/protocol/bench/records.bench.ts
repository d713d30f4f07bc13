/**
 * Record batch layer throughput: CRC-32C implementations, batch encode/decode, and each codec.
 * Run: `npx tsx bench/records.bench.ts` (or `npm run bench` for every bench file).
 * MB/s counts uncompressed bytes (1 MB = 10^6 bytes) for every row.
 */
import { randomBytes } from 'node:crypto';
import {
  CompressionType,
  compress,
  compressionBackends,
  compressionName,
  decodeBatches,
  decodeRecords,
  decompress,
  encodeBatch,
  RECORD_BATCH_HEADER_BYTES,
  type Record,
  type RecordBatch,
  readBatchHeader,
  verifyCrc,
} from '../src/index.js';
import { zstdDecompressJs } from '../src/records/compression/zstd.js';
import { crc32cJs, crc32cNative } from '../src/records/crc32c.js';
import { measure, printTable, type Result } from './harness.js';

/** JSON-ish values that compress about as well as typical event payloads (3-5x). */
function eventValue(i: number, size: number): Buffer {
  let s = '';
  for (let n = i; s.length < size; n++) {
    s += `{"id":${n},"user":"u-${(n * 7919) % 100_000}","event":"${['view', 'click', 'buy'][n % 3]}","amount":${(n * 31) % 997}.${n % 100}}`;
  }
  return Buffer.from(s.slice(0, size));
}

function makeRecords(count: number, valueSize: number): Record[] {
  return Array.from({ length: count }, (_, i) => ({
    attributes: 0,
    timestampDelta: i,
    offsetDelta: i,
    key: Buffer.from(`key-${i % 64}`),
    value: eventValue(i, valueSize),
    headers: [],
  }));
}

function onlyBatch(buf: Buffer): RecordBatch {
  const batch = decodeBatches(buf).batches[0];
  if (batch?.magic !== 2) throw new Error('expected a v2 batch');
  return batch;
}

// CRC-32C.
const crcResults: Result[] = [];
for (const size of [64, 1024, 1 << 20]) {
  const buf = randomBytes(size);
  crcResults.push(measure('pure JS (slicing-by-8)', size, () => crc32cJs(buf)));
  const native = crc32cNative;
  if (native) crcResults.push(measure('native (@node-rs/crc32)', size, () => native(buf)));
}
printTable('CRC-32C', crcResults);

// Batch encode and decode, uncompressed.
const batchResults: Result[] = [];
for (const [count, valueSize] of [
  [100, 100],
  [1000, 1024],
] as const) {
  const records = makeRecords(count, valueSize);
  const input = { baseTimestamp: 1_700_000_000_000n, records };
  const encoded = encodeBatch(input);
  const label = `${count} x ${valueSize} B`;
  batchResults.push(measure(`encodeBatch ${label}`, encoded.length, () => encodeBatch(input)));
  batchResults.push(
    measure(`decodeBatches + verifyCrc ${label}`, encoded.length, () => {
      for (const batch of decodeBatches(encoded).batches) verifyCrc(batch.bytes);
    }),
  );
  batchResults.push(
    measure(`decodeRecords ${label}`, encoded.length, () => decodeRecords(onlyBatch(encoded)), 'incl. CRC check'),
  );
}
const header = encodeBatch({ baseTimestamp: 0n, records: makeRecords(1, 100) });
batchResults.push(
  measure('readBatchHeader', RECORD_BATCH_HEADER_BYTES, () => readBatchHeader(header, 0), 'the 61-byte header'),
);
printTable('Record batch v2, uncompressed', batchResults);

// Each codec on a typical batch's records (16 KiB, the Java producer's default batch.size) and on 1 MiB.
const codecResults: Result[] = [];
for (const size of [16 * 1024, 1 << 20]) {
  const data = Buffer.concat(makeRecords(Math.ceil(size / 200), 200).map((r) => r.value as Buffer)).subarray(0, size);
  for (const codec of [CompressionType.GZIP, CompressionType.SNAPPY, CompressionType.LZ4, CompressionType.ZSTD]) {
    const name = compressionName(codec);
    const compressed = compress(codec, data);
    const ratio = `ratio ${(data.length / compressed.length).toFixed(2)}`;
    codecResults.push(measure(`${name} compress`, size, () => compress(codec, data), ratio));
    codecResults.push(measure(`${name} decompress`, size, () => decompress(codec, compressed)));
    if (codec === CompressionType.ZSTD) {
      codecResults.push(
        measure('zstd decompress (fzstd fallback)', size, () => zstdDecompressJs(compressed), 'pure JS'),
      );
    }
  }
}
printTable(
  `Codecs (${Object.entries(compressionBackends)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ')})`,
  codecResults,
);

// A compressed batch end to end, for scale against the uncompressed rows above.
const e2e: Result[] = [];
const records = makeRecords(1000, 1024);
const rawSize = encodeBatch({ baseTimestamp: 0n, records }).length;
for (const codec of [CompressionType.GZIP, CompressionType.SNAPPY, CompressionType.LZ4, CompressionType.ZSTD]) {
  const input = { baseTimestamp: 0n, compression: codec, records };
  const encoded = encodeBatch(input);
  const name = compressionName(codec);
  e2e.push(measure(`encodeBatch ${name}`, rawSize, () => encodeBatch(input)));
  e2e.push(measure(`decodeRecords ${name}`, rawSize, () => decodeRecords(onlyBatch(encoded))));
}
printTable('Record batch v2, 1000 x 1 KiB, compressed (MB/s of uncompressed batch bytes)', e2e);

/**
 * Decoders against hostile bytes. Whatever arrives on a socket, decoding either succeeds or throws a
 * KafkaError (DecodeError for malformed input, UNSUPPORTED_VERSION for a version we do not serve):
 * never a RangeError or TypeError from Node, never a hang, never an allocation sized by a length field
 * that the input cannot back. Three sources of input: random bytes, real clients' frames
 * (test/fixtures/golden) and random valid messages of every version, mutated; and valid frames whose
 * length fields are inflated one position at a time.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadMessages, versionsOf } from '../scripts/spec.js';
import { DecodeError, KafkaError } from '../src/errors.js';
import { decodeRequestFrame, decodeResponseFrame, encodeRequestFrame } from '../src/frames.js';
import { API_SPECS, type ApiKey, ApiKey as Keys, type RequestTypes } from '../src/generated/api.js';
import * as generated from '../src/generated/index.js';
import { Reader } from '../src/primitives/reader.js';
import { ZERO_UUID } from '../src/primitives/uuid.js';
import { Writer } from '../src/primitives/writer.js';
import { structArb } from './arbitraries.js';

type Read = (r: Reader, version: number) => unknown;
type Write = (w: Writer, version: number, body: unknown) => void;
const codecs = generated as unknown as Record<string, Read | Write>;

/**
 * One decode of a frame of at most a few hundred bytes must not take longer than this. A decoder that
 * looped or allocated per claimed element (2^31 of them) would take tens of seconds; the margin is for GC
 * pauses and for `make test` running two test files at once on 2 cores (one decode took 273 ms there).
 */
const DECODE_BUDGET_MS = 2_000;

const specs = Object.values(API_SPECS);
const apiVersions = specs.flatMap((s) => {
  const out: { key: ApiKey; version: number }[] = [];
  for (let v = s.minVersion; v <= s.maxVersion; v++) out.push({ key: s.apiKey, version: v });
  return out;
});

/** Runs a decode; a KafkaError is a fine outcome (returned), anything else is a decoder bug. */
function decodesOrFailsTyped(what: string, input: Uint8Array, decode: () => unknown): unknown {
  const start = performance.now();
  let outcome: unknown;
  try {
    outcome = decode();
  } catch (err) {
    if (!(err instanceof KafkaError)) {
      const hex = Buffer.from(input).toString('hex');
      throw new Error(`${what} threw ${(err as Error)?.name}, not a KafkaError, on ${hex}: ${err}`, { cause: err });
    }
    outcome = err;
  }
  const elapsed = performance.now() - start;
  if (elapsed > DECODE_BUDGET_MS) throw new Error(`${what} took ${elapsed.toFixed(0)} ms`);
  return outcome;
}

function goldenFrames(): { name: string; bytes: Buffer }[] {
  const dir = fileURLToPath(new URL('./fixtures/golden/', import.meta.url));
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) =>
      readdirSync(join(dir, d.name))
        .filter((f) => f.endsWith('.bin'))
        .sort()
        .map((f) => ({ name: `${d.name}/${f}`, bytes: readFileSync(join(dir, d.name, f)) })),
    );
}

// Encodings of the largest and the impossible: int32/int16 maxima and -1, the largest uvarint, a
// uvarint of 5 bytes that overflows 32 bits, one that never ends, and the largest varlong.
const HUGE_PATCHES = [
  [0x7f, 0xff, 0xff, 0xff],
  [0xff, 0xff, 0xff, 0xff],
  [0x80, 0x00, 0x00, 0x00],
  [0x7f, 0xff],
  [0xff, 0xff],
  [0xff, 0xff, 0xff, 0xff, 0x0f],
  [0xfe, 0xff, 0xff, 0xff, 0x0f],
  [0xff, 0xff, 0xff, 0xff, 0x7f],
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
  [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
].map((p) => Buffer.from(p));

type Mutation =
  | { kind: 'flip'; at: number; mask: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'extend'; bytes: Uint8Array }
  | { kind: 'overwrite'; at: number; patch: Buffer }
  | { kind: 'insert'; at: number; patch: Buffer };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('extend' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('overwrite' as const), at: fc.nat(), patch: fc.constantFrom(...HUGE_PATCHES) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), patch: fc.constantFrom(...HUGE_PATCHES) }),
);

function mutate(input: Buffer, mutations: readonly Mutation[]): Buffer {
  let out = Buffer.from(input);
  for (const m of mutations) {
    const at = out.length === 0 ? 0 : ('at' in m ? m.at : 0) % out.length;
    switch (m.kind) {
      case 'flip':
        if (out.length > 0) out[at] = (out[at] ?? 0) ^ m.mask;
        break;
      case 'truncate':
        out = out.subarray(0, at);
        break;
      case 'extend':
        out = Buffer.concat([out, m.bytes]);
        break;
      case 'overwrite':
        out = Buffer.concat([out.subarray(0, at), m.patch, out.subarray(Math.min(out.length, at + m.patch.length))]);
        break;
      case 'insert':
        out = Buffer.concat([out.subarray(0, at), m.patch, out.subarray(at)]);
        break;
    }
  }
  return out;
}

/** Random bytes that start with a real API key and version half the time, so decoding gets past the header. */
const requestLikeBytes = fc.oneof(
  fc.uint8Array({ maxLength: 96 }).map((b) => Buffer.from(b)),
  fc
    .tuple(fc.constantFrom(...apiVersions), fc.integer({ min: 0, max: 0x7fffffff }), fc.uint8Array({ maxLength: 96 }))
    .map(([{ key, version }, correlationId, rest]) => {
      const head = Buffer.alloc(8);
      head.writeInt16BE(key, 0);
      head.writeInt16BE(version, 2);
      head.writeInt32BE(correlationId, 4);
      return Buffer.concat([head, rest]);
    }),
);

describe('random bytes', () => {
  it('decodeRequestFrame fails only with typed errors', () => {
    fc.assert(
      fc.property(requestLikeBytes, (bytes) => {
        decodesOrFailsTyped('decodeRequestFrame', bytes, () => decodeRequestFrame(bytes));
      }),
      { numRuns: 50_000 },
    );
  });

  it('every request and response reader of every version fails only with typed errors', () => {
    for (const { key, version } of apiVersions) {
      const spec = API_SPECS[key];
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 48 }), (bytes) => {
          const buf = Buffer.from(bytes);
          const name = `${spec.name} v${version}`;
          decodesOrFailsTyped(`${name} request`, buf, () => spec.readRequest(new Reader(buf), version));
          decodesOrFailsTyped(`${name} response`, buf, () => spec.readResponse(new Reader(buf), version));
          decodesOrFailsTyped(`${name} response frame`, buf, () => decodeResponseFrame(buf, key, version));
        }),
        { numRuns: 60 },
      );
    }
  });
});

describe('mutated frames', () => {
  const golden = goldenFrames();

  it('has golden frames to mutate', () => {
    expect(golden.length).toBeGreaterThan(50);
  });

  it('real clients’ frames, mutated, decode or fail with typed errors', () => {
    fc.assert(
      fc.property(fc.constantFrom(...golden), fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (g, ms) => {
        const bytes = mutate(g.bytes, ms);
        const decoded = decodesOrFailsTyped(`decodeRequestFrame(${g.name} mutated)`, bytes, () =>
          decodeRequestFrame(bytes),
        );
        // Whatever decodes must encode again (not necessarily to the same bytes: a mutated frame may
        // hold a non-canonical varint or a bool byte of 2).
        if (!(decoded instanceof KafkaError) && decoded !== undefined) {
          const { header, body } = decoded as ReturnType<typeof decodeRequestFrame>;
          encodeRequestFrame({ ...header, apiKey: header.apiKey as ApiKey }, body);
        }
      }),
      { numRuns: 20_000 },
    );
  });

  const messages = loadMessages();
  const cases = messages.flatMap((m) => versionsOf(m).map((version) => ({ m, version })));

  it('random valid messages of every version, mutated, decode or fail with typed errors', () => {
    for (const { m, version } of cases) {
      const read = codecs[`read${m.name}`] as Read;
      const write = codecs[`write${m.name}`] as Write;
      fc.assert(
        fc.property(structArb(m.struct, version), fc.array(mutationArb, { minLength: 1, maxLength: 2 }), (body, ms) => {
          const w = new Writer(64);
          write(w, version, body);
          const bytes = mutate(w.toBuffer(), ms);
          decodesOrFailsTyped(`read${m.name} v${version}`, bytes, () => read(new Reader(bytes), version));
        }),
        { numRuns: 40 },
      );
    }
  });
});

describe('inflated length fields', () => {
  const golden = goldenFrames();

  it('every position of every golden frame, overwritten with a huge length, fails fast with a typed error', () => {
    const before = process.memoryUsage().arrayBuffers;
    let decodedAnyway = 0;
    for (const g of golden) {
      for (let at = 0; at < g.bytes.length; at++) {
        for (const patch of HUGE_PATCHES) {
          const bytes = mutate(g.bytes, [{ kind: 'overwrite', at, patch }]);
          const result = decodesOrFailsTyped(`${g.name} with ${patch.toString('hex')} at ${at}`, bytes, () =>
            decodeRequestFrame(bytes),
          );
          if (!(result instanceof KafkaError)) decodedAnyway++;
        }
      }
    }
    // Most overwrites land on a length, a count or the header and must fail; some land inside a
    // string, a timestamp or a record batch and legitimately decode.
    expect(decodedAnyway).toBeLessThan(golden.reduce((n, g) => n + g.bytes.length, 0) * HUGE_PATCHES.length);
    // Nothing sized by a claimed length was allocated (a single 0x7fffffff-byte buffer would show here).
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
  });

  /** A request frame (without size) whose bytes at `at` (counted from the body's start) are replaced. */
  function inflated<K extends ApiKey>(
    key: K,
    version: number,
    body: RequestTypes[K],
    at: (frame: Buffer, bodyStart: number) => number,
    patch: Buffer,
    replace: number,
  ): Buffer {
    const clientId = 'fuzz';
    const frame = encodeRequestFrame({ apiKey: key, apiVersion: version, correlationId: 1, clientId }, body).subarray(
      4,
    );
    const flexibleHeader =
      API_SPECS[key].requestFlexibleVersion >= 0 && version >= API_SPECS[key].requestFlexibleVersion;
    const bodyStart = 8 + 2 + clientId.length + (flexibleHeader ? 1 : 0);
    const p = at(frame, bodyStart);
    return Buffer.concat([frame.subarray(0, p), patch, frame.subarray(p + replace)]);
  }

  const records = Buffer.alloc(64, 7);
  const produce = () => ({
    ...generated.defaultProduceRequest(),
    acks: -1,
    timeoutMs: 1000,
    topicData: [{ name: 'orders', partitionData: [{ index: 0, records }] }],
  });
  const metadata = { ...generated.defaultMetadataRequest(), topics: [{ topicId: ZERO_UUID, name: 'orders' }] };

  it.each([
    {
      what: 'a Produce v7 record set of 2 GiB',
      frame: () =>
        inflated(Keys.Produce, 7, produce(), (f) => f.length - records.length - 4, HUGE_PATCHES[0] as Buffer, 4),
    },
    {
      what: 'a Produce v9 (compact) record set of 4 GiB',
      // the records' 1-byte length, then the records, then partition, topic and request tagged fields
      frame: () =>
        inflated(Keys.Produce, 9, produce(), (f) => f.length - 3 - records.length - 1, HUGE_PATCHES[5] as Buffer, 1),
    },
    {
      what: 'a Produce v7 topic array of 2^31-1 elements',
      // transactionalId (int16 -1), acks, timeoutMs, then the array length
      frame: () => inflated(Keys.Produce, 7, produce(), (_, b) => b + 2 + 2 + 4, HUGE_PATCHES[0] as Buffer, 4),
    },
    {
      what: 'a Metadata v4 topic array of 2^31-1 elements',
      frame: () => inflated(Keys.Metadata, 4, metadata, (_, b) => b, HUGE_PATCHES[0] as Buffer, 4),
    },
    {
      what: 'a Metadata v12 compact topic array of 2^32-2 elements',
      frame: () => inflated(Keys.Metadata, 12, metadata, (_, b) => b, HUGE_PATCHES[5] as Buffer, 1),
    },
    {
      what: 'a Metadata v12 topic name of 4 GiB',
      // the topic array length (1 byte), the topic id (16 bytes), then the compact name length
      frame: () => inflated(Keys.Metadata, 12, metadata, (_, b) => b + 1 + 16, HUGE_PATCHES[5] as Buffer, 1),
    },
    {
      what: 'a client id of 32 KiB',
      frame: () => inflated(Keys.Metadata, 4, metadata, () => 8, HUGE_PATCHES[3] as Buffer, 2),
    },
    {
      what: 'a header tagged field of 4 GiB',
      // the header's tagged-field count (0) becomes one field, tag 0, of size 2^32-1
      frame: () =>
        inflated(Keys.Metadata, 12, metadata, (_, b) => b - 1, Buffer.from([1, 0, 0xff, 0xff, 0xff, 0xff, 0x0f]), 1),
    },
    {
      what: 'a body with 2^32-1 tagged fields',
      frame: () => inflated(Keys.Metadata, 12, metadata, (f) => f.length - 1, HUGE_PATCHES[5] as Buffer, 1),
    },
  ])('$what fails fast with a DecodeError', ({ frame }) => {
    const bytes = frame();
    const before = process.memoryUsage().arrayBuffers;
    const start = performance.now();
    expect(() => decodeRequestFrame(bytes)).toThrow(DecodeError);
    expect(performance.now() - start).toBeLessThan(DECODE_BUDGET_MS);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1024 * 1024);
  });
});

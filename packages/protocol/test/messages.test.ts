import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadMessages, versionsOf } from '../scripts/spec.js';
import * as generated from '../src/generated/index.js';
import { Reader } from '../src/primitives/reader.js';
import { Writer } from '../src/primitives/writer.js';
import { structArb } from './arbitraries.js';

type Read = (r: Reader, version: number) => unknown;
type Write = (w: Writer, version: number, body: unknown) => void;
const codecs = generated as unknown as Record<string, Read | Write>;

const messages = loadMessages();
const cases = messages.flatMap((m) => versionsOf(m).map((v) => [m.name, v, m] as const));

describe('every message version round-trips (fast-check)', () => {
  it('covers every message in the spec', () => {
    expect(messages.length).toBeGreaterThanOrEqual(186);
    expect(cases.length).toBeGreaterThan(600);
  });

  it.each(cases)('%s v%i', (name, version, m) => {
    const read = codecs[`read${name}`] as Read;
    const write = codecs[`write${name}`] as Write;
    fc.assert(
      fc.property(structArb(m.struct, version), (body) => {
        const w = new Writer(16);
        write(w, version, body);
        const bytes = w.toBuffer();
        const r = new Reader(bytes);
        const decoded = read(r, version);
        r.expectEnd(`${name} v${version}`);
        expect(decoded).toEqual(body);
        const again = new Writer(16);
        write(again, version, decoded);
        expect(again.toBuffer().equals(bytes)).toBe(true);
      }),
      { numRuns: 30 },
    );
  });
});

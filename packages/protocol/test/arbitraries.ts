/**
 * fast-check arbitraries for any message version, built from the same spec model the generator reads:
 * present fields get random values of their type (null where that version allows it), absent fields
 * hold the generated default, so decode(encode(x)) must equal x exactly.
 */
import fc from 'fast-check';
import { type FieldSpec, type FieldType, inVersions, type StructSpec } from '../scripts/spec.js';
import * as generated from '../src/generated/index.js';
import { uuidFromBytes } from '../src/primitives/uuid.js';

const factories = generated as unknown as Record<string, () => Record<string, unknown>>;

export function defaultOf(s: StructSpec): Record<string, unknown> {
  const make = factories[`default${s.typeName}`];
  if (!make) throw new Error(`no default factory for ${s.typeName}`);
  return make();
}

export const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
export const uuid = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => uuidFromBytes(b));
const bytes = fc.uint8Array({ maxLength: 24 }).map((b) => Buffer.from(b));
const text = fc.string({ unit: 'grapheme', maxLength: 12 });

function typeArb(t: FieldType, version: number, depth: number): fc.Arbitrary<unknown> {
  switch (t.kind) {
    case 'struct':
      return structArb(t.struct, version, depth + 1);
    case 'array':
      return fc.array(typeArb(t.element, version, depth + 1), { maxLength: depth > 2 ? 1 : 3 });
    case 'primitive':
      switch (t.name) {
        case 'bool':
          return fc.boolean();
        case 'int8':
          return fc.integer({ min: -128, max: 127 });
        case 'int16':
          return fc.integer({ min: -32768, max: 32767 });
        case 'uint16':
          return fc.integer({ min: 0, max: 65535 });
        case 'int32':
          return fc.integer();
        case 'uint32':
          return fc.integer({ min: 0, max: 2 ** 32 - 1 });
        case 'int64':
          return int64;
        case 'float64':
          return fc.double();
        case 'string':
          return text;
        case 'uuid':
          return uuid;
        case 'bytes':
        case 'records':
          return bytes;
      }
  }
}

function fieldArb(f: FieldSpec, version: number, depth: number): fc.Arbitrary<unknown> | undefined {
  const present =
    f.tag === undefined
      ? inVersions(version, f.versions)
      : inVersions(version, f.taggedVersions) && inVersions(version, f.versions);
  if (!present) return undefined;
  const arb = typeArb(f.type, version, depth);
  return inVersions(version, f.nullableVersions) ? fc.option(arb, { nil: null, freq: 4 }) : arb;
}

export function structArb(s: StructSpec, version: number, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  const defaults = defaultOf(s);
  const shape: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of s.fields) {
    shape[f.prop] = fieldArb(f, version, depth) ?? fc.constant(defaults[f.prop]);
  }
  // Keep the generated default's key order so objects compare as the decoder builds them.
  return fc.record(shape).map((r) => Object.fromEntries(Object.keys(defaults).map((k) => [k, r[k]])));
}

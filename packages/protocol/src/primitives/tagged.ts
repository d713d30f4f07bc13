/**
 * Tagged fields (KIP-482): in flexible versions every struct ends with a count, then (tag, size, value)
 * for each tagged field whose value is not its default, in ascending tag order. Tags this code does not
 * know are kept as raw bytes so that a decoded message re-encodes to the same bytes.
 */
import { DecodeError } from '../errors.js';
import type { Reader } from './reader.js';
import { Writer } from './writer.js';

export interface TaggedField {
  readonly tag: number;
  readonly data: Buffer;
}

/** A known tagged field to write: its tag and a function that writes its value. */
export type TaggedWrite = readonly [tag: number, write: (w: Writer) => void];

const scratch = new Writer(64);

export function writeTaggedFields(
  w: Writer,
  known: readonly TaggedWrite[] | undefined,
  unknown: readonly TaggedField[] | undefined,
): void {
  const nKnown = known?.length ?? 0;
  const nUnknown = unknown?.length ?? 0;
  w.uvarint(nKnown + nUnknown);
  if (nKnown + nUnknown === 0) return;
  const all: (TaggedWrite | TaggedField)[] = [...(known ?? []), ...(unknown ?? [])];
  all.sort((a, b) => tagOf(a) - tagOf(b));
  for (const f of all) {
    if ('data' in f) {
      w.uvarint(f.tag).uvarint(f.data.length).raw(f.data);
    } else {
      // Values may nest tagged structs, which use the scratch writer too: take a copy first.
      f[1](scratch.reset());
      const value = scratch.toBuffer();
      w.uvarint(f[0]).uvarint(value.length).raw(value);
    }
  }
}

function tagOf(f: TaggedWrite | TaggedField): number {
  return 'data' in f ? f.tag : f[0];
}

/**
 * Reads the tagged-field section, handing each field to `known` (which returns false for a tag it does
 * not know at this version); unknown ones are returned as raw fields, or undefined when there are none.
 */
export function readTaggedFields(r: Reader, known: (tag: number, value: Reader) => boolean): TaggedField[] | undefined {
  let unknown: TaggedField[] | undefined;
  let last = -1;
  for (let n = r.uvarint(); n > 0; n--) {
    const at = r.offset;
    const tag = r.uvarint();
    const size = r.uvarint();
    if (tag <= last) throw new DecodeError(`tagged field ${tag} after tag ${last}: tags must ascend`, at);
    last = tag;
    const value = r.sub(size);
    if (!known(tag, value)) {
      unknown ??= [];
      unknown.push({ tag, data: value.raw(size) });
    }
  }
  return unknown;
}

/** Structural equality for default checks on tagged struct fields (bigint, Buffer, arrays, objects). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Buffer.isBuffer(a) || Buffer.isBuffer(b)) {
    return Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => deepEqual(x, b[i]));
  }
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** ARRAY / COMPACT_ARRAY readers shared by the generated codecs. */
import { DecodeError } from '../errors.js';
import type { Reader } from './reader.js';

export function readArray<T>(r: Reader, compact: boolean, readElement: (r: Reader) => T): T[] {
  const at = r.offset;
  const n = r.arrayLength(compact);
  if (n < 0) throw new DecodeError('null array where an array is required', at);
  const out = new Array<T>(n);
  for (let i = 0; i < n; i++) out[i] = readElement(r);
  return out;
}

export function readNullableArray<T>(r: Reader, compact: boolean, readElement: (r: Reader) => T): T[] | null {
  const n = r.arrayLength(compact);
  if (n < 0) return null;
  const out = new Array<T>(n);
  for (let i = 0; i < n; i++) out[i] = readElement(r);
  return out;
}

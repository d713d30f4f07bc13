/**
 * Reads Kafka's message definitions (spec/messages/*.json, JSON with // comments) into a typed model.
 * Shared by the generator and by the property tests, which build their arbitraries from the same model.
 * The format is described in spec/messages/README.md.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const SPEC_DIR = new URL('../spec/', import.meta.url).pathname;
export const MESSAGES_DIR = join(SPEC_DIR, 'messages');

/** An inclusive version range; `max` is Infinity for "N+". An empty range is {min: 1, max: 0}. */
export interface Versions {
  readonly min: number;
  readonly max: number;
}

export const NO_VERSIONS: Versions = { min: 1, max: 0 };

export function parseVersions(text: string | undefined): Versions {
  if (text === undefined || text === 'none') return NO_VERSIONS;
  let m = /^(\d+)\+$/.exec(text);
  if (m) return { min: Number(m[1]), max: Number.POSITIVE_INFINITY };
  m = /^(\d+)-(\d+)$/.exec(text);
  if (m) return { min: Number(m[1]), max: Number(m[2]) };
  m = /^(\d+)$/.exec(text);
  if (m) return { min: Number(m[1]), max: Number(m[1]) };
  throw new Error(`bad version range ${JSON.stringify(text)}`);
}

export function inVersions(v: number, r: Versions): boolean {
  return v >= r.min && v <= r.max;
}

export type PrimitiveType =
  | 'bool'
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'float64'
  | 'string'
  | 'uuid'
  | 'bytes'
  | 'records';

const PRIMITIVES = new Set<string>([
  'bool',
  'int8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'float64',
  'string',
  'uuid',
  'bytes',
  'records',
]);

export type FieldType =
  | { readonly kind: 'primitive'; readonly name: PrimitiveType }
  | { readonly kind: 'struct'; readonly struct: StructSpec }
  | { readonly kind: 'array'; readonly element: FieldType };

export interface FieldSpec {
  readonly name: string;
  /** camelCase property name in TypeScript. */
  readonly prop: string;
  readonly type: FieldType;
  readonly versions: Versions;
  readonly nullableVersions: Versions;
  readonly taggedVersions: Versions;
  readonly tag: number | undefined;
  /** The raw "default" text from the spec, if any. */
  readonly default: string | undefined;
  readonly ignorable: boolean;
  /** False where the field overrides the message's flexible versions with "none" (RequestHeader.ClientId). */
  readonly flexibleAllowed: boolean;
  readonly about: string | undefined;
}

export interface StructSpec {
  /** Struct name in the spec (e.g. TopicProduceData). */
  readonly name: string;
  /** TypeScript interface name, prefixed with the message name so names are unique across messages. */
  readonly typeName: string;
  readonly fields: FieldSpec[];
}

export type MessageKind = 'request' | 'response' | 'header' | 'data' | 'metadata';

export interface MessageSpec {
  readonly file: string;
  readonly apiKey: number | undefined;
  readonly kind: MessageKind;
  readonly name: string;
  readonly validVersions: Versions;
  readonly flexibleVersions: Versions;
  readonly latestVersionUnstable: boolean;
  readonly listeners: readonly string[];
  /** The top-level struct: its typeName is the message name. */
  readonly struct: StructSpec;
  /** Every struct reachable from the message, in definition order (nested and common). */
  readonly structs: StructSpec[];
}

/** Strips // comments outside of strings: the spec files are JSON with line comments. */
export function stripComments(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else {
      out += c;
    }
  }
  return out;
}

export function camelCase(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

interface RawField {
  name: string;
  type: string;
  versions: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  default?: string | number | boolean;
  ignorable?: boolean;
  flexibleVersions?: string;
  about?: string;
  fields?: RawField[];
}

interface RawMessage {
  apiKey?: number;
  type: MessageKind;
  name: string;
  validVersions: string;
  flexibleVersions: string;
  latestVersionUnstable?: boolean;
  listeners?: string[];
  fields: RawField[];
  commonStructs?: { name: string; versions: string; fields: RawField[] }[];
}

export function parseMessage(file: string, text: string): MessageSpec {
  const raw = JSON.parse(stripComments(text)) as RawMessage;
  const structs: StructSpec[] = [];
  // Structs by spec name: common structs, and inline ones, which later fields may name again.
  const known = new Map<string, StructSpec>();
  // Struct names that already start with the message name (MetadataResponseTopic) stay as they are;
  // others get it as a prefix (FetchRequest + FetchTopic), so type names are unique across messages.
  const typeNameOf = (structName: string) =>
    structName.startsWith(raw.name) ? structName : `${raw.name}${structName}`;

  // Common structs may refer to each other, so create them all before filling their fields.
  for (const c of raw.commonStructs ?? []) {
    known.set(c.name, { name: c.name, typeName: typeNameOf(c.name), fields: [] });
  }

  const fieldType = (f: RawField): FieldType => {
    const isArray = f.type.startsWith('[]');
    const base = isArray ? f.type.slice(2) : f.type;
    let element: FieldType;
    if (PRIMITIVES.has(base)) {
      element = { kind: 'primitive', name: base as PrimitiveType };
    } else if (f.fields) {
      const struct: StructSpec = { name: base, typeName: typeNameOf(base), fields: [] };
      if (known.has(base)) throw new Error(`${file}: struct ${base} is defined twice`);
      known.set(base, struct);
      structs.push(struct);
      struct.fields.push(...f.fields.map(toField));
      element = { kind: 'struct', struct };
    } else {
      const struct = known.get(base);
      if (!struct) throw new Error(`${file}: field ${f.name} refers to unknown struct ${base}`);
      element = { kind: 'struct', struct };
    }
    return isArray ? { kind: 'array', element } : element;
  };

  const toField = (f: RawField): FieldSpec => ({
    name: f.name,
    prop: camelCase(f.name),
    type: fieldType(f),
    versions: parseVersions(f.versions),
    nullableVersions: parseVersions(f.nullableVersions),
    taggedVersions: parseVersions(f.taggedVersions),
    tag: f.tag,
    default: f.default === undefined ? undefined : String(f.default),
    ignorable: f.ignorable === true,
    flexibleAllowed: f.flexibleVersions !== 'none',
    about: f.about,
  });

  const struct: StructSpec = { name: raw.name, typeName: raw.name, fields: [] };
  struct.fields.push(...raw.fields.map(toField));
  for (const c of raw.commonStructs ?? []) {
    const s = known.get(c.name) as StructSpec;
    s.fields.push(...c.fields.map(toField));
    structs.push(s);
  }
  return {
    file,
    apiKey: raw.apiKey,
    kind: raw.type,
    name: raw.name,
    validVersions: parseVersions(raw.validVersions),
    flexibleVersions: parseVersions(raw.flexibleVersions),
    latestVersionUnstable: raw.latestVersionUnstable === true,
    listeners: raw.listeners ?? [],
    struct,
    structs,
  };
}

export function loadMessages(dir = MESSAGES_DIR): MessageSpec[] {
  const messages = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => parseMessage(f, readFileSync(join(dir, f), 'utf8')));
  const seen = new Map<string, string>();
  for (const m of messages) {
    for (const s of [m.struct, ...m.structs]) {
      const other = seen.get(s.typeName);
      if (other && other !== m.file) throw new Error(`type ${s.typeName} is defined by both ${other} and ${m.file}`);
      seen.set(s.typeName, m.file);
    }
  }
  return messages;
}

/** Every version in a message's valid range. */
export function versionsOf(m: MessageSpec): number[] {
  const out: number[] = [];
  for (let v = m.validVersions.min; v <= m.validVersions.max; v++) out.push(v);
  return out;
}

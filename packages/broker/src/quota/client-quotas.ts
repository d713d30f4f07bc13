/**
 * Client quota entities and values as the controller keeps them (KIP-546; Kafka's
 * ClientQuotaControlManager for AlterClientQuotas, ClientQuotasImage.describe for
 * DescribeClientQuotas). An entity is one of: user, client-id, user + client-id, or ip; a part whose
 * name is null is that type's default entity. Values are doubles on the wire; the byte rates must be
 * whole numbers (Kafka's LONG config keys), the others may be fractional.
 */
import { ErrorCode } from '@flotilla/protocol';
import { type ClientQuotaEntry, type MetadataImage, quotaEntityKey } from '../metadata/image.js';
import type { MetadataRecord, QuotaEntityPart } from '../metadata/records.js';

export const QuotaEntityType = { USER: 'user', CLIENT_ID: 'client-id', IP: 'ip' } as const;

export const QuotaKey = {
  PRODUCER_BYTE_RATE: 'producer_byte_rate',
  CONSUMER_BYTE_RATE: 'consumer_byte_rate',
  REQUEST_PERCENTAGE: 'request_percentage',
  CONTROLLER_MUTATION_RATE: 'controller_mutation_rate',
  IP_CONNECTION_RATE: 'connection_creation_rate',
} as const;

type ValueType = 'long' | 'double' | 'int';

/** QuotaConfigs.userConfigs() / clientConfigs(): the keys user and client-id entities accept. */
const CLIENT_KEYS: ReadonlyMap<string, ValueType> = new Map([
  [QuotaKey.PRODUCER_BYTE_RATE, 'long'],
  [QuotaKey.CONSUMER_BYTE_RATE, 'long'],
  [QuotaKey.REQUEST_PERCENTAGE, 'double'],
  [QuotaKey.CONTROLLER_MUTATION_RATE, 'double'],
]);
/** QuotaConfigs.ipConfigs(). */
const IP_KEYS: ReadonlyMap<string, ValueType> = new Map([[QuotaKey.IP_CONNECTION_RATE, 'int']]);

const KNOWN_TYPES: ReadonlySet<string> = new Set(Object.values(QuotaEntityType));

export interface QuotaAlteration {
  readonly entity: readonly QuotaEntityPart[];
  readonly ops: readonly { key: string; value: number; remove: boolean }[];
}

export interface AlterationResult {
  readonly entity: readonly QuotaEntityPart[];
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

function describeEntity(entity: readonly QuotaEntityPart[]): string {
  return `ClientQuotaEntity(entries={${entity.map((p) => `${p.entityType}=${p.entityName}`).join(', ')}})`;
}

/** An IPv4/IPv6 literal (Kafka also accepts a resolvable host name; this check does no DNS). */
function isIpLiteral(ip: string): boolean {
  if (/^(\d{1,3})(\.\d{1,3}){3}$/.test(ip)) return ip.split('.').every((o) => Number(o) <= 255);
  return ip.includes(':') && /^[0-9a-fA-F:.]+$/.test(ip);
}

/** The keys the entity accepts, or the reason it is not a valid entity (INVALID_REQUEST). */
function keysForEntity(entity: readonly QuotaEntityPart[]): ReadonlyMap<string, ValueType> | string {
  if (entity.length === 0) return 'Invalid empty client quota entity';
  const types = new Map<string, string | null>();
  for (const part of entity) {
    if (types.has(part.entityType)) {
      return `Invalid client quota entity, duplicate entity entry ${part.entityType}`;
    }
    if (!KNOWN_TYPES.has(part.entityType)) return `Unhandled client quota entity type: ${part.entityType}`;
    if (part.entityName === '') return `Empty ${part.entityType} not supported`;
    types.set(part.entityType, part.entityName);
  }
  const hasUser = types.has(QuotaEntityType.USER);
  const hasClient = types.has(QuotaEntityType.CLIENT_ID);
  const hasIp = types.has(QuotaEntityType.IP);
  if (hasIp && !hasUser && !hasClient) {
    const ip = types.get(QuotaEntityType.IP) ?? null;
    if (ip !== null && !isIpLiteral(ip)) return `${ip} is not a valid IP or resolvable host.`;
    return IP_KEYS;
  }
  if (!hasIp) return CLIENT_KEYS;
  // Kafka's message, missing space included.
  return 'Invalid quota entity combination, IP entity shouldnot be combined with User or ClientId';
}

/** ClientQuotaControlManager.validateQuotaKeyValue. */
function valueProblem(keys: ReadonlyMap<string, ValueType>, key: string, value: number): string | null {
  const type = keys.get(key);
  if (type === undefined) return `Invalid configuration key ${key}`;
  if (!(value > 0)) return `Quota ${key} must be greater than 0`;
  if (type === 'double') return Number.isFinite(value) ? null : `Proposed value for ${key} is too large for a DOUBLE.`;
  if (type === 'int' && value > 2 ** 31 - 1) return `Proposed value for ${key} is too large for an INT.`;
  if (type === 'long' && value > 2 ** 63) return `Proposed value for ${key} is too large for a LONG.`;
  if (Math.abs(value % 1) > 1e-6) return `${key} cannot be a fractional value.`;
  return null;
}

/**
 * The records for a batch of alterations and one result per entity, as the active controller plans
 * them (ClientQuotaControlManager.alterClientQuotas): a duplicate key or entity fails that entity, an
 * entity with any invalid op writes nothing, a value equal to the current one writes nothing.
 */
export function planClientQuotas(
  image: MetadataImage,
  alterations: readonly QuotaAlteration[],
): { records: MetadataRecord[]; results: AlterationResult[] } {
  const records: MetadataRecord[] = [];
  const results: AlterationResult[] = [];
  const seen = new Set<string>();
  for (const { entity, ops } of alterations) {
    const fail = (errorMessage: string) => results.push({ entity, errorCode: ErrorCode.INVALID_REQUEST, errorMessage });
    const key = quotaEntityKey(entity);
    if (seen.has(key)) {
      fail(`Ignoring duplicate entity ${describeEntity(entity)}`);
      continue;
    }
    seen.add(key);
    const wanted = new Map<string, number | null>();
    const duplicate = ops.find((o) => {
      if (wanted.has(o.key)) return true;
      wanted.set(o.key, o.remove ? null : o.value);
      return false;
    });
    if (duplicate) {
      fail(`Duplicate quota key ${duplicate.key} not updating quota for this entity ${describeEntity(entity)}`);
      continue;
    }
    const keys = keysForEntity(entity);
    if (typeof keys === 'string') {
      fail(keys);
      continue;
    }
    const current = image.clientQuotas.get(key)?.values ?? new Map<string, number>();
    const sorted = [...entity].sort((a, b) => (a.entityType < b.entityType ? -1 : 1));
    const planned: MetadataRecord[] = [];
    let problem: string | null = null;
    for (const [quotaKey, value] of wanted) {
      if (value === null) {
        if (current.has(quotaKey)) planned.push({ type: 'ClientQuota', entity: sorted, key: quotaKey, value: null });
        continue;
      }
      problem = valueProblem(keys, quotaKey, value);
      if (problem) break;
      if (current.get(quotaKey) !== value) {
        planned.push({ type: 'ClientQuota', entity: sorted, key: quotaKey, value });
      }
    }
    if (problem) {
      fail(problem);
      continue;
    }
    records.push(...planned);
    results.push({ entity, errorCode: 0, errorMessage: null });
  }
  return { records, results };
}

export const MatchType = { EXACT: 0, DEFAULT: 1, SPECIFIED: 2 } as const;

export interface QuotaFilterComponent {
  readonly entityType: string;
  readonly matchType: number;
  readonly match: string | null;
}

/**
 * The entities a DescribeClientQuotas filter selects (ClientQuotasImage.describe). Each component
 * names an entity type once: EXACT matches that name, DEFAULT the default entity, SPECIFIED any
 * entity having that type. `strict` keeps only entities with no types beyond the filter's. A malformed
 * filter is INVALID_REQUEST and an unknown entity type UNSUPPORTED_VERSION, with Kafka's messages.
 */
export function describeClientQuotas(
  image: MetadataImage,
  components: readonly QuotaFilterComponent[],
  strict: boolean,
): { entries: ClientQuotaEntry[] } | { errorCode: number; errorMessage: string } {
  const invalid = (errorMessage: string) => ({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage });
  const exact = new Map<string, string | null>();
  const specified = new Set<string>();
  for (const c of components) {
    if (c.entityType === '') return invalid('Invalid empty entity type.');
    if (exact.has(c.entityType) || specified.has(c.entityType)) {
      return invalid(`Entity type ${c.entityType} cannot appear more than once in the filter.`);
    }
    if (!KNOWN_TYPES.has(c.entityType)) {
      return { errorCode: ErrorCode.UNSUPPORTED_VERSION, errorMessage: `Unsupported entity type ${c.entityType}` };
    }
    switch (c.matchType) {
      case MatchType.EXACT:
        if (c.match === null) {
          return invalid('Request specified MATCH_TYPE_EXACT, but set match string to null.');
        }
        exact.set(c.entityType, c.match);
        break;
      case MatchType.DEFAULT:
        if (c.match !== null) {
          return invalid('Request specified MATCH_TYPE_DEFAULT, but also specified a match string.');
        }
        exact.set(c.entityType, null);
        break;
      case MatchType.SPECIFIED:
        if (c.match !== null) {
          return invalid('Request specified MATCH_TYPE_SPECIFIED, but also specified a match string.');
        }
        specified.add(c.entityType);
        break;
      default:
        return invalid(`Unknown match type ${c.matchType}`);
    }
  }
  const uses = (t: string) => exact.has(t) || specified.has(t);
  if (uses(QuotaEntityType.IP) && (uses(QuotaEntityType.USER) || uses(QuotaEntityType.CLIENT_ID))) {
    return invalid(
      'Invalid entity filter component combination. IP filter component should not be used with user or clientId filter component.',
    );
  }
  const entries = [...image.clientQuotas.values()];
  if (exact.size === 0 && specified.size === 0) return { entries: strict ? [] : entries };
  const selected = entries.filter(({ entity }) => {
    const names = new Map(entity.map((p) => [p.entityType, p.entityName]));
    for (const [type, name] of exact) if (!names.has(type) || names.get(type) !== name) return false;
    for (const type of specified) if (!names.has(type)) return false;
    return !strict || entity.length === exact.size + specified.size;
  });
  return { entries: selected };
}

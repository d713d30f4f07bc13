/**
 * ACLs as Kafka models them (org.apache.kafka.common.acl and .resource): a resource pattern (type,
 * name, literal or prefixed) and an access control entry (principal, host, operation, allow/deny).
 * The numeric codes are Kafka's own, so they travel unchanged in CreateAcls/DescribeAcls/DeleteAcls and
 * in the metadata records.
 */
import type { AclEntry } from '../metadata/image.js';

export const AclOperation = {
  UNKNOWN: 0,
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14,
} as const;
export type AclOperation = (typeof AclOperation)[keyof typeof AclOperation];

export const ResourceType = {
  UNKNOWN: 0,
  ANY: 1,
  TOPIC: 2,
  GROUP: 3,
  CLUSTER: 4,
  TRANSACTIONAL_ID: 5,
  DELEGATION_TOKEN: 6,
  USER: 7,
} as const;
export type ResourceType = (typeof ResourceType)[keyof typeof ResourceType];

export const PatternType = { UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const;
export type PatternType = (typeof PatternType)[keyof typeof PatternType];

export const AclPermissionType = { UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 } as const;
export type AclPermissionType = (typeof AclPermissionType)[keyof typeof AclPermissionType];

/** The name of the one cluster resource (Kafka's Resource.CLUSTER_NAME). */
export const CLUSTER_RESOURCE_NAME = 'kafka-cluster';
/** ResourcePattern.WILDCARD_RESOURCE and AccessControlEntry.WILDCARD_HOST / WILDCARD_PRINCIPAL. */
export const WILDCARD = '*';
export const WILDCARD_PRINCIPAL = 'User:*';

/** An ACL without its id: what CreateAcls carries. */
export type AclBinding = Omit<AclEntry, 'id'>;

/** DescribeAcls/DeleteAcls filters: null names, principals and hosts match anything. */
export interface AclBindingFilter {
  readonly resourceType: number;
  readonly resourceName: string | null;
  readonly patternType: number;
  readonly principal: string | null;
  readonly host: string | null;
  readonly operation: number;
  readonly permissionType: number;
}

const SPECIFIC_OPERATIONS = new Set<number>(
  Object.values(AclOperation).filter((o) => o !== AclOperation.UNKNOWN && o !== AclOperation.ANY),
);
const SPECIFIC_RESOURCE_TYPES = new Set<number>([
  ResourceType.TOPIC,
  ResourceType.GROUP,
  ResourceType.CLUSTER,
  ResourceType.TRANSACTIONAL_ID,
  ResourceType.DELEGATION_TOKEN,
  ResourceType.USER,
]);

/**
 * Why Kafka would refuse to create this ACL (AclControlManager.validateNewAcl), or null. The codes
 * must be specific (no ANY, MATCH or UNKNOWN); the principal must be `Type:name`; the cluster's name
 * is always kafka-cluster.
 */
export function aclBindingProblem(b: AclBinding): string | null {
  if (!SPECIFIC_RESOURCE_TYPES.has(b.resourceType)) return `Invalid resourceType ${b.resourceType}`;
  if (b.patternType !== PatternType.LITERAL && b.patternType !== PatternType.PREFIXED) {
    return `Invalid patternType ${b.patternType}`;
  }
  if (!SPECIFIC_OPERATIONS.has(b.operation)) return `Invalid operation ${b.operation}`;
  if (b.permissionType !== AclPermissionType.ALLOW && b.permissionType !== AclPermissionType.DENY) {
    return `Invalid permissionType ${b.permissionType}`;
  }
  if (b.resourceName.length === 0) return 'Resource name should not be empty';
  if (b.resourceType === ResourceType.CLUSTER && b.resourceName !== CLUSTER_RESOURCE_NAME) {
    return `The only valid name for the CLUSTER resource is ${CLUSTER_RESOURCE_NAME}`;
  }
  if (!/^[^:]+:.*$/.test(b.principal)) return `Could not parse principal from \`${b.principal}\` (no colon is found).`;
  if (b.host.length === 0) return 'Host should not be empty';
  return null;
}

/** Why a filter cannot be used (unknown codes), or null. */
export function aclFilterProblem(f: AclBindingFilter): string | null {
  if (f.resourceType === ResourceType.UNKNOWN) return 'Filter has unknown resourceType';
  if (f.patternType === PatternType.UNKNOWN) return 'Filter has unknown patternType';
  if (f.operation === AclOperation.UNKNOWN) return 'Filter has unknown operation';
  if (f.permissionType === AclPermissionType.UNKNOWN) return 'Filter has unknown permissionType';
  return null;
}

/** ResourcePatternFilter.matches and AccessControlEntryFilter.matches together. */
export function filterMatches(f: AclBindingFilter, acl: AclBinding): boolean {
  if (f.resourceType !== ResourceType.ANY && f.resourceType !== acl.resourceType) return false;
  if (f.patternType !== PatternType.ANY && f.patternType !== PatternType.MATCH && f.patternType !== acl.patternType) {
    return false;
  }
  if (f.resourceName !== null) {
    if (f.patternType !== PatternType.MATCH || f.patternType === acl.patternType) {
      if (f.resourceName !== acl.resourceName) return false;
    } else if (acl.patternType === PatternType.LITERAL) {
      // MATCH: every ACL that would apply to a resource of that name.
      if (f.resourceName !== acl.resourceName && acl.resourceName !== WILDCARD) return false;
    } else if (!f.resourceName.startsWith(acl.resourceName)) return false;
  }
  if (f.principal !== null && f.principal !== acl.principal) return false;
  if (f.host !== null && f.host !== acl.host) return false;
  if (f.operation !== AclOperation.ANY && f.operation !== acl.operation) return false;
  if (f.permissionType !== AclPermissionType.ANY && f.permissionType !== acl.permissionType) return false;
  return true;
}

/** Whether an ALLOW ACL for `granted` lets a principal do `requested` (Kafka's implied operations). */
export function allowImplies(granted: number, requested: number): boolean {
  if (granted === AclOperation.ALL || granted === requested) return true;
  if (requested === AclOperation.DESCRIBE) {
    return (
      granted === AclOperation.READ ||
      granted === AclOperation.WRITE ||
      granted === AclOperation.DELETE ||
      granted === AclOperation.ALTER
    );
  }
  if (requested === AclOperation.DESCRIBE_CONFIGS) return granted === AclOperation.ALTER_CONFIGS;
  return false;
}

/** Whether a DENY ACL for `denied` forbids `requested`: only the same operation or All. */
export function denyCovers(denied: number, requested: number): boolean {
  return denied === AclOperation.ALL || denied === requested;
}

/** Whether an ACL's resource pattern applies to the named resource. */
export function patternApplies(acl: AclBinding, resourceType: number, name: string): boolean {
  if (acl.resourceType !== resourceType) return false;
  if (acl.patternType === PatternType.LITERAL) return acl.resourceName === name || acl.resourceName === WILDCARD;
  if (acl.patternType === PatternType.PREFIXED) return name.startsWith(acl.resourceName);
  return false;
}

/** Operation names as Kafka prints them (AclOperation.toString), for log lines and errors. */
export function operationName(op: number): string {
  return Object.entries(AclOperation).find(([, v]) => v === op)?.[0] ?? String(op);
}

export function resourceTypeName(t: number): string {
  return Object.entries(ResourceType).find(([, v]) => v === t)?.[0] ?? String(t);
}

/**
 * Kafka's StandardAuthorizer (KIP-801) over the ACLs in the metadata image. A request is allowed when
 * the principal is a super user, or some ALLOW ACL applies and no DENY ACL does (deny wins), or no ACL
 * at all applies to the resource and allow.everyone.if.no.acl.found is on. An ACL applies when its
 * pattern matches the resource (literal name, literal `*`, or a prefix), its principal is the caller or
 * `User:*`, its host is the caller's address or `*`, and its operation covers the request (Read, Write,
 * Delete and Alter imply Describe; AlterConfigs implies DescribeConfigs; All covers everything; a DENY
 * only covers its own operation or All).
 *
 * `NoAuthorizer` is what runs when authorizer.class.name is empty: everything is allowed, and the ACL
 * APIs answer SECURITY_DISABLED, as Kafka does without an authorizer.
 */
import type { Logger } from '../logger.js';
import type { AclEntry, MetadataImage } from '../metadata/image.js';
import {
  AclOperation,
  AclPermissionType,
  allowImplies,
  denyCovers,
  operationName,
  PatternType,
  patternApplies,
  ResourceType,
  resourceTypeName,
  WILDCARD,
  WILDCARD_PRINCIPAL,
} from './acl.js';

/** Who is asking: the authenticated principal and the client's address. */
export interface Requester {
  readonly principal: string;
  readonly host: string;
}

export interface Authorizer {
  /** False when no authorizer is configured (the ACL APIs then answer SECURITY_DISABLED). */
  readonly enabled: boolean;
  authorize(who: Requester, operation: number, resourceType: number, resourceName: string): boolean;
  /**
   * Whether the principal may do `operation` on at least one resource of the type (KIP-679's
   * authorizeByResourceType, which lets Write on any topic stand in for IdempotentWrite).
   */
  authorizeByResourceType(who: Requester, operation: number, resourceType: number): boolean;
  /** Called when the image's ACLs changed. */
  invalidate(): void;
}

export class NoAuthorizer implements Authorizer {
  readonly enabled = false;
  authorize(): boolean {
    return true;
  }
  authorizeByResourceType(): boolean {
    return true;
  }
  invalidate(): void {}
}

/** `super.users`: principals separated by ';' (Kafka's format, since a principal may contain ','). */
export function parseSuperUsers(value: string | null): Set<string> {
  return new Set(
    (value ?? '')
      .split(';')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  );
}

/** The address an ACL's host is compared with: IPv4-mapped IPv6 addresses in their IPv4 form. */
export function aclHost(remoteAddress: string): string {
  return remoteAddress.startsWith('::ffff:') ? remoteAddress.slice(7) : remoteAddress;
}

export class StandardAuthorizer implements Authorizer {
  readonly enabled = true;
  private byType: Map<number, AclEntry[]> | undefined;

  constructor(
    private readonly image: MetadataImage,
    private readonly superUsers: ReadonlySet<string>,
    private readonly allowEveryoneIfNoAclFound: boolean,
    private readonly log: Logger,
  ) {}

  invalidate(): void {
    this.byType = undefined;
  }

  private aclsOf(resourceType: number): readonly AclEntry[] {
    if (!this.byType) {
      const byType = new Map<number, AclEntry[]>();
      for (const acl of this.image.acls.values()) {
        let list = byType.get(acl.resourceType);
        if (!list) {
          list = [];
          byType.set(acl.resourceType, list);
        }
        list.push(acl);
      }
      this.byType = byType;
    }
    return this.byType.get(resourceType) ?? [];
  }

  private static appliesTo(acl: AclEntry, who: Requester): boolean {
    return (
      (acl.principal === who.principal || acl.principal === WILDCARD_PRINCIPAL) &&
      (acl.host === who.host || acl.host === WILDCARD)
    );
  }

  authorize(who: Requester, operation: number, resourceType: number, resourceName: string): boolean {
    if (this.superUsers.has(who.principal)) return true;
    let anyAclForResource = false;
    let allowed = false;
    for (const acl of this.aclsOf(resourceType)) {
      if (!patternApplies(acl, resourceType, resourceName)) continue;
      anyAclForResource = true;
      if (!StandardAuthorizer.appliesTo(acl, who)) continue;
      if (acl.permissionType === AclPermissionType.DENY) {
        if (denyCovers(acl.operation, operation)) {
          this.logDenied(who, operation, resourceType, resourceName, 'a DENY ACL');
          return false;
        }
      } else if (acl.permissionType === AclPermissionType.ALLOW && allowImplies(acl.operation, operation)) {
        allowed = true;
      }
    }
    if (allowed) return true;
    if (!anyAclForResource && this.allowEveryoneIfNoAclFound) return true;
    this.logDenied(who, operation, resourceType, resourceName, anyAclForResource ? 'no matching ALLOW ACL' : 'no ACL');
    return false;
  }

  /** Kafka's default Authorizer.authorizeByResourceType, which ignores implied operations. */
  authorizeByResourceType(who: Requester, operation: number, resourceType: number): boolean {
    // A name no ACL can mention alone: super users and allow.everyone.if.no.acl.found pass here.
    if (this.superUsers.has(who.principal)) return true;
    const denyLiterals = new Set<string>();
    const denyPrefixes: string[] = [];
    const allowLiterals: string[] = [];
    const allowPrefixes: string[] = [];
    const all = this.aclsOf(resourceType);
    if (all.length === 0 && this.allowEveryoneIfNoAclFound) return true;
    for (const acl of all) {
      if (!StandardAuthorizer.appliesTo(acl, who)) continue;
      if (acl.operation !== operation && acl.operation !== AclOperation.ALL) continue;
      const literal = acl.patternType === PatternType.LITERAL;
      if (acl.permissionType === AclPermissionType.DENY) {
        if (literal && acl.resourceName === WILDCARD) return false;
        if (literal) denyLiterals.add(acl.resourceName);
        else denyPrefixes.push(acl.resourceName);
      } else if (acl.permissionType === AclPermissionType.ALLOW) {
        (literal ? allowLiterals : allowPrefixes).push(acl.resourceName);
      }
    }
    const deniedByPrefix = (name: string) => denyPrefixes.some((p) => name.startsWith(p));
    if (allowLiterals.includes(WILDCARD)) return true;
    if (allowLiterals.some((n) => !denyLiterals.has(n) && !deniedByPrefix(n))) return true;
    return allowPrefixes.some((n) => !deniedByPrefix(n));
  }

  private logDenied(who: Requester, operation: number, resourceType: number, name: string, why: string): void {
    this.log.debug(
      `Principal = ${who.principal} is Denied operation = ${operationName(operation)} from host = ${who.host} ` +
        `on resource = ${resourceTypeName(resourceType)}:${name} (${why})`,
    );
  }
}

export { AclOperation, ResourceType };

/**
 * StandardAuthorizer semantics over a real metadata image fed with AccessControlEntry records: literal,
 * wildcard and prefixed patterns, implied operations, deny over allow, hosts, User:*, super users,
 * allow.everyone.if.no.acl.found, KIP-679's authorizeByResourceType, and the ACL filters of
 * DescribeAcls/DeleteAcls.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { MetadataImage } from '../metadata/image.js';
import {
  type AclBinding,
  AclPermissionType,
  aclBindingProblem,
  filterMatches,
  AclOperation as Op,
  PatternType,
  ResourceType,
} from './acl.js';
import { StandardAuthorizer } from './authorizer.js';

const ALLOW = AclPermissionType.ALLOW;
const DENY = AclPermissionType.DENY;

function acl(partial: Partial<AclBinding> & Pick<AclBinding, 'resourceName' | 'operation'>): AclBinding {
  return {
    resourceType: ResourceType.TOPIC,
    patternType: PatternType.LITERAL,
    principal: 'User:alice',
    host: '*',
    permissionType: ALLOW,
    ...partial,
  };
}

function authorizer(acls: AclBinding[], opts: { superUsers?: string[]; allowEveryone?: boolean } = {}) {
  const image = new MetadataImage('test');
  acls.forEach((a, i) => {
    image.apply({ type: 'AccessControlEntry', id: `acl-${i}`, ...a }, i);
  });
  return new StandardAuthorizer(
    image,
    new Set(opts.superUsers ?? []),
    opts.allowEveryone ?? false,
    createLogger('error'),
  );
}

const alice = { principal: 'User:alice', host: '10.0.0.1' };
const bob = { principal: 'User:bob', host: '10.0.0.2' };

describe('StandardAuthorizer', () => {
  it('grants exactly what an ALLOW ACL names, and implied Describe', () => {
    const a = authorizer([acl({ resourceName: 'orders', operation: Op.WRITE })]);
    expect(a.authorize(alice, Op.WRITE, ResourceType.TOPIC, 'orders')).toBe(true);
    expect(a.authorize(alice, Op.DESCRIBE, ResourceType.TOPIC, 'orders')).toBe(true);
    expect(a.authorize(alice, Op.READ, ResourceType.TOPIC, 'orders')).toBe(false);
    expect(a.authorize(alice, Op.WRITE, ResourceType.TOPIC, 'orders2')).toBe(false);
    expect(a.authorize(bob, Op.WRITE, ResourceType.TOPIC, 'orders')).toBe(false);
    expect(a.authorize(alice, Op.WRITE, ResourceType.GROUP, 'orders')).toBe(false);
  });

  it('AlterConfigs implies DescribeConfigs; All covers everything; Describe implies nothing', () => {
    const a = authorizer([
      acl({ resourceName: 't1', operation: Op.ALTER_CONFIGS }),
      acl({ resourceName: 't2', operation: Op.ALL }),
      acl({ resourceName: 't3', operation: Op.DESCRIBE }),
    ]);
    expect(a.authorize(alice, Op.DESCRIBE_CONFIGS, ResourceType.TOPIC, 't1')).toBe(true);
    expect(a.authorize(alice, Op.DESCRIBE, ResourceType.TOPIC, 't1')).toBe(false);
    expect(a.authorize(alice, Op.DELETE, ResourceType.TOPIC, 't2')).toBe(true);
    expect(a.authorize(alice, Op.READ, ResourceType.TOPIC, 't3')).toBe(false);
  });

  it('matches prefixed and wildcard patterns, User:* and hosts', () => {
    const a = authorizer([
      acl({ resourceName: 'events.', patternType: PatternType.PREFIXED, operation: Op.READ }),
      acl({ resourceName: '*', operation: Op.DESCRIBE, principal: 'User:*' }),
      acl({ resourceName: 'pinned', operation: Op.WRITE, host: '10.0.0.1' }),
    ]);
    expect(a.authorize(alice, Op.READ, ResourceType.TOPIC, 'events.clicks')).toBe(true);
    expect(a.authorize(alice, Op.READ, ResourceType.TOPIC, 'events')).toBe(false);
    expect(a.authorize(bob, Op.DESCRIBE, ResourceType.TOPIC, 'anything')).toBe(true);
    expect(a.authorize(alice, Op.WRITE, ResourceType.TOPIC, 'pinned')).toBe(true);
    expect(a.authorize({ ...alice, host: '10.9.9.9' }, Op.WRITE, ResourceType.TOPIC, 'pinned')).toBe(false);
  });

  it('lets a DENY win over any ALLOW, but only for its own operation (or All)', () => {
    const a = authorizer([
      acl({ resourceName: '*', operation: Op.ALL, principal: 'User:*' }),
      acl({ resourceName: 'secret', operation: Op.READ, permissionType: DENY }),
      acl({
        resourceName: 'sec',
        patternType: PatternType.PREFIXED,
        operation: Op.ALL,
        principal: 'User:bob',
        permissionType: DENY,
      }),
    ]);
    expect(a.authorize(alice, Op.READ, ResourceType.TOPIC, 'secret')).toBe(false);
    expect(a.authorize(alice, Op.DESCRIBE, ResourceType.TOPIC, 'secret')).toBe(true);
    expect(a.authorize(alice, Op.READ, ResourceType.TOPIC, 'public')).toBe(true);
    expect(a.authorize(bob, Op.DESCRIBE, ResourceType.TOPIC, 'secret')).toBe(false);
  });

  it('gives super users everything and applies allow.everyone.if.no.acl.found only to resources without ACLs', () => {
    const a = authorizer([acl({ resourceName: 'owned', operation: Op.READ })], {
      superUsers: ['User:admin'],
      allowEveryone: true,
    });
    expect(a.authorize({ principal: 'User:admin', host: 'h' }, Op.ALTER, ResourceType.CLUSTER, 'kafka-cluster')).toBe(
      true,
    );
    expect(a.authorize(bob, Op.WRITE, ResourceType.TOPIC, 'free')).toBe(true);
    expect(a.authorize(bob, Op.READ, ResourceType.TOPIC, 'owned')).toBe(false);
    const strict = authorizer([]);
    expect(strict.authorize(bob, Op.WRITE, ResourceType.TOPIC, 'free')).toBe(false);
  });

  it('authorizeByResourceType: any allowed resource counts, unless denied by a covering DENY', () => {
    expect(
      authorizer([acl({ resourceName: 'x', operation: Op.WRITE })]).authorizeByResourceType(
        alice,
        Op.WRITE,
        ResourceType.TOPIC,
      ),
    ).toBe(true);
    expect(authorizer([]).authorizeByResourceType(alice, Op.WRITE, ResourceType.TOPIC)).toBe(false);
    expect(
      authorizer([
        acl({ resourceName: 'x', operation: Op.WRITE }),
        acl({ resourceName: 'x', operation: Op.WRITE, permissionType: DENY }),
      ]).authorizeByResourceType(alice, Op.WRITE, ResourceType.TOPIC),
    ).toBe(false);
    expect(
      authorizer([
        acl({ resourceName: 'ab', patternType: PatternType.PREFIXED, operation: Op.WRITE }),
        acl({ resourceName: 'a', patternType: PatternType.PREFIXED, operation: Op.WRITE, permissionType: DENY }),
      ]).authorizeByResourceType(alice, Op.WRITE, ResourceType.TOPIC),
    ).toBe(false);
  });
});

describe('ACL bindings and filters', () => {
  it('refuses what Kafka refuses to create', () => {
    expect(aclBindingProblem(acl({ resourceName: 't', operation: Op.READ }))).toBeNull();
    expect(aclBindingProblem(acl({ resourceName: 't', operation: Op.ANY }))).toMatch(/operation/);
    expect(aclBindingProblem(acl({ resourceName: 't', operation: Op.READ, patternType: PatternType.MATCH }))).toMatch(
      /pattern/,
    );
    expect(
      aclBindingProblem(acl({ resourceName: 'c', operation: Op.ALTER, resourceType: ResourceType.CLUSTER })),
    ).toMatch(/kafka-cluster/);
    expect(aclBindingProblem(acl({ resourceName: 't', operation: Op.READ, principal: 'alice' }))).toMatch(/principal/);
  });

  it('MATCH finds literal, wildcard and prefixed ACLs that apply to a name', () => {
    const literal = acl({ resourceName: 'events.a', operation: Op.READ });
    const wildcard = acl({ resourceName: '*', operation: Op.READ });
    const prefixed = acl({ resourceName: 'events.', patternType: PatternType.PREFIXED, operation: Op.READ });
    const other = acl({ resourceName: 'orders', operation: Op.READ });
    const filter = {
      resourceType: ResourceType.TOPIC,
      resourceName: 'events.a',
      patternType: PatternType.MATCH,
      principal: null,
      host: null,
      operation: Op.ANY,
      permissionType: AclPermissionType.ANY,
    };
    expect([literal, wildcard, prefixed, other].map((a) => filterMatches(filter, a))).toEqual([
      true,
      true,
      true,
      false,
    ]);
    const anyFilter = { ...filter, resourceName: null, patternType: PatternType.ANY, resourceType: ResourceType.ANY };
    expect([literal, wildcard, prefixed, other].every((a) => filterMatches(anyFilter, a))).toBe(true);
    expect(filterMatches({ ...filter, patternType: PatternType.PREFIXED, resourceName: 'events.' }, prefixed)).toBe(
      true,
    );
    expect(filterMatches({ ...filter, patternType: PatternType.LITERAL }, prefixed)).toBe(false);
  });
});

/**
 * `flo acls`: Kafka ACLs on a cluster, kept by the control plane (CreateAcl, ListAcls, DeleteAcls).
 * Filters name Kafka's enums in any case (`--operation read`).
 */
import type { AclFilter, CreateAclRequest } from '@flotilla/sdk';
import { type Command, Option } from 'commander';
import type { Io } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import { fields, table } from '../output.js';
import { action, examples, group } from '../program.js';

const RESOURCE_TYPES = ['topic', 'group', 'cluster', 'transactional-id', 'delegation-token', 'user'];
const OPERATIONS = [
  'all',
  'read',
  'write',
  'create',
  'delete',
  'alter',
  'describe',
  'cluster-action',
  'describe-configs',
  'alter-configs',
  'idempotent-write',
  'create-tokens',
  'describe-tokens',
];
const upper = (v: unknown) => (typeof v === 'string' ? v.toUpperCase().replaceAll('-', '_') : undefined);

function aclOptions(command: Command, required: boolean): Command {
  const opt = (flags: string, description: string, choices?: string[]) => {
    const o = new Option(flags, description);
    if (choices) o.choices(choices);
    if (
      required &&
      ['--resource-type', '--resource-name', '--principal', '--operation'].some((f) => flags.startsWith(f))
    ) {
      o.makeOptionMandatory();
    }
    return command.addOption(o);
  };
  opt('--resource-type <type>', 'resource type', RESOURCE_TYPES);
  opt('--resource-name <name>', 'resource name (* for all; the cluster is kafka-cluster)');
  opt('--pattern <type>', 'literal or prefixed name match', ['literal', 'prefixed']);
  opt('--principal <principal>', 'who, as Type:name (User:alice; User:* for everyone)');
  opt('--host <host>', 'client host (* for any)');
  opt('--operation <operation>', 'operation', OPERATIONS);
  opt('--permission <permission>', 'allow or deny', ['allow', 'deny']);
  return command;
}

function filterOf(o: Record<string, unknown>): AclFilter {
  const f: Record<string, string> = {};
  const set = (key: string, value: string | undefined) => {
    if (value !== undefined) f[key] = value;
  };
  set('resourceType', upper(o.resourceType));
  set('resourceName', o.resourceName as string | undefined);
  set('patternType', upper(o.pattern));
  set('principal', o.principal as string | undefined);
  set('host', o.host as string | undefined);
  set('operation', upper(o.operation));
  set('permissionType', upper(o.permission));
  return f as AclFilter;
}

const columns = [
  { header: 'PRINCIPAL', value: (a: CreateAclRequest) => a.principal },
  { header: 'PERMISSION', value: (a: CreateAclRequest) => a.permissionType },
  { header: 'OPERATION', value: (a: CreateAclRequest) => a.operation },
  { header: 'RESOURCE', value: (a: CreateAclRequest) => a.resourceType },
  { header: 'NAME', value: (a: CreateAclRequest) => a.resourceName },
  { header: 'PATTERN', value: (a: CreateAclRequest) => a.patternType },
  { header: 'HOST', value: (a: CreateAclRequest) => a.host },
];

export function registerAcls(program: Command, io: Io): void {
  const acls = group(program, 'acls', "a cluster's Kafka ACLs").alias('acl');

  examples(
    aclOptions(
      acls.command('create').description('add an ACL (CreateAcl)').argument('<cluster>', 'cluster name or ARN'),
      true,
    ).action(
      action(io, async (ctx, [cluster], o) => {
        const arn = await ctx.clusterArn(cluster as string);
        const acl = await ctx.client.createAcl(arn, filterOf(o) as CreateAclRequest);
        return fields(
          acl,
          columns.map((c) => [c.header.toLowerCase(), c.value(acl)] as const),
        );
      }),
    ),
    'flo acls create orders --principal User:alice --operation read --resource-type topic --resource-name payments',
    'flo acls create orders --principal User:app --operation write --resource-type topic --resource-name pay- --pattern prefixed',
  );

  examples(
    aclOptions(
      acls
        .command('list')
        .alias('ls')
        .description('list ACLs, optionally filtered (ListAcls)')
        .argument('<cluster>', 'cluster name or ARN'),
      false,
    ).action(
      action(io, async (ctx, [cluster], o) => {
        const arn = await ctx.clusterArn(cluster as string);
        const list = await ctx.client.listAcls(arn, filterOf(o));
        return table({ acls: list }, list, columns, 'No ACLs.');
      }),
    ),
    'flo acls list orders --principal User:alice',
  );

  examples(
    aclOptions(
      acls
        .command('delete')
        .alias('rm')
        .description('delete every ACL matching the filter (DeleteAcls)')
        .argument('<cluster>', 'cluster name or ARN')
        .option('--all', 'with no filter: delete every ACL of the cluster'),
      false,
    ).action(
      action(io, async (ctx, [cluster], o) => {
        const filter = filterOf(o);
        if (!Object.keys(filter).length && !o.all) {
          throw new CliError(
            'no filter given: that deletes every ACL; add --all if that is what you want',
            ExitCode.USAGE,
          );
        }
        const arn = await ctx.clusterArn(cluster as string);
        const deleted = await ctx.client.deleteAcls(arn, filter);
        return table({ deletedAcls: deleted }, deleted, columns, 'No ACL matched.');
      }),
    ),
    'flo acls delete orders --principal User:alice --resource-name payments',
  );
}

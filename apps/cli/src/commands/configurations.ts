/**
 * `flo configurations`: MSK configurations (server.properties text, revisioned): CreateConfiguration,
 * ListConfigurations, DescribeConfiguration, UpdateConfiguration (a new revision),
 * ListConfigurationRevisions, DescribeConfigurationRevision, DeleteConfiguration.
 * Properties come from a file (`--file`, `-` for stdin) or `--set key=value` pairs.
 */
import { readFileSync } from 'node:fs';
import { decodeServerProperties } from '@flotilla/sdk';
import type { Command } from 'commander';
import type { Context, Io } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import { fields, table, text } from '../output.js';
import { action, examples, group } from '../program.js';

const collectValues = (value: string, previous: string[] = []) => [...previous, value];

async function readStdin(ctx: Context): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.io.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

async function properties(ctx: Context, o: Record<string, unknown>): Promise<string> {
  const parts: string[] = [];
  if (o.file) {
    const file = o.file as string;
    try {
      parts.push(file === '-' ? await readStdin(ctx) : readFileSync(file, 'utf8'));
    } catch (error) {
      throw new CliError(`cannot read ${file}: ${(error as Error).message}`, ExitCode.USAGE);
    }
  }
  for (const pair of (o.set as string[] | undefined) ?? []) {
    if (!/^[^=\s]+=/.test(pair)) throw new CliError(`--set wants KEY=VALUE, got ${pair}`, ExitCode.USAGE);
    parts.push(pair);
  }
  const body = parts.map((p) => p.replace(/\n*$/, '\n')).join('');
  if (!body.trim()) throw new CliError('give the properties with --file PATH or --set KEY=VALUE', ExitCode.USAGE);
  return body;
}

const sourceOptions = (command: Command) =>
  command
    .option('-f, --file <path>', 'server.properties file (- for stdin)')
    .option('--set <key=value>', 'a property (repeat for more)', collectValues)
    .option('--description <text>', 'what this revision is for');

export function registerConfigurations(program: Command, io: Io): void {
  const configurations = group(
    program,
    'configurations',
    'broker configurations (server.properties), with revisions',
  ).alias('configs');

  examples(
    sourceOptions(
      configurations
        .command('create')
        .description('create a configuration (revision 1)')
        .argument('<name>', 'configuration name')
        .option('--kafka-versions <list>', 'comma-separated Kafka versions it is meant for'),
    ).action(
      action(io, async (ctx, [name], o) => {
        const out = await ctx.client.createConfiguration({
          name: name as string,
          serverProperties: await properties(ctx, o),
          ...(o.description ? { description: o.description as string } : {}),
          ...(o.kafkaVersions ? { kafkaVersions: (o.kafkaVersions as string).split(',') } : {}),
        });
        return fields(out, [
          ['Name', out.name],
          ['ARN', out.arn],
          ['Revision', out.latestRevision.revision],
          ['State', out.state],
        ]);
      }),
    ),
    'flo configurations create tuned --set num.partitions=6 --set log.retention.hours=72',
    'flo configurations create tuned -f server.properties --description "more partitions"',
  );

  configurations
    .command('list')
    .alias('ls')
    .description('list configurations')
    .action(
      action(io, async (ctx) => {
        const out = await ctx.client.listConfigurations();
        return table(
          out,
          out.configurations,
          [
            { header: 'NAME', value: (c) => c.name },
            { header: 'REVISION', value: (c) => c.latestRevision.revision },
            { header: 'STATE', value: (c) => c.state },
            { header: 'DESCRIPTION', value: (c) => c.description },
            { header: 'ARN', value: (c) => c.arn },
          ],
          'No configurations.',
        );
      }),
    );

  configurations
    .command('describe')
    .alias('get')
    .description("show a configuration and its latest revision's properties")
    .argument('<arn>', 'configuration ARN')
    .action(
      action(io, async (ctx, [arn]) => {
        const c = await ctx.client.describeConfiguration(arn as string);
        const latest = await ctx.client.describeConfigurationRevision(arn as string, c.latestRevision.revision);
        const props = decodeServerProperties(latest.serverProperties);
        return fields(
          { ...c, serverProperties: props },
          [
            ['Name', c.name],
            ['ARN', c.arn],
            ['State', c.state],
            ['Description', c.description],
            ['Kafka versions', c.kafkaVersions],
            ['Latest revision', c.latestRevision.revision],
            ['Created', c.creationTime],
          ],
          text(null, props.trimEnd()),
        );
      }),
    );

  examples(
    sourceOptions(
      configurations
        .command('update')
        .description('add a revision with new properties')
        .argument('<arn>', 'configuration ARN'),
    ).action(
      action(io, async (ctx, [arn], o) => {
        const out = await ctx.client.updateConfiguration(arn as string, {
          serverProperties: await properties(ctx, o),
          ...(o.description ? { description: o.description as string } : {}),
        });
        return fields(out, [
          ['ARN', out.arn],
          ['Revision', out.latestRevision.revision],
        ]);
      }),
    ),
    'flo configurations update ARN --set num.partitions=12 --description "bigger"',
  );

  configurations
    .command('revisions')
    .description("list a configuration's revisions")
    .argument('<arn>', 'configuration ARN')
    .action(
      action(io, async (ctx, [arn]) => {
        const out = await ctx.client.listConfigurationRevisions(arn as string);
        return table(out, out.revisions, [
          { header: 'REVISION', value: (r) => r.revision },
          { header: 'CREATED', value: (r) => r.creationTime },
          { header: 'DESCRIPTION', value: (r) => r.description },
        ]);
      }),
    );

  configurations
    .command('revision')
    .description("print one revision's server.properties")
    .argument('<arn>', 'configuration ARN')
    .argument('<revision>', 'revision number')
    .action(
      action(io, async (ctx, [arn, revision]) => {
        const n = Number(revision);
        if (!Number.isInteger(n) || n < 1)
          throw new CliError(`revision must be a number, got ${revision}`, ExitCode.USAGE);
        const out = await ctx.client.describeConfigurationRevision(arn as string, n);
        const props = decodeServerProperties(out.serverProperties);
        return text({ ...out, serverProperties: props }, props.trimEnd());
      }),
    );

  configurations
    .command('delete')
    .alias('rm')
    .description('delete a configuration (not one a cluster uses)')
    .argument('<arn>', 'configuration ARN')
    .action(
      action(io, async (ctx, [arn]) => {
        const out = await ctx.client.deleteConfiguration(arn as string);
        return fields(out, [
          ['ARN', out.arn],
          ['State', out.state],
        ]);
      }),
    );
}

/** `flo tags`: tags on clusters and configurations (TagResource, UntagResource, ListTagsForResource). */
import type { Command } from 'commander';
import type { Context, Io } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import { table } from '../output.js';
import { action, group } from '../program.js';

/** A resource ARN as given, or a cluster's by name. */
const resourceArn = (ctx: Context, value: string) => (value.startsWith('arn:') ? value : ctx.clusterArn(value));

const tagsView = (tags: Record<string, string>) =>
  table(
    { tags },
    Object.entries(tags),
    [
      { header: 'KEY', value: ([k]) => k },
      { header: 'VALUE', value: ([, v]) => v },
    ],
    'No tags.',
  );

export function registerTags(program: Command, io: Io): void {
  const tags = group(program, 'tags', 'tags on clusters and configurations');
  tags
    .command('list')
    .alias('ls')
    .description('list the tags of a resource')
    .argument('<resource>', 'cluster name, or a cluster or configuration ARN')
    .action(
      action(io, async (ctx, [r]) =>
        tagsView(await ctx.client.listTagsForResource(await resourceArn(ctx, r as string))),
      ),
    );
  tags
    .command('add')
    .description('add or change tags')
    .argument('<resource>', 'cluster name, or a cluster or configuration ARN')
    .argument('<key=value...>', 'tags')
    .action(
      action(io, async (ctx, [r, ...pairs]) => {
        const values: Record<string, string> = {};
        for (const p of pairs) {
          const eq = p.indexOf('=');
          if (eq <= 0) throw new CliError(`tags are KEY=VALUE, got ${p}`, ExitCode.USAGE);
          values[p.slice(0, eq)] = p.slice(eq + 1);
        }
        const arn = await resourceArn(ctx, r as string);
        await ctx.client.tagResource(arn, values);
        return tagsView(await ctx.client.listTagsForResource(arn));
      }),
    );
  tags
    .command('remove')
    .alias('rm')
    .description('remove tags by key')
    .argument('<resource>', 'cluster name, or a cluster or configuration ARN')
    .argument('<key...>', 'tag keys')
    .action(
      action(io, async (ctx, [r, ...keys]) => {
        const arn = await resourceArn(ctx, r as string);
        await ctx.client.untagResource(arn, keys);
        return tagsView(await ctx.client.listTagsForResource(arn));
      }),
    );
}

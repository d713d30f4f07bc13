/**
 * `flo groups`: consumer groups with their lag (ListConsumerGroups, DescribeConsumerGroup) and offset
 * resets (ResetConsumerGroupOffsets), which preview with --dry-run as kafka-consumer-groups does.
 */
import type { Command } from 'commander';
import type { Io } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import { fields, table } from '../output.js';
import { action, examples, group } from '../program.js';

export function registerGroups(program: Command, io: Io): void {
  const groups = group(program, 'groups', "a cluster's consumer groups and their lag").alias('group');

  groups
    .command('list')
    .alias('ls')
    .description('list consumer groups (ListConsumerGroups)')
    .argument('<cluster>', 'cluster name or ARN')
    .action(
      action(io, async (ctx, [cluster]) => {
        const arn = await ctx.clusterArn(cluster as string);
        const list = await ctx.client.listConsumerGroups(arn);
        return table(
          { consumerGroups: list },
          list,
          [
            { header: 'GROUP', value: (g) => g.groupId },
            { header: 'STATE', value: (g) => g.state },
            { header: 'PROTOCOL', value: (g) => g.protocolType },
          ],
          'No consumer groups.',
        );
      }),
    );

  examples(
    groups
      .command('describe')
      .alias('get')
      .description('members, assignment and lag per partition (DescribeConsumerGroup)')
      .argument('<cluster>', 'cluster name or ARN')
      .argument('<group>', 'group id')
      .action(
        action(io, async (ctx, [cluster, groupId]) => {
          const arn = await ctx.clusterArn(cluster as string);
          const g = await ctx.client.describeConsumerGroup(arn, groupId as string);
          return fields(
            g,
            [
              ['Group', g.groupId],
              ['State', g.state],
              ['Protocol', g.protocol || g.protocolType],
              ['Coordinator', g.coordinatorId],
              ['Members', g.members.map((m) => `${m.clientId}@${m.clientHost}`)],
              ['Total lag', g.totalOffsetLag],
            ],
            table(g, g.partitions, [
              { header: 'TOPIC', value: (p) => p.topic },
              { header: 'PARTITION', value: (p) => p.partition },
              { header: 'COMMITTED', value: (p) => p.committedOffset },
              { header: 'LOG-END', value: (p) => p.logEndOffset },
              { header: 'LAG', value: (p) => p.offsetLag },
            ]),
          );
        }),
      ),
    'flo groups describe orders billing',
  );

  examples(
    groups
      .command('reset-offsets')
      .description("move a group's committed offsets (the group must have no members); --dry-run previews")
      .argument('<cluster>', 'cluster name or ARN')
      .argument('<group>', 'group id')
      .option('--to-earliest', 'to the earliest offsets')
      .option('--to-latest', 'to the log ends')
      .option('--to-datetime <when>', 'to the first offsets at or after a time (ISO 8601 or epoch ms)')
      .option('--to-offset <offset>', 'to an offset (clamped to each partition)')
      .option('--topic <topic>', 'only this topic (repeat for more)', (v: string, p: string[] = []) => [...p, v])
      .option('--dry-run', 'show what would change, change nothing')
      .action(
        action(io, async (ctx, [cluster, groupId], o) => {
          const targets = ['toEarliest', 'toLatest', 'toDatetime', 'toOffset'].filter((k) => o[k] !== undefined);
          if (targets.length !== 1) {
            throw new CliError(
              'give exactly one of --to-earliest, --to-latest, --to-datetime, --to-offset',
              ExitCode.USAGE,
            );
          }
          let timestamp: number | undefined;
          if (o.toDatetime !== undefined) {
            const raw = o.toDatetime as string;
            timestamp = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
            if (!Number.isFinite(timestamp)) throw new CliError(`not a time: ${raw}`, ExitCode.USAGE);
          }
          const offset = o.toOffset !== undefined ? Number(o.toOffset) : undefined;
          if (offset !== undefined && (!Number.isInteger(offset) || offset < 0)) {
            throw new CliError(`--to-offset must be a whole number, got ${o.toOffset}`, ExitCode.USAGE);
          }
          const arn = await ctx.clusterArn(cluster as string);
          const out = await ctx.client.resetConsumerGroupOffsets(arn, groupId as string, {
            to: o.toEarliest ? 'earliest' : o.toLatest ? 'latest' : timestamp !== undefined ? 'timestamp' : 'offset',
            ...(timestamp !== undefined ? { timestamp } : {}),
            ...(offset !== undefined ? { offset } : {}),
            ...(o.topic ? { topics: o.topic as string[] } : {}),
            ...(o.dryRun ? { dryRun: true } : {}),
          });
          if (out.dryRun) ctx.progress('dry run: nothing changed');
          return table(
            out,
            out.partitions,
            [
              { header: 'TOPIC', value: (p) => p.topic },
              { header: 'PARTITION', value: (p) => p.partition },
              { header: 'FROM', value: (p) => p.previousOffset },
              { header: 'TO', value: (p) => p.newOffset },
            ],
            'No committed offsets to move.',
          );
        }),
      ),
    'flo groups reset-offsets orders billing --to-earliest --dry-run',
    'flo groups reset-offsets orders billing --to-datetime 2026-11-25T09:00:00Z --topic payments',
  );
}

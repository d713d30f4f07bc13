/** `flo versions`: the version catalog (ListKafkaVersions, GetCompatibleKafkaVersions). */
import type { Command } from 'commander';
import type { Io } from '../context.js';
import { table } from '../output.js';
import { action, group } from '../program.js';

export function registerVersions(program: Command, io: Io): void {
  const versions = group(program, 'versions', 'Kafka versions clusters can run');
  versions
    .command('list')
    .alias('ls')
    .description('list Kafka versions (ListKafkaVersions)')
    .action(
      action(io, async (ctx) => {
        const out = await ctx.client.listKafkaVersions();
        return table(out, out.kafkaVersions, [
          { header: 'VERSION', value: (v) => v.version },
          { header: 'STATUS', value: (v) => v.status },
        ]);
      }),
    );
  versions
    .command('compatible')
    .description('versions a cluster (or every version) can move to (GetCompatibleKafkaVersions)')
    .argument('[cluster]', 'cluster name or ARN')
    .action(
      action(io, async (ctx, [cluster]) => {
        const arn = cluster ? await ctx.clusterArn(cluster) : undefined;
        const out = await ctx.client.getCompatibleKafkaVersions(arn);
        return table(out, out.compatibleKafkaVersions, [
          { header: 'FROM', value: (v) => v.sourceVersion },
          { header: 'TO', value: (v) => v.targetVersions },
        ]);
      }),
    );
}

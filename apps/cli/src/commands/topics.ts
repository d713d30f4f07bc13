/**
 * `flo topics`: MSK's topic calls (ListTopics, DescribeTopic, DescribeTopicPartitions, CreateTopic,
 * UpdateTopic, DeleteTopic) on a cluster named by name or ARN.
 */
import { decodeTopicConfigs, type TopicInfo } from '@flotilla/sdk';
import { type Command, Option } from 'commander';
import type { Io } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import { fields, table } from '../output.js';
import { action, examples, group } from '../program.js';

const collectValues = (value: string, previous: string[] = []) => [...previous, value];

function configs(values: readonly string[] | undefined): Record<string, string> | undefined {
  if (!values?.length) return undefined;
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new CliError(`--config wants KEY=VALUE, got ${v}`, ExitCode.USAGE);
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

function nonNegative(name: string, value: unknown): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`${name} must be a whole number, got ${value}`, ExitCode.USAGE);
  return n;
}

function count(name: string, value: unknown): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new CliError(`${name} must be a positive whole number, got ${value}`, ExitCode.USAGE);
  return n;
}

export function registerTopics(program: Command, io: Io): void {
  const topics = group(program, 'topics', "a cluster's topics").alias('topic');

  examples(
    topics
      .command('list')
      .alias('ls')
      .description('list topics (ListTopics)')
      .argument('<cluster>', 'cluster name or ARN')
      .option('--prefix <prefix>', 'only topics whose name starts with this')
      .action(
        action(io, async (ctx, [cluster], o) => {
          const arn = await ctx.clusterArn(cluster as string);
          const all: TopicInfo[] = [];
          let nextToken: string | undefined;
          do {
            const page = await ctx.client.listTopics(arn, {
              topicNameFilter: o.prefix as string | undefined,
              nextToken,
            });
            all.push(...page.topics);
            nextToken = page.nextToken;
          } while (nextToken);
          return table(
            { topics: all },
            all,
            [
              { header: 'TOPIC', value: (t) => t.topicName },
              { header: 'PARTITIONS', value: (t) => t.partitionCount },
              { header: 'REPLICATION', value: (t) => t.replicationFactor },
              { header: 'OUT-OF-SYNC', value: (t) => t.outOfSyncReplicaCount ?? 0 },
            ],
            'No topics.',
          );
        }),
      ),
    'flo topics list orders',
  );

  examples(
    topics
      .command('create')
      .description('create a topic (CreateTopic)')
      .argument('<cluster>', 'cluster name or ARN')
      .argument('<topic>', 'topic name')
      .option('-p, --partitions <n>', 'number of partitions', '1')
      .option('-r, --replication-factor <n>', 'replicas per partition (default: min(3, brokers))')
      .option('-c, --config <key=value>', 'a topic config, e.g. retention.ms=86400000 (repeat for more)', collectValues)
      .action(
        action(io, async (ctx, [cluster, topic], o) => {
          const c = await ctx.cluster(cluster as string);
          const replication = o.replicationFactor
            ? count('--replication-factor', o.replicationFactor)
            : Math.min(3, c.provisioned?.numberOfBrokerNodes ?? 1);
          const cfg = configs(o.config as string[] | undefined);
          const out = await ctx.client.createTopic(c.clusterArn, {
            topicName: topic as string,
            partitionCount: count('--partitions', o.partitions),
            replicationFactor: replication,
            ...(cfg ? { configs: cfg } : {}),
          });
          return fields(out, [
            ['Topic', out.topicName],
            ['ARN', out.topicArn],
            ['Status', out.status],
          ]);
        }),
      ),
    'flo topics create orders payments -p 6 -r 3 -c retention.ms=604800000',
  );

  examples(
    topics
      .command('describe')
      .alias('get')
      .description('show a topic, its configs and partitions (DescribeTopic, DescribeTopicPartitions)')
      .argument('<cluster>', 'cluster name or ARN')
      .argument('<topic>', 'topic name')
      .action(
        action(io, async (ctx, [cluster, topic]) => {
          const arn = await ctx.clusterArn(cluster as string);
          const t = await ctx.client.describeTopic(arn, topic as string);
          const partitions = await ctx.client.describeTopicPartitions(arn, topic as string);
          const cfg = decodeTopicConfigs(t.configs);
          return fields(
            { ...t, configs: cfg, partitions: partitions.partitions },
            [
              ['Topic', t.topicName],
              ['ARN', t.topicArn],
              ['Status', t.status],
              ['Partitions', t.partitionCount],
              ['Replication', t.replicationFactor],
              ['Configs', Object.keys(cfg).length ? cfg : undefined],
            ],
            table(partitions, partitions.partitions, [
              { header: 'PARTITION', value: (p) => p.partition },
              { header: 'LEADER', value: (p) => p.leader },
              { header: 'REPLICAS', value: (p) => p.replicas },
              { header: 'ISR', value: (p) => p.isr },
            ]),
          );
        }),
      ),
    'flo topics describe orders payments',
  );

  examples(
    topics
      .command('update')
      .description('add partitions or change configs (UpdateTopic)')
      .argument('<cluster>', 'cluster name or ARN')
      .argument('<topic>', 'topic name')
      .option('-p, --partitions <n>', 'the new (larger) number of partitions')
      .option('-c, --config <key=value>', 'a topic config to set (repeat for more)', collectValues)
      .action(
        action(io, async (ctx, [cluster, topic], o) => {
          const cfg = configs(o.config as string[] | undefined);
          if (!o.partitions && !cfg) throw new CliError('give --partitions or --config', ExitCode.USAGE);
          const arn = await ctx.clusterArn(cluster as string);
          const out = await ctx.client.updateTopic(arn, topic as string, {
            ...(o.partitions ? { partitionCount: count('--partitions', o.partitions) } : {}),
            ...(cfg ? { configs: cfg } : {}),
          });
          return fields(out, [
            ['Topic', out.topicName],
            ['Status', out.status],
          ]);
        }),
      ),
    'flo topics update orders payments -p 12',
    'flo topics update orders payments -c cleanup.policy=compact',
  );

  examples(
    topics
      .command('messages')
      .description("read a topic's records through the API (no access to the brokers needed)")
      .argument('<cluster>', 'cluster name or ARN')
      .argument('<topic>', 'topic name')
      .addOption(
        new Option('--from <where>', 'where to start')
          .choices(['earliest', 'latest', 'offset', 'timestamp'])
          .default('earliest'),
      )
      .option('--offset <offset>', 'with --from offset')
      .option('--timestamp <when>', 'with --from timestamp: ISO 8601 or epoch ms')
      .option('--partition <n>', 'only this partition')
      .option('--key <text>', 'only records whose key contains this')
      .option('-n, --limit <n>', 'at most this many (1 to 500)', '20')
      .action(
        action(io, async (ctx, [cluster, topic], o) => {
          const arn = await ctx.clusterArn(cluster as string);
          const list = await ctx.client.readMessages(arn, topic as string, {
            from: o.from as 'earliest',
            ...(o.offset !== undefined ? { offset: nonNegative('--offset', o.offset) } : {}),
            ...(o.timestamp !== undefined ? { timestamp: o.timestamp as string } : {}),
            ...(o.partition !== undefined ? { partition: nonNegative('--partition', o.partition) } : {}),
            ...(o.key !== undefined ? { key: o.key as string } : {}),
            limit: count('--limit', o.limit),
          });
          return table(
            { messages: list },
            list,
            [
              { header: 'PARTITION', value: (m) => m.partition },
              { header: 'OFFSET', value: (m) => m.offset },
              { header: 'TIMESTAMP', value: (m) => m.timestamp },
              { header: 'KEY', value: (m) => m.key },
              { header: 'VALUE', value: (m) => m.value },
            ],
            'No messages.',
          );
        }),
      ),
    'flo topics messages orders payments -n 5',
    'flo topics messages orders payments --from timestamp --timestamp 2026-11-25T10:00:00Z --key customer-42',
  );

  topics
    .command('delete')
    .alias('rm')
    .description('delete a topic (DeleteTopic)')
    .argument('<cluster>', 'cluster name or ARN')
    .argument('<topic>', 'topic name')
    .action(
      action(io, async (ctx, [cluster, topic]) => {
        const arn = await ctx.clusterArn(cluster as string);
        const out = await ctx.client.deleteTopic(arn, topic as string);
        return fields(out, [
          ['Topic', out.topicName],
          ['Status', out.status],
        ]);
      }),
    );
}

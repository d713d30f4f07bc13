/**
 * `flo health`, `flo metrics`, `flo alarms`: the monitoring API (GetClusterHealth, GetClusterMetrics,
 * ListAlarms/PutAlarm/DeleteAlarm) and MSK's UpdateMonitoring as `flo clusters update-monitoring`.
 */
import type { AlarmMetric } from '@flotilla/sdk';
import { type Command, Option } from 'commander';
import type { Io } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import { fields, table } from '../output.js';
import { action, examples, group } from '../program.js';

const ALARM_METRICS: AlarmMetric[] = [
  'SumOffsetLag',
  'MaxOffsetLag',
  'EstimatedMaxTimeLag',
  'KafkaDataLogsDiskUsed',
  'UnderReplicatedPartitions',
  'OfflinePartitionsCount',
  'BrokerDown',
];

export function registerMonitoring(program: Command, io: Io): void {
  examples(
    program
      .command('health')
      .description("a cluster's health now, with the problems that make it less than HEALTHY (GetClusterHealth)")
      .argument('<cluster>', 'cluster name or ARN')
      .action(
        action(io, async (ctx, [cluster]) => {
          const arn = await ctx.clusterArn(cluster as string);
          const h = await ctx.client.getClusterHealth(arn);
          return fields(
            h,
            [
              ['Status', h.status],
              ['Cluster state', h.clusterState],
              ['Summary', h.summary],
              ['Last scrape', h.lastScrape ?? 'never'],
            ],
            h.problems.length
              ? table(h, h.problems, [
                  { header: 'PROBLEM', value: (p) => p.code },
                  { header: 'BROKER', value: (p) => p.brokerId },
                  { header: 'VALUE', value: (p) => p.value },
                  { header: 'MESSAGE', value: (p) => p.message },
                ])
              : undefined,
          );
        }),
      ),
    'flo health orders',
  );

  examples(
    program
      .command('metrics')
      .description("a cluster's metrics over time, latest value per series (GetClusterMetrics)")
      .argument('<cluster>', 'cluster name or ARN')
      .option('--name <metric>', 'a metric name (repeat for more; default: all)', (v: string, p: string[] = []) => [
        ...p,
        v,
      ])
      .option('--start <time>', "from (ISO 8601; default: the API's)")
      .option('--end <time>', 'to (ISO 8601)')
      .option('--step <seconds>', 'seconds per point')
      .action(
        action(io, async (ctx, [cluster], o) => {
          const arn = await ctx.clusterArn(cluster as string);
          const out = await ctx.client.getClusterMetrics(arn, {
            ...(o.name ? { names: o.name as string[] } : {}),
            ...(o.start ? { start: o.start as string } : {}),
            ...(o.end ? { end: o.end as string } : {}),
            ...(o.step ? { step: Number(o.step) } : {}),
          });
          const rows = out.metrics.flatMap((m) =>
            m.series.map((s) => ({
              name: m.name,
              unit: m.unit,
              dimensions: s.dimensions,
              last: s.values.at(-1),
              points: s.values.length,
            })),
          );
          return table(
            out,
            rows,
            [
              { header: 'METRIC', value: (r) => r.name },
              { header: 'DIMENSIONS', value: (r) => r.dimensions },
              { header: 'LATEST', value: (r) => r.last },
              { header: 'UNIT', value: (r) => r.unit },
              { header: 'POINTS', value: (r) => r.points },
            ],
            'No samples yet (the monitor scrapes the brokers periodically).',
          );
        }),
      ),
    'flo metrics orders --name UnderReplicatedPartitions --name MaxOffsetLag',
  );

  const alarms = group(program, 'alarms', "a cluster's alarms (a threshold on a metric, optionally a webhook)");
  alarms
    .command('list')
    .alias('ls')
    .description('list alarms and their states (ListAlarms)')
    .argument('<cluster>', 'cluster name or ARN')
    .action(
      action(io, async (ctx, [cluster]) => {
        const list = await ctx.client.listAlarms(await ctx.clusterArn(cluster as string));
        return table(
          { alarms: list },
          list,
          [
            { header: 'NAME', value: (a) => a.name },
            { header: 'METRIC', value: (a) => a.metric },
            {
              header: 'THRESHOLD',
              value: (a) => `${a.comparison === 'GreaterThanOrEqualToThreshold' ? '>=' : '>'} ${a.threshold}`,
            },
            { header: 'STATE', value: (a) => a.state },
            { header: 'WEBHOOK', value: (a) => a.webhookUrl },
          ],
          'No alarms.',
        );
      }),
    );
  examples(
    alarms
      .command('put')
      .description('create or change an alarm (PutAlarm)')
      .argument('<cluster>', 'cluster name or ARN')
      .argument('<name>', 'alarm name')
      .addOption(new Option('--metric <metric>', 'the metric').choices(ALARM_METRICS).makeOptionMandatory())
      .requiredOption('--threshold <value>', 'fires above this value')
      .option('--or-equal', 'fire at the threshold too (>=)')
      .option('--webhook <url>', 'POSTed to when the alarm changes state')
      .action(
        action(io, async (ctx, [cluster, name], o) => {
          const threshold = Number(o.threshold);
          if (!Number.isFinite(threshold))
            throw new CliError(`--threshold must be a number, got ${o.threshold}`, ExitCode.USAGE);
          const alarm = await ctx.client.putAlarm(await ctx.clusterArn(cluster as string), name as string, {
            metric: o.metric as AlarmMetric,
            threshold,
            comparison: o.orEqual ? 'GreaterThanOrEqualToThreshold' : 'GreaterThanThreshold',
            ...(o.webhook ? { webhookUrl: o.webhook as string } : {}),
          });
          return fields(alarm, [
            ['Name', alarm.name],
            ['Metric', alarm.metric],
            ['Threshold', alarm.threshold],
            ['State', alarm.state],
          ]);
        }),
      ),
    'flo alarms put orders lag --metric MaxOffsetLag --threshold 10000 --webhook https://hooks.example/flo',
  );
  alarms
    .command('delete')
    .alias('rm')
    .description('delete an alarm (DeleteAlarm)')
    .argument('<cluster>', 'cluster name or ARN')
    .argument('<name>', 'alarm name')
    .action(
      action(io, async (ctx, [cluster, name]) => {
        await ctx.client.deleteAlarm(await ctx.clusterArn(cluster as string), name as string);
        return fields({ name, deleted: true }, [['Deleted', name]]);
      }),
    );
}

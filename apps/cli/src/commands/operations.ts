/**
 * `flo operations`: the progress of every mutating call (ListClusterOperationsV2,
 * DescribeClusterOperationV2), and `watch`, which follows one live, step by step.
 */
import type { ClusterOperationV2 } from '@flotilla/sdk';
import type { Command } from 'commander';
import type { Io } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import { followOperation, parseDuration } from '../follow.js';
import { fields, table } from '../output.js';
import { action, examples, group } from '../program.js';

const took = (op: { startTime: string; endTime?: string }) =>
  op.endTime ? `${((Date.parse(op.endTime) - Date.parse(op.startTime)) / 1000).toFixed(1)}s` : undefined;

function operationView(op: ClusterOperationV2) {
  return fields(
    { clusterOperationInfo: op },
    [
      ['Operation', op.operationArn],
      ['Cluster', op.clusterArn],
      ['Type', op.operationType],
      ['State', op.operationState],
      ['Started', op.startTime],
      ['Ended', op.endTime],
      ['Took', took(op)],
      [
        'Error',
        op.errorInfo ? [op.errorInfo.errorCode, op.errorInfo.errorString].filter(Boolean).join(': ') : undefined,
      ],
    ],
    table(op, op.provisioned.operationSteps, [
      { header: 'STEP', value: (s) => s.stepName },
      { header: 'STATUS', value: (s) => s.stepInfo.stepStatus },
    ]),
  );
}

export function registerOperations(program: Command, io: Io): void {
  const operations = group(program, 'operations', "follow clusters' operations (create, updates, delete)").alias('ops');

  examples(
    operations
      .command('list')
      .alias('ls')
      .description("list a cluster's operations, newest first (ListClusterOperationsV2)")
      .argument('<cluster>', 'cluster name or ARN')
      .action(
        action(io, async (ctx, [cluster]) => {
          const arn = await ctx.clusterArn(cluster as string);
          const out = await ctx.client.listClusterOperationsV2(arn);
          return table(
            out,
            out.clusterOperationInfoList,
            [
              { header: 'TYPE', value: (o) => o.operationType },
              { header: 'STATE', value: (o) => o.operationState },
              { header: 'STARTED', value: (o) => o.startTime },
              { header: 'TOOK', value: took },
              { header: 'ARN', value: (o) => o.operationArn },
            ],
            'No operations.',
          );
        }),
      ),
    'flo operations list orders',
  );

  examples(
    operations
      .command('describe')
      .alias('get')
      .description('show an operation and its steps (DescribeClusterOperationV2)')
      .argument('<operation-arn>', 'the operation ARN (flo operations list CLUSTER)')
      .action(
        action(io, async (ctx, [arn]) => operationView(await ctx.client.describeClusterOperationV2(arn as string))),
      ),
    'flo operations describe arn:aws:kafka:us-east-1:000000000000:cluster-operation/orders/...',
  );

  examples(
    operations
      .command('watch')
      .description('follow an operation live until it ends; given a cluster, its active (or latest) operation')
      .argument('<operation-or-cluster>', 'an operation ARN, or a cluster name or ARN')
      .option('--timeout <duration>', 'give up after (e.g. 90s, 10m)', '30m')
      .action(
        action(io, async (ctx, [target], o) => {
          let operationArn = target as string;
          if (!/:cluster-operation\//.test(operationArn)) {
            const cluster = await ctx.cluster(operationArn);
            operationArn =
              cluster.activeOperationArn ??
              (await ctx.client.listClusterOperationsV2(cluster.clusterArn, { maxResults: 1 }))
                .clusterOperationInfoList[0]?.operationArn ??
              '';
            if (!operationArn)
              throw new CliError(`cluster ${cluster.clusterName} has no operations`, ExitCode.NOT_FOUND);
          }
          const op = await followOperation(ctx, operationArn, { timeoutMs: parseDuration(o.timeout as string) });
          return operationView(op);
        }),
      ),
    'flo operations watch orders',
  );
}

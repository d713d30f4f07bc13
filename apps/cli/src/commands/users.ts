/**
 * `flo users`: SCRAM users of a cluster (CreateScramUser, ListScramUsers, RotateScramUserPassword,
 * DeleteScramUser). Passwords come from --password-stdin or a prompt, never from argv by default
 * (argv shows in `ps` and shell history); --password is there for throw-away test clusters.
 */
import { SdkError } from '@flotilla/sdk';
import type { Command } from 'commander';
import { Option } from 'commander';
import type { Context, Io } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import { fields, table } from '../output.js';
import { action, examples, group } from '../program.js';
import { promptSecret } from './login.js';

async function password(ctx: Context, o: Record<string, unknown>): Promise<string> {
  if (typeof o.password === 'string') return o.password;
  if (o.passwordStdin) {
    const chunks: Buffer[] = [];
    for await (const chunk of ctx.io.stdin) chunks.push(Buffer.from(chunk as Buffer));
    const value = Buffer.concat(chunks)
      .toString('utf8')
      .replace(/\r?\n$/, '');
    if (!value) throw new CliError('no password on stdin', ExitCode.USAGE);
    return value;
  }
  if (ctx.io.stdin.isTTY) return promptSecret(ctx.io, 'Password: ');
  throw new CliError('give the password with --password-stdin (or --password)', ExitCode.USAGE);
}

/**
 * The API refuses to create or rotate a user on a cluster without SASL/SCRAM, naming the cluster's
 * clientAuthentication (as MSK refuses to associate SCRAM secrets there): the same refusal with what to do.
 */
async function onScramCluster<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (
      error instanceof SdkError &&
      error.type === 'BadRequestException' &&
      error.invalidParameter === 'clientAuthentication'
    ) {
      throw new CliError(
        `${error.type}: ${error.message}`,
        ExitCode.USAGE,
        'SCRAM users need SASL/SCRAM over TLS: turn it on with `flo clusters update-security NAME --scram --wait`, ' +
          'or make a cluster with it: `flo clusters create NAME --scram`',
      );
    }
    throw error;
  }
}

const passwordOptions = (command: Command) =>
  command
    .option('--password-stdin', 'read the password from stdin')
    .option('--password <password>', 'the password (visible to other local users; prefer --password-stdin)');

export function registerUsers(program: Command, io: Io): void {
  const users = group(program, 'users', "a cluster's SCRAM users").alias('user');

  examples(
    passwordOptions(
      users
        .command('create')
        .description('create a SCRAM user (CreateScramUser)')
        .argument('<cluster>', 'cluster name or ARN')
        .argument('<username>', 'user name')
        .addOption(
          new Option('--mechanism <mechanism>', 'SCRAM mechanism').choices(['SCRAM-SHA-256', 'SCRAM-SHA-512']),
        ),
    ).action(
      action(io, async (ctx, [cluster, username], o) => {
        const arn = await ctx.clusterArn(cluster as string);
        const secret = await password(ctx, o);
        const user = await onScramCluster(() =>
          ctx.client.createUser(arn, {
            username: username as string,
            password: secret,
            ...(o.mechanism ? { mechanism: o.mechanism as 'SCRAM-SHA-256' } : {}),
          }),
        );
        return fields(user, [
          ['User', user.username],
          ['Mechanism', user.mechanism],
          ['Iterations', user.iterations],
        ]);
      }),
    ),
    'echo "$PASSWORD" | flo users create orders alice --password-stdin',
  );

  users
    .command('list')
    .alias('ls')
    .description('list SCRAM users (ListScramUsers)')
    .argument('<cluster>', 'cluster name or ARN')
    .action(
      action(io, async (ctx, [cluster]) => {
        const arn = await ctx.clusterArn(cluster as string);
        const list = await ctx.client.listUsers(arn);
        return table(
          { users: list },
          list,
          [
            { header: 'USER', value: (u) => u.username },
            { header: 'MECHANISM', value: (u) => u.mechanism },
            { header: 'ITERATIONS', value: (u) => u.iterations },
            { header: 'CREATED', value: (u) => u.creationTime },
          ],
          'No users.',
        );
      }),
    );

  passwordOptions(
    users
      .command('rotate')
      .description("change a user's password (RotateScramUserPassword)")
      .argument('<cluster>', 'cluster name or ARN')
      .argument('<username>', 'user name'),
  ).action(
    action(io, async (ctx, [cluster, username], o) => {
      const arn = await ctx.clusterArn(cluster as string);
      const secret = await password(ctx, o);
      const user = await onScramCluster(() => ctx.client.rotateUserPassword(arn, username as string, secret));
      return fields(user, [
        ['User', user.username],
        ['Mechanism', user.mechanism],
      ]);
    }),
  );

  users
    .command('delete')
    .alias('rm')
    .description('delete a SCRAM user (DeleteScramUser)')
    .argument('<cluster>', 'cluster name or ARN')
    .argument('<username>', 'user name')
    .action(
      action(io, async (ctx, [cluster, username]) => {
        const arn = await ctx.clusterArn(cluster as string);
        await ctx.client.deleteUser(arn, username as string);
        return fields({ username, deleted: true }, [['Deleted', username]]);
      }),
    );
}

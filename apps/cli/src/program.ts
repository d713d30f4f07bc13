/**
 * The `flo` command tree (commander). Each resource has its own file under commands/ that adds its
 * subcommands; an action returns a View and this file renders it in the chosen format. `run` is the
 * whole CLI as a function of argv and io, returning the exit code (main.ts calls it; nothing else
 * calls process.exit).
 */
import { Command, CommanderError, Option } from 'commander';
import { registerAcls } from './commands/acls.js';
import { registerClusters } from './commands/clusters.js';
import { registerCompletion } from './commands/completion.js';
import { registerConfigurations } from './commands/configurations.js';
import { registerGroups } from './commands/groups.js';
import { registerKafka } from './commands/kafka.js';
import { registerLogin } from './commands/login.js';
import { registerMonitoring } from './commands/monitoring.js';
import { registerOperations } from './commands/operations.js';
import { registerTags } from './commands/tags.js';
import { registerTopics } from './commands/topics.js';
import { registerUsers } from './commands/users.js';
import { registerVersions } from './commands/versions.js';
import { type Context, contextOf, type Io } from './context.js';
import { describeFailure, EXIT_CODES_HELP, ExitCode } from './errors.js';
import { OUTPUT_FORMATS, render, type View } from './output.js';

export type Action = (
  ctx: Context,
  args: string[],
  options: Record<string, unknown>,
  command: Command,
) => Promise<View>;

/** Wraps an action: builds its context, runs it, prints its view. */
export function action(io: Io, fn: Action): (...args: unknown[]) => Promise<void> {
  return async (...all: unknown[]) => {
    const command = all.at(-1) as Command;
    const options = all.at(-2) as Record<string, unknown>;
    const args = all.slice(0, -2).flat() as string[];
    const ctx = contextOf(command, io);
    const view = await fn(ctx, args, options, command);
    const out = render(view, ctx.format);
    if (out) io.stdout(`${out}\n`);
  };
}

/** A command group (`flo clusters`): called alone it shows its help (commander's default, exit 2). */
export function group(parent: Command, name: string, description: string): Command {
  return parent.command(name).description(description);
}

/** Examples at the end of a command's --help. */
export function examples(command: Command, ...lines: string[]): Command {
  return command.addHelpText('after', `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`);
}

export function createProgram(io: Io): Command {
  const program = new Command('flo')
    .description("Flotilla's command line: managed Kafka clusters through the Flotilla API")
    .version('0.1.0', '-V, --version')
    .option(
      '--endpoint <url>',
      "API URL (env FLOTILLA_ENDPOINT; the profile's endpoint_url; default http://127.0.0.1:8080)",
    )
    .option('--profile <name>', 'credentials profile (env FLOTILLA_PROFILE or AWS_PROFILE; default "default")')
    .option(
      '--credentials-file <path>',
      'AWS-format credentials file (default ~/.aws/credentials, then .flotilla/credentials)',
    )
    .option('--region <region>', "region in the request signature (default: the profile's, or us-east-1)")
    .addOption(new Option('-o, --output <format>', 'output format (env FLOTILLA_OUTPUT)').choices([...OUTPUT_FORMATS]))
    .option('--bearer', 'send the access key as a Bearer token instead of signing requests (SigV4)')
    .showHelpAfterError('(add --help for usage)')
    .showSuggestionAfterError(true)
    .addHelpText('after', `\n${EXIT_CODES_HELP}\n`)
    .configureOutput({
      writeOut: (s) => io.stdout(s),
      writeErr: (s) => io.stderr(s),
    })
    .exitOverride();
  registerLogin(program, io);
  registerClusters(program, io);
  registerOperations(program, io);
  registerConfigurations(program, io);
  registerTopics(program, io);
  registerAcls(program, io);
  registerUsers(program, io);
  registerGroups(program, io);
  registerKafka(program, io);
  registerMonitoring(program, io);
  registerVersions(program, io);
  registerTags(program, io);
  registerCompletion(program, io);
  // Every subcommand reports usage errors through `run` too, instead of exiting on its own.
  const override = (command: Command) => {
    for (const sub of command.commands) {
      sub.exitOverride().showHelpAfterError('(add --help for usage)');
      sub.configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });
      override(sub);
    }
  };
  override(program);
  return program;
}

/** The CLI: parses argv (without node and script), runs the command, returns the exit code. */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  const program = createProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ExitCode.OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version are successes; every other commander error (help shown for a missing
      // subcommand included) is a usage error, already printed.
      return error.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    }
    const failure = describeFailure(error);
    io.stderr(`flo: ${failure.message}\n`);
    if (failure.hint) io.stderr(`  ${failure.hint}\n`);
    return failure.exitCode;
  }
}

/**
 * `flo completion bash|zsh`: shell completion generated from the command tree itself, so it never
 * lags behind the commands. Completes commands, subcommands and options (not cluster names: that
 * would call the API on every Tab).
 */
import type { Command } from 'commander';
import type { Io } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import { text } from '../output.js';
import { action } from '../program.js';

function words(command: Command): { subcommands: string[]; options: string[] } {
  return {
    subcommands: command.commands.map((c) => c.name()),
    options: [...command.options.map((o) => o.long ?? o.short ?? ''), '--help'].filter(Boolean),
  };
}

function bashScript(program: Command): string {
  const paths: string[] = [];
  const cases: string[] = [];
  const globals = words(program).options;
  const walk = (command: Command, path: string[]) => {
    const w = words(command);
    const key = path.join(' ');
    if (path.length) paths.push(`"${key}"`);
    cases.push(
      `    "${key}") opts="${[...w.subcommands, ...w.options, ...(path.length ? globals : [])].join(' ')}" ;;`,
    );
    for (const sub of command.commands) walk(sub, [...path, sub.name()]);
  };
  walk(program, []);
  return `# flo completion for bash: source <(flo completion bash)
_flo() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" w candidate opts
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ "$w" == -* ]] && continue
    candidate="\${path:+$path }$w"
    case "$candidate" in
      ${paths.join('|')}) path="$candidate" ;;
    esac
  done
  case "$path" in
${cases.join('\n')}
    *) opts="" ;;
  esac
  COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}
complete -o default -F _flo flo
`;
}

function zshScript(program: Command): string {
  return `#compdef flo
# flo completion for zsh: source <(flo completion zsh)
autoload -U bashcompinit && bashcompinit
${bashScript(program)}`;
}

export function registerCompletion(program: Command, io: Io): void {
  program
    .command('completion')
    .description('print a shell completion script: source <(flo completion bash)')
    .argument('<shell>', 'bash or zsh')
    .action(
      action(io, async (_ctx, [shell]) => {
        if (shell === 'bash') return text(null, bashScript(program));
        if (shell === 'zsh') return text(null, zshScript(program));
        throw new CliError(`no completion for ${shell}; bash and zsh are supported`, ExitCode.USAGE);
      }),
    );
}

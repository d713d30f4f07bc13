/** What a client driver gives the capture run: its version and the scenarios it plays. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ProducedMessage, ScenarioInfo } from './manifest.js';

export interface Scenario extends Omit<ScenarioInfo, 'groups' | 'produce'> {
  readonly groups?: ScenarioInfo['groups'];
  readonly produce?: ScenarioInfo['produce'];
  /** Plays the scenario against the recorder at `bootstrap` (host:port); throws if the client failed. */
  run(bootstrap: string): Promise<void>;
}

export interface ClientDriver {
  /** Folder name under test/fixtures/golden. */
  readonly name: string;
  /** Why this client cannot run here, or null when it can. */
  unavailable(): Promise<string | null>;
  version(): Promise<string>;
  scenarios(): readonly Scenario[];
}

export const BOOTSTRAP = '$BOOTSTRAP';

export interface CommandOptions {
  readonly stdin?: string;
  /** Stop the process (SIGINT, then SIGKILL) after this long; a stopped process is not a failure. */
  readonly stopAfterMs?: number;
  /** Fail when the process runs longer than this. */
  readonly timeoutMs?: number;
}

/** Runs a command with `$BOOTSTRAP` replaced; resolves to its stdout, rejects on a non-zero exit. */
export function runCommand(
  command: readonly string[],
  bootstrap: string,
  options: CommandOptions = {},
): Promise<string> {
  const [file, ...args] = command.map((a) => a.replaceAll(BOOTSTRAP, bootstrap));
  if (!file) throw new Error('empty command');
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let stopped = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timers: NodeJS.Timeout[] = [];
    if (options.stopAfterMs !== undefined) {
      timers.push(
        setTimeout(() => {
          stopped = true;
          child.kill('SIGINT');
          timers.push(setTimeout(() => child.kill('SIGKILL'), 5000));
        }, options.stopAfterMs),
      );
    }
    timers.push(
      setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${file} ${args.join(' ')} timed out\n${stderr}`));
      }, options.timeoutMs ?? 60_000),
    );
    child.on('error', reject);
    child.on('close', (code, signal) => {
      for (const t of timers) clearTimeout(t);
      if (code === 0 || stopped) resolve(stdout);
      else reject(new Error(`${file} ${args.join(' ')} exited with ${code ?? signal}\n${stderr}`));
    });
    child.stdin.end(options.stdin ?? '');
  });
}

/** Builds a message list: `key` and `value` strings, the same headers on each. */
export function messages(
  pairs: readonly (readonly [key: string | null, value: string | null])[],
  headers: ProducedMessage['headers'] = [],
): ProducedMessage[] {
  return pairs.map(([key, value]) => ({ key, value, headers }));
}

/** The installed version of an npm package (read from its package.json, which not every package exports). */
export function packageVersion(name: string): string {
  let dir = dirname(createRequire(import.meta.url).resolve(name));
  while (!dir.endsWith(join('node_modules', name))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the folder of ${name}`);
    dir = parent;
  }
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

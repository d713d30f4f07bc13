/**
 * A real control plane for the CLI's tests, started the way `make up` starts it: the API server process
 * (apps/api/dist/server.js) and the worker process (apps/worker/dist/main.js) with brokers as local
 * processes (FLOTILLA_RUNTIME=process), on a scratch Postgres database and the local Redis under a
 * queue prefix of its own. `stop()` ends both, removes any broker a failed test left behind, and drops
 * the database.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dropDatabase, scratchDatabaseUrl } from '@flotilla/db/testing';
import { ProcessDriver } from '@flotilla/runtime';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const FLO = join(ROOT, 'apps/cli/dist/main.js');

export interface ControlPlane {
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** A directory to use as HOME and working directory: nothing of the real user's leaks in. */
  readonly home: string;
  stop(): Promise<void>;
}

function waitForLine(child: ChildProcess, pattern: RegExp, what: string, timeoutMs = 60_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start: ${out}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = pattern.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}: ${out}`));
    });
  });
}

async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

export async function startControlPlane(name: string): Promise<ControlPlane> {
  const databaseUrl = scratchDatabaseUrl(`flotilla_${name}`);
  const stateDir = mkdtempSync(join(tmpdir(), `flotilla-${name}-state-`));
  const home = mkdtempSync(join(tmpdir(), `flotilla-${name}-home-`));
  const accessKeyId = 'AKIACLITEST000000001';
  const secretAccessKey = 'cli-test-secret-0123456789abcdefghijklmnop';
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    FLOTILLA_API_PORT: '0',
    FLOTILLA_STATE_DIR: stateDir,
    FLOTILLA_QUEUE_PREFIX: `flotilla-${name}-${process.pid}`,
    FLOTILLA_RUNTIME: 'process',
    FLOTILLA_ACCESS_KEY_ID: accessKeyId,
    FLOTILLA_SECRET_ACCESS_KEY: secretAccessKey,
    FLOTILLA_LOG_LEVEL: 'warn',
  };
  // FLOTILLA_TEST_API_DIR: an API built elsewhere (a branch's build, while apps/api/dist is older).
  const apiDir = process.env.FLOTILLA_TEST_API_DIR ?? join(ROOT, 'apps/api/dist');
  const api = spawn(process.execPath, [join(apiDir, 'server.js')], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The API applies the migrations first; the worker starts after it so that they do not race.
  const [, endpoint] = (await waitForLine(api, /Flotilla API on (http:\/\/\S+)/, 'API')) as unknown as [string, string];
  const workerDir = process.env.FLOTILLA_TEST_WORKER_DIR ?? join(ROOT, 'apps/worker/dist');
  const worker = spawn(process.execPath, [join(workerDir, 'main.js')], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await waitForLine(worker, /worker ready/, 'worker');
  // Job failures explain a cluster that does not go ACTIVE: pass the worker's warnings through.
  worker.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`[worker] ${chunk}`));

  let stopping: Promise<void> | undefined;
  return {
    endpoint,
    accessKeyId,
    secretAccessKey,
    home,
    stop: () => {
      stopping ??= (async () => {
        await stopProcess(worker);
        await stopProcess(api);
        const driver = new ProcessDriver({ stateDir: join(stateDir, 'runtime') });
        for (const id of await driver.listClusters()) await driver.deleteCluster(id);
        await driver.close();
        await new Promise<void>((resolve) =>
          execFile('redis-cli', ['--scan', '--pattern', `${env.FLOTILLA_QUEUE_PREFIX}:*`], (_e, out) => {
            const keys = out.split('\n').filter(Boolean);
            if (!keys.length) return resolve();
            execFile('redis-cli', ['del', ...keys], () => resolve());
          }),
        );
        await dropDatabase(databaseUrl);
        rmSync(stateDir, { recursive: true, force: true });
        rmSync(home, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}

export interface FloResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs the built `flo` binary as a child process, in `home` as HOME and working directory. */
export function flo(
  home: string,
  args: readonly string[],
  options: { stdin?: string; env?: Record<string, string> } = {},
): Promise<FloResult> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [FLO, ...args], {
      cwd: home,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: home,
        ...options.env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr, ms: Date.now() - started }));
    child.stdin.end(options.stdin ?? '');
  });
}

/** `flo` left running (events, consume --follow): its output so far, and a way to interrupt it. */
export function floBackground(home: string, args: readonly string[]) {
  const child = spawn(process.execPath, [FLO, ...args], {
    cwd: home,
    env: { PATH: process.env.PATH ?? '', HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (c: Buffer) => {
    output.stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    output.stderr += c.toString();
  });
  const exited = new Promise<number>((resolve) => child.once('close', (code) => resolve(code ?? -1)));
  return {
    output,
    /** Resolves once stderr shows `text`. */
    async waitFor(text: string, timeoutMs = 15_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!output.stderr.includes(text)) {
        if (Date.now() > deadline || child.exitCode !== null) {
          throw new Error(`flo ${args.join(' ')} never printed "${text}": ${output.stderr}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    /** Ctrl-C, and the exit code. */
    interrupt(): Promise<number> {
      child.kill('SIGINT');
      return exited;
    },
  };
}

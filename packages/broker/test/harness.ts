/**
 * Starts the real broker binary (dist/main.js) as a child process on 127.0.0.1 with a fresh log
 * directory, waits for its ready line, and stops it with SIGTERM (or SIGKILL, to test recovery).
 * Also runs the real Kafka clients the tests drive: kcat and the two Python clients.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// FLOTILLA_BROKER_MAIN: a broker built elsewhere (a private build while the shared dist/ is being rebuilt).
const MAIN = process.env.FLOTILLA_BROKER_MAIN ?? new URL('../dist/main.js', import.meta.url).pathname;

export interface BrokerProcess {
  readonly port: number;
  readonly bootstrap: string;
  readonly logDir: string;
  readonly metricsPort: number | null;
  readonly pid: number;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function tempDir(prefix = 'flotilla-broker-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function startBrokerProcess(
  options: { logDir?: string; overrides?: Record<string, string>; port?: number } = {},
): Promise<BrokerProcess> {
  const logDir = options.logDir ?? tempDir();
  const overrides: Record<string, string> = {
    'node.id': '1',
    listeners: `PLAINTEXT://127.0.0.1:${options.port ?? 0}`,
    'log.dirs': logDir,
    'offsets.topic.replication.factor': '1',
    'offsets.topic.num.partitions': '5',
    'group.initial.rebalance.delay.ms': '0',
    ...options.overrides,
  };
  const args = [MAIN, ...Object.entries(overrides).flatMap(([k, v]) => ['--override', `${k}=${v}`])];
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = await new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`broker did not start in 20 s:\n${out}`)), 20_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = out.match(
        /started \(cluster \S+\) listening on PLAINTEXT:\/\/127\.0\.0\.1:(\d+)(?:, metrics on port (\d+))?/,
      );
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`broker exited with ${code} before it was ready:\n${out}`));
    });
  });
  const port = Number(ready[1]);
  return {
    port,
    bootstrap: `127.0.0.1:${port}`,
    logDir,
    metricsPort: ready[2] ? Number(ready[2]) : null,
    pid: child.pid as number,
    output: () => out,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Runs a command with input; resolves with stdout, rejects with stderr on a non-zero exit. */
export function run(cmd: string, args: readonly string[], input?: string, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin?.end(input);
    else child.stdin?.end();
  });
}

/** Runs a Python script with Debian's python3 (kafka-python, confluent-kafka). */
export function python(script: string, timeoutMs = 60_000): Promise<string> {
  return run('/usr/bin/python3', ['-c', script], undefined, timeoutMs);
}

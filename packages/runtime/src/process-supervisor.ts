/**
 * The ProcessDriver's per-broker supervisor: what the Docker engine does for a container, for a broker
 * running as a local process. Started detached (its own session), so it and the broker outlive the
 * control plane that started them; everything the driver needs to find them again is in the broker's
 * directory:
 *
 *   spec.json       the BrokerSpec (written by the driver)
 *   run.json        written here: state, pids, start/finish times, exit code, restart count
 *   stop-requested  written by the driver before it stops or kills the broker (Docker's "manually
 *                   stopped"): the exit is final; any other exit is a crash and the broker is restarted
 *                   after a back-off, as Docker's `unless-stopped` restart policy does
 *   broker.log      the broker's stdout and stderr
 *
 * usage: node process-supervisor.js BROKER_DIR NODE_BINARY BROKER_MAIN
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { brokerArgs, heapLimitMiB } from './docker-spec.js';
import type { BrokerSpec } from './driver.js';

/** What run.json holds. */
export interface ProcessRunState {
  readonly state: 'running' | 'restarting' | 'exited';
  readonly supervisorPid: number;
  readonly brokerPid: number | null;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly exitCode: number | null;
  readonly restartCount: number;
}

export const RUN_FILE = 'run.json';
export const SPEC_FILE = 'spec.json';
export const STOP_FILE = 'stop-requested';
export const LOG_FILE = 'broker.log';

/** Writes run.json atomically, so a reader never sees half a file. */
export function writeRunState(dir: string, state: ProcessRunState): void {
  const tmp = join(dir, `${RUN_FILE}.${process.pid}.tmp`);
  writeFileSync(tmp, JSON.stringify(state));
  renameSync(tmp, join(dir, RUN_FILE));
}

/** Shell convention for an exit by signal: 128 + its number (SIGKILL 137, SIGTERM 143), as Docker reports. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number | null {
  if (code !== null) return code;
  if (signal) return 128 + (constants.signals[signal] ?? 0);
  return null;
}

function supervise(dir: string, nodeBinary: string, brokerMain: string): void {
  let restartCount = 0;
  let child: ChildProcess | null = null;
  let startedAt: string | null = null;

  const launch = () => {
    const spec = JSON.parse(readFileSync(join(dir, SPEC_FILE), 'utf8')) as BrokerSpec;
    const log = openSync(join(dir, LOG_FILE), 'a');
    const { FLOTILLA_SUPERVISOR: _, ...env } = process.env;
    child = spawn(nodeBinary, [brokerMain, ...brokerArgs(spec.config)], {
      cwd: dir,
      stdio: ['ignore', log, log],
      env: { ...env, NODE_OPTIONS: `--max-old-space-size=${heapLimitMiB(spec.limits.memoryBytes)}` },
    });
    startedAt = new Date().toISOString();
    const pid = child.pid ?? null;
    writeRunState(dir, {
      state: 'running',
      supervisorPid: process.pid,
      brokerPid: pid,
      startedAt,
      finishedAt: null,
      exitCode: null,
      restartCount,
    });
    child.once('exit', (code, signal) => {
      const finishedAt = new Date().toISOString();
      const exitCode = exitCodeOf(code, signal);
      const stopped = existsSync(join(dir, STOP_FILE));
      writeRunState(dir, {
        state: stopped ? 'exited' : 'restarting',
        supervisorPid: process.pid,
        brokerPid: null,
        startedAt,
        finishedAt,
        exitCode,
        restartCount,
      });
      if (stopped) process.exit(0);
      // A crash: come back after a back-off that grows with repeated crashes, as Docker's does.
      restartCount++;
      setTimeout(launch, Math.min(10_000, 250 * 2 ** Math.min(restartCount, 6)));
    });
  };

  // Stopping the supervisor stops the broker for good.
  const stop = (signal: NodeJS.Signals) => {
    writeFileSync(join(dir, STOP_FILE), signal);
    if (child && child.exitCode === null && child.signalCode === null) child.kill(signal);
    else process.exit(0);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  launch();
}

const [dir, nodeBinary, brokerMain] = process.argv.slice(2);
if (dir && nodeBinary && brokerMain && process.env.FLOTILLA_SUPERVISOR === '1') {
  supervise(dir, nodeBinary, brokerMain);
}

/**
 * ProcessDriver: brokers as local processes, for machines where no Docker engine runs. Same interface
 * and the same conformance tests as the DockerDriver, with these differences:
 *   - no cluster network: every listener of every broker is on 127.0.0.1 with its own port
 *     (addressing 'loopback'), so the spec builders give each broker four ports;
 *   - a "volume" is a data directory under the state directory, kept when the broker is removed unless
 *     asked otherwise, so a replaced broker keeps its log as it does with a Docker volume;
 *   - CPU and memory limits are not enforced by the OS: memory bounds Node's heap
 *     (--max-old-space-size), CPU is recorded only;
 *   - each broker runs under a small detached supervisor (process-supervisor.ts) that restarts it after
 *     a crash and records its state in files, so a restarted control plane finds its brokers again.
 *
 * Layout: STATE_DIR/<clusterId>/cluster.json, STATE_DIR/<clusterId>/broker-<nodeId>/{spec.json, run.json,
 * broker.log, supervisor.log, data/}.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { access, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { missingStatus } from './docker-driver.js';
import { formatArgs } from './docker-spec.js';
import {
  type BrokerHealth,
  type BrokerRef,
  type BrokerSpec,
  type BrokerStats,
  type BrokerStatus,
  type FormatOptions,
  type LogOptions,
  type NetworkInfo,
  networkName,
  type RemoveOptions,
  type RuntimeDriver,
  RuntimeError,
  type StopOptions,
  type VolumeInfo,
  volumeName,
} from './driver.js';
import { freeLoopbackPorts } from './ports.js';
import { LOG_FILE, type ProcessRunState, RUN_FILE, SPEC_FILE, STOP_FILE, writeRunState } from './process-supervisor.js';

export interface ProcessDriverOptions {
  /** Where clusters live; default FLOTILLA_STATE_DIR or ./.flotilla/runtime. */
  readonly stateDir?: string;
  /** The broker's entry point; default FLOTILLA_BROKER_MAIN or packages/broker/dist/main.js. */
  readonly brokerMain?: string;
  /** The Node binary that runs brokers; default this process's. */
  readonly nodeBinary?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Health and start-up grace, as the image's HEALTHCHECK (start period 30 s). */
const START_PERIOD_MS = 30_000;

function alive(pid: number | null | undefined, marker: string): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // The pid may have been reused by an unrelated process since the file was written.
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (cmdline.includes(marker)) return !isZombie(pid);
    return false;
  } catch {
    return true; // no /proc (not Linux): trust kill(0)
  }
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

function tcpAnswers(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, timeout: timeoutMs });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

async function dirSize(path: string): Promise<number> {
  let total = 0;
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(path, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(path, e.name);
    if (e.isDirectory()) total += await dirSize(p);
    else if (e.isFile()) total += (await stat(p).catch(() => ({ blocks: 0 }))).blocks * 512;
  }
  return total;
}

/** utime + stime of a process, in clock ticks, from /proc/PID/stat. */
function cpuTicks(pid: number): number {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

export class ProcessDriver implements RuntimeDriver {
  readonly kind = 'process' as const;
  readonly addressing = 'loopback' as const;
  readonly stateDir: string;
  private readonly brokerMain: string;
  private readonly nodeBinary: string;

  constructor(options: ProcessDriverOptions = {}) {
    this.stateDir = resolve(options.stateDir ?? process.env.FLOTILLA_STATE_DIR ?? join('.flotilla', 'runtime'));
    this.brokerMain = resolve(
      options.brokerMain ??
        process.env.FLOTILLA_BROKER_MAIN ??
        fileURLToPath(new URL('../../broker/dist/main.js', import.meta.url)),
    );
    this.nodeBinary = options.nodeBinary ?? process.execPath;
  }

  async ping(): Promise<void> {
    try {
      await mkdir(this.stateDir, { recursive: true });
      await access(this.brokerMain);
    } catch (e) {
      throw new RuntimeError('RUNTIME_UNAVAILABLE', `process runtime not usable: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }

  reservePorts(count: number): Promise<number[]> {
    return freeLoopbackPorts(count);
  }

  /** Where a broker's data directory is; pass to buildClusterPlan as dataRoot. */
  dataPath(ref: BrokerRef): string {
    return join(this.brokerDir(ref), 'data');
  }

  async ensureNetwork(clusterId: string): Promise<NetworkInfo> {
    const dir = this.clusterDir(clusterId);
    await mkdir(dir, { recursive: true });
    const file = join(dir, 'cluster.json');
    if (!existsSync(file)) await writeFile(file, JSON.stringify({ clusterId, createdAt: new Date().toISOString() }));
    return { clusterId, id: dir, name: networkName(clusterId) };
  }

  async ensureVolume(ref: BrokerRef): Promise<VolumeInfo> {
    await this.ensureNetwork(ref.clusterId);
    const path = this.dataPath(ref);
    await mkdir(path, { recursive: true });
    return { clusterId: ref.clusterId, nodeId: ref.nodeId, name: volumeName(ref), path };
  }

  async createBroker(spec: BrokerSpec): Promise<BrokerStatus> {
    const existing = await this.inspectBroker(spec);
    if (existing.state !== 'missing') return existing;
    await this.ensureVolume(spec);
    const dir = this.brokerDir(spec);
    if (!spec.config['log.dirs']?.startsWith(this.dataPath(spec))) {
      throw new RuntimeError(
        'INVALID_SPEC',
        `log.dirs ${spec.config['log.dirs']} is not in ${this.dataPath(spec)} (build the plan with dataRoot: driver.dataPath)`,
      );
    }
    // Owner-only: a secured cluster's spec holds the broker's private key.
    await writeFile(join(dir, SPEC_FILE), JSON.stringify(spec, null, 2), { mode: 0o600 });
    return this.inspectBroker(spec);
  }

  async startBroker(ref: BrokerRef): Promise<BrokerStatus> {
    const current = await this.inspectBroker(ref);
    if (current.state === 'missing') throw this.notFound(ref);
    if (current.state === 'running' || current.state === 'restarting') return current;
    const dir = this.brokerDir(ref);
    await rm(join(dir, STOP_FILE), { force: true });
    await rm(join(dir, RUN_FILE), { force: true });
    const { file, execArgv } = supervisorEntry();
    const out = await import('node:fs').then((fs) => fs.openSync(join(dir, 'supervisor.log'), 'a'));
    const child = spawn(this.nodeBinary, [...execArgv, file, dir, this.nodeBinary, this.brokerMain], {
      detached: true,
      stdio: ['ignore', out, out],
      env: { ...process.env, FLOTILLA_SUPERVISOR: '1' },
    });
    child.unref();
    for (let i = 0; i < 100; i++) {
      const run = this.readRun(ref);
      if (run && run.supervisorPid === child.pid) return this.inspectBroker(ref);
      if (child.exitCode !== null) break;
      await sleep(50);
    }
    const log = await readFile(join(dir, 'supervisor.log'), 'utf8').catch(() => '');
    throw new RuntimeError(
      'BROKER_START_FAILED',
      `supervisor for ${this.label(ref)} did not start:\n${log.slice(-2000)}`,
    );
  }

  async stopBroker(ref: BrokerRef, options: StopOptions = {}): Promise<BrokerStatus> {
    return this.signalAndWait(ref, 'SIGTERM', options.timeoutMs ?? 30_000);
  }

  async killBroker(ref: BrokerRef, signal: NodeJS.Signals = 'SIGKILL'): Promise<BrokerStatus> {
    return this.signalAndWait(ref, signal, signal === 'SIGKILL' ? 5_000 : 0);
  }

  async removeBroker(ref: BrokerRef, options: RemoveOptions = {}): Promise<void> {
    const dir = this.brokerDir(ref);
    if (!existsSync(dir)) return;
    if (existsSync(join(dir, SPEC_FILE))) await this.signalAndWait(ref, 'SIGKILL', 5_000);
    if (options.removeVolume) {
      await rm(dir, { recursive: true, force: true });
      return;
    }
    for (const f of [SPEC_FILE, RUN_FILE, STOP_FILE, LOG_FILE, 'supervisor.log']) {
      await rm(join(dir, f), { force: true });
    }
  }

  async inspectBroker(ref: BrokerRef): Promise<BrokerStatus> {
    const spec = await this.brokerSpec(ref);
    if (!spec) return missingStatus(ref);
    const run = this.readRun(ref);
    const dir = this.brokerDir(ref);
    const base = {
      clusterId: ref.clusterId,
      nodeId: ref.nodeId,
      image: `process:${this.brokerMain}`,
      kafkaVersion: spec.kafkaVersion,
    };
    if (!run) {
      return {
        ...base,
        id: 'process:-',
        state: 'created',
        health: 'none',
        exitCode: null,
        startedAt: null,
        finishedAt: null,
        ports: null,
        restartCount: 0,
      };
    }
    const brokerUp = alive(run.brokerPid, dir);
    const supervisorUp = alive(run.supervisorPid, dir);
    let state: BrokerStatus['state'];
    let exitCode = run.exitCode;
    let finishedAt = run.finishedAt ? new Date(run.finishedAt) : null;
    if (run.state === 'running' && brokerUp) state = 'running';
    else if (run.state === 'restarting' && supervisorUp) state = 'restarting';
    else if (run.state === 'exited') state = 'exited';
    else {
      // Both gone without a record of the exit (the host rebooted, or someone killed the supervisor and
      // the broker): Docker's `dead`, exit unknown.
      state = 'dead';
      exitCode = run.exitCode;
      finishedAt ??= null;
    }
    let health: BrokerHealth = 'none';
    const startedAt = run.startedAt ? new Date(run.startedAt) : null;
    if (state === 'running') {
      if (await tcpAnswers(spec.ports.kafka)) health = 'healthy';
      else health = startedAt && Date.now() - startedAt.getTime() < START_PERIOD_MS ? 'starting' : 'unhealthy';
    }
    return {
      ...base,
      id: `process:${state === 'running' ? run.brokerPid : '-'}`,
      state,
      health,
      exitCode: state === 'running' ? null : exitCode,
      startedAt,
      finishedAt: state === 'running' ? null : finishedAt,
      ports: state === 'running' ? spec.ports : spec.ports,
      restartCount: run.restartCount,
    };
  }

  async formatBroker(spec: BrokerSpec, options: FormatOptions): Promise<void> {
    await this.ensureVolume(spec);
    const child = spawn(this.nodeBinary, [this.brokerMain, ...formatArgs(spec, options.addScram)], {
      cwd: this.brokerDir(spec),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (b: Buffer) => {
      output += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      output += b.toString();
    });
    const code = await new Promise<number | null>((resolveExit, reject) => {
      child.once('error', reject);
      child.once('close', (exit) => resolveExit(exit));
    });
    if (code !== 0) {
      throw new RuntimeError(
        'BROKER_START_FAILED',
        `formatting ${this.label(spec)} failed (exit code ${code}): ${output.trim().slice(-2000)}`,
      );
    }
  }

  async brokerSpec(ref: BrokerRef): Promise<BrokerSpec | null> {
    try {
      return JSON.parse(await readFile(join(this.brokerDir(ref), SPEC_FILE), 'utf8')) as BrokerSpec;
    } catch {
      return null;
    }
  }

  async logs(ref: BrokerRef, options: LogOptions = {}): Promise<string> {
    if (!(await this.brokerSpec(ref))) throw this.notFound(ref);
    const text = await readFile(join(this.brokerDir(ref), LOG_FILE), 'utf8').catch(() => '');
    let lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    if (options.since) {
      // Broker lines start with "[YYYY-MM-DD HH:MM:SS.mmm]" in UTC; a line without one goes with the previous.
      const since = options.since.getTime();
      let keep = false;
      lines = lines.filter((line) => {
        const m = /^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})\]/.exec(line);
        if (m) keep = Date.parse(`${(m[1] as string).replace(' ', 'T')}Z`) >= since;
        return keep;
      });
    }
    const tail = options.tail ?? 200;
    return lines
      .slice(-tail)
      .map((l) => `${l}\n`)
      .join('');
  }

  async stats(ref: BrokerRef): Promise<BrokerStats> {
    const spec = await this.brokerSpec(ref);
    if (!spec) throw this.notFound(ref);
    const run = this.readRun(ref);
    const pid = run?.brokerPid;
    let cpuPercent = 0;
    let memoryBytes = 0;
    if (pid && alive(pid, this.brokerDir(ref))) {
      try {
        // Two samples a second apart, like `docker stats`; 100 clock ticks per second on Linux.
        const t0 = cpuTicks(pid);
        const w0 = Date.now();
        await sleep(1000);
        const ticks = cpuTicks(pid) - t0;
        cpuPercent = ((ticks / 100) * 1000 * 100) / (Date.now() - w0);
        memoryBytes = rssBytes(pid);
      } catch {
        // exited while sampling
      }
    }
    return {
      clusterId: ref.clusterId,
      nodeId: ref.nodeId,
      cpuPercent,
      memoryBytes,
      memoryLimitBytes: spec.limits.memoryBytes,
      diskUsedBytes: await dirSize(this.dataPath(ref)),
    };
  }

  async listBrokers(clusterId?: string): Promise<BrokerStatus[]> {
    const clusters = clusterId ? [clusterId] : await this.listClusters();
    const out: BrokerStatus[] = [];
    for (const c of clusters) {
      const entries = await readdir(this.clusterDir(c)).catch(() => [] as string[]);
      for (const e of entries) {
        const m = /^broker-(\d+)$/.exec(e);
        if (!m) continue;
        const status = await this.inspectBroker({ clusterId: c, nodeId: Number(m[1]) });
        if (status.state !== 'missing') out.push(status);
      }
    }
    return out.sort((a, b) => a.clusterId.localeCompare(b.clusterId) || a.nodeId - b.nodeId);
  }

  async listClusters(): Promise<string[]> {
    const entries = await readdir(this.stateDir, { withFileTypes: true }).catch(() => []);
    return entries
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  }

  async deleteCluster(clusterId: string): Promise<void> {
    // A supervisor caught between a crash and its restart can still write its run state while the
    // directory goes (rm then fails with ENOTEMPTY): stop and remove again until nothing is left.
    for (let attempt = 0; ; attempt++) {
      const entries = await readdir(this.clusterDir(clusterId)).catch(() => [] as string[]);
      for (const e of entries) {
        const m = /^broker-(\d+)$/.exec(e);
        if (m) await this.removeBroker({ clusterId, nodeId: Number(m[1]) }, { removeVolume: true });
      }
      try {
        await rm(this.clusterDir(clusterId), { recursive: true, force: true });
        return;
      } catch (error) {
        if (attempt >= 4) throw error;
        await sleep(200);
      }
    }
  }

  async close(): Promise<void> {
    // Brokers and supervisors are detached; nothing is held.
  }

  private clusterDir(clusterId: string): string {
    return join(this.stateDir, clusterId);
  }

  private brokerDir(ref: BrokerRef): string {
    return join(this.clusterDir(ref.clusterId), `broker-${ref.nodeId}`);
  }

  private label(ref: BrokerRef): string {
    return `broker ${ref.nodeId} of ${ref.clusterId}`;
  }

  private notFound(ref: BrokerRef): RuntimeError {
    return new RuntimeError('BROKER_NOT_FOUND', `no ${this.label(ref)} in ${this.stateDir}`);
  }

  private readRun(ref: BrokerRef): ProcessRunState | null {
    try {
      return JSON.parse(readFileSync(join(this.brokerDir(ref), RUN_FILE), 'utf8')) as ProcessRunState;
    } catch {
      return null;
    }
  }

  /**
   * Marks the stop as requested (the supervisor will not restart), signals the broker, waits up to
   * `timeoutMs` for it to exit, then SIGKILLs it. Kills the supervisor too if it is somehow left.
   */
  private async signalAndWait(ref: BrokerRef, signal: NodeJS.Signals, timeoutMs: number): Promise<BrokerStatus> {
    const dir = this.brokerDir(ref);
    if (!existsSync(join(dir, SPEC_FILE))) throw this.notFound(ref);
    const run = this.readRun(ref);
    if (!run) return this.inspectBroker(ref);
    const brokerUp = alive(run.brokerPid, dir);
    const supervisorUp = alive(run.supervisorPid, dir);
    if (!brokerUp && !supervisorUp) return this.inspectBroker(ref);
    await writeFile(join(dir, STOP_FILE), signal);
    if (brokerUp && run.brokerPid) process.kill(run.brokerPid, signal);
    else if (supervisorUp) process.kill(run.supervisorPid, 'SIGTERM'); // restarting: stop the back-off
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && (alive(run.brokerPid, dir) || alive(run.supervisorPid, dir))) await sleep(50);
    if (alive(run.brokerPid, dir) && run.brokerPid) {
      process.kill(run.brokerPid, 'SIGKILL');
      for (let i = 0; i < 100 && alive(run.brokerPid, dir); i++) await sleep(50);
    }
    for (let i = 0; i < 40 && alive(run.supervisorPid, dir); i++) await sleep(50);
    if (alive(run.supervisorPid, dir)) {
      process.kill(run.supervisorPid, 'SIGKILL');
      for (let i = 0; i < 100 && alive(run.supervisorPid, dir); i++) await sleep(50);
    }
    const after = this.readRun(ref);
    if (after && after.state !== 'exited') {
      // The supervisor did not get to record the exit (it was killed): record what we know.
      writeRunState(dir, { ...after, state: 'exited', brokerPid: null, finishedAt: new Date().toISOString() });
    }
    return this.inspectBroker(ref);
  }
}

/**
 * How to run the supervisor: the compiled dist/process-supervisor.js, or, when this module runs from
 * its TypeScript source (tests, tsx), the .ts file through tsx's loader.
 */
function supervisorEntry(): { file: string; execArgv: string[] } {
  const js = fileURLToPath(new URL('./process-supervisor.js', import.meta.url));
  if (existsSync(js)) return { file: js, execArgv: [] };
  const ts = fileURLToPath(new URL('./process-supervisor.ts', import.meta.url));
  const tsx = createRequire(import.meta.url).resolve('tsx/esm');
  return { file: ts, execArgv: ['--import', pathToFileURL(tsx).href] };
}

/**
 * Starts the real broker binary (dist/main.js) as a child process on 127.0.0.1 with a fresh log
 * directory, waits for its ready line, and stops it with SIGTERM (or SIGKILL, to test recovery).
 * Also runs the real Kafka clients the tests drive: kcat and the two Python clients.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Connection, connect } from '@flotilla/protocol';
import { afterAll, beforeAll } from 'vitest';

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
    // Generous: on a loaded 2-core machine a quorum election alone has taken over 15 s.
    const timer = setTimeout(() => reject(new Error(`broker did not start in 60 s:\n${out}`)), 60_000);
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
    // Other listeners (CONTROLLER) may come between the first one and the metrics port.
    metricsPort: ready[2] ? Number(ready[2]) : Number(/metrics on port (\d+)/.exec(out)?.[1] ?? Number.NaN) || null,
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

/**
 * For a describe block: a broker process with a fresh log directory and `overrides`, and a protocol
 * connection to it, both made in `beforeAll` (before the block's own) and closed, stopped and removed in
 * `afterAll` (after the block's own).
 */
export function useConnectedBroker(
  overrides: Record<string, string> = {},
  clientId = 'flotilla-test',
): () => { broker: BrokerProcess; conn: Connection } {
  let started: { broker: BrokerProcess; conn: Connection } | undefined;
  let dir: string | undefined;
  beforeAll(async () => {
    dir = tempDir();
    const broker = await startBrokerProcess({ logDir: dir, overrides });
    started = { broker, conn: await connect({ host: '127.0.0.1', port: broker.port, clientId }) };
  });
  afterAll(async () => {
    await started?.conn.close();
    await started?.broker.stop();
    if (dir) removeDir(dir);
  });
  return () => {
    if (!started) throw new Error('the broker has not started (useConnectedBroker registers a beforeAll)');
    return started;
  };
}

/**
 * Asks `probe` every `intervalMs` until `done` holds of its answer or `timeoutMs` passes; returns the last
 * answer, for the caller to assert on. (expect.poll needs vitest's current-test state, which it.each
 * cells have been seen to lose: "expect.poll() must be called inside a test".)
 */
export async function settle<T>(
  probe: () => T | Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 10_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Ports free right now on 127.0.0.1 (bound to port 0 and released). */
export async function freePorts(count: number): Promise<number[]> {
  const { createServer } = await import('node:net');
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<import('node:net').Server>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as import('node:net').AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** One node of a KRaft-style cluster: combined broker and controller roles, fixed ports, its own log dir. */
export interface QuorumNode {
  readonly id: number;
  readonly port: number;
  readonly controllerPort: number;
  readonly logDir: string;
  process: BrokerProcess | null;
}

export interface QuorumCluster {
  readonly nodes: QuorumNode[];
  readonly voters: string;
  /** Starts (or restarts, same ports and log dir) the given nodes and waits until each is ready. */
  start(ids?: readonly number[]): Promise<void>;
  stop(id: number, signal?: NodeJS.Signals): Promise<void>;
  node(id: number): QuorumNode;
  bootstrap(id: number): string;
  close(): Promise<void>;
}

/**
 * A cluster of `size` nodes on 127.0.0.1, each with process.roles=broker,controller and voters
 * 1..size, started together (a broker is ready only once a quorum leader exists); `brokerOnly` more
 * nodes with process.roles=broker follow the quorum as observers.
 */
export async function quorumCluster(
  size = 3,
  overrides: Record<string, string> = {},
  options: { brokerOnly?: number } = {},
): Promise<QuorumCluster> {
  const total = size + (options.brokerOnly ?? 0);
  const ports = await freePorts(total * 2);
  const nodes: QuorumNode[] = Array.from({ length: total }, (_, i) => ({
    id: i + 1,
    port: ports[2 * i] as number,
    controllerPort: ports[2 * i + 1] as number,
    logDir: tempDir('flotilla-quorum-'),
    process: null,
  }));
  const voters = nodes
    .slice(0, size)
    .map((n) => `${n.id}@127.0.0.1:${n.controllerPort}`)
    .join(',');
  const node = (id: number) => {
    const n = nodes.find((x) => x.id === id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  };
  const startOne = async (n: QuorumNode) => {
    const voter = n.id <= size;
    n.process = await startBrokerProcess({
      logDir: n.logDir,
      overrides: {
        'node.id': String(n.id),
        // Nodes past `size` are brokers only: observers of the quorum, without a CONTROLLER listener.
        'process.roles': voter ? 'broker,controller' : 'broker',
        listeners: voter
          ? `PLAINTEXT://127.0.0.1:${n.port},CONTROLLER://127.0.0.1:${n.controllerPort}`
          : `PLAINTEXT://127.0.0.1:${n.port}`,
        'controller.listener.names': 'CONTROLLER',
        'inter.broker.listener.name': 'PLAINTEXT',
        'controller.quorum.voters': voters,
        'controller.quorum.election.timeout.ms': '500',
        'controller.quorum.fetch.timeout.ms': '1000',
        'broker.heartbeat.interval.ms': '250',
        'broker.session.timeout.ms': '2000',
        'offsets.topic.replication.factor': '3',
        'cluster.id': 'quorum-test-cluster-0000',
        ...overrides,
      },
    });
  };
  return {
    nodes,
    voters,
    node,
    bootstrap: (id) => `127.0.0.1:${node(id).port}`,
    async start(ids = nodes.map((n) => n.id)) {
      await Promise.all(ids.map((id) => startOne(node(id))));
    },
    async stop(id, signal = 'SIGTERM') {
      const n = node(id);
      await n.process?.stop(signal);
      n.process = null;
    },
    async close() {
      await Promise.all(nodes.map((n) => n.process?.stop('SIGKILL')));
      for (const n of nodes) removeDir(n.logDir);
    },
  };
}

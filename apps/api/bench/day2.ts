/**
 * Day-2 figures (issue 7, "make bench"), printed, nothing asserted. On a 3-broker cluster made through
 * the API and run by the ProcessDriver (BENCH_RUNTIME=docker for Docker), with a topic `bulk` (12
 * partitions, RF 3) filled first by kcat:
 *   (a) the duration of UpdateClusterKafkaVersion 3.8.x -> 3.9.x, a rolling restart of the 3 brokers;
 *   (b) the duration of UpdateBrokerCount 3 -> 6, whose partition moves copy at least BENCH_MOVE_MIB
 *       (default 1024) onto the new brokers (the fill is 2/3 of it: with RF 3 going from 3 to 6 brokers,
 *       half of its replicas would move, 3 x fill / 2; the rebalance evens replica counts over all
 *       topics, not bytes, so more of `bulk` may move), measured from DescribeLogDirs of brokers 4-6;
 *   (c) during each, and for a quiet baseline, a steady acks=all idempotent kafkajs producer (one
 *       message at a time, 10 ms apart) to `steady` (6 partitions, RF 3, min.insync.replicas 2): p50,
 *       p99 and max per-message ack latency, the longest gap between two acks, and produce errors.
 * The worker runs with its default reassignment throttle (50 MiB/s per broker) unless
 * FLOTILLA_REASSIGN_THROTTLE_BYTES says otherwise. Uses a scratch database and its own queue prefix;
 * deletes the cluster and every directory it made.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateClusterV2Command,
  DescribeClusterOperationV2Command,
  DescribeClusterV2Command,
  GetBootstrapBrokersCommand,
  KafkaClient,
  UpdateBrokerCountCommand,
  UpdateClusterKafkaVersionCommand,
} from '@aws-sdk/client-kafka';
import { createCatalog } from '@flotilla/db';
import { dropDatabase, scratchDatabaseUrl } from '@flotilla/db/testing';
import { ApiKey, connect } from '@flotilla/protocol';
import { createRuntimeDriver, type RuntimeKind } from '@flotilla/runtime';
import { OperationsWorker } from '@flotilla/worker';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { loadConfig } from '../src/config.js';
import { buildApi } from '../src/start.js';

const MOVE_MIB = Number(process.env.BENCH_MOVE_MIB ?? 1024);
const FILL_BYTES = Math.round(((MOVE_MIB * 2 ** 20) / 3) * 2);
const RECORD_BYTES = 1000;
const databaseUrl = scratchDatabaseUrl('flotilla_bench_day2');
const stateDir = mkdtempSync(join(tmpdir(), 'flotilla-bench-day2-'));
const queuePrefix = `flotilla-bench-day2-${process.pid}`;
const quiet = {
  info() {},
  warn: (m: string, f?: Record<string, unknown>) => console.warn(m, f),
  error: (m: string, f?: Record<string, unknown>) => console.error(m, f),
};

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Per-message results of the steady producer, cut into phases. */
interface Ack {
  readonly sentAt: number;
  readonly ackedAt: number;
}
class SteadyProducer {
  readonly acks: Ack[] = [];
  readonly errors: { at: number; message: string }[] = [];
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly kafka: Kafka) {}

  async start(): Promise<void> {
    const producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 2_000 },
    });
    await producer.connect();
    this.loop = (async () => {
      for (let n = 0; !this.stopped; n++) {
        const sentAt = performance.now();
        try {
          await producer.send({ topic: 'steady', acks: -1, messages: [{ key: String(n), value: `steady-${n}` }] });
          this.acks.push({ sentAt, ackedAt: performance.now() });
        } catch (e) {
          this.errors.push({ at: performance.now(), message: (e as Error).message });
        }
        await new Promise((r) => setTimeout(r, 10));
      }
      await producer.disconnect();
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  /** Latency percentiles, longest gap between acks and errors between `from` and `to` (performance.now()). */
  figures(from: number, to: number) {
    const acks = this.acks.filter((a) => a.ackedAt >= from && a.ackedAt <= to);
    const latencies = acks.map((a) => a.ackedAt - a.sentAt).sort((a, b) => a - b);
    const pct = (q: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
    let gap = 0;
    let last = from;
    for (const a of acks) {
      gap = Math.max(gap, a.ackedAt - last);
      last = a.ackedAt;
    }
    gap = Math.max(gap, to - last);
    return {
      acks: acks.length,
      p50: pct(0.5),
      p99: pct(0.99),
      max: latencies.at(-1) ?? Number.NaN,
      gap,
      errors: this.errors.filter((e) => e.at >= from && e.at <= to).length,
    };
  }
}

/** Streams `bytes` of incompressible 1000-byte records into `topic` through kcat (acks=1, batched). */
function fill(bootstrap: string, topic: string, bytes: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const kcat = spawn(
      'kcat',
      ['-b', bootstrap, '-P', '-t', topic, '-X', 'acks=1', '-X', 'linger.ms=20', '-X', 'batch.size=1000000'],
      { stdio: ['pipe', 'ignore', 'pipe'] },
    );
    let stderr = '';
    kcat.stderr.on('data', (d) => {
      stderr += d;
    });
    kcat.once('error', reject);
    kcat.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`kcat exited ${code}: ${stderr}`))));
    const pool = randomBytes(2 ** 20).toString('hex'); // 2 MiB of hex digits to cut records from
    let written = 0;
    const write = () => {
      while (written < bytes) {
        const lines: string[] = [];
        for (let i = 0; i < 1024 && written < bytes; i++, written += RECORD_BYTES + 1) {
          const at = Math.floor(Math.random() * (pool.length - RECORD_BYTES));
          lines.push(pool.slice(at, at + RECORD_BYTES));
        }
        if (!kcat.stdin.write(`${lines.join('\n')}\n`)) {
          kcat.stdin.once('drain', write);
          return;
        }
      }
      kcat.stdin.end();
    };
    write();
  });
}

/** Bytes of partition logs held by broker `nodeId` (DescribeLogDirs). */
async function logBytes(host: string, port: number): Promise<number> {
  const conn = await connect({ host, port, clientId: 'bench-day2' });
  try {
    const response = await conn.request(ApiKey.DescribeLogDirs, { topics: null });
    let total = 0;
    for (const dir of response.results)
      for (const t of dir.topics) for (const p of t.partitions) total += Number(p.partitionSize);
    return total;
  } finally {
    await conn.close();
  }
}

const config = loadConfig({
  ...process.env,
  DATABASE_URL: databaseUrl,
  FLOTILLA_STATE_DIR: stateDir,
  FLOTILLA_QUEUE_PREFIX: queuePrefix,
});
const api = await buildApi(config);
const endpoint = await api.fastify.listen({ host: '127.0.0.1', port: 0 });
const runtime = (process.env.BENCH_RUNTIME as RuntimeKind | undefined) ?? 'process';
const driver = await createRuntimeDriver({ runtime, process: { stateDir: join(stateDir, 'runtime') } });
const workerCatalog = createCatalog({ url: databaseUrl });
const throttle = process.env.FLOTILLA_REASSIGN_THROTTLE_BYTES;
const worker = new OperationsWorker({
  catalog: workerCatalog,
  driver,
  redisUrl: config.redisUrl,
  queuePrefix,
  log: quiet,
  reassignThrottleBytes: throttle ? Number(throttle) : undefined,
});
await worker.start();
const msk = new KafkaClient({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: api.adminKey.accessKeyId, secretAccessKey: api.adminKey.secretAccessKey },
});
let steady: SteadyProducer | undefined;

try {
  const created = await msk.send(
    new CreateClusterV2Command({
      ClusterName: 'bench-day2',
      Provisioned: {
        KafkaVersion: '3.8.x',
        NumberOfBrokerNodes: 3,
        BrokerNodeGroupInfo: {
          InstanceType: 'kafka.m5.xlarge',
          ClientSubnets: ['subnet-a'],
          StorageInfo: { EbsStorageInfo: { VolumeSize: 20 } },
        },
      },
    }),
  );
  const clusterArn = created.ClusterArn as string;
  const describe = () => msk.send(new DescribeClusterV2Command({ ClusterArn: clusterArn }));
  await until(
    'ACTIVE',
    async () => {
      const d = await describe();
      if (d.ClusterInfo?.State === 'FAILED') throw new Error(`FAILED: ${d.ClusterInfo.StateInfo?.Message}`);
      return d.ClusterInfo?.State === 'ACTIVE' ? true : undefined;
    },
    180_000,
  );
  const bootstrap = (await msk.send(new GetBootstrapBrokersCommand({ ClusterArn: clusterArn })))
    .BootstrapBrokerString as string;
  const kafka = new Kafka({ clientId: 'bench-day2', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic: 'bulk', numPartitions: 12, replicationFactor: 3 },
      {
        topic: 'steady',
        numPartitions: 6,
        replicationFactor: 3,
        configEntries: [{ name: 'min.insync.replicas', value: '2' }],
      },
    ],
    waitForLeaders: true,
  });
  const fillStarted = performance.now();
  await fill(bootstrap, 'bulk', FILL_BYTES);
  const inSync = async () => {
    const md = await admin.fetchTopicMetadata({ topics: ['bulk', 'steady'] });
    return md.topics.every((t) => t.partitions.every((p) => p.isr.length === p.replicas.length)) ? true : undefined;
  };
  await until('bulk fully replicated', inSync, 600_000);
  const fillSeconds = (performance.now() - fillStarted) / 1000;
  console.log(
    `filled bulk (12 partitions, RF 3) with ${(FILL_BYTES / 2 ** 20).toFixed(0)} MiB in ${fillSeconds.toFixed(1)} s ` +
      `(kcat, acks=1, until fully replicated: ${(FILL_BYTES / 2 ** 20 / fillSeconds).toFixed(1)} MiB/s)`,
  );

  steady = new SteadyProducer(kafka);
  await steady.start();
  await until('the steady producer running', async () => ((steady?.acks.length ?? 0) > 50 ? true : undefined), 60_000);
  const rows: { phase: string; seconds: number; figures: ReturnType<SteadyProducer['figures']> }[] = [];
  const baselineFrom = performance.now();
  await new Promise((r) => setTimeout(r, 15_000));
  rows.push({
    phase: 'baseline (no operation), 15 s',
    seconds: 15,
    figures: steady.figures(baselineFrom, performance.now()),
  });

  async function operation(phase: string, start: () => Promise<string | undefined>) {
    const from = performance.now();
    const arn = await start();
    await until(
      `${phase} to finish`,
      async () => {
        const d = await msk.send(new DescribeClusterOperationV2Command({ ClusterOperationArn: arn }));
        const state = d.ClusterOperationInfo?.OperationState;
        if (state === 'UPDATE_FAILED')
          throw new Error(`${phase} failed: ${d.ClusterOperationInfo?.ErrorInfo?.ErrorString}`);
        return state === 'UPDATE_COMPLETE' ? true : undefined;
      },
      1_800_000,
    );
    const to = performance.now();
    rows.push({ phase, seconds: (to - from) / 1000, figures: (steady as SteadyProducer).figures(from, to) });
  }

  await operation('(a) UpdateClusterKafkaVersion 3.8.x -> 3.9.x, 3 brokers rolled', async () => {
    const op = await msk.send(
      new UpdateClusterKafkaVersionCommand({
        ClusterArn: clusterArn,
        CurrentVersion: (await describe()).ClusterInfo?.CurrentVersion,
        TargetKafkaVersion: '3.9.x',
      }),
    );
    return op.ClusterOperationArn;
  });
  await operation('(b) UpdateBrokerCount 3 -> 6', async () => {
    const op = await msk.send(
      new UpdateBrokerCountCommand({
        ClusterArn: clusterArn,
        CurrentVersion: (await describe()).ClusterInfo?.CurrentVersion,
        TargetNumberOfBrokerNodes: 6,
      }),
    );
    return op.ClusterOperationArn;
  });
  await steady.stop();
  const cluster = await admin.describeCluster();
  let moved = 0;
  for (const b of cluster.brokers.filter((x) => x.nodeId >= 4)) moved += await logBytes(b.host, b.port);
  await admin.disconnect();

  const ms = (v: number) => (Number.isNaN(v) ? '-' : v.toFixed(0));
  const table = [
    ['phase', 'duration s', 'acks', 'p50 ms', 'p99 ms', 'max ms', 'longest gap ms', 'errors'],
    ...rows.map((r) => [
      r.phase,
      r.seconds.toFixed(1),
      String(r.figures.acks),
      ms(r.figures.p50),
      ms(r.figures.p99),
      ms(r.figures.max),
      ms(r.figures.gap),
      String(r.figures.errors),
    ]),
  ];
  const widths = table[0]?.map((_, i) => Math.max(...table.map((row) => (row[i] ?? '').length))) ?? [];
  console.log(
    `\nDay-2 operations on ${driver.kind} brokers, steady acks=all idempotent producer (kafkajs, 1 message per ~10 ms):`,
  );
  for (const row of table) console.log(row.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  '));
  console.log(
    `(b) moved ${(moved / 2 ** 20).toFixed(0)} MiB of partition logs onto brokers 4-6 (DescribeLogDirs after the move; ` +
      `bulk held ${(FILL_BYTES / 2 ** 20).toFixed(0)} MiB x RF 3), throttle ${
        throttle ? `${(Number(throttle) / 2 ** 20).toFixed(0)} MiB/s` : '50 MiB/s (default)'
      } per broker`,
  );
} finally {
  await steady?.stop().catch(() => undefined);
  msk.destroy();
  await worker.close(1_000);
  for (const id of await driver.listClusters()) await driver.deleteCluster(id);
  await driver.close();
  await workerCatalog.$disconnect();
  await api.fastify.services.queue.obliterate({ force: true });
  await api.fastify.close();
  await dropDatabase(databaseUrl);
  rmSync(stateDir, { recursive: true, force: true });
}

/**
 * `make bench` for the monitor (issue 8): what a scrape pass costs the worker (CPU, memory, wall time)
 * and what it writes to the catalog at PER_TOPIC_PER_PARTITION, measured on real broker processes and
 * real Postgres, then projected to the issue's fleet (10 clusters x 3 brokers x 100 partitions).
 *
 * This machine has 2 shared cores, so BENCH_CLUSTERS (default 2) clusters of 3 brokers with 10 topics x
 * 10 partitions (RF 3) and one committed consumer group on every topic are run, and per-cluster figures
 * are multiplied by 10: the monitor's work per cluster is independent of the others (each cluster is
 * scraped on its own, in parallel). Figures are printed; nothing is asserted.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusters, createCatalog, migrate } from '@flotilla/db';
import { dropDatabase, scratchDatabaseUrl } from '@flotilla/db/testing';
import { AdminClient } from '@flotilla/protocol';
import { ProcessDriver, planCluster } from '@flotilla/runtime';
import { Monitor } from '../src/monitor/monitor.js';

const CLUSTERS = Number(process.env.BENCH_CLUSTERS ?? 2);
const TOPICS = 10;
const PARTITIONS = 10;
const PASSES = Number(process.env.BENCH_PASSES ?? 5);
const INTERVAL_S = 30;
const FLEET = 10;

function run(cmd: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: 300_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${cmd}: ${error.message}\n${stderr}`)) : resolve(stdout),
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-monitor-bench-'));
  const url = scratchDatabaseUrl('flotilla_monitor_bench');
  await migrate({ url });
  const catalog = createCatalog({ url });
  const driver = new ProcessDriver({ stateDir: join(dir, 'runtime') });
  const ids: string[] = [];
  try {
    for (let c = 0; c < CLUSTERS; c++) {
      const clusterId = randomUUID();
      ids.push(clusterId);
      const plan = await planCluster(driver, {
        clusterId,
        brokerCount: 3,
        kafkaVersion: '3.8.x',
        brokerType: 'kafka.t3.small',
        storageGiB: 1,
        configuration: {},
      });
      for (const spec of plan.brokers) {
        await driver.createBroker(spec);
        await driver.startBroker(spec);
      }
      const bootstrap = plan.bootstrapServers.split(',');
      await until('3 brokers', async () => {
        const admin = new AdminClient({ bootstrap, retries: 0, connectTimeoutMs: 1_000 });
        try {
          const d = await admin.describeCluster();
          return d.brokers.length === 3 && d.controllerId >= 0;
        } finally {
          await admin.close();
        }
      });
      const admin = new AdminClient({ bootstrap });
      const topics = Array.from({ length: TOPICS }, (_, i) => `topic-${i}`);
      await admin.createTopics(topics.map((name) => ({ name, numPartitions: PARTITIONS, replicationFactor: 3 })));
      await admin.close();
      const arn = `arn:aws:kafka:us-east-1:000000000000:cluster/bench-${c}/${clusterId}-1`;
      await clusters.createCluster(catalog, {
        id: clusterId,
        arn,
        name: `bench-${c}`,
        currentVersion: 'K1',
        kafkaVersion: '3.8.x',
        numberOfBrokerNodes: 3,
        brokerNodeGroupInfo: {},
        instanceType: 'kafka.t3.small',
        volumeSizeGiB: 1,
        runtime: 'process',
      });
      await clusters.updateCluster(catalog, clusterId, {
        state: 'ACTIVE',
        bootstrapBrokerString: plan.bootstrapServers,
        enhancedMonitoring: 'PER_TOPIC_PER_PARTITION',
      });
      for (const spec of plan.brokers)
        await clusters.upsertBroker(catalog, clusterId, spec.nodeId, { state: 'RUNNING' });
      // Records in every partition and a group that committed part of every topic.
      for (const topic of topics) {
        const lines = Array.from({ length: 1_000 }, (_, i) => `${i}:v${i}`).join('\n');
        await run('kcat', ['-P', '-b', plan.bootstrapServers, '-t', topic, '-K', ':'], `${lines}\n`);
      }
      await run('/usr/bin/python3', [
        '-c',
        `
import sys
from confluent_kafka import Consumer
c = Consumer({'bootstrap.servers': sys.argv[1], 'group.id': 'bench', 'auto.offset.reset': 'earliest', 'enable.auto.commit': False})
c.subscribe([${topics.map((t) => `'${t}'`).join(',')}])
got = 0
while got < 5000:
    m = c.poll(1.0)
    if m is not None and not m.error():
        got += 1
c.commit(asynchronous=False)
c.close()
`,
        plan.bootstrapServers,
      ]);
    }

    const monitor = new Monitor({ catalog, driver });
    await monitor.runOnce(); // counters' baseline and connections warmed
    await monitor.runOnce();
    const rowsBefore = await catalog.metricSample.count();
    const rssBefore = process.memoryUsage().rss;
    let peakRss = rssBefore;
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    let written = 0;
    for (let i = 0; i < PASSES; i++) {
      const results = await monitor.runOnce();
      written += results.reduce((n, r) => n + r.written, 0);
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
    const wallMs = (performance.now() - started) / PASSES;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuMsPerPass = (cpu.user + cpu.system) / 1000 / PASSES;
    const rowsPerPassPerCluster = written / PASSES / CLUSTERS;
    const [size] = await catalog.$queryRaw<{ bytes: bigint; rows: bigint }[]>`
      SELECT pg_total_relation_size('"MetricSample"') AS bytes, count(*) AS rows FROM "MetricSample"`;
    const bytesPerRow = Number(size?.bytes ?? 0n) / Number(size?.rows ?? 1n);

    const passesPerDay = (24 * 3600) / INTERVAL_S;
    const fleetRowsPerPass = rowsPerPassPerCluster * FLEET;
    // DEFAULT_COMPACTION (monitor.ts): raw rows live 6 h, 5-minute means 2 days, hourly means 90 days;
    // each mean is one row per series per bucket.
    const rawRowsSteady = (fleetRowsPerPass * (6 * 3600)) / INTERVAL_S;
    const fiveMinuteRowsSteady = fleetRowsPerPass * 288 * 2;
    const hourlyRowsPerDay = fleetRowsPerPass * 24;
    const f = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 1 });
    console.log(
      `monitor bench: ${CLUSTERS} cluster(s) x 3 brokers x ${TOPICS * PARTITIONS} partitions, PER_TOPIC_PER_PARTITION, ${PASSES} passes`,
    );
    console.log(`  rows per pass per cluster: ${f(rowsPerPassPerCluster)} (samples before: ${rowsBefore})`);
    console.log(
      `  worker CPU per pass: ${f(cpuMsPerPass)} ms for ${CLUSTERS} cluster(s) = ${f(cpuMsPerPass / CLUSTERS)} ms per cluster; wall ${f(wallMs)} ms per pass`,
    );
    console.log(`  worker RSS: ${f(rssBefore / 2 ** 20)} MiB before, ${f(peakRss / 2 ** 20)} MiB peak`);
    console.log(`  MetricSample: ${f(bytesPerRow)} bytes per row incl. index (${size?.rows} rows)`);
    console.log(`projection for ${FLEET} clusters at one pass every ${INTERVAL_S} s:`);
    console.log(
      `  worker CPU: ${f((cpuMsPerPass / CLUSTERS) * FLEET)} ms per pass = ${f(((cpuMsPerPass / CLUSTERS) * FLEET) / (INTERVAL_S * 10))} % of one core`,
    );
    console.log(
      `  rows inserted per day: ${f(fleetRowsPerPass * passesPerDay)} (${f(fleetRowsPerPass)} per pass, one INSERT per cluster)`,
    );
    console.log(
      `  catalog growth per day before compaction: ${f((fleetRowsPerPass * passesPerDay * bytesPerRow) / 2 ** 20)} MiB`,
    );
    console.log(
      `  kept after compaction: raw 6 h = ${f((rawRowsSteady * bytesPerRow) / 2 ** 20)} MiB, 5-minute means 2 days = ${f((fiveMinuteRowsSteady * bytesPerRow) / 2 ** 20)} MiB, hourly means grow ${f((hourlyRowsPerDay * bytesPerRow) / 2 ** 20)} MiB per day (${f((hourlyRowsPerDay * 90 * bytesPerRow) / 2 ** 20)} MiB at 90 days)`,
    );
    await monitor.close();
  } finally {
    for (const id of ids) await driver.deleteCluster(id);
    await driver.close();
    await catalog.$disconnect();
    await dropDatabase(url);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);

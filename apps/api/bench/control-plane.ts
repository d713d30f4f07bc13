/**
 * Control-plane figures (issue 6, "make bench"), printed, nothing asserted:
 *   1. CreateClusterV2 -> ACTIVE for a 3-broker cluster, median of 5 (then each is deleted), on the
 *      runtime FLOTILLA_RUNTIME picks (Docker when an engine answers, else processes);
 *   2. API latency of DescribeClusterV2 and ListClustersV2 under 200 concurrent connections (autocannon,
 *      10 s each, Bearer auth; DescribeClusterV2 once more signed with SigV4), p50/p99, and the API's CPU
 *      per request;
 *   3. the API process's resident memory when idle.
 * Uses a scratch database and its own queue prefix; removes what it made.
 *
 * `--latency-only` runs part 2 alone, on catalog rows written directly (an ACTIVE 3-broker cluster with
 * two tags and 9 more clusters), with no worker and no brokers in the process: the API's own cost,
 * e.g. under `node --cpu-prof --import tsx apps/api/bench/control-plane.ts --latency-only`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { Sha256 } from '@aws-crypto/sha256-js';
import { createCatalog } from '@flotilla/db';
import { dropDatabase, scratchDatabaseUrl } from '@flotilla/db/testing';
import { createRuntimeDriver } from '@flotilla/runtime';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { loadConfig } from '../src/config.js';
import { buildApi } from '../src/start.js';

const execFileAsync = promisify(execFile);
const AUTOCANNON = join(dirname(createRequire(import.meta.url).resolve('autocannon/package.json')), 'autocannon.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const LATENCY_ONLY = process.argv.includes('--latency-only');
const databaseUrl = scratchDatabaseUrl('flotilla_bench');
const stateDir = mkdtempSync(join(tmpdir(), 'flotilla-bench-'));
const queuePrefix = `flotilla-bench-${process.pid}`;
const config = loadConfig({
  ...process.env,
  DATABASE_URL: databaseUrl,
  FLOTILLA_STATE_DIR: stateDir,
  FLOTILLA_QUEUE_PREFIX: queuePrefix,
});
// Logging as server.ts sets it up (level info), written to /dev/null: its cost is part of the API's.
const api = await buildApi(config, { logger: { level: 'info', file: '/dev/null' } });
const endpoint = await api.fastify.listen({ host: '127.0.0.1', port: 0 });
const auth = `Bearer ${api.adminKey.accessKeyId}:${api.adminKey.secretAccessKey}`;
const driver = LATENCY_ONLY ? null : await createRuntimeDriver({ process: { stateDir: join(stateDir, 'runtime') } });
const workerCatalog = LATENCY_ONLY ? null : createCatalog({ url: databaseUrl });
const worker =
  driver && workerCatalog
    ? new (await import('@flotilla/worker')).OperationsWorker({
        catalog: workerCatalog,
        driver,
        redisUrl: config.redisUrl,
        queuePrefix,
        log: { info() {}, warn: (m, f) => console.warn(m, f), error: (m, f) => console.error(m, f) },
      })
    : null;
await worker?.start();

async function call(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${endpoint}${path}`, {
    method,
    headers: { authorization: auth, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const json = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

async function waitFor(arn: string, states: string[] | 'gone'): Promise<void> {
  for (;;) {
    const response = await fetch(`${endpoint}/api/v2/clusters/${encodeURIComponent(arn)}`, {
      headers: { authorization: auth },
    });
    if (states === 'gone' && response.status === 404) return;
    const json = (await response.json()) as { clusterInfo?: { state: string; stateInfo?: { message?: string } } };
    const state = json.clusterInfo?.state;
    if (state === 'FAILED') throw new Error(`cluster FAILED: ${json.clusterInfo?.stateInfo?.message}`);
    if (states !== 'gone' && state && states.includes(state)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const provisioned = {
  kafkaVersion: '3.8.x',
  numberOfBrokerNodes: 3,
  brokerNodeGroupInfo: {
    instanceType: 'kafka.t3.small',
    clientSubnets: ['a', 'b', 'c'],
    storageInfo: { ebsStorageInfo: { volumeSize: 1 } },
  },
};

/** CreateClusterV2 -> ACTIVE, RUNS times; returns the last cluster's ARN (kept for the latency part). */
async function benchCreate(): Promise<string> {
  const durations: number[] = [];
  let keep = '';
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    const created = await call('POST', '/api/v2/clusters', { clusterName: `bench-${i}`, provisioned });
    const arn = created.clusterArn as string;
    await waitFor(arn, ['ACTIVE']);
    durations.push(performance.now() - started);
    if (i < RUNS - 1) {
      const info = (await call('GET', `/api/v2/clusters/${encodeURIComponent(arn)}`)).clusterInfo as {
        currentVersion: string;
      };
      await call('DELETE', `/v1/clusters/${encodeURIComponent(arn)}?currentVersion=${info.currentVersion}`);
      await waitFor(arn, 'gone');
    } else {
      keep = arn;
    }
  }
  const sorted = [...durations].sort((a, b) => a - b);
  console.log(
    `CreateClusterV2 -> ACTIVE, 3 brokers on ${driver?.kind}: median ${(sorted[Math.floor(RUNS / 2)] as number).toFixed(0)} ms ` +
      `(runs: ${durations.map((d) => d.toFixed(0)).join(', ')} ms)`,
  );
  return keep;
}

/** An ACTIVE 3-broker cluster as the worker leaves one, written straight into the catalog. */
async function catalogCluster(): Promise<string> {
  const id = crypto.randomUUID();
  const arn = `arn:aws:kafka:us-east-1:000000000000:cluster/bench-0/${id}-1`;
  await api.fastify.services.catalog.cluster.create({
    data: {
      id,
      arn,
      name: 'bench-0',
      currentVersion: 'K1',
      kafkaVersion: '3.8.x',
      numberOfBrokerNodes: 3,
      brokerNodeGroupInfo: { brokerAZDistribution: 'DEFAULT', ...provisioned.brokerNodeGroupInfo },
      instanceType: 'kafka.t3.small',
      volumeSizeGiB: 1,
      runtime: 'process',
      state: 'ACTIVE',
      bootstrapBrokerString: '127.0.0.1:19092,127.0.0.1:19093,127.0.0.1:19094',
      brokers: {
        create: [1, 2, 3].map((nodeId) => ({ nodeId, host: '127.0.0.1', port: 19091 + nodeId, state: 'RUNNING' })),
      },
    },
  });
  await api.fastify.services.catalog.tag.createMany({
    data: [
      { resourceArn: arn, key: 'team', value: 'bench' },
      { resourceArn: arn, key: 'env', value: 'test' },
    ],
  });
  return arn;
}

/**
 * The headers of a GET signed with Signature V4 as the AWS SDK signs it. The same signed request is
 * sent again and again (as AWS, the API accepts it while x-amz-date is within 15 minutes), so every
 * request pays the full verification: canonical request, key derivation, HMAC.
 */
async function signedHeaders(path: string): Promise<Record<string, string>> {
  const url = new URL(`${endpoint}${path}`);
  const signer = new SignatureV4({
    service: 'kafka',
    region: config.region,
    credentials: { accessKeyId: api.adminKey.accessKeyId, secretAccessKey: api.adminKey.secretAccessKey },
    sha256: Sha256,
  });
  const signed = await signer.sign(
    new HttpRequest({
      method: 'GET',
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      headers: { host: url.host },
    }),
  );
  // autocannon sends its own Host (the same host:port).
  const { host: _host, ...rest } = signed.headers;
  return rest;
}

try {
  const keep = LATENCY_ONLY ? await catalogCluster() : await benchCreate();

  // A few more clusters so that ListClustersV2 returns a page of several.
  for (let i = 0; i < 9; i++) {
    await api.fastify.services.catalog.cluster.create({
      data: {
        id: crypto.randomUUID(),
        arn: `arn:aws:kafka:us-east-1:000000000000:cluster/filler-${i}/${crypto.randomUUID()}-1`,
        name: `filler-${i}`,
        currentVersion: 'K1',
        kafkaVersion: '3.8.x',
        numberOfBrokerNodes: 3,
        brokerNodeGroupInfo: provisioned.brokerNodeGroupInfo,
        instanceType: 'kafka.t3.small',
        volumeSizeGiB: 1,
        runtime: 'process',
        state: 'ACTIVE',
      },
    });
  }
  const describePath = `/api/v2/clusters/${encodeURIComponent(keep)}`;
  for (const [name, path, headers] of [
    ['DescribeClusterV2', describePath, { authorization: auth }],
    ['ListClustersV2', '/api/v2/clusters?maxResults=10', { authorization: auth }],
    ['DescribeClusterV2 (SigV4)', describePath, await signedHeaders(describePath)],
  ] as const) {
    // autocannon in a process of its own, so the load generator does not share the API's event loop.
    // The CPU this process spent per answered request tells the API's cost even when other work on
    // the machine takes cores from it (throughput and latency then say more about the machine).
    const cpuBefore = process.cpuUsage();
    const { stdout } = await execFileAsync(
      process.execPath,
      [
        AUTOCANNON,
        '--json',
        '-c',
        '200',
        '-d',
        '10',
        ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}=${v}`]),
        `${endpoint}${path}`,
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    const cpu = process.cpuUsage(cpuBefore);
    const result = JSON.parse(stdout) as {
      requests: { average: number; total: number };
      latency: { p50: number; p99: number };
      non2xx: number;
      errors: number;
    };
    console.log(
      `${name}, 200 connections, 10 s: ${result.requests.average.toFixed(0)} req/s, latency p50 ${result.latency.p50} ms, ` +
        `p99 ${result.latency.p99} ms, non-2xx ${result.non2xx}, errors ${result.errors}, ` +
        `API CPU ${((cpu.user + cpu.system) / 1000 / Math.max(1, result.requests.total)).toFixed(2)} ms/request`,
    );
  }
  await new Promise((r) => setTimeout(r, 2_000));
  console.log(
    `${LATENCY_ONLY ? 'API alone' : 'API and worker (one process here)'} resident memory when idle: ` +
      `${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`,
  );
} finally {
  await worker?.close(1_000);
  if (driver) {
    for (const id of await driver.listClusters()) await driver.deleteCluster(id);
    await driver.close();
  }
  await workerCatalog?.$disconnect();
  await api.fastify.services.queue.obliterate({ force: true });
  await api.fastify.close();
  await dropDatabase(databaseUrl);
  rmSync(stateDir, { recursive: true, force: true });
}

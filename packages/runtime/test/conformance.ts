/**
 * One test list for every RuntimeDriver (BullMQ's adapter-conformance pattern): docker.test.ts and
 * process.test.ts run it against real brokers (the image on a real engine; the broker's dist as local
 * processes), reached only on 127.0.0.1 with real clients (our AdminClient, kcat).
 *
 * Multi-broker clusters: the 3-broker test waits for the Raft quorum the spec builders configure
 * (controller.quorum.voters over the cluster network / loopback) and for every broker to be registered,
 * as seen from each broker's own published port.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { AdminClient } from '@flotilla/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrokerRef, type BrokerStatus, type RuntimeDriver, RuntimeError } from '../src/driver.js';
import { replaceBroker } from '../src/lifecycle.js';
import { planCluster } from '../src/plan.js';
import type { ClusterDescription, ClusterPlan } from '../src/spec.js';

export interface ConformanceTarget {
  readonly name: string;
  /** Why the suite cannot run here (no engine...), or null. */
  skip(): Promise<string | null>;
  driver(): Promise<RuntimeDriver>;
  /** A second driver instance over the same runtime: the control plane after a restart. */
  reopen(): Promise<RuntimeDriver>;
  /** Makes the broker's process die unexpectedly (a crash, not a stop the runtime was asked for). */
  crash(driver: RuntimeDriver, ref: BrokerRef): Promise<void>;
  /** Anything of the cluster left on the runtime after deleteCluster (names), beyond listBrokers. */
  leftovers(clusterId: string): Promise<string[]>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function kcat(args: readonly string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('kcat', args, { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`kcat ${args.join(' ')}: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
    child.stdin?.end(input ?? '');
  });
}

/** Polls until the broker is running and healthy (the runtime's health check), or fails with its logs. */
export async function waitHealthy(driver: RuntimeDriver, ref: BrokerRef, timeoutMs = 60_000): Promise<BrokerStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: BrokerStatus | undefined;
  while (Date.now() < deadline) {
    last = await driver.inspectBroker(ref);
    if (last.state === 'running' && last.health === 'healthy') return last;
    await sleep(250);
  }
  const logs = await driver.logs(ref, { tail: 50 }).catch((e: unknown) => String(e));
  throw new Error(`broker ${ref.nodeId} not healthy: ${JSON.stringify(last)}\n${logs}`);
}

async function metadataOf(bootstrap: string) {
  const admin = new AdminClient({ bootstrap: [bootstrap], clientId: 'runtime-conformance', retries: 5 });
  try {
    return await admin.metadata();
  } finally {
    await admin.close();
  }
}

async function createTopic(bootstrap: string, name: string): Promise<void> {
  const admin = new AdminClient({ bootstrap: [bootstrap], clientId: 'runtime-conformance', retries: 5 });
  try {
    await admin.createTopics([{ name, numPartitions: 1, replicationFactor: 1 }]);
  } finally {
    await admin.close();
  }
}

async function consumeAll(bootstrap: string, topic: string): Promise<string[]> {
  const out = await kcat(['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%s\n']);
  return out.split('\n').filter((l) => l !== '');
}

export function describeRuntimeConformance(target: ConformanceTarget): void {
  describe(`RuntimeDriver conformance: ${target.name}`, () => {
    let skipReason: string | null = null;
    let driver: RuntimeDriver;
    const run = randomBytes(3).toString('hex');
    const one: ClusterDescription = {
      clusterId: `ct-${target.name}-one-${run}`,
      brokerCount: 1,
      kafkaVersion: '3.8.x',
      brokerType: 'kafka.t3.small',
      storageGiB: 1,
    };
    const three: ClusterDescription = { ...one, clusterId: `ct-${target.name}-three-${run}`, brokerCount: 3 };
    let plan1: ClusterPlan;
    const ref1 = { clusterId: one.clusterId, nodeId: 1 };
    const bootstrap1 = () => `127.0.0.1:${plan1.brokers[0]?.ports.kafka}`;

    beforeAll(async () => {
      skipReason = await target.skip();
      if (skipReason) return;
      driver = await target.driver();
      await driver.ping();
    });

    afterAll(async () => {
      if (skipReason) return;
      // Leave nothing behind even when a test failed half-way.
      await driver.deleteCluster(one.clusterId).catch(() => {});
      await driver.deleteCluster(three.clusterId).catch(() => {});
      await driver.close();
      await driver.close(); // safe twice
    });

    it('creates a 1-broker cluster reachable on 127.0.0.1, idempotently', async (ctx) => {
      if (skipReason) return ctx.skip(skipReason);
      plan1 = await planCluster(driver, one);
      const spec = plan1.brokers[0];
      if (!spec) throw new Error('no broker in plan');
      expect(await driver.inspectBroker(ref1)).toMatchObject({ state: 'missing', exitCode: null });

      const created = await driver.createBroker(spec);
      expect(created.state).toBe('created');
      // Creating again (a retried job) returns the same broker, no duplicate.
      expect((await driver.createBroker(spec)).id).toBe(created.id);

      await driver.startBroker(ref1);
      const status = await waitHealthy(driver, ref1);
      expect(status).toMatchObject({ state: 'running', exitCode: null, kafkaVersion: '3.8.x' });
      expect(status.ports).toEqual(spec.ports);
      expect(status.startedAt).toBeInstanceOf(Date);
      // Starting a running broker changes nothing; a whole spec works as a ref, and nothing of it leaks
      // into the status.
      const again = await driver.startBroker(spec);
      expect(again.state).toBe('running');
      expect(again).not.toHaveProperty('config');

      // A KRaft broker lists itself once its registration is in the metadata it has replayed, which can
      // come a moment after its listener answers: ask until it does.
      let md = await metadataOf(bootstrap1());
      for (let i = 0; i < 100 && md.brokers.length === 0; i++) {
        await sleep(200);
        md = await metadataOf(bootstrap1());
      }
      expect(md.brokers).toEqual([expect.objectContaining({ nodeId: 1, host: '127.0.0.1', port: spec.ports.kafka })]);
      expect(await driver.brokerSpec(ref1)).toEqual(spec);
    });

    it('serves the metrics endpoint on its published 127.0.0.1 port', async (ctx) => {
      if (skipReason) return ctx.skip(skipReason);
      const res = await fetch(`http://127.0.0.1:${plan1.brokers[0]?.ports.metrics}/metrics`);
      expect(res.status).toBe(200);
      expect(await res.text()).toMatch(/^# HELP /m);
    });

    it('keeps a broker’s data across stop and start (same volume)', async (ctx) => {
      if (skipReason) return ctx.skip(skipReason);
      await createTopic(bootstrap1(), 'keep');
      await kcat(['-b', bootstrap1(), '-P', '-t', 'keep'], 'first\nsecond\n');
      expect(await consumeAll(bootstrap1(), 'keep')).toEqual(['first', 'second']);

      const t0 = Date.now();
      const stopped = await driver.stopBroker(ref1, { timeoutMs: 20_000 });
      expect(stopped.state).toBe('exited');
      // A graceful stop: the broker's own SIGTERM handler exits 0 well before the timeout.
      expect(stopped.exitCode).toBe(0);
      expect(Date.now() - t0).toBeLessThan(15_000);
      expect(stopped.finishedAt).toBeInstanceOf(Date);
      // Stopping a stopped broker is a no-op.
      expect((await driver.stopBroker(ref1)).state).toBe('exited');

      await driver.startBroker(ref1);
      await waitHealthy(driver, ref1);
      expect(await consumeAll(bootstrap1(), 'keep')).toEqual(['first', 'second']);
    });

    it('kills a broker (exit 137) and its restart policy leaves it down', async (ctx) => {
      if (skipReason) return ctx.skip(skipReason);
      const killed = await driver.killBroker(ref1);
      expect(killed.state).toBe('exited');
      expect(killed.exitCode).toBe(137);
      await sleep(2000);
      expect((await driver.inspectBroker(ref1)).state).toBe('exited');
      await driver.startBroker(ref1);
      await waitHealthy(driver, ref1);
      // The log survived an unclean shutdown (recovery ran).
      expect(await consumeAll(bootstrap1(), 'keep')).toEqual(['first', 'second']);
    });

    it('restarts a broker that crashes (restart policy unless-stopped)', async (ctx) => {
      if (skipReason) return ctx.skip(skipReason);
      const before = await driver.inspectBroker(ref1);
      await target.crash(driver, ref1);
      const deadline = Date.now() + 30_000;
      let after = before;
      while (Date.now() < deadline) {
        after = await driver.inspectBroker(ref1);
        if (after.restartCount > before.restartCount && after.state === 'running') break;
        await sleep(250);
      }
      expect(after.restartCount).toBeGreaterThan(before.restartCount);
      await waitHealthy(driver, ref1);
      expect(await consumeAll(bootstrap1(), 'keep')).toEqual(['first', 'second']);
    });

    it('reports stats (cpu, memory against the broker type limit, disk used) and logs', async (ctx) => {
      if (skipReason) return ctx.skip(skipReason);
      const stats = await driver.stats(ref1);
      expect(stats.memoryBytes).toBeGreaterThan(10 * 1024 * 1024);
      expect(stats.memoryLimitBytes).toBe(plan1.brokers[0]?.limits.memoryBytes);
      expect(stats.cpuPercent).toBeGreaterThanOrEqual(0);
      expect(stats.diskUsedBytes).toBeGreaterThan(0);
      const logs = await driver.logs(ref1, { tail: 500 });
      expect(logs).toMatch(/Flotilla broker 1 started/);
      expect((await driver.logs(ref1, { tail: 1 })).trim().split('\n')).toHaveLength(1);
      const later = await driver.logs(ref1, { since: new Date(Date.now() + 60_000) });
      expect(later).toBe('');
    });

    it('finds its brokers again from a new driver instance (control plane restart)', async (ctx) => {
      if (skipReason) return ctx.skip(skipReason);
      const again = await target.reopen();
      const listed = await again.listBrokers(one.clusterId);
      expect(listed.map((b) => [b.clusterId, b.nodeId, b.state])).toEqual([[one.clusterId, 1, 'running']]);
      expect(await again.listClusters()).toContain(one.clusterId);
      expect((await again.inspectBroker(ref1)).health).toBe('healthy');
      await again.close();
    });

    it('replaces a broker with the same node id and volume: the log is still there', async (ctx) => {
      if (skipReason) return ctx.skip(skipReason);
      const spec = await driver.brokerSpec(ref1);
      if (!spec) throw new Error('spec lost');
      await driver.removeBroker(ref1);
      expect((await driver.inspectBroker(ref1)).state).toBe('missing');
      await driver.removeBroker(ref1); // idempotent
      await expect(driver.startBroker(ref1)).rejects.toMatchObject({ code: 'BROKER_NOT_FOUND' });
      await driver.createBroker(spec);
      await driver.startBroker(ref1);
      await waitHealthy(driver, ref1);
      expect(await consumeAll(bootstrap1(), 'keep')).toEqual(['first', 'second']);

      // UpdateBrokerType through replaceBroker: a running broker, new limits, same volume and port.
      await expect(
        replaceBroker(driver, { ...spec, ports: { ...spec.ports, kafka: spec.ports.kafka + 1 } }),
      ).rejects.toMatchObject({ code: 'SPEC_CONFLICT' });
      await replaceBroker(driver, { ...spec, limits: { ...spec.limits, memoryBytes: spec.limits.memoryBytes * 2 } });
      await waitHealthy(driver, ref1);
      expect(await consumeAll(bootstrap1(), 'keep')).toEqual(['first', 'second']);
      expect((await driver.stats(ref1)).memoryLimitBytes).toBe(spec.limits.memoryBytes * 2);
    });

    it('starts a 3-broker cluster that forms its quorum: every broker lists all three', async (ctx) => {
      if (skipReason) return ctx.skip(skipReason);
      const plan = await planCluster(driver, three);
      expect(plan.quorumVoters.split(',')).toHaveLength(3);
      await Promise.all(plan.brokers.map((b) => driver.createBroker(b)));
      await Promise.all(plan.brokers.map((b) => driver.startBroker(b)));
      await Promise.all(plan.brokers.map((b) => waitHealthy(driver, b)));
      const listed = await driver.listBrokers(three.clusterId);
      expect(listed.map((b) => b.nodeId)).toEqual([1, 2, 3]);
      expect(listed.every((b) => b.state === 'running')).toBe(true);
      // The three combined broker+controller nodes form the Raft quorum: every broker, asked on its own
      // published port, lists all three with their EXTERNAL 127.0.0.1 addresses and one controller.
      const expected = plan.brokers.map((b) => ({ nodeId: b.nodeId, host: '127.0.0.1', port: b.ports.kafka }));
      for (const b of plan.brokers) {
        const deadline = Date.now() + 60_000;
        let seen: { nodeId: number; host: string; port: number }[] = [];
        let controllerId = -1;
        while (Date.now() < deadline) {
          const md = await metadataOf(`127.0.0.1:${b.ports.kafka}`).catch(() => null);
          seen = (md?.brokers ?? []).map(({ nodeId, host, port }) => ({ nodeId, host, port }));
          controllerId = md?.controllerId ?? -1;
          if (seen.length === 3 && controllerId >= 0) break;
          await sleep(250);
        }
        expect(seen.sort((x, y) => x.nodeId - y.nodeId)).toEqual(expected);
        expect([1, 2, 3]).toContain(controllerId);
      }
      // Listing by cluster keeps clusters apart.
      expect((await driver.listBrokers(one.clusterId)).map((b) => b.nodeId)).toEqual([1]);
      const all = await driver.listBrokers();
      expect(all.filter((b) => b.clusterId === three.clusterId || b.clusterId === one.clusterId)).toHaveLength(4);
    });

    it('deletes clusters: no broker, volume or network is left, and deleting again is fine', async (ctx) => {
      if (skipReason) return ctx.skip(skipReason);
      for (const c of [one, three]) {
        await driver.deleteCluster(c.clusterId);
        expect(await driver.listBrokers(c.clusterId)).toEqual([]);
        expect(await driver.listClusters()).not.toContain(c.clusterId);
        expect(await target.leftovers(c.clusterId)).toEqual([]);
        await driver.deleteCluster(c.clusterId);
      }
      // Its ports are free again: a broker on them is gone.
      await expect(metadataOf(bootstrap1())).rejects.toBeDefined();
    });

    it('answers errors with stable codes', async (ctx) => {
      if (skipReason) return ctx.skip(skipReason);
      const ghost = { clusterId: `ct-${target.name}-ghost-${run}`, nodeId: 9 };
      expect((await driver.inspectBroker(ghost)).state).toBe('missing');
      await expect(driver.stopBroker(ghost)).rejects.toBeInstanceOf(RuntimeError);
      await expect(driver.logs(ghost)).rejects.toMatchObject({ code: 'BROKER_NOT_FOUND' });
      await expect(driver.stats(ghost)).rejects.toMatchObject({ code: 'BROKER_NOT_FOUND' });
      await driver.removeBroker(ghost);
    });
  });
}

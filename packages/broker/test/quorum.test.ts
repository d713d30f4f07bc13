/**
 * The controller quorum with real broker processes: three nodes with combined broker and controller
 * roles on 127.0.0.1, talking Kafka's Raft RPCs on their CONTROLLER listeners. Checked with our
 * protocol client (DescribeQuorum, CreateTopics, Metadata) and kcat.
 */
import {
  AdminClient,
  ApiKey,
  Connection,
  defaultCreateTopicsRequest,
  defaultMetadataRequest,
} from '@flotilla/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type QuorumCluster, quorumCluster, removeDir, run, startBrokerProcess } from './harness.js';

async function describeQuorum(port: number) {
  const c = await Connection.open({ host: '127.0.0.1', port, requestTimeoutMs: 3000, connectTimeoutMs: 2000 });
  try {
    const r = await c.request(ApiKey.DescribeQuorum, {
      topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }],
    });
    return r.topics[0]?.partitions[0];
  } finally {
    await c.close();
  }
}

/** Resolves once something accepts TCP connections on the port (a broker process still starting). */
async function bound(port: number, timeoutMs = 15_000): Promise<void> {
  const { connect } = await import('node:net');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The quorum leader as every reachable controller reports it, once they agree. */
async function agreedLeader(cluster: QuorumCluster, ids: number[], timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const views = await Promise.all(ids.map((id) => describeQuorum(cluster.node(id).controllerPort)));
      const leaders = new Set(views.map((v) => `${v?.leaderId}/${v?.leaderEpoch}`));
      const leaderId = views[0]?.leaderId ?? -1;
      if (leaders.size === 1 && leaderId >= 0 && ids.includes(leaderId)) {
        return { leaderId, epoch: views[0]?.leaderEpoch ?? -1, views };
      }
    } catch {
      // a node still starting
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the quorum did not agree on a leader');
}

async function createTopic(port: number, name: string, partitions: number, rf: number) {
  const c = await Connection.open({ host: '127.0.0.1', port, requestTimeoutMs: 15_000 });
  try {
    const r = await c.request(ApiKey.CreateTopics, {
      ...defaultCreateTopicsRequest(),
      timeoutMs: 15_000,
      topics: [{ name, numPartitions: partitions, replicationFactor: rf, assignments: [], configs: [] }],
    });
    return r.topics[0];
  } finally {
    await c.close();
  }
}

async function metadata(cluster: QuorumCluster, id: number, topics?: string[]) {
  const admin = new AdminClient({ bootstrap: [cluster.bootstrap(id)], requestTimeoutMs: 5000 });
  try {
    return await admin.metadata(topics);
  } finally {
    await admin.close();
  }
}

async function eventually<T>(what: string, f: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await f();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

describe('controller quorum (3 nodes, combined roles)', () => {
  let cluster: QuorumCluster;

  beforeAll(async () => {
    cluster = await quorumCluster(3, { 'metrics.port': '0' });
    await cluster.start();
  });

  afterAll(async () => {
    await cluster?.close();
  });

  it('elects one leader that every voter agrees on, and DescribeQuorum shows the three voters', async () => {
    const { leaderId, views } = await agreedLeader(cluster, [1, 2, 3]);
    const leaderView = views[leaderId - 1];
    expect(leaderView?.errorCode).toBe(0);
    expect(leaderView?.currentVoters.map((v) => v.replicaId).sort()).toEqual([1, 2, 3]);
    expect(Number(leaderView?.highWatermark)).toBeGreaterThan(0);
    for (const v of views) if (v !== leaderView) expect(v?.errorCode).not.toBe(0); // NOT_LEADER_OR_FOLLOWER

    // Through any broker listener (kafka-metadata-quorum.sh --bootstrap-server): forwarded to the leader.
    for (const id of [1, 2, 3]) {
      const viaBroker = await describeQuorum(cluster.node(id).port);
      expect(viaBroker).toMatchObject({ errorCode: 0, leaderId });
      expect(viaBroker?.currentVoters.length).toBe(3);
    }

    // ActiveControllerCount sums to 1 over the cluster, on the leader.
    const active = await Promise.all(
      [1, 2, 3].map(async (id) => {
        const text = await (await fetch(`http://127.0.0.1:${cluster.node(id).process?.metricsPort}/metrics`)).text();
        return Number(/^kafka_controller_kafkacontroller_activecontrollercount (\d+)/m.exec(text)?.[1]);
      }),
    );
    expect(active).toEqual([1, 2, 3].map((id) => (id === leaderId ? 1 : 0)));
  });

  it('a topic created through a broker that is not the controller appears on every broker, spread over them', async () => {
    const { leaderId } = await agreedLeader(cluster, [1, 2, 3]);
    const via = leaderId === 3 ? 2 : 3; // forwarded to the active controller
    const created = await createTopic(cluster.node(via).port, 'spread', 6, 3);
    expect(created?.errorCode).toBe(0);
    // It reached the controller inside an Envelope (KIP-590), carrying the client's principal.
    const leaderMetrics = await (
      await fetch(`http://127.0.0.1:${cluster.node(leaderId).process?.metricsPort}/metrics`)
    ).text();
    expect(leaderMetrics).toMatch(
      /kafka_network_requestmetrics_requests_total\{request="Envelope",version="0"\} [1-9]/,
    );
    for (const id of [1, 2, 3]) {
      const md = await eventually(`topic on broker ${id}`, async () => {
        const m = await metadata(cluster, id, ['spread']);
        return m.topics[0]?.partitions.length === 6 ? m : undefined;
      });
      expect(md.brokers.map((b) => b.nodeId).sort()).toEqual([1, 2, 3]);
      const partitions = md.topics[0]?.partitions ?? [];
      expect(new Set(partitions.map((p) => p.leader))).toEqual(new Set([1, 2, 3]));
      for (const p of partitions) expect([...p.replicas].sort()).toEqual([1, 2, 3]);
      expect(md.topics[0]?.topicId).toBe(created?.topicId);
    }
  });

  it('kcat -L against any broker lists all three brokers and the controller', async () => {
    for (const id of [1, 2, 3]) {
      const out = await run('kcat', ['-L', '-b', cluster.bootstrap(id), '-m', '5']);
      for (const b of [1, 2, 3]) expect(out).toContain(`broker ${b} at 127.0.0.1:${cluster.node(b).port}`);
      expect(out).toMatch(/\(controller\)/);
    }
  });

  it('kill -9 of the active controller: another is elected within seconds, writes keep working, the dead broker is fenced and its leaderships move', async () => {
    const { leaderId: old, epoch } = await agreedLeader(cluster, [1, 2, 3]);
    const survivors = [1, 2, 3].filter((x) => x !== old);
    const killedAt = Date.now();
    await cluster.stop(old, 'SIGKILL');
    const next = await agreedLeader(cluster, survivors);
    const electionMs = Date.now() - killedAt;
    console.log(`new quorum leader ${next.leaderId} (epoch ${next.epoch}) ${electionMs} ms after SIGKILL of ${old}`);
    expect(next.epoch).toBeGreaterThan(epoch);
    expect(electionMs).toBeLessThan(5_000);

    const created = await createTopic(cluster.node(survivors[0] as number).port, 'after-failover', 4, 2);
    expect(created?.errorCode).toBe(0);

    const fenced = await eventually('the dead broker fenced and its leaderships moved', async () => {
      const m = await metadata(cluster, survivors[0] as number, ['spread']);
      const partitions = m.topics[0]?.partitions ?? [];
      const gone = !m.brokers.some((b) => b.nodeId === old);
      return gone && partitions.length === 6 && partitions.every((p) => p.leader !== old && !p.isr.includes(old))
        ? m
        : undefined;
    });
    expect(fenced.brokers.map((b) => b.nodeId).sort()).toEqual(survivors);

    // It comes back: registered again, unfenced, listed by everyone.
    await cluster.start([old]);
    await eventually('the restarted broker listed again', async () => {
      const m = await metadata(cluster, survivors[1] as number);
      return m.brokers.length === 3;
    });
  });

  it('SIGTERM moves the broker leaderships away before it stops (controlled shutdown)', async () => {
    await eventually(
      'every broker leading something',
      async () => {
        const m = await metadata(cluster, 1, ['spread']);
        return new Set(m.topics[0]?.partitions.map((p) => p.leader)).size === 3;
      },
      3_000,
    ).catch(() => undefined); // leaderships may stay where failover put them
    const m = await metadata(cluster, 1, ['spread']);
    const leaderCounts = new Map<number, number>();
    for (const p of m.topics[0]?.partitions ?? []) leaderCounts.set(p.leader, (leaderCounts.get(p.leader) ?? 0) + 1);
    const victim = [...leaderCounts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] as number;
    const other = [1, 2, 3].find((x) => x !== victim) as number;
    await cluster.stop(victim, 'SIGTERM');
    // Right after exit, well inside broker.session.timeout.ms: nothing is led by the stopped broker.
    const after = await metadata(cluster, other, ['spread']);
    for (const p of after.topics[0]?.partitions ?? []) expect(p.leader).not.toBe(victim);
    await cluster.start([victim]);
  });

  it('SIGTERM of the active controller (combined roles): its leaderships move before it stops, seen by every other broker', async () => {
    await eventually('all three brokers unfenced', async () => (await metadata(cluster, 1)).brokers.length === 3);
    const { leaderId: victim } = await agreedLeader(cluster, [1, 2, 3]);
    // A new topic is placed over all three live brokers, so the controller leads some of it.
    expect((await createTopic(cluster.node(victim).port, 'spread-2', 6, 3))?.errorCode).toBe(0);
    await eventually('the controller leading part of spread-2', async () => {
      const m = await metadata(cluster, victim, ['spread-2']);
      return m.topics[0]?.partitions.some((p) => p.leader === victim);
    });
    await cluster.stop(victim, 'SIGTERM');
    for (const id of [1, 2, 3].filter((x) => x !== victim)) {
      const after = await metadata(cluster, id, ['spread', 'spread-2']);
      for (const t of after.topics) for (const p of t.partitions) expect(p.leader).not.toBe(victim);
    }
    await cluster.start([victim]);
  });

  it('metadata survives a restart of the whole cluster', async () => {
    const before = await metadata(cluster, 1, ['spread', 'after-failover']);
    for (const id of [1, 2, 3]) await cluster.stop(id, 'SIGKILL');
    await cluster.start();
    await agreedLeader(cluster, [1, 2, 3]);
    for (const id of [1, 2, 3]) {
      const m = await eventually(`topics on broker ${id}`, async () => {
        const x = await metadata(cluster, id, ['spread', 'after-failover']);
        return x.topics.length === 2 && x.topics.every((t) => t.partitions.length > 0) ? x : undefined;
      });
      const ids = (x: typeof m) => Object.fromEntries(x.topics.map((t) => [t.name, [t.topicId, t.partitions.length]]));
      expect(ids(m)).toEqual(ids(before));
    }
  });
});

describe('controller quorum snapshots', () => {
  let cluster: QuorumCluster;

  beforeAll(async () => {
    // A snapshot every ~2 KB of metadata, so a few topics are enough to leave a stopped node behind one.
    cluster = await quorumCluster(3, { 'metadata.log.max.record.bytes.between.snapshots': '2000' });
    await cluster.start();
  });

  afterAll(async () => {
    await cluster?.close();
  });

  it('a node far behind catches up from the leader snapshot', async () => {
    const { leaderId } = await agreedLeader(cluster, [1, 2, 3]);
    const lagger = [1, 2, 3].find((x) => x !== leaderId) as number;
    const via = [1, 2, 3].find((x) => x !== lagger) as number;
    await cluster.stop(lagger, 'SIGKILL');
    for (let i = 0; i < 20; i++) {
      const r = await createTopic(cluster.node(via).port, `snap-${i}`, 2, 2);
      expect(r?.errorCode).toBe(0);
    }
    await cluster.start([lagger]);
    const out = () => cluster.node(lagger).process?.output() ?? '';
    await eventually('snapshot installed on the restarted node', async () =>
      out().includes('installing metadata snapshot'),
    );
    const m = await eventually('all topics on the restarted node', async () => {
      const x = await metadata(cluster, lagger);
      return x.topics.filter((t) => t.name.startsWith('snap-')).length === 20 ? x : undefined;
    });
    expect(m.brokers.length).toBe(3);
  });
});

describe('brokers that are not controllers', () => {
  let cluster: QuorumCluster;

  beforeAll(async () => {
    cluster = await quorumCluster(3, {}, { brokerOnly: 1 });
    await cluster.start();
  });

  afterAll(async () => {
    await cluster?.close();
  });

  it('register, follow the metadata log as observers and forward admin requests', async () => {
    const { views, leaderId } = await agreedLeader(cluster, [1, 2, 3]);
    const created = await createTopic(cluster.node(4).port, 'from-observer', 4, 3);
    expect(created?.errorCode).toBe(0);
    const m = await eventually('the topic on the observer', async () => {
      const x = await metadata(cluster, 4, ['from-observer']);
      return x.topics[0]?.partitions.length === 4 ? x : undefined;
    });
    expect(m.brokers.map((b) => b.nodeId).sort()).toEqual([1, 2, 3, 4]);
    // The leader sees node 4 among the observers, not the voters.
    const leaderView = await describeQuorum(cluster.node(leaderId).controllerPort);
    expect(leaderView?.currentVoters.map((v) => v.replicaId).sort()).toEqual([1, 2, 3]);
    expect(leaderView?.observers.map((v) => v.replicaId)).toContain(4);
    expect(views.length).toBe(3);
  });
});

describe('a voter started before the others', () => {
  it('waits for a quorum instead of giving up, holds client requests until it has joined, and joins once a majority is up', async () => {
    const cluster = await quorumCluster(3);
    let early: Connection | undefined;
    try {
      const first = cluster.start([1]);
      // Its client listener is bound at once (like Kafka's), but requests wait until the broker has registered.
      await bound(cluster.node(1).port);
      // Opening a connection asks ApiVersions: that request must wait, not fail and not be dropped.
      const pending = Connection.open({ host: '127.0.0.1', port: cluster.node(1).port, requestTimeoutMs: 60_000 });
      const held = Symbol('held');
      await new Promise((r) => setTimeout(r, 3_000)); // alone: no leader can be elected
      expect(await Promise.race([pending, Promise.resolve(held)])).toBe(held);
      expect(cluster.node(1).process).toBeNull();
      await cluster.start([2, 3]);
      await first;
      // The request held since before the quorum existed is answered, and the broker lists itself.
      early = await pending;
      const answered = await early.request(ApiKey.Metadata, { ...defaultMetadataRequest(), topics: null });
      expect(answered.brokers.map((b) => b.nodeId)).toContain(1);
      const { leaderId } = await agreedLeader(cluster, [1, 2, 3]);
      expect([1, 2, 3]).toContain(leaderId);
      expect((await metadata(cluster, 1)).brokers.length).toBe(3);
    } finally {
      await early?.close();
      await cluster.close();
    }
  });
});

describe('a single broker without voters', () => {
  it('keeps its local metadata log and answers DescribeQuorum as a quorum of one', async () => {
    const broker = await startBrokerProcess({ overrides: { 'node.id': '7' } });
    try {
      const view = await describeQuorum(broker.port);
      expect(view).toMatchObject({ errorCode: 0, leaderId: 7, leaderEpoch: 0 });
      expect(view?.currentVoters.map((v) => v.replicaId)).toEqual([7]);
      expect(Number(view?.highWatermark)).toBeGreaterThan(0); // its own registration record
    } finally {
      await broker.stop();
      removeDir(broker.logDir);
    }
  });
});

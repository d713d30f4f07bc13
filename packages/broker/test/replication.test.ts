/**
 * Three brokers in this process, each with its own log directory, listener, replica fetchers and
 * controller, sharing one metadata log (shared-metadata-log.ts) in place of the controller quorum that
 * issue 4's other half builds. Replication itself runs for real: followers fetch over TCP from the
 * leader's listener, acks=all waits for the ISR, ISR changes go through AlterPartition planning, and
 * real clients (confluent-kafka, kcat) produce and consume. A broker "dies" by closing and being fenced
 * (what the controller does when its heartbeats stop); real processes and SIGKILL come with the quorum.
 */

import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import {
  AdminClient,
  ApiKey,
  type Connection,
  connect,
  defaultFetchRequest,
  defaultFetchRequestFetchPartition,
  defaultListOffsetsRequest,
  defaultProduceRequest,
  ErrorCode,
  encodeBatch,
} from '@flotilla/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StartedBroker, startBroker } from '../src/broker.js';
import { BrokerConfig } from '../src/config/broker-config.js';
import { createLogger } from '../src/logger.js';
import type { MetadataImage } from '../src/metadata/image.js';
import { LeaderRebalancer } from '../src/metadata/leader-rebalance.js';
import { planBrokerLeaving } from '../src/metadata/replication-control.js';
import { python, removeDir, run, tempDir } from './harness.js';
import { SharedMetadataLog } from './shared-metadata-log.js';

const CLUSTER_ID = 'replication-test-cluster';
const LAG_MS = 1500;

interface Node {
  readonly id: number;
  readonly dir: string;
  /** Fixed across restarts, as a real broker's listener is, so clients' bootstrap lists stay valid. */
  port: number;
  broker: StartedBroker | null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function waitFor<T>(what: string, check: () => T | undefined | null | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('replication between three brokers', () => {
  const shared = new SharedMetadataLog();
  const nodes: Node[] = [1, 2, 3].map((id) => ({ id, dir: tempDir(`flotilla-repl-${id}-`), port: 0, broker: null }));
  let admin: AdminClient;

  const node = (id: number) => nodes[id - 1] as Node;
  const live = () => nodes.filter((n) => n.broker !== null);
  const image = (): MetadataImage => {
    const broker = live()[0]?.broker;
    if (!broker) throw new Error('no broker is running');
    return broker.services.image;
  };
  const bootstrap = (n: Node) => `127.0.0.1:${n.port}`;
  const partitionInfo = (topic: string, p = 0) => image().topics.get(topic)?.partitions[p];
  const hosted = (id: number, topic: string, p = 0) => node(id).broker?.services.replicas.get(topic, p);

  async function start(id: number): Promise<void> {
    const n = node(id);
    const config = new BrokerConfig(
      new Map([
        ['node.id', String(id)],
        ['listeners', `PLAINTEXT://127.0.0.1:${n.port}`],
        ['log.dirs', n.dir],
        ['cluster.id', CLUSTER_ID],
        ['default.replication.factor', '3'],
        ['min.insync.replicas', '2'],
        ['offsets.topic.replication.factor', '3'],
        ['offsets.topic.num.partitions', '3'],
        ['group.initial.rebalance.delay.ms', '0'],
        ['replica.lag.time.max.ms', String(LAG_MS)],
        ['replica.fetch.wait.max.ms', '200'],
        ['replica.fetch.backoff.ms', '200'],
        ['auto.create.topics.enable', 'false'],
      ]),
    );
    n.broker = await startBroker(config, createLogger((process.env.REPL_LOG as 'debug') ?? 'warn', `broker-${id}`), {
      openMetadataLog: (img) => shared.open(img),
    });
  }

  /** Closes a broker; with `fence`, the controller also fences it and moves its leaderships away. */
  async function stop(id: number, fence: boolean): Promise<void> {
    const n = node(id);
    await n.broker?.close();
    n.broker = null;
    if (!fence) return;
    const epoch = image().brokers.get(id)?.epoch ?? -1;
    await shared.append([{ type: 'FenceBroker', brokerId: id, brokerEpoch: epoch }]);
    await shared.append(planBrokerLeaving(image(), id, () => false));
  }

  /** Produces with confluent-kafka (librdkafka), acks=all and idempotence; returns what was acknowledged. */
  async function produce(
    topic: string,
    values: string[],
    acks = 'all',
  ): Promise<{ acked: string[]; errors: string[] }> {
    const out = await python(`
import json
from confluent_kafka import Producer
acked, errors = [], []
def report(err, msg):
    if err is None: acked.append(msg.value().decode())
    else: errors.append(err.name())
p = Producer({'bootstrap.servers': '${live()
      .map(bootstrap)
      .join(',')}', 'acks': '${acks}', 'enable.idempotence': ${acks === 'all' ? 'True' : 'False'},
              'message.timeout.ms': 20000, 'linger.ms': 5, 'topic.metadata.refresh.interval.ms': 500})
for v in ${JSON.stringify(values)}:
    p.produce('${topic}', value=v.encode(), partition=0, on_delivery=report)
p.flush(30)
print(json.dumps({'acked': acked, 'errors': errors}))
`);
    return JSON.parse(out.trim().split('\n').pop() as string);
  }

  /** Consumes partition 0 from the beginning with kcat (librdkafka), as values in offset order. */
  async function consume(topic: string): Promise<string[]> {
    const out = await run('/usr/bin/kcat', [
      '-b',
      live().map(bootstrap).join(','),
      '-C',
      '-t',
      topic,
      '-p',
      '0',
      '-o',
      'beginning',
      '-e',
      '-f',
      '%s\n',
    ]);
    return out.split('\n').filter((l) => l.length > 0);
  }

  /** One Produce request with the given acks over a plain connection, for the exact error code. */
  async function produceRaw(topic: string, acks: number, value: string): Promise<number> {
    const leader = partitionInfo(topic)?.leader as number;
    const conn: Connection = await connect({ host: '127.0.0.1', port: node(leader).port });
    try {
      const records = encodeBatch({
        baseTimestamp: BigInt(Date.now()),
        records: [
          { attributes: 0, timestampDelta: 0, offsetDelta: 0, key: null, value: Buffer.from(value), headers: [] },
        ],
      });
      const response = await conn.request(ApiKey.Produce, {
        ...defaultProduceRequest(),
        acks,
        timeoutMs: 5000,
        topicData: [{ name: topic, partitionData: [{ index: 0, records: Buffer.from(records) }] }],
      });
      return response?.responses[0]?.partitionResponses[0]?.errorCode ?? -1;
    } finally {
      await conn.close();
    }
  }

  /** ListOffsets LATEST from the partition leader: the high watermark. */
  async function latestOffset(leader: number, topic: string): Promise<number> {
    const conn = await connect({ host: '127.0.0.1', port: node(leader).port });
    try {
      const r = await conn.request(ApiKey.ListOffsets, {
        ...defaultListOffsetsRequest(),
        topics: [
          {
            name: topic,
            partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }],
          },
        ],
      });
      return Number(r.topics[0]?.partitions[0]?.offset ?? -1n);
    } finally {
      await conn.close();
    }
  }

  const isr = (topic: string) => [...(partitionInfo(topic)?.isr ?? [])].sort();

  /** A broker-level metric as the Prometheus endpoint would show it. */
  async function metric(id: number, name: string): Promise<number> {
    const text = (await node(id).broker?.services.metrics.registry.metrics()) ?? '';
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line ? Number(line.split(' ')[1]) : Number.NaN;
  }

  beforeAll(async () => {
    for (const n of nodes) n.port = await freePort();
    for (const n of nodes) await start(n.id);
    admin = new AdminClient({ bootstrap: nodes.map(bootstrap) });
  });

  afterAll(async () => {
    await admin?.close();
    for (const n of nodes) {
      await n.broker?.close();
      removeDir(n.dir);
    }
  });

  it('copies acks=all writes to every replica and moves the high watermark with the ISR', async () => {
    await admin.createTopics([{ name: 'orders', numPartitions: 1, replicationFactor: 3 }]);
    const info = await waitFor('partition', () => partitionInfo('orders'));
    expect(info.replicas).toHaveLength(3);
    expect(isr('orders')).toEqual([1, 2, 3]);
    const values = Array.from({ length: 200 }, (_, i) => `order-${i}`);
    const result = await produce('orders', values);
    expect(result.errors).toEqual([]);
    expect(result.acked).toEqual(values);
    // The leader answered acks=all only once the ISR had everything: its HW covers all 200.
    expect(hosted(info.leader, 'orders')?.highWatermark).toBe(200);
    // Followers hold the same batches at the same offsets and learn the HW on their next fetch.
    await waitFor('followers at HW 200', () => [1, 2, 3].every((id) => hosted(id, 'orders')?.highWatermark === 200));
    const bytes = [1, 2, 3].map((id) => {
      const p = hosted(id, 'orders');
      return p?.log.read(0, 1 << 24, p.log.logEndOffset, true).records.toString('base64');
    });
    expect(new Set(bytes).size).toBe(1);
    expect(await consume('orders')).toEqual(values);
  });

  it('shows consumers only what the ISR has: the high watermark waits for a lagging follower', async () => {
    await admin.createTopics([
      { name: 'visible', numPartitions: 1, replicationFactor: 3, configs: { 'min.insync.replicas': '1' } },
    ]);
    await waitFor('ISR of 3', () => isr('visible').length === 3);
    const leader = partitionInfo('visible')?.leader as number;
    const follower = [1, 2, 3].find((id) => id !== leader) as number;
    await stop(follower, false);
    expect(await produceRaw('visible', 1, 'v1')).toBe(0);
    expect(hosted(leader, 'visible')?.log.logEndOffset).toBe(1);
    // The stopped follower is still in the ISR and has not fetched offset 0: nothing is readable.
    expect(hosted(leader, 'visible')?.highWatermark).toBe(0);
    expect(await latestOffset(leader, 'visible')).toBe(0);
    expect(await consume('visible')).toEqual([]);
    // Once it leaves the ISR (replica.lag.time.max.ms) the high watermark moves and the record shows.
    await waitFor('ISR shrink', () => !isr('visible').includes(follower), 10_000);
    await waitFor('HW 1', () => hosted(leader, 'visible')?.highWatermark === 1);
    expect(await latestOffset(leader, 'visible')).toBe(1);
    expect(await consume('visible')).toEqual(['v1']);
    await start(follower);
    await waitFor('ISR of 3 again', () => isr('visible').length === 3, 15_000);
  });

  it('answers a fetch or produce sent to a follower with the current leader and its endpoint (KIP-951)', async () => {
    const info = partitionInfo('orders');
    const follower = [1, 2, 3].find((id) => id !== info?.leader) as number;
    const topicId = image().topics.get('orders')?.id as string;
    const conn = await connect({ host: '127.0.0.1', port: node(follower).port });
    try {
      const fetched = await conn.request(ApiKey.Fetch, {
        ...defaultFetchRequest(),
        maxWaitMs: 0,
        topics: [
          {
            topic: 'orders',
            topicId,
            partitions: [
              { ...defaultFetchRequestFetchPartition(), partition: 0, fetchOffset: 0n, partitionMaxBytes: 1024 },
            ],
          },
        ],
      });
      const p = fetched.responses[0]?.partitions[0];
      expect(p?.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
      expect(p?.currentLeader).toMatchObject({ leaderId: info?.leader, leaderEpoch: info?.leaderEpoch });
      expect(fetched.nodeEndpoints).toContainEqual(
        expect.objectContaining({ nodeId: info?.leader, host: '127.0.0.1', port: node(info?.leader as number).port }),
      );
      const records = encodeBatch({
        baseTimestamp: BigInt(Date.now()),
        records: [
          { attributes: 0, timestampDelta: 0, offsetDelta: 0, key: null, value: Buffer.from('x'), headers: [] },
        ],
      });
      const produced = await conn.request(ApiKey.Produce, {
        ...defaultProduceRequest(),
        acks: -1,
        timeoutMs: 5000,
        topicData: [{ name: 'orders', partitionData: [{ index: 0, records: Buffer.from(records) }] }],
      });
      const r = produced?.responses[0]?.partitionResponses[0];
      expect(r?.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
      expect(r?.currentLeader).toMatchObject({ leaderId: info?.leader, leaderEpoch: info?.leaderEpoch });
      expect(produced?.nodeEndpoints).toContainEqual(expect.objectContaining({ nodeId: info?.leader }));
    } finally {
      await conn.close();
    }
  });

  it('adds partitions with the topic replication factor, spread over the brokers (CreatePartitions)', async () => {
    await admin.createTopics([{ name: 'growing', numPartitions: 1, replicationFactor: 3 }]);
    await admin.createPartitions([{ topic: 'growing', count: 4 }]);
    const infos = await waitFor('4 partitions with a full ISR', () => {
      const ps = image().topics.get('growing')?.partitions ?? [];
      return ps.length === 4 && ps.every((p) => p.isr.length === 3) ? ps : null;
    });
    for (const p of infos) expect([...p.replicas].sort()).toEqual([1, 2, 3]);
    // Preferred leaders rotate over the brokers.
    expect(new Set(infos.slice(1).map((p) => p.replicas[0])).size).toBe(3);
    // Every broker hosts every new partition and follows or leads it.
    for (const id of [1, 2, 3]) for (const p of [1, 2, 3]) expect(hosted(id, 'growing', p)).toBeDefined();
  });

  it('fails over to a follower that has every acknowledged record when the leader goes away', async () => {
    const oldLeader = partitionInfo('orders')?.leader as number;
    const oldEpoch = partitionInfo('orders')?.leaderEpoch as number;
    await stop(oldLeader, true);
    const info = await waitFor('a new leader', () => {
      const p = partitionInfo('orders');
      return p && p.leader >= 0 && p.leader !== oldLeader ? p : null;
    });
    expect(info.leaderEpoch).toBe(oldEpoch + 1);
    expect(info.isr).not.toContain(oldLeader);
    const more = Array.from({ length: 100 }, (_, i) => `after-failover-${i}`);
    const result = await produce('orders', more);
    expect(result.errors).toEqual([]);
    const all = await consume('orders');
    expect(all).toHaveLength(300);
    expect(all).toEqual([...Array.from({ length: 200 }, (_, i) => `order-${i}`), ...more]);

    // The old leader comes back as a follower, catches up and is added to the ISR again.
    await start(oldLeader);
    await waitFor('ISR of 3 again', () => isr('orders').length === 3);
    expect(hosted(oldLeader, 'orders')?.isLeader).toBe(false);
    await waitFor('old leader caught up', () => hosted(oldLeader, 'orders')?.log.logEndOffset === 300);
  });

  it('moves leadership back to the preferred replica with ElectLeaders', async () => {
    const info = partitionInfo('orders');
    const preferred = info?.replicas[0] as number;
    expect(info?.leader).not.toBe(preferred);
    const conn = await connect({ host: '127.0.0.1', port: node(preferred).port });
    try {
      const response = await conn.request(ApiKey.ElectLeaders, {
        electionType: 0,
        topicPartitions: [{ topic: 'orders', partitions: [0] }],
        timeoutMs: 5000,
      });
      expect(response.replicaElectionResults[0]?.partitionResult[0]?.errorCode).toBe(0);
    } finally {
      await conn.close();
    }
    await waitFor('preferred leader', () => partitionInfo('orders')?.leader === preferred);
    expect(hosted(preferred, 'orders')?.isLeader).toBe(true);
    const result = await produce('orders', ['after-election']);
    expect(result.errors).toEqual([]);
  });

  it('drops a follower that stops fetching from the ISR after replica.lag.time.max.ms, and takes it back', async () => {
    const leader = partitionInfo('orders')?.leader as number;
    const follower = [1, 2, 3].find((id) => id !== leader) as number;
    const started = Date.now();
    await stop(follower, false); // not fenced: only the leader can notice
    await waitFor('ISR shrink', () => !isr('orders').includes(follower), 10_000);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(LAG_MS);
    expect(node(leader).broker?.services.replicas.isrShrinks).toBeGreaterThan(0);
    expect(await metric(leader, 'kafka_server_replicamanager_isrshrinks_total')).toBeGreaterThan(0);
    expect(await metric(leader, 'kafka_server_replicamanager_underreplicatedpartitions')).toBe(1);
    // With 2 of 3 in the ISR and min.insync.replicas 2, acks=all still works.
    expect(await produceRaw('orders', -1, 'with-two')).toBe(0);
    await start(follower);
    await waitFor('ISR expand', () => isr('orders').includes(follower), 10_000);
    expect(node(leader).broker?.services.replicas.isrExpands).toBeGreaterThan(0);
    expect(await metric(leader, 'kafka_server_replicamanager_isrexpands_total')).toBeGreaterThan(0);
  });

  it('refuses acks=all with NOT_ENOUGH_REPLICAS when two of three brokers are down, and heals', async () => {
    const leader = partitionInfo('orders')?.leader as number;
    const followers = [1, 2, 3].filter((id) => id !== leader);
    for (const id of followers) await stop(id, true);
    expect(isr('orders')).toEqual([leader]);
    expect(await produceRaw('orders', -1, 'must-not-be-written')).toBe(ErrorCode.NOT_ENOUGH_REPLICAS);
    // 'orders' and any other partition this broker leads are now under min.insync.replicas.
    expect(await metric(leader, 'kafka_server_replicamanager_underminisrpartitioncount')).toBeGreaterThanOrEqual(1);
    const end = hosted(leader, 'orders')?.log.logEndOffset;
    // acks=1 does not need the ISR.
    expect(await produceRaw('orders', 1, 'acks-one')).toBe(0);
    expect(hosted(leader, 'orders')?.log.logEndOffset).toBe((end as number) + 1);
    for (const id of followers) await start(id);
    await waitFor('ISR of 3 after restarts', () => isr('orders').length === 3, 15_000);
    await waitFor(
      'every partition healed',
      () => [...image().topics.values()].every((t) => t.partitions.every((p) => p.isr.length === p.replicas.length)),
      15_000,
    );
    expect(await metric(leader, 'kafka_server_replicamanager_underreplicatedpartitions')).toBe(0);
    expect(await metric(leader, 'kafka_server_replicamanager_underminisrpartitioncount')).toBe(0);
    const values = await consume('orders');
    expect(values).not.toContain('must-not-be-written');
    expect(values[values.length - 1]).toBe('acks-one');
  });

  it('truncates a divergent tail the old leader wrote without the ISR', async () => {
    await admin.createTopics([
      { name: 'tail', numPartitions: 1, replicationFactor: 3, configs: { 'min.insync.replicas': '1' } },
    ]);
    const first = await waitFor('partition', () => partitionInfo('tail'));
    const leader = first.leader;
    const [a, b] = first.replicas.filter((id) => id !== leader) as [number, number];
    const kept = Array.from({ length: 10 }, (_, i) => `kept-${i}`);
    expect((await produce('tail', kept)).errors).toEqual([]);
    await waitFor('followers have 10', () => [a, b].every((id) => hosted(id, 'tail')?.log.logEndOffset === 10));
    // The followers stop before the leader notices; the leader takes acks=1 writes nobody copies.
    await stop(a, false);
    await stop(b, false);
    for (let i = 0; i < 5; i++) expect(await produceRaw('tail', 1, `lost-${i}`)).toBe(0);
    const oldLeaderLog = node(leader).dir;
    expect(oldLeaderLog).toBeTruthy();
    expect(hosted(leader, 'tail')?.log.logEndOffset).toBe(15);
    // The leader dies; the followers come back and one of them is elected from the ISR.
    await stop(leader, false);
    await start(a);
    await start(b);
    const epoch = image().brokers.get(leader)?.epoch ?? -1;
    await shared.append([{ type: 'FenceBroker', brokerId: leader, brokerEpoch: epoch }]);
    await shared.append(planBrokerLeaving(image(), leader, () => false));
    const newLeader = await waitFor('new leader', () => {
      const l = partitionInfo('tail')?.leader;
      return l !== undefined && l >= 0 && l !== leader ? l : null;
    });
    for (let i = 0; i < 3; i++) expect(await produceRaw('tail', 1, `new-${i}`)).toBe(0);
    // The old leader restarts as a follower: the new leader answers its fetch with a diverging
    // epoch, it truncates offsets 10-14 and copies the new leader's 10-12.
    await start(leader);
    await waitFor('old leader truncated and caught up', () => {
      const p = hosted(leader, 'tail');
      const q = hosted(newLeader, 'tail');
      return p && q && p.log.logEndOffset === q.log.logEndOffset && q.log.logEndOffset === 13;
    });
    const logOf = (id: number) => {
      const p = hosted(id, 'tail');
      return p?.log.read(0, 1 << 24, p.log.logEndOffset, true).records.toString('base64');
    };
    expect(logOf(leader)).toBe(logOf(newLeader));
    await waitFor('ISR of 3', () => isr('tail').length === 3, 15_000);
    expect(await consume('tail')).toEqual([...kept, 'new-0', 'new-1', 'new-2']);
  });

  it('moves leadership back to preferred replicas with auto.leader.rebalance.enable', async () => {
    await admin.createTopics([{ name: 'balance', numPartitions: 1, replicationFactor: 3 }]);
    const preferred = (await waitFor('partition', () => partitionInfo('balance'))).replicas[0] as number;
    await waitFor('ISR of 3', () => isr('balance').length === 3);
    await stop(preferred, true);
    await waitFor('another leader', () => (partitionInfo('balance')?.leader ?? preferred) !== preferred);
    await start(preferred);
    await waitFor('ISR of 3 again', () => isr('balance').length === 3, 15_000);
    expect(partitionInfo('balance')?.leader).not.toBe(preferred);
    // The controller's periodic check (leader.imbalance.check.interval.seconds), run once here.
    const services = node(preferred).broker?.services;
    if (!services) throw new Error('broker not running');
    const rebalancer = new LeaderRebalancer(services.image, services.controller, services.config, createLogger('warn'));
    expect(await rebalancer.runOnce()).toBeGreaterThanOrEqual(1);
    await waitFor('preferred leader', () => partitionInfo('balance')?.leader === preferred);
    expect(hosted(preferred, 'balance')?.isLeader).toBe(true);
  });

  it('elects an out-of-sync replica only where unclean.leader.election.enable allows it', async () => {
    const configs = { 'unclean.leader.election.enable': 'true', 'min.insync.replicas': '1' };
    await admin.createTopics([
      { name: 'unclean', assignments: [[1, 2]], configs },
      { name: 'clean', assignments: [[1, 2]], configs: { 'min.insync.replicas': '1' } },
    ]);
    await waitFor('ISRs of 2', () => isr('unclean').length === 2 && isr('clean').length === 2);
    expect(await produceRaw('unclean', -1, 'u1')).toBe(0);
    expect(await produceRaw('clean', -1, 'c1')).toBe(0);
    // Broker 2 stops and leaves the ISRs; broker 1 alone takes more writes, then dies too.
    await stop(2, false);
    await waitFor('ISRs of [1]', () => isr('unclean').join() === '1' && isr('clean').join() === '1', 10_000);
    expect(await produceRaw('unclean', 1, 'u2-lost')).toBe(0);
    await stop(1, true);
    expect(partitionInfo('unclean')?.leader).toBe(-1);
    // Broker 2 comes back out of sync: only the topic that allows it gets it as leader (the
    // controller's once-a-second check), losing what broker 1 alone had.
    await start(2);
    await waitFor('unclean leader', () => partitionInfo('unclean')?.leader === 2, 10_000);
    expect(isr('unclean')).toEqual([2]);
    await new Promise((r) => setTimeout(r, 1500));
    expect(partitionInfo('clean')?.leader).toBe(-1);
    expect(await consume('unclean')).toEqual(['u1']);
    // Broker 1 returns: 'clean' gets its leader back with everything, and on 'unclean' broker 1
    // truncates the write nobody else had and follows broker 2.
    await start(1);
    await waitFor('clean leader back', () => partitionInfo('clean')?.leader === 1, 10_000);
    await waitFor('unclean ISR of 2', () => isr('unclean').length === 2, 15_000);
    expect(hosted(1, 'unclean')?.log.logEndOffset).toBe(hosted(2, 'unclean')?.log.logEndOffset);
    expect(await consume('unclean')).toEqual(['u1']);
  });

  it('moves a partition to another broker with AlterPartitionReassignments', async () => {
    await admin.createTopics([{ name: 'moving', assignments: [[1]], configs: { 'min.insync.replicas': '1' } }]);
    await waitFor('partition', () => partitionInfo('moving'));
    const values = Array.from({ length: 50 }, (_, i) => `m-${i}`);
    expect((await produce('moving', values)).errors).toEqual([]);
    const conn = await connect({ host: '127.0.0.1', port: node(1).port });
    try {
      const response = await conn.request(ApiKey.AlterPartitionReassignments, {
        timeoutMs: 5000,
        topics: [{ name: 'moving', partitions: [{ partitionIndex: 0, replicas: [2] }] }],
      });
      expect(response.responses[0]?.partitions[0]?.errorCode).toBe(0);
      await waitFor('reassignment done', () => {
        const p = partitionInfo('moving');
        return p && p.replicas.join() === '2' && p.leader === 2 && (p.addingReplicas ?? []).length === 0;
      });
      const listed = await conn.request(ApiKey.ListPartitionReassignments, { timeoutMs: 5000, topics: null });
      expect(listed.topics).toEqual([]);
    } finally {
      await conn.close();
    }
    await waitFor('old replica removed', () => hosted(1, 'moving') === undefined);
    expect(hosted(2, 'moving')?.isLeader).toBe(true);
    expect(await consume('moving')).toEqual(values);

    // A replica moved away while its broker was down loses its log when the broker starts again.
    await admin.createTopics([{ name: 'moving2', assignments: [[1, 3]], configs: { 'min.insync.replicas': '1' } }]);
    await waitFor('ISR of 2', () => isr('moving2').join() === '1,3');
    expect(await produceRaw('moving2', -1, 'x')).toBe(0);
    await waitFor('copied to 3', () => hosted(3, 'moving2')?.log.logEndOffset === 1);
    await stop(3, false);
    const again = await connect({ host: '127.0.0.1', port: node(1).port });
    try {
      await again.request(ApiKey.AlterPartitionReassignments, {
        timeoutMs: 5000,
        topics: [{ name: 'moving2', partitions: [{ partitionIndex: 0, replicas: [1, 2] }] }],
      });
    } finally {
      await again.close();
    }
    await waitFor('moved to 1,2', () => partitionInfo('moving2')?.replicas.join() === '1,2');
    expect(existsSync(join(node(3).dir, 'moving2-0'))).toBe(true);
    await start(3);
    expect(existsSync(join(node(3).dir, 'moving2-0'))).toBe(false);
    expect(hosted(3, 'moving2')).toBeUndefined();
  });
});

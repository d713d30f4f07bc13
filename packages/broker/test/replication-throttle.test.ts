/**
 * Replication quotas (KIP-73) between two real broker processes (harness.ts quorumCluster: one
 * combined broker/controller and one broker-only node). A partition holding ~8 MiB is reassigned from
 * broker 1 onto brokers 1 and 2, first without a throttle, then two such partitions at once with
 * leader.replication.throttled.rate and follower.replication.throttled.rate at 1 MiB/s on both brokers:
 * one named only in leader.replication.throttled.replicas (0:1, so the leader holds it back), the other
 * only in follower.replication.throttled.replicas (0:2, so the follower does). Each throttled move must
 * take at least ~6 s and clearly longer than the free one, while a partition that is not throttled
 * keeps replicating to broker 2 at full speed; the configs round-trip through DescribeConfigs and the
 * LeaderReplication/FollowerReplication byte-rate metrics move.
 */
import { randomBytes } from 'node:crypto';
import {
  AdminClient,
  AlterConfigOp,
  ApiKey,
  ConfigResourceType,
  ConfigSource,
  Connection,
  defaultProduceRequest,
  encodeBatch,
} from '@flotilla/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type QuorumCluster, quorumCluster } from './harness.js';

const MiB = 1024 * 1024;
const RATE = String(MiB);

async function eventually<T>(what: string, f: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
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

describe('replication throttling (KIP-73) on a 2-broker cluster', () => {
  let cluster: QuorumCluster;
  let admin: AdminClient;

  const metric = async (id: number, name: string): Promise<number> => {
    const port = cluster.node(id).process?.metricsPort;
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const m = new RegExp(`^${name} (\\S+)`, 'm').exec(text);
    return m ? Number(m[1]) : Number.NaN;
  };

  const partition = async (topic: string) => {
    const md = await admin.metadata([topic]);
    return md.topics[0]?.partitions[0];
  };

  /** Appends `bytes` of incompressible records to partition 0 of `topic` on broker 1, 256 KiB per batch. */
  async function fill(topic: string, bytes: number): Promise<void> {
    const conn = await Connection.open({ host: '127.0.0.1', port: cluster.node(1).port, requestTimeoutMs: 30_000 });
    try {
      for (let written = 0; written < bytes; written += 256 * 1024) {
        const records = Array.from({ length: 64 }, (_, i) => ({
          attributes: 0,
          timestampDelta: 0,
          offsetDelta: i,
          key: null,
          value: randomBytes(4096),
          headers: [],
        }));
        const response = await conn.request(ApiKey.Produce, {
          ...defaultProduceRequest(),
          acks: 1,
          timeoutMs: 10_000,
          topicData: [
            {
              name: topic,
              partitionData: [
                { index: 0, records: Buffer.from(encodeBatch({ baseTimestamp: BigInt(Date.now()), records })) },
              ],
            },
          ],
        });
        expect(response?.responses[0]?.partitionResponses[0]?.errorCode).toBe(0);
      }
    } finally {
      await conn.close();
    }
  }

  /** Reassigns partition 0 of `topic` to [1, 2] and returns how long until both replicas are in sync. */
  async function reassignOntoBothBrokers(topic: string, during?: () => Promise<void>): Promise<number> {
    const started = Date.now();
    const conn = await Connection.open({ host: '127.0.0.1', port: cluster.node(1).port, requestTimeoutMs: 15_000 });
    try {
      const response = await conn.request(ApiKey.AlterPartitionReassignments, {
        timeoutMs: 10_000,
        topics: [{ name: topic, partitions: [{ partitionIndex: 0, replicas: [1, 2] }] }],
      });
      expect(response.responses[0]?.partitions[0]?.errorCode).toBe(0);
    } finally {
      await conn.close();
    }
    const moving = during?.();
    await eventually(
      `${topic} in sync on brokers 1 and 2`,
      async () => {
        const p = await partition(topic);
        return p && [...p.isr].sort().join() === '1,2' && [...p.replicas].sort().join() === '1,2';
      },
      120_000,
    );
    const tookMs = Date.now() - started;
    await moving;
    return tookMs;
  }

  beforeAll(async () => {
    cluster = await quorumCluster(
      1,
      {
        'metrics.port': '0',
        'offsets.topic.replication.factor': '1',
        'replica.fetch.wait.max.ms': '200',
        'replica.fetch.backoff.ms': '200',
        'auto.create.topics.enable': 'false',
      },
      { brokerOnly: 1 },
    );
    await cluster.start();
    admin = new AdminClient({ bootstrap: [cluster.bootstrap(1)], requestTimeoutMs: 15_000 });
    await eventually('both brokers registered', async () => (await admin.metadata([])).brokers.length === 2);
    await admin.createTopics([
      { name: 'baseline', assignments: [[1]] },
      { name: 'leader-side', assignments: [[1]] },
      { name: 'follower-side', assignments: [[1]] },
      { name: 'free', assignments: [[1, 2]] },
    ]);
    await eventually('leaders elected', async () => (await partition('follower-side'))?.leader === 1);
    await fill('baseline', 8 * MiB);
    await fill('leader-side', 8 * MiB);
    await fill('follower-side', 8 * MiB);
  }, 120_000);

  afterAll(async () => {
    await admin?.close();
    await cluster?.close();
  });

  it('keeps the throttle configs in the metadata and reports them in DescribeConfigs; refuses bad replica lists', async () => {
    await admin.incrementalAlterConfigs(
      [1, 2].map((id) => ({
        type: ConfigResourceType.BROKER,
        name: String(id),
        ops: [
          { name: 'leader.replication.throttled.rate', op: AlterConfigOp.SET, value: RATE },
          { name: 'follower.replication.throttled.rate', op: AlterConfigOp.SET, value: RATE },
        ],
      })),
    );
    await admin.incrementalAlterConfigs([
      {
        type: ConfigResourceType.TOPIC,
        name: 'leader-side',
        ops: [{ name: 'leader.replication.throttled.replicas', op: AlterConfigOp.SET, value: '0:1' }],
      },
      {
        type: ConfigResourceType.TOPIC,
        name: 'follower-side',
        ops: [{ name: 'follower.replication.throttled.replicas', op: AlterConfigOp.SET, value: '0:2' }],
      },
    ]);
    const keys = ['leader.replication.throttled.replicas', 'follower.replication.throttled.replicas'];
    const [b1, b2, leaderSide, followerSide] = await admin.describeConfigs([
      { type: ConfigResourceType.BROKER, name: '1', keys: ['leader.replication.throttled.rate'] },
      { type: ConfigResourceType.BROKER, name: '2', keys: ['follower.replication.throttled.rate'] },
      { type: ConfigResourceType.TOPIC, name: 'leader-side', keys },
      { type: ConfigResourceType.TOPIC, name: 'follower-side', keys },
    ]);
    expect(b1?.configs).toMatchObject([{ value: RATE, source: ConfigSource.DYNAMIC_BROKER_CONFIG, readOnly: false }]);
    expect(b2?.configs).toMatchObject([{ value: RATE, source: ConfigSource.DYNAMIC_BROKER_CONFIG }]);
    const byName = (r: typeof leaderSide) =>
      Object.fromEntries(r?.configs.map((c) => [c.name, [c.value, c.source]]) ?? []);
    expect(byName(leaderSide)).toEqual({
      'leader.replication.throttled.replicas': ['0:1', ConfigSource.DYNAMIC_TOPIC_CONFIG],
      'follower.replication.throttled.replicas': ['', ConfigSource.DEFAULT_CONFIG],
    });
    expect(byName(followerSide)).toEqual({
      'leader.replication.throttled.replicas': ['', ConfigSource.DEFAULT_CONFIG],
      'follower.replication.throttled.replicas': ['0:2', ConfigSource.DYNAMIC_TOPIC_CONFIG],
    });
    const [untouched] = await admin.describeConfigs([
      { type: ConfigResourceType.TOPIC, name: 'free', keys: ['leader.replication.throttled.replicas'] },
    ]);
    expect(untouched?.configs).toMatchObject([{ value: '', source: ConfigSource.DEFAULT_CONFIG }]);
    await expect(
      admin.incrementalAlterConfigs([
        {
          type: ConfigResourceType.TOPIC,
          name: 'free',
          ops: [{ name: 'leader.replication.throttled.replicas', op: AlterConfigOp.SET, value: '0:1,*' }],
        },
      ]),
    ).rejects.toThrow(/partitionId/);
    await expect(
      admin.incrementalAlterConfigs([
        {
          type: ConfigResourceType.BROKER,
          name: '1',
          ops: [{ name: 'leader.replication.throttled.rate', op: AlterConfigOp.SET, value: '-5' }],
        },
      ]),
    ).rejects.toThrow(/at least 0/);
  }, 60_000);

  it('throttled reassignments copy at the rate, on the leader and on the follower side, while unthrottled replication runs at full speed', async () => {
    // The rates are set on both brokers already, but 'baseline' is not a throttled replica anywhere.
    const freeMs = await reassignOntoBothBrokers('baseline');

    let freeLaggedMs = 0;
    let leaderRate = 0;
    let followerRate = 0;
    const [leaderSideMs, followerSideMs] = await Promise.all([
      reassignOntoBothBrokers('leader-side'),
      reassignOntoBothBrokers('follower-side', async () => {
        // Meanwhile 'free' (replicas 1 and 2, not throttled) takes 2 MiB and broker 2 keeps up.
        await fill('free', 2 * MiB);
        const wrote = Date.now();
        await eventually('free in sync on broker 2', async () => {
          const p = await partition('free');
          const end = await metric(1, 'kafka_log_log_logendoffset\\{topic="free",partition="0"\\}');
          const copied = await metric(2, 'kafka_log_log_logendoffset\\{topic="free",partition="0"\\}');
          return p?.isr.length === 2 && end > 0 && copied === end;
        });
        freeLaggedMs = Date.now() - wrote;
        leaderRate = await metric(1, 'kafka_server_leaderreplication_byte_rate');
        followerRate = await metric(2, 'kafka_server_followerreplication_byte_rate');
      }),
    ]);
    console.log(JSON.stringify({ freeMs, leaderSideMs, followerSideMs, freeLaggedMs, leaderRate, followerRate }));
    // 8 MiB at 1 MiB/s: a throttle that does nothing finishes in about the time of the free move.
    for (const ms of [leaderSideMs, followerSideMs]) {
      expect(ms).toBeGreaterThanOrEqual(6_000);
      expect(ms).toBeGreaterThan(2 * freeMs);
    }
    // The unthrottled partition was copied well before the throttled moves ended.
    expect(freeLaggedMs).toBeLessThan(Math.min(leaderSideMs, followerSideMs));
    // Each quota measured its own throttled partition, near the bound (bursts of one fetch), and held it back.
    expect(leaderRate).toBeGreaterThan(0);
    expect(leaderRate).toBeLessThan(3 * MiB);
    expect(followerRate).toBeGreaterThan(0);
    expect(followerRate).toBeLessThan(3 * MiB);
    expect(await metric(1, 'kafka_server_leaderreplication_throttled_total')).toBeGreaterThan(0);
    expect(await metric(2, 'kafka_server_followerreplication_throttled_total')).toBeGreaterThan(0);
    // Once in the ISR a replica is no longer throttled: new writes reach it at once.
    await fill('leader-side', MiB);
    await fill('follower-side', MiB);
    for (const topic of ['leader-side', 'follower-side']) {
      await eventually(
        `${topic} in sync after new writes`,
        async () => {
          const end = await metric(1, `kafka_log_log_logendoffset\\{topic="${topic}",partition="0"\\}`);
          return end > 0 && (await metric(2, `kafka_log_log_logendoffset\\{topic="${topic}",partition="0"\\}`)) === end;
        },
        10_000,
      );
    }
  }, 240_000);
});

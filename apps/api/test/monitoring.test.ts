/**
 * Monitoring end to end on real things (issue 8): a 3-broker cluster on the ProcessDriver made through
 * the MSK API and the operations worker, the worker's Monitor scraping it into real Postgres, and the
 * API reading it back. kcat produces 10,000 records; a confluent-kafka group consumes and commits 4,000;
 * the metrics API then shows BytesInPerSec > 0 and SumOffsetLag 6,000 exactly (OffsetLag per partition
 * adding up to it), EstimatedMaxTimeLag grows while the group is idle and lag drops to 0 once it
 * catches up. A lag alarm fires its webhook (a real HTTP server here) and an event on the API's event
 * stream (pg_notify, then GET /v1/events as server-sent events), and clears again. A SIGKILLed broker is named by the health summary with
 * UnderReplicatedPartitions > 0 within two scrape passes. The Prometheus endpoint passes a strict
 * text-format check.
 */
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import {
  CreateClusterV2Command,
  CreateConfigurationCommand,
  DescribeClusterV2Command,
  UpdateMonitoringCommand,
} from '@aws-sdk/client-kafka';
import { METRICS, Monitor, type MonitorEvent, parsePrometheusText } from '@flotilla/worker';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumerGroupLag, prometheusName } from '../src/services/monitoring.js';
import { until, useControlPlane, waitActive } from './harness.js';

const TOPIC = 'orders';
const GROUP = 'billing';
// The monitor's warnings (a killed broker's failed scrapes) are expected here.
const quiet = { info() {}, warn() {}, error: (m: string, f?: unknown) => console.error(m, f) };

/** Consumes exactly `count` records of TOPIC as GROUP with confluent-kafka (librdkafka) and commits them. */
function consumeAndCommit(bootstrap: string, count: number): Promise<string> {
  const script = `
import sys
from confluent_kafka import Consumer
c = Consumer({'bootstrap.servers': sys.argv[1], 'group.id': '${GROUP}', 'auto.offset.reset': 'earliest',
              'enable.auto.commit': False, 'enable.auto.offset.store': False})
c.subscribe(['${TOPIC}'])
want, got = int(sys.argv[2]), 0
while got < want:
    m = c.poll(1.0)
    if m is None or m.error():
        continue
    c.store_offsets(m)
    got += 1
c.commit(asynchronous=False)
c.close()
print(got)
`;
  return new Promise((resolve, reject) => {
    execFile(
      '/usr/bin/python3',
      ['-c', script, bootstrap, String(count)],
      { timeout: 60_000 },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout.trim())),
    );
  });
}

function produceWithKcat(bootstrap: string, count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const kcat = spawn('kcat', ['-P', '-b', bootstrap, '-t', TOPIC, '-X', 'acks=all'], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    kcat.stderr.on('data', (d) => {
      stderr += d;
    });
    kcat.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`kcat exited ${code}: ${stderr}`))));
    const lines = Array.from({ length: count }, (_, i) => `order-${i}-${'x'.repeat(80)}`).join('\n');
    kcat.stdin.end(`${lines}\n`);
  });
}

describe('monitoring a 3-broker cluster on the ProcessDriver', () => {
  const plane = useControlPlane({ name: 'monitoring' });
  let monitor: Monitor;
  let clusterArn: string;
  let clusterId: string;
  let bootstrap: string;
  let webhook: Server;
  let webhookUrl: string;
  const webhookCalls: MonitorEvent[] = [];
  let listener: pg.Client;
  const notified: MonitorEvent[] = [];

  const get = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${plane().endpoint}${path}`, { headers: { authorization: plane().auth } });
    const text = await response.text();
    if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${text}`);
    return (response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T;
  };
  const arnPath = () => `/v1/clusters/${encodeURIComponent(clusterArn)}`;
  type Metrics = { metrics: { name: string; series: { dimensions: Record<string, string>; values: number[] }[] }[] };
  /** The newest value of each series of `name`. */
  const latest = async (name: string) => {
    const body = await get<Metrics>(
      `${arnPath()}/metrics?names=${name}&start=${encodeURIComponent(new Date(Date.now() - 600_000).toISOString())}`,
    );
    return (body.metrics[0]?.series ?? []).map((s) => ({ dimensions: s.dimensions, value: s.values.at(-1) as number }));
  };

  beforeAll(async () => {
    const { catalog, driver, databaseUrl } = plane();
    monitor = new Monitor({ catalog, driver, log: quiet });

    webhook = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        webhookCalls.push(JSON.parse(body) as MonitorEvent);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    const address = webhook.address();
    webhookUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hook`;

    listener = new pg.Client({ connectionString: databaseUrl });
    await listener.connect();
    listener.on('notification', (n) => {
      const event = JSON.parse(n.payload ?? '{}') as MonitorEvent;
      if (event.type === 'alarm') notified.push(event);
    });
    await listener.query('LISTEN flotilla_events');
  });

  afterAll(async () => {
    await monitor?.close();
    await listener?.end();
    await new Promise((r) => webhook?.close(r));
  });

  it('the cluster goes ACTIVE and UpdateMonitoring (AWS SDK) sets PER_TOPIC_PER_PARTITION', async () => {
    const configuration = await plane().msk.send(
      new CreateConfigurationCommand({
        Name: 'monitoring-config',
        // Followers leave the ISR 3 s after they stop fetching, so a killed broker shows quickly.
        ServerProperties: new TextEncoder().encode('replica.lag.time.max.ms=3000\n'),
      }),
    );
    const created = await plane().msk.send(
      new CreateClusterV2Command({
        ClusterName: 'monitored',
        Provisioned: {
          KafkaVersion: '3.8.x',
          NumberOfBrokerNodes: 3,
          ConfigurationInfo: { Arn: configuration.Arn, Revision: 1 },
          BrokerNodeGroupInfo: {
            InstanceType: 'kafka.t3.small',
            ClientSubnets: ['subnet-0', 'subnet-1', 'subnet-2'],
            StorageInfo: { EbsStorageInfo: { VolumeSize: 1 } },
          },
        },
      }),
    );
    clusterArn = created.ClusterArn as string;
    const info = await waitActive(plane().msk, clusterArn);
    bootstrap = (await plane().catalog.cluster.findUniqueOrThrow({ where: { arn: clusterArn } }))
      .bootstrapBrokerString as string;
    clusterId = (await plane().catalog.cluster.findUniqueOrThrow({ where: { arn: clusterArn } })).id;

    const updated = await plane().msk.send(
      new UpdateMonitoringCommand({
        ClusterArn: clusterArn,
        CurrentVersion: info.CurrentVersion,
        EnhancedMonitoring: 'PER_TOPIC_PER_PARTITION',
      }),
    );
    expect(updated.ClusterOperationArn).toMatch(/^arn:aws:kafka:/);
    const after = await plane().msk.send(new DescribeClusterV2Command({ ClusterArn: clusterArn }));
    expect(after.ClusterInfo?.Provisioned?.EnhancedMonitoring).toBe('PER_TOPIC_PER_PARTITION');
    expect(after.ClusterInfo?.CurrentVersion).not.toBe(info.CurrentVersion);
    // The old version is refused, as MSK refuses it.
    await expect(
      plane().msk.send(
        new UpdateMonitoringCommand({
          ClusterArn: clusterArn,
          CurrentVersion: info.CurrentVersion,
          EnhancedMonitoring: 'DEFAULT',
        }),
      ),
    ).rejects.toMatchObject({ name: 'BadRequestException', message: expect.stringMatching(/current version/) });
  }, 180_000);

  it('reports BytesInPerSec > 0 and SumOffsetLag 6,000 exactly after 10,000 produced and 4,000 committed', async () => {
    const admin = new Kafka({ brokers: bootstrap.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: TOPIC, numPartitions: 3, replicationFactor: 3 }],
      waitForLeaders: true,
    });
    await admin.disconnect();

    const response = await fetch(`${plane().endpoint}${arnPath()}/alarms/lag`, {
      method: 'PUT',
      headers: { authorization: plane().auth, 'content-type': 'application/json' },
      body: JSON.stringify({ metric: 'SumOffsetLag', threshold: 1000, webhookUrl }),
    });
    expect(response.status).toBe(200);

    // The API's event stream (GET /v1/events, server-sent events) for this cluster, read as it arrives.
    const stream = new AbortController();
    const sse = await fetch(`${plane().endpoint}/v1/events?clusterArn=${encodeURIComponent(clusterArn)}`, {
      headers: { authorization: plane().auth },
      signal: stream.signal,
    });
    expect(sse.status).toBe(200);
    let sseText = '';
    const reading = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of sse.body as unknown as AsyncIterable<Uint8Array>) sseText += decoder.decode(chunk);
    })().catch(() => undefined);

    await monitor.runOnce(); // the baseline the rates are measured from
    const producedAt = Date.now();
    await produceWithKcat(bootstrap, 10_000);
    expect(await consumeAndCommit(bootstrap, 4_000)).toBe('4000');
    const [pass] = await monitor.runOnce();
    expect(pass?.problems).toEqual([]);

    const bytesIn = await latest('BytesInPerSec');
    const brokerTotal = bytesIn
      .filter((s) => Object.keys(s.dimensions).join() === 'broker')
      .reduce((a, s) => a + s.value, 0);
    console.log(`BytesInPerSec over the 3 brokers: ${brokerTotal.toFixed(0)}`);
    expect(brokerTotal).toBeGreaterThan(0);
    // PER_TOPIC_PER_BROKER and finer keep the per-topic split too.
    expect(bytesIn.some((s) => s.dimensions.topic === TOPIC && s.value > 0)).toBe(true);

    const sum = await latest('SumOffsetLag');
    expect(sum).toEqual([{ dimensions: { group: GROUP, topic: TOPIC }, value: 6000 }]);
    const perPartition = await latest('OffsetLag');
    expect(perPartition).toHaveLength(3);
    expect(perPartition.reduce((a, s) => a + s.value, 0)).toBe(6000);
    expect((await latest('MaxOffsetLag'))[0]?.value).toBe(Math.max(...perPartition.map((s) => s.value)));
    const timeLag = (await latest('EstimatedMaxTimeLag'))[0]?.value as number;
    console.log(
      `EstimatedMaxTimeLag: ${timeLag.toFixed(2)} s (records produced ${((Date.now() - producedAt) / 1000).toFixed(1)} s ago)`,
    );
    expect(timeLag).toBeGreaterThan(0);
    expect(timeLag).toBeLessThanOrEqual((Date.now() - producedAt) / 1000 + 1);

    // The consumer-group route answers the same figures, asked of the cluster now.
    const described = await get<{
      lag: {
        sumOffsetLag: number;
        maxOffsetLag: number;
        estimatedMaxTimeLag: number;
        topics: { partitions: { offsetLag: number }[] }[];
      };
    }>(`${arnPath()}/consumer-groups/${GROUP}`);
    expect(described.lag.sumOffsetLag).toBe(6000);
    expect(described.lag.topics[0]?.partitions.map((p) => p.offsetLag).reduce((a, b) => a + b, 0)).toBe(6000);
    expect(described.lag.estimatedMaxTimeLag).toBeGreaterThan(0);
    const live = await consumerGroupLag(plane().api.fastify.services, clusterArn, GROUP);
    expect(live?.maxOffsetLag).toBe(described.lag.maxOffsetLag);

    // The lag alarm fired: webhook called and the event published on the API's event channel.
    await until('webhook', async () => (webhookCalls.length ? true : undefined), 10_000);
    expect(webhookCalls[0]).toMatchObject({ type: 'alarm', clusterArn, alarm: 'lag', state: 'ALARM', value: 6000 });
    await until('pg_notify', async () => (notified.length ? true : undefined), 10_000);
    expect(notified[0]).toMatchObject({ alarm: 'lag', state: 'ALARM' });
    // ... and forwarded on the SSE stream clients read.
    await until(
      'the alarm on /v1/events',
      async () => (/event: alarm\ndata: .*"state":"ALARM"/.test(sseText) ? true : undefined),
      10_000,
    );
    stream.abort();
    await reading;
  }, 120_000);

  it('EstimatedMaxTimeLag grows while the group is idle, and lag is 0 once it catches up', async () => {
    const before = (await latest('EstimatedMaxTimeLag'))[0]?.value as number;
    await new Promise((r) => setTimeout(r, 2_500));
    await monitor.runOnce();
    const later = (await latest('EstimatedMaxTimeLag'))[0]?.value as number;
    expect(later - before).toBeGreaterThanOrEqual(2);

    expect(await consumeAndCommit(bootstrap, 6_000)).toBe('6000');
    await monitor.runOnce();
    expect(await latest('SumOffsetLag')).toEqual([{ dimensions: { group: GROUP, topic: TOPIC }, value: 0 }]);
    expect((await latest('EstimatedMaxTimeLag'))[0]?.value).toBe(0);
    await until('alarm back to OK', async () => (webhookCalls.length >= 2 ? true : undefined), 10_000);
    expect(webhookCalls[1]).toMatchObject({ alarm: 'lag', state: 'OK', previousState: 'ALARM' });
  }, 90_000);

  it('serves every series on the Prometheus endpoint in strict text format, labelled by cluster/broker/topic', async () => {
    const text = await get<string>('/v1/prometheus/metrics');
    const { samples, types } = parsePrometheusText(text);
    expect(types.get('flotilla_bytes_in_per_sec')).toBe('gauge');
    const bytesIn = samples.filter((s) => s.name === 'flotilla_bytes_in_per_sec');
    expect(
      bytesIn.some((s) => s.labels.cluster === 'monitored' && s.labels.broker === '1' && s.labels.topic === TOPIC),
    ).toBe(true);
    expect(samples.some((s) => s.name === 'flotilla_sum_offset_lag' && s.labels.group === GROUP)).toBe(true);
    expect(samples.find((s) => s.name === 'flotilla_global_topic_count')?.labels.cluster_arn).toBe(clusterArn);
  });

  it('names a killed broker in the health summary, with UnderReplicatedPartitions > 0, within two passes', async () => {
    const healthy = await get<{ status: string }>(`${arnPath()}/health`);
    expect(healthy.status).toBe('HEALTHY');
    await plane().driver.killBroker({ clusterId, nodeId: 3 });
    const intervalMs = 5_000;
    const started = Date.now();
    let passes = 0;
    let health: { status: string; summary: string; problems: { code: string; brokerId?: number }[] } | undefined;
    while (passes < 2) {
      await new Promise((r) => setTimeout(r, intervalMs));
      await monitor.runOnce();
      passes++;
      health = await get(`${arnPath()}/health`);
      if (health?.problems.some((p) => p.code === 'UNDER_REPLICATED_PARTITIONS')) break;
    }
    console.log(`health after ${passes} pass(es), ${Date.now() - started} ms: ${health?.summary}`);
    expect(health?.status).toBe('DEGRADED');
    expect(health?.problems).toContainEqual(expect.objectContaining({ code: 'BROKER_DOWN', brokerId: 3 }));
    expect(health?.summary).toMatch(/Broker 3 is down/);
    const urp = (await latest('UnderReplicatedPartitions')).find((s) => Object.keys(s.dimensions).length === 0);
    expect(urp?.value).toBeGreaterThan(0);
  }, 60_000);
});

it('the example Grafana dashboard (infra/grafana) asks only for metrics the Prometheus endpoint serves', () => {
  const dashboard = readFileSync(new URL('../../../infra/grafana/flotilla-clusters.json', import.meta.url), 'utf8');
  const used = new Set(dashboard.match(/flotilla_[a-z_]+/g));
  const served = new Set(Object.keys(METRICS).map(prometheusName));
  expect(used.size).toBeGreaterThan(10);
  expect([...used].filter((name) => !served.has(name))).toEqual([]);
});

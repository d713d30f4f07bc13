/**
 * The monitor's parts that need no cluster: the strict Prometheus text reader (on a real broker
 * registry's output), which series each monitoring level keeps, sample storage and compaction on real
 * Postgres, alarm transitions, and webhook retries against a real HTTP server. The whole monitor on a
 * real cluster is tested in apps/api/test/monitoring.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { type Catalog, clusters, createCatalog, migrate, monitoring } from '@flotilla/db';
import { dropDatabase, scratchDatabaseUrl } from '@flotilla/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateAlarms, type MonitorEvent, postWebhook } from './alarms.js';
import { dimensionText, keeps, parseDimensions } from './levels.js';
import { parsePrometheusText } from './prometheus-text.js';

describe('parsePrometheusText', () => {
  it('reads counters, gauges, histograms and escaped labels as prom-client writes them', () => {
    const text = [
      '# HELP bytes_total b',
      '# TYPE bytes_total counter',
      'bytes_total{topic="a \\"quoted\\"\\\\ topic\\nx"} 42',
      '',
      '# HELP leaders l',
      '# TYPE leaders gauge',
      'leaders 3',
      '# TYPE time_ms histogram',
      'time_ms_bucket{le="1",request="Produce"} 0',
      'time_ms_bucket{le="+Inf",request="Produce"} 1',
      'time_ms_sum{request="Produce"} 5',
      'time_ms_count{request="Produce"} 1 1764072000000',
      '',
    ].join('\n');
    const { samples, types } = parsePrometheusText(text);
    expect(types.get('bytes_total')).toBe('counter');
    expect(types.get('time_ms')).toBe('histogram');
    expect(samples).toContainEqual({ name: 'bytes_total', labels: { topic: 'a "quoted"\\ topic\nx' }, value: 42 });
    expect(samples).toContainEqual({ name: 'leaders', labels: {}, value: 3 });
    expect(samples).toContainEqual({ name: 'time_ms_bucket', labels: { le: '+Inf', request: 'Produce' }, value: 1 });
    expect(samples).toContainEqual({ name: 'time_ms_count', labels: { request: 'Produce' }, value: 1 });
  });

  it('refuses malformed lines instead of guessing', () => {
    expect(() => parsePrometheusText('x{a="1"} 1\n')).not.toThrow();
    expect(() => parsePrometheusText('x{a=1} 1\n')).toThrow(/line 1/);
    expect(() => parsePrometheusText('x{a="1"}\n')).toThrow(/space before the value/);
    expect(() => parsePrometheusText('x 1.2.3\n')).toThrow(/bad value/);
    expect(() => parsePrometheusText('# TYPE x bogus\n')).toThrow(/unknown type/);
    expect(() => parsePrometheusText('x{a="1",a="2"} 1\n')).toThrow(/twice/);
  });
});

describe('monitoring levels', () => {
  it('keep more series at each finer level, as MSK', () => {
    expect(keeps('DEFAULT', 'broker')).toBe(true);
    expect(keeps('DEFAULT', 'group-topic')).toBe(true);
    expect(keeps('DEFAULT', 'broker-detail')).toBe(false);
    expect(keeps('PER_BROKER', 'broker-detail')).toBe(true);
    expect(keeps('PER_BROKER', 'broker-topic')).toBe(false);
    expect(keeps('PER_TOPIC_PER_BROKER', 'broker-topic')).toBe(true);
    expect(keeps('PER_TOPIC_PER_BROKER', 'group-topic-partition')).toBe(false);
    expect(keeps('PER_TOPIC_PER_PARTITION', 'group-topic-partition')).toBe(true);
  });

  it('writes dimensions in one canonical text that reads back, whatever the names hold', () => {
    const labels = { broker: 2, group: 'g,=1', topic: 't', partition: 0 };
    const text = dimensionText(labels);
    expect(text).toBe('broker=2,group=g%2C%3D1,topic=t,partition=0');
    expect(parseDimensions(text)).toEqual({ broker: '2', group: 'g,=1', topic: 't', partition: '0' });
  });
});

describe('samples and alarms on real Postgres', () => {
  const databaseUrl = scratchDatabaseUrl('flotilla_monitor_test');
  let catalog: Catalog;
  const clusterId = randomUUID();
  const arn = `arn:aws:kafka:us-east-1:000000000000:cluster/m/${clusterId}-1`;

  beforeAll(async () => {
    await migrate({ url: databaseUrl });
    catalog = createCatalog({ url: databaseUrl });
    await clusters.createCluster(catalog, {
      id: clusterId,
      arn,
      name: 'm',
      currentVersion: 'K1',
      kafkaVersion: '3.8.x',
      numberOfBrokerNodes: 3,
      brokerNodeGroupInfo: {},
      instanceType: 'kafka.t3.small',
      volumeSizeGiB: 1,
      runtime: 'process',
    });
  });

  afterAll(async () => {
    await catalog?.$disconnect();
    await dropDatabase(databaseUrl);
  });

  it('stores a batch, reads the newest per series, folds old raw samples into 5-minute then hourly means and expires them', async () => {
    const now = new Date('2026-11-25T12:00:00Z');
    const minutes = (m: number) => new Date(now.getTime() - m * 60_000);
    const samples = [];
    // 20 minutes of one sample a minute for 2 series, values 0..19.
    for (let m = 0; m < 20; m++) {
      samples.push({ clusterId, metric: 'CpuUser', dimensions: 'broker=1', time: minutes(19 - m), value: m });
      samples.push({ clusterId, metric: 'CpuUser', dimensions: 'broker=2', time: minutes(19 - m), value: 100 });
    }
    expect(await monitoring.insertSamples(catalog, samples)).toBe(40);
    // The same rows again are skipped, not duplicated.
    expect(await monitoring.insertSamples(catalog, samples.slice(0, 4))).toBe(0);
    const latest = await monitoring.latestSamples(catalog, clusterId, minutes(60));
    expect(latest.map((l) => [l.dimensions, l.value])).toEqual([
      ['broker=1', 19],
      ['broker=2', 100],
    ]);

    // Raw kept 10 minutes: everything in whole 5-minute buckets older than that becomes one mean each.
    const folded = await monitoring.compactSamples(
      catalog,
      { rawRetentionMs: 10 * 60_000, bucketSeconds: 300, bucketRetentionMs: 24 * 3600_000 },
      now,
    );
    expect(folded.folded).toBe(4); // 2 buckets (11:40, 11:45) x 2 series
    const rows = await catalog.metricSample.findMany({
      where: { clusterId, dimensions: 'broker=1', resolution: 300 },
      orderBy: { time: 'asc' },
    });
    expect(rows.map((r) => [r.time.toISOString(), r.value])).toEqual([
      ['2026-11-25T11:40:00.000Z', 1.5], // 11:41-11:44: values 0..3
      ['2026-11-25T11:45:00.000Z', 6], // 11:45-11:49: values 4..8
    ]);
    // From 11:50 (the cutoff's bucket) on, raw samples stay: 11 per series.
    expect(await catalog.metricSample.count({ where: { clusterId, resolution: 0 } })).toBe(22);
    // With a coarse tier, 5-minute means older than their retention become hourly means instead.
    const hourly = await monitoring.compactSamples(
      catalog,
      {
        rawRetentionMs: 10 * 60_000,
        bucketSeconds: 300,
        bucketRetentionMs: 3600_000,
        coarse: { bucketSeconds: 3600, retentionMs: 7 * 24 * 3600_000 },
      },
      new Date(now.getTime() + 3 * 3600_000),
    );
    expect(hourly.folded).toBeGreaterThan(0);
    const coarse = await catalog.metricSample.findMany({
      where: { clusterId, dimensions: 'broker=1', resolution: 3600 },
    });
    // 11:00 holds the 5-minute means of 11:40..11:55 (1.5, 6, 11, 16); 12:00 the one of 12:00 (19).
    expect(coarse.map((r) => [r.time.toISOString(), r.value])).toEqual([
      ['2026-11-25T11:00:00.000Z', 8.625],
      ['2026-11-25T12:00:00.000Z', 19],
    ]);
    expect(await catalog.metricSample.count({ where: { clusterId, resolution: { in: [0, 300] } } })).toBe(0);
    // A day later everything has expired.
    const later = await monitoring.compactSamples(
      catalog,
      {
        rawRetentionMs: 10 * 60_000,
        bucketSeconds: 300,
        bucketRetentionMs: 3600_000,
        coarse: { bucketSeconds: 3600, retentionMs: 3600_000 },
      },
      new Date(now.getTime() + 24 * 3600_000),
    );
    expect(later.expired).toBeGreaterThan(0);
    expect(await catalog.metricSample.count({ where: { clusterId } })).toBe(0);
  });

  it('removes the samples of a cluster that is no longer in the catalog, and only those', async () => {
    const gone = randomUUID();
    const time = new Date();
    await monitoring.insertSamples(catalog, [
      { clusterId: gone, metric: 'CpuUser', dimensions: 'broker=1', time, value: 1 },
      { clusterId, metric: 'CpuUser', dimensions: 'broker=1', time, value: 2 },
    ]);
    expect(await monitoring.pruneDeletedClusters(catalog)).toBe(1);
    expect(await catalog.metricSample.count({ where: { clusterId: gone } })).toBe(0);
    expect(await catalog.metricSample.count({ where: { clusterId } })).toBe(1);
    await catalog.metricSample.deleteMany({ where: { clusterId } });
  });

  it('raises an alarm once when its threshold is crossed and clears it once when back under', async () => {
    await monitoring.putAlarm(catalog, clusterId, { name: 'disk', metric: 'KafkaDataLogsDiskUsed', threshold: 85 });
    const published: MonitorEvent[] = [];
    const hooked: string[] = [];
    const ctx = {
      catalog,
      publish: async (e: MonitorEvent) => {
        published.push(e);
      },
      webhook: async (url: string) => {
        hooked.push(url);
      },
    };
    const disk = (value: number) => ({
      values: [{ metric: 'KafkaDataLogsDiskUsed' as const, dimensions: 'broker=2', value }],
      brokersDown: [],
    });
    expect(await evaluateAlarms(ctx, { id: clusterId, arn }, disk(50))).toEqual([]);
    const raised = await evaluateAlarms(ctx, { id: clusterId, arn }, disk(91.5));
    expect(raised).toMatchObject([{ state: 'ALARM', previousState: 'OK', value: 91.5, alarm: 'disk' }]);
    expect(await evaluateAlarms(ctx, { id: clusterId, arn }, disk(92))).toEqual([]); // still ALARM: no repeat
    expect(await evaluateAlarms(ctx, { id: clusterId, arn }, disk(10))).toMatchObject([{ state: 'OK' }]);
    expect(published).toHaveLength(2);
    expect(hooked).toEqual([]); // no webhook URL on this alarm
    const [row] = await monitoring.listAlarms(catalog, clusterId);
    expect(row?.state).toBe('OK');
  });
});

describe('postWebhook', () => {
  it('retries 5xx answers with backoff and gives up on a 4xx', async () => {
    const statuses = [503, 500, 204];
    let calls = 0;
    const bodies: unknown[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        bodies.push(JSON.parse(body));
        res.writeHead(req.url === '/refuse' ? 400 : (statuses[calls++] ?? 204)).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const event = { type: 'alarm', alarm: 'x', state: 'ALARM' } as MonitorEvent;
    try {
      await postWebhook(`http://127.0.0.1:${port}/hook`, event, { backoffMs: 10 });
      expect(calls).toBe(3);
      expect(bodies[2]).toEqual(event);
      await expect(postWebhook(`http://127.0.0.1:${port}/refuse`, event, { backoffMs: 10 })).rejects.toThrow(
        /HTTP 400/,
      );
      expect(bodies).toHaveLength(4); // the 4xx was not retried
    } finally {
      server.close();
    }
  });
});

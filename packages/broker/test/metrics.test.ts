/** The Prometheus endpoint of the real broker binary reports Kafka-named metrics that follow traffic. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrokerProcess, removeDir, run, startBrokerProcess, tempDir } from './harness.js';

describe('metrics', () => {
  let broker: BrokerProcess;
  let dir: string;

  beforeAll(async () => {
    dir = tempDir();
    broker = await startBrokerProcess({ logDir: dir, overrides: { 'metrics.port': '0', 'num.partitions': '2' } });
  });

  afterAll(async () => {
    await broker?.stop();
    removeDir(dir);
  });

  it('serves bytes in/out, messages in, request counts and log end offsets on /metrics', async () => {
    expect(broker.metricsPort).not.toBeNull();
    await run('/usr/bin/kcat', ['-b', broker.bootstrap, '-P', '-t', 'metered', '-p', '1'], 'a\nb\nc\n');
    await run('/usr/bin/kcat', ['-b', broker.bootstrap, '-C', '-t', 'metered', '-p', '1', '-o', 'beginning', '-e']);
    const text = await (await fetch(`http://127.0.0.1:${broker.metricsPort}/metrics`)).text();
    const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? Number.NaN);
    expect(value(/kafka_server_brokertopicmetrics_messagesin_total\{topic="metered"\} (\d+)/)).toBe(3);
    expect(value(/kafka_server_brokertopicmetrics_bytesin_total\{topic="metered"\} (\d+)/)).toBeGreaterThan(0);
    expect(value(/kafka_server_brokertopicmetrics_bytesout_total\{topic="metered"\} (\d+)/)).toBeGreaterThan(0);
    expect(value(/kafka_log_log_logendoffset\{topic="metered",partition="1"\} (\d+)/)).toBe(3);
    expect(value(/kafka_server_replicamanager_partitioncount (\d+)/)).toBe(2);
    expect(
      value(/kafka_network_requestmetrics_requests_total\{request="Produce",version="\d+"\} (\d+)/),
    ).toBeGreaterThanOrEqual(1);
    expect(text).toContain('kafka_network_requestmetrics_totaltimems_bucket');
    expect((await fetch(`http://127.0.0.1:${broker.metricsPort}/nope`)).status).toBe(404);
  });
});

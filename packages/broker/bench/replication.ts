/**
 * Replication figures on this machine, printed, never asserted (issue 4):
 *  - produce throughput with librdkafka's rdkafka_performance: acks=all on a 3-broker cluster (Raft
 *    quorum, combined roles) with replication factor 3 and min.insync.replicas 2, beside acks=1 on a
 *    single broker;
 *  - produce latency, one message at a time at a fixed rate from kafkajs, p50/p99, for both. Like
 *    Kafka, a broker handles one request per connection at a time, so a pipelining client's acks=all
 *    rate on one connection is bounded by the replication round trip; the rate is kept below that;
 *  - time to elect a new partition leader after SIGKILL of the old one: from the kill until Metadata
 *    on a surviving broker names a new leader, median and max over BENCH_FAILOVERS runs (default 20).
 *    This is dominated by broker.session.timeout.ms (the harness sets 2000 ms; Kafka's default is
 *    9000 ms) plus a controller election when the killed node was the active controller.
 */
import { execFileSync } from 'node:child_process';
import { AdminClient } from '@flotilla/protocol';
import { Kafka, logLevel } from 'kafkajs';
import { quorumCluster, removeDir, startBrokerProcess, tempDir } from '../test/harness.js';

const SIZE = 1024;
const MESSAGES = Number(process.env.BENCH_REPLICATION_MESSAGES ?? 200_000);
const FAILOVERS = Number(process.env.BENCH_FAILOVERS ?? 20);
const LATENCY_RATE = 200;
const LATENCY_SECONDS = 5;

function rdkafkaPerformance(): { bin: string; lib: string } {
  const out = execFileSync(new URL('../../../infra/bench/rdkafka-perf.sh', import.meta.url).pathname, {
    encoding: 'utf8',
  });
  const [bin, lib] = out.trim().split('\n');
  return { bin: bin as string, lib: lib as string };
}

/** Produces MESSAGES of SIZE bytes to partition 0; returns msgs/s as measured by the tool. */
function producePerf(bootstrap: string, topic: string, acks: string): number {
  const tool = rdkafkaPerformance();
  const out = execFileSync(
    tool.bin,
    [
      '-P',
      '-t',
      topic,
      '-p',
      '0',
      '-b',
      bootstrap,
      '-s',
      String(SIZE),
      '-c',
      String(MESSAGES),
      '-a',
      acks,
      '-q',
      '-X',
      'linger.ms=5',
      '-X',
      'batch.size=1000000',
      '-X',
      'queue.buffering.max.messages=1000000',
    ],
    { encoding: 'utf8', env: { ...process.env, LD_LIBRARY_PATH: tool.lib }, timeout: 600_000 },
  );
  const m = /(\d+) delivered .*: (\d+) msgs\/s/.exec(out.trim().split('\n').pop() ?? '');
  if (!m || Number(m[1]) !== MESSAGES) throw new Error(`rdkafka_performance did not deliver everything:\n${out}`);
  return Number(m[2]);
}

/** One message at a time at LATENCY_RATE/s; p50/p99/max of the acknowledged round trip in ms. */
async function latency(brokers: string[], topic: string, acks: number) {
  const kafka = new Kafka({ brokers, clientId: 'bench-latency', logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  // Warm-up (connections, metadata, the followers' first fetches) is not part of the figures.
  for (let i = 0; i < 20; i++)
    await producer.send({ topic, acks, messages: [{ value: Buffer.from('w'), partition: 0 }] });
  const samples: number[] = [];
  const value = Buffer.alloc(100, 'x');
  const inflight: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; i < LATENCY_RATE * LATENCY_SECONDS; i++) {
    const due = start + (i * 1000) / LATENCY_RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const t = performance.now();
    inflight.push(
      producer.send({ topic, acks, messages: [{ value, partition: 0 }] }).then(() => {
        samples.push(performance.now() - t);
      }),
    );
  }
  await Promise.all(inflight);
  await producer.disconnect();
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] as number;
  return { p50: at(0.5), p99: at(0.99), max: samples[samples.length - 1] as number };
}

async function admin<T>(bootstrap: string, f: (a: AdminClient) => Promise<T>): Promise<T> {
  const a = new AdminClient({ bootstrap: [bootstrap], requestTimeoutMs: 3000, retries: 0 });
  try {
    return await f(a);
  } finally {
    await a.close();
  }
}

async function until<T>(f: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await f();
      if (v) return v;
    } catch {
      // a broker still starting or just killed
    }
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const fmt = (n: number) => n.toFixed(1);

async function main(): Promise<void> {
  // Single broker, acks=1.
  const dir = tempDir();
  const single = await startBrokerProcess({ logDir: dir, overrides: { 'num.partitions': '1' } });
  await admin(single.bootstrap, (a) =>
    a.createTopics([{ name: 'bench-single', numPartitions: 1, replicationFactor: 1 }]),
  );
  const singleRate = producePerf(single.bootstrap, 'bench-single', '1');
  const singleLatency = await latency([single.bootstrap], 'bench-single', 1);
  await single.stop();
  removeDir(dir);

  // Three brokers, RF 3, min.insync.replicas 2, acks=all.
  const cluster = await quorumCluster(3, { 'min.insync.replicas': '2', 'replica.fetch.wait.max.ms': '500' });
  await cluster.start();
  const bootstrap = [1, 2, 3].map((id) => cluster.bootstrap(id));
  await admin(bootstrap[0] as string, (a) =>
    a.createTopics([{ name: 'bench-replicated', numPartitions: 1, replicationFactor: 3 }]),
  );
  await until(async () => {
    const md = await admin(bootstrap[0] as string, (a) => a.metadata(['bench-replicated']));
    return md.topics[0]?.partitions[0]?.isr.length === 3;
  });
  const replicatedRate = producePerf(bootstrap.join(','), 'bench-replicated', '-1');
  const replicatedLatency = await latency(bootstrap, 'bench-replicated', -1);

  // Leader failover after SIGKILL.
  const failovers: number[] = [];
  for (let run = 0; run < FAILOVERS; run++) {
    const md = await admin(bootstrap[0] as string, (a) => a.metadata(['bench-replicated']));
    const leader = md.topics[0]?.partitions[0]?.leader as number;
    const survivor = [1, 2, 3].find((id) => id !== leader) as number;
    const t0 = performance.now();
    await cluster.stop(leader, 'SIGKILL');
    await until(async () => {
      const m = await admin(cluster.bootstrap(survivor), (a) => a.metadata(['bench-replicated']));
      const l = m.topics[0]?.partitions[0]?.leader ?? -1;
      return l >= 0 && l !== leader;
    });
    failovers.push(performance.now() - t0);
    await cluster.start([leader]);
    await until(async () => {
      const m = await admin(cluster.bootstrap(survivor), (a) => a.metadata(['bench-replicated']));
      return m.topics[0]?.partitions[0]?.isr.length === 3;
    });
  }
  await cluster.close();

  failovers.sort((a, b) => a - b);
  const median = failovers[Math.floor(failovers.length / 2)] as number;
  console.log(
    `\nReplication (${SIZE} B messages, ${MESSAGES} per run, rdkafka_performance; latency: kafkajs, ${LATENCY_RATE}/s)`,
  );
  console.log('| setup | produce msgs/s | MB/s | latency p50 ms | p99 ms | max ms |');
  console.log('|---|---|---|---|---|---|');
  for (const [name, rate, lat] of [
    ['1 broker, acks=1', singleRate, singleLatency],
    ['3 brokers, RF 3, min.insync 2, acks=all', replicatedRate, replicatedLatency],
  ] as const) {
    console.log(
      `| ${name} | ${Math.round(rate)} | ${fmt((rate * SIZE) / 1e6)} | ${fmt(lat.p50)} | ${fmt(lat.p99)} | ${fmt(lat.max)} |`,
    );
  }
  console.log(
    `\nNew partition leader after SIGKILL of the old one (${failovers.length} runs, broker.session.timeout.ms 2000): median ${Math.round(median)} ms, max ${Math.round(failovers[failovers.length - 1] as number)} ms`,
  );
}

await main();

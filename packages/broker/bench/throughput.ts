/**
 * Produce/consume throughput and produce latency of the broker, side by side with Redis Streams and
 * RabbitMQ on this machine, in one run. Figures are printed, never asserted.
 *
 *  - Flotilla: librdkafka's own rdkafka_performance tool (C) producing and consuming one partition.
 *  - Redis Streams: redis-benchmark (C) pipelining XADD; XREAD COUNT 5000 from ioredis to consume.
 *  - RabbitMQ: amqplib, publisher confirms in windows of 1000, consumer with prefetch 5000.
 *  - Latency: one message at a time at a fixed rate from Node clients (kafkajs, ioredis, amqplib),
 *    acknowledged round trip, p50/p99.
 *  - Memory: the broker's resident set size idle after start and after the load.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import amqp from 'amqplib';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { type BrokerProcess, removeDir, startBrokerProcess, tempDir } from '../test/harness.js';

const SIZES = [100, 1024];
const TOTAL_BYTES = Number(process.env.BENCH_BYTES ?? 256 * 1024 * 1024);
const LATENCY_RATE = 1000;
const LATENCY_SECONDS = 5;

interface Row {
  system: string;
  size: number;
  mode: string;
  msgsPerSec: number;
  mbPerSec: number;
}

const rows: Row[] = [];
const latencies: { system: string; p50: number; p99: number; max: number }[] = [];

function record(system: string, size: number, mode: string, msgs: number, seconds: number): void {
  rows.push({ system, size, mode, msgsPerSec: msgs / seconds, mbPerSec: (msgs * size) / seconds / 1e6 });
}

/** Records a rate measured by the tool itself (from its first message to its last). */
function recordRate(system: string, size: number, mode: string, msgsPerSec: number): void {
  rows.push({ system, size, mode, msgsPerSec, mbPerSec: (msgsPerSec * size) / 1e6 });
}

function count(size: number): number {
  return Math.min(2_000_000, Math.floor(TOTAL_BYTES / size));
}

function rdkafkaPerformance(): { bin: string; lib: string } {
  const out = execFileSync(new URL('../../../infra/bench/rdkafka-perf.sh', import.meta.url).pathname, {
    encoding: 'utf8',
  });
  const [bin, lib] = out.trim().split('\n');
  return { bin: bin as string, lib: lib as string };
}

function runPerf(tool: { bin: string; lib: string }, args: string[]): string {
  return execFileSync(tool.bin, args, {
    encoding: 'utf8',
    env: { ...process.env, LD_LIBRARY_PATH: tool.lib },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 300_000,
  });
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

async function flotilla(broker: BrokerProcess): Promise<void> {
  const tool = rdkafkaPerformance();
  for (const size of SIZES) {
    for (const acks of ['1', '-1']) {
      const n = count(size);
      const topic = `bench-${size}-${acks === '1' ? 'acks1' : 'acksall'}`;
      const out = runPerf(tool, [
        '-P',
        '-t',
        topic,
        '-p',
        '0',
        '-b',
        broker.bootstrap,
        '-s',
        String(size),
        '-c',
        String(n),
        '-a',
        acks,
        '-q',
        '-X',
        'linger.ms=5',
        '-X',
        'batch.size=1000000',
        '-X',
        'queue.buffering.max.messages=1000000',
      ]);
      const last = out.trim().split('\n').pop() ?? '';
      const m = /(\d+) delivered .*: (\d+) msgs\/s/.exec(last);
      if (!m || Number(m[1]) !== n) throw new Error(`rdkafka_performance did not deliver everything:\n${out}`);
      recordRate('Flotilla (librdkafka)', size, `produce acks=${acks === '1' ? '1' : 'all'}`, Number(m[2]));
      if (acks === '1') {
        const cout = runPerf(tool, [
          '-C',
          '-t',
          topic,
          '-p',
          '0',
          '-b',
          broker.bootstrap,
          '-c',
          String(n),
          '-o',
          'beginning',
          '-q',
        ]);
        const cm = /(\d+) messages \(\d+ bytes\) consumed in \d+ms: (\d+) msgs\/s/.exec(cout);
        if (!cm || Number(cm[1]) < n) throw new Error(`consumer stopped early:\n${cout}`);
        recordRate('Flotilla (librdkafka)', size, 'consume', Number(cm[2]));
      }
    }
  }
}

async function redisStreams(): Promise<void> {
  const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
  await redis.connect();
  for (const size of SIZES) {
    const n = count(size);
    const key = `flotilla-bench-${size}`;
    await redis.del(key);
    const payload = 'x'.repeat(size);
    const out = execFileSync(
      'redis-benchmark',
      ['-h', '127.0.0.1', '-p', '6379', '-n', String(n), '-P', '1000', '-c', '4', '-q', 'XADD', key, '*', 'v', payload],
      { encoding: 'utf8', timeout: 300_000, maxBuffer: 64 << 20 },
    );
    const rate = /([\d.]+) requests per second/.exec(out);
    if (!rate) throw new Error(`redis-benchmark printed no rate:\n${out.slice(-500)}`);
    recordRate('Redis Streams', size, 'produce (XADD)', Number(rate[1]));
    const t1 = performance.now();
    let last = '0';
    let read = 0;
    while (read < n) {
      const res = (await redis.xreadBuffer('COUNT', 5000, 'STREAMS', key, last)) as
        | [Buffer, [Buffer, Buffer[]][]][]
        | null;
      const entries = res?.[0]?.[1] ?? [];
      if (entries.length === 0) break;
      read += entries.length;
      last = (entries[entries.length - 1] as [Buffer, Buffer[]])[0].toString();
    }
    record('Redis Streams', size, 'consume (XREAD)', read, (performance.now() - t1) / 1000);
    await redis.del(key);
  }
  redis.disconnect();
}

async function rabbitmq(): Promise<void> {
  const conn = await amqp.connect('amqp://guest:guest@127.0.0.1:5672');
  for (const size of SIZES) {
    const n = Math.min(count(size), 300_000);
    const queue = `flotilla-bench-${size}`;
    const ch = await conn.createConfirmChannel();
    await ch.deleteQueue(queue);
    await ch.assertQueue(queue, { durable: true });
    const payload = Buffer.alloc(size, 'x');
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      if (!ch.sendToQueue(queue, payload, { persistent: true })) await new Promise((r) => ch.once('drain', r));
      if (i % 1000 === 999) await ch.waitForConfirms();
    }
    await ch.waitForConfirms();
    record('RabbitMQ', size, 'produce (confirms)', n, (performance.now() - t0) / 1000);
    const consumer = await conn.createChannel();
    await consumer.prefetch(5000);
    const t1 = performance.now();
    await new Promise<void>((resolve) => {
      let got = 0;
      void consumer.consume(queue, (msg) => {
        if (!msg) return;
        got++;
        if (got % 1000 === 0 || got === n) consumer.ack(msg, true);
        if (got === n) resolve();
      });
    });
    record('RabbitMQ', size, 'consume', n, (performance.now() - t1) / 1000);
    await consumer.close();
    await ch.deleteQueue(queue);
    await ch.close();
  }
  await conn.close();
}

async function measureLatency(system: string, send: () => Promise<unknown>): Promise<void> {
  const samples: number[] = [];
  const interval = 1000 / LATENCY_RATE;
  const start = performance.now();
  const total = LATENCY_RATE * LATENCY_SECONDS;
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const t = performance.now();
    inflight.push(send().then(() => void samples.push(performance.now() - t)));
  }
  await Promise.all(inflight);
  samples.sort((a, b) => a - b);
  const q = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))] as number;
  latencies.push({ system, p50: q(0.5), p99: q(0.99), max: samples[samples.length - 1] as number });
}

async function latency(broker: BrokerProcess): Promise<void> {
  const payload = Buffer.alloc(1024, 'x');
  const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  await producer.connect();
  await producer.send({ topic: 'latency', messages: [{ value: payload }], acks: 1 });
  await measureLatency('Flotilla (kafkajs, acks=1)', () =>
    producer.send({ topic: 'latency', messages: [{ value: payload }], acks: 1 }),
  );
  await measureLatency('Flotilla (kafkajs, acks=all)', () =>
    producer.send({ topic: 'latency', messages: [{ value: payload }], acks: -1 }),
  );
  await producer.disconnect();

  const redis = new Redis({ host: '127.0.0.1', port: 6379 });
  await measureLatency('Redis Streams (ioredis XADD)', () => redis.xadd('flotilla-latency', '*', 'v', payload));
  await redis.del('flotilla-latency');
  redis.disconnect();

  const conn = await amqp.connect('amqp://guest:guest@127.0.0.1:5672');
  const ch = await conn.createConfirmChannel();
  await ch.assertQueue('flotilla-latency', { durable: true });
  await measureLatency(
    'RabbitMQ (amqplib, confirm)',
    () =>
      new Promise<void>((resolve, reject) =>
        ch.sendToQueue('flotilla-latency', payload, { persistent: true }, (err) => (err ? reject(err) : resolve())),
      ),
  );
  await ch.deleteQueue('flotilla-latency');
  await conn.close();
}

async function main(): Promise<void> {
  const dir = tempDir('flotilla-bench-');
  const broker = await startBrokerProcess({ logDir: dir, overrides: { 'num.partitions': '1' } });
  await new Promise((r) => setTimeout(r, 2000));
  const idleRss = rssMb(broker.pid);
  try {
    await flotilla(broker);
    await redisStreams().catch((e: unknown) => console.error(`Redis Streams skipped: ${(e as Error).message}`));
    await rabbitmq().catch((e: unknown) => console.error(`RabbitMQ skipped: ${(e as Error).message}`));
    await latency(broker);
    const loadedRss = rssMb(broker.pid);

    console.log(
      `\nThroughput (one partition / stream / queue, ${(TOTAL_BYTES / 1e6).toFixed(0)} MB per run, 2-core machine)`,
    );
    console.log('system                        size   mode                  msgs/s       MB/s');
    for (const r of rows) {
      console.log(
        `${r.system.padEnd(29)} ${String(r.size).padStart(5)}  ${r.mode.padEnd(20)} ${Math.round(r.msgsPerSec).toString().padStart(9)} ${r.mbPerSec.toFixed(1).padStart(10)}`,
      );
    }
    console.log(
      `\nProduce latency, 1 KiB at ${LATENCY_RATE} msg/s for ${LATENCY_SECONDS} s, acknowledged round trip (ms)`,
    );
    console.log('system                          p50      p99      max');
    for (const l of latencies) {
      console.log(
        `${l.system.padEnd(30)} ${l.p50.toFixed(2).padStart(6)} ${l.p99.toFixed(2).padStart(8)} ${l.max.toFixed(2).padStart(8)}`,
      );
    }
    console.log(
      `\nBroker memory (RSS): ${idleRss.toFixed(1)} MB idle after start, ${loadedRss.toFixed(1)} MB after the runs`,
    );
  } finally {
    await broker.stop();
    removeDir(dir);
  }
}

await main();

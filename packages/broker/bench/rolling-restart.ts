/**
 * Produce latency through a rolling restart (issue 7): three real broker processes (combined roles,
 * Kafka's default heartbeat, session and quorum timeouts, as the runtime runs them), topic `orders`
 * (6 partitions, RF 3, min.insync.replicas 2), and two producers sending one record every 20 ms with
 * acks=all and idempotence: kafkajs (as apps/api/test/day2.test.ts: maxInFlightRequests 1, retries 30,
 * initialRetryTime 100, maxRetryTime 2000) and librdkafka (confluent-kafka). Each broker in turn gets
 * SIGTERM (controlled shutdown), is started again and waited for until it is back in every ISR; the
 * active controller goes last, as the worker's roll does. Prints max / p99 / p50 send latency per
 * client during the roll and the slowest sends with timestamps; everything (every send, kafkajs debug
 * log, librdkafka debug log, broker logs, roll events) goes to the output directory to correlate.
 *
 *   npx tsx packages/broker/bench/rolling-restart.ts [out-dir] [--clients kafkajs,librdkafka] [--rebalance-s N]
 *
 * FLOTILLA_BROKER_MAIN picks the broker build (test/harness.ts); FLOTILLA_LOG_LEVEL=debug for more.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { quorumCluster } from '../test/harness.js';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const outDir = args[0] && !args[0].startsWith('--') ? args[0] : `/tmp/rolling-restart-${Date.now()}`;
const clients = new Set((flag('--clients') ?? 'kafkajs,librdkafka').split(','));
const rebalanceS = flag('--rebalance-s');
mkdirSync(outDir, { recursive: true });

const t0 = Date.now();
const stamp = (t = Date.now()) => new Date(t).toISOString().replace('T', ' ').replace('Z', '');
const events: string[] = [];
const mark = (what: string) => {
  const line = `[${stamp()}] ${what}`;
  events.push(line);
  console.log(line);
  appendFileSync(join(outDir, 'events.log'), `${line}\n`);
};

const cluster = await quorumCluster(3, {
  'controller.quorum.election.timeout.ms': '1000',
  'controller.quorum.fetch.timeout.ms': '2000',
  'broker.session.timeout.ms': '9000',
  'broker.heartbeat.interval.ms': '2000',
  'min.insync.replicas': '2',
  'default.replication.factor': '3',
  'auto.create.topics.enable': 'false',
  ...(rebalanceS ? { 'leader.imbalance.check.interval.seconds': rebalanceS } : {}),
});

interface Send {
  client: string;
  n: number;
  start: number;
  end: number;
  ms: number;
  partition: number;
  error: string | null;
}
const sends: Send[] = [];
const saveBrokerLog = (id: number, output: string) =>
  appendFileSync(join(outDir, `broker-${id}.log`), `${output}\n----- process ended [${stamp()}] -----\n`);

let stopped = false;
try {
  await cluster.start();
  const bootstrap = cluster.nodes.map((n) => `127.0.0.1:${n.port}`);
  const kafka = new Kafka({
    clientId: 'roll-bench',
    brokers: bootstrap,
    logLevel: logLevel.DEBUG,
    logCreator:
      () =>
      ({ namespace, level, log }) => {
        const { message, timestamp: _t, logger: _l, ...extra } = log as Record<string, unknown>;
        if (level === logLevel.DEBUG && /Request (Fetch|Heartbeat)|Response (Fetch|Heartbeat)/.test(String(message)))
          return;
        appendFileSync(
          join(outDir, 'kafkajs.log'),
          `[${stamp()}] ${logLevel[level]} ${namespace} ${message} ${JSON.stringify(extra)}\n`,
        );
      },
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      {
        topic: 'orders',
        numPartitions: 6,
        replicationFactor: 3,
        configEntries: [{ name: 'min.insync.replicas', value: '2' }],
      },
    ],
  });
  mark('topic orders created');

  const loops: Promise<void>[] = [];
  if (clients.has('kafkajs')) {
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 2_000 },
    });
    await producer.connect();
    loops.push(
      (async () => {
        let n = 0;
        while (!stopped) {
          const value = `k-${n}`;
          const start = Date.now();
          let partition = -1;
          let error: string | null = null;
          try {
            const [meta] = await producer.send({ topic: 'orders', acks: -1, messages: [{ key: value, value }] });
            partition = meta?.partition ?? -1;
          } catch (e) {
            error = (e as Error).message;
          }
          const end = Date.now();
          const s = { client: 'kafkajs', n: n++, start, end, ms: end - start, partition, error };
          sends.push(s);
          appendFileSync(join(outDir, 'sends-kafkajs.jsonl'), `${JSON.stringify(s)}\n`);
          await new Promise((r) => setTimeout(r, 20));
        }
        await producer.disconnect();
      })(),
    );
  }
  let python: ReturnType<typeof spawn> | null = null;
  let pythonExited: Promise<unknown> = Promise.resolve();
  if (clients.has('librdkafka')) {
    const script = `
import json, sys, time, threading
from confluent_kafka import Producer
stop = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
p = Producer({'bootstrap.servers': ${JSON.stringify(bootstrap.join(','))}, 'acks': 'all',
  'enable.idempotence': True, 'linger.ms': 0, 'debug': 'broker,topic,msg,eos,protocol',
  'log.connection.close': True})
n = 0
out = open(${JSON.stringify(join(outDir, 'sends-librdkafka.jsonl'))}, 'a')
while not stop.is_set():
    res = {}
    def cb(err, msg):
        res['err'] = None if err is None else str(err)
        res['partition'] = msg.partition()
    start = time.time()
    key = 'r-%d' % n
    p.produce('orders', key=key, value=key, on_delivery=cb)
    while 'err' not in res:
        p.poll(0.005)
    end = time.time()
    out.write(json.dumps({'client': 'librdkafka', 'n': n, 'start': int(start * 1000), 'end': int(end * 1000),
      'ms': int(end * 1000) - int(start * 1000), 'partition': res['partition'], 'error': res['err']}) + '\\n')
    out.flush()
    n += 1
    time.sleep(0.02)
p.flush(10)
`;
    python = spawn('/usr/bin/python3', ['-c', script], { stdio: ['pipe', 'inherit', 'pipe'] });
    const child = python;
    pythonExited = new Promise((r) => child.once('exit', r));
    python.stderr?.on('data', (d: Buffer) => appendFileSync(join(outDir, 'librdkafka.log'), d));
  }

  // Warm up: both producers running before the first broker stops.
  await new Promise((r) => setTimeout(r, 5_000));
  const inSync = async (id: number) => {
    const { topics } = await admin.fetchTopicMetadata({ topics: ['orders'] });
    return topics.every((t) => t.partitions.every((p) => p.isr.includes(id) && p.leader >= 0));
  };
  const { controller } = await admin.describeCluster();
  const order = [...[1, 2, 3].filter((id) => id !== controller), ...[1, 2, 3].filter((id) => id === controller)];
  mark(`roll order ${order.join(',')} (controller ${controller})`);
  const rollStart = Date.now();
  for (const id of order) {
    const node = cluster.node(id);
    const proc = node.process;
    mark(`SIGTERM broker ${id}`);
    await cluster.stop(id);
    mark(`broker ${id} exited`);
    if (proc) saveBrokerLog(id, proc.output());
    await cluster.start([id]);
    mark(`broker ${id} started`);
    const deadline = Date.now() + 120_000;
    for (;;) {
      try {
        if (await inSync(id)) break;
      } catch {
        // a broker not answering yet
      }
      if (Date.now() > deadline) throw new Error(`broker ${id} not back in every ISR after 120 s`);
      await new Promise((r) => setTimeout(r, 200));
    }
    mark(`broker ${id} back in every ISR`);
    await new Promise((r) => setTimeout(r, 3_000));
  }
  const rollEnd = Date.now();
  mark('roll done');
  // A preferred-leader rebalance (when asked for) happens after the roll: give it time and keep sending.
  await new Promise((r) => setTimeout(r, rebalanceS ? Number(rebalanceS) * 1000 + 5_000 : 3_000));
  stopped = true;
  python?.stdin?.end();
  await Promise.all(loops);
  await pythonExited;
  await admin.disconnect();

  const { readFileSync, existsSync } = await import('node:fs');
  const rdFile = join(outDir, 'sends-librdkafka.jsonl');
  if (existsSync(rdFile)) {
    for (const line of readFileSync(rdFile, 'utf8').split('\n')) if (line) sends.push(JSON.parse(line) as Send);
  }
  const report: string[] = [];
  for (const client of ['kafkajs', 'librdkafka']) {
    const all = sends.filter((s) => s.client === client);
    if (all.length === 0) continue;
    const inRoll = all.filter((s) => s.end >= rollStart && s.start <= Date.now());
    const ms = inRoll.map((s) => s.ms).sort((a, b) => a - b);
    const q = (f: number) => ms[Math.min(ms.length - 1, Math.floor(f * ms.length))] ?? 0;
    const errors = all.filter((s) => s.error).length;
    report.push(
      `${client}: ${inRoll.length} sends from the first SIGTERM on: max ${q(1)} ms, p99 ${q(0.99)} ms, p50 ${q(0.5)} ms, errors ${errors}`,
    );
    const slow = [...inRoll].sort((a, b) => b.ms - a.ms).slice(0, 8);
    for (const s of slow.sort((a, b) => a.start - b.start)) {
      report.push(
        `  ${s.ms} ms  [${stamp(s.start)} -> ${stamp(s.end)}] partition ${s.partition}${s.error ? ` error ${s.error}` : ''}`,
      );
    }
  }
  report.push(`roll ${Math.round((rollEnd - rollStart) / 1000)} s, run ${Math.round((Date.now() - t0) / 1000)} s`);
  console.log(report.join('\n'));
  writeFileSync(join(outDir, 'report.txt'), `${events.join('\n')}\n${report.join('\n')}\n`);
} finally {
  stopped = true;
  for (const n of cluster.nodes) if (n.process) saveBrokerLog(n.id, n.process.output());
  await cluster.close();
  console.log(`output in ${outDir}`);
}

/**
 * Cross-check of consumer lag against an independent tool (issue 8): LinkedIn's Burrow (Debian's
 * `burrow` package; it needs a ZooKeeper for itself, Debian's `zookeeper`) pointed at a real 3-broker
 * cluster on the ProcessDriver. kcat produces 10,000 records, a confluent-kafka group commits 4,000,
 * and the monitor's computeConsumerLag must agree with Burrow on every partition Burrow reports
 * (Burrow shows a partition the group never committed with lag 0; we count a consumed topic's
 * uncommitted partitions from their log start, see lag.ts, so those are listed, not compared). Run: `make compat`, or
 * `npx tsx apps/worker/compat/burrow-lag.ts`. Prints the figures; exits 1 on a disagreement.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as connectTcp, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdminClient } from '@flotilla/protocol';
import { ProcessDriver, planCluster } from '@flotilla/runtime';
import { plaintextEndpoint } from '../src/kafka/cluster-endpoint.js';
import { computeConsumerLag } from '../src/monitor/lag.js';

const TOPIC = 'orders';
const GROUP = 'billing';
const dir = mkdtempSync(join(tmpdir(), 'flotilla-burrow-'));
const children: ChildProcess[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

function run(cmd: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: 120_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${cmd}: ${error.message}\n${stderr}`)) : resolve(stdout),
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function main(): Promise<number> {
  if (!existsSync('/usr/bin/Burrow') || !existsSync('/usr/share/java/zookeeper.jar')) {
    // `make compat` installs both (ensure_compat_tools); a cross-check that cannot run is a failure.
    console.error('burrow-lag: Burrow or ZooKeeper is missing (apt-get install burrow zookeeper)');
    return 1;
  }
  const driver = new ProcessDriver({ stateDir: join(dir, 'runtime') });
  const clusterId = randomUUID();
  try {
    const plan = await planCluster(driver, {
      clusterId,
      brokerCount: 3,
      kafkaVersion: '3.8.x',
      brokerType: 'kafka.t3.small',
      storageGiB: 1,
      configuration: {},
    });
    for (const spec of plan.brokers) {
      await driver.createBroker(spec);
      await driver.startBroker(spec);
    }
    const bootstrap = plan.bootstrapServers;
    await until('3 brokers', async () => {
      const admin = new AdminClient({ bootstrap: bootstrap.split(','), retries: 0, connectTimeoutMs: 1_000 });
      try {
        const d = await admin.describeCluster();
        return d.brokers.length === 3 && d.controllerId >= 0 ? true : undefined;
      } finally {
        await admin.close();
      }
    });
    const admin = new AdminClient({ bootstrap: bootstrap.split(',') });
    await admin.createTopics([{ name: TOPIC, numPartitions: 3, replicationFactor: 3 }]);
    await admin.close();
    const lines = Array.from({ length: 10_000 }, (_, i) => `order-${i}`).join('\n');
    await run('kcat', ['-P', '-b', bootstrap, '-t', TOPIC], `${lines}\n`);
    const consumer = `
import sys
from confluent_kafka import Consumer
c = Consumer({'bootstrap.servers': sys.argv[1], 'group.id': '${GROUP}', 'auto.offset.reset': 'earliest',
              'enable.auto.commit': False, 'enable.auto.offset.store': False})
c.subscribe(['${TOPIC}'])
got = 0
while got < 4000:
    m = c.poll(1.0)
    if m is None or m.error():
        continue
    c.store_offsets(m)
    got += 1
c.commit(asynchronous=False)
c.close()
`;
    await run('/usr/bin/python3', ['-c', consumer, bootstrap]);
    const [ours] = await computeConsumerLag({ endpoint: plaintextEndpoint(bootstrap), groupIds: [GROUP] });
    if (!ours) throw new Error('no lag computed for the group');

    // ZooKeeper for Burrow's own coordination, then Burrow reading __consumer_offsets.
    const zkPort = await freePort();
    children.push(
      spawn(
        'java',
        [
          '-cp',
          '/usr/share/java/*',
          'org.apache.zookeeper.server.ZooKeeperServerMain',
          String(zkPort),
          join(dir, 'zk'),
        ],
        {
          stdio: 'ignore',
        },
      ),
    );
    const httpPort = await freePort();
    const servers = JSON.stringify(bootstrap.split(','));
    writeFileSync(
      join(dir, 'burrow.toml'),
      `[general]
pidfile="${join(dir, 'burrow.pid')}"
[logging]
filename="${join(dir, 'burrow.log')}"
level="info"
[zookeeper]
servers=["127.0.0.1:${zkPort}"]
timeout=6
root-path="/burrow"
[client-profile.flotilla]
client-id="burrow"
kafka-version="${process.env.BURROW_KAFKA_VERSION ?? '1.0.0'}"
[cluster.local]
class-name="kafka"
servers=${servers}
client-profile="flotilla"
topic-refresh=5
offset-refresh=2
[consumer.local]
class-name="kafka"
cluster="local"
servers=${servers}
client-profile="flotilla"
start-latest=false
[httpserver.default]
address="127.0.0.1:${httpPort}"
[storage.default]
class-name="inmemory"
intervals=10
min-distance=1
`,
    );
    // Burrow gives up at once when its ZooKeeper does not answer: wait for the JVM to listen.
    await until(
      'ZooKeeper',
      () =>
        new Promise<true>((resolve, reject) => {
          const socket = connectTcp(zkPort, '127.0.0.1', () => {
            socket.end();
            resolve(true);
          });
          socket.on('error', reject);
        }),
    );
    children.push(spawn('/usr/bin/Burrow', ['--config-dir', dir], { stdio: 'ignore' }));
    type BurrowLag = {
      status: { totallag: number; partitions: { topic: string; partition: number; current_lag: number }[] };
    };
    const burrow = await until('Burrow lag for the group', async () => {
      const r = await fetch(`http://127.0.0.1:${httpPort}/v3/kafka/local/consumer/${GROUP}/lag`);
      if (!r.ok) return undefined;
      const body = (await r.json()) as BurrowLag;
      const total = body.status?.partitions?.reduce((a, p) => a + (p.current_lag ?? 0), 0);
      return body.status?.partitions?.length && total > 0 ? body : undefined;
    });
    let disagreements = 0;
    for (const p of burrow.status.partitions) {
      const mine = ours.topics.find((t) => t.topic === p.topic)?.partitions.find((x) => x.partition === p.partition);
      // Burrow shows a partition the group never committed with lag 0; we count it from the log start.
      const comparable = mine !== undefined && mine.committedOffset >= 0;
      const agree = mine?.offsetLag === p.current_lag;
      if (comparable && !agree) disagreements++;
      console.log(
        `${p.topic}-${p.partition}: Burrow current_lag ${p.current_lag}, ours OffsetLag ${mine?.offsetLag} (committed ${mine?.committedOffset}, end ${mine?.logEndOffset}) ${agree ? 'agree' : comparable ? 'DISAGREE' : 'differ: never committed'}`,
      );
    }
    const uncommitted = ours.topics.flatMap((t) => t.partitions).filter((p) => p.committedOffset < 0);
    console.log(
      `Burrow totallag ${burrow.status.totallag}; ours SumOffsetLag ${ours.sumOffsetLag}, of which ${uncommitted.reduce((a, p) => a + p.offsetLag, 0)} on ${uncommitted.length} partition(s) the group never committed (Burrow counts those as 0)`,
    );
    return disagreements === 0 ? 0 : 1;
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await driver.deleteCluster(clusterId);
    await driver.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);

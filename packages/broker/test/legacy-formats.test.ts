/**
 * Message formats v0/v1 at the wire, against the real broker binary: Produce v0-2 up-converted to record
 * batches v2 (and validated as Kafka 3.x validates them), Fetch v0-3 down-converted (transaction markers
 * dropped, zstd refused, the pre-KIP-74 hard partition limit), the topic configs that change both
 * (compression.type, message.timestamp.type, message.downconversion.enable), and ListOffsets v0's
 * legacy offset list; and an up-converted batch replicated to followers like any other, so a new leader
 * serves it. java-clients.test.ts drives the same paths with real old clients.
 */
import {
  ApiKey,
  CompressionType,
  type Connection,
  connect,
  decodeBatches,
  decodeMessageSet,
  decodeRecords,
  defaultAlterConfigsRequest,
  defaultDescribeConfigsRequest,
  defaultFetchRequest,
  defaultFetchRequestFetchPartition,
  defaultListOffsetsRequestListOffsetsPartition,
  ErrorCode,
  encodeBatch,
  encodeMessageSet,
  type LegacyMagic,
  type LegacyRecordInput,
  legacyRecords,
  type RecordBatch,
  TimestampType,
} from '@flotilla/protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import { quorumCluster, useConnectedBroker } from './harness.js';

const NOW = BigInt(Date.now());

const records = (n: number, prefix = 'v', timestamp = NOW): LegacyRecordInput[] =>
  Array.from({ length: n }, (_, i) => ({
    offset: BigInt(i),
    timestamp: timestamp + BigInt(i),
    key: i % 3 === 2 ? null : Buffer.from(`k${i}`),
    value: Buffer.from(`${prefix}${i}`),
  }));

/** Every record of a fetched message set, wrappers opened. */
function legacyOf(bytes: Buffer) {
  return decodeMessageSet(bytes).entries.flatMap((e) => legacyRecords(e).map((r) => ({ ...r, wrapper: e })));
}

function v2Of(bytes: Buffer): RecordBatch[] {
  return decodeBatches(bytes).batches.filter((b): b is RecordBatch => b.magic === 2);
}

describe('message formats v0/v1 on the wire', () => {
  const started = useConnectedBroker(
    {
      'transaction.state.log.num.partitions': '1',
      'transaction.state.log.replication.factor': '1',
      'transaction.state.log.min.isr': '1',
    },
    'legacy-formats',
  );
  let conn: Connection;
  beforeAll(() => {
    conn = started().conn;
  });

  const createTopic = async (name: string, configs: Record<string, string> = {}, partitions = 1) => {
    const r = await conn.request(ApiKey.CreateTopics, {
      topics: [
        {
          name,
          numPartitions: partitions,
          replicationFactor: 1,
          assignments: [],
          configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })),
        },
      ],
      timeoutMs: 10_000,
      validateOnly: false,
    });
    expect(r.topics[0]?.errorCode).toBe(0);
  };

  const produce = async (version: number, topic: string, bytes: Buffer, transactionalId: string | null = null) => {
    const r = await conn.request(
      ApiKey.Produce,
      {
        transactionalId,
        acks: -1,
        timeoutMs: 5000,
        topicData: [{ name: topic, partitionData: [{ index: 0, records: bytes }] }],
      },
      { version },
    );
    return r?.responses[0]?.partitionResponses[0] as { errorCode: number; baseOffset: bigint; logAppendTimeMs: bigint };
  };

  const fetch = async (version: number, topic: string, offset: number, partitionMaxBytes = 1 << 20) => {
    const r = await conn.request(
      ApiKey.Fetch,
      {
        ...defaultFetchRequest(),
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 0,
        topics: [
          {
            topic,
            topicId: '',
            partitions: [
              { ...defaultFetchRequestFetchPartition(), partition: 0, fetchOffset: BigInt(offset), partitionMaxBytes },
            ],
          },
        ],
      },
      { version },
    );
    const p = r.responses[0]?.partitions[0];
    return { errorCode: p?.errorCode, highWatermark: p?.highWatermark, records: p?.records ?? Buffer.alloc(0) };
  };

  it('advertises Produce and Fetch from version 0', async () => {
    const r = await conn.request(ApiKey.ApiVersions, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
    const range = (key: number) => r.apiKeys.find((k) => k.apiKey === key);
    expect(range(ApiKey.Produce)).toMatchObject({ minVersion: 0, maxVersion: 11 });
    expect(range(ApiKey.Fetch)).toMatchObject({ minVersion: 0, maxVersion: 17 });
    expect(range(ApiKey.ListOffsets)?.minVersion).toBe(0);
  });

  it('stores Produce v0-2 message sets as v2 batches of the same codec, and serves them back to every Fetch version', async () => {
    await createTopic('up');
    let next = 0;
    const produced: { magic: LegacyMagic; codec: CompressionType; base: number }[] = [];
    for (const [version, magic] of [
      [0, 0],
      [1, 0],
      [2, 1],
    ] as const) {
      for (const codec of [CompressionType.NONE, CompressionType.GZIP, CompressionType.SNAPPY, CompressionType.LZ4]) {
        const r = await produce(version, 'up', encodeMessageSet({ magic, compression: codec, records: records(5) }));
        expect(r.errorCode).toBe(0);
        expect(Number(r.baseOffset)).toBe(next);
        produced.push({ magic, codec, base: next });
        next += 5;
      }
    }
    // As a v4+ consumer sees the log: one v2 batch per produce, the producer's codec, v0's timestamps -1.
    const batches = v2Of((await fetch(11, 'up', 0)).records);
    expect(batches.map((b) => [Number(b.header.baseOffset), b.header.compression, b.header.recordCount])).toEqual(
      produced.map((p) => [p.base, p.codec, 5]),
    );
    for (const [i, b] of batches.entries()) {
      const magic = produced[i]?.magic;
      expect(b.header.maxTimestamp).toBe(magic === 0 ? -1n : NOW + 4n);
      expect(decodeRecords(b).map((r) => r.value?.toString())).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
    }
    // Fetch v0-1 answer magic 0, v2-3 magic 1 with the timestamps; keys and values as produced. Message
    // sets take more bytes than the v2 batches read, so an answer may stop short: fetch on, as consumers do.
    for (const version of [0, 1, 2, 3]) {
      const magic = version <= 1 ? 0 : 1;
      const back: ReturnType<typeof legacyOf> = [];
      for (let fetches = 0; back.length < 60 && fetches < 10; fetches++) {
        const got = legacyOf((await fetch(version, 'up', Number(back.at(-1)?.offset ?? -1n) + 1)).records);
        back.push(...got.filter((r) => r.offset > (back.at(-1)?.offset ?? -1n)));
      }
      expect(back).toHaveLength(60);
      expect(back.every((r) => r.magic === magic)).toBe(true);
      expect(back.map((r) => Number(r.offset))).toEqual(Array.from({ length: 60 }, (_, i) => i));
      expect(back.map((r) => r.key?.toString() ?? null).slice(0, 3)).toEqual(['k0', 'k1', null]);
      expect(back.map((r) => r.wrapper.compression)).toEqual(produced.flatMap((p) => new Array(5).fill(p.codec)));
      if (magic === 1) {
        expect(back.map((r) => r.timestamp)).toEqual(
          produced.flatMap((p) => [0n, 1n, 2n, 3n, 4n].map((d) => (p.magic === 0 ? -1n : NOW + d))),
        );
      }
    }
  });

  it('follows the topic: compression.type recompresses, LogAppendTime stamps the broker time', async () => {
    await createTopic('up-lz4', { 'compression.type': 'lz4' });
    expect(
      (
        await produce(
          1,
          'up-lz4',
          encodeMessageSet({ magic: 0, compression: CompressionType.GZIP, records: records(3) }),
        )
      ).errorCode,
    ).toBe(0);
    expect(v2Of((await fetch(11, 'up-lz4', 0)).records)[0]?.header.compression).toBe(CompressionType.LZ4);

    await createTopic('up-append', { 'message.timestamp.type': 'LogAppendTime' });
    const before = BigInt(Date.now());
    const r = await produce(
      2,
      'up-append',
      encodeMessageSet({ magic: 1, compression: CompressionType.SNAPPY, records: records(3, 'v', 1000n) }),
    );
    expect(r.errorCode).toBe(0);
    expect(r.logAppendTimeMs).toBeGreaterThanOrEqual(before);
    const back = legacyOf((await fetch(3, 'up-append', 0)).records);
    expect(back.map((m) => [m.timestampType, m.timestamp])).toEqual(
      new Array(3).fill([TimestampType.LOG_APPEND_TIME, r.logAppendTimeMs]),
    );
  });

  it('refuses what Kafka refuses: CRC, size, several wrappers, mixed magic, timestamps, transactions without an id', async () => {
    await createTopic('strict', { 'max.message.bytes': '2000', 'message.timestamp.before.max.ms': '60000' });
    const one = encodeMessageSet({ magic: 1, records: records(1) });
    const corrupt = Buffer.from(one);
    corrupt.writeUInt8((corrupt.at(-1) as number) ^ 1, corrupt.length - 1);
    expect((await produce(2, 'strict', corrupt)).errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);

    const big = encodeMessageSet({
      magic: 0,
      records: [{ offset: 0n, timestamp: 0n, key: null, value: Buffer.alloc(3000) }],
    });
    expect((await produce(1, 'strict', big)).errorCode).toBe(ErrorCode.MESSAGE_TOO_LARGE);

    const wrapper = encodeMessageSet({ magic: 1, compression: CompressionType.GZIP, records: records(2) });
    expect((await produce(2, 'strict', Buffer.concat([wrapper, wrapper]))).errorCode).toBe(ErrorCode.INVALID_RECORD);
    const v0 = encodeMessageSet({ magic: 0, records: records(1) });
    expect((await produce(2, 'strict', Buffer.concat([one, v0]))).errorCode).toBe(ErrorCode.INVALID_RECORD);

    const old = encodeMessageSet({ magic: 1, records: records(1, 'v', NOW - 3_600_000n) });
    expect((await produce(2, 'strict', old)).errorCode).toBe(ErrorCode.INVALID_TIMESTAMP);
    // v0 has no timestamp to check.
    expect((await produce(1, 'strict', v0)).errorCode).toBe(0);

    const transactional = encodeBatch({
      baseTimestamp: NOW,
      producerId: 7n,
      producerEpoch: 0,
      baseSequence: 0,
      isTransactional: true,
      records: [{ attributes: 0, timestampDelta: 0, offsetDelta: 0, key: null, value: Buffer.from('t'), headers: [] }],
    });
    expect((await produce(2, 'strict', transactional)).errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    // A plain v2 batch in Produce v2 is taken as it is (Kafka checks the magic only from v3 on).
    const plain = encodeBatch({
      baseTimestamp: NOW,
      records: [{ attributes: 0, timestampDelta: 0, offsetDelta: 0, key: null, value: Buffer.from('p'), headers: [] }],
    });
    expect((await produce(2, 'strict', plain)).errorCode).toBe(0);
  });

  it('down-converts only the records from the fetch offset of an uncompressed batch, a compressed one whole', async () => {
    await createTopic('skip');
    const batch = (compression: CompressionType) =>
      encodeBatch({
        baseTimestamp: NOW,
        compression,
        records: Array.from({ length: 4 }, (_, i) => ({
          attributes: 0,
          timestampDelta: i,
          offsetDelta: i,
          key: null,
          value: Buffer.from(`s${i}`),
          headers: [],
        })),
      });
    await produce(9, 'skip', batch(CompressionType.NONE));
    await produce(9, 'skip', batch(CompressionType.GZIP));
    const offsets = legacyOf((await fetch(1, 'skip', 2)).records).map((r) => Number(r.offset));
    expect(offsets).toEqual([2, 3, 4, 5, 6, 7]);
    const compressed = legacyOf((await fetch(3, 'skip', 6)).records).map((r) => Number(r.offset));
    expect(compressed).toEqual([4, 5, 6, 7]);
  });

  it('drops transaction markers: a committed transaction reads as its records alone', async () => {
    await createTopic('txn');
    await conn.request(
      ApiKey.FindCoordinator,
      { key: 'old-txn', keyType: 1, coordinatorKeys: ['old-txn'] },
      { version: 3 },
    );
    const init = await conn.request(ApiKey.InitProducerId, {
      transactionalId: 'old-txn',
      transactionTimeoutMs: 60_000,
      producerId: -1n,
      producerEpoch: -1,
    });
    expect(init.errorCode).toBe(0);
    const add = await conn.request(
      ApiKey.AddPartitionsToTxn,
      {
        transactions: [],
        v3AndBelowTransactionalId: 'old-txn',
        v3AndBelowProducerId: init.producerId,
        v3AndBelowProducerEpoch: init.producerEpoch,
        v3AndBelowTopics: [{ name: 'txn', partitions: [0] }],
      },
      { version: 3 },
    );
    expect(add.resultsByTopicV3AndBelow[0]?.resultsByPartition[0]?.partitionErrorCode).toBe(0);
    const data = encodeBatch({
      baseTimestamp: NOW,
      producerId: init.producerId,
      producerEpoch: init.producerEpoch,
      baseSequence: 0,
      isTransactional: true,
      records: [0, 1].map((i) => ({
        attributes: 0,
        timestampDelta: 0,
        offsetDelta: i,
        key: null,
        value: Buffer.from(`t${i}`),
        headers: [],
      })),
    });
    expect((await produce(9, 'txn', data, 'old-txn')).errorCode).toBe(0);
    const end = await conn.request(ApiKey.EndTxn, {
      transactionalId: 'old-txn',
      producerId: init.producerId,
      producerEpoch: init.producerEpoch,
      committed: true,
    });
    expect(end.errorCode).toBe(0);
    await expect.poll(async () => (await fetch(1, 'txn', 0)).highWatermark, { timeout: 10_000 }).toBe(3n);
    // The marker (offset 2) is gone from both a fetch before it and one at it.
    expect(legacyOf((await fetch(1, 'txn', 0)).records).map((r) => r.value?.toString())).toEqual(['t0', 't1']);
    expect((await fetch(2, 'txn', 2)).records.length).toBe(0);
  });

  it('answers UNSUPPORTED_COMPRESSION_TYPE for zstd, UNSUPPORTED_VERSION when down-conversion is off', async () => {
    await createTopic('zstd-topic', { 'compression.type': 'zstd' });
    await produce(
      9,
      'zstd-topic',
      encodeBatch({
        baseTimestamp: NOW,
        records: [
          { attributes: 0, timestampDelta: 0, offsetDelta: 0, key: null, value: Buffer.from('z'), headers: [] },
        ],
      }),
    );
    expect((await fetch(3, 'zstd-topic', 0)).errorCode).toBe(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);

    // A producer's zstd batch in a `producer` topic: converted data first, then the error at that batch.
    await createTopic('zstd-batch');
    await produce(2, 'zstd-batch', encodeMessageSet({ magic: 1, records: records(2) }));
    const zstd = encodeBatch({
      baseTimestamp: NOW,
      compression: CompressionType.ZSTD,
      records: [{ attributes: 0, timestampDelta: 0, offsetDelta: 0, key: null, value: Buffer.from('z'), headers: [] }],
    });
    expect((await produce(9, 'zstd-batch', zstd)).errorCode).toBe(0);
    const first = await fetch(3, 'zstd-batch', 0);
    expect(first.errorCode).toBe(0);
    expect(legacyOf(first.records).map((r) => Number(r.offset))).toEqual([0, 1]);
    expect((await fetch(3, 'zstd-batch', 2)).errorCode).toBe(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);

    await createTopic('no-down', { 'message.downconversion.enable': 'false' });
    expect((await fetch(1, 'no-down', 0)).errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect((await fetch(4, 'no-down', 0)).errorCode).toBe(0);
  });

  it('zstd needs Produce v7 and, from a zstd topic, Fetch v10 (KIP-110)', async () => {
    await createTopic('zstd-versions');
    const zstd = encodeBatch({
      baseTimestamp: NOW,
      compression: CompressionType.ZSTD,
      records: [{ attributes: 0, timestampDelta: 0, offsetDelta: 0, key: null, value: Buffer.from('z'), headers: [] }],
    });
    const refused = await produce(6, 'zstd-versions', zstd);
    expect(refused.errorCode).toBe(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
    expect(refused.baseOffset).toBe(-1n);
    expect((await fetch(10, 'zstd-versions', 0)).highWatermark).toBe(0n); // nothing was appended
    expect((await produce(7, 'zstd-versions', zstd)).errorCode).toBe(0);

    // zstd-topic (compression.type=zstd, one record): v9 is refused without reading, v10 reads it.
    expect((await fetch(9, 'zstd-topic', 0)).errorCode).toBe(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
    const read = await fetch(10, 'zstd-topic', 0);
    expect(read.errorCode).toBe(0);
    expect(v2Of(read.records).flatMap((b) => decodeRecords(b).map((r) => r.value?.toString()))).toEqual(['z']);
  });

  it('accepts and ignores message.format.version as Kafka 3.x does; an unknown version is INVALID_CONFIG', async () => {
    await createTopic('format-version');
    const alter = (value: string) =>
      conn.request(ApiKey.AlterConfigs, {
        ...defaultAlterConfigsRequest(),
        resources: [
          { resourceType: 2, resourceName: 'format-version', configs: [{ name: 'message.format.version', value }] },
        ],
      });
    const bad = await alter('0.7.0');
    expect(bad.responses[0]?.errorCode).toBe(ErrorCode.INVALID_CONFIG);
    expect(bad.responses[0]?.errorMessage).toContain('0.7.0');
    expect((await alter('0.10.0.0')).responses[0]?.errorCode).toBe(0); // what librdkafka's 0092 sets
    const described = await conn.request(ApiKey.DescribeConfigs, {
      ...defaultDescribeConfigsRequest(),
      resources: [{ resourceType: 2, resourceName: 'format-version', configurationKeys: ['message.format.version'] }],
    });
    expect(described.results[0]?.configs[0]).toMatchObject({ name: 'message.format.version', value: '0.10.0.0' });
    // Still record batches v2 in the log, as Kafka 3.x writes whatever the setting says.
    expect(
      (
        await produce(
          9,
          'format-version',
          encodeBatch({
            baseTimestamp: NOW,
            records: [
              { attributes: 0, timestampDelta: 0, offsetDelta: 0, key: null, value: Buffer.from('v2'), headers: [] },
            ],
          }),
        )
      ).errorCode,
    ).toBe(0);
    expect(v2Of((await fetch(12, 'format-version', 0)).records)).toHaveLength(1);
  });

  it('before v3 a partition limit is hard: a larger first batch gets the overflow message; v3 gets it whole (KIP-74)', async () => {
    await createTopic('large');
    const value = Buffer.alloc(5000, 'x');
    expect(
      (
        await produce(
          2,
          'large',
          encodeMessageSet({ magic: 1, records: [{ offset: 0n, timestamp: NOW, key: null, value }] }),
        )
      ).errorCode,
    ).toBe(0);
    for (const version of [0, 1, 2]) {
      const r = await fetch(version, 'large', 0, 1000);
      expect(r.errorCode).toBe(0);
      // offset -1 and a size beyond the bytes sent: one message too large for the fetch size.
      expect(r.records.length).toBe(12);
      expect(r.records.readBigInt64BE(0)).toBe(-1n);
      expect(r.records.readInt32BE(8)).toBeGreaterThan(0);
      expect(decodeMessageSet(r.records)).toMatchObject({ entries: [], partialBytes: 12 });
    }
    const whole = legacyOf((await fetch(3, 'large', 0, 1000)).records);
    expect(whole.map((r) => r.value?.length)).toEqual([5000]);
  });

  it('ListOffsets v0 answers the legacy list: segment bases and the end, newest first, up to maxNumOffsets', async () => {
    await createTopic('segments', { 'segment.bytes': '1000' });
    for (let i = 0; i < 6; i++) {
      const value = Buffer.alloc(400, 'y');
      await produce(
        1,
        'segments',
        encodeMessageSet({ magic: 0, records: [{ offset: 0n, timestamp: 0n, key: null, value }] }),
      );
    }
    const list = async (timestamp: bigint, maxNumOffsets: number) => {
      const r = await conn.request(
        ApiKey.ListOffsets,
        {
          replicaId: -1,
          isolationLevel: 0,
          timeoutMs: 0,
          topics: [
            {
              name: 'segments',
              partitions: [
                { ...defaultListOffsetsRequestListOffsetsPartition(), partitionIndex: 0, timestamp, maxNumOffsets },
              ],
            },
          ],
        },
        { version: 0 },
      );
      const p = r.topics[0]?.partitions[0];
      expect(p?.errorCode).toBe(0);
      return p?.oldStyleOffsets.map(Number);
    };
    expect(await list(-1n, 1)).toEqual([6]);
    expect(await list(-2n, 1)).toEqual([0]);
    const all = (await list(-1n, 100)) as number[];
    expect(all[0]).toBe(6);
    expect(all.at(-1)).toBe(0);
    expect(all.length).toBeGreaterThan(2); // several segments: 1000-byte segments, ~460-byte batches
    expect([...all].sort((a, b) => b - a)).toEqual(all);
    expect(await list(-1n, 0)).toEqual([]);
    // Every segment was modified before now + 1 min: the list from there is the whole one.
    expect(await list(BigInt(Date.now() + 60_000), 100)).toEqual(all);
  });
});

describe('message formats v0/v1 in a replicated cluster', () => {
  it('an acks=all Produce v1 is replicated as a v2 batch: after the leader dies, the new leader serves it to Fetch v1', async () => {
    const cluster = await quorumCluster(3, { 'min.insync.replicas': '2' });
    const ask = async <T>(id: number, f: (conn: Connection) => Promise<T>): Promise<T> => {
      const conn = await connect({ host: '127.0.0.1', port: cluster.node(id).port });
      try {
        return await f(conn);
      } finally {
        await conn.close();
      }
    };
    const leaderSeenBy = (id: number) =>
      ask(id, async (conn) => {
        const md = await conn.request(
          ApiKey.Metadata,
          {
            topics: [{ name: 'replicated', topicId: '' }],
            allowAutoTopicCreation: false,
            includeClusterAuthorizedOperations: false,
            includeTopicAuthorizedOperations: false,
          },
          { version: 0 },
        );
        return md.topics[0]?.partitions[0];
      });
    try {
      await cluster.start();
      await ask(1, (conn) =>
        conn.request(ApiKey.CreateTopics, {
          topics: [{ name: 'replicated', numPartitions: 1, replicationFactor: 3, assignments: [], configs: [] }],
          timeoutMs: 10_000,
          validateOnly: false,
        }),
      );
      await expect.poll(async () => (await leaderSeenBy(1))?.isrNodes.length, { timeout: 20_000 }).toBe(3);
      const leader = (await leaderSeenBy(1))?.leaderId as number;
      const set = encodeMessageSet({ magic: 0, compression: CompressionType.SNAPPY, records: records(3, 'r') });
      const produced = await ask(leader, (conn) =>
        conn.request(
          ApiKey.Produce,
          {
            transactionalId: null,
            acks: -1,
            timeoutMs: 10_000,
            topicData: [{ name: 'replicated', partitionData: [{ index: 0, records: set }] }],
          },
          { version: 1 },
        ),
      );
      expect(produced?.responses[0]?.partitionResponses[0]?.errorCode).toBe(0);
      await cluster.stop(leader);
      const survivor = [1, 2, 3].find((id) => id !== leader) as number;
      await expect.poll(async () => (await leaderSeenBy(survivor))?.leaderId, { timeout: 20_000 }).not.toBe(leader);
      const newLeader = (await leaderSeenBy(survivor))?.leaderId as number;
      const fetched = await ask(newLeader, (conn) =>
        conn.request(
          ApiKey.Fetch,
          {
            ...defaultFetchRequest(),
            replicaId: -1,
            maxWaitMs: 0,
            minBytes: 0,
            topics: [
              {
                topic: 'replicated',
                topicId: '',
                partitions: [
                  { ...defaultFetchRequestFetchPartition(), partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 },
                ],
              },
            ],
          },
          { version: 1 },
        ),
      );
      const p = fetched.responses[0]?.partitions[0];
      expect(p?.errorCode).toBe(0);
      expect(legacyOf(p?.records ?? Buffer.alloc(0)).map((r) => [r.magic, r.value?.toString()])).toEqual([
        [0, 'r0'],
        [0, 'r1'],
        [0, 'r2'],
      ]);
    } finally {
      await cluster.close();
    }
  });
});

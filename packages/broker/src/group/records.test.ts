import { encodeBatch } from '@flotilla/protocol';
import { describe, expect, it } from 'vitest';
import type { Partition } from '../replica/partition.js';
import { loadPartition, OffsetsReplay, toBatches } from './group-store.js';
import { javaStringHashCode, offsetsPartitionFor } from './hash.js';
import {
  decodeGroupMetadataValue,
  decodeOffsetCommitValue,
  decodeOffsetsTopicRecord,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  type GroupMetadataValue,
  type OffsetCommitValue,
} from './records.js';

const hex = (parts: string[]) => Buffer.from(parts.join('').replaceAll(' ', ''), 'hex');
const str = (s: string) => Buffer.from(s).toString('hex');

describe('which partition coordinates a group', () => {
  // Values from Java's String.hashCode (computed independently over UTF-16 code units).
  it.each([
    ['', 0],
    ['a', 97],
    ['hello', 99162322],
    ['polygenelubricants', -2147483648],
    ['é', 233],
    ['😀', 1772899], // a surrogate pair: two code units
    ['my-group', -1906497762],
  ])('hashes %j like Java', (s, hash) => {
    expect(javaStringHashCode(s)).toBe(hash);
  });

  it('takes Kafka Utils.abs of the hash, mapping Integer.MIN_VALUE to 0', () => {
    expect(offsetsPartitionFor('polygenelubricants', 50)).toBe(0);
    expect(offsetsPartitionFor('my-group', 50)).toBe(12);
    expect(offsetsPartitionFor('console-consumer-12345', 50)).toBe(6);
    expect(offsetsPartitionFor('😀', 50)).toBe(49);
  });
});

describe('__consumer_offsets record formats', () => {
  it('writes OffsetCommitKey v1 byte for byte', () => {
    // version 1 | group "g" | topic "t" | partition 3
    expect(encodeOffsetCommitKey({ group: 'g', topic: 't', partition: 3 }).toString('hex')).toBe(
      hex(['0001', '0001 67', '0001 74', '00000003']).toString('hex'),
    );
  });

  it('writes OffsetCommitValue v3 byte for byte', () => {
    const value: OffsetCommitValue = {
      offset: 42n,
      leaderEpoch: 5,
      metadata: 'm',
      commitTimestamp: 1000,
      expireTimestamp: -1,
    };
    // version 3 | offset 42 | leaderEpoch 5 | metadata "m" | commitTimestamp 1000
    expect(encodeOffsetCommitValue(value).toString('hex')).toBe(
      hex(['0003', '000000000000002a', '00000005', '0001 6d', '00000000000003e8']).toString('hex'),
    );
  });

  it('writes GroupMetadataKey v2 and GroupMetadataValue v3 byte for byte', () => {
    expect(encodeGroupMetadataKey('g').toString('hex')).toBe('0002000167');
    const value: GroupMetadataValue = {
      protocolType: 'consumer',
      generation: 1,
      protocol: 'range',
      leader: 'm1',
      currentStateTimestamp: 5,
      members: [
        {
          memberId: 'm1',
          groupInstanceId: null,
          clientId: 'c',
          clientHost: '/h',
          rebalanceTimeout: 100,
          sessionTimeout: 10,
          subscription: Buffer.from([1, 2]),
          assignment: Buffer.from([3]),
        },
      ],
    };
    const expected = hex([
      '0003', // version
      `0008 ${str('consumer')}`,
      '00000001', // generation
      `0005 ${str('range')}`,
      `0002 ${str('m1')}`, // leader
      '0000000000000005', // currentStateTimestamp
      '00000001', // one member
      `0002 ${str('m1')}`,
      'ffff', // groupInstanceId null
      `0001 ${str('c')}`,
      `0002 ${str('/h')}`,
      '00000064', // rebalanceTimeout 100
      '0000000a', // sessionTimeout 10
      '00000002 0102',
      '00000001 03',
    ]);
    expect(encodeGroupMetadataValue(value).toString('hex')).toBe(expected.toString('hex'));
    expect(decodeGroupMetadataValue(expected)).toEqual(value);
  });

  it('round-trips keys and values, and reads tombstones', () => {
    const value: OffsetCommitValue = {
      offset: 2n ** 62n,
      leaderEpoch: -1,
      metadata: 'ünïcode',
      commitTimestamp: 1_700_000_000_000,
      expireTimestamp: -1,
    };
    const key = encodeOffsetCommitKey({ group: 'group', topic: 'topic', partition: 7 });
    expect(decodeOffsetsTopicRecord(key, encodeOffsetCommitValue(value))).toEqual({
      type: 'offset-commit',
      key: { group: 'group', topic: 'topic', partition: 7 },
      value,
    });
    expect(decodeOffsetsTopicRecord(key, null)).toEqual({
      type: 'offset-commit',
      key: { group: 'group', topic: 'topic', partition: 7 },
      value: null,
    });
    expect(decodeOffsetsTopicRecord(encodeGroupMetadataKey('group'), null)).toEqual({
      type: 'group-metadata',
      group: 'group',
      value: null,
    });
    const group: GroupMetadataValue = {
      protocolType: 'consumer',
      generation: 7,
      protocol: null,
      leader: null,
      currentStateTimestamp: 123,
      members: [],
    };
    expect(decodeOffsetsTopicRecord(encodeGroupMetadataKey('group'), encodeGroupMetadataValue(group))).toEqual({
      type: 'group-metadata',
      group: 'group',
      value: group,
    });
  });

  it('reads the older value versions Kafka wrote', () => {
    // OffsetCommitValue v1: offset, metadata, commitTimestamp, expireTimestamp.
    const v1 = hex(['0001', '0000000000000009', '0000', '0000000000000064', '00000000000000c8']);
    expect(decodeOffsetCommitValue(v1)).toEqual({
      offset: 9n,
      leaderEpoch: -1,
      metadata: '',
      commitTimestamp: 100,
      expireTimestamp: 200,
    });
    // GroupMetadataValue v0: no rebalance timeout, no state timestamp, no group.instance.id.
    const v0 = hex([
      '0000',
      `0008 ${str('consumer')}`,
      '00000002',
      `0005 ${str('range')}`,
      `0002 ${str('m1')}`,
      '00000001',
      `0002 ${str('m1')}`,
      `0001 ${str('c')}`,
      `0002 ${str('/h')}`,
      '00002710', // sessionTimeout 10000
      '00000000',
      '00000000',
    ]);
    expect(decodeGroupMetadataValue(v0).members[0]).toMatchObject({
      rebalanceTimeout: 10000,
      sessionTimeout: 10000,
      groupInstanceId: null,
    });
  });

  it('reads the flexible version 4 values (compact strings, tagged fields)', () => {
    // OffsetCommitValue v4: offset 1, epoch 2, metadata "x" (compact), timestamp 3, a tagged field (topic id).
    const v4 = hex(['0004', '0000000000000001', '00000002', '02 78', '0000000000000003', '01 00 10', '00'.repeat(16)]);
    expect(decodeOffsetCommitValue(v4)).toEqual({
      offset: 1n,
      leaderEpoch: 2,
      metadata: 'x',
      commitTimestamp: 3,
      expireTimestamp: -1,
    });
    const g4 = hex([
      '0004',
      `09 ${str('consumer')}`,
      '00000003',
      `06 ${str('range')}`,
      '00', // leader null
      '0000000000000004',
      '02', // one member
      `03 ${str('m1')}`,
      '00',
      `02 ${str('c')}`,
      `03 ${str('/h')}`,
      '00000064',
      '0000000a',
      '03 0102',
      '01',
      '00', // member tagged fields
      '00', // group tagged fields
    ]);
    expect(decodeGroupMetadataValue(g4)).toEqual({
      protocolType: 'consumer',
      generation: 3,
      protocol: 'range',
      leader: null,
      currentStateTimestamp: 4,
      members: [
        {
          memberId: 'm1',
          groupInstanceId: null,
          clientId: 'c',
          clientHost: '/h',
          rebalanceTimeout: 100,
          sessionTimeout: 10,
          subscription: Buffer.from([1, 2]),
          assignment: Buffer.alloc(0),
        },
      ],
    });
  });

  it('skips keys of other record kinds (KIP-848 consumer group records)', () => {
    expect(decodeOffsetsTopicRecord(hex(['0003', `0001 ${str('g')}`]), Buffer.from([0, 0]))).toBeNull();
  });
});

describe('replay of a partition', () => {
  it('keeps the last value per key and forgets tombstoned keys and groups', () => {
    const replay = new OffsetsReplay();
    const offset = (n: bigint): OffsetCommitValue => ({
      offset: n,
      leaderEpoch: -1,
      metadata: '',
      commitTimestamp: 0,
      expireTimestamp: -1,
    });
    const meta: GroupMetadataValue = {
      protocolType: 'consumer',
      generation: 1,
      protocol: null,
      leader: null,
      currentStateTimestamp: 0,
      members: [],
    };
    replay.apply({ type: 'offset-commit', key: { group: 'a', topic: 't', partition: 0 }, value: offset(1n) });
    replay.apply({ type: 'offset-commit', key: { group: 'a', topic: 't', partition: 0 }, value: offset(5n) });
    replay.apply({ type: 'offset-commit', key: { group: 'a', topic: 't', partition: 1 }, value: offset(2n) });
    replay.apply({ type: 'offset-commit', key: { group: 'a', topic: 't', partition: 1 }, value: null });
    replay.apply({ type: 'group-metadata', group: 'b', value: meta });
    replay.apply({ type: 'offset-commit', key: { group: 'b', topic: 't', partition: 0 }, value: offset(3n) });
    replay.apply({ type: 'offset-commit', key: { group: 'b', topic: 't', partition: 0 }, value: null });
    replay.apply({ type: 'group-metadata', group: 'b', value: null });
    const live = new Map(replay.liveGroups());
    expect([...live.keys()]).toEqual(['a']);
    expect(live.get('a')?.offsets.get('t')).toEqual(new Map([[0, offset(5n)]]));
  });
});

describe('loading a partition', () => {
  it('reads every batch up to the log end offset (past a lagging high watermark), skipping foreign and unreadable records', async () => {
    const offset = (n: bigint): OffsetCommitValue => ({
      offset: n,
      leaderEpoch: -1,
      metadata: '',
      commitTimestamp: 0,
      expireTimestamp: -1,
    });
    // Small max.message.bytes: the records spread over several batches.
    const written = toBatches(
      Array.from({ length: 20 }, (_, i) => ({
        type: 'offset-commit' as const,
        key: { group: 'g', topic: 't', partition: i },
        value: offset(BigInt(i)),
      })),
      0,
      200,
    );
    expect(written.length).toBeGreaterThan(2);
    const record = (key: Buffer | null, value: Buffer | null, offsetDelta: number) => ({
      attributes: 0,
      timestampDelta: 0,
      offsetDelta,
      key,
      value,
      headers: [],
    });
    const odd = encodeBatch({
      baseTimestamp: 0n,
      records: [
        record(hex(['0003', `0001 ${str('g')}`]), Buffer.from([0, 0]), 0), // a KIP-848 record
        record(encodeOffsetCommitKey({ group: 'g', topic: 't', partition: 99 }), Buffer.from([0, 9]), 1), // unknown value version
        record(null, null, 2),
      ],
    });
    // Give each batch its offsets, as the log would.
    let next = 0;
    const log = [...written, odd].map((b) => {
      const copy = Buffer.from(b);
      copy.writeBigInt64BE(BigInt(next), 0);
      next += copy.readInt32BE(23) + 1;
      return copy;
    });
    const starts = log.map((_, i) => log.slice(0, i).reduce((n, b) => n + b.readInt32BE(23) + 1, 0));
    const partition = {
      // A leader just elected: its high watermark still behind commits the old coordinator acknowledged.
      highWatermark: starts[1],
      log: {
        logStartOffset: 0,
        logEndOffset: next,
        // One batch per read, like a read with a small buffer.
        read: (from: number) => ({
          records: log[starts.findLastIndex((s) => s <= from)] ?? Buffer.alloc(0),
          logStartOffset: 0,
        }),
      },
    } as unknown as Partition;
    const replay = new OffsetsReplay();
    expect(await loadPartition(partition, replay, () => true)).toBe(true);
    expect(replay.groups.get('g')?.offsets.get('t')?.size).toBe(20);
    expect(replay.skipped).toBe(3);
  });
});

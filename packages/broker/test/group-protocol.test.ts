/**
 * The group APIs at the versions no client library here exercises, over a socket to the in-process
 * broker: batched FindCoordinator (v4+) and transaction keys, JoinGroup v9 with MEMBER_ID_REQUIRED,
 * SyncGroup v5 protocol checks, OffsetFetch v8 for several groups and v1's per-partition errors,
 * LeaveGroup v0 and v5, DescribeGroups, ListGroups filters, OffsetDelete and DeleteGroups; and a
 * JoinGroup still waiting when the broker shuts down.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApiKey,
  decodeResponseFrame,
  defaultCreateTopicsRequest,
  defaultCreateTopicsRequestCreatableTopic,
  ErrorCode,
  encodeRequestFrame,
  type RequestTypes,
  type ResponseTypes,
  Writer,
  writeConsumerProtocolSubscription,
} from '@flotilla/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StartedBroker, startBroker } from '../src/broker.js';
import { BrokerConfig } from '../src/config/broker-config.js';
import { createLogger } from '../src/logger.js';

/** One connection; requests are answered in order, one at a time. */
class RawClient {
  private buffered = Buffer.alloc(0);
  private waiting: ((frame: Buffer) => void)[] = [];
  private correlationId = 0;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      while (this.buffered.length >= 4) {
        const size = this.buffered.readInt32BE(0);
        if (this.buffered.length < 4 + size) break;
        const frame = this.buffered.subarray(4, 4 + size);
        this.buffered = this.buffered.subarray(4 + size);
        this.waiting.shift()?.(frame);
      }
    });
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  async send<K extends ApiKey>(apiKey: K, apiVersion: number, body: RequestTypes[K]): Promise<ResponseTypes[K]> {
    const correlationId = ++this.correlationId;
    const frame = new Promise<Buffer>((resolve) => this.waiting.push(resolve));
    this.socket.write(encodeRequestFrame({ apiKey, apiVersion, correlationId, clientId: 'raw' }, body));
    return decodeResponseFrame(await frame, apiKey, apiVersion).body;
  }

  close(): void {
    this.socket.destroy();
  }
}

function subscription(...topics: string[]): Buffer {
  const w = new Writer();
  w.i16(0);
  writeConsumerProtocolSubscription(w, 0, {
    topics,
    userData: null,
    ownedPartitions: [],
    generationId: -1,
    rackId: null,
  });
  return w.toBuffer();
}

const joinRequest = (groupId: string, memberId: string) => ({
  groupId,
  sessionTimeoutMs: 10_000,
  rebalanceTimeoutMs: 10_000,
  memberId,
  groupInstanceId: null,
  protocolType: 'consumer',
  protocols: [{ name: 'range', metadata: subscription('events') }],
  reason: 'test',
});

/** One partition of an OffsetCommit request, with no leader epoch, timestamp or metadata. */
const commitPartition = (partitionIndex: number, committedOffset: bigint) => ({
  partitionIndex,
  committedOffset,
  committedLeaderEpoch: -1,
  commitTimestamp: -1n,
  committedMetadata: null,
});

describe('group APIs over the wire', () => {
  let dir: string;
  let broker: StartedBroker;
  let port: number;
  let client: RawClient;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-group-protocol-'));
    const config = new BrokerConfig(
      new Map([
        ['node.id', '1'],
        ['listeners', 'PLAINTEXT://127.0.0.1:0'],
        ['log.dirs', dir],
        ['offsets.topic.replication.factor', '1'],
        ['offsets.topic.num.partitions', '3'],
        ['group.initial.rebalance.delay.ms', '0'],
        ['offsets.retention.check.interval.ms', '200'],
      ]),
    );
    broker = await startBroker(config, createLogger('warn'));
    port = broker.listeners[0]?.boundPort ?? 0;
    client = await RawClient.connect(port);
    await client.send(ApiKey.CreateTopics, 7, {
      ...defaultCreateTopicsRequest(),
      topics: [
        { ...defaultCreateTopicsRequestCreatableTopic(), name: 'events', numPartitions: 2, replicationFactor: 1 },
      ],
    });
  });

  afterAll(async () => {
    client?.close();
    await broker?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('FindCoordinator: one key (v0-3), a batch (v4+), and transaction keys', async () => {
    const single = await client.send(ApiKey.FindCoordinator, 3, { key: 'group-a', keyType: 0, coordinatorKeys: [] });
    expect(single).toMatchObject({ errorCode: 0, nodeId: 1, host: '127.0.0.1', port });
    const batch = await client.send(ApiKey.FindCoordinator, 6, { key: '', keyType: 0, coordinatorKeys: ['a', 'b'] });
    expect(batch.coordinators).toEqual([
      { key: 'a', nodeId: 1, host: '127.0.0.1', port, errorCode: 0, errorMessage: null },
      { key: 'b', nodeId: 1, host: '127.0.0.1', port, errorCode: 0, errorMessage: null },
    ]);
    const txn = await client.send(ApiKey.FindCoordinator, 4, { key: '', keyType: 1, coordinatorKeys: ['tx'] });
    // The transaction coordinator (txn/coordinator.ts): this broker, once __transaction_state exists.
    expect(txn.coordinators[0]).toMatchObject({ key: 'tx', errorCode: 0, nodeId: 1, host: '127.0.0.1', port });
    const unknownType = await client.send(ApiKey.FindCoordinator, 4, { key: '', keyType: 7, coordinatorKeys: ['x'] });
    expect(unknownType.coordinators[0]?.errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });

  it('JoinGroup v9, SyncGroup v5, Heartbeat v4, OffsetCommit v9, OffsetFetch v8 and v1', async () => {
    const first = await client.send(ApiKey.JoinGroup, 9, joinRequest('wire', ''));
    expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    expect(first.memberId).toMatch(/^raw-/);
    const joined = await client.send(ApiKey.JoinGroup, 9, joinRequest('wire', first.memberId));
    expect(joined).toMatchObject({
      errorCode: 0,
      generationId: 1,
      protocolType: 'consumer',
      protocolName: 'range',
      leader: first.memberId,
    });
    expect(joined.members).toEqual([
      { memberId: first.memberId, groupInstanceId: null, metadata: subscription('events') },
    ]);

    const sync = (protocolType: string | null, protocolName: string | null) =>
      client.send(ApiKey.SyncGroup, 5, {
        groupId: 'wire',
        generationId: 1,
        memberId: first.memberId,
        groupInstanceId: null,
        protocolType,
        protocolName,
        assignments: [{ memberId: first.memberId, assignment: Buffer.from('assigned') }],
      });
    expect((await sync('consumer', 'roundrobin')).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await sync(null, 'range')).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect(await sync('consumer', 'range')).toMatchObject({
      errorCode: 0,
      protocolType: 'consumer',
      protocolName: 'range',
      assignment: Buffer.from('assigned'),
    });

    const beat = (generationId: number) =>
      client.send(ApiKey.Heartbeat, 4, {
        groupId: 'wire',
        generationId,
        memberId: first.memberId,
        groupInstanceId: null,
      });
    expect((await beat(1)).errorCode).toBe(0);
    expect((await beat(7)).errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);

    const commit = await client.send(ApiKey.OffsetCommit, 9, {
      groupId: 'wire',
      generationIdOrMemberEpoch: 1,
      memberId: first.memberId,
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [
        {
          name: 'events',
          partitions: [
            {
              partitionIndex: 0,
              committedOffset: 5n,
              committedLeaderEpoch: 0,
              commitTimestamp: -1n,
              committedMetadata: 'm',
            },
            {
              partitionIndex: 9,
              committedOffset: 5n,
              committedLeaderEpoch: 0,
              commitTimestamp: -1n,
              committedMetadata: null,
            },
          ],
        },
      ],
    });
    expect(commit.topics[0]?.partitions.map((p) => p.errorCode)).toEqual([0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);

    const fetched = await client.send(ApiKey.OffsetFetch, 8, {
      groupId: '',
      topics: null,
      requireStable: true,
      groups: [
        { groupId: 'wire', memberId: null, memberEpoch: -1, topics: null },
        { groupId: 'nobody', memberId: null, memberEpoch: -1, topics: [{ name: 'events', partitionIndexes: [1] }] },
      ],
    });
    expect(fetched.groups).toEqual([
      {
        groupId: 'wire',
        errorCode: 0,
        topics: [
          {
            name: 'events',
            partitions: [
              { partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: 0, metadata: 'm', errorCode: 0 },
            ],
          },
        ],
      },
      {
        groupId: 'nobody',
        errorCode: 0,
        topics: [
          {
            name: 'events',
            partitions: [
              { partitionIndex: 1, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
            ],
          },
        ],
      },
    ]);
    const v1 = await client.send(ApiKey.OffsetFetch, 1, {
      groupId: 'wire',
      topics: [{ name: 'events', partitionIndexes: [0, 1] }],
      requireStable: false,
      groups: [],
    });
    expect(v1.topics[0]?.partitions.map((p) => [p.committedOffset, p.errorCode])).toEqual([
      [5n, 0],
      [-1n, 0],
    ]);
  });

  it('OffsetCommit v1 keeps its commit timestamp; v0 commits and fetches need ZooKeeper (as KRaft Kafka)', async () => {
    const week = 7 * 24 * 3600_000; // offsets.retention.minutes' default
    const v1 = await client.send(ApiKey.OffsetCommit, 1, {
      groupId: 'v1-commits',
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [
        {
          name: 'events',
          partitions: [
            // Committed "8 days ago": past retention, so the next expiry pass removes it.
            { ...commitPartition(0, 3n), commitTimestamp: BigInt(Date.now() - week - 24 * 3600_000) },
            { ...commitPartition(1, 4n), commitTimestamp: -1n },
          ],
        },
      ],
    });
    expect(v1.topics[0]?.partitions.map((p) => p.errorCode)).toEqual([0, 0]);
    const fetchV1 = () =>
      client.send(ApiKey.OffsetFetch, 1, {
        groupId: 'v1-commits',
        topics: [{ name: 'events', partitionIndexes: [0, 1] }],
        requireStable: false,
        groups: [],
      });
    let offsets: [bigint, number][] = [];
    for (let i = 0; i < 50; i++) {
      offsets = (await fetchV1()).topics[0]?.partitions.map((p) => [p.committedOffset, p.errorCode]) ?? [];
      if (offsets[0]?.[0] === -1n) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(offsets).toEqual([
      [-1n, 0],
      [4n, 0],
    ]);

    const v0 = await client.send(ApiKey.OffsetCommit, 0, {
      groupId: 'v1-commits',
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [{ name: 'events', partitions: [commitPartition(1, 9n)] }],
    });
    expect(v0.topics[0]?.partitions[0]?.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    const fetchV0 = await client.send(ApiKey.OffsetFetch, 0, {
      groupId: 'v1-commits',
      topics: [{ name: 'events', partitionIndexes: [1] }],
      requireStable: false,
      groups: [],
    });
    expect(fetchV0.topics[0]?.partitions[0]).toMatchObject({
      committedOffset: -1n,
      errorCode: ErrorCode.UNSUPPORTED_VERSION,
    });
    // Nothing was written by the v0 commit.
    expect((await fetchV1()).topics[0]?.partitions[1]?.committedOffset).toBe(4n);
  });

  it('DescribeGroups, ListGroups filters, OffsetDelete, LeaveGroup v0 and v5, DeleteGroups', async () => {
    // Before v4 a new member joins at once, without the MEMBER_ID_REQUIRED round trip.
    const first = await client.send(ApiKey.JoinGroup, 3, joinRequest('lifecycle', ''));
    expect(first.errorCode).toBe(0);
    await client.send(ApiKey.SyncGroup, 3, {
      groupId: 'lifecycle',
      generationId: first.generationId,
      memberId: first.memberId,
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments: [],
    });
    const described = await client.send(ApiKey.DescribeGroups, 5, {
      groups: ['lifecycle', 'ghost'],
      includeAuthorizedOperations: true,
    });
    expect(described.groups[0]).toMatchObject({
      groupId: 'lifecycle',
      groupState: 'Stable',
      protocolType: 'consumer',
      protocolData: 'range',
    });
    expect(described.groups[0]?.members[0]).toMatchObject({
      memberId: first.memberId,
      clientId: 'raw',
      clientHost: '/127.0.0.1',
    });
    expect(described.groups[0]?.authorizedOperations).toBe((1 << 3) | (1 << 6) | (1 << 8));
    expect(described.groups[1]).toMatchObject({ groupId: 'ghost', errorCode: 0, groupState: 'Dead' });

    const listed = await client.send(ApiKey.ListGroups, 5, { statesFilter: ['stable'], typesFilter: ['classic'] });
    expect(listed.groups.map((g) => g.groupId)).toContain('lifecycle');
    expect(listed.groups.every((g) => g.groupState === 'Stable' && g.groupType === 'classic')).toBe(true);

    await client.send(ApiKey.OffsetCommit, 8, {
      groupId: 'lifecycle',
      generationIdOrMemberEpoch: first.generationId,
      memberId: first.memberId,
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [
        {
          name: 'events',
          partitions: [
            {
              partitionIndex: 0,
              committedOffset: 1n,
              committedLeaderEpoch: -1,
              commitTimestamp: -1n,
              committedMetadata: null,
            },
          ],
        },
      ],
    });
    const subscribed = await client.send(ApiKey.OffsetDelete, 0, {
      groupId: 'lifecycle',
      topics: [{ name: 'events', partitions: [{ partitionIndex: 0 }] }],
    });
    expect(subscribed.topics[0]?.partitions[0]?.errorCode).toBe(ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC);
    const nonEmpty = await client.send(ApiKey.DeleteGroups, 2, { groupsNames: ['lifecycle', 'ghost'] });
    expect(nonEmpty.results).toEqual([
      { groupId: 'lifecycle', errorCode: ErrorCode.NON_EMPTY_GROUP },
      { groupId: 'ghost', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
    ]);

    const unknownLeave = await client.send(ApiKey.LeaveGroup, 0, {
      groupId: 'lifecycle',
      memberId: 'nobody',
      members: [],
    });
    expect(unknownLeave.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const left = await client.send(ApiKey.LeaveGroup, 5, {
      groupId: 'lifecycle',
      memberId: '',
      members: [{ memberId: first.memberId, groupInstanceId: null, reason: 'done' }],
    });
    expect(left).toMatchObject({
      errorCode: 0,
      members: [{ memberId: first.memberId, groupInstanceId: null, errorCode: 0 }],
    });
    const deleted = await client.send(ApiKey.DeleteGroups, 2, { groupsNames: ['lifecycle'] });
    expect(deleted.results).toEqual([{ groupId: 'lifecycle', errorCode: 0 }]);
  });

  it('answers a JoinGroup still waiting when the broker shuts down', async () => {
    const groups = broker.services.groups;
    const member = {
      groupId: 'shutdown',
      groupInstanceId: null,
      requireKnownMemberId: false,
      supportSkippingAssignment: false,
      clientId: 'c',
      clientHost: '/127.0.0.1',
      rebalanceTimeoutMs: 60_000,
      sessionTimeoutMs: 30_000,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: subscription('events') }],
      reason: null,
    };
    await groups.findCoordinator('shutdown', 'PLAINTEXT', undefined);
    const a = await groups.joinGroup({ ...member, memberId: '' });
    await groups.syncGroup({
      groupId: 'shutdown',
      generationId: 1,
      memberId: a.memberId,
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments: [],
    });
    // A second member waits for the first to rejoin, for up to a minute.
    const waiting = groups.joinGroup({ ...member, memberId: '' });
    const started = Date.now();
    await broker.close();
    expect((await waiting).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

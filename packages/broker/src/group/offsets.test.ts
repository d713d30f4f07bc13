/**
 * Committed offsets: who may commit, what fetches see, deletion of offsets and groups, and expiry, on
 * fake time with an in-memory store standing in for __consumer_offsets.
 */
import { ErrorCode, KafkaError, Writer, writeConsumerProtocolSubscription } from '@flotilla/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../logger.js';
import { GroupState, type JoinResult } from './classic-group.js';
import { GroupRegistry, type GroupSettings } from './group-registry.js';
import { GroupMembership } from './membership.js';
import { GroupOffsets, type OffsetToCommit } from './offsets.js';
import type { OffsetsTopicRecord } from './records.js';
import { GroupTimers } from './timers.js';

const GROUP = 'g';
const RETENTION_MS = 60_000;

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

function setup() {
  const log = createLogger('warn');
  const settings: GroupSettings = {
    minSessionTimeoutMs: 1_000,
    maxSessionTimeoutMs: 60_000,
    maxSize: 100,
    initialRebalanceDelayMs: 0,
    maxMetadataBytes: 10,
    offsetsRetentionMs: RETENTION_MS,
  };
  const registry = new GroupRegistry(() => 1);
  registry.active = true;
  registry.setLoaded(0);
  const written: OffsetsTopicRecord[] = [];
  const store = {
    failWith: null as number | null,
    /** When set, appends wait for it: a commit "in flight". */
    gate: null as Promise<void> | null,
    async append(_partition: number, records: readonly OffsetsTopicRecord[]) {
      if (this.gate) await this.gate;
      if (this.failWith !== null) throw new KafkaError(this.failWith);
      written.push(...records);
    },
  };
  const timers = new GroupTimers(log);
  const now = () => Date.now();
  const membership = new GroupMembership({ registry, store, timers, settings, log, now });
  const topics = new Map([
    ['t', 2],
    ['other', 1],
  ]);
  const offsets = new GroupOffsets({
    registry,
    store,
    timers,
    settings,
    membership,
    partitionExists: (topic, partition) => partition < (topics.get(topic) ?? 0),
    log,
    now,
  });
  const offset = (topic: string, partition: number, value: bigint, metadata: string | null = null): OffsetToCommit => ({
    topic,
    partition,
    offset: value,
    leaderEpoch: 3,
    metadata,
  });
  const simpleCommit = (...list: OffsetToCommit[]) =>
    offsets.commit({ groupId: GROUP, memberId: '', groupInstanceId: null, generationId: -1, offsets: list });
  const memberCommit = (member: JoinResult, ...list: OffsetToCommit[]) =>
    offsets.commit({
      groupId: GROUP,
      memberId: member.memberId,
      groupInstanceId: null,
      generationId: member.generationId,
      offsets: list,
    });
  /** A consumer member subscribed to `t`, through join (and sync unless told not to). */
  const member = async (synced = true) => {
    const joining = membership.join({
      groupId: GROUP,
      memberId: '',
      groupInstanceId: null,
      requireKnownMemberId: false,
      supportSkippingAssignment: false,
      clientId: 'c',
      clientHost: '/127.0.0.1',
      rebalanceTimeoutMs: 10_000,
      sessionTimeoutMs: 10_000,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: subscription('t') }],
      reason: null,
    });
    await vi.advanceTimersByTimeAsync(0);
    const joined = await joining;
    if (synced) {
      await membership.sync({
        groupId: GROUP,
        generationId: joined.generationId,
        memberId: joined.memberId,
        groupInstanceId: null,
        protocolType: null,
        protocolName: null,
        assignments: [],
      });
    }
    return joined;
  };
  const fetched = (topics: { topic: string; partitions: number[] }[] | null, requireStable = false) =>
    offsets.fetch(GROUP, topics, requireStable);
  return {
    registry,
    store,
    written,
    offsets,
    membership,
    offset,
    simpleCommit,
    memberCommit,
    member,
    fetched,
    group: () => registry.get(GROUP),
  };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 5_000_000 });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('committing and fetching offsets', () => {
  it('accepts a simple commit (no generation, no member) and creates the group for it', async () => {
    const s = setup();
    expect(await s.simpleCommit(s.offset('t', 0, 10n, 'meta'), s.offset('t', 1, 20n))).toEqual([0, 0]);
    expect(s.group()).toMatchObject({ state: GroupState.Empty, protocolType: null });
    expect(
      s.fetched([
        { topic: 't', partitions: [0, 1] },
        { topic: 'other', partitions: [0] },
      ]),
    ).toEqual({
      errorCode: 0,
      topics: [
        {
          topic: 't',
          partitions: [
            { partition: 0, offset: 10n, leaderEpoch: 3, metadata: 'meta', errorCode: 0 },
            { partition: 1, offset: 20n, leaderEpoch: 3, metadata: '', errorCode: 0 },
          ],
        },
        { topic: 'other', partitions: [{ partition: 0, offset: -1n, leaderEpoch: -1, metadata: '', errorCode: 0 }] },
      ],
    });
    // All partitions with a commit when no topics are named.
    expect(
      s.fetched(null).topics.flatMap((t) => t.partitions.map((p) => `${t.topic}-${p.partition}:${p.offset}`)),
    ).toEqual(['t-0:10', 't-1:20']);
    expect(s.written[0]).toEqual({
      type: 'offset-commit',
      key: { group: GROUP, topic: 't', partition: 0 },
      value: { offset: 10n, leaderEpoch: 3, metadata: 'meta', commitTimestamp: 5_000_000, expireTimestamp: -1 },
    });
  });

  it('answers -1 for every partition of a group that does not exist', () => {
    const s = setup();
    expect(s.fetched([{ topic: 't', partitions: [0] }]).topics[0]?.partitions[0]).toMatchObject({
      offset: -1n,
      errorCode: 0,
    });
    expect(s.fetched(null).topics).toEqual([]);
  });

  it('refuses unknown partitions and oversized metadata, per partition', async () => {
    const s = setup();
    const errors = await s.simpleCommit(
      s.offset('t', 5, 1n),
      s.offset('nope', 0, 1n),
      s.offset('t', 0, 1n, 'x'.repeat(11)),
      s.offset('t', 1, 1n, 'x'.repeat(10)),
    );
    expect(errors).toEqual([
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      ErrorCode.OFFSET_METADATA_TOO_LARGE,
      ErrorCode.NONE,
    ]);
    expect(s.fetched(null).topics[0]?.partitions.map((p) => p.partition)).toEqual([1]);
  });

  it('accepts commits from members of the current generation only', async () => {
    const s = setup();
    const m = await s.member();
    expect(await s.memberCommit(m, s.offset('t', 0, 7n))).toEqual([0]);
    expect(await s.memberCommit({ ...m, generationId: 0 }, s.offset('t', 0, 8n))).toEqual([
      ErrorCode.ILLEGAL_GENERATION,
    ]);
    expect(await s.memberCommit({ ...m, memberId: 'stranger' }, s.offset('t', 0, 8n))).toEqual([
      ErrorCode.UNKNOWN_MEMBER_ID,
    ]);
    // Once the group has members, only they may commit.
    expect(await s.simpleCommit(s.offset('t', 0, 9n))).toEqual([ErrorCode.UNKNOWN_MEMBER_ID]);
    expect(s.fetched([{ topic: 't', partitions: [0] }]).topics[0]?.partitions[0]?.offset).toBe(7n);
  });

  it('answers REBALANCE_IN_PROGRESS to a member that commits before syncing', async () => {
    const s = setup();
    const m = await s.member(false);
    expect(s.group()?.state).toBe(GroupState.CompletingRebalance);
    expect(await s.memberCommit(m, s.offset('t', 0, 1n))).toEqual([ErrorCode.REBALANCE_IN_PROGRESS]);
  });

  it('refuses a commit with a generation for a group that does not exist', async () => {
    const s = setup();
    const errors = await s.offsets.commit({
      groupId: GROUP,
      memberId: 'm',
      groupInstanceId: null,
      generationId: 3,
      offsets: [s.offset('t', 0, 1n)],
    });
    expect(errors).toEqual([ErrorCode.ILLEGAL_GENERATION]);
    expect(s.group()).toBeUndefined();
  });

  it('reports a failed write with the coordinator error a client retries on, and keeps nothing', async () => {
    const s = setup();
    s.store.failWith = ErrorCode.NOT_LEADER_OR_FOLLOWER;
    expect(await s.simpleCommit(s.offset('t', 0, 1n))).toEqual([ErrorCode.NOT_COORDINATOR]);
    s.store.failWith = ErrorCode.NOT_ENOUGH_REPLICAS;
    expect(await s.simpleCommit(s.offset('t', 0, 1n))).toEqual([ErrorCode.COORDINATOR_NOT_AVAILABLE]);
    expect(s.group()).toBeUndefined();
  });

  it('shows a commit only once written; requireStable fetches see UNSTABLE_OFFSET_COMMIT meanwhile', async () => {
    const s = setup();
    let release = () => {};
    s.store.gate = new Promise((r) => {
      release = r;
    });
    const committing = s.simpleCommit(s.offset('t', 0, 42n));
    const wanted = [{ topic: 't', partitions: [0] }];
    expect(s.fetched(wanted).topics[0]?.partitions[0]).toMatchObject({ offset: -1n, errorCode: 0 });
    expect(s.fetched(wanted, true).topics[0]?.partitions[0]).toMatchObject({
      errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT,
    });
    release();
    expect(await committing).toEqual([0]);
    expect(s.fetched(wanted, true).topics[0]?.partitions[0]).toMatchObject({ offset: 42n, errorCode: 0 });
  });

  it('refuses requests for groups of partitions this broker does not coordinate or is loading', async () => {
    const s = setup();
    s.registry.setLoading(0);
    expect(await s.simpleCommit(s.offset('t', 0, 1n))).toEqual([ErrorCode.COORDINATOR_LOAD_IN_PROGRESS]);
    expect(s.fetched(null).errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    s.registry.release(0);
    expect(s.fetched(null).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
  });
});

describe('deleting offsets and groups', () => {
  it('deletes offsets of topics the consumers do not subscribe to, not of those they do', async () => {
    const s = setup();
    const m = await s.member();
    await s.memberCommit(m, s.offset('t', 0, 1n), s.offset('other', 0, 2n));
    const result = await s.offsets.deleteOffsets(GROUP, [
      { topic: 't', partitions: [0] },
      { topic: 'other', partitions: [0] },
      { topic: 'nope', partitions: [0] },
    ]);
    expect(result).toEqual({
      errorCode: 0,
      topics: [
        { topic: 't', partitions: [{ partition: 0, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC }] },
        { topic: 'other', partitions: [{ partition: 0, errorCode: 0 }] },
        { topic: 'nope', partitions: [{ partition: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }] },
      ],
    });
    expect(s.written.at(-1)).toEqual({
      type: 'offset-commit',
      key: { group: GROUP, topic: 'other', partition: 0 },
      value: null,
    });
    expect(s.fetched(null).topics.map((t) => t.topic)).toEqual(['t']);
  });

  it('deletes the offsets of an Empty group; with none left the group is gone', async () => {
    const s = setup();
    await s.simpleCommit(s.offset('t', 0, 1n));
    expect((await s.offsets.deleteOffsets(GROUP, [{ topic: 't', partitions: [0] }])).errorCode).toBe(0);
    expect(s.group()).toBeUndefined();
    expect((await s.offsets.deleteOffsets(GROUP, [{ topic: 't', partitions: [0] }])).errorCode).toBe(
      ErrorCode.GROUP_ID_NOT_FOUND,
    );
  });

  it('deletes Empty groups only, with tombstones for their offsets and metadata', async () => {
    const s = setup();
    const m = await s.member();
    await s.memberCommit(m, s.offset('t', 0, 1n), s.offset('t', 1, 2n));
    expect(await s.offsets.deleteGroups([GROUP, 'unknown'])).toEqual([
      { groupId: GROUP, errorCode: ErrorCode.NON_EMPTY_GROUP },
      { groupId: 'unknown', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
    ]);
    s.membership.leave(GROUP, [{ memberId: m.memberId, groupInstanceId: null, reason: null }]);
    await vi.advanceTimersByTimeAsync(0);
    expect(s.group()?.state).toBe(GroupState.Empty);
    s.written.length = 0;
    expect(await s.offsets.deleteGroups([GROUP])).toEqual([{ groupId: GROUP, errorCode: 0 }]);
    expect(s.written).toEqual([
      { type: 'offset-commit', key: { group: GROUP, topic: 't', partition: 0 }, value: null },
      { type: 'offset-commit', key: { group: GROUP, topic: 't', partition: 1 }, value: null },
      { type: 'group-metadata', group: GROUP, value: null },
    ]);
    expect(s.group()).toBeUndefined();
    expect(s.fetched(null).topics).toEqual([]);
  });
});

describe('offset expiry', () => {
  it('expires offsets of a commit-only group offsets.retention.minutes after their commit', async () => {
    const s = setup();
    await s.simpleCommit(s.offset('t', 0, 1n));
    await vi.advanceTimersByTimeAsync(RETENTION_MS / 2);
    await s.simpleCommit(s.offset('t', 1, 1n));
    expect(await s.offsets.expireOffsets(Date.now() + RETENTION_MS / 2 - 1)).toBe(0);
    expect(await s.offsets.expireOffsets(Date.now() + RETENTION_MS / 2)).toBe(1);
    expect(s.fetched(null).topics[0]?.partitions.map((p) => p.partition)).toEqual([1]);
    expect(await s.offsets.expireOffsets(Date.now() + RETENTION_MS)).toBe(1);
    expect(s.group()).toBeUndefined();
  });

  it('keeps a consumer group offsets while it has members, and expires them once it has been Empty long enough', async () => {
    const s = setup();
    const m = await s.member();
    await s.memberCommit(m, s.offset('t', 0, 1n));
    // Stable and subscribed to t: never expires, however old the commit.
    expect(await s.offsets.expireOffsets(Date.now() + 10 * RETENTION_MS)).toBe(0);
    for (let t = 0; t < RETENTION_MS; t += 5000) {
      await vi.advanceTimersByTimeAsync(5000);
      s.membership.heartbeat({
        groupId: GROUP,
        memberId: m.memberId,
        generationId: m.generationId,
        groupInstanceId: null,
      });
    }
    // The commit is now older than the retention, but retention counts from when the group empties.
    s.membership.leave(GROUP, [{ memberId: m.memberId, groupInstanceId: null, reason: null }]);
    await vi.advanceTimersByTimeAsync(0);
    const emptySince = Date.now();
    expect(s.group()?.state).toBe(GroupState.Empty);
    expect(await s.offsets.expireOffsets(emptySince + RETENTION_MS - 1)).toBe(0);
    expect(await s.offsets.expireOffsets(emptySince + RETENTION_MS)).toBe(1);
    expect(s.group()).toBeUndefined();
    expect(s.written.at(-1)).toEqual({ type: 'group-metadata', group: GROUP, value: null });
  });
});

/**
 * The classic rebalance protocol as a state machine: members joining, syncing, heartbeating, leaving
 * and expiring, on fake time, with an in-memory store standing in for __consumer_offsets.
 */
import { ErrorCode, KafkaError, Writer, writeConsumerProtocolSubscription } from '@flotilla/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../logger.js';
import { GroupState, type JoinResult } from './classic-group.js';
import { GroupRegistry, type GroupSettings } from './group-registry.js';
import type { GroupStore } from './group-store.js';
import { GroupMembership, type JoinRequest } from './membership.js';
import type { OffsetsTopicRecord } from './records.js';
import { GroupTimers } from './timers.js';

const GROUP = 'g';
const SESSION_MS = 10_000;
const REBALANCE_MS = 20_000;

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

function setup(overrides: Partial<GroupSettings> = {}) {
  const log = createLogger('warn');
  const settings: GroupSettings = {
    minSessionTimeoutMs: 1_000,
    maxSessionTimeoutMs: 60_000,
    maxSize: 100,
    initialRebalanceDelayMs: 0,
    maxMetadataBytes: 4096,
    offsetsRetentionMs: 60_000,
    ...overrides,
  };
  const registry = new GroupRegistry(() => 1);
  registry.active = true;
  registry.setLoaded(0);
  const written: OffsetsTopicRecord[] = [];
  const store = {
    failWith: null as number | null,
    async append(_partition: number, records: readonly OffsetsTopicRecord[]) {
      if (this.failWith !== null) throw new KafkaError(this.failWith);
      written.push(...records);
    },
  } satisfies GroupStore & { failWith: number | null };
  const timers = new GroupTimers(log);
  const membership = new GroupMembership({ registry, store, timers, settings, log, now: () => Date.now() });
  const group = () => registry.get(GROUP);

  const request = (memberId: string, extra: Partial<JoinRequest> = {}): JoinRequest => ({
    groupId: GROUP,
    memberId,
    groupInstanceId: null,
    requireKnownMemberId: false,
    supportSkippingAssignment: false,
    clientId: 'client',
    clientHost: '/127.0.0.1',
    rebalanceTimeoutMs: REBALANCE_MS,
    sessionTimeoutMs: SESSION_MS,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription('t') }],
    reason: null,
    ...extra,
  });

  /** Starts a join; the promise settles when the coordinator answers. */
  const join = (memberId = '', extra: Partial<JoinRequest> = {}) => membership.join(request(memberId, extra));
  const sync = (r: JoinResult, assignments: { memberId: string; assignment: Buffer }[] = []) =>
    membership.sync({
      groupId: GROUP,
      generationId: r.generationId,
      memberId: r.memberId,
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments,
    });
  const heartbeat = (memberId: string, generationId: number, groupInstanceId: string | null = null) =>
    membership.heartbeat({ groupId: GROUP, memberId, generationId, groupInstanceId });

  /** One member through join and sync, leaving the group Stable. */
  const joinAndSync = async (extra: Partial<JoinRequest> = {}) => {
    const joining = join('', extra);
    await vi.advanceTimersByTimeAsync(0);
    const joined = await joining;
    const synced = await sync(joined, [{ memberId: joined.memberId, assignment: Buffer.from('a') }]);
    return { joined, synced };
  };

  return { registry, store, written, timers, membership, group, join, sync, heartbeat, joinAndSync, request };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('one member', () => {
  it('asks a v4+ member without id to rejoin with the id it hands out (MEMBER_ID_REQUIRED)', async () => {
    const s = setup();
    const first = await s.join('', { requireKnownMemberId: true, clientId: 'kafkajs' });
    expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    expect(first.memberId).toMatch(/^kafkajs-[0-9a-f-]{36}$/);
    expect(s.group()?.pendingMembers.has(first.memberId)).toBe(true);

    const joining = s.join(first.memberId, { requireKnownMemberId: true });
    await vi.advanceTimersByTimeAsync(0);
    const joined = await joining;
    expect(joined).toMatchObject({
      errorCode: 0,
      memberId: first.memberId,
      generationId: 1,
      protocolName: 'range',
      leaderId: first.memberId,
    });
    expect(joined.members.map((m) => m.memberId)).toEqual([first.memberId]);
  });

  it('goes Empty -> PreparingRebalance -> CompletingRebalance -> Stable, persisting the assignment', async () => {
    const s = setup();
    const joining = s.join();
    expect(s.group()?.state).toBe(GroupState.PreparingRebalance);
    await vi.advanceTimersByTimeAsync(0);
    const joined = await joining;
    expect(s.group()?.state).toBe(GroupState.CompletingRebalance);
    const synced = await s.sync(joined, [{ memberId: joined.memberId, assignment: Buffer.from('mine') }]);
    expect(synced).toMatchObject({
      errorCode: 0,
      protocolType: 'consumer',
      protocolName: 'range',
      assignment: Buffer.from('mine'),
    });
    expect(s.group()?.state).toBe(GroupState.Stable);
    const record = s.written.at(-1);
    expect(record).toMatchObject({
      type: 'group-metadata',
      group: GROUP,
      value: { generation: 1, protocol: 'range', leader: joined.memberId },
    });
    expect(record?.type === 'group-metadata' && record.value?.members[0]?.assignment).toEqual(Buffer.from('mine'));
  });

  it('refuses session timeouts outside the broker limits', async () => {
    const s = setup({ minSessionTimeoutMs: 6000, maxSessionTimeoutMs: 30000 });
    expect((await s.join('', { sessionTimeoutMs: 5999 })).errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    expect((await s.join('', { sessionTimeoutMs: 30001 })).errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    expect(s.group()).toBeUndefined();
  });

  it('refuses a first member without protocol type or protocols, and leaves no group behind', async () => {
    const s = setup();
    expect((await s.join('', { protocolType: '' })).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await s.join('', { protocols: [] })).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect(s.group()).toBeUndefined();
  });

  it('answers UNKNOWN_MEMBER_ID to a member id of a group that does not exist', async () => {
    const s = setup();
    expect((await s.join('stale-id')).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(s.heartbeat('stale-id', 1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('checks heartbeats: generation, member, state', async () => {
    const s = setup();
    const { joined } = await s.joinAndSync();
    expect(s.heartbeat(joined.memberId, 1)).toBe(ErrorCode.NONE);
    expect(s.heartbeat(joined.memberId, 0)).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(s.heartbeat('someone-else', 1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('removes a member whose session expires, and the group becomes Empty in a new generation', async () => {
    const s = setup();
    const { joined } = await s.joinAndSync();
    await vi.advanceTimersByTimeAsync(SESSION_MS - 1);
    expect(s.heartbeat(joined.memberId, 1)).toBe(ErrorCode.NONE); // restarts the session
    await vi.advanceTimersByTimeAsync(SESSION_MS - 1);
    expect(s.group()?.state).toBe(GroupState.Stable);
    await vi.advanceTimersByTimeAsync(2);
    expect(s.group()).toMatchObject({ state: GroupState.Empty, generationId: 2 });
    expect(s.group()?.size).toBe(0);
    expect(s.written.at(-1)).toMatchObject({
      type: 'group-metadata',
      value: { generation: 2, members: [], protocol: null },
    });
    expect(s.heartbeat(joined.memberId, 1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(s.timers.size).toBe(0);
  });
});

describe('two members', () => {
  it('rebalance when a second member joins: both rejoin, the leader assigns, the follower waits for it', async () => {
    const s = setup();
    const { joined: a } = await s.joinAndSync();
    const bJoining = s.join('', { clientId: 'b' });
    expect(s.group()?.state).toBe(GroupState.PreparingRebalance);
    // The first member learns of the rebalance from its heartbeat, and rejoins.
    expect(s.heartbeat(a.memberId, 1)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const aJoining = s.join(a.memberId);
    const [a2, b2] = await Promise.all([aJoining, bJoining]);
    expect(a2).toMatchObject({ errorCode: 0, generationId: 2, leaderId: a.memberId });
    expect(a2.members.map((m) => m.memberId).sort()).toEqual([a.memberId, b2.memberId].sort());
    expect(b2).toMatchObject({ errorCode: 0, generationId: 2, leaderId: a.memberId, members: [] });

    const bSync = s.sync(b2);
    let bAnswered = false;
    void bSync.then(() => {
      bAnswered = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(bAnswered).toBe(false);
    const aSync = await s.sync(a2, [
      { memberId: a.memberId, assignment: Buffer.from('A') },
      { memberId: b2.memberId, assignment: Buffer.from('B') },
    ]);
    expect(aSync.assignment).toEqual(Buffer.from('A'));
    expect((await bSync).assignment).toEqual(Buffer.from('B'));
    expect(s.group()?.state).toBe(GroupState.Stable);
  });

  it('drops a member that does not rejoin within the rebalance timeout', async () => {
    const s = setup();
    const { joined: a } = await s.joinAndSync();
    const bJoining = s.join('', { clientId: 'b' });
    // a keeps heartbeating but never rejoins.
    for (let t = 0; t < REBALANCE_MS; t += 3000) {
      await vi.advanceTimersByTimeAsync(3000);
      if (s.group()?.has(a.memberId)) s.heartbeat(a.memberId, 1);
    }
    const b = await bJoining;
    expect(b).toMatchObject({ errorCode: 0, generationId: 2, leaderId: b.memberId });
    expect(s.group()?.has(a.memberId)).toBe(false);
    expect(s.heartbeat(a.memberId, 1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('rebalance when a member leaves, and LeaveGroup reports unknown members', async () => {
    const s = setup();
    const first = s.join('', { clientId: 'a' });
    const second = s.join('', { clientId: 'b' });
    // b arrived during the (zero) initial delay, which is therefore extended once.
    await vi.advanceTimersByTimeAsync(1);
    const [a, b] = await Promise.all([first, second]);
    await Promise.all([s.sync(a, []), s.sync(b, [])]);
    expect(s.group()?.state).toBe(GroupState.Stable);

    const left = s.membership.leave(GROUP, [
      { memberId: b.memberId, groupInstanceId: null, reason: 'bye' },
      { memberId: 'nobody', groupInstanceId: null, reason: null },
    ]);
    expect(left.members.map((m) => m.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID]);
    expect(s.group()?.state).toBe(GroupState.PreparingRebalance);
    expect(s.heartbeat(a.memberId, 1)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const a2 = await s.join(a.memberId);
    expect(a2).toMatchObject({ generationId: 2, leaderId: a.memberId });
    expect(a2.members).toHaveLength(1);
  });

  it('drops members that do not send SyncGroup in time, and rebalances', async () => {
    const s = setup();
    // Sessions longer than the rebalance timeout: the sync deadline, not the session, drops the follower.
    const first = s.join('', { clientId: 'a', sessionTimeoutMs: 30_000 });
    const second = s.join('', { clientId: 'b', sessionTimeoutMs: 30_000 });
    await vi.advanceTimersByTimeAsync(1);
    const [a, b] = await Promise.all([first, second]);
    const leader = a.leaderId === a.memberId ? a : b;
    const follower = leader === a ? b : a;
    await s.sync(leader, []);
    // The leader heartbeats; the follower never syncs.
    for (let t = 0; t < REBALANCE_MS; t += 5000) {
      await vi.advanceTimersByTimeAsync(5000);
      s.heartbeat(leader.memberId, 1);
    }
    expect(s.group()?.has(follower.memberId)).toBe(false);
    expect(s.group()?.state).toBe(GroupState.PreparingRebalance);
  });

  it('chooses the protocol most members prefer among those all support', async () => {
    const s = setup();
    const p = (...names: string[]) => names.map((name) => ({ name, metadata: subscription('t') }));
    const joins = [
      s.join('', { protocols: p('range', 'roundrobin', 'sticky') }),
      s.join('', { protocols: p('roundrobin', 'range') }),
      s.join('', { protocols: p('sticky', 'roundrobin', 'range') }),
      s.join('', { protocols: p('roundrobin', 'range', 'cooperative-sticky') }),
    ];
    await vi.advanceTimersByTimeAsync(1);
    const results = await Promise.all(joins);
    expect(new Set(results.map((r) => r.protocolName))).toEqual(new Set(['roundrobin']));
    // A member supporting none of the group's protocols cannot join.
    expect((await s.join('', { protocols: p('other') })).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await s.join('', { protocolType: 'connect' })).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  });

  it('refuses members beyond group.max.size', async () => {
    const s = setup({ maxSize: 1 });
    await s.joinAndSync();
    const refused = await s.join('', { clientId: 'b' });
    expect(refused.errorCode).toBe(ErrorCode.GROUP_MAX_SIZE_REACHED);
    expect(s.group()?.size).toBe(1);
    expect(s.group()?.state).toBe(GroupState.Stable);
  });
});

describe('the initial rebalance delay', () => {
  it('waits group.initial.rebalance.delay.ms for more members, extending while they come', async () => {
    const s = setup({ initialRebalanceDelayMs: 3000 });
    const a = s.join('', { clientId: 'a' });
    await vi.advanceTimersByTimeAsync(2000);
    const b = s.join('', { clientId: 'b' });
    await vi.advanceTimersByTimeAsync(1000); // the first delay ends; b arrived during it: wait again
    expect(s.group()?.state).toBe(GroupState.PreparingRebalance);
    const c = s.join('', { clientId: 'c' });
    await vi.advanceTimersByTimeAsync(3000);
    await vi.advanceTimersByTimeAsync(3000);
    const results = await Promise.all([a, b, c]);
    expect(results.map((r) => r.generationId)).toEqual([1, 1, 1]);
    expect(results.find((r) => r.members.length > 0)?.members).toHaveLength(3);
  });

  it('never waits longer than the rebalance timeout in all', async () => {
    const s = setup({ initialRebalanceDelayMs: 3000 });
    const start = Date.now();
    let answeredAt = 0;
    const join = () =>
      s.join('', { rebalanceTimeoutMs: 5000 }).then((r) => {
        answeredAt = Date.now();
        return r;
      });
    const joins = [join()];
    for (let t = 0; t < 20; t++) {
      await vi.advanceTimersByTimeAsync(1000);
      if (s.group()?.is(GroupState.PreparingRebalance)) joins.push(join());
    }
    const results = await Promise.all(joins);
    expect(results.every((r) => r.generationId === 1)).toBe(true);
    // Members kept arriving every second, yet the join phase ended with the 5 s rebalance timeout.
    expect(answeredAt - start).toBe(5000);
  });
});

describe('static members (group.instance.id)', () => {
  it('take over their old identity without a rebalance when their protocols are unchanged', async () => {
    const s = setup();
    const { joined: first } = await s.joinAndSync({ groupInstanceId: 'instance-1' });
    expect(first.memberId).toMatch(/^instance-1-/);
    const again = await s.join('', { groupInstanceId: 'instance-1' });
    expect(again).toMatchObject({ errorCode: 0, generationId: 1, protocolName: 'range' });
    expect(again.memberId).not.toBe(first.memberId);
    // Not told it leads (before JoinGroup v9), so it does not force a rebalance.
    expect(again.leaderId).toBe(first.memberId);
    expect(s.group()?.state).toBe(GroupState.Stable);
    // The old member id is fenced; the new one syncs to the assignment it had.
    expect(s.heartbeat(first.memberId, 1, 'instance-1')).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(s.heartbeat(again.memberId, 1, 'instance-1')).toBe(ErrorCode.NONE);
    const synced = await s.sync(again);
    expect(synced.assignment).toEqual(Buffer.from('a'));
    expect(s.written.at(-1)).toMatchObject({
      type: 'group-metadata',
      value: { members: [{ memberId: again.memberId, groupInstanceId: 'instance-1' }] },
    });
  });

  it('tell a rejoining static leader to skip the assignment (JoinGroup v9)', async () => {
    const s = setup();
    await s.joinAndSync({ groupInstanceId: 'instance-1' });
    const again = await s.join('', { groupInstanceId: 'instance-1', supportSkippingAssignment: true });
    expect(again).toMatchObject({ leaderId: again.memberId, skipAssignment: true });
    expect(again.members).toHaveLength(1);
  });

  it('rebalance when a static member rejoins with protocols that change the selection', async () => {
    const s = setup();
    await s.joinAndSync({ groupInstanceId: 'instance-1' });
    const protocols = ['roundrobin', 'range'].map((name) => ({ name, metadata: subscription('t') }));
    const joining = s.join('', { groupInstanceId: 'instance-1', protocols });
    await vi.advanceTimersByTimeAsync(0);
    expect(await joining).toMatchObject({ errorCode: 0, generationId: 2, protocolName: 'roundrobin' });
  });

  it('stay in the group through a rebalance they miss, and can be removed by instance id', async () => {
    const s = setup();
    const { joined: a } = await s.joinAndSync({ groupInstanceId: 'static' });
    const b = s.join('', { clientId: 'dynamic' });
    // The static member stays alive (heartbeats) but does not rejoin.
    for (let t = 0; t < REBALANCE_MS; t += 3000) {
      await vi.advanceTimersByTimeAsync(3000);
      if (s.group()?.is(GroupState.PreparingRebalance)) s.heartbeat(a.memberId, 1, 'static');
    }
    const bJoined = await b;
    expect(bJoined.generationId).toBe(2);
    expect(s.group()?.has(a.memberId)).toBe(true);
    const left = s.membership.leave(GROUP, [{ memberId: '', groupInstanceId: 'static', reason: null }]);
    expect(left.members[0]?.errorCode).toBe(ErrorCode.NONE);
    expect(s.group()?.has(a.memberId)).toBe(false);
  });
});

describe('persistence failures and shutdown', () => {
  it('propagates a failed assignment write to the members and rebalances', async () => {
    const s = setup();
    const joining = s.join();
    await vi.advanceTimersByTimeAsync(0);
    const joined = await joining;
    s.store.failWith = ErrorCode.NOT_LEADER_OR_FOLLOWER;
    const synced = await s.sync(joined, [{ memberId: joined.memberId, assignment: Buffer.from('x') }]);
    expect(synced.errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(s.group()?.state).toBe(GroupState.PreparingRebalance);
  });

  it('answers waiting joins when the group is unloaded, and leaves no timer behind', async () => {
    const s = setup({ initialRebalanceDelayMs: 3000 });
    const joining = s.join();
    const group = s.group();
    if (!group) throw new Error('no group');
    s.membership.unloadGroup(group, ErrorCode.NOT_COORDINATOR);
    expect((await joining).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(s.timers.size).toBe(0);
  });

  it('describes and lists groups', async () => {
    const s = setup();
    const { joined } = await s.joinAndSync();
    const described = s.membership.describe(GROUP);
    expect(described).toMatchObject({ errorCode: 0, state: 'Stable', protocolType: 'consumer', protocolData: 'range' });
    expect(described.members[0]).toMatchObject({
      memberId: joined.memberId,
      clientId: 'client',
      clientHost: '/127.0.0.1',
      assignment: Buffer.from('a'),
    });
    expect(s.membership.describe('unknown')).toMatchObject({ errorCode: 0, state: 'Dead', members: [] });
    expect(s.membership.list([], []).groups).toEqual([
      { groupId: GROUP, protocolType: 'consumer', state: 'Stable', type: 'classic' },
    ]);
    expect(s.membership.list(['empty'], []).groups).toEqual([]);
    expect(s.membership.list(['STABLE'], ['Classic']).groups).toHaveLength(1);
    expect(s.membership.list([], ['consumer']).groups).toHaveLength(0);
  });
});

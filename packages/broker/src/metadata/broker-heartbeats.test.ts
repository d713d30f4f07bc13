/**
 * The controller's broker lifecycle decisions, on a real image and controller (with a metadata log
 * that commits at once): registration starts fenced, a caught-up heartbeat unfences, a silent broker
 * is fenced with its leaderships moved to in-sync replicas, a partition whose only in-sync replica
 * died goes leaderless (no unclean election) and gets it back when that broker returns, unless
 * unclean.leader.election.enable allows an out-of-sync replica to take it, and controlled shutdown
 * moves leaderships at once but lets the broker stop only once every active broker applied that.
 */
import { ErrorCode } from '@flotilla/protocol';
import { describe, expect, it } from 'vitest';
import { BrokerConfig } from '../config/broker-config.js';
import { createLogger } from '../logger.js';
import { BrokerHeartbeatManager } from './broker-heartbeats.js';
import { MetadataController, type MetadataLog } from './controller.js';
import { MetadataImage } from './image.js';
import type { MetadataRecord } from './records.js';
import { uncleanElectionPolicy } from './replication-control.js';

function setup(sessionTimeoutMs = 1000, settings: [string, string][] = []) {
  const image = new MetadataImage('c1');
  let next = 0;
  const log: MetadataLog = {
    async append(records: readonly MetadataRecord[]) {
      for (const r of records) image.apply(r, next++);
    },
  };
  const config = new BrokerConfig(new Map([['node.id', '1'], ...settings]));
  const controller = new MetadataController(image, config, log);
  const heartbeats = new BrokerHeartbeatManager(
    image,
    controller,
    () => true,
    () => next,
    sessionTimeoutMs,
    createLogger('error'),
    uncleanElectionPolicy(image, config),
  );
  const endpoints = [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 9092, securityProtocol: 'PLAINTEXT' }];
  const join = async (brokerId: number) => {
    const r = await heartbeats.register({
      brokerId,
      clusterId: 'c1',
      incarnationId: `i${brokerId}`,
      endpoints,
      rack: null,
    });
    await heartbeats.heartbeat({
      brokerId,
      brokerEpoch: r.brokerEpoch,
      currentMetadataOffset: next,
      wantFence: false,
      wantShutDown: false,
    });
    return r.brokerEpoch;
  };
  return { image, controller, heartbeats, join, offset: () => next, append: log.append };
}

describe('broker heartbeats on the controller', () => {
  it('registers fenced and unfences once the broker has caught up with its registration', async () => {
    const { image, heartbeats } = setup();
    const r = await heartbeats.register({
      brokerId: 1,
      clusterId: 'c1',
      incarnationId: 'x',
      endpoints: [],
      rack: null,
    });
    expect(image.brokers.get(1)?.fenced).toBe(true);
    const behind = await heartbeats.heartbeat({
      brokerId: 1,
      brokerEpoch: r.brokerEpoch,
      currentMetadataOffset: r.brokerEpoch - 1,
      wantFence: false,
      wantShutDown: false,
    });
    expect(behind).toMatchObject({ errorCode: 0, isFenced: true, isCaughtUp: false });
    const caughtUp = await heartbeats.heartbeat({
      brokerId: 1,
      brokerEpoch: r.brokerEpoch,
      currentMetadataOffset: r.brokerEpoch,
      wantFence: false,
      wantShutDown: false,
    });
    expect(caughtUp).toMatchObject({ errorCode: 0, isFenced: false });
    expect(image.brokers.get(1)?.fenced).toBe(false);
    const stale = await heartbeats.heartbeat({
      brokerId: 1,
      brokerEpoch: r.brokerEpoch - 1,
      currentMetadataOffset: 99,
      wantFence: false,
      wantShutDown: false,
    });
    expect(stale.errorCode).toBe(ErrorCode.STALE_BROKER_EPOCH);
    expect(
      (await heartbeats.register({ brokerId: 2, clusterId: 'other', incarnationId: 'y', endpoints: [], rack: null }))
        .errorCode,
    ).toBe(ErrorCode.INCONSISTENT_CLUSTER_ID);
  });

  it('fences a silent broker: leaderships move to in-sync replicas, a sole in-sync replica leaves the partition leaderless until it returns', async () => {
    const { image, controller, heartbeats, join, offset } = setup(200);
    for (const id of [1, 2, 3]) await join(id);
    await controller.createTopics(
      [
        {
          name: 'rf3',
          numPartitions: -1,
          replicationFactor: -1,
          assignments: [{ partitionIndex: 0, brokerIds: [2, 1, 3] }],
          configs: [],
        },
        {
          name: 'rf1',
          numPartitions: -1,
          replicationFactor: -1,
          assignments: [{ partitionIndex: 0, brokerIds: [2] }],
          configs: [],
        },
      ],
      false,
    );
    heartbeats.start();
    // Brokers 1 and 3 keep heartbeating; 2 goes silent.
    const deadline = Date.now() + 3000;
    while (image.brokers.get(2)?.fenced !== true && Date.now() < deadline) {
      for (const id of [1, 3]) {
        await heartbeats.heartbeat({
          brokerId: id,
          brokerEpoch: image.brokers.get(id)?.epoch ?? -1,
          currentMetadataOffset: offset(),
          wantFence: false,
          wantShutDown: false,
        });
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    heartbeats.close();
    expect(image.brokers.get(2)?.fenced).toBe(true);
    const rf3 = image.topics.get('rf3')?.partitions[0];
    expect(rf3).toMatchObject({ leader: 1, isr: [1, 3], leaderEpoch: 1 });
    const rf1 = image.topics.get('rf1')?.partitions[0];
    expect(rf1).toMatchObject({ leader: -1, isr: [2] });
    // Broker 2 comes back (a new incarnation), catches up and takes back the partition only it holds.
    await join(2);
    expect(image.brokers.get(2)?.fenced).toBe(false);
    expect(image.topics.get('rf1')?.partitions[0]).toMatchObject({ leader: 2 });
    expect(image.topics.get('rf3')?.partitions[0]?.leader).toBe(1); // preferred-leader election is separate
  });

  it('fencing honours unclean.leader.election.enable: only the topic that allows it elects an out-of-sync replica', async () => {
    const { image, controller, heartbeats, join, offset, append } = setup(200);
    for (const id of [1, 2]) await join(id);
    const topic = (name: string, configs: { name: string; value: string }[]) => ({
      name,
      numPartitions: -1,
      replicationFactor: -1,
      assignments: [{ partitionIndex: 0, brokerIds: [2, 1] }],
      configs,
    });
    await controller.createTopics(
      [topic('dirty', [{ name: 'unclean.leader.election.enable', value: 'true' }]), topic('clean', [])],
      false,
    );
    // Broker 1 fell out of both ISRs; broker 2 is the last in-sync replica.
    for (const name of ['dirty', 'clean']) {
      const id = image.topics.get(name)?.id as string;
      await append([{ type: 'PartitionChange', topicId: id, partitionId: 0, isr: [2] }]);
    }
    heartbeats.start();
    const deadline = Date.now() + 3000;
    while (image.brokers.get(2)?.fenced !== true && Date.now() < deadline) {
      await heartbeats.heartbeat({
        brokerId: 1,
        brokerEpoch: image.brokers.get(1)?.epoch ?? -1,
        currentMetadataOffset: offset(),
        wantFence: false,
        wantShutDown: false,
      });
      await new Promise((r) => setTimeout(r, 50));
    }
    heartbeats.close();
    expect(image.brokers.get(2)?.fenced).toBe(true);
    expect(image.topics.get('dirty')?.partitions[0]).toMatchObject({ leader: 1, isr: [1], leaderEpoch: 1 });
    expect(image.topics.get('clean')?.partitions[0]).toMatchObject({ leader: -1, isr: [2] });
  });

  it('controlled shutdown moves leaderships away at once, and lets the broker stop only once it and every active broker applied the moves', async () => {
    const { image, controller, heartbeats, join, offset } = setup();
    for (const id of [1, 2]) await join(id);
    await controller.createTopics(
      [
        {
          name: 't',
          numPartitions: -1,
          replicationFactor: -1,
          assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }],
          configs: [],
        },
      ],
      false,
    );
    const before = offset();
    const beat = (brokerId: number, currentMetadataOffset: number, wantShutDown: boolean) =>
      heartbeats.heartbeat({
        brokerId,
        brokerEpoch: image.brokers.get(brokerId)?.epoch ?? -1,
        currentMetadataOffset,
        wantFence: false,
        wantShutDown,
      });
    // The moves are committed by the first request, but nobody has applied them yet.
    expect(await beat(1, before - 1, true)).toMatchObject({ errorCode: 0, isFenced: true, shouldShutDown: false });
    expect(image.topics.get('t')?.partitions[0]).toMatchObject({ leader: 2, isr: [2] });
    expect(image.brokers.get(1)?.fenced).toBe(true);
    const movesEnd = offset() - 1;
    expect(movesEnd).toBeGreaterThanOrEqual(before);
    // Broker 1 applied them, broker 2 (still active) last reported an offset before them.
    expect(await beat(1, movesEnd, true)).toMatchObject({ shouldShutDown: false });
    await beat(2, movesEnd - 1, false);
    expect(await beat(1, movesEnd, true)).toMatchObject({ shouldShutDown: false });
    // Broker 2 reports it has applied them: broker 1 may stop, and asking again commits nothing new.
    await beat(2, movesEnd, false);
    expect(await beat(1, movesEnd, true)).toMatchObject({ errorCode: 0, isFenced: true, shouldShutDown: true });
    expect(offset() - 1).toBe(movesEnd);
  });

  it('a broker fenced before it asks to shut down may stop at once (it leads nothing)', async () => {
    const { image, heartbeats } = setup();
    const r = await heartbeats.register({
      brokerId: 1,
      clusterId: 'c1',
      incarnationId: 'x',
      endpoints: [],
      rack: null,
    });
    expect(image.brokers.get(1)?.fenced).toBe(true);
    const answer = await heartbeats.heartbeat({
      brokerId: 1,
      brokerEpoch: r.brokerEpoch,
      currentMetadataOffset: -1,
      wantFence: false,
      wantShutDown: true,
    });
    expect(answer).toMatchObject({ errorCode: 0, isFenced: true, shouldShutDown: true });
  });
});

/**
 * The transaction admin APIs (KIP-664: DescribeTransactions, ListTransactions, DescribeProducers)
 * against the real broker binary while kafkajs holds a transaction open and after it commits, and the
 * expiry of an idle transactional id (transactional.id.expiration.ms): its state is removed and the
 * next producer with that id gets a new producer id.
 */
import { ApiKey, type Connection, ErrorCode } from '@flotilla/protocol';
import { Kafka, logLevel } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type BrokerProcess, useConnectedBroker } from './harness.js';

describe('transaction admin APIs and transactional id expiry', () => {
  const started = useConnectedBroker({
    'transaction.state.log.num.partitions': '5',
    'transactional.id.expiration.ms': '3000',
    'transaction.remove.expired.transaction.cleanup.interval.ms': '500',
  });
  let broker: BrokerProcess;
  let conn: Connection;
  beforeAll(() => {
    ({ broker, conn } = started());
  });

  const describeTxn = async (id: string) =>
    (await conn.request(ApiKey.DescribeTransactions, { transactionalIds: [id] })).transactionStates[0];
  const producersOf = async (topic: string) =>
    (await conn.request(ApiKey.DescribeProducers, { topics: [{ name: topic, partitionIndexes: [0] }] })).topics[0]
      ?.partitions[0];

  it('InitProducerId with the current producer id and epoch bumps the epoch (KIP-360), fencing older ones', async () => {
    const init = (producerId: bigint, producerEpoch: number) =>
      conn.request(
        ApiKey.InitProducerId,
        { transactionalId: 'kip360', transactionTimeoutMs: 60_000, producerId, producerEpoch },
        { version: 4 },
      );
    // Clients find the coordinator first (which also creates __transaction_state).
    await conn.request(
      ApiKey.FindCoordinator,
      { key: 'kip360', keyType: 1, coordinatorKeys: ['kip360'] },
      { version: 3 },
    );
    const first = await init(-1n, -1);
    expect(first).toMatchObject({ errorCode: 0, producerEpoch: 0 });
    const bumped = await init(first.producerId, 0);
    expect(bumped).toMatchObject({ errorCode: 0, producerId: first.producerId, producerEpoch: 1 });
    // A retry of that call (its answer lost): the same epoch again, not another bump.
    expect(await init(first.producerId, 0)).toMatchObject({ errorCode: 0, producerEpoch: 1 });
    // A new instance without an id bumps too, so the previous epoch is now fenced.
    expect(await init(-1n, -1)).toMatchObject({ errorCode: 0, producerId: first.producerId, producerEpoch: 2 });
    expect((await init(first.producerId, 1)).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
    // v3 has no PRODUCER_FENCED: Kafka answers INVALID_PRODUCER_EPOCH.
    const v3 = await conn.request(
      ApiKey.InitProducerId,
      { transactionalId: 'kip360', transactionTimeoutMs: 60_000, producerId: first.producerId, producerEpoch: 0 },
      { version: 3 },
    );
    expect(v3.errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect((await init(first.producerId + 1000n, 2)).errorCode).toBe(ErrorCode.PRODUCER_FENCED); // not its id
    const tooLong = await conn.request(ApiKey.InitProducerId, {
      transactionalId: 'kip360',
      transactionTimeoutMs: 900_001,
      producerId: -1n,
      producerEpoch: -1,
    });
    expect(tooLong.errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
  });

  it('describes and lists an open transaction, then its commit, then forgets the idle id', async () => {
    const kafka = new Kafka({ clientId: 'txn-admin', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'adm', numPartitions: 1 }] });
    await admin.disconnect();
    const producer = kafka.producer({ transactionalId: 'adm-1', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const txn = await producer.transaction();
    await txn.send({ topic: 'adm', messages: [{ value: 'x' }, { value: 'y' }] });

    const open = await describeTxn('adm-1');
    expect(open).toMatchObject({
      errorCode: 0,
      transactionState: 'Ongoing',
      topics: [{ topic: 'adm', partitions: [0] }],
    });
    expect(open?.transactionStartTimeMs).toBeGreaterThan(0n);
    const firstProducerId = open?.producerId;
    expect((await describeTxn('no-such-id'))?.errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);

    const listed = await conn.request(
      ApiKey.ListTransactions,
      { stateFilters: ['Ongoing', 'Bogus'], producerIdFilters: [], durationFilter: -1n },
      { version: 1 },
    );
    expect(listed.unknownStateFilters).toEqual(['Bogus']);
    expect(listed.transactionStates).toEqual([
      { transactionalId: 'adm-1', producerId: firstProducerId, transactionState: 'Ongoing' },
    ]);
    const during = await producersOf('adm');
    expect(during?.activeProducers).toEqual([
      expect.objectContaining({ producerId: firstProducerId, currentTxnStartOffset: 0n, lastSequence: 1 }),
    ]);

    await txn.commit();
    expect((await describeTxn('adm-1'))?.transactionState).toBe('CompleteCommit');
    expect((await producersOf('adm'))?.activeProducers[0]?.currentTxnStartOffset).toBe(-1n);
    await producer.disconnect();

    // Idle for longer than transactional.id.expiration.ms: the id is removed...
    const deadline = Date.now() + 15_000;
    let state = await describeTxn('adm-1');
    while (state?.errorCode === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      state = await describeTxn('adm-1');
    }
    expect(state?.errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
    expect(broker.output()).toMatch(/removed \d+ expired transactional ids/);

    // ...and a producer with that id starts over with a new producer id.
    const again = await conn.request(ApiKey.InitProducerId, {
      transactionalId: 'adm-1',
      transactionTimeoutMs: 60_000,
      producerId: -1n,
      producerEpoch: -1,
    });
    expect(again.errorCode).toBe(0);
    expect(again.producerEpoch).toBe(0);
    expect(again.producerId).not.toBe(firstProducerId);
  });
});

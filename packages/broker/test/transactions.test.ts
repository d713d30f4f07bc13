/**
 * Transactions (KIP-98) against the real broker binary, driven by confluent-kafka (librdkafka) and
 * kafkajs: commit and abort as read_committed and read_uncommitted consumers see them, the last stable
 * offset while a transaction is open, fencing of a zombie producer, consume-transform-produce with
 * offsets committed in the transaction, and transaction state surviving a crash (an open transaction
 * is still aborted by its timeout after the restart).
 */
import { ApiKey, connect, ErrorCode, encodeBatch } from '@flotilla/protocol';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrokerProcess, python, removeDir, startBrokerProcess, tempDir } from './harness.js';

const OVERRIDES = {
  'transaction.state.log.num.partitions': '5',
  'transaction.state.log.replication.factor': '1',
  'transaction.state.log.min.isr': '1',
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': '500',
};

/** The last line of a script's output, as JSON. */
function lastJson(out: string): Record<string, unknown> {
  return JSON.parse(out.trim().split('\n').pop() as string);
}

const PY_HELPERS = (bootstrap: string) => `
import json, time, os
from confluent_kafka import Producer, Consumer, TopicPartition, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic
BOOT = '${bootstrap}'
ADMIN = AdminClient({'bootstrap.servers': BOOT})
def create(topic, partitions=1):
    for f in ADMIN.create_topics([NewTopic(topic, partitions, 1)]).values(): f.result()
def txn_producer(tid, **extra):
    conf = {'bootstrap.servers': BOOT, 'transactional.id': tid, 'linger.ms': 5}
    conf.update(extra)
    return Producer(conf)
def read_all(topic, isolation, group, partitions=1, timeout=8):
    c = Consumer({'bootstrap.servers': BOOT, 'group.id': group, 'auto.offset.reset': 'earliest',
                  'isolation.level': isolation, 'enable.auto.commit': False})
    c.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    out, deadline, idle = [], time.time() + timeout, 0
    while time.time() < deadline and idle < 6:
        m = c.poll(0.5)
        if m is None: idle += 1; continue
        idle = 0
        if m.error(): continue
        out.append(m.value().decode())
    c.close()
    return out
def watermarks(topic, isolation):
    c = Consumer({'bootstrap.servers': BOOT, 'group.id': 'wm', 'isolation.level': isolation})
    lo, hi = c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10, cached=False)
    c.close()
    return hi
`;

describe('transactions with confluent-kafka and kafkajs', () => {
  let broker: BrokerProcess;
  let dir: string;

  beforeAll(async () => {
    dir = tempDir();
    broker = await startBrokerProcess({ logDir: dir, overrides: OVERRIDES });
  });

  afterAll(async () => {
    await broker?.stop();
    removeDir(dir);
  });

  it('confluent-kafka: committed records are visible to read_committed, aborted ones only to read_uncommitted', async () => {
    const out = await python(`${PY_HELPERS(broker.bootstrap)}
create('txn-basic')
p = txn_producer('basic-1')
p.init_transactions(10)
p.begin_transaction()
for i in range(5): p.produce('txn-basic', value=f'c{i}'.encode())
p.commit_transaction(10)
p.begin_transaction()
for i in range(4): p.produce('txn-basic', value=f'a{i}'.encode())
p.flush(10)
# While the transaction is open, the last stable offset stays before it.
open_committed, open_uncommitted = watermarks('txn-basic', 'read_committed'), watermarks('txn-basic', 'read_uncommitted')
p.abort_transaction(10)
p.begin_transaction()
for i in range(3): p.produce('txn-basic', value=f'd{i}'.encode())
p.commit_transaction(10)
print(json.dumps({'committed': read_all('txn-basic', 'read_committed', 'rc'),
  'uncommitted': read_all('txn-basic', 'read_uncommitted', 'ru'),
  'open_committed': open_committed, 'open_uncommitted': open_uncommitted,
  'end_committed': watermarks('txn-basic', 'read_committed'),
  'end_uncommitted': watermarks('txn-basic', 'read_uncommitted')}))
`);
    const r = lastJson(out);
    expect(r.committed).toEqual(['c0', 'c1', 'c2', 'c3', 'c4', 'd0', 'd1', 'd2']);
    expect(r.uncommitted).toEqual(['c0', 'c1', 'c2', 'c3', 'c4', 'a0', 'a1', 'a2', 'a3', 'd0', 'd1', 'd2']);
    // 5 records + 1 commit marker before the open transaction; then 4 records of it.
    expect(r.open_committed).toBe(6);
    expect(r.open_uncommitted).toBe(10);
    // 6 + 4 + abort marker + 3 + commit marker.
    expect(r.end_committed).toBe(15);
    expect(r.end_uncommitted).toBe(15);
  });

  it('confluent-kafka: a second producer with the same transactional.id fences the first', async () => {
    const out = await python(`${PY_HELPERS(broker.bootstrap)}
create('txn-zombie')
zombie = txn_producer('zombie-1')
zombie.init_transactions(10)
zombie.begin_transaction()
zombie.produce('txn-zombie', value=b'from-zombie')
zombie.flush(10)
fresh = txn_producer('zombie-1')
fresh.init_transactions(10)  # aborts the zombie's open transaction and bumps the epoch
fresh.begin_transaction()
fresh.produce('txn-zombie', value=b'from-fresh')
fresh.commit_transaction(10)
error = None
try:
    zombie.produce('txn-zombie', value=b'zombie-again')
    zombie.commit_transaction(10)
except KafkaException as e:
    err = e.args[0]
    error = {'name': err.name(), 'fatal': err.fatal()}
print(json.dumps({'error': error, 'committed': read_all('txn-zombie', 'read_committed', 'zc'),
  'uncommitted': read_all('txn-zombie', 'read_uncommitted', 'zu')}))
`);
    const r = lastJson(out) as {
      error: { name: string; fatal: boolean } | null;
      committed: string[];
      uncommitted: string[];
    };
    expect(r.error).not.toBeNull();
    expect(['_FENCED', 'PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH']).toContain(r.error?.name);
    expect(r.error?.fatal).toBe(true);
    expect(r.committed).toEqual(['from-fresh']);
    expect(r.uncommitted).toContain('from-zombie');
    expect(r.uncommitted).not.toContain('zombie-again');
  });

  it('confluent-kafka: consume-transform-produce commits the consumed offsets with the output, or neither', async () => {
    const out = await python(`${PY_HELPERS(broker.bootstrap)}
create('ctp-in')
create('ctp-out')
src = Producer({'bootstrap.servers': BOOT})
for i in range(10): src.produce('ctp-in', value=f'm{i}'.encode())
src.flush(10)
c = Consumer({'bootstrap.servers': BOOT, 'group.id': 'ctp', 'auto.offset.reset': 'earliest',
              'enable.auto.commit': False, 'isolation.level': 'read_committed'})
c.subscribe(['ctp-in'])
p = txn_producer('ctp-1')
p.init_transactions(10)
def round(n, commit):
    got = []
    deadline = time.time() + 20
    while len(got) < n and time.time() < deadline:
        m = c.poll(0.5)
        if m is None or m.error(): continue
        got.append(m)
    p.begin_transaction()
    for m in got: p.produce('ctp-out', value=m.value().upper())
    p.send_offsets_to_transaction(c.position(c.assignment()), c.consumer_group_metadata(), 10)
    if commit: p.commit_transaction(10)
    else: p.abort_transaction(10)
    return len(got)
first = round(5, True)
second = round(5, False)
c.close()
check = Consumer({'bootstrap.servers': BOOT, 'group.id': 'ctp'})
committed = check.committed([TopicPartition('ctp-in', 0)], timeout=10)[0].offset
check.close()
print(json.dumps({'first': first, 'second': second, 'committed': committed,
  'out': read_all('ctp-out', 'read_committed', 'ctp-check')}))
`);
    const r = lastJson(out);
    expect(r.first).toBe(5);
    expect(r.second).toBe(5);
    expect(r.committed).toBe(5); // the aborted round's offsets were dropped with its output
    expect(r.out).toEqual(['M0', 'M1', 'M2', 'M3', 'M4']);
  });

  it('kafkajs: transaction with sendOffsets commits records and offsets; abort drops both', async () => {
    const kafka = new Kafka({ clientId: 'txn-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'kjs-txn', numPartitions: 1 }] });
    const producer = kafka.producer({ transactionalId: 'kjs-1', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const t1 = await producer.transaction();
      await t1.send({ topic: 'kjs-txn', messages: [{ value: 'k0' }, { value: 'k1' }] });
      await t1.sendOffsets({
        consumerGroupId: 'kjs-group',
        topics: [{ topic: 'kjs-txn', partitions: [{ partition: 0, offset: '2' }] }],
      });
      await t1.commit();
      const t2 = await producer.transaction();
      await t2.send({ topic: 'kjs-txn', messages: [{ value: 'x0' }] });
      await t2.sendOffsets({
        consumerGroupId: 'kjs-group',
        topics: [{ topic: 'kjs-txn', partitions: [{ partition: 0, offset: '99' }] }],
      });
      await t2.abort();

      const offsets = await admin.fetchOffsets({ groupId: 'kjs-group', topics: ['kjs-txn'] });
      expect(offsets[0]?.partitions[0]?.offset).toBe('2');

      const seen: string[] = [];
      const consumer = kafka.consumer({ groupId: 'kjs-reader', readUncommitted: false });
      await consumer.connect();
      await consumer.subscribe({ topic: 'kjs-txn', fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only saw ${JSON.stringify(seen)}`)), 20_000);
        void consumer.run({
          eachMessage: async ({ message }) => {
            seen.push(String(message.value));
            if (seen.length >= 2) {
              clearTimeout(timer);
              resolve();
            }
          },
        });
      });
      // Give an aborted record a chance to show up (it must not).
      await new Promise((r) => setTimeout(r, 1000));
      await consumer.disconnect();
      expect(seen).toEqual(['k0', 'k1']);
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });
});

describe('transaction verification on produce (KIP-890)', () => {
  it('refuses a transactional batch for a partition not added to the transaction', async () => {
    const dir = tempDir();
    const broker = await startBrokerProcess({ logDir: dir, overrides: OVERRIDES });
    const conn = await connect({ host: '127.0.0.1', port: broker.port });
    try {
      await conn.request(ApiKey.CreateTopics, {
        topics: [{ name: 'verify', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }],
        timeoutMs: 10_000,
        validateOnly: false,
      });
      await conn.request(ApiKey.FindCoordinator, { key: 'v-1', keyType: 1, coordinatorKeys: ['v-1'] }, { version: 3 });
      const init = await conn.request(ApiKey.InitProducerId, {
        transactionalId: 'v-1',
        transactionTimeoutMs: 60_000,
        producerId: -1n,
        producerEpoch: -1,
      });
      expect(init.errorCode).toBe(0);
      const produce = async (partition: number, sequence: number) => {
        const records = encodeBatch({
          baseTimestamp: BigInt(Date.now()),
          producerId: init.producerId,
          producerEpoch: init.producerEpoch,
          baseSequence: sequence,
          isTransactional: true,
          records: [
            { attributes: 0, timestampDelta: 0, offsetDelta: 0, key: null, value: Buffer.from('v'), headers: [] },
          ],
        });
        const r = await conn.request(ApiKey.Produce, {
          transactionalId: 'v-1',
          acks: -1,
          timeoutMs: 5000,
          topicData: [{ name: 'verify', partitionData: [{ index: partition, records }] }],
        });
        return r?.responses[0]?.partitionResponses[0]?.errorCode;
      };
      // Nothing added yet: the batch would open a transaction the coordinator does not know.
      expect(await produce(0, 0)).toBe(ErrorCode.INVALID_TXN_STATE);
      const add = await conn.request(
        ApiKey.AddPartitionsToTxn,
        {
          transactions: [],
          v3AndBelowTransactionalId: 'v-1',
          v3AndBelowProducerId: init.producerId,
          v3AndBelowProducerEpoch: init.producerEpoch,
          v3AndBelowTopics: [{ name: 'verify', partitions: [0] }],
        },
        { version: 3 },
      );
      expect(add.resultsByTopicV3AndBelow[0]?.resultsByPartition[0]?.partitionErrorCode).toBe(0);
      expect(await produce(0, 0)).toBe(0);
      expect(await produce(1, 0)).toBe(ErrorCode.INVALID_TXN_STATE); // partition 1 was never added
      const end = await conn.request(ApiKey.EndTxn, {
        transactionalId: 'v-1',
        producerId: init.producerId,
        producerEpoch: init.producerEpoch,
        committed: true,
      });
      expect(end.errorCode).toBe(0);
      // A late batch after the commit would start a hanging transaction: refused.
      expect(await produce(0, 1)).toBe(ErrorCode.INVALID_TXN_STATE);
      // transaction.partition.verification.enable=false (cluster-wide, dynamic): accepted unverified.
      const altered = await conn.request(ApiKey.IncrementalAlterConfigs, {
        resources: [
          {
            resourceType: 4,
            resourceName: '',
            configs: [{ name: 'transaction.partition.verification.enable', configOperation: 0, value: 'false' }],
          },
        ],
        validateOnly: false,
      });
      expect(altered.responses[0]?.errorCode).toBe(0);
      expect(await produce(1, 0)).toBe(0);
    } finally {
      await conn.close();
      await broker.stop();
      removeDir(dir);
    }
  });
});

describe('transactions across a broker crash', () => {
  it('keeps the last stable offset of an open transaction and aborts it by its timeout after the restart', async () => {
    const dir = tempDir();
    let broker = await startBrokerProcess({ logDir: dir, overrides: OVERRIDES });
    try {
      const before = lastJson(
        await python(`${PY_HELPERS(broker.bootstrap)}
create('txn-restart')
p = txn_producer('restart-1', **{'transaction.timeout.ms': 25000})
p.init_transactions(10)
p.begin_transaction()
p.produce('txn-restart', value=b'committed')
p.commit_transaction(10)
p.begin_transaction()
for i in range(3): p.produce('txn-restart', value=f'open{i}'.encode())
p.flush(10)
print(json.dumps({'lso': watermarks('txn-restart', 'read_committed'), 'hw': watermarks('txn-restart', 'read_uncommitted')}))
os._exit(0)  # the producer dies with its transaction open
`),
      );
      expect(before).toEqual({ lso: 2, hw: 5 });
      await broker.stop('SIGKILL');
      broker = await startBrokerProcess({ logDir: dir, port: broker.port, overrides: OVERRIDES });
      const after = lastJson(
        await python(
          `${PY_HELPERS(broker.bootstrap)}
lso_at_start = watermarks('txn-restart', 'read_committed')
deadline = time.time() + 60
while time.time() < deadline and watermarks('txn-restart', 'read_committed') < 6: time.sleep(0.5)
print(json.dumps({'lso_at_start': lso_at_start, 'lso': watermarks('txn-restart', 'read_committed'),
  'hw': watermarks('txn-restart', 'read_uncommitted'),
  'committed': read_all('txn-restart', 'read_committed', 'r1')}))
`,
          100_000,
        ),
      );
      expect(after.lso_at_start).toBe(2); // still held by the open transaction after the crash
      expect(after.lso).toBe(6); // aborted by the coordinator's timeout: the abort marker at 5
      expect(after.hw).toBe(6);
      expect(after.committed).toEqual(['committed']);
      expect(broker.output()).toMatch(/aborting transaction of restart-1/);
    } finally {
      await broker.stop();
      removeDir(dir);
    }
  }, 150_000);
});

/**
 * A transaction survives the loss of its coordinator: on a three-node cluster (replication factor 3,
 * min.insync.replicas 2) a confluent-kafka transactional producer writes, the broker that coordinates
 * its transactional id is SIGKILLed mid-transaction, and the producer commits against the coordinator
 * elected next. The transaction state (Ongoing with its partitions) and the markers count only once the
 * ISR has them (txn/state-store.ts, txn/markers.ts), so the new coordinator knows the transaction and
 * read_committed consumers see exactly what was committed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { python, type QuorumCluster, quorumCluster } from './harness.js';

describe('transaction coordinator failover', () => {
  let cluster: QuorumCluster;

  beforeAll(async () => {
    cluster = await quorumCluster(3, {
      'transaction.state.log.num.partitions': '5',
      'min.insync.replicas': '2',
      'replica.lag.time.max.ms': '3000',
    });
    await cluster.start();
  });

  afterAll(async () => {
    await cluster?.close();
  });

  it('commits a transaction whose coordinator was killed mid-transaction; read_committed sees exactly it', async () => {
    const boot = [1, 2, 3].map((id) => cluster.bootstrap(id)).join(',');
    const pids = Object.fromEntries(cluster.nodes.map((n) => [n.id, n.process?.pid]));
    const out = await python(
      `
import json, os, signal, time
from confluent_kafka import Producer, Consumer, TopicPartition, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic
BOOT = '${boot}'
PIDS = ${JSON.stringify(pids)}
TXN_ID = 'failover-1'
admin = AdminClient({'bootstrap.servers': BOOT})
for f in admin.create_topics([NewTopic('tfo', 3, 3)]).values(): f.result()
time.sleep(1)
p = Producer({'bootstrap.servers': BOOT, 'transactional.id': TXN_ID, 'transaction.timeout.ms': 60000})
p.init_transactions(30)
p.begin_transaction()
for i in range(6): p.produce('tfo', value=f'first{i}'.encode(), partition=i % 3)
p.commit_transaction(30)

# The coordinator leads partition abs(javaHashCode(id)) % 5 of __transaction_state (Kafka's rule).
h = 0
for ch in TXN_ID: h = (31 * h + ord(ch)) & 0xffffffff
if h >= 2**31: h -= 2**32
state = admin.list_topics('__transaction_state', timeout=10).topics['__transaction_state']
coordinator = state.partitions[abs(h) % 5].leader

p.begin_transaction()
for i in range(9): p.produce('tfo', value=f'second{i}'.encode(), partition=i % 3)
p.flush(30)
os.kill(PIDS[str(coordinator)], signal.SIGKILL)
t0 = time.time()
outcome = None
for attempt in range(10):
    try:
        p.commit_transaction(60)
        outcome = 'committed'
        break
    except KafkaException as e:
        err = e.args[0]
        if err.retriable():
            continue
        if err.txn_requires_abort():
            p.abort_transaction(60)
            outcome = 'aborted'
            break
        raise
took = time.time() - t0

# A further transaction with the same producer works against the new coordinator.
p.begin_transaction()
for i in range(3): p.produce('tfo', value=f'third{i}'.encode(), partition=i)
p.commit_transaction(60)

def read_all(isolation):
    r = Consumer({'bootstrap.servers': BOOT, 'group.id': 'reader-' + isolation, 'isolation.level': isolation,
                  'auto.offset.reset': 'earliest', 'enable.auto.commit': False})
    r.assign([TopicPartition('tfo', i, 0) for i in range(3)])
    vals, idle = [], 0
    while idle < 8:
        m = r.poll(0.5)
        if m is None: idle += 1; continue
        idle = 0
        if not m.error(): vals.append(m.value().decode())
    r.close()
    return sorted(vals)
print(json.dumps({'coordinator': coordinator, 'outcome': outcome, 'took': took,
  'rc': read_all('read_committed'), 'ru': read_all('read_uncommitted')}))
`,
      150_000,
    );
    const r = JSON.parse(out.trim().split('\n').pop() as string);
    const killed = cluster.node(r.coordinator);
    killed.process = null; // SIGKILLed by the script
    const first = Array.from({ length: 6 }, (_, i) => `first${i}`);
    const second = Array.from({ length: 9 }, (_, i) => `second${i}`);
    const third = Array.from({ length: 3 }, (_, i) => `third${i}`);
    expect(['committed', 'aborted']).toContain(r.outcome);
    const expected = [...first, ...(r.outcome === 'committed' ? second : []), ...third].sort();
    expect(r.rc).toEqual(expected);
    // Every write the producer made is in the log once, whatever happened to the transaction.
    expect(r.ru).toEqual([...first, ...second, ...third].sort());
    console.log(`coordinator ${r.coordinator} killed; transaction ${r.outcome} after ${r.took.toFixed(1)} s`);
  }, 180_000);
});

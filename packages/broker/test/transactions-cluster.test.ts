/**
 * Transactions across a three-node cluster of real broker processes (Raft quorum, replication factor
 * 3): the transaction coordinator writes markers to partitions led by other brokers through
 * WriteTxnMarkers, and the group coordinator that holds the transaction's offsets may be on yet another
 * broker. Driven by confluent-kafka.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { python, type QuorumCluster, quorumCluster } from './harness.js';

describe('transactions in a cluster', () => {
  let cluster: QuorumCluster;

  beforeAll(async () => {
    cluster = await quorumCluster(3, { 'transaction.abort.timed.out.transaction.cleanup.interval.ms': '1000' });
    await cluster.start();
  });

  afterAll(async () => {
    await cluster?.close();
  });

  it('commits and aborts across partitions led by every broker, with offsets in the transaction', async () => {
    const boot = [1, 2, 3].map((id) => cluster.bootstrap(id)).join(',');
    const out = await python(
      `
import json, time
from confluent_kafka import Producer, Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
BOOT = '${boot}'
admin = AdminClient({'bootstrap.servers': BOOT})
for f in admin.create_topics([NewTopic('ctxn', 6, 3), NewTopic('ctxn-in', 1, 3)]).values(): f.result()
time.sleep(1)
leaders = sorted({p.leader for p in admin.list_topics('ctxn', timeout=10).topics['ctxn'].partitions.values()})
src = Producer({'bootstrap.servers': BOOT})
for i in range(4): src.produce('ctxn-in', value=f'in{i}'.encode())
src.flush(10)
p = Producer({'bootstrap.servers': BOOT, 'transactional.id': 'cluster-1'})
p.init_transactions(30)
c = Consumer({'bootstrap.servers': BOOT, 'group.id': 'ctxn-g', 'auto.offset.reset': 'earliest', 'enable.auto.commit': False})
c.assign([TopicPartition('ctxn-in', 0, 0)])
got = []
deadline = time.time() + 20
while len(got) < 4 and time.time() < deadline:
    m = c.poll(0.5)
    if m is not None and not m.error(): got.append(m)
p.begin_transaction()
for i in range(12): p.produce('ctxn', value=f'c{i}'.encode(), partition=i % 6)
p.send_offsets_to_transaction([TopicPartition('ctxn-in', 0, 4)], c.consumer_group_metadata(), 30)
p.commit_transaction(30)
p.begin_transaction()
for i in range(12): p.produce('ctxn', value=f'a{i}'.encode(), partition=i % 6)
p.send_offsets_to_transaction([TopicPartition('ctxn-in', 0, 99)], c.consumer_group_metadata(), 30)
# librdkafka purges what it has not sent yet when aborting: send everything first, so the aborted
# records are in the log (read_uncommitted sees them) and the abort has to hide them.
p.flush(30)
p.abort_transaction(30)
c.close()
def read_all(isolation):
    r = Consumer({'bootstrap.servers': BOOT, 'group.id': 'reader-' + isolation, 'isolation.level': isolation,
                  'auto.offset.reset': 'earliest', 'enable.auto.commit': False})
    r.assign([TopicPartition('ctxn', i, 0) for i in range(6)])
    vals, idle = [], 0
    while idle < 8:
        m = r.poll(0.5)
        if m is None: idle += 1; continue
        idle = 0
        if not m.error(): vals.append(m.value().decode())
    r.close()
    return sorted(vals)
check = Consumer({'bootstrap.servers': BOOT, 'group.id': 'ctxn-g'})
committed = check.committed([TopicPartition('ctxn-in', 0)], timeout=10)[0].offset
check.close()
print(json.dumps({'leaders': leaders, 'consumed': len(got), 'committed_offset': committed,
  'rc': read_all('read_committed'), 'ru': len(read_all('read_uncommitted'))}))
`,
      120_000,
    );
    const r = JSON.parse(out.trim().split('\n').pop() as string);
    expect(r.leaders.length).toBeGreaterThan(1); // markers had to reach other brokers
    expect(r.consumed).toBe(4);
    expect(r.committed_offset).toBe(4);
    expect(r.rc).toEqual(Array.from({ length: 12 }, (_, i) => `c${i}`).sort());
    expect(r.ru).toBe(24);
  });
});

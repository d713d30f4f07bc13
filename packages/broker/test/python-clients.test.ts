/**
 * kafka-python (pure Python client) and confluent-kafka (librdkafka) against the real broker binary:
 * topic administration and configs, producing with acks=all, consuming by offset and by timestamp,
 * and an idempotent producer (enable.idempotence=true) whose state survives a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrokerProcess, python, removeDir, startBrokerProcess, tempDir } from './harness.js';

describe('Python clients against the broker', () => {
  let broker: BrokerProcess;
  let dir: string;

  beforeAll(async () => {
    dir = tempDir();
    broker = await startBrokerProcess({ logDir: dir });
  });

  afterAll(async () => {
    await broker?.stop();
    removeDir(dir);
  });

  it('kafka-python: creates a topic with configs, describes and alters them, deletes it', async () => {
    const out = await python(`
import json
from kafka.admin import KafkaAdminClient, NewTopic, NewPartitions, ConfigResource, ConfigResourceType
a = KafkaAdminClient(bootstrap_servers='${broker.bootstrap}', request_timeout_ms=10000)
a.create_topics([NewTopic('py-admin', 2, 1, topic_configs={'retention.ms': '3600000', 'cleanup.policy': 'delete'})])
try:
    a.create_topics([NewTopic('py-admin', 2, 1)])
    dup = 'no error'
except Exception as e:
    dup = type(e).__name__
a.create_partitions({'py-admin': NewPartitions(4)})
meta = a.describe_topics(['py-admin'])
cfg = a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, 'py-admin')])
entries = {c[0]: c[1] for c in cfg[0].resources[0][4]}
a.alter_configs([ConfigResource(ConfigResourceType.TOPIC, 'py-admin', configs={'retention.ms': '7200000'})])
cfg2 = a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, 'py-admin')])
entries2 = {c[0]: c[1] for c in cfg2[0].resources[0][4]}
a.delete_topics(['py-admin'])
print(json.dumps({'dup': dup, 'partitions': len(meta[0]['partitions']), 'retention': entries['retention.ms'],
  'retention2': entries2['retention.ms'], 'segment': entries['segment.bytes'], 'topics': a.list_topics()}))
`);
    const r = JSON.parse(out.trim().split('\n').pop() as string);
    expect(r.dup).toBe('TopicAlreadyExistsError');
    expect(r.partitions).toBe(4);
    expect(r.retention).toBe('3600000');
    expect(r.retention2).toBe('7200000');
    expect(r.segment).toBe('1073741824');
    expect(r.topics).not.toContain('py-admin');
  });

  it('kafka-python: produces with acks=all and reads back by offset and by timestamp', async () => {
    const out = await python(`
import json, time
from kafka import KafkaProducer, KafkaConsumer, TopicPartition
p = KafkaProducer(bootstrap_servers='${broker.bootstrap}', acks='all', compression_type='gzip')
base = int(time.time() * 1000) - 100000
for i in range(100):
    p.send('py-data', key=b'k%d' % i, value=b'v%d' % i, partition=0, timestamp_ms=base + i * 1000)
p.flush()
c = KafkaConsumer(bootstrap_servers='${broker.bootstrap}', enable_auto_commit=False, consumer_timeout_ms=3000)
tp = TopicPartition('py-data', 0)
c.assign([tp])
c.seek_to_beginning(tp)
values = [m.value.decode() for m in c]
at = c.offsets_for_times({tp: base + 42 * 1000 + 1})[tp]
end = c.end_offsets([tp])[tp]
begin = c.beginning_offsets([tp])[tp]
print(json.dumps({'n': len(values), 'first': values[0], 'last': values[-1], 'at': at.offset, 'end': end, 'begin': begin}))
`);
    const r = JSON.parse(out.trim().split('\n').pop() as string);
    expect(r).toEqual({ n: 100, first: 'v0', last: 'v99', at: 43, end: 100, begin: 0 });
  });

  it('confluent-kafka: an idempotent producer keeps its sequence across a broker restart', async () => {
    const produce = (tag: string) =>
      python(`
from confluent_kafka import Producer
errors = []
p = Producer({'bootstrap.servers': '${broker.bootstrap}', 'enable.idempotence': True, 'acks': 'all',
              'linger.ms': 5, 'message.timeout.ms': 20000})
for i in range(500):
    p.produce('idem', key=b'%d' % (i % 10), value=b'${tag}-%d' % i, on_delivery=lambda e, m: e and errors.append(str(e)))
    if i % 100 == 0:
        p.poll(0)
left = p.flush(20)
print('left', left, 'errors', len(errors), errors[:3])
`);
    expect((await produce('first')).trim()).toBe('left 0 errors 0 []');
    await broker.stop('SIGTERM');
    broker = await startBrokerProcess({ logDir: dir, port: broker.port });
    expect((await produce('second')).trim()).toBe('left 0 errors 0 []');
    const out = await python(`
from confluent_kafka import Consumer, TopicPartition
c = Consumer({'bootstrap.servers': '${broker.bootstrap}', 'group.id': 'unused', 'enable.auto.commit': False})
md = c.list_topics('idem', timeout=10)
n = 0
for p in md.topics['idem'].partitions:
    lo, hi = c.get_watermark_offsets(TopicPartition('idem', p), timeout=10)
    n += hi - lo
print(n)
c.close()
`);
    expect(Number(out.trim())).toBe(1000);
  });
});

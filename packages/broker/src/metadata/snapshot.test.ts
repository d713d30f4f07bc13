/**
 * Metadata snapshots: an image written as records and loaded into another image gives an equal image,
 * whatever records built it (brokers, topics, partition changes, configs, producer ids, SCRAM, ACLs, client quotas).
 */
import { describe, expect, it } from 'vitest';
import { MetadataImage } from './image.js';
import type { MetadataRecord } from './records.js';
import { encodeSnapshot, imageToRecords, loadSnapshot } from './snapshot.js';

const HISTORY: MetadataRecord[] = [
  {
    type: 'RegisterBroker',
    brokerId: 1,
    incarnationId: 'i1',
    brokerEpoch: 0,
    endpoints: [{ name: 'PLAINTEXT', host: 'h1', port: 9092, securityProtocol: 'PLAINTEXT' }],
    rack: 'a',
    fenced: true,
  },
  { type: 'UnfenceBroker', brokerId: 1, brokerEpoch: 0 },
  {
    type: 'RegisterBroker',
    brokerId: 2,
    incarnationId: 'i2',
    brokerEpoch: 2,
    endpoints: [{ name: 'PLAINTEXT', host: 'h2', port: 9092, securityProtocol: 'PLAINTEXT' }],
    rack: null,
    fenced: false,
  },
  { type: 'Topic', name: 'orders', topicId: 'T1' },
  {
    type: 'Partition',
    topicId: 'T1',
    partitionId: 0,
    replicas: [1, 2],
    isr: [1, 2],
    leader: 1,
    leaderEpoch: 0,
    partitionEpoch: 0,
  },
  {
    type: 'Partition',
    topicId: 'T1',
    partitionId: 1,
    replicas: [2, 1],
    isr: [2, 1],
    leader: 2,
    leaderEpoch: 0,
    partitionEpoch: 0,
  },
  { type: 'PartitionChange', topicId: 'T1', partitionId: 0, isr: [2], leader: 2 },
  { type: 'Config', resourceType: 'topic', resourceName: 'orders', name: 'retention.ms', value: '1000' },
  { type: 'Config', resourceType: 'broker', resourceName: '', name: 'log.retention.ms', value: '5000' },
  { type: 'Topic', name: 'gone', topicId: 'T2' },
  { type: 'RemoveTopic', topicId: 'T2' },
  { type: 'ProducerIds', brokerId: 1, nextProducerId: 2000 },
  {
    type: 'UserScramCredential',
    name: 'alice',
    mechanism: 'SCRAM-SHA-256',
    salt: 'c2FsdA==',
    storedKey: 'c3RvcmVk',
    serverKey: 'c2VydmVy',
    iterations: 4096,
  },
  {
    type: 'AccessControlEntry',
    id: 'acl-1',
    resourceType: 2,
    resourceName: 'orders',
    patternType: 3,
    principal: 'User:alice',
    host: '*',
    operation: 3,
    permissionType: 3,
  },
  {
    type: 'ClientQuota',
    entity: [
      { entityType: 'client-id', entityName: null },
      { entityType: 'user', entityName: 'alice' },
    ],
    key: 'producer_byte_rate',
    value: 1024,
  },
  { type: 'ClientQuota', entity: [{ entityType: 'user', entityName: null }], key: 'consumer_byte_rate', value: 5 },
  { type: 'ClientQuota', entity: [{ entityType: 'user', entityName: null }], key: 'consumer_byte_rate', value: null },
];

function build(records: readonly MetadataRecord[]): MetadataImage {
  const image = new MetadataImage('cluster');
  records.forEach((r, i) => {
    image.apply(r, i);
  });
  return image;
}

describe('metadata snapshots', () => {
  it('rebuild an equal image', () => {
    const original = build(HISTORY);
    const copy = new MetadataImage('cluster');
    loadSnapshot(copy, encodeSnapshot(original), HISTORY.length);
    expect(imageToRecords(copy)).toEqual(imageToRecords(original));
    expect(copy.topics.get('orders')?.partitions[0]).toMatchObject({ leader: 2, leaderEpoch: 1, isr: [2] });
    expect(copy.topics.has('gone')).toBe(false);
    expect(copy.nextProducerId).toBe(2000);
    expect(copy.scramCredentials.get('SCRAM-SHA-256')?.get('alice')?.iterations).toBe(4096);
    expect(copy.acls.get('acl-1')?.principal).toBe('User:alice');
    expect(copy.brokers.get(1)?.fenced).toBe(false);
    expect([...copy.clientQuotas.values()].map((q) => [q.entity, [...q.values]])).toEqual([
      [
        [
          { entityType: 'client-id', entityName: null },
          { entityType: 'user', entityName: 'alice' },
        ],
        [['producer_byte_rate', 1024]],
      ],
    ]);
    expect(copy.offset).toBe(HISTORY.length - 1);
  });

  it('report the topics a loaded snapshot removed, so their logs go', () => {
    const stale = build(HISTORY.slice(0, 10)); // still has "gone"
    const changes = loadSnapshot(stale, encodeSnapshot(build(HISTORY)), HISTORY.length);
    expect(changes[0]).toMatchObject({ kind: 'topic-deleted', topic: { name: 'gone' } });
    expect(changes.some((c) => c.kind === 'topic-created' && c.topic.name === 'orders')).toBe(true);
  });
});

/**
 * Metadata snapshots (KIP-630): the image written as the records that rebuild it, so a node that is
 * far behind, or new, loads the snapshot and then fetches only the log after it. A snapshot is a JSON
 * array of metadata records; replaying it into an empty image gives an equal image.
 */
import type { ImageChange, MetadataImage, TopicInfo } from './image.js';
import type { MetadataRecord } from './records.js';

export function imageToRecords(image: MetadataImage): MetadataRecord[] {
  const out: MetadataRecord[] = [];
  for (const b of image.brokers.values()) {
    out.push({
      type: 'RegisterBroker',
      brokerId: b.id,
      incarnationId: b.incarnationId,
      brokerEpoch: b.epoch,
      endpoints: b.endpoints,
      rack: b.rack,
      fenced: b.fenced,
    });
  }
  for (const t of image.topics.values()) {
    out.push({ type: 'Topic', name: t.name, topicId: t.id });
    for (const p of t.partitions) {
      if (!p) continue;
      out.push({
        type: 'Partition',
        topicId: t.id,
        partitionId: p.partitionId,
        replicas: p.replicas,
        isr: p.isr,
        leader: p.leader,
        leaderEpoch: p.leaderEpoch,
        partitionEpoch: p.partitionEpoch,
        ...(p.addingReplicas?.length ? { addingReplicas: p.addingReplicas } : {}),
        ...(p.removingReplicas?.length ? { removingReplicas: p.removingReplicas } : {}),
      });
    }
    for (const [name, value] of t.configs) {
      out.push({ type: 'Config', resourceType: 'topic', resourceName: t.name, name, value });
    }
  }
  for (const [resourceName, configs] of image.brokerConfigs) {
    for (const [name, value] of configs)
      out.push({ type: 'Config', resourceType: 'broker', resourceName, name, value });
  }
  for (const users of image.scramCredentials.values()) {
    for (const credential of users.values()) out.push({ type: 'UserScramCredential', ...credential });
  }
  for (const acl of image.acls.values()) out.push({ type: 'AccessControlEntry', ...acl });
  for (const { entity, values } of image.clientQuotas.values()) {
    for (const [key, value] of values) out.push({ type: 'ClientQuota', entity, key, value });
  }
  out.push({ type: 'ProducerIds', brokerId: -1, nextProducerId: image.nextProducerId });
  return out;
}

export function encodeSnapshot(image: MetadataImage): Buffer {
  return Buffer.from(JSON.stringify(imageToRecords(image)));
}

/**
 * Replaces the image's content by a snapshot's and returns the changes listeners must see: topics
 * that went away, then every broker, topic, partition and ACL of the new image in replay order.
 */
export function loadSnapshot(image: MetadataImage, data: Buffer, endOffset: number): ImageChange[] {
  const before = new Map<string, TopicInfo>(image.topicsById);
  image.brokers.clear();
  image.topics.clear();
  image.topicsById.clear();
  image.brokerConfigs.clear();
  image.scramCredentials.clear();
  image.acls.clear();
  image.clientQuotas.clear();
  image.nextProducerId = 0;
  const records = JSON.parse(data.toString('utf8')) as MetadataRecord[];
  const changes: ImageChange[] = [];
  for (const r of records) {
    const change = image.apply(r, endOffset - 1);
    if (change) changes.push(change);
  }
  image.offset = endOffset - 1;
  for (const [id, topic] of before) if (!image.topicsById.has(id)) changes.unshift({ kind: 'topic-deleted', topic });
  return changes;
}

/**
 * The metadata image: the current state of the cluster, built by replaying metadata records in order.
 * It is the only place the broker's request handlers read topology from. `apply` is deterministic, so
 * every broker that replays the same log holds the same image (the property Raft will rely on).
 */
import type { EndpointRecord, MetadataRecord, QuotaEntityPart } from './records.js';

/** A stored SCRAM credential (salt, StoredKey, ServerKey in base64). */
export type ScramCredential = Omit<Extract<MetadataRecord, { type: 'UserScramCredential' }>, 'type'>;

/** A stored ACL. */
export type AclEntry = Omit<Extract<MetadataRecord, { type: 'AccessControlEntry' }>, 'type'>;

/** The quota values of one client quota entity (KRaft's ClientQuotaImage). */
export interface ClientQuotaEntry {
  readonly entity: readonly QuotaEntityPart[];
  readonly values: Map<string, number>;
}

/** The map key of an entity: its parts sorted by type, so equal entities share one key. */
export function quotaEntityKey(entity: readonly QuotaEntityPart[]): string {
  return JSON.stringify(
    [...entity].sort((a, b) => (a.entityType < b.entityType ? -1 : 1)).map((p) => [p.entityType, p.entityName]),
  );
}

export interface BrokerInfo {
  readonly id: number;
  readonly incarnationId: string;
  readonly epoch: number;
  readonly endpoints: readonly EndpointRecord[];
  readonly rack: string | null;
  fenced: boolean;
}

export interface PartitionInfo {
  readonly topicId: string;
  readonly partitionId: number;
  replicas: number[];
  isr: number[];
  leader: number;
  leaderEpoch: number;
  partitionEpoch: number;
  /** A reassignment in progress (KIP-455): replicas joining and leaving; absent or empty otherwise. */
  addingReplicas?: number[];
  removingReplicas?: number[];
}

export interface TopicInfo {
  readonly name: string;
  readonly id: string;
  readonly partitions: PartitionInfo[];
  /** Topic config overrides (not defaults). */
  readonly configs: Map<string, string>;
}

export type ImageChange =
  | { readonly kind: 'topic-created'; readonly topic: TopicInfo }
  | { readonly kind: 'topic-deleted'; readonly topic: TopicInfo }
  | { readonly kind: 'partition-changed'; readonly topic: TopicInfo; readonly partition: PartitionInfo }
  | { readonly kind: 'topic-config-changed'; readonly topic: TopicInfo; readonly name: string }
  | {
      readonly kind: 'broker-config-changed';
      readonly broker: string;
      readonly name: string;
      readonly value: string | null;
    }
  | { readonly kind: 'broker-changed'; readonly broker: BrokerInfo }
  | { readonly kind: 'acls-changed' };

export class MetadataImage {
  readonly brokers = new Map<number, BrokerInfo>();
  readonly topics = new Map<string, TopicInfo>();
  readonly topicsById = new Map<string, TopicInfo>();
  /** Dynamic broker configs: broker id as a string, or '' for the cluster-wide default. */
  readonly brokerConfigs = new Map<string, Map<string, string>>();
  /** The next producer id the controller will hand out. */
  nextProducerId = 0;
  /** SCRAM credentials by mechanism, then user name. */
  readonly scramCredentials = new Map<string, Map<string, ScramCredential>>();
  /** ACLs by id. */
  readonly acls = new Map<string, AclEntry>();
  /** Client quotas (KIP-546) by quotaEntityKey; an entity with no values left is removed. */
  readonly clientQuotas = new Map<string, ClientQuotaEntry>();
  /** Offset of the last record applied (the image's version). */
  offset = -1;

  constructor(readonly clusterId: string) {}

  apply(record: MetadataRecord, offset: number): ImageChange | null {
    this.offset = offset;
    switch (record.type) {
      case 'RegisterBroker': {
        const broker: BrokerInfo = {
          id: record.brokerId,
          incarnationId: record.incarnationId,
          epoch: record.brokerEpoch,
          endpoints: record.endpoints,
          rack: record.rack,
          fenced: record.fenced,
        };
        this.brokers.set(record.brokerId, broker);
        return { kind: 'broker-changed', broker };
      }
      case 'FenceBroker':
      case 'UnfenceBroker': {
        const broker = this.brokers.get(record.brokerId);
        if (!broker || broker.epoch !== record.brokerEpoch) return null;
        broker.fenced = record.type === 'FenceBroker';
        return { kind: 'broker-changed', broker };
      }
      case 'Topic': {
        const topic: TopicInfo = { name: record.name, id: record.topicId, partitions: [], configs: new Map() };
        this.topics.set(topic.name, topic);
        this.topicsById.set(topic.id, topic);
        return { kind: 'topic-created', topic };
      }
      case 'Partition': {
        const topic = this.topicsById.get(record.topicId);
        if (!topic) return null;
        const partition: PartitionInfo = {
          topicId: record.topicId,
          partitionId: record.partitionId,
          replicas: [...record.replicas],
          isr: [...record.isr],
          leader: record.leader,
          leaderEpoch: record.leaderEpoch,
          partitionEpoch: record.partitionEpoch,
          addingReplicas: [...(record.addingReplicas ?? [])],
          removingReplicas: [...(record.removingReplicas ?? [])],
        };
        topic.partitions[record.partitionId] = partition;
        return { kind: 'partition-changed', topic, partition };
      }
      case 'PartitionChange': {
        const topic = this.topicsById.get(record.topicId);
        const partition = topic?.partitions[record.partitionId];
        if (!topic || !partition) return null;
        if (record.replicas) partition.replicas = [...record.replicas];
        if (record.isr) partition.isr = [...record.isr];
        if (record.addingReplicas) partition.addingReplicas = [...record.addingReplicas];
        if (record.removingReplicas) partition.removingReplicas = [...record.removingReplicas];
        if (record.leader !== undefined && record.leader !== partition.leader) {
          partition.leader = record.leader;
          partition.leaderEpoch++;
        }
        partition.partitionEpoch++;
        return { kind: 'partition-changed', topic, partition };
      }
      case 'RemoveTopic': {
        const topic = this.topicsById.get(record.topicId);
        if (!topic) return null;
        this.topicsById.delete(topic.id);
        this.topics.delete(topic.name);
        return { kind: 'topic-deleted', topic };
      }
      case 'Config': {
        if (record.resourceType === 'topic') {
          const topic = this.topics.get(record.resourceName);
          if (!topic) return null;
          if (record.value === null) topic.configs.delete(record.name);
          else topic.configs.set(record.name, record.value);
          return { kind: 'topic-config-changed', topic, name: record.name };
        }
        let configs = this.brokerConfigs.get(record.resourceName);
        if (!configs) {
          configs = new Map();
          this.brokerConfigs.set(record.resourceName, configs);
        }
        if (record.value === null) configs.delete(record.name);
        else configs.set(record.name, record.value);
        return { kind: 'broker-config-changed', broker: record.resourceName, name: record.name, value: record.value };
      }
      case 'ProducerIds':
        this.nextProducerId = Math.max(this.nextProducerId, record.nextProducerId);
        return null;
      case 'UserScramCredential': {
        let users = this.scramCredentials.get(record.mechanism);
        if (!users) {
          users = new Map();
          this.scramCredentials.set(record.mechanism, users);
        }
        const { type: _type, ...credential } = record;
        users.set(record.name, credential);
        return null;
      }
      case 'RemoveUserScramCredential':
        this.scramCredentials.get(record.mechanism)?.delete(record.name);
        return null;
      case 'AccessControlEntry': {
        const { type: _type, ...acl } = record;
        this.acls.set(record.id, acl);
        return { kind: 'acls-changed' };
      }
      case 'RemoveAccessControlEntry':
        if (!this.acls.delete(record.id)) return null;
        return { kind: 'acls-changed' };
      case 'ClientQuota': {
        const key = quotaEntityKey(record.entity);
        let entry = this.clientQuotas.get(key);
        if (record.value === null) {
          entry?.values.delete(record.key);
          if (entry?.values.size === 0) this.clientQuotas.delete(key);
          return null;
        }
        if (!entry) {
          entry = { entity: [...record.entity], values: new Map() };
          this.clientQuotas.set(key, entry);
        }
        entry.values.set(record.key, record.value);
        return null;
      }
    }
  }
}

/**
 * Cluster metadata as a log of records, the way KRaft keeps it (KIP-500, KIP-631): every change to
 * brokers, topics, partitions, configs and producer id blocks is one record appended to the metadata
 * log, and the metadata image is what replaying the log produces. On a single broker the log is local;
 * with a controller quorum the same records travel through Raft (issue 4), so nothing above the log
 * changes. Records are plain JSON objects, serialized one per Kafka record in `__cluster_metadata`.
 */

export interface EndpointRecord {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly securityProtocol: string;
}

export type MetadataRecord =
  | {
      readonly type: 'RegisterBroker';
      readonly brokerId: number;
      readonly incarnationId: string;
      readonly brokerEpoch: number;
      readonly endpoints: readonly EndpointRecord[];
      readonly rack: string | null;
      readonly fenced: boolean;
    }
  | { readonly type: 'FenceBroker'; readonly brokerId: number; readonly brokerEpoch: number }
  | { readonly type: 'UnfenceBroker'; readonly brokerId: number; readonly brokerEpoch: number }
  | { readonly type: 'Topic'; readonly name: string; readonly topicId: string }
  | {
      readonly type: 'Partition';
      readonly topicId: string;
      readonly partitionId: number;
      readonly replicas: readonly number[];
      readonly isr: readonly number[];
      readonly leader: number;
      readonly leaderEpoch: number;
      readonly partitionEpoch: number;
      /** A reassignment in progress (KIP-455): replicas joining and leaving; absent otherwise. */
      readonly addingReplicas?: readonly number[];
      readonly removingReplicas?: readonly number[];
    }
  | {
      readonly type: 'PartitionChange';
      readonly topicId: string;
      readonly partitionId: number;
      readonly replicas?: readonly number[];
      readonly isr?: readonly number[];
      /** A new leader bumps the leader epoch. */
      readonly leader?: number;
      /** Reassignment state (KIP-455); [] ends a reassignment. */
      readonly addingReplicas?: readonly number[];
      readonly removingReplicas?: readonly number[];
    }
  | { readonly type: 'RemoveTopic'; readonly topicId: string }
  | {
      readonly type: 'Config';
      /** 'topic' or 'broker'; a broker named '' is the cluster-wide default. */
      readonly resourceType: 'topic' | 'broker';
      readonly resourceName: string;
      readonly name: string;
      /** null removes the override. */
      readonly value: string | null;
    }
  | { readonly type: 'ProducerIds'; readonly brokerId: number; readonly nextProducerId: number }
  /**
   * A SCRAM credential (KIP-554's UserScramCredentialRecord): salt, StoredKey and ServerKey in base64,
   * never the password. One per user and mechanism; a new one replaces the old.
   */
  | {
      readonly type: 'UserScramCredential';
      readonly name: string;
      readonly mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
      readonly salt: string;
      readonly storedKey: string;
      readonly serverKey: string;
      readonly iterations: number;
    }
  | { readonly type: 'RemoveUserScramCredential'; readonly name: string; readonly mechanism: string }
  /** An ACL (KRaft's AccessControlEntryRecord); codes are Kafka's AclOperation/ResourceType/... values. */
  | {
      readonly type: 'AccessControlEntry';
      readonly id: string;
      readonly resourceType: number;
      readonly resourceName: string;
      readonly patternType: number;
      readonly principal: string;
      readonly host: string;
      readonly operation: number;
      readonly permissionType: number;
    }
  | { readonly type: 'RemoveAccessControlEntry'; readonly id: string }
  /**
   * A client quota value (KRaft's ClientQuotaRecord, KIP-546): the entity is one to two parts
   * (user, client-id, ip) sorted by type, a null name is that type's default entity; value null
   * removes the key.
   */
  | {
      readonly type: 'ClientQuota';
      readonly entity: readonly QuotaEntityPart[];
      readonly key: string;
      readonly value: number | null;
    };

export interface QuotaEntityPart {
  readonly entityType: string;
  /** null: the default entity of this type. */
  readonly entityName: string | null;
}

export type MetadataRecordType = MetadataRecord['type'];

export function encodeMetadataRecord(record: MetadataRecord): Buffer {
  return Buffer.from(JSON.stringify(record));
}

export function decodeMetadataRecord(value: Buffer): MetadataRecord {
  const record = JSON.parse(value.toString('utf8')) as MetadataRecord;
  if (typeof record !== 'object' || record === null || typeof record.type !== 'string') {
    throw new Error('metadata record without a type');
  }
  return record;
}

/**
 * What the control plane asks of a cluster's brokers beyond @flotilla/protocol's AdminClient: ACLs
 * (CreateAcls/DescribeAcls/DeleteAcls), SCRAM credentials (Describe/AlterUserScramCredentials),
 * committed offsets (OffsetFetch/OffsetCommit at the group's coordinator) and offsets by timestamp
 * (ListOffsets at each leader). Shared by the API's routes and the worker's reconcilers, so both speak
 * to the brokers the same way.
 *
 * Requests go where Kafka's own AdminClient sends them: ACL and SCRAM requests to any broker (KRaft
 * brokers forward them to the controller, KIP-590), offset requests to the group's coordinator,
 * ListOffsets to each partition's leader.
 */
import { randomBytes } from 'node:crypto';
import {
  AdminClient,
  ApiKey,
  type BrokerAddress,
  type Connection,
  connect,
  KafkaError,
  type SaslMechanism,
  type ScramAlgorithm,
  saltPassword,
  scramKeys,
} from '@flotilla/protocol';
import { adminOptions, type ClusterEndpoint, plaintextEndpoint } from './cluster-endpoint.js';

/** Kafka's enums (org.apache.kafka.common.acl / resource), by name, as the API shows them. */
export const AclResourceType = {
  ANY: 1,
  TOPIC: 2,
  GROUP: 3,
  CLUSTER: 4,
  TRANSACTIONAL_ID: 5,
  DELEGATION_TOKEN: 6,
  USER: 7,
} as const;
export const AclPatternType = { ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const;
export const AclOperation = {
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14,
} as const;
export const AclPermissionType = { ANY: 1, DENY: 2, ALLOW: 3 } as const;

export type AclResourceTypeName = keyof typeof AclResourceType;
export type AclPatternTypeName = keyof typeof AclPatternType;
export type AclOperationName = keyof typeof AclOperation;
export type AclPermissionTypeName = keyof typeof AclPermissionType;

/** One ACL binding, by name (what the catalog stores and the API shows). */
export interface AclBinding {
  readonly resourceType: AclResourceTypeName;
  readonly resourceName: string;
  readonly patternType: AclPatternTypeName;
  readonly principal: string;
  readonly host: string;
  readonly operation: AclOperationName;
  readonly permissionType: AclPermissionTypeName;
}

/** A filter: absent members match anything (Kafka's ANY / null). */
export interface AclFilter {
  readonly resourceType?: AclResourceTypeName;
  readonly resourceName?: string;
  readonly patternType?: AclPatternTypeName;
  readonly principal?: string;
  readonly host?: string;
  readonly operation?: AclOperationName;
  readonly permissionType?: AclPermissionTypeName;
}

/** Kafka's ScramMechanism: 1 = SCRAM-SHA-256, 2 = SCRAM-SHA-512. */
export const ScramMechanism = { 'SCRAM-SHA-256': 1, 'SCRAM-SHA-512': 2 } as const;
export type ScramMechanismName = keyof typeof ScramMechanism;

export interface ScramCredential {
  readonly username: string;
  readonly mechanism: ScramMechanismName;
  readonly iterations: number;
}

/** What the catalog keeps of a credential: never the password, only what a broker verifies against. */
export interface ScramSecret {
  readonly salt: Buffer;
  readonly iterations: number;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

export interface CommittedOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
}

const nameOf = <T extends Record<string, number>>(table: T, value: number): keyof T => {
  const entry = Object.entries(table).find(([, v]) => v === value);
  if (!entry) throw new TypeError(`unknown enum value ${value}`);
  return entry[0] as keyof T;
};

export function parseBootstrap(bootstrap: string): BrokerAddress[] {
  return bootstrap
    .split(',')
    .filter(Boolean)
    .map((a) => {
      const at = a.lastIndexOf(':');
      return { host: a.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(a.slice(at + 1)) };
    });
}

export class ClusterAdmin {
  readonly admin: AdminClient;
  /** How it reaches the cluster; for callers that open connections of their own (e.g. to a leader). */
  readonly endpoint: ClusterEndpoint;
  private readonly bootstrap: readonly BrokerAddress[];
  private readonly sasl: SaslMechanism | undefined;

  /** `endpoint`: a cluster's (cluster-endpoint.ts), or a PLAINTEXT bootstrap string. */
  constructor(
    endpoint: ClusterEndpoint | string,
    options: { readonly clientId?: string; readonly requestTimeoutMs?: number } = {},
  ) {
    const resolved = typeof endpoint === 'string' ? plaintextEndpoint(endpoint) : endpoint;
    this.bootstrap = parseBootstrap(resolved.bootstrap.join(','));
    this.sasl = resolved.sasl;
    this.endpoint = resolved;
    this.admin = new AdminClient({
      ...adminOptions(resolved),
      bootstrap: this.bootstrap,
      clientId: options.clientId ?? 'flotilla-control-plane',
      requestTimeoutMs: options.requestTimeoutMs ?? 15_000,
      connectTimeoutMs: 5_000,
      retries: 2,
    });
  }

  close(): Promise<void> {
    return this.admin.close();
  }

  /** One short-lived connection to a broker (the first bootstrap address that answers, or `address`). */
  private async withConnection<T>(use: (connection: Connection) => Promise<T>, address?: BrokerAddress): Promise<T> {
    let lastError: unknown;
    for (const candidate of address ? [address] : this.bootstrap) {
      let connection: Connection;
      try {
        connection = await connect({
          host: candidate.host,
          port: candidate.port,
          clientId: 'flotilla-control-plane',
          connectTimeoutMs: 5_000,
          requestTimeoutMs: 15_000,
          ...(this.sasl ? { sasl: this.sasl } : {}),
        });
      } catch (error) {
        lastError = error;
        continue;
      }
      try {
        return await use(connection);
      } finally {
        await connection.close();
      }
    }
    throw lastError ?? new Error('no broker address');
  }

  private async brokerAddress(nodeId: number): Promise<BrokerAddress> {
    const { brokers } = await this.admin.metadata([]);
    const broker = brokers.find((b) => b.nodeId === nodeId);
    if (!broker) throw new KafkaError(15, `broker ${nodeId} is not in the cluster's metadata`);
    // Brokers advertise what clients use; the control plane reaches them on the same addresses.
    return { host: broker.host, port: broker.port };
  }

  // ---- ACLs

  async createAcls(bindings: readonly AclBinding[]): Promise<void> {
    if (bindings.length === 0) return;
    await this.withConnection(async (connection) => {
      const response = await connection.request(ApiKey.CreateAcls, {
        creations: bindings.map((b) => ({
          resourceType: AclResourceType[b.resourceType],
          resourceName: b.resourceName,
          resourcePatternType: AclPatternType[b.patternType],
          principal: b.principal,
          host: b.host,
          operation: AclOperation[b.operation],
          permissionType: AclPermissionType[b.permissionType],
        })),
      });
      response.results.forEach((r, i) => {
        if (r.errorCode !== 0) {
          const b = bindings[i];
          throw new KafkaError(r.errorCode, `ACL on ${b?.resourceType} ${b?.resourceName}: ${r.errorMessage ?? ''}`);
        }
      });
    });
  }

  async describeAcls(filter: AclFilter = {}): Promise<AclBinding[]> {
    return this.withConnection(async (connection) => {
      const response = await connection.request(ApiKey.DescribeAcls, {
        resourceTypeFilter: AclResourceType[filter.resourceType ?? 'ANY'],
        resourceNameFilter: filter.resourceName ?? null,
        patternTypeFilter: AclPatternType[filter.patternType ?? 'ANY'],
        principalFilter: filter.principal ?? null,
        hostFilter: filter.host ?? null,
        operation: AclOperation[filter.operation ?? 'ANY'],
        permissionType: AclPermissionType[filter.permissionType ?? 'ANY'],
      });
      if (response.errorCode !== 0) throw new KafkaError(response.errorCode, response.errorMessage ?? 'DescribeAcls');
      return response.resources.flatMap((r) =>
        r.acls.map((a) => ({
          resourceType: nameOf(AclResourceType, r.resourceType),
          resourceName: r.resourceName,
          patternType: nameOf(AclPatternType, r.patternType),
          principal: a.principal,
          host: a.host,
          operation: nameOf(AclOperation, a.operation),
          permissionType: nameOf(AclPermissionType, a.permissionType),
        })),
      );
    });
  }

  /** Deletes every ACL matching the filter; returns the ones deleted. */
  async deleteAcls(filter: AclFilter): Promise<AclBinding[]> {
    return this.withConnection(async (connection) => {
      const response = await connection.request(ApiKey.DeleteAcls, {
        filters: [
          {
            resourceTypeFilter: AclResourceType[filter.resourceType ?? 'ANY'],
            resourceNameFilter: filter.resourceName ?? null,
            patternTypeFilter: AclPatternType[filter.patternType ?? 'ANY'],
            principalFilter: filter.principal ?? null,
            hostFilter: filter.host ?? null,
            operation: AclOperation[filter.operation ?? 'ANY'],
            permissionType: AclPermissionType[filter.permissionType ?? 'ANY'],
          },
        ],
      });
      const result = response.filterResults[0];
      if (!result) return [];
      if (result.errorCode !== 0) throw new KafkaError(result.errorCode, result.errorMessage ?? 'DeleteAcls');
      return result.matchingAcls.map((a) => ({
        resourceType: nameOf(AclResourceType, a.resourceType),
        resourceName: a.resourceName,
        patternType: nameOf(AclPatternType, a.patternType),
        principal: a.principal,
        host: a.host,
        operation: nameOf(AclOperation, a.operation),
        permissionType: nameOf(AclPermissionType, a.permissionType),
      }));
    });
  }

  // ---- SCRAM users

  async describeScramUsers(): Promise<ScramCredential[]> {
    return this.withConnection(async (connection) => {
      const response = await connection.request(ApiKey.DescribeUserScramCredentials, { users: null });
      if (response.errorCode !== 0)
        throw new KafkaError(response.errorCode, response.errorMessage ?? 'DescribeUserScramCredentials');
      return response.results.flatMap((r) =>
        r.errorCode !== 0
          ? []
          : r.credentialInfos.map((c) => ({
              username: r.user,
              mechanism: nameOf(ScramMechanism, c.mechanism),
              iterations: c.iterations,
            })),
      );
    });
  }

  /**
   * Sets a user's credential from a password: the salted password goes to the brokers (what
   * AlterUserScramCredentials carries, KIP-554), the password itself goes nowhere. Returns what the
   * catalog may keep.
   */
  async upsertScramUser(
    username: string,
    mechanism: ScramMechanismName,
    password: string,
    iterations = 8192,
  ): Promise<ScramSecret> {
    const algorithm: ScramAlgorithm = mechanism === 'SCRAM-SHA-256' ? 'SHA-256' : 'SHA-512';
    const salt = randomBytes(32);
    const saltedPassword = await saltPassword(algorithm, password, salt, iterations);
    await this.alterScram({
      upsertions: [{ name: username, mechanism: ScramMechanism[mechanism], iterations, salt, saltedPassword }],
      deletions: [],
    });
    const keys = scramKeys(algorithm, saltedPassword);
    return { salt, iterations, storedKey: keys.storedKey, serverKey: keys.serverKey };
  }

  async deleteScramUser(username: string, mechanism: ScramMechanismName): Promise<void> {
    await this.alterScram({ upsertions: [], deletions: [{ name: username, mechanism: ScramMechanism[mechanism] }] });
  }

  private async alterScram(body: {
    upsertions: { name: string; mechanism: number; iterations: number; salt: Buffer; saltedPassword: Buffer }[];
    deletions: { name: string; mechanism: number }[];
  }): Promise<void> {
    await this.withConnection(async (connection) => {
      const response = await connection.request(ApiKey.AlterUserScramCredentials, body);
      for (const r of response.results) {
        if (r.errorCode !== 0) throw new KafkaError(r.errorCode, `user "${r.user}": ${r.errorMessage ?? ''}`);
      }
    });
  }

  // ---- offsets

  /** The group's committed offsets (all its partitions), read at its coordinator. */
  async committedOffsets(groupId: string, coordinatorId: number): Promise<CommittedOffset[]> {
    const address = await this.brokerAddress(coordinatorId);
    return this.withConnection(async (connection) => {
      const version = connection.versionFor(ApiKey.OffsetFetch) ?? 0;
      const response = await connection.request(ApiKey.OffsetFetch, {
        groupId,
        topics: null,
        groups: [{ groupId, memberId: null, memberEpoch: -1, topics: null }],
        requireStable: false,
      });
      // v8+ answers per group (KIP-709), earlier versions at the top level.
      const topics = version >= 8 ? (response.groups[0]?.topics ?? []) : response.topics;
      const errorCode = version >= 8 ? (response.groups[0]?.errorCode ?? 0) : response.errorCode;
      if (errorCode !== 0) throw new KafkaError(errorCode, `group "${groupId}"`);
      return topics.flatMap((t) =>
        t.partitions
          .filter((p) => p.committedOffset >= 0n)
          .map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset })),
      );
    }, address);
  }

  /**
   * Commits offsets for a group with no live members, as kafka-consumer-groups --reset-offsets does
   * (generation -1, no member id: the coordinator accepts it only while the group is empty).
   */
  async commitOffsets(groupId: string, coordinatorId: number, offsets: readonly CommittedOffset[]): Promise<void> {
    const address = await this.brokerAddress(coordinatorId);
    const byTopic = new Map<string, CommittedOffset[]>();
    for (const o of offsets) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), o]);
    await this.withConnection(async (connection) => {
      const response = await connection.request(ApiKey.OffsetCommit, {
        groupId,
        generationIdOrMemberEpoch: -1,
        memberId: '',
        groupInstanceId: null,
        retentionTimeMs: -1n,
        topics: [...byTopic].map(([name, ps]) => ({
          name,
          partitions: ps.map((p) => ({
            partitionIndex: p.partition,
            committedOffset: p.offset,
            committedLeaderEpoch: -1,
            commitTimestamp: -1n,
            committedMetadata: null,
          })),
        })),
      });
      for (const t of response.topics) {
        for (const p of t.partitions) {
          if (p.errorCode !== 0) throw new KafkaError(p.errorCode, `${t.name}-${p.partitionIndex} of "${groupId}"`);
        }
      }
    }, address);
  }

  /**
   * For each partition of `topics`, the first offset whose record timestamp is at or after `timestamp`
   * (ListOffsets with a timestamp); the log end offset where no record is that recent, as Kafka's
   * --to-datetime does.
   */
  async offsetsForTimestamp(topics: readonly string[], timestamp: bigint): Promise<CommittedOffset[]> {
    const metadata = await this.admin.metadata(topics);
    const latest = await this.admin.listOffsets(topics, 'latest');
    const end = new Map(latest.map((o) => [`${o.topic}\u0000${o.partition}`, o.offset]));
    const byLeader = new Map<number, { topic: string; partition: number }[]>();
    for (const t of metadata.topics) {
      for (const p of t.partitions) {
        byLeader.set(p.leader, [...(byLeader.get(p.leader) ?? []), { topic: t.name, partition: p.partition }]);
      }
    }
    const out: CommittedOffset[] = [];
    for (const [leader, owned] of byLeader) {
      const address = await this.brokerAddress(leader);
      await this.withConnection(async (connection) => {
        const byTopic = new Map<string, number[]>();
        for (const o of owned) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), o.partition]);
        const response = await connection.request(ApiKey.ListOffsets, {
          replicaId: -1,
          isolationLevel: 0,
          topics: [...byTopic].map(([name, partitions]) => ({
            name,
            partitions: partitions.map((partitionIndex) => ({
              partitionIndex,
              currentLeaderEpoch: -1,
              timestamp,
              maxNumOffsets: 1,
            })),
          })),
          timeoutMs: 15_000,
        });
        for (const t of response.topics) {
          for (const p of t.partitions) {
            if (p.errorCode !== 0) throw new KafkaError(p.errorCode, `partition ${t.name}-${p.partitionIndex}`);
            const offset = p.offset >= 0n ? p.offset : (end.get(`${t.name}\u0000${p.partitionIndex}`) ?? 0n);
            out.push({ topic: t.name, partition: p.partitionIndex, offset });
          }
        }
      }, address);
    }
    return out.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  }
}

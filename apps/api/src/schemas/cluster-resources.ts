/**
 * Shapes of the resources under a cluster ARN: MSK's topic calls (members as @aws-sdk/client-kafka
 * sends and reads them: topicName, partitionCount, replicationFactor, base64 `configs`, ...) and
 * Flotilla's own ACLs, SCRAM users and consumer groups in the same style (camelCase, MSK error bodies).
 */
import { type Static, Type } from '@sinclair/typebox';
import { ErrorBody } from './msk.js';

const closed = { additionalProperties: false } as const;

export const resourceErrors = {
  400: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  500: ErrorBody,
  503: ErrorBody,
};

export const ClusterArnParams = Type.Object({ clusterArn: Type.String({ minLength: 1, maxLength: 2048 }) });

/** Kafka's legal topic names (Topic.java: [a-zA-Z0-9._-], at most 249, not "." or ".."). */
export const TopicName = Type.String({
  minLength: 1,
  maxLength: 249,
  pattern: '^(?!\\.{1,2}$)[a-zA-Z0-9._-]+$',
  description: "A Kafka topic name: letters, digits, '.', '_' and '-', at most 249 characters",
});

export const TopicParams = Type.Object({ clusterArn: ClusterArnParams.properties.clusterArn, topicName: TopicName });

const Page = {
  maxResults: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  nextToken: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
};

export const ListTopicsQuery = Type.Object(
  { ...Page, topicNameFilter: Type.Optional(Type.String({ maxLength: 249 })) },
  closed,
);
export const PageQuery = Type.Object(Page, closed);

export const TopicInfo = Type.Object({
  topicArn: Type.String(),
  topicName: Type.String(),
  replicationFactor: Type.Integer(),
  partitionCount: Type.Integer(),
  outOfSyncReplicaCount: Type.Integer(),
});

export const ListTopicsResponse = Type.Object({
  topics: Type.Array(TopicInfo),
  nextToken: Type.Optional(Type.String()),
});

export const TopicState = Type.Union([
  Type.Literal('CREATING'),
  Type.Literal('UPDATING'),
  Type.Literal('DELETING'),
  Type.Literal('ACTIVE'),
]);

export const DescribeTopicResponse = Type.Object({
  topicArn: Type.String(),
  topicName: Type.String(),
  replicationFactor: Type.Integer(),
  partitionCount: Type.Integer(),
  configs: Type.String({ description: 'The topic configs set on the topic, as base64 of a JSON object' }),
  status: TopicState,
});

export const TopicPartitionInfo = Type.Object({
  partition: Type.Integer(),
  leader: Type.Integer(),
  replicas: Type.Array(Type.Integer()),
  isr: Type.Array(Type.Integer()),
});

export const DescribeTopicPartitionsResponse = Type.Object({
  partitions: Type.Array(TopicPartitionInfo),
  nextToken: Type.Optional(Type.String()),
});

const Base64Configs = Type.String({
  maxLength: 65536,
  description: 'Topic configs as base64 of a JSON object of strings, e.g. {"cleanup.policy":"compact"}',
});

export const CreateTopicRequest = Type.Object(
  {
    topicName: TopicName,
    partitionCount: Type.Integer({ minimum: 1, maximum: 10000 }),
    replicationFactor: Type.Integer({ minimum: 1, maximum: 15 }),
    configs: Type.Optional(Base64Configs),
  },
  closed,
);
export type CreateTopicRequest = Static<typeof CreateTopicRequest>;

export const UpdateTopicRequest = Type.Object(
  {
    configs: Type.Optional(Base64Configs),
    partitionCount: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000 })),
  },
  closed,
);
export type UpdateTopicRequest = Static<typeof UpdateTopicRequest>;

export const TopicMutationResponse = Type.Object({
  topicArn: Type.String(),
  topicName: Type.String(),
  status: TopicState,
});

// ---- ACLs (Kafka's enums by name)

const Enum = <T extends string>(values: readonly T[], description: string) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    { description },
  );

export const AclResourceType = Enum(
  ['TOPIC', 'GROUP', 'CLUSTER', 'TRANSACTIONAL_ID', 'DELEGATION_TOKEN', 'USER'] as const,
  "Kafka's ResourceType",
);
export const AclPatternType = Enum(['LITERAL', 'PREFIXED'] as const, "Kafka's PatternType");
export const AclOperation = Enum(
  [
    'ALL',
    'READ',
    'WRITE',
    'CREATE',
    'DELETE',
    'ALTER',
    'DESCRIBE',
    'CLUSTER_ACTION',
    'DESCRIBE_CONFIGS',
    'ALTER_CONFIGS',
    'IDEMPOTENT_WRITE',
    'CREATE_TOKENS',
    'DESCRIBE_TOKENS',
  ] as const,
  "Kafka's AclOperation",
);
export const AclPermissionType = Enum(['ALLOW', 'DENY'] as const, "Kafka's AclPermissionType");

/** Kafka principals are `Type:name` (User:alice); `*` names every user in an ACL. */
export const Principal = Type.String({ minLength: 3, maxLength: 512, pattern: '^[A-Za-z]+:.+$' });
const AclResourceName = Type.String({ minLength: 1, maxLength: 512 });
const AclHost = Type.String({ minLength: 1, maxLength: 255 });

export const Acl = Type.Object({
  resourceType: AclResourceType,
  resourceName: AclResourceName,
  patternType: AclPatternType,
  principal: Principal,
  host: AclHost,
  operation: AclOperation,
  permissionType: AclPermissionType,
});
export type Acl = Static<typeof Acl>;

export const CreateAclRequest = Type.Object(
  {
    resourceType: AclResourceType,
    resourceName: AclResourceName,
    patternType: Type.Optional(AclPatternType),
    principal: Principal,
    host: Type.Optional(AclHost),
    operation: AclOperation,
    permissionType: Type.Optional(AclPermissionType),
  },
  closed,
);
export type CreateAclRequest = Static<typeof CreateAclRequest>;

export const AclFilterQuery = Type.Object(
  {
    resourceType: Type.Optional(AclResourceType),
    resourceName: Type.Optional(AclResourceName),
    patternType: Type.Optional(AclPatternType),
    principal: Type.Optional(Principal),
    host: Type.Optional(AclHost),
    operation: Type.Optional(AclOperation),
    permissionType: Type.Optional(AclPermissionType),
  },
  closed,
);
export type AclFilterQuery = Static<typeof AclFilterQuery>;

export const ListAclsResponse = Type.Object({ acls: Type.Array(Acl) });
export const DeleteAclsResponse = Type.Object({ deletedAcls: Type.Array(Acl) });

// ---- SCRAM users

export const Username = Type.String({
  minLength: 1,
  maxLength: 128,
  pattern: '^[A-Za-z0-9._@-]+$',
  description: "A SCRAM user name: letters, digits, '.', '_', '@' and '-'",
});
export const Password = Type.String({ minLength: 8, maxLength: 128, description: 'Never stored nor logged' });
export const ScramMechanism = Enum(['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const, 'The SCRAM mechanism');

export const UserParams = Type.Object({ clusterArn: ClusterArnParams.properties.clusterArn, username: Username });

export const CreateUserRequest = Type.Object(
  { username: Username, password: Password, mechanism: Type.Optional(ScramMechanism) },
  closed,
);
export type CreateUserRequest = Static<typeof CreateUserRequest>;
export const UpdateUserRequest = Type.Object({ password: Password }, closed);

export const ScramUser = Type.Object({
  username: Type.String(),
  mechanism: Type.String(),
  iterations: Type.Integer(),
  creationTime: Type.Optional(Type.String({ format: 'date-time' })),
});
export const ListUsersResponse = Type.Object({ users: Type.Array(ScramUser) });

// ---- consumer groups

export const GroupParams = Type.Object({
  clusterArn: ClusterArnParams.properties.clusterArn,
  groupId: Type.String({ minLength: 1, maxLength: 255 }),
});

export const ConsumerGroupSummary = Type.Object({
  groupId: Type.String(),
  state: Type.String(),
  protocolType: Type.String(),
});
export const ListConsumerGroupsResponse = Type.Object({ consumerGroups: Type.Array(ConsumerGroupSummary) });

export const PartitionLag = Type.Object({
  topic: Type.String(),
  partition: Type.Integer(),
  committedOffset: Type.Integer(),
  logEndOffset: Type.Integer(),
  offsetLag: Type.Integer(),
});

export const ConsumerGroupMember = Type.Object({
  memberId: Type.String(),
  groupInstanceId: Type.Optional(Type.String()),
  clientId: Type.String(),
  clientHost: Type.String(),
  assignment: Type.Array(Type.Object({ topic: Type.String(), partitions: Type.Array(Type.Integer()) })),
});

export const DescribeConsumerGroupResponse = Type.Object({
  groupId: Type.String(),
  state: Type.String(),
  protocolType: Type.String(),
  protocol: Type.String(),
  coordinatorId: Type.Integer(),
  members: Type.Array(ConsumerGroupMember),
  partitions: Type.Array(PartitionLag),
  totalOffsetLag: Type.Integer(),
  /**
   * Lag as MSK publishes it (issue 8, apps/worker/src/monitor/lag.ts): partitions without a commit
   * count from their log start here; EstimatedTimeLag is the age in seconds of the oldest unconsumed
   * record. Absent for groups that are neither Stable nor Empty.
   */
  lag: Type.Optional(
    Type.Object({
      sumOffsetLag: Type.Integer(),
      maxOffsetLag: Type.Integer(),
      estimatedMaxTimeLag: Type.Number(),
      topics: Type.Array(
        Type.Object({
          topic: Type.String(),
          sumOffsetLag: Type.Integer(),
          maxOffsetLag: Type.Integer(),
          estimatedMaxTimeLag: Type.Number(),
          partitions: Type.Array(
            Type.Object({ partition: Type.Integer(), offsetLag: Type.Integer(), estimatedTimeLag: Type.Number() }),
          ),
        }),
      ),
    }),
  ),
});

export const ResetOffsetsRequest = Type.Object(
  {
    to: Enum(['earliest', 'latest', 'timestamp', 'offset'] as const, 'Where the committed offsets go'),
    /** Epoch milliseconds, for `to: timestamp`. */
    timestamp: Type.Optional(Type.Integer({ minimum: 0 })),
    /** For `to: offset` (clamped to each partition's earliest and latest, as kafka-consumer-groups does). */
    offset: Type.Optional(Type.Integer({ minimum: 0 })),
    /** Only these topics; default: every topic the group has committed offsets for. */
    topics: Type.Optional(Type.Array(TopicName, { minItems: 1, maxItems: 1000 })),
    dryRun: Type.Optional(Type.Boolean()),
  },
  closed,
);
export type ResetOffsetsRequest = Static<typeof ResetOffsetsRequest>;

export const ResetOffsetsResponse = Type.Object({
  groupId: Type.String(),
  dryRun: Type.Boolean(),
  partitions: Type.Array(
    Type.Object({
      topic: Type.String(),
      partition: Type.Integer(),
      previousOffset: Type.Optional(Type.Integer()),
      newOffset: Type.Integer(),
    }),
  ),
});

export const EventsQuery = Type.Object({ clusterArn: Type.Optional(Type.String({ minLength: 1 })) }, closed);

// ---- the cluster's certificate authority (Flotilla's own: MSK uses AWS Private CA)

export const CertificateAuthorityResponse = Type.Object({
  certificateAuthority: Type.String({
    description: "PEM of the cluster's CA certificate: the truststore for its TLS and SASL_SSL listeners",
  }),
});

export const CreateClientCertificateRequest = Type.Object(
  {
    commonName: Type.String({
      minLength: 1,
      maxLength: 64,
      pattern: '^[A-Za-z0-9._@-]+$',
      description: "The certificate's CN: the client's principal is User:<commonName>",
    }),
    validityDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650, default: 365 })),
  },
  closed,
);
export type CreateClientCertificateRequest = Static<typeof CreateClientCertificateRequest>;

export const ClientCertificateResponse = Type.Object({
  commonName: Type.String(),
  principal: Type.String({ description: 'User:<commonName>, what ACLs name' }),
  certificate: Type.String({ description: 'PEM of the client certificate' }),
  privateKey: Type.String({ description: 'PEM (PKCS#8) of its private key: shown once, never stored' }),
  certificateAuthority: Type.String({ description: "PEM of the cluster's CA certificate" }),
  notAfter: Type.String({ format: 'date-time' }),
});

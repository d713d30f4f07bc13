/**
 * The shapes apps/api sends and accepts, as TypeScript types: MSK's REST-JSON members (camelCase, the
 * AWS "kafka" service model 2018-11-14) as apps/api/src/schemas/msk.ts declares them. Written out here
 * rather than imported from apps/api, so this package pulls in no server code and runs in a browser.
 * Timestamps are ISO 8601 strings, as on the wire.
 */

export type ClusterState =
  | 'ACTIVE'
  | 'CREATING'
  | 'DELETING'
  | 'FAILED'
  | 'HEALING'
  | 'MAINTENANCE'
  | 'REBOOTING_BROKER'
  | 'UPDATING'
  // The API may grow states; callers should not break on one they do not know.
  | (string & {});

export type OperationState = 'PENDING' | 'UPDATE_IN_PROGRESS' | 'UPDATE_COMPLETE' | 'UPDATE_FAILED' | (string & {});

export type Tags = Record<string, string>;

/** Nested MSK structures the API stores and echoes without interpreting. */
export type Json = Record<string, unknown>;

export interface Page {
  maxResults?: number;
  nextToken?: string;
}

export interface StorageInfo {
  ebsStorageInfo?: {
    volumeSize?: number;
    provisionedThroughput?: { enabled?: boolean; volumeThroughput?: number };
  };
}

export interface BrokerNodeGroupInfo {
  clientSubnets: string[];
  /** MSK's broker types: kafka.t3.small, kafka.m5.large, ... (CPU and memory limits of a broker). */
  instanceType: string;
  brokerAZDistribution?: 'DEFAULT';
  securityGroups?: string[];
  storageInfo?: StorageInfo;
  connectivityInfo?: Json;
  zoneIds?: string[];
}

export interface ConfigurationInfo {
  arn: string;
  revision: number;
}

export type EnhancedMonitoring = 'DEFAULT' | 'PER_BROKER' | 'PER_TOPIC_PER_BROKER' | 'PER_TOPIC_PER_PARTITION';

export interface ProvisionedRequest {
  brokerNodeGroupInfo: BrokerNodeGroupInfo;
  kafkaVersion: string;
  numberOfBrokerNodes: number;
  rebalancing?: Json;
  clientAuthentication?: Json;
  configurationInfo?: ConfigurationInfo;
  encryptionInfo?: Json;
  enhancedMonitoring?: EnhancedMonitoring;
  openMonitoring?: Json;
  loggingInfo?: Json;
  storageMode?: 'LOCAL' | 'TIERED';
}

export interface CreateClusterV2Request {
  clusterName: string;
  tags?: Tags;
  provisioned?: ProvisionedRequest;
  serverless?: Json;
}

export interface CreateClusterV2Response {
  clusterArn: string;
  clusterName: string;
  state: ClusterState;
  clusterType: string;
}

/** CreateCluster (v1): the provisioned members at the top level. */
export interface CreateClusterRequest extends ProvisionedRequest {
  clusterName: string;
  tags?: Tags;
}

export interface CreateClusterResponse {
  clusterArn: string;
  clusterName: string;
  state: ClusterState;
}

export interface StateInfo {
  code?: string;
  message?: string;
}

export interface BrokerSoftwareInfo {
  configurationArn?: string;
  configurationRevision?: number;
  kafkaVersion?: string;
}

/** MSK's Cluster (V2), as DescribeClusterV2 and ListClustersV2 return it. */
export interface Cluster {
  activeOperationArn?: string;
  clusterType: string;
  clusterArn: string;
  clusterName: string;
  creationTime: string;
  /** The version to pass to every update and to DeleteCluster (optimistic concurrency). */
  currentVersion: string;
  state: ClusterState;
  stateInfo?: StateInfo;
  tags?: Tags;
  provisioned?: {
    brokerNodeGroupInfo: BrokerNodeGroupInfo & Json;
    currentBrokerSoftwareInfo?: BrokerSoftwareInfo;
    clientAuthentication?: Json;
    encryptionInfo?: Json;
    enhancedMonitoring?: string;
    openMonitoring?: Json;
    loggingInfo?: Json;
    numberOfBrokerNodes: number;
    storageMode?: string;
  };
}

/** MSK's ClusterInfo, the v1 shape (DescribeCluster, ListClusters). */
export interface ClusterInfo {
  activeOperationArn?: string;
  brokerNodeGroupInfo: BrokerNodeGroupInfo & Json;
  clientAuthentication?: Json;
  clusterArn: string;
  clusterName: string;
  creationTime: string;
  currentBrokerSoftwareInfo?: BrokerSoftwareInfo;
  currentVersion: string;
  encryptionInfo?: Json;
  enhancedMonitoring?: string;
  openMonitoring?: Json;
  loggingInfo?: Json;
  numberOfBrokerNodes: number;
  state: ClusterState;
  stateInfo?: StateInfo;
  tags?: Tags;
  storageMode?: string;
}

export interface ListClustersV2Request extends Page {
  clusterNameFilter?: string;
  clusterTypeFilter?: string;
}

export interface ListClustersV2Response {
  clusterInfoList: Cluster[];
  nextToken?: string;
}

export interface ListClustersRequest extends Page {
  clusterNameFilter?: string;
}

export interface ListClustersResponse {
  clusterInfoList: ClusterInfo[];
  nextToken?: string;
}

export interface DeleteClusterResponse {
  clusterArn: string;
  state: ClusterState;
}

export interface GetBootstrapBrokersResponse {
  bootstrapBrokerString?: string;
  bootstrapBrokerStringTls?: string;
  bootstrapBrokerStringSaslScram?: string;
}

export interface NodeInfo {
  addedToClusterTime: string;
  brokerNodeInfo: {
    attachedENIId?: string;
    brokerId: number;
    clientSubnet?: string;
    clientVpcIpAddress?: string;
    currentBrokerSoftwareInfo?: BrokerSoftwareInfo;
    endpoints: string[];
  };
  instanceType: string;
  nodeARN: string;
  nodeType: string;
}

export interface ListNodesResponse {
  nodeInfoList: NodeInfo[];
  nextToken?: string;
}

// Configurations

export interface ConfigurationRevision {
  creationTime: string;
  description?: string;
  revision: number;
}

export interface Configuration {
  arn: string;
  creationTime: string;
  description: string;
  kafkaVersions: string[];
  latestRevision: ConfigurationRevision;
  name: string;
  state: string;
}

export interface CreateConfigurationRequest {
  name: string;
  /**
   * server.properties: plain text here; the client sends it base64-encoded as MSK's blob member.
   * Pass a Uint8Array for bytes.
   */
  serverProperties: string | Uint8Array;
  description?: string;
  kafkaVersions?: string[];
}

export interface CreateConfigurationResponse {
  arn: string;
  creationTime: string;
  latestRevision: ConfigurationRevision;
  name: string;
  state: string;
}

export interface UpdateConfigurationRequest {
  /** server.properties text (or bytes); sent base64-encoded. */
  serverProperties: string | Uint8Array;
  description?: string;
}

export interface UpdateConfigurationResponse {
  arn: string;
  latestRevision: ConfigurationRevision;
}

export interface DeleteConfigurationResponse {
  arn: string;
  state: string;
}

export interface DescribeConfigurationRevisionResponse {
  arn: string;
  creationTime: string;
  description?: string;
  revision: number;
  /** base64 as on the wire; `decodeServerProperties` turns it into text. */
  serverProperties: string;
}

export interface ListConfigurationsResponse {
  configurations: Configuration[];
  nextToken?: string;
}

export interface ListConfigurationRevisionsResponse {
  revisions: ConfigurationRevision[];
  nextToken?: string;
}

// Versions

export interface KafkaVersion {
  version: string;
  status: string;
}

export interface ListKafkaVersionsResponse {
  kafkaVersions: KafkaVersion[];
  nextToken?: string;
}

export interface GetCompatibleKafkaVersionsResponse {
  compatibleKafkaVersions: { sourceVersion: string; targetVersions: string[] }[];
}

// Operations

export interface ClusterOperationStep {
  stepInfo: { stepStatus: string };
  stepName: string;
}

export interface ErrorInfo {
  errorCode?: string;
  errorString?: string;
}

export interface ClusterOperationV2Summary {
  clusterArn: string;
  clusterType: string;
  startTime: string;
  endTime?: string;
  operationArn: string;
  operationState: OperationState;
  operationType: string;
}

export interface ClusterOperationV2 extends ClusterOperationV2Summary {
  errorInfo?: ErrorInfo;
  provisioned: {
    operationSteps: ClusterOperationStep[];
    sourceClusterInfo?: Json;
    targetClusterInfo?: Json;
  };
}

export interface ListClusterOperationsV2Response {
  clusterOperationInfoList: ClusterOperationV2Summary[];
  nextToken?: string;
}

export interface DescribeClusterOperationV2Response {
  clusterOperationInfo: ClusterOperationV2;
}

/** ClusterOperationInfo, the v1 shape. */
export interface ClusterOperationInfo {
  clusterArn: string;
  creationTime: string;
  endTime?: string;
  errorInfo?: ErrorInfo;
  operationArn: string;
  operationState: OperationState;
  operationSteps: ClusterOperationStep[];
  operationType: string;
  sourceClusterInfo?: Json;
  targetClusterInfo?: Json;
}

export interface ListClusterOperationsResponse {
  clusterOperationInfoList: ClusterOperationInfo[];
  nextToken?: string;
}

// Tags

export interface ListTagsForResourceResponse {
  tags: Tags;
}

// Day-2 cluster updates (MSK's Update* calls): each starts an operation and returns its ARN.

export interface ClusterOperationStarted {
  clusterArn: string;
  clusterOperationArn: string;
}

/** MSK's ClientAuthentication: what it does not enable is off. */
export interface ClientAuthentication {
  sasl?: { scram?: { enabled?: boolean }; iam?: { enabled?: boolean } };
  tls?: { enabled?: boolean; certificateAuthorityArnList?: string[] };
  unauthenticated?: { enabled?: boolean };
}

export type ClientBrokerEncryption = 'TLS' | 'TLS_PLAINTEXT' | 'PLAINTEXT';

/** MSK's EncryptionInfo as UpdateSecurity takes it (encryption at rest cannot change). */
export interface EncryptionInfo {
  encryptionAtRest?: { dataVolumeKMSKeyId: string };
  encryptionInTransit?: { clientBroker?: ClientBrokerEncryption; inCluster?: boolean };
}

/** MSK's UpdateSecurity body: the new client authentication and/or client-broker encryption. */
export interface UpdateSecurityRequest {
  currentVersion: string;
  clientAuthentication?: ClientAuthentication;
  encryptionInfo?: EncryptionInfo;
}

export interface BrokerEBSVolumeInfo {
  /** A broker id, or 'All' (what MSK accepts today). */
  kafkaBrokerNodeId: string;
  volumeSizeGB?: number;
  provisionedThroughput?: { enabled?: boolean; volumeThroughput?: number };
}

// Topics (MSK's topic calls)

export type TopicState = 'CREATING' | 'UPDATING' | 'DELETING' | 'ACTIVE' | (string & {});

export interface TopicInfo {
  topicArn: string;
  topicName: string;
  replicationFactor: number;
  partitionCount: number;
  outOfSyncReplicaCount?: number;
}

export interface ListTopicsRequest extends Page {
  topicNameFilter?: string;
}

export interface ListTopicsResponse {
  topics: TopicInfo[];
  nextToken?: string;
}

export interface CreateTopicRequest {
  topicName: string;
  partitionCount: number;
  replicationFactor: number;
  /** Topic configs (`retention.ms`, `cleanup.policy`, ...); sent as MSK's base64 of their JSON. */
  configs?: Record<string, string>;
}

export interface UpdateTopicRequest {
  partitionCount?: number;
  configs?: Record<string, string>;
}

export interface TopicChange {
  topicArn: string;
  topicName: string;
  status: TopicState;
}

export interface DescribeTopicResponse {
  topicArn: string;
  topicName: string;
  replicationFactor: number;
  partitionCount: number;
  /** MSK's base64 of the configs' JSON, as on the wire; `decodeTopicConfigs` reads it. */
  configs?: string;
  status: TopicState;
}

export interface TopicPartitionInfo {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
}

export interface DescribeTopicPartitionsResponse {
  partitions: TopicPartitionInfo[];
  nextToken?: string;
}

// ACLs (Flotilla's own, Kafka's enums by name)

export type AclResourceType = 'TOPIC' | 'GROUP' | 'CLUSTER' | 'TRANSACTIONAL_ID' | 'DELEGATION_TOKEN' | 'USER';
export type AclPatternType = 'LITERAL' | 'PREFIXED';
export type AclOperation =
  | 'ALL'
  | 'READ'
  | 'WRITE'
  | 'CREATE'
  | 'DELETE'
  | 'ALTER'
  | 'DESCRIBE'
  | 'CLUSTER_ACTION'
  | 'DESCRIBE_CONFIGS'
  | 'ALTER_CONFIGS'
  | 'IDEMPOTENT_WRITE'
  | 'CREATE_TOKENS'
  | 'DESCRIBE_TOKENS';
export type AclPermissionType = 'ALLOW' | 'DENY';

export interface Acl {
  resourceType: AclResourceType;
  resourceName: string;
  patternType: AclPatternType;
  /** `User:alice`; `User:*` for every user. */
  principal: string;
  host: string;
  operation: AclOperation;
  permissionType: AclPermissionType;
}

/** CreateAcl: pattern LITERAL, host `*` and ALLOW unless given. */
export interface CreateAclRequest {
  resourceType: AclResourceType;
  resourceName: string;
  patternType?: AclPatternType;
  principal: string;
  host?: string;
  operation: AclOperation;
  permissionType?: AclPermissionType;
}

/** ListAcls / DeleteAcls filter: every member optional; absent matches anything. */
export type AclFilter = Partial<Acl>;

// SCRAM users

export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

export interface ScramUser {
  username: string;
  mechanism: ScramMechanism | (string & {});
  iterations: number;
  creationTime?: string;
}

export interface CreateUserRequest {
  username: string;
  /** 8 to 128 characters; the API stores only SCRAM's salted keys. */
  password: string;
  mechanism?: ScramMechanism;
}

// Consumer groups

export interface ConsumerGroupSummary {
  groupId: string;
  state: string;
  protocolType: string;
}

export interface PartitionLag {
  topic: string;
  partition: number;
  committedOffset: number;
  logEndOffset: number;
  offsetLag: number;
}

export interface ConsumerGroupMember {
  memberId: string;
  groupInstanceId?: string;
  clientId: string;
  clientHost: string;
  assignment: { topic: string; partitions: number[] }[];
}

export interface ConsumerGroup {
  groupId: string;
  state: string;
  protocolType: string;
  protocol: string;
  coordinatorId: number;
  members: ConsumerGroupMember[];
  partitions: PartitionLag[];
  totalOffsetLag: number;
}

export interface ResetOffsetsRequest {
  to: 'earliest' | 'latest' | 'timestamp' | 'offset';
  /** Epoch milliseconds, with `to: 'timestamp'`. */
  timestamp?: number;
  /** With `to: 'offset'` (clamped to each partition's earliest and latest). */
  offset?: number;
  /** Only these topics; default every topic the group has committed offsets for. */
  topics?: string[];
  dryRun?: boolean;
}

export interface ResetOffsetsResponse {
  groupId: string;
  dryRun: boolean;
  partitions: { topic: string; partition: number; previousOffset?: number; newOffset: number }[];
}

// Monitoring

export interface MetricsRequest {
  names?: string[];
  /** ISO 8601 or what the API accepts (e.g. relative times). */
  start?: string;
  end?: string;
  /** Seconds per point. */
  step?: number;
  dimensions?: string;
}

export interface MetricSeries {
  dimensions: Record<string, string>;
  timestamps: string[];
  values: number[];
}

export interface MetricsResponse {
  clusterArn: string;
  start: string;
  end: string;
  step?: number;
  metrics: { name: string; unit: string; series: MetricSeries[] }[];
}

export interface ClusterHealth {
  clusterArn: string;
  clusterState: ClusterState;
  status: 'HEALTHY' | 'DEGRADED' | 'UNHEALTHY' | 'UNKNOWN';
  lastScrape: string | null;
  summary: string;
  problems: { code: string; message: string; brokerId?: number; value: number }[];
}

export type AlarmMetric =
  | 'SumOffsetLag'
  | 'MaxOffsetLag'
  | 'EstimatedMaxTimeLag'
  | 'KafkaDataLogsDiskUsed'
  | 'UnderReplicatedPartitions'
  | 'OfflinePartitionsCount'
  | 'BrokerDown';

export interface Alarm {
  name: string;
  metric: AlarmMetric | (string & {});
  threshold: number;
  comparison: string;
  webhookUrl?: string;
  state: string;
  stateReason?: string;
  stateUpdatedAt?: string;
}

export interface PutAlarmRequest {
  metric: AlarmMetric;
  threshold: number;
  comparison?: 'GreaterThanThreshold' | 'GreaterThanOrEqualToThreshold';
  webhookUrl?: string;
}

export interface UpdateMonitoringRequest {
  currentVersion: string;
  enhancedMonitoring?: EnhancedMonitoring;
  openMonitoring?: Json;
  loggingInfo?: Json;
}

// Events (GET /v1/events, server-sent events)

export interface FlotillaEvent {
  type: 'cluster' | 'operation' | 'operation-step' | (string & {});
  clusterArn: string;
  [member: string]: unknown;
}

// Messages (a topic's records through the API, for the console's browser and quick checks)

export interface ReadMessagesRequest {
  from?: 'earliest' | 'latest' | 'offset' | 'timestamp';
  partition?: number;
  offset?: number;
  /** ISO 8601 or epoch milliseconds, with `from: 'timestamp'`. */
  timestamp?: string;
  /** Only records whose key contains this text. */
  key?: string;
  /** 1 to 500. */
  limit?: number;
}

export interface TopicMessage {
  partition: number;
  /** A decimal string: offsets can pass 2^53. */
  offset: string;
  timestamp: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

export interface ProduceMessageRequest {
  key?: string;
  value: string;
  partition?: number;
  headers?: Record<string, string>;
}

/** GET /v1/clusters/{arn}/certificate-authority (Flotilla's own). */
export interface CertificateAuthority {
  /** PEM of the cluster's CA certificate. */
  certificateAuthority: string;
}

export interface CreateClientCertificateRequest {
  /** The certificate's CN; the client's principal is User:<commonName>. */
  commonName: string;
  /** Default 365. */
  validityDays?: number;
}

/** POST /v1/clusters/{arn}/client-certificates: a certificate and its key (shown once, never stored). */
export interface ClientCertificate {
  commonName: string;
  principal: string;
  certificate: string;
  privateKey: string;
  certificateAuthority: string;
  notAfter: string;
}

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

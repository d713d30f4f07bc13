/**
 * The console's view of apps/api: calls go through @flotilla/sdk's FlotillaClient (the CLI's client) with
 * `Authorization: Bearer <accessKeyId>:<secret>` (what apps/api/src/plugins/auth.ts accepts besides
 * SigV4), and its SdkError (MSK's `message`, `invalidParameter`, exception name) becomes one ApiError
 * the pages can show as they are. Methods keep the console's names and its own, looser response shapes;
 * the newest calls use the SDK's typed methods and types.
 *
 * Shapes of routes other engineers are still adding (topics, messages, ACLs, users, consumer groups,
 * metrics, health, events) follow issues 6-8; a route the API does not have yet answers 404 and the
 * page shows that error instead of pretending.
 */

import { type CreateClientCertificateRequest, FlotillaClient, SdkError } from '@flotilla/sdk';
import type { securityUpdateRequest } from './security.js';

export type { ClientCertificate } from '@flotilla/sdk';

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
    readonly invalidParameter?: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

const STORAGE_KEY = 'flotilla.credentials';

export function loadCredentials(): Credentials | null {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY) ?? localStorage.getItem(STORAGE_KEY);
    return raw ? (JSON.parse(raw) as Credentials) : null;
  } catch {
    return null;
  }
}

export function saveCredentials(credentials: Credentials | null, remember = false): void {
  sessionStorage.removeItem(STORAGE_KEY);
  localStorage.removeItem(STORAGE_KEY);
  if (credentials) (remember ? localStorage : sessionStorage).setItem(STORAGE_KEY, JSON.stringify(credentials));
}

export const enc = encodeURIComponent;

export class Api {
  /** The typed client the CLI uses too; the console sends the key as Bearer (no SigV4 in the browser). */
  readonly client: FlotillaClient;

  constructor(
    readonly credentials: Credentials,
    private readonly onUnauthorized: () => void = () => {},
  ) {
    this.client = new FlotillaClient({ endpoint: location.origin, credentials, auth: 'bearer', timeoutMs: 60_000 });
  }

  /** Runs one SDK call and turns its SdkError into the ApiError the pages show. */
  private async call<T>(method: string, path: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (!(error instanceof SdkError)) throw error;
      if (error.status === 0) {
        throw new ApiError(0, `The API did not answer (${error.message}). Is the control plane running?`);
      }
      if (error.status === 403 && method === 'GET' && path === '/v1/kafka-versions') this.onUnauthorized();
      // The errors plugin's "No route for GET /v1/clusters/arn%3A..." reads badly: name the route instead.
      const route = path.split('?')[0]?.replace(/arn%3A[^/]+/g, '{arn}');
      const noRoute = error.routeMissing || (error.status === 404 && error.type === 'Http404');
      throw new ApiError(
        error.status,
        noRoute ? `This API does not serve ${method} ${route} yet` : error.message,
        error.invalidParameter,
        error.type,
      );
    }
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const answer = await this.call(method, path, () =>
      this.client.request<T | undefined>(method, path, body === undefined ? {} : { body }),
    );
    return answer ?? ({} as T);
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }
  post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }
  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, body);
  }
  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, body);
  }
  delete<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('DELETE', path, body);
  }

  // --- MSK's calls -------------------------------------------------------------------------------
  listClusters = () => this.get<{ clusterInfoList: ClusterV2[] }>('/api/v2/clusters?maxResults=100');
  describeCluster = (arn: string) => this.get<{ clusterInfo: ClusterV2 }>(`/api/v2/clusters/${enc(arn)}`);
  createCluster = (body: unknown) =>
    this.post<{ clusterArn: string; clusterName: string; state: string }>('/api/v2/clusters', body);
  deleteCluster = (arn: string, currentVersion: string) =>
    this.delete<unknown>(`/v1/clusters/${enc(arn)}?currentVersion=${enc(currentVersion)}`);
  bootstrapBrokers = (arn: string) => this.get<BootstrapBrokers>(`/v1/clusters/${enc(arn)}/bootstrap-brokers`);
  listNodes = (arn: string) => this.get<{ nodeInfoList: NodeInfo[] }>(`/v1/clusters/${enc(arn)}/nodes`);
  listOperations = (arn: string) =>
    this.get<{ clusterOperationInfoList: OperationSummary[] }>(`/api/v2/clusters/${enc(arn)}/operations`);
  describeOperation = (arn: string) => this.get<{ clusterOperationInfo: Operation }>(`/api/v2/operations/${enc(arn)}`);
  kafkaVersions = () => this.get<{ kafkaVersions: { version: string; status: string }[] }>('/v1/kafka-versions');
  compatibleVersions = (arn: string) =>
    this.get<{ compatibleKafkaVersions: { sourceVersion: string; targetVersions: string[] }[] }>(
      `/v1/compatible-kafka-versions?clusterArn=${enc(arn)}`,
    );
  listConfigurations = () =>
    this.get<{ configurations: { arn: string; name: string; latestRevision: { revision: number } }[] }>(
      '/v1/configurations',
    );

  // Day-2 operations (issue 7), MSK's paths and bodies.
  updateBrokerCount = (arn: string, currentVersion: string, targetNumberOfBrokerNodes: number) =>
    this.put<ClusterOperationRef>(`/v1/clusters/${enc(arn)}/nodes/count`, {
      currentVersion,
      targetNumberOfBrokerNodes,
    });
  updateBrokerStorage = (arn: string, currentVersion: string, volumeSizeGB: number) =>
    this.put<ClusterOperationRef>(`/v1/clusters/${enc(arn)}/nodes/storage`, {
      currentVersion,
      targetBrokerEBSVolumeInfo: [{ kafkaBrokerNodeId: 'All', volumeSizeGB }],
    });
  updateBrokerType = (arn: string, currentVersion: string, targetInstanceType: string) =>
    this.put<ClusterOperationRef>(`/v1/clusters/${enc(arn)}/nodes/type`, { currentVersion, targetInstanceType });
  updateKafkaVersion = (arn: string, currentVersion: string, targetKafkaVersion: string) =>
    this.put<ClusterOperationRef>(`/v1/clusters/${enc(arn)}/version`, { currentVersion, targetKafkaVersion });
  updateConfiguration = (arn: string, currentVersion: string, configurationInfo: { arn: string; revision: number }) =>
    this.put<ClusterOperationRef>(`/v1/clusters/${enc(arn)}/configuration`, { currentVersion, configurationInfo });
  updateMonitoring = (arn: string, currentVersion: string, enhancedMonitoring: string) =>
    this.put<ClusterOperationRef>(`/v1/clusters/${enc(arn)}/monitoring`, { currentVersion, enhancedMonitoring });
  updateSecurity = (arn: string, currentVersion: string, settings: ReturnType<typeof securityUpdateRequest>) =>
    this.patch<ClusterOperationRef>(`/v1/clusters/${enc(arn)}/security`, { currentVersion, ...settings });
  rebootBroker = (arn: string, brokerIds: string[]) =>
    this.put<ClusterOperationRef>(`/v1/clusters/${enc(arn)}/reboot-broker`, { brokerIds });

  // Topics (MSK's topic calls).
  listTopics = (arn: string) => this.get<{ topics: TopicSummary[] }>(`/v1/clusters/${enc(arn)}/topics`);
  describeTopic = (arn: string, topic: string) =>
    this.get<TopicDescription>(`/v1/clusters/${enc(arn)}/topics/${enc(topic)}`);
  topicPartitions = (arn: string, topic: string) =>
    this.get<{ partitions: TopicPartition[] }>(`/v1/clusters/${enc(arn)}/topics/${enc(topic)}/partitions`);
  createTopic = (
    arn: string,
    body: { topicName: string; partitionCount: number; replicationFactor: number; configs?: string },
  ) => this.post<unknown>(`/v1/clusters/${enc(arn)}/topics`, body);
  updateTopic = (arn: string, topic: string, body: { configs: string; partitionCount?: number }) =>
    this.put<unknown>(`/v1/clusters/${enc(arn)}/topics/${enc(topic)}`, body);
  deleteTopic = (arn: string, topic: string) => this.delete<unknown>(`/v1/clusters/${enc(arn)}/topics/${enc(topic)}`);

  // Flotilla's own resources (issues 6 and 8).
  readMessages = (arn: string, topic: string, q: Record<string, string | number | undefined>) => {
    const query = Object.entries(q)
      .filter(([, v]) => v !== undefined && v !== '')
      .map(([k, v]) => `${k}=${enc(String(v))}`)
      .join('&');
    return this.get<{ messages: Message[] }>(`/v1/clusters/${enc(arn)}/topics/${enc(topic)}/messages?${query}`);
  };
  produceMessage = (
    arn: string,
    topic: string,
    body: { key?: string; value: string; partition?: number; headers?: Record<string, string> },
  ) =>
    this.post<{ partition: number; offset: string | number }>(
      `/v1/clusters/${enc(arn)}/topics/${enc(topic)}/messages`,
      body,
    );
  listGroups = (arn: string) =>
    this.get<{ consumerGroups: GroupSummary[] }>(`/v1/clusters/${enc(arn)}/consumer-groups`);
  describeGroup = (arn: string, group: string) =>
    this.get<GroupDescription>(`/v1/clusters/${enc(arn)}/consumer-groups/${enc(group)}`);
  resetOffsets = (arn: string, group: string, body: Record<string, unknown>) =>
    this.post<{ partitions: ResetPreview[] }>(
      `/v1/clusters/${enc(arn)}/consumer-groups/${enc(group)}/reset-offsets`,
      body,
    );
  listAcls = (arn: string) => this.get<{ acls: Acl[] }>(`/v1/clusters/${enc(arn)}/acls`);
  createAcl = (arn: string, acl: Acl) => this.post<unknown>(`/v1/clusters/${enc(arn)}/acls`, acl);
  deleteAcl = (arn: string, acl: Acl) =>
    this.delete<unknown>(
      `/v1/clusters/${enc(arn)}/acls?${Object.entries(acl)
        .map(([k, v]) => `${k}=${enc(v)}`)
        .join('&')}`,
    );
  listUsers = (arn: string) => this.get<{ users: ScramUser[] }>(`/v1/clusters/${enc(arn)}/users`);
  createUser = (arn: string, body: { username: string; password: string; mechanism: string }) =>
    this.post<unknown>(`/v1/clusters/${enc(arn)}/users`, body);
  rotateUser = (arn: string, username: string, password: string) =>
    this.put<unknown>(`/v1/clusters/${enc(arn)}/users/${enc(username)}`, { password });
  deleteUser = (arn: string, username: string) =>
    this.delete<unknown>(`/v1/clusters/${enc(arn)}/users/${enc(username)}`);
  certificateAuthority = (arn: string) =>
    this.call('GET', `/v1/clusters/${enc(arn)}/certificate-authority`, () => this.client.getCertificateAuthority(arn));
  createClientCertificate = (arn: string, body: CreateClientCertificateRequest) =>
    this.call('POST', `/v1/clusters/${enc(arn)}/client-certificates`, () =>
      this.client.createClientCertificate(arn, body),
    );
  health = (arn: string) => this.get<Health>(`/v1/clusters/${enc(arn)}/health`);
  /** `dimensions`: only series whose dimension text starts with it, e.g. `group=orders,`. */
  metrics = (arn: string, names: string[], start: Date, end: Date, step: number, dimensions?: string) =>
    this.get<{ metrics: Metric[] }>(
      `/v1/clusters/${enc(arn)}/metrics?names=${names.map(enc).join(',')}&start=${enc(start.toISOString())}&end=${enc(end.toISOString())}&step=${step}${dimensions ? `&dimensions=${enc(dimensions)}` : ''}`,
    );
}

// --- shapes ----------------------------------------------------------------------------------------
export interface ClusterV2 {
  clusterArn: string;
  clusterName: string;
  state: string;
  stateInfo?: { code?: string; message?: string };
  currentVersion: string;
  creationTime: string;
  activeOperationArn?: string;
  tags?: Record<string, string>;
  provisioned?: {
    brokerNodeGroupInfo: {
      instanceType?: string;
      clientSubnets?: string[];
      storageInfo?: { ebsStorageInfo?: { volumeSize?: number } };
    };
    currentBrokerSoftwareInfo?: { kafkaVersion?: string; configurationArn?: string; configurationRevision?: number };
    clientAuthentication?: Record<string, unknown>;
    encryptionInfo?: Record<string, unknown>;
    enhancedMonitoring?: string;
    numberOfBrokerNodes: number;
  };
}
export interface BootstrapBrokers {
  bootstrapBrokerString?: string;
  bootstrapBrokerStringTls?: string;
  bootstrapBrokerStringSaslScram?: string;
  bootstrapBrokerStringSaslIam?: string;
  bootstrapBrokerStringPublicTls?: string;
  bootstrapBrokerStringPublicSaslScram?: string;
  [key: string]: string | undefined;
}
export interface NodeInfo {
  nodeARN?: string;
  nodeType?: string;
  instanceType?: string;
  addedToClusterTime?: string;
  brokerNodeInfo?: {
    brokerId?: number;
    clientSubnet?: string;
    clientVpcIpAddress?: string;
    endpoints?: string[];
    currentBrokerSoftwareInfo?: { kafkaVersion?: string };
  };
  // Flotilla's extras where the API adds them (state, leader count, disk use).
  state?: string;
  leaderCount?: number;
  diskUsedBytes?: number;
}
export interface OperationSummary {
  operationArn: string;
  operationType: string;
  operationState: string;
  startTime: string;
  endTime?: string;
}
export interface Operation extends OperationSummary {
  errorInfo?: { errorCode?: string; errorString?: string };
  provisioned?: {
    operationSteps?: { stepName: string; stepInfo?: { stepStatus?: string } }[];
    sourceClusterInfo?: Record<string, unknown>;
    targetClusterInfo?: Record<string, unknown>;
  };
}
export interface ClusterOperationRef {
  clusterArn: string;
  clusterOperationArn: string;
}
export interface TopicSummary {
  topicArn?: string;
  topicName: string;
  partitionCount: number;
  replicationFactor: number;
  outOfSyncReplicaCount?: number;
  underReplicatedPartitions?: number;
  sizeBytes?: number;
}
export interface TopicDescription extends TopicSummary {
  configs?: string;
  status?: string;
}
export interface TopicPartition {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  earliestOffset?: number | string;
  latestOffset?: number | string;
}
export interface Message {
  partition: number;
  offset: number | string;
  timestamp?: string | number;
  key?: string | null;
  value?: string | null;
  headers?: Record<string, string>;
}
export interface GroupSummary {
  groupId: string;
  state?: string;
  protocolType?: string;
  members?: number;
  memberCount?: number;
  sumOffsetLag?: number;
}
export interface GroupDescription {
  groupId: string;
  state: string;
  protocol?: string;
  members?: {
    memberId: string;
    clientId?: string;
    clientHost?: string;
    assignment?: { topic: string; partitions: number[] }[];
  }[];
  partitions?: {
    topic: string;
    partition: number;
    committedOffset?: number;
    logEndOffset?: number;
    offsetLag?: number;
  }[];
  totalOffsetLag?: number;
  /** MSK's lag figures (issue 8); estimatedMaxTimeLag in seconds. */
  lag?: { sumOffsetLag: number; maxOffsetLag: number; estimatedMaxTimeLag: number };
  sumOffsetLag?: number;
  maxOffsetLag?: number;
  estimatedMaxTimeLag?: number;
}
export interface ResetPreview {
  topic: string;
  partition: number;
  previousOffset?: number;
  newOffset: number;
}
export interface Acl {
  resourceType: string;
  resourceName: string;
  patternType: string;
  principal: string;
  host: string;
  operation: string;
  permissionType: string;
}
export interface ScramUser {
  username: string;
  mechanism?: string;
  iterations?: number;
  creationTime?: string;
}
export interface Health {
  status: string;
  summary?: string;
  lastScrape?: string | null;
  problems?: { code?: string; message: string; brokerId?: number }[];
}
export interface MetricSeries {
  name: string;
  dimensions?: Record<string, string>;
  timestamps: (string | number)[];
  values: number[];
}
export interface Metric {
  name: string;
  unit: string;
  series: Omit<MetricSeries, 'name'>[];
}

/** base64 of UTF-8 text (MSK carries topic configs and server.properties as base64). */
export function base64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}
export function unbase64(data: string): string {
  const binary = atob(data);
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

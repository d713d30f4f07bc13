/**
 * FlotillaClient: one method per API call, named after the operation (MSK's operation ids, camelCase),
 * on fetch, so it runs in Node (>= 20) and in browsers. Authentication is SigV4 with an access key (as
 * the AWS SDK signs) or `Authorization: Bearer <accessKeyId>:<secretAccessKey>` (what the console
 * sends); errors are SdkError with the API's exception name.
 *
 * Calls for routes not typed here yet can go through `request()`.
 */
import { SdkError } from './errors.js';
import { type AccessKeyCredentials, signRequest } from './sigv4.js';
import type * as T from './types.js';

export interface FlotillaClientOptions {
  /** The API's base URL, e.g. http://127.0.0.1:8080 (a path prefix is kept). */
  readonly endpoint: string;
  /** An access key: requests are signed with SigV4, or sent as Bearer with `auth: 'bearer'`. */
  readonly credentials?: AccessKeyCredentials;
  /** `sigv4` (default with credentials) or `bearer`. */
  readonly auth?: 'sigv4' | 'bearer';
  /** A Bearer token as is (`<accessKeyId>:<secretAccessKey>`), instead of credentials. */
  readonly token?: string;
  /** The region in the SigV4 scope (the API does not check it; MSK's default). */
  readonly region?: string;
  /** Per-request time limit; 0 for none. Default 30 s. */
  readonly timeoutMs?: number;
  /** A fetch to use instead of the global one (tests, proxies). */
  readonly fetch?: typeof fetch;
  /** Sent with every request (e.g. a user-agent suffix). */
  readonly headers?: Record<string, string>;
}

export interface RequestOptions {
  readonly query?: Record<string, string | number | boolean | readonly string[] | undefined>;
  readonly body?: unknown;
  readonly signal?: AbortSignal;
}

const encoder = new TextEncoder();
const seg = (value: string) => encodeURIComponent(value);

/** base64 of text or bytes, in Node and browsers alike (MSK's blob members travel as base64). */
export function toBase64(value: string | Uint8Array): string {
  const bytes = typeof value === 'string' ? encoder.encode(value) : value;
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** The text of a base64 blob (DescribeConfigurationRevision's serverProperties). */
export function decodeServerProperties(base64: string): string {
  const binary = atob(base64);
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

/** MSK's topic `configs` member: base64 of a JSON object of config names to values. */
export function decodeTopicConfigs(base64: string | undefined): Record<string, string> {
  if (!base64) return {};
  return JSON.parse(decodeServerProperties(base64)) as Record<string, string>;
}

export class FlotillaClient {
  readonly endpoint: URL;
  private readonly options: FlotillaClientOptions;
  private readonly fetchFn: typeof fetch;

  constructor(options: FlotillaClientOptions) {
    this.options = options;
    // A trailing slash so relative paths keep a prefix (http://host/flotilla/ + v1/clusters).
    this.endpoint = new URL(options.endpoint.endsWith('/') ? options.endpoint : `${options.endpoint}/`);
    this.fetchFn = options.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args));
  }

  /**
   * One call: JSON in, JSON out; the parsed body on 2xx (undefined on 204), SdkError otherwise.
   * `path` starts with a slash and carries its own encoding (ARNs are one encoded segment).
   */
  async request<R>(method: string, path: string, options: RequestOptions = {}): Promise<R> {
    const url = new URL(path.replace(/^\//, ''), this.endpoint);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const v of value) url.searchParams.append(key, v);
      else url.searchParams.set(key, String(value));
    }
    const body = options.body === undefined ? undefined : encoder.encode(JSON.stringify(options.body));
    const headers: Record<string, string> = { accept: 'application/json', ...this.options.headers };
    if (body) headers['content-type'] = 'application/json';
    Object.assign(headers, await this.authHeaders(method, url, headers, body));

    const timeoutMs = this.options.timeoutMs ?? 30_000;
    const signals = [options.signal, timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined].filter(
      (s): s is AbortSignal => s !== undefined,
    );
    let response: Response;
    try {
      response = await this.fetchFn(url, {
        method,
        headers,
        ...(body ? { body } : {}),
        ...(signals.length ? { signal: signals.length === 1 ? signals[0] : AbortSignal.any(signals) } : {}),
      });
    } catch (error) {
      if (error instanceof Error && error.name === 'TimeoutError') {
        throw new SdkError(
          'TimeoutError',
          `${method} ${url.pathname}: no answer within ${timeoutMs} ms`,
          0,
          undefined,
          {
            cause: error,
          },
        );
      }
      if (error instanceof Error && error.name === 'AbortError') throw error;
      const reason = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : error;
      throw new SdkError('NetworkError', `cannot reach ${this.endpoint.origin}: ${reason}`, 0, undefined, {
        cause: error,
      });
    }
    return this.readResponse<R>(method, url, response);
  }

  protected async authHeaders(
    method: string,
    url: URL,
    headers: Record<string, string>,
    body: Uint8Array | undefined,
  ): Promise<Record<string, string>> {
    const { credentials, token } = this.options;
    if (token) return { authorization: `Bearer ${token}` };
    if (!credentials) return {};
    if (this.options.auth === 'bearer') {
      return { authorization: `Bearer ${credentials.accessKeyId}:${credentials.secretAccessKey}` };
    }
    return signRequest({
      method,
      url,
      headers,
      body,
      credentials,
      region: this.options.region ?? 'us-east-1',
      service: 'kafka',
    });
  }

  protected async readResponse<R>(method: string, url: URL, response: Response): Promise<R> {
    const text = await response.text();
    let parsed: unknown;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    if (response.ok) {
      if (response.status === 204 || !text) return undefined as R;
      if (parsed === undefined) {
        throw new SdkError('InvalidResponse', `${method} ${url.pathname}: the answer is not JSON`, response.status);
      }
      return parsed as R;
    }
    // AWS may append ":http://..." to the exception name; the name is what comes before.
    const type = response.headers.get('x-amzn-errortype')?.split(':')[0];
    const errorBody = (parsed ?? {}) as { message?: unknown; Message?: unknown; invalidParameter?: unknown };
    const message =
      typeof errorBody.message === 'string'
        ? errorBody.message
        : typeof errorBody.Message === 'string'
          ? errorBody.Message
          : `${method} ${url.pathname}: HTTP ${response.status}${text && parsed === undefined ? ` ${text.slice(0, 200)}` : ''}`;
    throw new SdkError(
      type || (parsed === undefined ? 'InvalidResponse' : `Http${response.status}`),
      message,
      response.status,
      typeof errorBody.invalidParameter === 'string' ? errorBody.invalidParameter : undefined,
    );
  }

  // Clusters (V2)

  createClusterV2(input: T.CreateClusterV2Request): Promise<T.CreateClusterV2Response> {
    return this.request('POST', '/api/v2/clusters', { body: input });
  }

  listClustersV2(input: T.ListClustersV2Request = {}): Promise<T.ListClustersV2Response> {
    return this.request('GET', '/api/v2/clusters', { query: { ...input } });
  }

  async describeClusterV2(clusterArn: string): Promise<T.Cluster> {
    const out = await this.request<{ clusterInfo: T.Cluster }>('GET', `/api/v2/clusters/${seg(clusterArn)}`);
    return out.clusterInfo;
  }

  // Clusters (v1)

  createCluster(input: T.CreateClusterRequest): Promise<T.CreateClusterResponse> {
    return this.request('POST', '/v1/clusters', { body: input });
  }

  listClusters(input: T.ListClustersRequest = {}): Promise<T.ListClustersResponse> {
    return this.request('GET', '/v1/clusters', { query: { ...input } });
  }

  async describeCluster(clusterArn: string): Promise<T.ClusterInfo> {
    const out = await this.request<{ clusterInfo: T.ClusterInfo }>('GET', `/v1/clusters/${seg(clusterArn)}`);
    return out.clusterInfo;
  }

  /** MSK's DeleteCluster; `currentVersion` guards against deleting a cluster someone just changed. */
  deleteCluster(clusterArn: string, currentVersion?: string): Promise<T.DeleteClusterResponse> {
    return this.request('DELETE', `/v1/clusters/${seg(clusterArn)}`, { query: { currentVersion } });
  }

  getBootstrapBrokers(clusterArn: string): Promise<T.GetBootstrapBrokersResponse> {
    return this.request('GET', `/v1/clusters/${seg(clusterArn)}/bootstrap-brokers`);
  }

  /** The cluster's CA certificate (PEM): the truststore for its TLS and SASL_SSL listeners. Flotilla's own. */
  getCertificateAuthority(clusterArn: string): Promise<T.CertificateAuthority> {
    return this.request('GET', `/v1/clusters/${seg(clusterArn)}/certificate-authority`);
  }

  /** A client certificate for mutual TLS, signed by the cluster's CA (its key is returned once). */
  createClientCertificate(clusterArn: string, input: T.CreateClientCertificateRequest): Promise<T.ClientCertificate> {
    return this.request('POST', `/v1/clusters/${seg(clusterArn)}/client-certificates`, { body: input });
  }

  listNodes(clusterArn: string, page: T.Page = {}): Promise<T.ListNodesResponse> {
    return this.request('GET', `/v1/clusters/${seg(clusterArn)}/nodes`, { query: { ...page } });
  }

  // Day-2 updates: accepted only in ACTIVE with the cluster's currentVersion (MSK's optimistic
  // concurrency); each returns the operation to follow with waitForOperation.

  updateBrokerCount(
    clusterArn: string,
    input: { currentVersion: string; targetNumberOfBrokerNodes: number },
  ): Promise<T.ClusterOperationStarted> {
    return this.request('PUT', `/v1/clusters/${seg(clusterArn)}/nodes/count`, { body: input });
  }

  updateBrokerStorage(
    clusterArn: string,
    input: { currentVersion: string; targetBrokerEBSVolumeInfo: T.BrokerEBSVolumeInfo[] },
  ): Promise<T.ClusterOperationStarted> {
    return this.request('PUT', `/v1/clusters/${seg(clusterArn)}/nodes/storage`, { body: input });
  }

  updateBrokerType(
    clusterArn: string,
    input: { currentVersion: string; targetInstanceType: string },
  ): Promise<T.ClusterOperationStarted> {
    return this.request('PUT', `/v1/clusters/${seg(clusterArn)}/nodes/type`, { body: input });
  }

  updateClusterConfiguration(
    clusterArn: string,
    input: { currentVersion: string; configurationInfo: T.ConfigurationInfo },
  ): Promise<T.ClusterOperationStarted> {
    return this.request('PUT', `/v1/clusters/${seg(clusterArn)}/configuration`, { body: input });
  }

  updateClusterKafkaVersion(
    clusterArn: string,
    input: { currentVersion: string; targetKafkaVersion: string; configurationInfo?: T.ConfigurationInfo },
  ): Promise<T.ClusterOperationStarted> {
    return this.request('PUT', `/v1/clusters/${seg(clusterArn)}/version`, { body: input });
  }

  /**
   * MSK's UpdateSecurity: client authentication and client-broker encryption of a running cluster,
   * changed by rolling restarts; `clientAuthentication`, when given, is the whole new setting.
   */
  updateSecurity(clusterArn: string, input: T.UpdateSecurityRequest): Promise<T.ClusterOperationStarted> {
    return this.request('PATCH', `/v1/clusters/${seg(clusterArn)}/security`, { body: input });
  }

  /** MSK's RebootBroker: broker ids as strings, one at a time in MSK today. */
  rebootBroker(clusterArn: string, brokerIds: readonly string[]): Promise<T.ClusterOperationStarted> {
    return this.request('PUT', `/v1/clusters/${seg(clusterArn)}/reboot-broker`, { body: { brokerIds } });
  }

  /** MSK's UpdateStorage (volume size, throughput, storage mode for the whole cluster). */
  updateStorage(
    clusterArn: string,
    input: {
      currentVersion: string;
      volumeSizeGB?: number;
      storageMode?: 'LOCAL' | 'TIERED';
      provisionedThroughput?: T.Json;
    },
  ): Promise<T.ClusterOperationStarted> {
    return this.request('PUT', `/v1/clusters/${seg(clusterArn)}/storage`, { body: input });
  }

  /** MSK's UpdateMonitoring (enhanced monitoring level, open monitoring, logging). */
  updateMonitoring(clusterArn: string, input: T.UpdateMonitoringRequest): Promise<T.ClusterOperationStarted> {
    return this.request('PUT', `/v1/clusters/${seg(clusterArn)}/monitoring`, { body: input });
  }

  // Topics

  listTopics(clusterArn: string, input: T.ListTopicsRequest = {}): Promise<T.ListTopicsResponse> {
    return this.request('GET', `/v1/clusters/${seg(clusterArn)}/topics`, { query: { ...input } });
  }

  describeTopic(clusterArn: string, topicName: string): Promise<T.DescribeTopicResponse> {
    return this.request('GET', `/v1/clusters/${seg(clusterArn)}/topics/${seg(topicName)}`);
  }

  describeTopicPartitions(
    clusterArn: string,
    topicName: string,
    page: T.Page = {},
  ): Promise<T.DescribeTopicPartitionsResponse> {
    return this.request('GET', `/v1/clusters/${seg(clusterArn)}/topics/${seg(topicName)}/partitions`, {
      query: { ...page },
    });
  }

  createTopic(clusterArn: string, input: T.CreateTopicRequest): Promise<T.TopicChange> {
    const { configs, ...rest } = input;
    return this.request('POST', `/v1/clusters/${seg(clusterArn)}/topics`, {
      body: { ...rest, ...(configs ? { configs: toBase64(JSON.stringify(configs)) } : {}) },
    });
  }

  updateTopic(clusterArn: string, topicName: string, input: T.UpdateTopicRequest): Promise<T.TopicChange> {
    const { configs, ...rest } = input;
    return this.request('PUT', `/v1/clusters/${seg(clusterArn)}/topics/${seg(topicName)}`, {
      body: { ...rest, ...(configs ? { configs: toBase64(JSON.stringify(configs)) } : {}) },
    });
  }

  deleteTopic(clusterArn: string, topicName: string): Promise<T.TopicChange> {
    return this.request('DELETE', `/v1/clusters/${seg(clusterArn)}/topics/${seg(topicName)}`);
  }

  // Messages

  async readMessages(
    clusterArn: string,
    topicName: string,
    input: T.ReadMessagesRequest = {},
  ): Promise<T.TopicMessage[]> {
    const out = await this.request<{ messages: T.TopicMessage[] }>(
      'GET',
      `/v1/clusters/${seg(clusterArn)}/topics/${seg(topicName)}/messages`,
      { query: { ...input } },
    );
    return out.messages;
  }

  /** One record, written with acks=all; answers where it went. */
  produceMessage(
    clusterArn: string,
    topicName: string,
    input: T.ProduceMessageRequest,
  ): Promise<{ partition: number; offset: string }> {
    return this.request('POST', `/v1/clusters/${seg(clusterArn)}/topics/${seg(topicName)}/messages`, { body: input });
  }

  // ACLs

  createAcl(clusterArn: string, input: T.CreateAclRequest): Promise<T.Acl> {
    return this.request('POST', `/v1/clusters/${seg(clusterArn)}/acls`, { body: input });
  }

  async listAcls(clusterArn: string, filter: T.AclFilter = {}): Promise<T.Acl[]> {
    const out = await this.request<{ acls: T.Acl[] }>('GET', `/v1/clusters/${seg(clusterArn)}/acls`, {
      query: { ...filter },
    });
    return out.acls;
  }

  /** Deletes every ACL matching the filter (an empty filter matches all) and returns them. */
  async deleteAcls(clusterArn: string, filter: T.AclFilter): Promise<T.Acl[]> {
    const out = await this.request<{ deletedAcls: T.Acl[] }>('DELETE', `/v1/clusters/${seg(clusterArn)}/acls`, {
      query: { ...filter },
    });
    return out.deletedAcls;
  }

  // SCRAM users

  createUser(clusterArn: string, input: T.CreateUserRequest): Promise<T.ScramUser> {
    return this.request('POST', `/v1/clusters/${seg(clusterArn)}/users`, { body: input });
  }

  async listUsers(clusterArn: string): Promise<T.ScramUser[]> {
    const out = await this.request<{ users: T.ScramUser[] }>('GET', `/v1/clusters/${seg(clusterArn)}/users`);
    return out.users;
  }

  rotateUserPassword(clusterArn: string, username: string, password: string): Promise<T.ScramUser> {
    return this.request('PUT', `/v1/clusters/${seg(clusterArn)}/users/${seg(username)}`, { body: { password } });
  }

  async deleteUser(clusterArn: string, username: string): Promise<void> {
    await this.request('DELETE', `/v1/clusters/${seg(clusterArn)}/users/${seg(username)}`);
  }

  // Consumer groups

  async listConsumerGroups(clusterArn: string): Promise<T.ConsumerGroupSummary[]> {
    const out = await this.request<{ consumerGroups: T.ConsumerGroupSummary[] }>(
      'GET',
      `/v1/clusters/${seg(clusterArn)}/consumer-groups`,
    );
    return out.consumerGroups;
  }

  describeConsumerGroup(clusterArn: string, groupId: string): Promise<T.ConsumerGroup> {
    return this.request('GET', `/v1/clusters/${seg(clusterArn)}/consumer-groups/${seg(groupId)}`);
  }

  resetConsumerGroupOffsets(
    clusterArn: string,
    groupId: string,
    input: T.ResetOffsetsRequest,
  ): Promise<T.ResetOffsetsResponse> {
    return this.request('POST', `/v1/clusters/${seg(clusterArn)}/consumer-groups/${seg(groupId)}/reset-offsets`, {
      body: input,
    });
  }

  // Monitoring

  getClusterMetrics(clusterArn: string, input: T.MetricsRequest = {}): Promise<T.MetricsResponse> {
    const { names, ...rest } = input;
    return this.request('GET', `/v1/clusters/${seg(clusterArn)}/metrics`, { query: { ...rest, names } });
  }

  getClusterHealth(clusterArn: string): Promise<T.ClusterHealth> {
    return this.request('GET', `/v1/clusters/${seg(clusterArn)}/health`);
  }

  async listAlarms(clusterArn: string): Promise<T.Alarm[]> {
    const out = await this.request<{ alarms: T.Alarm[] }>('GET', `/v1/clusters/${seg(clusterArn)}/alarms`);
    return out.alarms;
  }

  putAlarm(clusterArn: string, name: string, input: T.PutAlarmRequest): Promise<T.Alarm> {
    return this.request('PUT', `/v1/clusters/${seg(clusterArn)}/alarms/${seg(name)}`, { body: input });
  }

  async deleteAlarm(clusterArn: string, name: string): Promise<void> {
    await this.request('DELETE', `/v1/clusters/${seg(clusterArn)}/alarms/${seg(name)}`);
  }

  // Events

  /**
   * The server-sent-events stream of cluster and operation changes (GET /v1/events), as an async
   * iterator of parsed events; optionally for one cluster. Ends when `signal` aborts or the server
   * closes the stream. Uses fetch's streaming body (not EventSource), so it can sign the request.
   */
  async *events(
    options: {
      clusterArn?: string;
      signal?: AbortSignal;
      /** Called once the server has answered 200: from then on no event is missed. */
      onOpen?: () => void;
    } = {},
  ): AsyncGenerator<T.FlotillaEvent> {
    const url = new URL('v1/events', this.endpoint);
    if (options.clusterArn) url.searchParams.set('clusterArn', options.clusterArn);
    const headers: Record<string, string> = { accept: 'text/event-stream', ...this.options.headers };
    Object.assign(headers, await this.authHeaders('GET', url, headers, undefined));
    let response: Response;
    try {
      response = await this.fetchFn(url, { headers, ...(options.signal ? { signal: options.signal } : {}) });
    } catch (error) {
      if (error instanceof Error && error.name === 'AbortError') return;
      throw new SdkError('NetworkError', `cannot reach ${this.endpoint.origin}: ${String(error)}`, 0, undefined, {
        cause: error,
      });
    }
    if (!response.ok || !response.body) {
      await this.readResponse('GET', url, response);
      return;
    }
    options.onOpen?.();
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block
            .split('\n')
            .filter((line) => line.startsWith('data:'))
            .map((line) => line.slice(5).trimStart())
            .join('\n');
          if (data) yield JSON.parse(data) as T.FlotillaEvent;
        }
      }
    } catch (error) {
      if (error instanceof Error && error.name === 'AbortError') return;
      throw error;
    } finally {
      reader.cancel().catch(() => {});
    }
  }

  // Operations

  listClusterOperationsV2(clusterArn: string, page: T.Page = {}): Promise<T.ListClusterOperationsV2Response> {
    return this.request('GET', `/api/v2/clusters/${seg(clusterArn)}/operations`, { query: { ...page } });
  }

  async describeClusterOperationV2(clusterOperationArn: string): Promise<T.ClusterOperationV2> {
    const out = await this.request<T.DescribeClusterOperationV2Response>(
      'GET',
      `/api/v2/operations/${seg(clusterOperationArn)}`,
    );
    return out.clusterOperationInfo;
  }

  listClusterOperations(clusterArn: string, page: T.Page = {}): Promise<T.ListClusterOperationsResponse> {
    return this.request('GET', `/v1/clusters/${seg(clusterArn)}/operations`, { query: { ...page } });
  }

  async describeClusterOperation(clusterOperationArn: string): Promise<T.ClusterOperationInfo> {
    const out = await this.request<{ clusterOperationInfo: T.ClusterOperationInfo }>(
      'GET',
      `/v1/operations/${seg(clusterOperationArn)}`,
    );
    return out.clusterOperationInfo;
  }

  // Configurations

  createConfiguration(input: T.CreateConfigurationRequest): Promise<T.CreateConfigurationResponse> {
    return this.request('POST', '/v1/configurations', {
      body: { ...input, serverProperties: toBase64(input.serverProperties) },
    });
  }

  listConfigurations(page: T.Page = {}): Promise<T.ListConfigurationsResponse> {
    return this.request('GET', '/v1/configurations', { query: { ...page } });
  }

  describeConfiguration(arn: string): Promise<T.Configuration> {
    return this.request('GET', `/v1/configurations/${seg(arn)}`);
  }

  updateConfiguration(arn: string, input: T.UpdateConfigurationRequest): Promise<T.UpdateConfigurationResponse> {
    return this.request('PUT', `/v1/configurations/${seg(arn)}`, {
      body: { ...input, serverProperties: toBase64(input.serverProperties) },
    });
  }

  deleteConfiguration(arn: string): Promise<T.DeleteConfigurationResponse> {
    return this.request('DELETE', `/v1/configurations/${seg(arn)}`);
  }

  listConfigurationRevisions(arn: string, page: T.Page = {}): Promise<T.ListConfigurationRevisionsResponse> {
    return this.request('GET', `/v1/configurations/${seg(arn)}/revisions`, { query: { ...page } });
  }

  describeConfigurationRevision(arn: string, revision: number): Promise<T.DescribeConfigurationRevisionResponse> {
    return this.request('GET', `/v1/configurations/${seg(arn)}/revisions/${revision}`);
  }

  // Versions

  listKafkaVersions(page: T.Page = {}): Promise<T.ListKafkaVersionsResponse> {
    return this.request('GET', '/v1/kafka-versions', { query: { ...page } });
  }

  getCompatibleKafkaVersions(clusterArn?: string): Promise<T.GetCompatibleKafkaVersionsResponse> {
    return this.request('GET', '/v1/compatible-kafka-versions', { query: { clusterArn } });
  }

  // Tags

  async tagResource(resourceArn: string, tags: T.Tags): Promise<void> {
    await this.request('POST', `/v1/tags/${seg(resourceArn)}`, { body: { tags } });
  }

  async untagResource(resourceArn: string, tagKeys: readonly string[]): Promise<void> {
    await this.request('DELETE', `/v1/tags/${seg(resourceArn)}`, { query: { tagKeys } });
  }

  async listTagsForResource(resourceArn: string): Promise<T.Tags> {
    const out = await this.request<T.ListTagsForResourceResponse>('GET', `/v1/tags/${seg(resourceArn)}`);
    return out.tags;
  }

  /** The API's liveness check (no authentication needed). */
  health(): Promise<{ status: string }> {
    return this.request('GET', '/health');
  }
}

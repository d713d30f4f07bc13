/**
 * Reaching the active controller from a broker that is not it.
 *
 * As Kafka does (KIP-590), a broker forwards a controller-bound admin request to the active controller
 * wrapped in Envelope with the client's principal and address: the controller runs the very handler
 * the client would have reached on a single broker (handlers/58-envelope.ts), authorizing it as the
 * client; the inner response goes back to the client unchanged. Sending the bare request would have
 * been simpler, but the controller would then authorize the forwarding broker, not the client.
 *
 * Broker code that calls the controller directly (auto topic creation, __consumer_offsets, producer id
 * blocks) uses `ForwardingController`: the same `Controller` methods, run locally on the active
 * controller and sent as CreateTopics / DeleteTopics / AllocateProducerIds to it from anywhere else.
 */
import { isIPv4, isIPv6 } from 'node:net';
import {
  ApiKey,
  decodeResponseFrame,
  defaultCreateTopicsRequest,
  defaultDeleteTopicsRequest,
  ErrorCode,
  encodeRequestFrame,
  KafkaError,
  type RequestTypes,
} from '@flotilla/protocol';
import type { Controller, CreateTopicRequest, TopicResult } from '../metadata/controller.js';
import type { MetadataRecord } from '../metadata/records.js';
import type { RequestContext } from '../network/connection.js';
import type { ControllerChannel } from './controller-channel.js';
import type { MetadataQuorum } from './quorum.js';

/** Requests a non-controller broker forwards (Kafka's forwardable admin APIs that we serve). */
export const FORWARDED_API_KEYS: ReadonlySet<number> = new Set([
  ApiKey.CreateTopics,
  ApiKey.DeleteTopics,
  ApiKey.AlterConfigs,
  ApiKey.CreatePartitions,
  ApiKey.IncrementalAlterConfigs,
  ApiKey.ElectLeaders,
  ApiKey.AlterPartitionReassignments,
  ApiKey.AlterPartition,
  ApiKey.CreateAcls,
  ApiKey.DeleteAcls,
  ApiKey.AlterUserScramCredentials,
  ApiKey.AlterClientQuotas,
  ApiKey.UnregisterBroker,
  ApiKey.DescribeQuorum,
]);

/** True when any errorCode in the response is NOT_CONTROLLER: the request met a stale controller. */
export function mentionsNotController(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(mentionsNotController);
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'errorCode' && v === ErrorCode.NOT_CONTROLLER) return true;
      if (typeof v === 'object' && mentionsNotController(v)) return true;
    }
  }
  return false;
}

/** Java's InetAddress bytes for an address: 4 for IPv4 (also IPv4-mapped IPv6), 16 for IPv6. */
export function addressBytes(address: string): Buffer {
  const v4 = address.replace(/^::ffff:/, '');
  if (isIPv4(v4)) return Buffer.from(v4.split('.').map(Number));
  if (isIPv6(address)) {
    const [head = '', tail = ''] = address.split('::');
    const left = head ? head.split(':') : [];
    const right = tail ? tail.split(':') : [];
    const groups = [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
    const out = Buffer.alloc(16);
    groups.forEach((g, i) => {
      out.writeUInt16BE(Number.parseInt(g || '0', 16), i * 2);
    });
    return out;
  }
  return Buffer.alloc(0);
}

export class RequestForwarder {
  constructor(
    private readonly quorum: MetadataQuorum,
    private readonly channel: ControllerChannel,
  ) {}

  /**
   * The active controller's response to this request, or undefined when it is handled here. The
   * request travels in an Envelope (KIP-590) with the client's principal and address, so the
   * controller authorizes it as the client.
   */
  forward(ctx: RequestContext, body: unknown): Promise<unknown> | undefined {
    const { header } = ctx;
    if (!FORWARDED_API_KEYS.has(header.apiKey) || this.quorum.isActive) return undefined;
    const apiKey = header.apiKey as ApiKey;
    const requestData = encodeRequestFrame(
      { apiKey, apiVersion: header.apiVersion, correlationId: header.correlationId, clientId: header.clientId },
      body as RequestTypes[ApiKey],
    ).subarray(4);
    return this.channel
      .request(
        ApiKey.Envelope,
        {
          requestData,
          requestPrincipal: Buffer.from(ctx.connection.principal),
          clientHostAddress: addressBytes(ctx.connection.remoteAddress),
        },
        // A controller that lost leadership answers NOT_CONTROLLER in the envelope or in the inner response.
        {
          isNotController: (r) =>
            r.errorCode === ErrorCode.NOT_CONTROLLER ||
            (r.responseData !== null &&
              mentionsNotController(decodeResponseFrame(r.responseData, apiKey, header.apiVersion).body)),
        },
      )
      .then((r) => {
        if (r.errorCode !== 0 || r.responseData === null) {
          throw new KafkaError(r.errorCode || ErrorCode.UNKNOWN_SERVER_ERROR, 'forwarding to the controller failed');
        }
        return decodeResponseFrame(r.responseData, apiKey, header.apiVersion).body;
      });
  }
}

export class ForwardingController implements Controller {
  constructor(
    private readonly local: Controller,
    private readonly quorum: MetadataQuorum,
    private readonly channel: ControllerChannel,
    private readonly brokerEpoch: () => number,
  ) {}

  async createTopics(requests: readonly CreateTopicRequest[], validateOnly: boolean): Promise<TopicResult[]> {
    if (this.quorum.isActive) return this.local.createTopics(requests, validateOnly);
    const response = await this.channel.request(
      ApiKey.CreateTopics,
      {
        ...defaultCreateTopicsRequest(),
        timeoutMs: 30_000,
        validateOnly,
        topics: requests.map((r) => ({
          name: r.name,
          numPartitions: r.numPartitions,
          replicationFactor: r.replicationFactor,
          assignments: r.assignments.map((a) => ({ partitionIndex: a.partitionIndex, brokerIds: [...a.brokerIds] })),
          configs: r.configs.map((c) => ({ name: c.name, value: c.value })),
        })),
      },
      { version: 7, isNotController: mentionsNotController },
    );
    return response.topics.map((t) => ({
      name: t.name,
      errorCode: t.errorCode,
      errorMessage: t.errorMessage,
      topicId: t.topicId,
      numPartitions: t.numPartitions,
      replicationFactor: t.replicationFactor,
    }));
  }

  async deleteTopics(names: readonly string[]): Promise<TopicResult[]> {
    if (this.quorum.isActive) return this.local.deleteTopics(names);
    const response = await this.channel.request(
      ApiKey.DeleteTopics,
      { ...defaultDeleteTopicsRequest(), timeoutMs: 30_000, topicNames: [...names] },
      { version: 5, isNotController: mentionsNotController },
    );
    return response.responses.map((r) => ({
      name: r.name ?? '',
      errorCode: r.errorCode,
      errorMessage: r.errorMessage,
      topicId: r.topicId,
    }));
  }

  async allocateProducerIds(brokerId: number, count: number): Promise<{ first: number; count: number }> {
    if (this.quorum.isActive) return this.local.allocateProducerIds(brokerId, count);
    const response = await this.channel.request(
      ApiKey.AllocateProducerIds,
      { brokerId, brokerEpoch: BigInt(this.brokerEpoch()) },
      { isNotController: (r) => r.errorCode === ErrorCode.NOT_CONTROLLER },
    );
    if (response.errorCode !== 0) throw new KafkaError(response.errorCode, 'AllocateProducerIds failed');
    return { first: Number(response.producerIdStart), count: response.producerIdLen };
  }

  /** Only the active controller writes; elsewhere requests that commit were forwarded before reaching here. */
  commit(plan: () => readonly MetadataRecord[]): Promise<void> {
    if (this.quorum.isActive) return this.local.commit(plan);
    return Promise.reject(
      new KafkaError(ErrorCode.NOT_CONTROLLER, `node ${this.quorum.nodeId} is not the active controller`),
    );
  }

  planTopic(req: CreateTopicRequest, pending?: ReadonlySet<string>) {
    return this.local.planTopic(req, pending);
  }
  planPartitions(name: string, count: number, assignments: readonly (readonly number[])[] | null) {
    return this.local.planPartitions(name, count, assignments);
  }
  planTopicConfigs(...args: Parameters<Controller['planTopicConfigs']>) {
    return this.local.planTopicConfigs(...args);
  }
  planBrokerConfigs(resourceName: string, set: ReadonlyMap<string, string | null>) {
    return this.local.planBrokerConfigs(resourceName, set);
  }
  placeReplicas(partitions: number, replicationFactor: number, firstPartition: number) {
    return this.local.placeReplicas(partitions, replicationFactor, firstPartition);
  }
}

/**
 * Metadata (key 3), v0-12. Brokers with the endpoint of the listener the client came in on, the
 * cluster id, the controller, and topics with topic ids (v10+), leader epochs (v7+) and offline
 * replicas (v5+). Topics can be named (or, from v10, given by id); a null list (v1+) means all.
 * Unknown topics are created on the spot when auto.create.topics.enable is on and the request allows it.
 */
import {
  ApiKey,
  defaultMetadataResponse,
  defaultMetadataResponseTopic,
  ErrorCode,
  type MetadataResponseTopic,
  ZERO_UUID,
} from '@flotilla/protocol';
import { isInternalTopic, topicNameProblem } from '../metadata/controller.js';
import type { TopicInfo } from '../metadata/image.js';
import { AclOperation, CLUSTER_RESOURCE_NAME, ResourceType } from '../security/acl.js';
import { authorized, authorizedOnCluster, authorizedOperations } from '../security/request-authorization.js';
import { defineHandler } from './types.js';

/** Authorized-operations value when the client did not ask for them (Integer.MIN_VALUE). */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

export default defineHandler({
  apiKey: ApiKey.Metadata,
  minVersion: 0,
  maxVersion: 12,
  async handle(ctx, request) {
    const { image, config } = ctx.broker;
    const v = ctx.apiVersion;
    const all = request.topics === null || (v === 0 && request.topics.length === 0);
    const topics: MetadataResponseTopic[] = [];
    // Topics the caller may not describe are hidden from "all topics" and refused when named, before
    // their existence is checked (so the answer does not tell whether they exist). Auto-creation needs
    // Create on the cluster or on the topic.
    const describable = (name: string) => authorized(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, name);
    const createOnCluster = authorizedOnCluster(ctx, AclOperation.CREATE);
    const creatable = (name: string) =>
      createOnCluster || authorized(ctx, AclOperation.CREATE, ResourceType.TOPIC, name);
    const withOperations = v >= 8 && request.includeTopicAuthorizedOperations;
    const describe = (t: TopicInfo): MetadataResponseTopic => ({
      ...describeTopic(t, ctx.broker.nodeId),
      topicAuthorizedOperations: withOperations
        ? authorizedOperations(ctx, ResourceType.TOPIC, t.name)
        : AUTHORIZED_OPERATIONS_OMITTED,
    });
    const refused = (name: string | null, topicId: string): MetadataResponseTopic => ({
      ...defaultMetadataResponseTopic(),
      name,
      topicId: name === null ? topicId : ZERO_UUID,
      errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
      topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
    });

    if (all) {
      for (const t of image.topics.values()) if (describable(t.name)) topics.push(describe(t));
    } else {
      const wanted = request.topics ?? [];
      const autoCreate = config.bool('auto.create.topics.enable') && (v < 4 || request.allowAutoTopicCreation);
      const missing = wanted
        .map((t) => t.name)
        .filter(
          (n): n is string =>
            n !== null &&
            !image.topics.has(n) &&
            topicNameProblem(n) === null &&
            !isInternalTopic(n) &&
            describable(n) &&
            creatable(n),
        );
      if (autoCreate && missing.length > 0) await ctx.broker.autoCreateTopics(missing);
      for (const t of wanted) {
        const topic = t.name !== null ? image.topics.get(t.name) : image.topicsById.get(t.topicId);
        const name = t.name ?? topic?.name ?? null;
        if (name !== null && !describable(name)) topics.push(refused(t.name, t.topicId));
        else if (topic) topics.push(describe(topic));
        else if (autoCreate && t.name !== null && !creatable(t.name) && topicNameProblem(t.name) === null) {
          topics.push(refused(t.name, t.topicId));
        } else {
          const invalid = t.name !== null && topicNameProblem(t.name) !== null;
          topics.push({
            ...defaultMetadataResponseTopic(),
            name: t.name,
            topicId: t.name === null ? t.topicId : ZERO_UUID,
            errorCode:
              t.name === null
                ? ErrorCode.UNKNOWN_TOPIC_ID
                : invalid
                  ? ErrorCode.INVALID_TOPIC_EXCEPTION
                  : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
          });
        }
      }
    }

    const brokers = [...image.brokers.values()]
      .filter((b) => !b.fenced)
      .flatMap((b) => {
        const endpoint = b.endpoints.find((e) => e.name === ctx.connection.listenerName) ?? b.endpoints[0];
        return endpoint ? [{ nodeId: b.id, host: endpoint.host, port: endpoint.port, rack: b.rack }] : [];
      });
    return {
      ...defaultMetadataResponse(),
      brokers,
      clusterId: image.clusterId,
      controllerId: ctx.broker.controllerId?.() ?? ctx.broker.nodeId,
      topics,
      clusterAuthorizedOperations:
        v >= 8 && v <= 10 && request.includeClusterAuthorizedOperations
          ? authorizedOperations(ctx, ResourceType.CLUSTER, CLUSTER_RESOURCE_NAME)
          : AUTHORIZED_OPERATIONS_OMITTED,
    };
  },
});

function describeTopic(t: TopicInfo, _nodeId: number): MetadataResponseTopic {
  return {
    ...defaultMetadataResponseTopic(),
    errorCode: 0,
    name: t.name,
    topicId: t.id,
    isInternal: isInternalTopic(t.name),
    partitions: t.partitions.map((p) => ({
      errorCode: p.leader < 0 ? ErrorCode.LEADER_NOT_AVAILABLE : 0,
      partitionIndex: p.partitionId,
      leaderId: p.leader,
      leaderEpoch: p.leaderEpoch,
      replicaNodes: p.replicas,
      isrNodes: p.isr,
      offlineReplicas: [],
    })),
    topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  };
}

/**
 * The one call a handler makes to check a request against the authorizer: who asks (the connection's
 * principal and address) and what they want (an operation on a resource). Without an authorizer every
 * check passes.
 */
import { ErrorCode } from '@flotilla/protocol';
import type { HandlerContext } from '../handlers/types.js';
import { AclOperation, CLUSTER_RESOURCE_NAME, ResourceType } from './acl.js';
import { aclHost, type Requester } from './authorizer.js';

export function requester(ctx: HandlerContext): Requester {
  return { principal: ctx.connection.principal, host: aclHost(ctx.connection.remoteAddress) };
}

/** Whether the caller may do `operation` on the named resource. */
export function authorized(ctx: HandlerContext, operation: number, resourceType: number, name: string): boolean {
  return ctx.broker.authorizer.authorize(requester(ctx), operation, resourceType, name);
}

/** Whether the caller may do `operation` on the cluster. */
export function authorizedOnCluster(ctx: HandlerContext, operation: number): boolean {
  return authorized(ctx, operation, ResourceType.CLUSTER, CLUSTER_RESOURCE_NAME);
}

/** Whether the caller may do `operation` on some resource of the type (KIP-679). */
export function authorizedOnAny(ctx: HandlerContext, operation: number, resourceType: number): boolean {
  return ctx.broker.authorizer.authorizeByResourceType(requester(ctx), operation, resourceType);
}

/**
 * Fetch's check per topic: a follower (replica id >= 0) needs ClusterAction on the cluster, a consumer
 * Read on the topic. Kafka answers a follower without ClusterAction TOPIC_AUTHORIZATION_FAILED for every
 * partition (KafkaApis.handleFetchRequest), not a cluster-level error.
 */
export function fetchDenial(ctx: HandlerContext, replicaId: number): (topic: string) => number {
  if (replicaId >= 0) {
    const allowed = authorizedOnCluster(ctx, AclOperation.CLUSTER_ACTION);
    return () => (allowed ? 0 : ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  }
  return (topic) => topicDenial(ctx, AclOperation.READ, topic);
}

/**
 * OffsetForLeaderEpoch's check per topic: ClusterAction on the cluster (the API began as broker-to-broker)
 * or, since KIP-320 made consumers use it, Describe on the topic, whoever asks; else
 * TOPIC_AUTHORIZATION_FAILED (KafkaApis.handleOffsetForLeaderEpochRequest).
 */
export function clusterActionOrDescribeDenial(ctx: HandlerContext): (topic: string) => number {
  if (authorizedOnCluster(ctx, AclOperation.CLUSTER_ACTION)) return () => 0;
  return (topic) => topicDenial(ctx, AclOperation.DESCRIBE, topic);
}

/** 0 when the caller may do `operation` on the topic, else TOPIC_AUTHORIZATION_FAILED. */
export function topicDenial(ctx: HandlerContext, operation: number, topic: string): number {
  return authorized(ctx, operation, ResourceType.TOPIC, topic) ? 0 : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
}

/** 0 when the caller may do `operation` on the group, else GROUP_AUTHORIZATION_FAILED. */
export function groupDenial(ctx: HandlerContext, operation: number, group: string): number {
  return authorized(ctx, operation, ResourceType.GROUP, group) ? 0 : ErrorCode.GROUP_AUTHORIZATION_FAILED;
}

/** 0 when the caller may do `operation` on the cluster, else CLUSTER_AUTHORIZATION_FAILED. */
export function clusterDenial(ctx: HandlerContext, operation: number): number {
  return authorizedOnCluster(ctx, operation) ? 0 : ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
}

/** Config resources (DescribeConfigs, AlterConfigs): topics by topic ACLs, brokers and loggers by the cluster's. */
export function configResourceDenial(
  ctx: HandlerContext,
  operation: number,
  configResourceType: number,
  name: string,
): number {
  const TOPIC_CONFIG_RESOURCE = 2;
  return configResourceType === TOPIC_CONFIG_RESOURCE
    ? topicDenial(ctx, operation, name)
    : clusterDenial(ctx, operation);
}

/** The operations Kafka reports per resource type in authorizedOperations (KIP-430). */
const REPORTED_OPERATIONS: ReadonlyMap<number, readonly number[]> = new Map([
  [
    ResourceType.TOPIC,
    [
      AclOperation.READ,
      AclOperation.WRITE,
      AclOperation.CREATE,
      AclOperation.DELETE,
      AclOperation.ALTER,
      AclOperation.DESCRIBE,
      AclOperation.DESCRIBE_CONFIGS,
      AclOperation.ALTER_CONFIGS,
    ],
  ],
  [ResourceType.GROUP, [AclOperation.READ, AclOperation.DESCRIBE, AclOperation.DELETE]],
  [
    ResourceType.CLUSTER,
    [
      AclOperation.CREATE,
      AclOperation.CLUSTER_ACTION,
      AclOperation.DESCRIBE_CONFIGS,
      AclOperation.ALTER_CONFIGS,
      AclOperation.IDEMPOTENT_WRITE,
      AclOperation.ALTER,
      AclOperation.DESCRIBE,
    ],
  ],
]);

/** The authorizedOperations bit set (bit n = AclOperation n) of a resource for the caller. */
export function authorizedOperations(ctx: HandlerContext, resourceType: number, name: string): number {
  let bits = 0;
  for (const op of REPORTED_OPERATIONS.get(resourceType) ?? []) {
    if (authorized(ctx, op, resourceType, name)) bits |= 1 << op;
  }
  return bits;
}

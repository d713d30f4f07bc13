/**
 * How the routes under a cluster ARN (topics, ACLs, users, consumer groups) reach the cluster's brokers:
 * the cluster must exist (404) and be in a state that serves clients (MSK's BadRequestException
 * otherwise); a ClusterAdmin on the cluster's control-plane endpoint is opened for the call and closed after it.
 * Kafka's error codes become MSK error shapes, so a caller sees 409 for TOPIC_ALREADY_EXISTS and 404 for
 * an unknown topic, not a 500.
 */
import type { Cluster } from '@flotilla/db';
import { ClientError, ErrorCode, KafkaError } from '@flotilla/protocol';
import { ClusterAdmin, hasBrokerAddresses, requireClusterEndpoint } from '@flotilla/worker';
import { ApiError, badRequest, conflict, notFound } from '../lib/errors.js';
import type { Services } from './context.js';

/** States in which brokers answer clients (reads); mutations need ACTIVE, as every MSK update does. */
const SERVING = new Set(['ACTIVE', 'UPDATING', 'REBOOTING_BROKER', 'HEALING', 'MAINTENANCE']);

export async function requireServingCluster(s: Services, arn: string, mutation: boolean): Promise<Cluster> {
  const cluster = await s.catalog.cluster.findUnique({ where: { arn } });
  if (!cluster) throw notFound(`Cluster ${arn} does not exist`, 'clusterArn');
  const ok = mutation ? cluster.state === 'ACTIVE' : SERVING.has(cluster.state);
  if (!ok || !hasBrokerAddresses(cluster)) {
    throw badRequest(
      `The request is not allowed while the cluster is in state ${cluster.state}${mutation ? ' (it must be ACTIVE)' : ''}`,
      'clusterArn',
    );
  }
  return cluster;
}

/** Runs `use` with an admin client on the cluster's brokers, mapping Kafka and network errors. */
export async function withCluster<T>(
  s: Services,
  arn: string,
  options: { mutation: boolean },
  use: (admin: ClusterAdmin, cluster: Cluster) => Promise<T>,
): Promise<T> {
  const cluster = await requireServingCluster(s, arn, options.mutation);
  // The control plane's endpoint: its own SCRAM listener on a secured cluster (worker cluster-endpoint.ts).
  const admin = new ClusterAdmin(requireClusterEndpoint(cluster, s.box));
  try {
    return await use(admin, cluster);
  } catch (error) {
    throw toApiError(error);
  } finally {
    await admin.close();
  }
}

const BAD_REQUEST: ReadonlySet<number> = new Set([
  ErrorCode.INVALID_TOPIC_EXCEPTION,
  ErrorCode.INVALID_PARTITIONS,
  ErrorCode.INVALID_REPLICATION_FACTOR,
  ErrorCode.INVALID_REPLICA_ASSIGNMENT,
  ErrorCode.INVALID_CONFIG,
  ErrorCode.INVALID_REQUEST,
  ErrorCode.POLICY_VIOLATION,
  ErrorCode.INVALID_GROUP_ID,
  ErrorCode.UNACCEPTABLE_CREDENTIAL,
  ErrorCode.INVALID_TIMESTAMP,
]);

export function toApiError(error: unknown): unknown {
  if (error instanceof ApiError) return error;
  if (error instanceof KafkaError) {
    const code = error.errorCode;
    if (code === ErrorCode.TOPIC_ALREADY_EXISTS || code === ErrorCode.DUPLICATE_RESOURCE)
      return conflict(error.message);
    if (code === ErrorCode.NON_EMPTY_GROUP) return conflict(error.message, 'groupId');
    if (code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return notFound(error.message, 'topicName');
    if (code === ErrorCode.GROUP_ID_NOT_FOUND) return notFound(error.message, 'groupId');
    if (code === ErrorCode.RESOURCE_NOT_FOUND) return notFound(error.message);
    if (code === ErrorCode.SECURITY_DISABLED)
      return badRequest(`The cluster has no authorizer or SCRAM enabled (${error.message})`);
    if (BAD_REQUEST.has(code)) return badRequest(error.message);
    if (
      code === ErrorCode.CLUSTER_AUTHORIZATION_FAILED ||
      code === ErrorCode.TOPIC_AUTHORIZATION_FAILED ||
      code === ErrorCode.GROUP_AUTHORIZATION_FAILED
    )
      return new ApiError('ForbiddenException', `The brokers refused the control plane: ${error.message}`);
    return new ApiError('ServiceUnavailableException', `The brokers answered ${error.message}`);
  }
  if (error instanceof ClientError) {
    return new ApiError('ServiceUnavailableException', `The cluster's brokers cannot be reached: ${error.message}`);
  }
  return error;
}

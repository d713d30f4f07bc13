/**
 * Shared by the controller listener's quorum handlers (Vote, BeginQuorumEpoch, EndQuorumEpoch, Fetch on
 * __cluster_metadata, FetchSnapshot): they all hand the request to the node's MetadataQuorum, which
 * answers from the Raft state machine. A node without a quorum does not list these APIs at all.
 *
 * Kafka's ControllerApis lets only the cluster's own principal use them: ClusterAction on the cluster
 * (DescribeQuorum: Describe; UnregisterBroker: Alter). On a PLAINTEXT controller listener every peer
 * runs as the cluster principal (raft/controller-listener.ts), so the check matters once that listener
 * authenticates (SASL/SSL) and an authorizer is on.
 */
import { ErrorCode, KafkaError } from '@flotilla/protocol';
import { AclOperation } from '../security/acl.js';
import { authorizedOnCluster } from '../security/request-authorization.js';
import type { QuorumServices } from '../services.js';
import type { HandlerContext } from './types.js';

export function quorumOf(ctx: HandlerContext): QuorumServices {
  const q = ctx.broker.quorum;
  if (!q) throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, 'this node is not part of a controller quorum');
  return q;
}

/** Whether the caller may use a controller RPC that needs `operation` on the cluster (CLUSTER_ACTION by default). */
export function quorumPeerAllowed(ctx: HandlerContext, operation: number = AclOperation.CLUSTER_ACTION): boolean {
  return authorizedOnCluster(ctx, operation);
}

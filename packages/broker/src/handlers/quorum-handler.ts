/**
 * Shared by the controller listener's quorum handlers (Vote, BeginQuorumEpoch, EndQuorumEpoch, Fetch on
 * __cluster_metadata, FetchSnapshot): they all hand the request to the node's MetadataQuorum, which
 * answers from the Raft state machine. A node without a quorum does not list these APIs at all.
 */
import { ErrorCode, KafkaError } from '@flotilla/protocol';
import type { QuorumServices } from '../services.js';
import type { HandlerContext } from './types.js';

export function quorumOf(ctx: HandlerContext): QuorumServices {
  const q = ctx.broker.quorum;
  if (!q) throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, 'this node is not part of a controller quorum');
  return q;
}

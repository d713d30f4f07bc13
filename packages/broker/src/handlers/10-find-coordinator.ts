/**
 * FindCoordinator (key 10), v0-6; v4+ looks up a batch of keys. Group keys (type 0) are answered with
 * the leader of the group's __consumer_offsets partition, transaction keys (type 1) with the leader of
 * the transactional id's __transaction_state partition; both topics are created on first use. While
 * this broker is still loading that partition the answer is COORDINATOR_NOT_AVAILABLE. Differs from
 * Kafka: the partition this request itself created is waited for rather than answered with a
 * retriable error.
 */
import { ApiKey, defaultFindCoordinatorResponse, ErrorCode } from '@flotilla/protocol';
import type { CoordinatorAnswer } from '../group/coordinator.js';
import { AclOperation, ResourceType } from '../security/acl.js';
import { authorized } from '../security/request-authorization.js';
import { defineHandler, type HandlerContext } from './types.js';

const GROUP_KEY = 0;
const TRANSACTION_KEY = 1;

async function coordinatorFor(ctx: HandlerContext, key: string, keyType: number): Promise<CoordinatorAnswer> {
  const none = { nodeId: -1, host: '', port: -1 };
  if (keyType !== GROUP_KEY && keyType !== TRANSACTION_KEY)
    return { ...none, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unknown coordinator type ${keyType}.` };
  // Describe on the group or transactional id the key names (Kafka's KafkaApis.getCoordinator).
  const resourceType = keyType === GROUP_KEY ? ResourceType.GROUP : ResourceType.TRANSACTIONAL_ID;
  if (!authorized(ctx, AclOperation.DESCRIBE, resourceType, key)) {
    const errorCode =
      keyType === GROUP_KEY ? ErrorCode.GROUP_AUTHORIZATION_FAILED : ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
    return { ...none, errorCode, errorMessage: null };
  }
  const listeners = ctx.broker.advertisedListeners();
  const self = listeners.find((l) => l.name === ctx.connection.listenerName) ?? listeners[0];
  if (keyType === TRANSACTION_KEY)
    return ctx.broker.transactions.findCoordinator(key, ctx.connection.listenerName, self);
  return ctx.broker.groups.findCoordinator(key, ctx.connection.listenerName, self);
}

export default defineHandler({
  apiKey: ApiKey.FindCoordinator,
  minVersion: 0,
  maxVersion: 6,
  async handle(ctx, request) {
    const v = ctx.apiVersion;
    const keyType = v >= 1 ? request.keyType : GROUP_KEY;
    if (v >= 4) {
      const coordinators = await Promise.all(
        request.coordinatorKeys.map(async (key) => ({ key, ...(await coordinatorFor(ctx, key, keyType)) })),
      );
      return { ...defaultFindCoordinatorResponse(), coordinators };
    }
    const answer = await coordinatorFor(ctx, request.key, keyType);
    return { ...defaultFindCoordinatorResponse(), ...answer };
  },
});

/**
 * EndTxn (key 26), v0-4: commits or aborts the producer's transaction. Answered once the markers are
 * in every partition of the transaction (Kafka answers when the PrepareCommit/PrepareAbort state is
 * durable and writes markers afterwards; either way a read_committed consumer sees the outcome only
 * once the marker is there). v5 (KIP-890 part 2, an epoch bump per transaction) is not served.
 * PRODUCER_FENCED exists from v2; older versions get INVALID_PRODUCER_EPOCH. ACL: Write on the
 * transactional id.
 */
import { ApiKey, defaultEndTxnResponse, ErrorCode } from '@flotilla/protocol';
import { AclOperation, ResourceType } from '../security/acl.js';
import { authorized } from '../security/request-authorization.js';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.EndTxn,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, request) {
    if (!authorized(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, request.transactionalId))
      return { ...defaultEndTxnResponse(), errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
    let errorCode = await ctx.broker.transactions.endTransaction(
      request.transactionalId,
      Number(request.producerId),
      request.producerEpoch,
      request.committed,
    );
    if (errorCode === ErrorCode.PRODUCER_FENCED && ctx.apiVersion < 2) errorCode = ErrorCode.INVALID_PRODUCER_EPOCH;
    return { ...defaultEndTxnResponse(), errorCode };
  },
});

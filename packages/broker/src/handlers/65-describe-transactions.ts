/**
 * DescribeTransactions (key 65), v0 (KIP-664): the state of transactional ids this broker coordinates:
 * state name, timeout, start time, producer id and epoch, and the partitions of the open transaction.
 * Ids coordinated elsewhere get NOT_COORDINATOR; unknown ones TRANSACTIONAL_ID_NOT_FOUND. ACL:
 * Describe on each transactional id.
 */
import { ApiKey, defaultDescribeTransactionsResponse, ErrorCode } from '@flotilla/protocol';
import { AclOperation, ResourceType } from '../security/acl.js';
import { authorized } from '../security/request-authorization.js';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.DescribeTransactions,
  minVersion: 0,
  maxVersion: 0,
  handle(ctx, request) {
    return {
      ...defaultDescribeTransactionsResponse(),
      transactionStates: request.transactionalIds.map((transactionalId) => {
        const { errorCode, description: d } = authorized(
          ctx,
          AclOperation.DESCRIBE,
          ResourceType.TRANSACTIONAL_ID,
          transactionalId,
        )
          ? ctx.broker.transactions.describeTransaction(transactionalId)
          : { errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, description: null };
        return {
          errorCode,
          transactionalId,
          transactionState: d?.state ?? '',
          transactionTimeoutMs: d?.timeoutMs ?? 0,
          transactionStartTimeMs: BigInt(d?.startTimestamp ?? -1),
          producerId: BigInt(d?.producerId ?? -1),
          producerEpoch: d?.producerEpoch ?? -1,
          topics: (d?.partitions ?? []).map((tp) => ({ topic: tp.topic, partitions: [...tp.partitions] })),
        };
      }),
    };
  },
});

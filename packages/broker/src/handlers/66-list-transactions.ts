/**
 * ListTransactions (key 66), v0-1 (KIP-664, KIP-994): the transactional ids this broker coordinates,
 * filtered by state names, producer ids and (v1) how long the transaction has been open. Unknown state
 * names come back in unknownStateFilters, as in Kafka. Only ids the caller may Describe are listed.
 */
import { ApiKey, defaultListTransactionsResponse, ErrorCode } from '@flotilla/protocol';
import { AclOperation, ResourceType } from '../security/acl.js';
import { authorized } from '../security/request-authorization.js';
import { TXN_STATE_NAMES } from '../txn/records.js';
import { defineHandler } from './types.js';

const STATE_NAMES = new Set(Object.values(TXN_STATE_NAMES));

export default defineHandler({
  apiKey: ApiKey.ListTransactions,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, request) {
    const { loading, transactions } = ctx.broker.transactions.list();
    if (loading) return { ...defaultListTransactionsResponse(), errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS };
    const states = new Set(request.stateFilters);
    const producers = new Set(request.producerIdFilters.map((p) => Number(p)));
    const minDuration = ctx.apiVersion >= 1 ? Number(request.durationFilter) : -1;
    const now = Date.now();
    return {
      ...defaultListTransactionsResponse(),
      unknownStateFilters: request.stateFilters.filter((s) => !STATE_NAMES.has(s)),
      transactionStates: transactions
        .filter((t) => states.size === 0 || states.has(t.state))
        .filter((t) => producers.size === 0 || producers.has(t.producerId))
        .filter((t) => minDuration < 0 || (t.startTimestamp >= 0 && now - t.startTimestamp >= minDuration))
        .filter((t) => authorized(ctx, AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, t.transactionalId))
        .map((t) => ({
          transactionalId: t.transactionalId,
          producerId: BigInt(t.producerId),
          transactionState: t.state,
        })),
    };
  },
});

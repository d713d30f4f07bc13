/**
 * AddOffsetsToTxn (key 25), v0-4: adds the group's __consumer_offsets partition to the producer's
 * transaction, so that the transaction's marker reaches the offsets the producer then commits with
 * TxnOffsetCommit. PRODUCER_FENCED exists from v2; older versions get INVALID_PRODUCER_EPOCH. ACLs:
 * Write on the transactional id, Read on the group.
 */
import { ApiKey, defaultAddOffsetsToTxnResponse, ErrorCode } from '@flotilla/protocol';
import { OFFSETS_TOPIC } from '../group/hash.js';
import { AclOperation, ResourceType } from '../security/acl.js';
import { authorized, groupDenial } from '../security/request-authorization.js';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.AddOffsetsToTxn,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, request) {
    const { groups, transactions } = ctx.broker;
    if (!authorized(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, request.transactionalId))
      return { ...defaultAddOffsetsToTxnResponse(), errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
    const groupDenied = groupDenial(ctx, AclOperation.READ, request.groupId);
    if (groupDenied) return { ...defaultAddOffsetsToTxnResponse(), errorCode: groupDenied };
    const partition = groups.partitionFor(request.groupId);
    const [result] = await transactions.addPartitions(
      request.transactionalId,
      Number(request.producerId),
      request.producerEpoch,
      [{ topic: OFFSETS_TOPIC, partitions: [partition] }],
    );
    let errorCode = result?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
    if (errorCode === ErrorCode.PRODUCER_FENCED && ctx.apiVersion < 2) errorCode = ErrorCode.INVALID_PRODUCER_EPOCH;
    return { ...defaultAddOffsetsToTxnResponse(), errorCode };
  },
});

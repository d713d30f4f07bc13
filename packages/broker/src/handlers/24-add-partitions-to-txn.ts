/**
 * AddPartitionsToTxn (key 24), v0-5. v0-3 are the producer's: one transaction, its partitions added
 * (the transaction becomes Ongoing). v4+ are the brokers' (KIP-890): a batch of transactions, each
 * either added or, with verifyOnly, checked (a partition leader asks whether a producer's batch
 * belongs to an open transaction). Partitions of unknown topics fail with UNKNOWN_TOPIC_OR_PARTITION and
 * the rest of the request with OPERATION_NOT_ATTEMPTED, as in KafkaApis. PRODUCER_FENCED exists
 * from v2; older versions get INVALID_PRODUCER_EPOCH. ACLs (KafkaApis): Write on the transactional id
 * and on each topic for v0-3, ClusterAction for the brokers' v4+.
 */
import {
  type AddPartitionsToTxnRequestAddPartitionsToTxnTopic,
  type AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult,
  ApiKey,
  defaultAddPartitionsToTxnResponse,
  ErrorCode,
} from '@flotilla/protocol';
import { AclOperation, ResourceType } from '../security/acl.js';
import { authorized, authorizedOnCluster } from '../security/request-authorization.js';
import type { PartitionError } from '../txn/coordinator.js';
import { defineHandler, type HandlerContext } from './types.js';

function toTopicResults(errors: readonly PartitionError[]): AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult[] {
  const byTopic = new Map<string, AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult>();
  for (const e of errors) {
    let t = byTopic.get(e.topic);
    if (!t) {
      t = { name: e.topic, resultsByPartition: [] };
      byTopic.set(e.topic, t);
    }
    t.resultsByPartition.push({ partitionIndex: e.partition, partitionErrorCode: e.errorCode });
  }
  return [...byTopic.values()];
}

async function addOne(
  ctx: HandlerContext,
  transactionalId: string,
  producerId: bigint,
  producerEpoch: number,
  topics: readonly AddPartitionsToTxnRequestAddPartitionsToTxnTopic[],
  verifyOnly: boolean,
): Promise<PartitionError[]> {
  const { image, transactions } = ctx.broker;
  const all = (errorCode: number) =>
    topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition, errorCode })));
  if (ctx.apiVersion <= 3 && !authorized(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, transactionalId))
    return all(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  const topicError = (name: string, partition: number): number => {
    if (ctx.apiVersion <= 3 && !authorized(ctx, AclOperation.WRITE, ResourceType.TOPIC, name))
      return ErrorCode.TOPIC_AUTHORIZATION_FAILED;
    return image.topics.get(name)?.partitions[partition] ? ErrorCode.NONE : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  };
  const failing = topics.some((t) => t.partitions.some((p) => topicError(t.name, p) !== ErrorCode.NONE));
  let errors: PartitionError[];
  if (failing) {
    errors = topics.flatMap((t) =>
      t.partitions.map((partition) => ({
        topic: t.name,
        partition,
        errorCode: topicError(t.name, partition) || ErrorCode.OPERATION_NOT_ATTEMPTED,
      })),
    );
  } else {
    errors = await transactions.addPartitions(
      transactionalId,
      Number(producerId),
      producerEpoch,
      topics.map((t) => ({ topic: t.name, partitions: t.partitions })),
      verifyOnly,
    );
  }
  if (ctx.apiVersion < 2) {
    errors = errors.map((e) =>
      e.errorCode === ErrorCode.PRODUCER_FENCED ? { ...e, errorCode: ErrorCode.INVALID_PRODUCER_EPOCH } : e,
    );
  }
  return errors;
}

export default defineHandler({
  apiKey: ApiKey.AddPartitionsToTxn,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, request) {
    if (ctx.apiVersion <= 3) {
      const errors = await addOne(
        ctx,
        request.v3AndBelowTransactionalId,
        request.v3AndBelowProducerId,
        request.v3AndBelowProducerEpoch,
        request.v3AndBelowTopics,
        false,
      );
      return { ...defaultAddPartitionsToTxnResponse(), resultsByTopicV3AndBelow: toTopicResults(errors) };
    }
    if (!authorizedOnCluster(ctx, AclOperation.CLUSTER_ACTION)) {
      return { ...defaultAddPartitionsToTxnResponse(), errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED };
    }
    const resultsByTransaction = await Promise.all(
      request.transactions.map(async (t) => ({
        transactionalId: t.transactionalId,
        topicResults: toTopicResults(
          await addOne(ctx, t.transactionalId, t.producerId, t.producerEpoch, t.topics, t.verifyOnly),
        ),
      })),
    );
    return { ...defaultAddPartitionsToTxnResponse(), resultsByTransaction };
  },
});

/**
 * AlterPartition (key 56), v0-3: a partition leader asks the controller to change its ISR (KIP-497).
 * The controller accepts it only from the current leader at its current leader epoch and partition epoch
 * (else FENCED_LEADER_EPOCH / INVALID_UPDATE_VERSION), from a broker at its registered epoch (else
 * STALE_BROKER_EPOCH), and only with live replicas joining (KIP-841, else INELIGIBLE_REPLICA); v3's
 * per-member broker epochs (KIP-903) must match the registrations too. The answer carries the state the
 * partition will have; the leader applies it when the PartitionChange record reaches its image.
 * LeaderRecoveryState is always 0: unclean elections here do not mark partitions as recovering.
 */
import { ApiKey, defaultAlterPartitionResponse, ErrorCode } from '@flotilla/protocol';
import { type AlterPartitionItem, planAlterPartition } from '../metadata/replication-control.js';
import { AclOperation } from '../security/acl.js';
import { clusterDenial } from '../security/request-authorization.js';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.AlterPartition,
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, request) {
    // Only brokers send AlterPartition: ClusterAction, as in Kafka.
    const denied = clusterDenial(ctx, AclOperation.CLUSTER_ACTION);
    if (denied) return { ...defaultAlterPartitionResponse(), errorCode: denied };
    const { controller, image } = ctx.broker;
    const registered = image.brokers.get(request.brokerId);
    if (!registered || (request.brokerEpoch >= 0n && BigInt(registered.epoch) !== request.brokerEpoch)) {
      return { ...defaultAlterPartitionResponse(), errorCode: ErrorCode.STALE_BROKER_EPOCH };
    }
    const items: AlterPartitionItem[] = [];
    const staleMembers = new Set<string>();
    for (const t of request.topics) {
      for (const p of t.partitions) {
        const newIsr = ctx.apiVersion >= 3 ? p.newIsrWithEpochs.map((b) => b.brokerId) : p.newIsr;
        if (ctx.apiVersion >= 3) {
          const stale = p.newIsrWithEpochs.some((b) => {
            const info = image.brokers.get(b.brokerId);
            return b.brokerEpoch >= 0n && (!info || BigInt(info.epoch) !== b.brokerEpoch);
          });
          if (stale) staleMembers.add(`${t.topicId}:${t.topicName}:${p.partitionIndex}`);
        }
        items.push({
          topicId: t.topicId,
          topicName: t.topicName,
          partitionIndex: p.partitionIndex,
          leaderEpoch: p.leaderEpoch,
          partitionEpoch: p.partitionEpoch,
          newIsr,
        });
      }
    }
    const valid = items.filter((i) => !staleMembers.has(`${i.topicId}:${i.topicName}:${i.partitionIndex}`));
    let planned: ReturnType<typeof planAlterPartition>['results'] = [];
    await controller.commit(() => {
      const plan = planAlterPartition(image, request.brokerId, valid);
      planned = plan.results;
      return plan.records;
    });
    const results = items.map(
      (i) =>
        planned.find(
          (r) => r.topicId === i.topicId && r.topicName === i.topicName && r.partitionIndex === i.partitionIndex,
        ) ?? {
          ...i,
          errorCode: ErrorCode.INELIGIBLE_REPLICA,
          leaderId: -1,
          leaderEpoch: -1,
          isr: [],
          partitionEpoch: -1,
        },
    );
    return {
      ...defaultAlterPartitionResponse(),
      topics: request.topics.map((t) => ({
        topicName: t.topicName,
        topicId: t.topicId,
        partitions: results
          .filter((r) => r.topicId === t.topicId && r.topicName === t.topicName)
          .map((r) => ({
            partitionIndex: r.partitionIndex,
            errorCode: r.errorCode,
            leaderId: r.leaderId,
            leaderEpoch: r.leaderEpoch,
            isr: [...r.isr],
            leaderRecoveryState: 0,
            partitionEpoch: r.partitionEpoch,
          })),
      })),
    };
  },
});

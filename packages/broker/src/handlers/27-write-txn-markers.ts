/**
 * WriteTxnMarkers (key 27), v0-1: a transaction coordinator asks the leader of each partition to
 * append the COMMIT or ABORT marker that ends a producer's transaction there (and, in a
 * __consumer_offsets partition, to publish or drop its transactional offsets). On one broker the
 * coordinator writes its markers directly (txn/markers.ts); this API is how a coordinator on another
 * broker reaches the partitions this one leads. Kafka answers NOT_LEADER_OR_FOLLOWER for partitions it
 * does not lead and UNKNOWN_TOPIC_OR_PARTITION for unknown ones, and answers once the partition's ISR
 * holds the marker (acks=-1, request.timeout.ms); so does this. ACL: ClusterAction
 * (only brokers send it).
 */
import { ApiKey, defaultWriteTxnMarkersResponse, ErrorCode } from '@flotilla/protocol';
import { AclOperation } from '../security/acl.js';
import { authorizedOnCluster } from '../security/request-authorization.js';
import { writeMarkersLocally } from '../txn/markers.js';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.WriteTxnMarkers,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, request) {
    const { image, replicas, topicConfigs, groups } = ctx.broker;
    if (!authorizedOnCluster(ctx, AclOperation.CLUSTER_ACTION)) {
      return {
        ...defaultWriteTxnMarkersResponse(),
        markers: request.markers.map((m) => ({
          producerId: m.producerId,
          topics: m.topics.map((t) => ({
            name: t.name,
            partitions: t.partitionIndexes.map((partitionIndex) => ({
              partitionIndex,
              errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
            })),
          })),
        })),
      };
    }
    const replicationTimeoutMs = () => ctx.broker.config.int('request.timeout.ms');
    const markers = await Promise.all(
      request.markers.map(async (m) => {
        const results = await writeMarkersLocally(
          { image, replicas, topicConfigs, groups: () => groups, replicationTimeoutMs },
          {
            producerId: Number(m.producerId),
            producerEpoch: m.producerEpoch,
            coordinatorEpoch: m.coordinatorEpoch,
            commit: m.transactionResult,
            partitions: m.topics.map((t) => ({ topic: t.name, partitions: t.partitionIndexes })),
          },
        );
        return {
          producerId: m.producerId,
          topics: m.topics.map((t) => ({
            name: t.name,
            partitions: results
              .filter((r) => r.topic === t.name)
              .map((r) => ({ partitionIndex: r.partition, errorCode: r.errorCode })),
          })),
        };
      }),
    );
    return { ...defaultWriteTxnMarkersResponse(), markers };
  },
});

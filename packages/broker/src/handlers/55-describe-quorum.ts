/**
 * DescribeQuorum (key 55), v0-2: the quorum leader, its epoch and high watermark, and each voter's and
 * observer's log end offset and last fetch time (what kafka-metadata-quorum.sh describe prints).
 * Answered by the leader with replica detail; any other member answers NOT_LEADER_OR_FOLLOWER as
 * Kafka does. Served on the controller listener; on broker listeners a quorum member forwards it to
 * the active controller, and a single broker without a quorum answers as a quorum of one (itself,
 * leader in epoch 0, high watermark at the end of its local metadata log).
 */
import {
  ApiKey,
  defaultDescribeQuorumResponse,
  defaultDescribeQuorumResponsePartitionData,
  ErrorCode,
} from '@flotilla/protocol';
import { AclOperation } from '../security/acl.js';
import { quorumOf, quorumPeerAllowed } from './quorum-handler.js';
import { defineHandler, type HandlerContext } from './types.js';

function singleNodeQuorum(ctx: HandlerContext) {
  const { nodeId, image } = ctx.broker;
  const now = BigInt(Date.now());
  const self = {
    replicaId: nodeId,
    replicaDirectoryId: 'AAAAAAAAAAAAAAAAAAAAAA',
    logEndOffset: BigInt(image.offset + 1),
    lastFetchTimestamp: now,
    lastCaughtUpTimestamp: now,
  };
  return {
    ...defaultDescribeQuorumResponse(),
    topics: [
      {
        topicName: '__cluster_metadata',
        partitions: [
          {
            ...defaultDescribeQuorumResponsePartitionData(),
            partitionIndex: 0,
            leaderId: nodeId,
            leaderEpoch: 0,
            highWatermark: BigInt(image.offset + 1),
            currentVoters: [self],
          },
        ],
      },
    ],
  };
}

export default defineHandler({
  apiKey: ApiKey.DescribeQuorum,
  minVersion: 0,
  maxVersion: 2,
  handle(ctx) {
    if (!quorumPeerAllowed(ctx, AclOperation.DESCRIBE))
      return { ...defaultDescribeQuorumResponse(), errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED };
    if (!ctx.broker.quorum) return singleNodeQuorum(ctx);
    const { quorum } = quorumOf(ctx);
    const d = quorum.describe();
    const isLeader = quorum.raft.role === 'leader';
    const voterIds = new Set(quorum.voters.map((v) => v.id));
    const state = (r: (typeof d.replicas)[number]) => ({
      replicaId: r.replicaId,
      replicaDirectoryId: 'AAAAAAAAAAAAAAAAAAAAAA',
      logEndOffset: BigInt(r.endOffset),
      lastFetchTimestamp: BigInt(r.lastFetchMs),
      lastCaughtUpTimestamp: BigInt(r.lastCaughtUpMs),
    });
    return {
      ...defaultDescribeQuorumResponse(),
      topics: [
        {
          topicName: '__cluster_metadata',
          partitions: [
            {
              ...defaultDescribeQuorumResponsePartitionData(),
              partitionIndex: 0,
              errorCode: isLeader ? 0 : ErrorCode.NOT_LEADER_OR_FOLLOWER,
              leaderId: d.leaderId,
              leaderEpoch: d.epoch,
              highWatermark: BigInt(d.highWatermark),
              currentVoters: isLeader ? d.replicas.filter((r) => voterIds.has(r.replicaId)).map(state) : [],
              observers: isLeader ? d.replicas.filter((r) => !voterIds.has(r.replicaId)).map(state) : [],
            },
          ],
        },
      ],
      nodes:
        ctx.apiVersion >= 2
          ? quorum.voters.map((v) => ({
              nodeId: v.id,
              listeners: [{ name: 'CONTROLLER', host: v.host, port: v.port }],
            }))
          : [],
    };
  },
});

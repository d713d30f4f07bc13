/**
 * Raft messages to and from Kafka's RPCs (KIP-595, KIP-630): what the quorum sends on the controller
 * listener is byte-for-byte Kafka's Vote, BeginQuorumEpoch, EndQuorumEpoch, Fetch and FetchSnapshot on
 * `__cluster_metadata-0`. One function per direction and message, used by the transport (requests out,
 * responses in) and by the controller-listener handlers (requests in, responses out).
 */
import {
  ApiKey,
  type BeginQuorumEpochRequest,
  type BeginQuorumEpochResponse,
  defaultBeginQuorumEpochRequest,
  defaultBeginQuorumEpochRequestPartitionData,
  defaultBeginQuorumEpochResponse,
  defaultBeginQuorumEpochResponsePartitionData,
  defaultEndQuorumEpochRequest,
  defaultEndQuorumEpochRequestPartitionData,
  defaultEndQuorumEpochResponse,
  defaultEndQuorumEpochResponsePartitionData,
  defaultFetchRequest,
  defaultFetchRequestFetchPartition,
  defaultFetchResponse,
  defaultFetchResponsePartitionData,
  defaultFetchSnapshotRequest,
  defaultFetchSnapshotRequestPartitionSnapshot,
  defaultFetchSnapshotResponse,
  defaultFetchSnapshotResponsePartitionSnapshot,
  defaultVoteRequest,
  defaultVoteRequestPartitionData,
  defaultVoteResponse,
  defaultVoteResponsePartitionData,
  type EndQuorumEpochRequest,
  type EndQuorumEpochResponse,
  type FetchRequest,
  type FetchSnapshotRequest,
  type FetchResponse as KafkaFetchResponse,
  type FetchSnapshotResponse as KafkaFetchSnapshotResponse,
  type VoteResponse as KafkaVoteResponse,
  type VoteRequest,
  ZERO_UUID,
} from '@flotilla/protocol';
import { entriesToRecords, recordsToEntries } from './log-store.js';
import type {
  EpochResponse,
  FetchResponse,
  FetchSnapshotResponse,
  RaftEntry,
  RaftRequest,
  VoteResponse,
} from './messages.js';

export const METADATA_TOPIC_NAME = '__cluster_metadata';
/** KRaft's fixed topic id of the metadata topic (Uuid.METADATA_TOPIC_ID, 0-1). */
export const METADATA_TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';
/** Fetch is sent at v12: topic names rather than ids, and the KIP-595 tagged fields already there. */
export const RAFT_FETCH_VERSION = 12;
export const RAFT_FETCH_MAX_WAIT_MS = 500;

export type OutboundRequest =
  | { apiKey: typeof ApiKey.Vote; body: VoteRequest }
  | { apiKey: typeof ApiKey.BeginQuorumEpoch; body: BeginQuorumEpochRequest }
  | { apiKey: typeof ApiKey.EndQuorumEpoch; body: EndQuorumEpochRequest }
  | { apiKey: typeof ApiKey.Fetch; body: FetchRequest }
  | { apiKey: typeof ApiKey.FetchSnapshot; body: FetchSnapshotRequest };

const topic = <P>(partition: P) => ({ topicName: METADATA_TOPIC_NAME, partitions: [partition] });

export function toKafkaRequest(request: RaftRequest, clusterId: string, to: number): OutboundRequest {
  switch (request.kind) {
    case 'vote':
      return {
        apiKey: ApiKey.Vote,
        body: {
          ...defaultVoteRequest(),
          clusterId,
          voterId: to,
          topics: [
            topic({
              ...defaultVoteRequestPartitionData(),
              partitionIndex: 0,
              candidateEpoch: request.epoch,
              candidateId: request.candidateId,
              lastOffsetEpoch: request.lastEpoch,
              lastOffset: BigInt(request.endOffset),
            }),
          ],
        },
      };
    case 'begin-epoch':
      return {
        apiKey: ApiKey.BeginQuorumEpoch,
        body: {
          ...defaultBeginQuorumEpochRequest(),
          clusterId,
          voterId: to,
          topics: [
            topic({
              ...defaultBeginQuorumEpochRequestPartitionData(),
              partitionIndex: 0,
              leaderId: request.leaderId,
              leaderEpoch: request.epoch,
            }),
          ],
        },
      };
    case 'end-epoch':
      return {
        apiKey: ApiKey.EndQuorumEpoch,
        body: {
          ...defaultEndQuorumEpochRequest(),
          clusterId,
          topics: [
            topic({
              ...defaultEndQuorumEpochRequestPartitionData(),
              partitionIndex: 0,
              leaderId: request.leaderId,
              leaderEpoch: request.epoch,
              // v0 names successors by id; v1 (KIP-853) as candidates with directory ids, which a static quorum does not have.
              preferredSuccessors: [...request.preferredSuccessors],
              preferredCandidates: request.preferredSuccessors.map((candidateId) => ({
                candidateId,
                candidateDirectoryId: ZERO_UUID,
              })),
            }),
          ],
        },
      };
    case 'fetch':
      return {
        apiKey: ApiKey.Fetch,
        body: {
          ...defaultFetchRequest(),
          clusterId,
          replicaId: request.replicaId,
          maxWaitMs: RAFT_FETCH_MAX_WAIT_MS,
          minBytes: 0,
          maxBytes: 8 << 20,
          topics: [
            {
              topic: METADATA_TOPIC_NAME,
              topicId: METADATA_TOPIC_ID,
              partitions: [
                {
                  ...defaultFetchRequestFetchPartition(),
                  partition: 0,
                  currentLeaderEpoch: request.epoch,
                  fetchOffset: BigInt(request.fetchOffset),
                  lastFetchedEpoch: request.lastFetchedEpoch,
                  partitionMaxBytes: 8 << 20,
                },
              ],
            },
          ],
        },
      };
    case 'fetch-snapshot':
      return {
        apiKey: ApiKey.FetchSnapshot,
        body: {
          ...defaultFetchSnapshotRequest(),
          clusterId,
          replicaId: request.replicaId,
          maxBytes: 1 << 20,
          topics: [
            {
              name: METADATA_TOPIC_NAME,
              partitions: [
                {
                  ...defaultFetchSnapshotRequestPartitionSnapshot(),
                  partition: 0,
                  currentLeaderEpoch: request.epoch,
                  snapshotId: { endOffset: BigInt(request.snapshotId.endOffset), epoch: request.snapshotId.epoch },
                  position: BigInt(request.position),
                },
              ],
            },
          ],
        },
      };
  }
}

/** A Kafka request on the controller listener, as the state machine's request; null if it is not for the quorum. */
export function fromKafkaRequest(apiKey: number, body: unknown): { from: number; request: RaftRequest } | null {
  switch (apiKey) {
    case ApiKey.Vote: {
      const p = (body as VoteRequest).topics[0]?.partitions[0];
      if (!p) return null;
      return {
        from: p.candidateId,
        request: {
          kind: 'vote',
          epoch: p.candidateEpoch,
          candidateId: p.candidateId,
          lastEpoch: p.lastOffsetEpoch,
          endOffset: Number(p.lastOffset),
        },
      };
    }
    case ApiKey.BeginQuorumEpoch: {
      const p = (body as BeginQuorumEpochRequest).topics[0]?.partitions[0];
      if (!p) return null;
      return { from: p.leaderId, request: { kind: 'begin-epoch', epoch: p.leaderEpoch, leaderId: p.leaderId } };
    }
    case ApiKey.EndQuorumEpoch: {
      const p = (body as EndQuorumEpochRequest).topics[0]?.partitions[0];
      if (!p) return null;
      const successors =
        p.preferredSuccessors.length > 0 ? p.preferredSuccessors : p.preferredCandidates.map((c) => c.candidateId);
      return {
        from: p.leaderId,
        request: { kind: 'end-epoch', epoch: p.leaderEpoch, leaderId: p.leaderId, preferredSuccessors: successors },
      };
    }
    case ApiKey.Fetch: {
      const f = body as FetchRequest;
      const p = f.topics[0]?.partitions[0];
      if (!p) return null;
      const replicaId = f.replicaState.replicaId >= 0 ? f.replicaState.replicaId : f.replicaId;
      return {
        from: replicaId,
        request: {
          kind: 'fetch',
          epoch: p.currentLeaderEpoch,
          replicaId,
          fetchOffset: Number(p.fetchOffset),
          lastFetchedEpoch: p.lastFetchedEpoch,
        },
      };
    }
    case ApiKey.FetchSnapshot: {
      const f = body as FetchSnapshotRequest;
      const p = f.topics[0]?.partitions[0];
      if (!p) return null;
      return {
        from: f.replicaId,
        request: {
          kind: 'fetch-snapshot',
          epoch: p.currentLeaderEpoch,
          replicaId: f.replicaId,
          snapshotId: { endOffset: Number(p.snapshotId.endOffset), epoch: p.snapshotId.epoch },
          position: Number(p.position),
        },
      };
    }
    default:
      return null;
  }
}

export function toKafkaVoteResponse(r: VoteResponse): KafkaVoteResponse {
  return {
    ...defaultVoteResponse(),
    topics: [
      topic({
        ...defaultVoteResponsePartitionData(),
        partitionIndex: 0,
        errorCode: r.errorCode,
        leaderId: r.leaderId,
        leaderEpoch: r.epoch,
        voteGranted: r.voteGranted,
      }),
    ],
  };
}

export function toKafkaBeginResponse(r: EpochResponse): BeginQuorumEpochResponse {
  return {
    ...defaultBeginQuorumEpochResponse(),
    topics: [
      topic({
        ...defaultBeginQuorumEpochResponsePartitionData(),
        partitionIndex: 0,
        errorCode: r.errorCode,
        leaderId: r.leaderId,
        leaderEpoch: r.epoch,
      }),
    ],
  };
}

export function toKafkaEndResponse(r: EpochResponse): EndQuorumEpochResponse {
  return {
    ...defaultEndQuorumEpochResponse(),
    topics: [
      topic({
        ...defaultEndQuorumEpochResponsePartitionData(),
        partitionIndex: 0,
        errorCode: r.errorCode,
        leaderId: r.leaderId,
        leaderEpoch: r.epoch,
      }),
    ],
  };
}

export function toKafkaFetchResponse(r: FetchResponse): KafkaFetchResponse {
  const records: Buffer | null = r.entries.length > 0 ? entriesToRecords(r.entries) : null;
  return {
    ...defaultFetchResponse(),
    responses: [
      {
        topic: METADATA_TOPIC_NAME,
        topicId: METADATA_TOPIC_ID,
        partitions: [
          {
            ...defaultFetchResponsePartitionData(),
            partitionIndex: 0,
            errorCode: r.errorCode,
            highWatermark: BigInt(r.highWatermark),
            divergingEpoch: r.divergingEpoch
              ? { epoch: r.divergingEpoch.epoch, endOffset: BigInt(r.divergingEpoch.endOffset) }
              : { epoch: -1, endOffset: -1n },
            currentLeader: { leaderId: r.leaderId, leaderEpoch: r.epoch },
            snapshotId: r.snapshotId
              ? { endOffset: BigInt(r.snapshotId.endOffset), epoch: r.snapshotId.epoch }
              : { endOffset: -1n, epoch: -1 },
            records,
          },
        ],
      },
    ],
  };
}

export function toKafkaFetchSnapshotResponse(r: FetchSnapshotResponse): KafkaFetchSnapshotResponse {
  return {
    ...defaultFetchSnapshotResponse(),
    topics: [
      {
        name: METADATA_TOPIC_NAME,
        partitions: [
          {
            ...defaultFetchSnapshotResponsePartitionSnapshot(),
            index: 0,
            errorCode: r.errorCode,
            snapshotId: { endOffset: BigInt(r.snapshotId.endOffset), epoch: r.snapshotId.epoch },
            currentLeader: { leaderId: r.leaderId, leaderEpoch: r.epoch },
            size: BigInt(r.size),
            position: BigInt(r.position),
            unalignedRecords: r.bytes,
          },
        ],
      },
    ],
  };
}

type AnyRaftResponse = VoteResponse | EpochResponse | FetchResponse | FetchSnapshotResponse;

/** A Kafka response from a quorum peer, as the state machine's response. */
export function fromKafkaResponse(request: RaftRequest, body: unknown): AnyRaftResponse {
  switch (request.kind) {
    case 'vote': {
      const b = body as KafkaVoteResponse;
      const p = b.topics[0]?.partitions[0];
      return {
        errorCode: p?.errorCode || b.errorCode,
        epoch: p?.leaderEpoch ?? -1,
        leaderId: p?.leaderId ?? -1,
        voteGranted: p?.voteGranted ?? false,
      };
    }
    case 'begin-epoch':
    case 'end-epoch': {
      const b = body as BeginQuorumEpochResponse | EndQuorumEpochResponse;
      const p = b.topics[0]?.partitions[0];
      return { errorCode: p?.errorCode || b.errorCode, epoch: p?.leaderEpoch ?? -1, leaderId: p?.leaderId ?? -1 };
    }
    case 'fetch': {
      const b = body as KafkaFetchResponse;
      const p = b.responses[0]?.partitions[0];
      if (!p) return { errorCode: b.errorCode, epoch: -1, leaderId: -1, highWatermark: 0, entries: [] };
      const entries: RaftEntry[] = recordsToEntries(p.records);
      return {
        errorCode: p.errorCode || b.errorCode,
        epoch: p.currentLeader.leaderEpoch,
        leaderId: p.currentLeader.leaderId,
        highWatermark: Number(p.highWatermark),
        entries,
        ...(p.divergingEpoch.epoch >= 0
          ? { divergingEpoch: { epoch: p.divergingEpoch.epoch, endOffset: Number(p.divergingEpoch.endOffset) } }
          : {}),
        ...(p.snapshotId.epoch >= 0 && p.snapshotId.endOffset >= 0n
          ? { snapshotId: { endOffset: Number(p.snapshotId.endOffset), epoch: p.snapshotId.epoch } }
          : {}),
      };
    }
    case 'fetch-snapshot': {
      const b = body as KafkaFetchSnapshotResponse;
      const p = b.topics[0]?.partitions[0];
      return {
        errorCode: p?.errorCode || b.errorCode,
        epoch: p?.currentLeader.leaderEpoch ?? -1,
        leaderId: p?.currentLeader.leaderId ?? -1,
        snapshotId: { endOffset: Number(p?.snapshotId.endOffset ?? -1), epoch: p?.snapshotId.epoch ?? -1 },
        size: Number(p?.size ?? 0),
        position: Number(p?.position ?? 0),
        bytes: p?.unalignedRecords ?? Buffer.alloc(0),
      };
    }
  }
}

/**
 * The Raft messages the quorum exchanges, in the shape the state machine needs. On the wire they are
 * Kafka's own RPCs on the controller listener (KIP-595): Vote (52), BeginQuorumEpoch (53),
 * EndQuorumEpoch (54), Fetch (1) on `__cluster_metadata-0` and FetchSnapshot (59); `transport.ts`
 * maps one to the other. Keeping the state machine free of codecs and sockets lets the simulated
 * network of the unit tests drive it deterministically.
 */

/** One entry of the metadata log: an encoded metadata record, or null for a leader-change marker. */
export interface RaftEntry {
  readonly offset: number;
  readonly epoch: number;
  readonly data: Buffer | null;
}

export interface SnapshotId {
  /** Offset of the first entry not in the snapshot (the snapshot covers [0, endOffset)). */
  readonly endOffset: number;
  /** Epoch of the entry at endOffset - 1. */
  readonly epoch: number;
}

export type RaftRequest =
  | {
      readonly kind: 'vote';
      readonly epoch: number;
      readonly candidateId: number;
      readonly lastEpoch: number;
      readonly endOffset: number;
    }
  | { readonly kind: 'begin-epoch'; readonly epoch: number; readonly leaderId: number }
  | {
      readonly kind: 'end-epoch';
      readonly epoch: number;
      readonly leaderId: number;
      readonly preferredSuccessors: readonly number[];
    }
  | {
      readonly kind: 'fetch';
      readonly epoch: number;
      readonly replicaId: number;
      readonly fetchOffset: number;
      readonly lastFetchedEpoch: number;
    }
  | {
      readonly kind: 'fetch-snapshot';
      readonly epoch: number;
      readonly replicaId: number;
      readonly snapshotId: SnapshotId;
      readonly position: number;
    };

/** Every response names the responder's view of the leader, so a stale node learns it. */
interface ResponseBase {
  readonly errorCode: number;
  readonly epoch: number;
  readonly leaderId: number;
}

export interface VoteResponse extends ResponseBase {
  readonly voteGranted: boolean;
}

export type EpochResponse = ResponseBase;

export interface FetchResponse extends ResponseBase {
  readonly highWatermark: number;
  readonly entries: readonly RaftEntry[];
  /** Set when the fetcher's log diverges from the leader's: truncate to this epoch's end offset. */
  readonly divergingEpoch?: { readonly epoch: number; readonly endOffset: number };
  /** Set when the fetch offset is below the leader's log start: fetch this snapshot first. */
  readonly snapshotId?: SnapshotId;
}

export interface FetchSnapshotResponse extends ResponseBase {
  readonly snapshotId: SnapshotId;
  readonly size: number;
  readonly position: number;
  readonly bytes: Buffer;
}

export type RaftResponse<R extends RaftRequest> = R extends { kind: 'vote' }
  ? VoteResponse
  : R extends { kind: 'fetch' }
    ? FetchResponse
    : R extends { kind: 'fetch-snapshot' }
      ? FetchSnapshotResponse
      : EpochResponse;

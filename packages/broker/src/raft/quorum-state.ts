/**
 * The election state a voter must never forget: its current epoch, whom it voted for in that epoch
 * and the leader it knows. Kafka keeps it in `quorum-state` (QuorumStateStore) and writes it before
 * answering a Vote or acting on a new epoch; so do we, through write-to-temp, fsync and rename, so a
 * crash leaves either the old or the new state, never a torn file. Without this a restarted voter
 * could vote twice in one epoch and two leaders could be elected.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface ElectionState {
  readonly epoch: number;
  /** The candidate this node voted for in `epoch`, or -1. */
  readonly votedId: number;
  /** The leader of `epoch` when known, or -1. */
  readonly leaderId: number;
}

export interface ElectionStore {
  read(): ElectionState;
  write(state: ElectionState): void;
}

export const INITIAL_ELECTION_STATE: ElectionState = { epoch: 0, votedId: -1, leaderId: -1 };

export class MemoryElectionStore implements ElectionStore {
  constructor(private state: ElectionState = INITIAL_ELECTION_STATE) {}
  read(): ElectionState {
    return this.state;
  }
  write(state: ElectionState): void {
    this.state = state;
  }
}

/** `quorum-state` in the metadata log directory, JSON as Kafka's (data_version 0 fields, our names). */
export class FileElectionStore implements ElectionStore {
  private readonly path: string;

  constructor(dir: string) {
    this.path = join(dir, 'quorum-state');
  }

  read(): ElectionState {
    if (!existsSync(this.path)) return INITIAL_ELECTION_STATE;
    const json = JSON.parse(readFileSync(this.path, 'utf8')) as {
      leaderEpoch: number;
      votedId: number;
      leaderId: number;
    };
    return { epoch: json.leaderEpoch, votedId: json.votedId, leaderId: json.leaderId };
  }

  write(state: ElectionState): void {
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      const body = { leaderEpoch: state.epoch, votedId: state.votedId, leaderId: state.leaderId, data_version: 0 };
      writeSync(fd, JSON.stringify(body));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
  }
}

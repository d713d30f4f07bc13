/**
 * A metadata log shared by several brokers in one process, for replication tests until the controller
 * quorum (issue 4) replicates the real one: every append is applied, in the same order and at the same
 * offsets, to the image of each broker attached to it, and published to that broker's listeners, which
 * is what a committed Raft entry does. A broker attached later (a restart) replays everything first.
 * Only the metadata is shared: each broker keeps its own logs, sockets and fetchers.
 */
import type { BrokerMetadataLog } from '../src/broker.js';
import type { ImageChange, MetadataImage } from '../src/metadata/image.js';
import type { MetadataRecord } from '../src/metadata/records.js';

interface Member {
  readonly image: MetadataImage;
  readonly listeners: ((change: ImageChange) => void)[];
}

export class SharedMetadataLog {
  private readonly records: MetadataRecord[] = [];
  private readonly members = new Set<Member>();

  /** Attaches a broker's image: replays the log into it and returns that broker's view of the log. */
  open(image: MetadataImage): BrokerMetadataLog {
    this.records.forEach((r, offset) => {
      image.apply(r, offset);
    });
    const member: Member = { image, listeners: [] };
    this.members.add(member);
    return {
      append: (records) => this.append(records),
      subscribe: (listener) => {
        member.listeners.push(listener);
      },
      close: () => {
        this.members.delete(member);
      },
    };
  }

  async append(records: readonly MetadataRecord[]): Promise<void> {
    for (const record of records) {
      const offset = this.records.length;
      this.records.push(record);
      for (const m of [...this.members]) {
        const change = m.image.apply(record, offset);
        if (change) for (const l of m.listeners) l(change);
      }
    }
  }
}

/**
 * Where a new partition's replicas go, as Kafka's AdminUtils.assignReplicasToBrokers does it:
 * - without racks, leaders round-robin over the brokers from a random start and followers are shifted
 *   so that replicas of consecutive partitions spread out;
 * - when every broker has a `broker.rack`, the brokers are first interleaved rack by rack
 *   (rack-alternated list), and each follower goes to the next broker of a rack that holds no replica
 *   of the partition yet (once every rack has one, the next broker without one), so a partition
 *   survives the loss of a whole rack whenever there are at least as many racks as replicas.
 * Brokers with and without racks mixed: Kafka refuses; here placement falls back to rack-unaware.
 */
import { ErrorCode, KafkaError } from '@flotilla/protocol';

export interface PlacementBroker {
  readonly id: number;
  readonly rack: string | null;
}

/** Brokers interleaved by rack: the first of each rack (racks sorted), then the second of each... */
export function rackAlternatedBrokers(brokers: readonly PlacementBroker[]): PlacementBroker[] {
  const byRack = new Map<string, PlacementBroker[]>();
  for (const b of [...brokers].sort((x, y) => x.id - y.id)) {
    const rack = b.rack ?? '';
    byRack.set(rack, [...(byRack.get(rack) ?? []), b]);
  }
  const racks = [...byRack.keys()].sort();
  const out: PlacementBroker[] = [];
  for (let i = 0; out.length < brokers.length; i++) {
    for (const rack of racks) {
      const b = byRack.get(rack)?.[i];
      if (b) out.push(b);
    }
  }
  return out;
}

function replicaIndex(first: number, secondReplicaShift: number, index: number, n: number): number {
  const shift = 1 + ((secondReplicaShift + index) % (n - 1));
  return (first + shift) % n;
}

/**
 * Replica lists for partitions `firstPartition`..`firstPartition + partitions - 1`; the first replica
 * of each is its preferred leader. `random` picks the start broker and the follower shift.
 */
export function assignReplicas(
  brokers: readonly PlacementBroker[],
  partitions: number,
  replicationFactor: number,
  firstPartition: number,
  random: () => number = Math.random,
): number[][] {
  if (replicationFactor > brokers.length) {
    throw new KafkaError(
      ErrorCode.INVALID_REPLICATION_FACTOR,
      `Replication factor: ${replicationFactor} larger than available brokers: ${brokers.length}.`,
    );
  }
  const rackAware = brokers.length > 0 && brokers.every((b) => b.rack !== null && b.rack !== '');
  const arranged = rackAware ? rackAlternatedBrokers(brokers) : [...brokers].sort((a, b) => a.id - b.id);
  const n = arranged.length;
  const numRacks = new Set(arranged.map((b) => b.rack)).size;
  const start = Math.floor(random() * n);
  let shift = Math.floor(random() * n);
  const out: number[][] = [];
  for (let i = 0; i < partitions; i++) {
    const p = firstPartition + i;
    if (p > 0 && p % n === 0) shift++;
    const first = (p + start) % n;
    const leader = arranged[first] as PlacementBroker;
    const replicas = [leader.id];
    if (!rackAware) {
      for (let j = 0; j < replicationFactor - 1; j++) {
        replicas.push((arranged[replicaIndex(first, shift, j, n)] as PlacementBroker).id);
      }
      out.push(replicas);
      continue;
    }
    const racks = new Set([leader.rack]);
    const used = new Set([leader.id]);
    let k = 0;
    while (replicas.length < replicationFactor) {
      const b = arranged[replicaIndex(first, shift * numRacks, k, n)] as PlacementBroker;
      k++;
      if ((racks.has(b.rack) && racks.size < numRacks) || (used.has(b.id) && used.size < n)) continue;
      replicas.push(b.id);
      racks.add(b.rack);
      used.add(b.id);
    }
    out.push(replicas);
  }
  return out;
}

/**
 * KIP-951: a partition error that means "ask someone else" (NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH)
 * carries the current leader, its epoch and its endpoint on the listener the client used, so the client
 * can retry there without a metadata request first.
 */
import { ErrorCode } from '@flotilla/protocol';
import type { MetadataImage } from '../metadata/image.js';

export interface LeaderHint {
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly endpoint: { host: string; port: number; rack: string | null } | null;
}

export function leaderHint(
  image: MetadataImage,
  topic: string,
  partition: number,
  errorCode: number,
  listenerName: string,
): LeaderHint | null {
  if (errorCode !== ErrorCode.NOT_LEADER_OR_FOLLOWER && errorCode !== ErrorCode.FENCED_LEADER_EPOCH) return null;
  const p = image.topics.get(topic)?.partitions[partition];
  if (!p) return null;
  const broker = p.leader >= 0 ? image.brokers.get(p.leader) : undefined;
  const e = broker?.endpoints.find((x) => x.name === listenerName) ?? broker?.endpoints[0];
  return {
    leaderId: p.leader,
    leaderEpoch: p.leaderEpoch,
    endpoint: e && broker ? { host: e.host, port: e.port, rack: broker.rack } : null,
  };
}

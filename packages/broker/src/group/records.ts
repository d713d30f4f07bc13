/**
 * The records of __consumer_offsets, in Kafka's own formats (group-coordinator's OffsetCommitKey,
 * OffsetCommitValue, GroupMetadataKey and GroupMetadataValue message specs), so that Kafka's tools
 * (kafka-console-consumer with the offsets formatter, kafka-dump-log --offsets-decoder) read what this
 * broker writes, and this broker reads what Kafka wrote.
 *
 * Key and value each start with an int16 version. Key versions 0 and 1 are offset commits, 2 is group
 * metadata; later key versions (KIP-848 consumer groups, share groups) are skipped on load. A null value
 * is a tombstone: the key's offset or group is gone.
 *
 * Written versions follow Kafka's MetadataVersion for 2.3+: OffsetCommitValue v3 and GroupMetadataValue
 * v3, "the highest supported non-flexible version". Version 4 of both values exists (KIP-915) but is
 * flexible (compact strings, tagged fields); it is read here, never written.
 */
import { DecodeError, Reader, Writer } from '@flotilla/protocol';

export const OFFSET_COMMIT_KEY_VERSION = 1;
export const GROUP_METADATA_KEY_VERSION = 2;
export const OFFSET_COMMIT_VALUE_VERSION = 3;
export const GROUP_METADATA_VALUE_VERSION = 3;

export interface OffsetCommitKey {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
}

export interface OffsetCommitValue {
  readonly offset: bigint;
  /** -1 when the committer did not know it (and in value versions before 3). */
  readonly leaderEpoch: number;
  readonly metadata: string;
  readonly commitTimestamp: number;
  /** Only in value version 1 (retention set by the committer, before Kafka 2.1); else -1. */
  readonly expireTimestamp: number;
}

export interface MemberMetadataValue {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly rebalanceTimeout: number;
  readonly sessionTimeout: number;
  /** The member's metadata for the group's selected protocol. */
  readonly subscription: Buffer;
  readonly assignment: Buffer;
}

export interface GroupMetadataValue {
  readonly protocolType: string;
  readonly generation: number;
  readonly protocol: string | null;
  readonly leader: string | null;
  /** When the group entered its current state (value version 2+); -1 when unknown. */
  readonly currentStateTimestamp: number;
  readonly members: readonly MemberMetadataValue[];
}

export type OffsetsTopicRecord =
  | { readonly type: 'offset-commit'; readonly key: OffsetCommitKey; readonly value: OffsetCommitValue | null }
  | { readonly type: 'group-metadata'; readonly group: string; readonly value: GroupMetadataValue | null };

export function encodeOffsetCommitKey(key: OffsetCommitKey): Buffer {
  return new Writer(64)
    .i16(OFFSET_COMMIT_KEY_VERSION)
    .string(key.group, false)
    .string(key.topic, false)
    .i32(key.partition)
    .toBuffer();
}

export function encodeGroupMetadataKey(group: string): Buffer {
  return new Writer(32).i16(GROUP_METADATA_KEY_VERSION).string(group, false).toBuffer();
}

export function encodeOffsetCommitValue(value: OffsetCommitValue): Buffer {
  return new Writer(64)
    .i16(OFFSET_COMMIT_VALUE_VERSION)
    .i64(value.offset)
    .i32(value.leaderEpoch)
    .string(value.metadata, false)
    .i64(BigInt(value.commitTimestamp))
    .toBuffer();
}

export function encodeGroupMetadataValue(value: GroupMetadataValue): Buffer {
  const w = new Writer(256)
    .i16(GROUP_METADATA_VALUE_VERSION)
    .string(value.protocolType, false)
    .i32(value.generation)
    .nullableString(value.protocol, false)
    .nullableString(value.leader, false)
    .i64(BigInt(value.currentStateTimestamp))
    .arrayLength(value.members.length, false);
  for (const m of value.members) {
    w.string(m.memberId, false)
      .nullableString(m.groupInstanceId, false)
      .string(m.clientId, false)
      .string(m.clientHost, false)
      .i32(m.rebalanceTimeout)
      .i32(m.sessionTimeout)
      .bytes(m.subscription, false)
      .bytes(m.assignment, false);
  }
  return w.toBuffer();
}

/** The key and value bytes of one record (value null for a tombstone). */
export function encodeOffsetsTopicRecord(record: OffsetsTopicRecord): { key: Buffer; value: Buffer | null } {
  if (record.type === 'offset-commit') {
    return { key: encodeOffsetCommitKey(record.key), value: record.value && encodeOffsetCommitValue(record.value) };
  }
  return { key: encodeGroupMetadataKey(record.group), value: record.value && encodeGroupMetadataValue(record.value) };
}

/**
 * Decodes one record of __consumer_offsets; null for a key this broker does not know (the records of
 * KIP-848 consumer groups or share groups, which Kafka keeps in the same topic). Throws DecodeError on
 * bytes that do not parse.
 */
export function decodeOffsetsTopicRecord(key: Buffer, value: Buffer | null): OffsetsTopicRecord | null {
  const r = new Reader(key);
  const version = r.i16();
  if (version === 0 || version === 1) {
    const k: OffsetCommitKey = { group: r.string(false), topic: r.string(false), partition: r.i32() };
    r.expectEnd('OffsetCommitKey');
    return { type: 'offset-commit', key: k, value: value && decodeOffsetCommitValue(value) };
  }
  if (version === GROUP_METADATA_KEY_VERSION) {
    const group = r.string(false);
    r.expectEnd('GroupMetadataKey');
    return { type: 'group-metadata', group, value: value && decodeGroupMetadataValue(value) };
  }
  return null;
}

export function decodeOffsetCommitValue(buf: Buffer): OffsetCommitValue {
  const r = new Reader(buf);
  const version = r.i16();
  if (version < 0 || version > 4) throw new DecodeError(`unknown OffsetCommitValue version ${version}`, 0);
  const flexible = version >= 4;
  const offset = r.i64();
  const leaderEpoch = version >= 3 ? r.i32() : -1;
  const metadata = r.string(flexible);
  const commitTimestamp = Number(r.i64());
  const expireTimestamp = version === 1 ? Number(r.i64()) : -1;
  if (flexible) skipTaggedFields(r);
  // Kafka ignores bytes past the fields it knows, so that a newer writer's additions do not break it.
  return { offset, leaderEpoch, metadata, commitTimestamp, expireTimestamp };
}

export function decodeGroupMetadataValue(buf: Buffer): GroupMetadataValue {
  const r = new Reader(buf);
  const version = r.i16();
  if (version < 0 || version > 4) throw new DecodeError(`unknown GroupMetadataValue version ${version}`, 0);
  const flexible = version >= 4;
  const protocolType = r.string(flexible);
  const generation = r.i32();
  const protocol = r.nullableString(flexible);
  const leader = r.nullableString(flexible);
  const currentStateTimestamp = version >= 2 ? Number(r.i64()) : -1;
  const count = r.arrayLength(flexible);
  const members: MemberMetadataValue[] = [];
  for (let i = 0; i < count; i++) {
    const memberId = r.string(flexible);
    const groupInstanceId = version >= 3 ? r.nullableString(flexible) : null;
    const clientId = r.string(flexible);
    const clientHost = r.string(flexible);
    const sessionOrRebalance = r.i32();
    // v0 has the session timeout only; from v1 the rebalance timeout comes first.
    const rebalanceTimeout = sessionOrRebalance;
    const sessionTimeout = version >= 1 ? r.i32() : sessionOrRebalance;
    // Copies: the values must outlive the log chunk they were read from.
    const subscription = Buffer.from(r.bytes(flexible));
    const assignment = Buffer.from(r.bytes(flexible));
    if (flexible) skipTaggedFields(r);
    members.push({
      memberId,
      groupInstanceId,
      clientId,
      clientHost,
      rebalanceTimeout,
      sessionTimeout,
      subscription,
      assignment,
    });
  }
  if (flexible) skipTaggedFields(r);
  return { protocolType, generation, protocol, leader, currentStateTimestamp, members };
}

function skipTaggedFields(r: Reader): void {
  const count = r.uvarint();
  for (let i = 0; i < count; i++) {
    r.uvarint(); // tag
    r.raw(r.uvarint());
  }
}

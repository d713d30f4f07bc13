/**
 * Which __consumer_offsets partition, and so which broker, coordinates a group. Kafka computes it as
 * `Utils.abs(groupId.hashCode()) % offsets.topic.num.partitions` (GroupCoordinator.partitionFor); a
 * client that cached a coordinator, or a Kafka tool reading __consumer_offsets, relies on the same
 * mapping, so Java's String.hashCode is reproduced exactly: over UTF-16 code units, in int32.
 */
export const OFFSETS_TOPIC = '__consumer_offsets';

/** Java's String.hashCode: s[0]*31^(n-1) + ... + s[n-1], wrapping at 32 bits. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** Kafka's Utils.abs: Math.abs, except that Integer.MIN_VALUE maps to 0 (not to itself). */
function kafkaAbs(n: number): number {
  return n === -2147483648 ? 0 : Math.abs(n);
}

export function offsetsPartitionFor(groupId: string, partitionCount: number): number {
  return kafkaAbs(javaStringHashCode(groupId)) % partitionCount;
}

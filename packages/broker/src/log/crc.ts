/**
 * A v2 batch's CRC covers everything from its attributes (byte 21) to its end; it sits at byte 17.
 * baseOffset and partitionLeaderEpoch come before it, which is why the broker can assign them
 * without recomputing the CRC (implementation.html, "Record Batch").
 */
import { crc32c } from '@flotilla/protocol';

const CRC_AT = 17;
const CRC_FROM = 21;

export function verifyBatchCrc(batch: Buffer): boolean {
  if (batch.length < CRC_FROM) return false;
  return batch.readUInt32BE(CRC_AT) === crc32c(batch.subarray(CRC_FROM));
}

/** Recomputes the CRC after the broker changed attributes or timestamps (LogAppendTime). */
export function writeBatchCrc(batch: Buffer): void {
  batch.writeUInt32BE(crc32c(batch.subarray(CRC_FROM)), CRC_AT);
}

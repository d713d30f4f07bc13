/**
 * Kafka's UUID (topic ids, directory ids, incarnation ids) is 16 bytes on the wire. Its text form is the
 * one Kafka's own tools print (`Uuid.toString()`): URL-safe base64 without padding, 22 characters.
 */
import { randomBytes } from 'node:crypto';

export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

export function uuidToBytes(uuid: string): Buffer {
  const bytes = Buffer.from(uuid, 'base64url');
  if (bytes.length !== 16 || uuid.length !== 22) {
    throw new TypeError(`not a Kafka UUID (22 characters of URL-safe base64): ${JSON.stringify(uuid)}`);
  }
  return bytes;
}

export function uuidFromBytes(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, 16).toString('base64url');
}

/**
 * A random version-4 UUID as Kafka makes one (`Uuid.randomUuid()`), never the zero UUID nor one whose
 * text starts with '-' (Kafka rejects those so that they cannot be mistaken for command-line flags).
 */
export function randomUuid(): string {
  for (;;) {
    const b = randomBytes(16);
    b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
    b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
    const s = b.toString('base64url');
    if (s !== ZERO_UUID && !s.startsWith('-')) return s;
  }
}

/**
 * SCRAM's arithmetic (RFC 5802 section 3, RFC 7677), shared by the client mechanism in client/sasl.ts
 * and the broker's server side: salting a password, deriving ClientKey/StoredKey/ServerKey, the
 * attribute syntax of SCRAM messages and username escaping. No state and no I/O here; the exchanges
 * themselves live with whoever drives them.
 */
import { createHash, createHmac, pbkdf2, pbkdf2Sync } from 'node:crypto';
import { promisify } from 'node:util';

export type ScramAlgorithm = 'SHA-256' | 'SHA-512';

/** Kafka's ScramMechanism.minIterations (and the floor RFC 7677 recommends). */
export const SCRAM_MIN_ITERATIONS = 4096;
/** Kafka's ScramMechanism.maxIterations. */
export const SCRAM_MAX_ITERATIONS = 16384;

const pbkdf2Async = promisify(pbkdf2);

/** The Kafka mechanism name (SCRAM-SHA-256) of an algorithm, and back. */
export function scramMechanismName(algorithm: ScramAlgorithm): string {
  return `SCRAM-${algorithm}`;
}

export function scramAlgorithmOf(mechanism: string): ScramAlgorithm | null {
  if (mechanism === 'SCRAM-SHA-256') return 'SHA-256';
  if (mechanism === 'SCRAM-SHA-512') return 'SHA-512';
  return null;
}

export function scramHashName(algorithm: ScramAlgorithm): 'sha256' | 'sha512' {
  return algorithm === 'SHA-256' ? 'sha256' : 'sha512';
}

export function scramHashBytes(algorithm: ScramAlgorithm): number {
  return algorithm === 'SHA-256' ? 32 : 64;
}

export function scramHmac(algorithm: ScramAlgorithm, key: Buffer, data: string | Buffer): Buffer {
  return createHmac(scramHashName(algorithm), key).update(data).digest();
}

export function scramHash(algorithm: ScramAlgorithm, data: Buffer): Buffer {
  return createHash(scramHashName(algorithm)).update(data).digest();
}

/** SaltedPassword := Hi(password, salt, i), which is PBKDF2 with HMAC and one block. */
export function saltPassword(
  algorithm: ScramAlgorithm,
  password: string,
  salt: Buffer,
  iterations: number,
): Promise<Buffer> {
  return pbkdf2Async(
    Buffer.from(password, 'utf8'),
    salt,
    iterations,
    scramHashBytes(algorithm),
    scramHashName(algorithm),
  );
}

export function saltPasswordSync(
  algorithm: ScramAlgorithm,
  password: string,
  salt: Buffer,
  iterations: number,
): Buffer {
  return pbkdf2Sync(
    Buffer.from(password, 'utf8'),
    salt,
    iterations,
    scramHashBytes(algorithm),
    scramHashName(algorithm),
  );
}

export interface ScramKeys {
  readonly clientKey: Buffer;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

/** ClientKey := HMAC(SaltedPassword, "Client Key"); StoredKey := H(ClientKey); ServerKey := HMAC(SaltedPassword, "Server Key"). */
export function scramKeys(algorithm: ScramAlgorithm, saltedPassword: Buffer): ScramKeys {
  const clientKey = scramHmac(algorithm, saltedPassword, 'Client Key');
  return {
    clientKey,
    storedKey: scramHash(algorithm, clientKey),
    serverKey: scramHmac(algorithm, saltedPassword, 'Server Key'),
  };
}

export function xorBytes(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < out.length; i++) out[i] = (a[i] ?? 0) ^ (b[i] ?? 0);
  return out;
}

/** RFC 5802 section 5.1: ',' and '=' in a username become '=2C' and '=3D' ('=' first). */
export function escapeUsername(username: string): string {
  return username.replaceAll('=', '=3D').replaceAll(',', '=2C');
}

/** The inverse of escapeUsername; null when an '=' is followed by anything but 2C or 3D. */
export function unescapeUsername(escaped: string): string | null {
  if (/=(?!2C|3D)/.test(escaped)) return null;
  return escaped.replaceAll('=2C', ',').replaceAll('=3D', '=');
}

/**
 * `a=1,b=2` to a map; values may contain '=' (base64), so each attribute splits at its first '='.
 * Returns null when an attribute is not a single letter followed by '=' or a letter repeats.
 */
export function parseScramAttributes(message: string): Map<string, string> | null {
  const attrs = new Map<string, string>();
  for (const part of message.split(',')) {
    if (part.indexOf('=') !== 1 || !/^[a-zA-Z]$/.test(part[0] as string)) return null;
    const key = part.slice(0, 1);
    if (attrs.has(key)) return null;
    attrs.set(key, part.slice(2));
  }
  return attrs;
}

/** A SCRAM nonce: printable ASCII without ',' (RFC 5802 section 7, "printable"). */
export function isScramNonce(nonce: string): boolean {
  return /^[\x21-\x2b\x2d-\x7e]+$/.test(nonce);
}

/**
 * SCRAM credentials: made from a password once (salt, iterations, StoredKey, ServerKey, as Kafka's
 * ScramFormatter.generateCredential) and stored as UserScramCredential metadata records, so they are
 * replicated with the rest of the metadata and every broker can check a login. The password itself
 * is dropped as soon as the keys are derived.
 */
import { createHmac, randomBytes } from 'node:crypto';
import {
  SCRAM_MAX_ITERATIONS,
  SCRAM_MIN_ITERATIONS,
  type ScramAlgorithm,
  saltPassword,
  saltPasswordSync,
  scramAlgorithmOf,
  scramKeys,
} from '@flotilla/protocol';
import type { MetadataRecord } from '../metadata/records.js';

export type ScramMechanismName = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
export type UserScramCredentialRecord = Extract<MetadataRecord, { type: 'UserScramCredential' }>;

/** KIP-554's ScramMechanism codes as they appear in Describe/AlterUserScramCredentials. */
export const SCRAM_MECHANISM_CODES: ReadonlyMap<number, ScramMechanismName> = new Map([
  [1, 'SCRAM-SHA-256'],
  [2, 'SCRAM-SHA-512'],
]);

export function scramMechanismCode(name: string): number {
  return name === 'SCRAM-SHA-256' ? 1 : name === 'SCRAM-SHA-512' ? 2 : 0;
}

export function isScramMechanism(name: string): name is ScramMechanismName {
  return scramAlgorithmOf(name) !== null;
}

/** Why these iterations are refused (Kafka accepts 4096..16384), or null. */
export function iterationsProblem(iterations: number): string | null {
  if (!Number.isInteger(iterations) || iterations < SCRAM_MIN_ITERATIONS) {
    return `Iterations ${iterations} is less than the minimum ${SCRAM_MIN_ITERATIONS}`;
  }
  if (iterations > SCRAM_MAX_ITERATIONS)
    return `Iterations ${iterations} is more than the maximum ${SCRAM_MAX_ITERATIONS}`;
  return null;
}

/** A credential record from an already salted password (what AlterUserScramCredentials carries). */
export function credentialFromSaltedPassword(
  name: string,
  mechanism: ScramMechanismName,
  salt: Buffer,
  saltedPassword: Buffer,
  iterations: number,
): UserScramCredentialRecord {
  const algorithm = scramAlgorithmOf(mechanism) as ScramAlgorithm;
  const { storedKey, serverKey } = scramKeys(algorithm, saltedPassword);
  return {
    type: 'UserScramCredential',
    name,
    mechanism,
    salt: salt.toString('base64'),
    storedKey: storedKey.toString('base64'),
    serverKey: serverKey.toString('base64'),
    iterations,
  };
}

/** A credential record from a password, with a fresh random salt. */
export async function credentialFromPassword(
  name: string,
  mechanism: ScramMechanismName,
  password: string,
  iterations: number,
): Promise<UserScramCredentialRecord> {
  const salt = randomBytes(32);
  const salted = await saltPassword(scramAlgorithmOf(mechanism) as ScramAlgorithm, password, salt, iterations);
  return credentialFromSaltedPassword(name, mechanism, salt, salted, iterations);
}

export function credentialFromPasswordSync(
  name: string,
  mechanism: ScramMechanismName,
  password: string,
  iterations: number,
  salt: Buffer = randomBytes(32),
): UserScramCredentialRecord {
  const salted = saltPasswordSync(scramAlgorithmOf(mechanism) as ScramAlgorithm, password, salt, iterations);
  return credentialFromSaltedPassword(name, mechanism, salt, salted, iterations);
}

/**
 * Parses one `--add-scram` argument of `kafka-storage format`:
 * `SCRAM-SHA-512=[name=alice,password=alice-secret]`, optionally with `iterations=8192` and
 * `salt="<base64>"`. Values may be quoted with double quotes.
 */
export function parseAddScram(arg: string, clusterId?: string): UserScramCredentialRecord {
  const m = /^\s*(SCRAM-SHA-256|SCRAM-SHA-512)\s*=\s*\[(.*)\]\s*$/s.exec(arg);
  if (!m)
    throw new Error(
      `--add-scram must look like 'SCRAM-SHA-512=[name=alice,password=alice-secret]', got a malformed value`,
    );
  const mechanism = m[1] as ScramMechanismName;
  const fields = new Map<string, string>();
  for (const f of (m[2] as string).matchAll(/\s*([a-z]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,]*)\s*(?:,|$)/g)) {
    let value = f[2] as string;
    if (value.startsWith('"')) value = value.slice(1, -1).replace(/\\(.)/g, '$1');
    fields.set(f[1] as string, value);
  }
  const name = fields.get('name');
  const password = fields.get('password');
  if (!name) throw new Error('--add-scram needs name=<user>');
  if (password === undefined) throw new Error(`--add-scram for ${name} needs password=<password>`);
  const iterations = Number(fields.get('iterations') ?? SCRAM_MIN_ITERATIONS);
  const problem = iterationsProblem(iterations);
  if (problem) throw new Error(`--add-scram for ${name}: ${problem}`);
  const salt = fields.get('salt');
  return credentialFromPasswordSync(
    name,
    mechanism,
    password,
    iterations,
    salt !== undefined
      ? Buffer.from(salt, 'base64')
      : clusterId !== undefined
        ? clusterSalt(clusterId, mechanism, name)
        : undefined,
  );
}

/**
 * The salt of a credential seeded by `format` for a known cluster id: derived from cluster, mechanism
 * and user, so that every controller formatted with the same --cluster-id and --add-scram writes the
 * same records at the same offsets of its metadata log (a random salt per node would make the
 * quorum members' logs differ at epoch 0). Still unique per cluster and user; salts are not secret.
 */
export function clusterSalt(clusterId: string, mechanism: string, name: string): Buffer {
  return createHmac('sha256', clusterId).update(`${mechanism}\u0000${name}`).digest();
}

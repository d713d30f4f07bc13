/**
 * AES-256-GCM under the control plane's master key, for secrets we must be able to read back (an
 * access key's secret: Signature V4 recomputes the signature from it, so a hash would not do; a
 * cluster's control-plane SCRAM password and its CA's private key, which the API and the worker both
 * use). Here, beside the catalog whose sealed columns it reads, so both apps share it.
 * Layout: 12-byte IV | 16-byte tag | ciphertext.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class SecretBox {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error(`the master key must be 32 bytes, got ${key.length}`);
    this.key = key;
  }

  seal(plaintext: string): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  }

  open(sealed: Uint8Array): string {
    const buf = Buffer.from(sealed);
    const decipher = createDecipheriv('aes-256-gcm', this.key, buf.subarray(0, 12));
    decipher.setAuthTag(buf.subarray(12, 28));
    return Buffer.concat([decipher.update(buf.subarray(28)), decipher.final()]).toString('utf8');
  }
}

/** The master key from FLOTILLA_MASTER_KEY (base64), else stateDir/master.key, created (mode 0600) if missing. */
export function loadMasterKey(configured: string | null, stateDir: string): Buffer {
  if (configured) return Buffer.from(configured, 'base64');
  const file = join(stateDir, 'master.key');
  if (existsSync(file)) return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  mkdirSync(stateDir, { recursive: true });
  const key = randomBytes(32);
  try {
    writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // The API and the worker start together: the one that lost the race reads the other's key.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    for (let attempt = 0; attempt < 50; attempt++) {
      const theirs = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
      if (theirs.length === 32) return theirs;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20); // still being written
    }
    throw new Error(`${file} does not hold a 32-byte key`);
  }
  chmodSync(file, 0o600);
  return key;
}

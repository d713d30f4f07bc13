/**
 * Access keys: AWS-shaped ids (AKIA + 16 characters) and 40-character secrets. The first admin key is
 * either given (FLOTILLA_ACCESS_KEY_ID / FLOTILLA_SECRET_ACCESS_KEY) or generated on first start and
 * written to stateDir/credentials in the AWS credentials-file format, so the aws CLI and SDKs can use it
 * with AWS_SHARED_CREDENTIALS_FILE (issue 6, "Authentication").
 */
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { accessKeys, type Catalog } from '@flotilla/db';
import type { SecretBox } from './secret-box.js';

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function generateAccessKey(): { accessKeyId: string; secretAccessKey: string } {
  let id = 'AKIA';
  for (let i = 0; i < 16; i++) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  const secretAccessKey = randomBytes(30).toString('base64').replaceAll('+', 'A').replaceAll('/', 'B');
  return { accessKeyId: id, secretAccessKey };
}

export interface AdminKey {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Where it was written, when this start generated it or found it there. */
  readonly credentialsFile: string | null;
  readonly generated: boolean;
}

/** Makes sure an admin key exists and returns it (for `make up` to print). */
export async function ensureAdminKey(
  catalog: Catalog,
  box: SecretBox,
  options: { accessKeyId: string | null; secretAccessKey: string | null; stateDir: string; region: string },
): Promise<AdminKey> {
  if (options.accessKeyId && options.secretAccessKey) {
    const existing = await accessKeys.findAccessKey(catalog, options.accessKeyId);
    if (!existing) {
      await accessKeys.createAccessKey(catalog, {
        accessKeyId: options.accessKeyId,
        secretEncrypted: box.seal(options.secretAccessKey),
        description: 'admin key from FLOTILLA_ACCESS_KEY_ID',
        isAdmin: true,
      });
    } else if (box.open(existing.secretEncrypted) !== options.secretAccessKey) {
      await catalog.accessKey.update({
        where: { accessKeyId: options.accessKeyId },
        data: { secretEncrypted: Uint8Array.from(box.seal(options.secretAccessKey)) },
      });
    }
    return {
      accessKeyId: options.accessKeyId,
      secretAccessKey: options.secretAccessKey,
      credentialsFile: null,
      generated: false,
    };
  }
  const file = join(options.stateDir, 'credentials');
  if (existsSync(file)) {
    const parsed = parseCredentialsFile(readFileSync(file, 'utf8'));
    const stored = parsed ? await accessKeys.findAccessKey(catalog, parsed.accessKeyId) : null;
    if (parsed && stored && box.open(stored.secretEncrypted) === parsed.secretAccessKey) {
      return { ...parsed, credentialsFile: file, generated: false };
    }
  }
  const key = generateAccessKey();
  await accessKeys.createAccessKey(catalog, {
    accessKeyId: key.accessKeyId,
    secretEncrypted: box.seal(key.secretAccessKey),
    description: 'admin key generated at first start',
    isAdmin: true,
  });
  mkdirSync(options.stateDir, { recursive: true });
  writeFileSync(
    file,
    `[default]\naws_access_key_id = ${key.accessKeyId}\naws_secret_access_key = ${key.secretAccessKey}\nregion = ${options.region}\n`,
    { mode: 0o600 },
  );
  return { ...key, credentialsFile: file, generated: true };
}

function parseCredentialsFile(text: string): { accessKeyId: string; secretAccessKey: string } | null {
  const id = /aws_access_key_id\s*=\s*(\S+)/.exec(text)?.[1];
  const secret = /aws_secret_access_key\s*=\s*(\S+)/.exec(text)?.[1];
  return id && secret ? { accessKeyId: id, secretAccessKey: secret } : null;
}

/**
 * The API server's configuration, read once from the environment at start, checked, and passed down
 * typed (STYLE.md: "config validated once at start and exposed typed").
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_DATABASE_URL } from '@flotilla/db';

export interface ApiConfig {
  readonly host: string;
  readonly port: number;
  readonly databaseUrl: string;
  readonly redisUrl: string;
  /** BullMQ key prefix (FLOTILLA_QUEUE_PREFIX): separate control planes, or tests, on one Redis. */
  readonly queuePrefix: string;
  /** Region and account in the ARNs we issue (MSK's arn:aws:kafka:REGION:ACCOUNT:...). */
  readonly region: string;
  readonly accountId: string;
  /** Where the master key and the generated credentials file live. */
  readonly stateDir: string;
  /** A fixed admin key (FLOTILLA_ACCESS_KEY_ID / FLOTILLA_SECRET_ACCESS_KEY); generated when absent. */
  readonly adminAccessKeyId: string | null;
  readonly adminSecretAccessKey: string | null;
  /** base64 of 32 bytes (FLOTILLA_MASTER_KEY); read from or written to stateDir/master.key when absent. */
  readonly masterKey: string | null;
  /**
   * FLOTILLA_RUNTIME as the worker will read it: docker, process, or auto (Docker when an engine
   * answers). Recorded on new clusters until the worker writes the driver it actually used.
   */
  readonly runtime: 'docker' | 'process' | 'auto';
  /** The built web console served at / (FLOTILLA_CONSOLE_DIR; default apps/console/dist beside this package). */
  readonly consoleDir: string | null;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const port = Number(env.FLOTILLA_API_PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`FLOTILLA_API_PORT must be a port number, got ${env.FLOTILLA_API_PORT}`);
  }
  const region = env.FLOTILLA_REGION ?? 'us-east-1';
  if (!/^[a-z0-9-]{1,32}$/.test(region)) throw new ConfigError(`FLOTILLA_REGION ${region} is not a region name`);
  const accountId = env.FLOTILLA_ACCOUNT_ID ?? '000000000000';
  if (!/^\d{12}$/.test(accountId)) throw new ConfigError(`FLOTILLA_ACCOUNT_ID must be 12 digits, got ${accountId}`);
  const runtime = env.FLOTILLA_RUNTIME || 'auto';
  if (runtime !== 'docker' && runtime !== 'process' && runtime !== 'auto') {
    throw new ConfigError(`FLOTILLA_RUNTIME must be docker or process, got ${runtime}`);
  }
  const keyId = env.FLOTILLA_ACCESS_KEY_ID || null;
  const secret = env.FLOTILLA_SECRET_ACCESS_KEY || null;
  if ((keyId === null) !== (secret === null)) {
    throw new ConfigError('set both FLOTILLA_ACCESS_KEY_ID and FLOTILLA_SECRET_ACCESS_KEY, or neither');
  }
  return {
    host: env.FLOTILLA_API_HOST ?? '127.0.0.1',
    port,
    databaseUrl: env.DATABASE_URL || DEFAULT_DATABASE_URL,
    redisUrl: env.REDIS_URL || 'redis://127.0.0.1:6379',
    queuePrefix: env.FLOTILLA_QUEUE_PREFIX || 'flotilla',
    region,
    accountId,
    stateDir: env.FLOTILLA_STATE_DIR ?? join(process.cwd(), '.flotilla'),
    adminAccessKeyId: keyId,
    adminSecretAccessKey: secret,
    masterKey: env.FLOTILLA_MASTER_KEY || null,
    runtime,
    consoleDir: env.FLOTILLA_CONSOLE_DIR || fileURLToPath(new URL('../../console/dist', import.meta.url)),
  };
}

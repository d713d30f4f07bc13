/**
 * Applies prisma/migrations/<name>/migration.sql in name order and records each one in
 * `_prisma_migrations` exactly as `prisma migrate deploy` does, so that on a machine with Prisma's
 * native schema engine `prisma migrate deploy` / `migrate status` see the same history and agree:
 *
 * - the table is Prisma's own (same columns and types);
 * - `checksum` is the SHA-256 of the migration file's bytes, in lowercase hex;
 * - a row is inserted before the script runs and gets `finished_at` and `applied_steps_count = 1` after;
 * - a failed script leaves its row with `finished_at` NULL and the error in `logs`, and (as Prisma's
 *   P3009) no later migration is applied until that row is resolved;
 * - the run holds the advisory lock Prisma's schema engine takes (key 72707369), so our runner and
 *   `prisma migrate deploy` never interleave.
 *
 * Unlike Prisma we run each script inside a transaction: Postgres has transactional DDL, so a failed
 * migration leaves no half-applied schema behind (its row still records the failure, as Prisma's does).
 */
import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { ensureDatabase } from './ensure-database.js';

/** The repository's prisma/migrations, from packages/db/{src,dist}/. */
export const DEFAULT_MIGRATIONS_DIR = new URL('../../../prisma/migrations', import.meta.url).pathname;

/** Prisma's schema engine locks this key (migration-engine's `ADVISORY_LOCK_TIMEOUT` lock) while it migrates. */
const PRISMA_ADVISORY_LOCK_KEY = 72707369;

const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export interface MigrationFile {
  readonly name: string;
  readonly script: string;
  readonly checksum: string;
}

export interface MigrationResult {
  /** Migrations applied by this run, in order. */
  readonly applied: readonly string[];
  /** Migrations that were already applied before this run. */
  readonly alreadyApplied: readonly string[];
  /** True when this run created the database itself. */
  readonly createdDatabase: boolean;
}

/** Stable codes for callers to branch on (STYLE.md, "Errors with stable codes"). */
export type MigrationErrorCode = 'MIGRATION_FAILED' | 'MIGRATION_PREVIOUSLY_FAILED' | 'MIGRATION_MODIFIED';

export class MigrationError extends Error {
  constructor(
    readonly code: MigrationErrorCode,
    readonly migration: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

export function checksumOf(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The migrations in `dir`, in the order Prisma applies them (directory names sort by timestamp). */
export async function readMigrations(dir: string = DEFAULT_MIGRATIONS_DIR): Promise<MigrationFile[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const bytes = await readFile(join(dir, name, 'migration.sql'));
      return { name, script: bytes.toString('utf8'), checksum: checksumOf(bytes) };
    }),
  );
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  logs: string | null;
}

export async function migrate(options: { url: string; dir?: string }): Promise<MigrationResult> {
  const createdDatabase = await ensureDatabase(options.url);
  const migrations = await readMigrations(options.dir);
  const client = new pg.Client({ connectionString: options.url });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_ADVISORY_LOCK_KEY]);
    try {
      await client.query(CREATE_MIGRATIONS_TABLE);
      const { rows } = await client.query<AppliedRow>(
        'SELECT migration_name, checksum, finished_at, rolled_back_at, logs FROM "_prisma_migrations" ORDER BY started_at',
      );
      const failed = rows.find((r) => r.finished_at === null && r.rolled_back_at === null);
      if (failed) {
        throw new MigrationError(
          'MIGRATION_PREVIOUSLY_FAILED',
          failed.migration_name,
          `migration ${failed.migration_name} failed earlier and must be resolved first ` +
            `(\`prisma migrate resolve\`, or delete its _prisma_migrations row after fixing the schema): ${failed.logs ?? ''}`,
        );
      }
      const done = new Map(rows.filter((r) => r.finished_at !== null).map((r) => [r.migration_name, r]));
      const applied: string[] = [];
      const alreadyApplied: string[] = [];
      for (const migration of migrations) {
        const row = done.get(migration.name);
        if (row) {
          if (row.checksum !== migration.checksum) {
            throw new MigrationError(
              'MIGRATION_MODIFIED',
              migration.name,
              `migration ${migration.name} was changed after it was applied (checksum ${row.checksum} in the ` +
                `database, ${migration.checksum} on disk); add a new migration instead`,
            );
          }
          alreadyApplied.push(migration.name);
          continue;
        }
        await apply(client, migration);
        applied.push(migration.name);
      }
      return { applied, alreadyApplied, createdDatabase };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_ADVISORY_LOCK_KEY]);
    }
  } finally {
    await client.end();
  }
}

async function apply(client: pg.Client, migration: MigrationFile): Promise<void> {
  const id = randomUUID();
  await client.query(
    'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)',
    [id, migration.checksum, migration.name],
  );
  try {
    await client.query('BEGIN');
    await client.query(migration.script);
    await client.query('UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1', [
      id,
    ]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    const message = error instanceof Error ? error.message : String(error);
    await client.query('UPDATE "_prisma_migrations" SET logs = $2 WHERE id = $1', [id, message]);
    throw new MigrationError('MIGRATION_FAILED', migration.name, `migration ${migration.name} failed: ${message}`, {
      cause: error,
    });
  }
}

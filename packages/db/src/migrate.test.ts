import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCatalog } from './client.js';
import { clusters, operations } from './index.js';
import { DEFAULT_MIGRATIONS_DIR, MigrationError, migrate, readMigrations } from './migrate.js';
import { dropDatabase, scratchDatabaseUrl } from './testing.js';

const execFileAsync = promisify(execFile);

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('migration runner (real Postgres)', () => {
  const url = scratchDatabaseUrl();
  afterAll(() => dropDatabase(url));

  it('creates the database, applies every migration and records it as Prisma does', async () => {
    const result = await migrate({ url });
    const files = await readMigrations();
    expect(result.createdDatabase).toBe(true);
    expect(result.applied).toEqual(files.map((f) => f.name));
    expect(files.length).toBeGreaterThan(0);

    const rows = await query<{
      migration_name: string;
      checksum: string;
      finished_at: Date | null;
      applied_steps_count: number;
      rolled_back_at: Date | null;
    }>(url, 'SELECT * FROM "_prisma_migrations" ORDER BY migration_name');
    expect(rows.map((r) => r.migration_name)).toEqual(files.map((f) => f.name));
    for (const row of rows) {
      // Prisma's checksum: SHA-256 of the migration.sql bytes, lowercase hex.
      const bytes = readFileSync(join(DEFAULT_MIGRATIONS_DIR, row.migration_name, 'migration.sql'));
      expect(row.checksum).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.applied_steps_count).toBe(1);
      expect(row.rolled_back_at).toBeNull();
    }
    const tables = await query<{ tablename: string }>(
      url,
      "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
    );
    expect(tables.map((t) => t.tablename)).toEqual(
      expect.arrayContaining(['Cluster', 'Broker', 'ClusterOperation', 'OperationStep', 'Configuration', 'AccessKey']),
    );
  });

  it('is idempotent: a second run applies nothing and changes no row', async () => {
    const before = await query(url, 'SELECT id, started_at, finished_at FROM "_prisma_migrations" ORDER BY id');
    const result = await migrate({ url });
    expect(result.applied).toEqual([]);
    expect(result.createdDatabase).toBe(false);
    expect(result.alreadyApplied.length).toBe(before.length);
    expect(await query(url, 'SELECT id, started_at, finished_at FROM "_prisma_migrations" ORDER BY id')).toEqual(
      before,
    );
  });

  it("is read by Prisma's own `prisma migrate status` as up to date", async () => {
    // Prisma's CLI on its WASM schema engine (prisma.config.ts, engine 'js'): it reads the
    // _prisma_migrations rows our runner wrote and compares them with prisma/migrations.
    const root = new URL('../../../', import.meta.url).pathname;
    const { stdout } = await execFileAsync('npx', ['prisma', 'migrate', 'status'], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: url, PRISMA_HIDE_UPDATE_MESSAGE: '1' },
    });
    expect(stdout).toMatch(/1 migration found in prisma\/migrations|migrations found in prisma\/migrations/);
    expect(stdout).toMatch(/Database schema is up to date!/);
  });

  it('runs the same repository function inside and outside a transaction', async () => {
    const catalog = createCatalog({ url });
    try {
      const id = randomUUID();
      const arn = `arn:aws:kafka:us-east-1:000000000000:cluster/repo-test/${id}`;
      const base = {
        id,
        arn,
        name: 'repo-test',
        currentVersion: 'K1',
        kafkaVersion: '3.7.x',
        numberOfBrokerNodes: 3,
        brokerNodeGroupInfo: { instanceType: 'kafka.m5.large', clientSubnets: ['a', 'b', 'c'] },
        instanceType: 'kafka.m5.large',
        volumeSizeGiB: 100,
        runtime: 'process',
        state: 'ACTIVE' as const,
      };
      await catalog.$transaction(async (tx) => {
        await clusters.createCluster(tx, base);
        await operations.createOperation(tx, {
          id: randomUUID(),
          arn: `${arn}/op`,
          clusterId: id,
          clusterArn: arn,
          operationType: 'CREATE',
        });
      });
      expect((await clusters.findClusterByArn(catalog, arn))?.name).toBe('repo-test');

      // Optimistic concurrency: a stale currentVersion changes nothing.
      expect(
        await clusters.updateClusterIfCurrent(
          catalog,
          { arn, currentVersion: 'STALE', expectedState: 'ACTIVE' },
          { currentVersion: 'K2', state: 'UPDATING' },
        ),
      ).toBe(false);
      expect(
        await clusters.updateClusterIfCurrent(
          catalog,
          { arn, currentVersion: 'K1', expectedState: 'ACTIVE' },
          { currentVersion: 'K2', state: 'UPDATING' },
        ),
      ).toBe(true);
      const after = await clusters.findClusterByArn(catalog, arn);
      expect([after?.currentVersion, after?.state]).toEqual(['K2', 'UPDATING']);

      // A transaction that throws leaves nothing behind.
      await expect(
        catalog.$transaction(async (tx) => {
          await clusters.upsertBroker(tx, id, 1, { state: 'RUNNING' });
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      expect(await clusters.listBrokers(catalog, id)).toEqual([]);
    } finally {
      await catalog.$disconnect();
    }
  });
});

describe('migration runner failure handling', () => {
  const url = scratchDatabaseUrl();
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-migrations-'));
    mkdirSync(join(dir, '20260101000000_first'));
    writeFileSync(join(dir, '20260101000000_first', 'migration.sql'), 'CREATE TABLE "A" (id INT PRIMARY KEY);\n');
    mkdirSync(join(dir, '20260101000001_broken'));
    writeFileSync(
      join(dir, '20260101000001_broken', 'migration.sql'),
      'CREATE TABLE "B" (id INT);\nSELECT * FROM "no_such_table";\n',
    );
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await dropDatabase(url);
  });

  it('records a failed migration with its error, rolls its script back and refuses to go on', async () => {
    const error = await migrate({ url, dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as MigrationError).code).toBe('MIGRATION_FAILED');
    expect((error as MigrationError).migration).toBe('20260101000001_broken');

    const rows = await query<{ migration_name: string; finished_at: Date | null; logs: string | null }>(
      url,
      'SELECT migration_name, finished_at, logs FROM "_prisma_migrations" ORDER BY migration_name',
    );
    expect(rows[0]?.finished_at).toBeInstanceOf(Date);
    expect(rows[1]?.finished_at).toBeNull();
    expect(rows[1]?.logs).toMatch(/no_such_table/);
    // The broken script's CREATE TABLE was rolled back with it.
    expect(await query(url, `SELECT 1 FROM pg_tables WHERE tablename = 'B'`)).toEqual([]);

    const again = await migrate({ url, dir }).catch((e: unknown) => e);
    expect((again as MigrationError).code).toBe('MIGRATION_PREVIOUSLY_FAILED');
  });

  it('refuses a migration whose file changed after it was applied', async () => {
    await query(url, `DELETE FROM "_prisma_migrations" WHERE finished_at IS NULL`);
    rmSync(join(dir, '20260101000001_broken'), { recursive: true });
    writeFileSync(join(dir, '20260101000000_first', 'migration.sql'), 'CREATE TABLE "A" (id BIGINT PRIMARY KEY);\n');
    const error = await migrate({ url, dir }).catch((e: unknown) => e);
    expect((error as MigrationError).code).toBe('MIGRATION_MODIFIED');
  });
});

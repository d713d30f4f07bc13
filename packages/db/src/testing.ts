/**
 * For tests of this and other packages: throw-away databases on the real Postgres server of DATABASE_URL (default: the local one), one per
 * test file, dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { databaseUrl } from './database-url.js';
import { quoteIdentifier } from './ensure-database.js';

export function scratchDatabaseUrl(prefix = 'flotilla_test'): string {
  const url = new URL(databaseUrl());
  url.pathname = `/${prefix}_${randomBytes(4).toString('hex')}`;
  return url.toString();
}

export async function dropDatabase(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const client = new pg.Client({ connectionString: maintenance.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

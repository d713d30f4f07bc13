#!/usr/bin/env node
/** `npm run migrate -w @flotilla/db`: creates the catalog database if needed and applies migrations. */
import { databaseUrl } from './database-url.js';
import { redact } from './ensure-database.js';
import { migrate } from './migrate.js';

const url = databaseUrl();
try {
  const result = await migrate({ url });
  if (result.createdDatabase) console.log(`created database ${redact(url)}`);
  console.log(
    result.applied.length
      ? `applied ${result.applied.length} migration(s): ${result.applied.join(', ')}`
      : `catalog up to date (${result.alreadyApplied.length} migration(s))`,
  );
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}

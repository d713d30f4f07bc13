// Prisma CLI configuration. engine "js" makes the CLI use its WASM schema engine through the pg driver
// adapter, so `prisma generate` and `prisma migrate diff` never download a native engine (this network
// cannot reach Prisma's binary host; ARCHITECTURE.md, "Decisions"). Migrations are applied by
// packages/db's own runner, not by `prisma migrate deploy`.
import { PrismaPg } from '@prisma/adapter-pg';
import { defineConfig } from 'prisma/config';

// The schema's datasource reads DATABASE_URL; the same default as packages/db when it is unset.
process.env.DATABASE_URL ??= 'postgresql://postgres@127.0.0.1:5432/flotilla';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  adapter: async () => new PrismaPg({ connectionString: process.env.DATABASE_URL }),
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});

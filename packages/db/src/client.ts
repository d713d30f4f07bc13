/**
 * The catalog client: Prisma's Rust-free client over node-postgres (@prisma/adapter-pg), so no native
 * query engine is needed at run time (ARCHITECTURE.md, "Decisions").
 */
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { type Prisma, PrismaClient } from './generated/prisma/client.js';

export type Catalog = PrismaClient;

/**
 * What every repository function takes: the client itself or the client of a running transaction, so
 * the same function works inside `catalog.$transaction(async (tx) => ...)` and outside it.
 */
export type ClientOrTransaction = PrismaClient | Prisma.TransactionClient;

export interface CatalogOptions {
  readonly url: string;
  /** Connections in the pool. Default 10 (node-postgres' default). */
  readonly maxConnections?: number;
}

const pools = new WeakMap<Catalog, pg.Pool>();

export function createCatalog(options: CatalogOptions): Catalog {
  const pool = new pg.Pool({ connectionString: options.url, max: options.maxConnections ?? 10 });
  // An idle connection that breaks (Postgres restarted) must not crash the process: the next query
  // on the pool opens a new one, or reports the error to its caller.
  pool.on('error', () => {});
  const catalog = new PrismaClient({ adapter: new PrismaPg(pool) });
  pools.set(catalog, pool);
  // The pool is ours (Prisma ends an external pool only when it connected it itself, and the SQL
  // reads below use the pool without Prisma): $disconnect ends it after Prisma let go of it.
  const disconnect = catalog.$disconnect.bind(catalog);
  catalog.$disconnect = async () => {
    await disconnect();
    if (!pool.ended) await pool.end();
  };
  return catalog;
}

/**
 * The node-postgres pool under a catalog (the one its Prisma adapter uses), for the few hot reads that
 * repositories write in SQL (repositories/cluster-views.ts): each Prisma query costs its own compile
 * and interpretation, which dominated DescribeClusterV2 under load (issue 6).
 */
export function catalogPool(catalog: Catalog): pg.Pool {
  const pool = pools.get(catalog);
  if (!pool) throw new Error('This catalog client was not made by createCatalog');
  return pool;
}

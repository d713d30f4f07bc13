/**
 * The catalog client: Prisma's Rust-free client over node-postgres (@prisma/adapter-pg), so no native
 * query engine is needed at run time (ARCHITECTURE.md, "Decisions").
 */
import { PrismaPg } from '@prisma/adapter-pg';
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

export function createCatalog(options: CatalogOptions): Catalog {
  const adapter = new PrismaPg({ connectionString: options.url, max: options.maxConnections ?? 10 });
  return new PrismaClient({ adapter });
}

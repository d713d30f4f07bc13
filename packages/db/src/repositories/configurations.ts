import type { ClientOrTransaction } from '../client.js';
import type { Configuration, ConfigurationRevision } from '../generated/prisma/client.js';

export type ConfigurationWithLatest = Configuration & { revisions: ConfigurationRevision[] };

export function createConfiguration(
  db: ClientOrTransaction,
  data: {
    id: string;
    arn: string;
    name: string;
    description?: string | null;
    kafkaVersions: string[];
    serverProperties: string;
  },
): Promise<ConfigurationWithLatest> {
  return db.configuration.create({
    data: {
      id: data.id,
      arn: data.arn,
      name: data.name,
      description: data.description ?? null,
      kafkaVersions: data.kafkaVersions,
      latestRevision: 1,
      revisions: {
        create: { revision: 1, description: data.description ?? null, serverProperties: data.serverProperties },
      },
    },
    include: { revisions: { orderBy: { revision: 'desc' }, take: 1 } },
  });
}

export function findConfigurationByArn(db: ClientOrTransaction, arn: string): Promise<ConfigurationWithLatest | null> {
  return db.configuration.findUnique({
    where: { arn },
    include: { revisions: { orderBy: { revision: 'desc' }, take: 1 } },
  });
}

export function findConfigurationByName(db: ClientOrTransaction, name: string): Promise<Configuration | null> {
  return db.configuration.findUnique({ where: { name } });
}

export async function listConfigurations(
  db: ClientOrTransaction,
  options: { maxResults: number; nextToken?: string },
): Promise<{ configurations: ConfigurationWithLatest[]; nextToken: string | null }> {
  const rows = await db.configuration.findMany({
    orderBy: [{ createdAt: 'asc' }, { arn: 'asc' }],
    take: options.maxResults + 1,
    ...(options.nextToken ? { cursor: { arn: options.nextToken }, skip: 1 } : {}),
    include: { revisions: { orderBy: { revision: 'desc' }, take: 1 } },
  });
  const more = rows.length > options.maxResults;
  const configurations = more ? rows.slice(0, options.maxResults) : rows;
  return { configurations, nextToken: more ? (configurations.at(-1)?.arn ?? null) : null };
}

export function findRevision(
  db: ClientOrTransaction,
  configurationId: string,
  revision: number,
): Promise<ConfigurationRevision | null> {
  return db.configurationRevision.findUnique({ where: { configurationId_revision: { configurationId, revision } } });
}

export async function listRevisions(
  db: ClientOrTransaction,
  options: { configurationId: string; maxResults: number; nextToken?: string },
): Promise<{ revisions: ConfigurationRevision[]; nextToken: string | null }> {
  const after = options.nextToken ? Number(options.nextToken) : 0;
  const rows = await db.configurationRevision.findMany({
    where: { configurationId: options.configurationId, revision: { gt: Number.isFinite(after) ? after : 0 } },
    orderBy: { revision: 'asc' },
    take: options.maxResults + 1,
  });
  const more = rows.length > options.maxResults;
  const revisions = more ? rows.slice(0, options.maxResults) : rows;
  return { revisions, nextToken: more ? String(revisions.at(-1)?.revision) : null };
}

/** Adds the next revision; the row lock on the configuration serialises concurrent updates. */
export async function addRevision(
  db: ClientOrTransaction,
  configurationId: string,
  data: { description?: string | null; serverProperties: string },
): Promise<ConfigurationRevision> {
  const configuration = await db.configuration.update({
    where: { id: configurationId },
    data: { latestRevision: { increment: 1 } },
  });
  return db.configurationRevision.create({
    data: {
      configurationId,
      revision: configuration.latestRevision,
      description: data.description ?? null,
      serverProperties: data.serverProperties,
    },
  });
}

export async function removeConfiguration(db: ClientOrTransaction, id: string): Promise<void> {
  await db.configuration.deleteMany({ where: { id } });
}

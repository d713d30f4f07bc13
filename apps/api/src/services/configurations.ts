/**
 * Configurations (MSK's server.properties documents with revisions). The properties travel base64 in
 * JSON (the model's blob type); they are checked when written, as MSK rejects a configuration with
 * malformed lines or properties it manages itself.
 */
import { randomUUID } from 'node:crypto';
import { configurations, Prisma, tags } from '@flotilla/db';
import { KAFKA_VERSIONS, parseServerProperties, RESERVED_KEYS } from '@flotilla/runtime';
import { configurationArn } from '../lib/arn.js';
import { badRequest, conflict, notFound } from '../lib/errors.js';
import type { CreateConfigurationRequest } from '../schemas/msk.js';
import type { Services } from './context.js';

function decodeProperties(base64: string): string {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 !== 0) {
    throw badRequest('serverProperties must be base64-encoded server.properties text', 'serverProperties');
  }
  const text = Buffer.from(base64, 'base64').toString('utf8');
  let properties: Record<string, string>;
  try {
    properties = parseServerProperties(text);
  } catch (error) {
    throw badRequest(`serverProperties: ${error instanceof Error ? error.message : String(error)}`, 'serverProperties');
  }
  const reserved = Object.keys(properties).filter((k) => RESERVED_KEYS.has(k));
  if (reserved.length) {
    throw badRequest(`serverProperties may not set ${reserved.join(', ')}: Flotilla manages them`, 'serverProperties');
  }
  return text;
}

const revisionJson = (r: { createdAt: Date; description: string | null; revision: number }) => ({
  creationTime: r.createdAt.toISOString(),
  ...(r.description !== null ? { description: r.description } : {}),
  revision: r.revision,
});

function configurationJson(c: configurations.ConfigurationWithLatest) {
  const latest = c.revisions[0];
  if (!latest) throw new Error(`configuration ${c.arn} has no revision`);
  return {
    arn: c.arn,
    creationTime: c.createdAt.toISOString(),
    description: c.description ?? '',
    kafkaVersions: c.kafkaVersions,
    latestRevision: revisionJson(latest),
    name: c.name,
    state: c.state,
  };
}

export async function createConfiguration(s: Services, request: CreateConfigurationRequest) {
  const text = decodeProperties(request.serverProperties);
  for (const v of request.kafkaVersions ?? []) {
    if (!KAFKA_VERSIONS.some((k) => k.name === v)) throw badRequest(`Unsupported Kafka version ${v}`, 'kafkaVersions');
  }
  const id = randomUUID();
  try {
    const created = await configurations.createConfiguration(s.catalog, {
      id,
      arn: configurationArn(s.arns, request.name, id),
      name: request.name,
      description: request.description ?? null,
      kafkaVersions: request.kafkaVersions ?? [],
      serverProperties: text,
    });
    const json = configurationJson(created);
    return {
      arn: json.arn,
      creationTime: json.creationTime,
      latestRevision: json.latestRevision,
      name: json.name,
      state: json.state,
    };
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
      throw conflict(`A configuration named ${request.name} already exists`, 'name');
    }
    throw error;
  }
}

async function requireConfiguration(s: Services, arn: string) {
  const c = await configurations.findConfigurationByArn(s.catalog, arn);
  if (!c) throw notFound(`Configuration ${arn} does not exist`, 'arn');
  return c;
}

export async function describeConfiguration(s: Services, arn: string) {
  return configurationJson(await requireConfiguration(s, arn));
}

export async function describeConfigurationRevision(s: Services, arn: string, revision: number) {
  const c = await requireConfiguration(s, arn);
  const r = await configurations.findRevision(s.catalog, c.id, revision);
  if (!r) throw notFound(`Configuration ${arn} has no revision ${revision}`, 'revision');
  return {
    arn: c.arn,
    ...revisionJson(r),
    serverProperties: Buffer.from(r.serverProperties, 'utf8').toString('base64'),
  };
}

export async function listConfigurations(s: Services, query: { maxResults?: number; nextToken?: string }) {
  const page = await configurations.listConfigurations(s.catalog, {
    maxResults: query.maxResults ?? 10,
    ...(query.nextToken ? { nextToken: query.nextToken } : {}),
  });
  return {
    configurations: page.configurations.map(configurationJson),
    ...(page.nextToken ? { nextToken: page.nextToken } : {}),
  };
}

export async function listConfigurationRevisions(
  s: Services,
  arn: string,
  query: { maxResults?: number; nextToken?: string },
) {
  const c = await requireConfiguration(s, arn);
  const page = await configurations.listRevisions(s.catalog, {
    configurationId: c.id,
    maxResults: query.maxResults ?? 10,
    ...(query.nextToken ? { nextToken: query.nextToken } : {}),
  });
  return { revisions: page.revisions.map(revisionJson), ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
}

export async function updateConfiguration(
  s: Services,
  arn: string,
  request: { serverProperties: string; description?: string },
) {
  const c = await requireConfiguration(s, arn);
  if (c.state !== 'ACTIVE') throw badRequest(`Configuration ${c.name} is ${c.state}`, 'arn');
  const text = decodeProperties(request.serverProperties);
  const revision = await s.catalog.$transaction((tx) =>
    configurations.addRevision(tx, c.id, { description: request.description ?? null, serverProperties: text }),
  );
  return { arn: c.arn, latestRevision: revisionJson(revision) };
}

/** DeleteConfiguration: refused while a cluster uses the configuration, as MSK does. */
export async function deleteConfiguration(s: Services, arn: string) {
  const c = await requireConfiguration(s, arn);
  const users = await s.catalog.cluster.count({ where: { configurationArn: arn } });
  if (users > 0) throw badRequest(`Configuration ${c.name} is in use by ${users} cluster(s)`, 'arn');
  await s.catalog.$transaction(async (tx) => {
    await configurations.removeConfiguration(tx, c.id);
    await tags.removeAllTags(tx, arn);
  });
  return { arn, state: 'DELETING' };
}

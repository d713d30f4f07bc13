/**
 * Everything `server.ts` does before it listens, as a function tests can call: migrations, the master
 * key, the admin key, and a Fastify instance with the app registered.
 */
import { createCatalog, kafkaVersions, migrate } from '@flotilla/db';
import { KAFKA_VERSIONS } from '@flotilla/runtime';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import fp from 'fastify-plugin';
import app, { serverOptions } from './app.js';
import type { ApiConfig } from './config.js';
import { type AdminKey, ensureAdminKey } from './lib/access-keys.js';
import { loadMasterKey, SecretBox } from './lib/secret-box.js';

export interface StartedApi {
  readonly fastify: FastifyInstance;
  readonly adminKey: AdminKey;
  readonly appliedMigrations: readonly string[];
  /** The master key's box: a worker in the same process (tests) opens the same sealed columns with it. */
  readonly box: SecretBox;
}

export async function buildApi(
  config: ApiConfig,
  options: { logger?: FastifyServerOptions['logger'] } = {},
): Promise<StartedApi> {
  const migrations = await migrate({ url: config.databaseUrl });
  const box = new SecretBox(loadMasterKey(config.masterKey, config.stateDir));
  const catalog = createCatalog({ url: config.databaseUrl });
  try {
    await kafkaVersions.upsertKafkaVersions(
      catalog,
      KAFKA_VERSIONS.map((v) => ({
        version: v.name,
        imageTag: v.image,
        protocolLevel: v.protocolLevel,
        status: v.status,
      })),
    );
    const adminKey = await ensureAdminKey(catalog, box, {
      accessKeyId: config.adminAccessKeyId,
      secretAccessKey: config.adminSecretAccessKey,
      stateDir: config.stateDir,
      region: config.region,
    });
    const fastify = Fastify({ ...serverOptions, logger: options.logger ?? false });
    // Not encapsulated: the caller (server.ts, tests) reaches `fastify.services` too.
    await fastify.register(fp(app, { name: 'flotilla-api' }), { config, box, catalog });
    fastify.addHook('onClose', async () => {
      await catalog.$disconnect();
    });
    return { fastify, adminKey, appliedMigrations: migrations.applied, box };
  } catch (error) {
    await catalog.$disconnect();
    throw error;
  }
}

/**
 * The API as a Fastify plugin (fastify/demo layout): plugins first (body capture, errors, catalog and
 * queue, auth, OpenAPI), then one route plugin per MSK resource. server.ts only creates the instance
 * and listens; tests register this plugin on their own instance.
 */
import type { Catalog } from '@flotilla/db';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { ApiConfig } from './config.js';
import { RequestLog } from './lib/request-log.js';
import type { SecretBox } from './lib/secret-box.js';
import auth from './plugins/auth.js';
import consoleUi from './plugins/console.js';
import errors from './plugins/errors.js';
import rawBody from './plugins/raw-body.js';
import services from './plugins/services.js';
import swagger from './plugins/swagger.js';
import clusterResourceRoutes from './routes/cluster-resources.js';
import clusterUpdateRoutes from './routes/cluster-updates.js';
import clusterRoutes from './routes/clusters.js';
import configurationRoutes from './routes/configurations.js';
import messageRoutes from './routes/messages.js';
import monitoringRoutes from './routes/monitoring.js';
import operationRoutes from './routes/operations.js';
import tagRoutes from './routes/tags.js';
import versionRoutes from './routes/versions.js';
import { sharedSchemas } from './schemas/msk.js';

export interface AppOptions {
  readonly config: ApiConfig;
  readonly box: SecretBox;
  /** A catalog client to use instead of making one (it is then not closed with the app). */
  readonly catalog?: Catalog;
}

/**
 * Fastify options the app needs: Ajv must not drop unknown members (we reject them, as a typo should
 * not be ignored), and must coerce query strings (maxResults=5) and single values into arrays (tagKeys).
 */
export const serverOptions = {
  ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false } },
  // ARNs in paths are long (MSK's up to 1011 characters plus encoding).
  routerOptions: { maxParamLength: 2048 },
  // Reads log at debug, changes one line at info (lib/request-log.ts).
  logController: new RequestLog(),
} satisfies FastifyServerOptions;

export default async function app(fastify: FastifyInstance, opts: AppOptions): Promise<void> {
  for (const schema of sharedSchemas) fastify.addSchema(schema);
  await fastify.register(rawBody);
  await fastify.register(errors);
  await fastify.register(services, {
    config: opts.config,
    box: opts.box,
    ...(opts.catalog ? { catalog: opts.catalog } : {}),
  });
  await fastify.register(auth, { box: opts.box });
  await fastify.register(swagger);
  fastify.get('/health', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  await fastify.register(clusterRoutes);
  await fastify.register(clusterUpdateRoutes);
  await fastify.register(clusterResourceRoutes, { databaseUrl: opts.config.databaseUrl });
  await fastify.register(configurationRoutes);
  await fastify.register(monitoringRoutes);
  await fastify.register(operationRoutes);
  await fastify.register(tagRoutes);
  await fastify.register(versionRoutes);
  await fastify.register(messageRoutes);
  await fastify.register(consoleUi, { root: opts.config.consoleDir });
}

/**
 * The catalog (Prisma over pg) and the operations queue (BullMQ over Redis), made once and closed when
 * the server closes. Both can be passed in (tests share one catalog across app instances).
 */
import { type Catalog, createCatalog, type SecretBox } from '@flotilla/db';
import { OPERATIONS_QUEUE } from '@flotilla/worker/jobs';
import { Queue } from 'bullmq';
import fp from 'fastify-plugin';
import type { ApiConfig } from '../config.js';
import type { Services } from '../services/context.js';

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
}

export interface ServicesPluginOptions {
  readonly config: ApiConfig;
  readonly box: SecretBox;
  readonly catalog?: Catalog;
}

export default fp<ServicesPluginOptions>(
  async (fastify, opts) => {
    const catalog = opts.catalog ?? createCatalog({ url: opts.config.databaseUrl });
    const queue = new Queue(OPERATIONS_QUEUE, {
      prefix: opts.config.queuePrefix,
      // Commands wait for the connection (none is lost at start-up) but give up after one reconnection
      // attempt, so a request during a Redis outage fails in well under a second instead of hanging.
      connection: { url: opts.config.redisUrl, maxRetriesPerRequest: 1 },
    });
    // A Redis outage must fail requests that enqueue (503), not crash the server.
    queue.on('error', (error) => fastify.log.warn({ err: error }, 'operations queue: Redis error'));
    fastify.decorate('services', {
      catalog,
      queue,
      arns: { region: opts.config.region, accountId: opts.config.accountId },
      runtime: opts.config.runtime,
      box: opts.box,
    });
    fastify.addHook('onClose', async () => {
      await queue.close();
      if (!opts.catalog) await catalog.$disconnect();
    });
  },
  { name: 'services' },
);

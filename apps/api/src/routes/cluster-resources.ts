/**
 * The resources under a cluster ARN that live on the brokers (topics, ACLs, SCRAM users, consumer
 * groups) and the event stream, registered together: they share the reconcile queue, through which
 * each mutation asks the worker to reconcile the catalog with the cluster (apps/worker reconcile.ts).
 */

import { RECONCILE_QUEUE, requestReconcile } from '@flotilla/worker';
import { Queue } from 'bullmq';
import type { FastifyPluginAsync } from 'fastify';
import aclRoutes from './acls.js';
import certificateRoutes from './certificates.js';
import consumerGroupRoutes from './consumer-groups.js';
import eventRoutes from './events.js';
import topicRoutes from './topics.js';
import userRoutes from './users.js';

export interface ClusterResourceOptions {
  readonly requestReconcile: (clusterId: string) => Promise<void>;
}

const routes: FastifyPluginAsync<{ databaseUrl: string }> = async (fastify, opts) => {
  const operations = fastify.services.queue;
  // The same Redis and prefix as the operations queue.
  const queue = new Queue(RECONCILE_QUEUE, { connection: operations.opts.connection, prefix: operations.opts.prefix });
  queue.on('error', (error) => fastify.log.warn({ err: error }, 'reconcile queue: Redis error'));
  fastify.addHook('onClose', async () => {
    await queue.close();
  });
  const options: ClusterResourceOptions = { requestReconcile: (clusterId) => requestReconcile(queue, clusterId) };
  await fastify.register(topicRoutes, options);
  await fastify.register(aclRoutes, options);
  await fastify.register(userRoutes, options);
  await fastify.register(consumerGroupRoutes);
  await fastify.register(certificateRoutes);
  await fastify.register(eventRoutes, { databaseUrl: opts.databaseUrl });
};

export default routes;

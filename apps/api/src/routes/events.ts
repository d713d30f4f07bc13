/**
 * `GET /v1/events`: a server-sent-events stream of cluster state changes and operation progress
 * (`event: cluster | operation | operation-step`, `data:` a JSON object with the ARNs and new state),
 * optionally only for one `clusterArn`. The source is Postgres LISTEN/NOTIFY (services/events.ts). A
 * comment line every 15 s keeps proxies from closing an idle stream; streams end when the server closes.
 */

import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ApiError } from '../lib/errors.js';
import * as S from '../schemas/cluster-resources.js';
import { EventHub } from '../services/events.js';

export interface EventRoutesOptions {
  readonly databaseUrl: string;
}

const HEARTBEAT_MS = 15_000;

const routes: FastifyPluginAsyncTypebox<EventRoutesOptions> = async (fastify, opts) => {
  const hub = new EventHub(opts.databaseUrl, (error) => fastify.log.warn({ err: error }, 'event stream: Postgres'));
  const open = new Set<ServerResponse>();

  // Streams never go idle, so they must be ended for the server to close.
  fastify.addHook('preClose', async () => {
    for (const raw of open) raw.end();
    open.clear();
    await hub.close();
  });

  fastify.get(
    '/v1/events',
    {
      schema: {
        operationId: 'StreamEvents',
        tags: ['events'],
        querystring: S.EventsQuery,
        produces: ['text/event-stream'],
        response: {
          200: {
            description: 'text/event-stream: `event: cluster|operation|operation-step`, `data: {json}`',
            type: 'string',
          },
          ...S.resourceErrors,
        },
      },
    },
    async (request, reply) => {
      const clusterArn = request.query.clusterArn;
      const raw = reply.raw;
      let unsubscribe: (() => void) | undefined;
      let heartbeat: NodeJS.Timeout | undefined;
      const finish = () => {
        clearInterval(heartbeat);
        unsubscribe?.();
        open.delete(raw);
      };
      try {
        unsubscribe = await hub.subscribe((event) => {
          if (clusterArn && event.clusterArn !== clusterArn) return;
          raw.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
        });
      } catch (error) {
        request.log.warn({ err: error }, 'event stream: cannot LISTEN');
        throw new ApiError('ServiceUnavailableException', 'The event stream is not available right now; try again');
      }
      reply.hijack();
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      // The first bytes tell the client the stream is live (and that it is subscribed already).
      raw.write(': connected\n\n');
      open.add(raw);
      heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), HEARTBEAT_MS);
      request.raw.on('close', finish);
      raw.on('close', finish);
    },
  );
};

export default routes;

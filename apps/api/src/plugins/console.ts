/**
 * The web console (apps/console, a Vite build) at `/`. Its hashed assets are served with a year of
 * caching, and the console's own paths (/, /create, /configurations, /clusters/...) answer index.html
 * so a deep link or a reload lands on the right page. These routes are public (marked `config.public`
 * for the auth hook): the console holds no secret, and it signs its API calls with the user's key.
 * API routes keep priority: the console's paths do not overlap /v1, /api, /docs or /health.
 * Where the console is not built, the API starts without it and says so in the log.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Served without authentication (the console's files). */
    public?: boolean;
  }
}

export const CONSOLE_PATHS = ['/', '/create', '/configurations', '/clusters/*'];

export default fp<{ root: string | null }>(
  async (fastify, opts) => {
    const root = opts.root;
    if (!root || !existsSync(join(root, 'index.html'))) {
      fastify.log.warn({ root }, 'console not built (npm run build -w @flotilla/console): not serving it at /');
      return;
    }
    await fastify.register(fastifyStatic, { root, serve: false });
    const config = { public: true };
    const schema = { hide: true };
    fastify.get('/assets/*', { config, schema }, (request, reply) => {
      const file = (request.params as { '*': string })['*'];
      return reply.sendFile(join('assets', file), { maxAge: '365d', immutable: true });
    });
    for (const path of CONSOLE_PATHS) {
      fastify.get(path, { config, schema }, (_request, reply) =>
        reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false }),
      );
    }
  },
  { name: 'console' },
);

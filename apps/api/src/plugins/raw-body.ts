/**
 * Keeps each request's body bytes: Signature V4 signs the SHA-256 of exactly what was sent, so the
 * auth hook needs them, not the parsed JSON. JSON is parsed here as well; an empty body is no body.
 */
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyRequest {
    /** The body as received; null when the request had none. */
    rawBody: Buffer | null;
  }
}

export default fp(
  async (fastify) => {
    fastify.decorateRequest('rawBody', null);
    fastify.removeAllContentTypeParsers();
    fastify.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 2 * 1024 * 1024 }, (request, body, done) => {
      const bytes = body as Buffer;
      request.rawBody = bytes;
      if (bytes.length === 0) return done(null, undefined);
      try {
        done(null, JSON.parse(bytes.toString('utf8')));
      } catch {
        const error = new Error('The request body is not valid JSON') as Error & { statusCode: number };
        error.statusCode = 400;
        done(error, undefined);
      }
    });
  },
  { name: 'raw-body' },
);

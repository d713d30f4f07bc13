/**
 * Authentication, in one hook, for every route but the docs and the health check:
 *   - AWS Signature V4 with an access key of ours (the AWS SDK and the aws CLI sign this way), or
 *   - `Authorization: Bearer <accessKeyId>:<secretAccessKey>` (the console; curl).
 * Failures answer 403 with AWS's error names (InvalidSignatureException, UnrecognizedClientException,
 * MissingAuthenticationTokenException). Runs in preValidation, after the body is read (the signature
 * covers it) and before validation (an unauthenticated caller learns nothing about our schemas).
 */
import { timingSafeEqual } from 'node:crypto';
import { accessKeys } from '@flotilla/db';
import fp from 'fastify-plugin';
import { ApiError } from '../lib/errors.js';
import type { SecretBox } from '../lib/secret-box.js';
import { verifySignature } from '../lib/sigv4.js';

declare module 'fastify' {
  interface FastifyRequest {
    accessKeyId: string | null;
  }
}

const SECRET_CACHE_MS = 30_000;
const TOUCH_INTERVAL_MS = 60_000;

const PUBLIC = [/^\/docs(\/|$)/, /^\/health$/];

export default fp<{ box: SecretBox }>(
  async (fastify, opts) => {
    // Known keys are remembered for SECRET_CACHE_MS, so a burst of requests costs one catalog read and
    // one decryption per key, not one per request (a disabled key stops working within that time);
    // lastUsedAt is written at most once per TOUCH_INTERVAL_MS per key, not on every request.
    const known = new Map<string, { secret: string; until: number }>();
    const touched = new Map<string, number>();
    const secretFor = async (accessKeyId: string): Promise<string | null> => {
      const now = Date.now();
      const cached = known.get(accessKeyId);
      if (cached && cached.until > now) return cached.secret;
      const key = await accessKeys.findAccessKey(fastify.services.catalog, accessKeyId);
      if (!key || key.disabled) {
        known.delete(accessKeyId);
        return null;
      }
      const secret = opts.box.open(key.secretEncrypted);
      if (known.size > 10_000) known.clear();
      known.set(accessKeyId, { secret, until: now + SECRET_CACHE_MS });
      return secret;
    };
    const touch = (accessKeyId: string) => {
      const now = Date.now();
      if ((touched.get(accessKeyId) ?? 0) + TOUCH_INTERVAL_MS > now) return;
      touched.set(accessKeyId, now);
      void accessKeys.touchAccessKey(fastify.services.catalog, accessKeyId).catch(() => {});
    };
    fastify.decorateRequest('accessKeyId', null);
    fastify.addHook('preValidation', async (request) => {
      const path = request.url.split('?')[0] ?? '';
      if (PUBLIC.some((p) => p.test(path)) || request.routeOptions.config?.public) return;
      const header = request.headers.authorization;
      if (!header) {
        throw new ApiError('MissingAuthenticationTokenException', 'Missing Authentication Token');
      }
      if (header.startsWith('Bearer ')) {
        const token = header.slice(7).trim();
        const colon = token.indexOf(':');
        const id = colon > 0 ? token.slice(0, colon) : '';
        const secret = await secretFor(id);
        const given = Buffer.from(token.slice(colon + 1));
        if (
          secret === null ||
          given.length !== Buffer.byteLength(secret) ||
          !timingSafeEqual(given, Buffer.from(secret))
        ) {
          throw new ApiError('UnrecognizedClientException', 'The security token included in the request is invalid.');
        }
        request.accessKeyId = id;
        touch(id);
        return;
      }
      request.accessKeyId = await verifySignature(
        {
          method: request.method,
          url: request.raw.url ?? request.url,
          headers: request.headers,
          body: request.rawBody ?? Buffer.alloc(0),
        },
        secretFor,
        { service: 'kafka' },
      );
      touch(request.accessKeyId);
    });
  },
  { name: 'auth', dependencies: ['services', 'raw-body'] },
);

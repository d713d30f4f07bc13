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

const PUBLIC = [/^\/docs(\/|$)/, /^\/health$/];

export default fp<{ box: SecretBox }>(
  async (fastify, opts) => {
    const secretFor = async (accessKeyId: string): Promise<string | null> => {
      const key = await accessKeys.findAccessKey(fastify.services.catalog, accessKeyId);
      if (!key || key.disabled) return null;
      return opts.box.open(key.secretEncrypted);
    };
    fastify.decorateRequest('accessKeyId', null);
    fastify.addHook('preValidation', async (request) => {
      const path = request.url.split('?')[0] ?? '';
      if (PUBLIC.some((p) => p.test(path))) return;
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
      void accessKeys.touchAccessKey(fastify.services.catalog, request.accessKeyId).catch(() => {});
    });
  },
  { name: 'auth', dependencies: ['services', 'raw-body'] },
);

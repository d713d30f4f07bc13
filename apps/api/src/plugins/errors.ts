/**
 * One error handler: domain errors (ApiError) and schema validation errors become MSK's error shape
 * (status, `x-amzn-ErrorType` header, `{ message, invalidParameter }`); anything else is a 500 whose
 * details go to the log only.
 */
import type { FastifyError } from 'fastify';
import fp from 'fastify-plugin';
import { ApiError } from '../lib/errors.js';

export default fp(
  async (fastify) => {
    fastify.setErrorHandler((error: FastifyError | ApiError, request, reply) => {
      let apiError: ApiError;
      if (error instanceof ApiError) {
        apiError = error;
      } else if ('validation' in error && error.validation) {
        const first = error.validation[0];
        const params = (first?.params ?? {}) as Record<string, unknown>;
        const where = `${error.validationContext ?? 'request'}${first?.instancePath ?? ''}`;
        const field =
          (params.additionalProperty as string | undefined) ??
          (params.missingProperty as string | undefined) ??
          first?.instancePath.split('/').filter(Boolean).at(-1) ??
          error.validationContext;
        const detail = params.additionalProperty
          ? `has an unknown member '${params.additionalProperty}'`
          : first?.message;
        apiError = new ApiError('BadRequestException', `${where} ${detail ?? 'is invalid'}`, field);
      } else if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
        // Fastify's own 4xx (malformed JSON, body too large, unsupported media type).
        apiError = new ApiError('BadRequestException', error.message);
      } else {
        request.log.error({ err: error }, 'unhandled error');
        apiError = new ApiError('InternalServerErrorException', 'There was an unexpected internal server error.');
      }
      if (apiError.statusCode >= 500) request.log.warn({ type: apiError.type }, apiError.message);
      return reply
        .code(apiError.statusCode)
        .header('x-amzn-ErrorType', apiError.type)
        .send({
          message: apiError.message,
          ...(apiError.invalidParameter ? { invalidParameter: apiError.invalidParameter } : {}),
        });
    });
    fastify.setNotFoundHandler((request, reply) =>
      reply
        .code(404)
        .header('x-amzn-ErrorType', 'NotFoundException')
        .send({ message: `No route for ${request.method} ${request.url.split('?')[0]}` }),
    );
  },
  { name: 'errors' },
);

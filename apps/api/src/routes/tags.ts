/** TagResource / UntagResource / ListTagsForResource, for clusters and configurations. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import * as S from '../schemas/msk.js';
import * as tags from '../services/tags.js';

const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  const s = () => fastify.services;

  fastify.post(
    '/v1/tags/:resourceArn',
    {
      schema: {
        operationId: 'TagResource',
        tags: ['tags'],
        params: S.ResourceArnParams,
        body: S.TagResourceRequest,
        response: { 204: { type: 'null' }, ...S.errorResponses },
      },
    },
    async (request, reply) => {
      await tags.tagResource(s(), request.params.resourceArn, request.body.tags);
      return reply.code(204).send();
    },
  );

  fastify.delete(
    '/v1/tags/:resourceArn',
    {
      schema: {
        operationId: 'UntagResource',
        tags: ['tags'],
        params: S.ResourceArnParams,
        querystring: S.UntagResourceQuery,
        response: { 204: { type: 'null' }, ...S.errorResponses },
      },
    },
    async (request, reply) => {
      await tags.untagResource(s(), request.params.resourceArn, request.query.tagKeys);
      return reply.code(204).send();
    },
  );

  fastify.get(
    '/v1/tags/:resourceArn',
    {
      schema: {
        operationId: 'ListTagsForResource',
        tags: ['tags'],
        params: S.ResourceArnParams,
        response: { 200: S.ListTagsForResourceResponse, ...S.errorResponses },
      },
    },
    (request) => tags.listTagsForResource(s(), request.params.resourceArn),
  );
};

export default routes;

/** ListKafkaVersions and GetCompatibleKafkaVersions, from the version catalog in packages/runtime. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import * as S from '../schemas/msk.js';
import * as versions from '../services/versions.js';

const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get(
    '/v1/kafka-versions',
    {
      schema: {
        operationId: 'ListKafkaVersions',
        tags: ['versions'],
        querystring: Type.Object(S.PageQuery),
        response: { 200: S.ListKafkaVersionsResponse, ...S.errorResponses },
      },
    },
    async () => versions.listKafkaVersions(),
  );

  fastify.get(
    '/v1/compatible-kafka-versions',
    {
      schema: {
        operationId: 'GetCompatibleKafkaVersions',
        tags: ['versions'],
        querystring: Type.Object({ clusterArn: Type.Optional(Type.String()) }),
        response: { 200: S.GetCompatibleKafkaVersionsResponse, ...S.errorResponses },
      },
    },
    (request) => versions.getCompatibleKafkaVersions(fastify.services, request.query.clusterArn),
  );
};

export default routes;

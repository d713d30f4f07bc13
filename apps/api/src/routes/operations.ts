/** Cluster operations (V2 paths): the progress of every mutating call, step by step. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import * as S from '../schemas/msk.js';
import * as operations from '../services/operations.js';

const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  const s = () => fastify.services;

  fastify.get(
    '/api/v2/clusters/:clusterArn/operations',
    {
      schema: {
        operationId: 'ListClusterOperationsV2',
        tags: ['operations'],
        params: S.ClusterArnParams,
        querystring: Type.Object(S.PageQuery),
        response: { 200: S.ListClusterOperationsV2Response, ...S.errorResponses },
      },
    },
    (request) => operations.listClusterOperations(s(), request.params.clusterArn, request.query),
  );

  fastify.get(
    '/api/v2/operations/:clusterOperationArn',
    {
      schema: {
        operationId: 'DescribeClusterOperationV2',
        tags: ['operations'],
        params: Type.Object({ clusterOperationArn: Type.String({ minLength: 1 }) }),
        response: { 200: S.DescribeClusterOperationV2Response, ...S.errorResponses },
      },
    },
    (request) => operations.describeClusterOperation(s(), request.params.clusterOperationArn),
  );

  fastify.get(
    '/v1/clusters/:clusterArn/operations',
    {
      schema: {
        operationId: 'ListClusterOperations',
        tags: ['operations'],
        params: S.ClusterArnParams,
        querystring: Type.Object(S.PageQuery),
        response: { 200: S.ListClusterOperationsResponse, ...S.errorResponses },
      },
    },
    (request) => operations.listClusterOperationsV1(s(), request.params.clusterArn, request.query),
  );

  fastify.get(
    '/v1/operations/:clusterOperationArn',
    {
      schema: {
        operationId: 'DescribeClusterOperation',
        tags: ['operations'],
        params: Type.Object({ clusterOperationArn: Type.String({ minLength: 1 }) }),
        response: { 200: Type.Object({ clusterOperationInfo: S.ClusterOperationInfo }), ...S.errorResponses },
      },
    },
    (request) => operations.describeClusterOperationV1(s(), request.params.clusterOperationArn),
  );
};

export default routes;

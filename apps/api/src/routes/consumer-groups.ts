/** Flotilla's consumer groups: list, describe with per-partition lag, reset offsets (with dryRun). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import * as S from '../schemas/cluster-resources.js';
import * as groups from '../services/consumer-groups.js';

const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  const s = () => fastify.services;

  fastify.get(
    '/v1/clusters/:clusterArn/consumer-groups',
    {
      schema: {
        operationId: 'ListConsumerGroups',
        tags: ['consumer-groups'],
        params: S.ClusterArnParams,
        response: { 200: S.ListConsumerGroupsResponse, ...S.resourceErrors },
      },
    },
    (request) => groups.listConsumerGroups(s(), request.params.clusterArn),
  );

  fastify.get(
    '/v1/clusters/:clusterArn/consumer-groups/:groupId',
    {
      schema: {
        operationId: 'DescribeConsumerGroup',
        tags: ['consumer-groups'],
        params: S.GroupParams,
        response: { 200: S.DescribeConsumerGroupResponse, ...S.resourceErrors },
      },
    },
    (request) => groups.describeConsumerGroup(s(), request.params.clusterArn, request.params.groupId),
  );

  fastify.post(
    '/v1/clusters/:clusterArn/consumer-groups/:groupId/reset-offsets',
    {
      schema: {
        operationId: 'ResetConsumerGroupOffsets',
        tags: ['consumer-groups'],
        params: S.GroupParams,
        body: S.ResetOffsetsRequest,
        response: { 200: S.ResetOffsetsResponse, ...S.resourceErrors },
      },
    },
    (request) => groups.resetOffsets(s(), request.params.clusterArn, request.params.groupId, request.body),
  );
};

export default routes;

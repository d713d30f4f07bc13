/** MSK cluster routes: thin, each validates with its schema and calls one service function. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import * as S from '../schemas/msk.js';
import * as clusters from '../services/clusters.js';

const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  const s = () => fastify.services;

  fastify.post(
    '/api/v2/clusters',
    {
      schema: {
        operationId: 'CreateClusterV2',
        tags: ['clusters'],
        body: S.CreateClusterV2Request,
        response: { 200: S.CreateClusterV2Response, ...S.errorResponses },
      },
    },
    (request) => clusters.createCluster(s(), request.body),
  );

  fastify.get(
    '/api/v2/clusters',
    {
      schema: {
        operationId: 'ListClustersV2',
        tags: ['clusters'],
        querystring: S.ListClustersV2Query,
        response: { 200: S.ListClustersV2Response, ...S.errorResponses },
      },
    },
    (request) => clusters.listClusters(s(), request.query),
  );

  fastify.get(
    '/api/v2/clusters/:clusterArn',
    {
      schema: {
        operationId: 'DescribeClusterV2',
        tags: ['clusters'],
        params: S.ClusterArnParams,
        response: { 200: Type.Object({ clusterInfo: Type.Ref('Cluster') }), ...S.errorResponses },
      },
    },
    async (request) => ({ clusterInfo: await clusters.describeCluster(s(), request.params.clusterArn) }),
  );

  // The v1 calls: same clusters, MSK's older flat shapes.
  fastify.post(
    '/v1/clusters',
    {
      schema: {
        operationId: 'CreateCluster',
        tags: ['clusters'],
        body: S.CreateClusterRequest,
        response: { 200: S.CreateClusterResponse, ...S.errorResponses },
      },
    },
    (request) => clusters.createClusterV1(s(), request.body),
  );

  fastify.get(
    '/v1/clusters',
    {
      schema: {
        operationId: 'ListClusters',
        tags: ['clusters'],
        querystring: S.ListClustersQuery,
        response: { 200: S.ListClustersResponse, ...S.errorResponses },
      },
    },
    (request) => clusters.listClustersV1(s(), request.query),
  );

  fastify.get(
    '/v1/clusters/:clusterArn',
    {
      schema: {
        operationId: 'DescribeCluster',
        tags: ['clusters'],
        params: S.ClusterArnParams,
        response: { 200: Type.Object({ clusterInfo: Type.Ref('ClusterInfo') }), ...S.errorResponses },
      },
    },
    (request) => clusters.describeClusterV1(s(), request.params.clusterArn),
  );

  fastify.delete(
    '/v1/clusters/:clusterArn',
    {
      schema: {
        operationId: 'DeleteCluster',
        tags: ['clusters'],
        params: S.ClusterArnParams,
        querystring: S.DeleteClusterQuery,
        response: { 200: S.DeleteClusterResponse, ...S.errorResponses },
      },
    },
    (request) => clusters.deleteCluster(s(), request.params.clusterArn, request.query.currentVersion),
  );

  fastify.get(
    '/v1/clusters/:clusterArn/bootstrap-brokers',
    {
      schema: {
        operationId: 'GetBootstrapBrokers',
        tags: ['clusters'],
        params: S.ClusterArnParams,
        response: { 200: S.GetBootstrapBrokersResponse, ...S.errorResponses },
      },
    },
    (request) => clusters.getBootstrapBrokers(s(), request.params.clusterArn),
  );

  fastify.get(
    '/v1/clusters/:clusterArn/nodes',
    {
      schema: {
        operationId: 'ListNodes',
        tags: ['clusters'],
        params: S.ClusterArnParams,
        querystring: Type.Object(S.PageQuery),
        response: { 200: S.ListNodesResponse, ...S.errorResponses },
      },
    },
    (request) => clusters.listNodes(s(), request.params.clusterArn, request.query),
  );
};

export default routes;

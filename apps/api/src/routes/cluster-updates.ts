/** MSK's update calls on a cluster (issue 7): thin routes, each validates and calls one service function. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import * as S from '../schemas/msk.js';
import * as U from '../schemas/updates.js';
import * as updates from '../services/cluster-updates.js';

const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  const s = () => fastify.services;
  const response = { 200: U.UpdateResponse, ...S.errorResponses };

  fastify.put(
    '/v1/clusters/:clusterArn/reboot-broker',
    {
      schema: {
        operationId: 'RebootBroker',
        tags: ['clusters'],
        params: S.ClusterArnParams,
        body: U.RebootBrokerRequest,
        response,
      },
    },
    (request) => updates.rebootBroker(s(), request.params.clusterArn, request.body),
  );

  fastify.put(
    '/v1/clusters/:clusterArn/nodes/count',
    {
      schema: {
        operationId: 'UpdateBrokerCount',
        tags: ['clusters'],
        params: S.ClusterArnParams,
        body: U.UpdateBrokerCountRequest,
        response,
      },
    },
    (request) => updates.updateBrokerCount(s(), request.params.clusterArn, request.body),
  );

  fastify.put(
    '/v1/clusters/:clusterArn/nodes/type',
    {
      schema: {
        operationId: 'UpdateBrokerType',
        tags: ['clusters'],
        params: S.ClusterArnParams,
        body: U.UpdateBrokerTypeRequest,
        response,
      },
    },
    (request) => updates.updateBrokerType(s(), request.params.clusterArn, request.body),
  );

  fastify.put(
    '/v1/clusters/:clusterArn/nodes/storage',
    {
      schema: {
        operationId: 'UpdateBrokerStorage',
        tags: ['clusters'],
        params: S.ClusterArnParams,
        body: U.UpdateBrokerStorageRequest,
        response,
      },
    },
    (request) => updates.updateBrokerStorage(s(), request.params.clusterArn, request.body),
  );

  fastify.put(
    '/v1/clusters/:clusterArn/storage',
    {
      schema: {
        operationId: 'UpdateStorage',
        tags: ['clusters'],
        params: S.ClusterArnParams,
        body: U.UpdateStorageRequest,
        response,
      },
    },
    (request) => updates.updateStorage(s(), request.params.clusterArn, request.body),
  );

  fastify.put(
    '/v1/clusters/:clusterArn/configuration',
    {
      schema: {
        operationId: 'UpdateClusterConfiguration',
        tags: ['clusters'],
        params: S.ClusterArnParams,
        body: U.UpdateClusterConfigurationRequest,
        response,
      },
    },
    (request) => updates.updateClusterConfiguration(s(), request.params.clusterArn, request.body),
  );

  fastify.put(
    '/v1/clusters/:clusterArn/version',
    {
      schema: {
        operationId: 'UpdateClusterKafkaVersion',
        tags: ['clusters'],
        params: S.ClusterArnParams,
        body: U.UpdateClusterKafkaVersionRequest,
        response,
      },
    },
    (request) => updates.updateClusterKafkaVersion(s(), request.params.clusterArn, request.body),
  );

  fastify.patch(
    '/v1/clusters/:clusterArn/security',
    {
      schema: {
        operationId: 'UpdateSecurity',
        tags: ['clusters'],
        params: S.ClusterArnParams,
        body: U.UpdateSecurityRequest,
        response,
      },
    },
    (request) => updates.updateSecurity(s(), request.params.clusterArn, request.body),
  );
};

export default routes;

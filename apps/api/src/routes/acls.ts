/** Flotilla's ACL resource: `/v1/clusters/{clusterArn}/acls` (create, list with filters, delete by filter). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import * as S from '../schemas/cluster-resources.js';
import * as acls from '../services/acls.js';
import type { ClusterResourceOptions } from './cluster-resources.js';

const routes: FastifyPluginAsyncTypebox<ClusterResourceOptions> = async (fastify, opts) => {
  const s = () => fastify.services;

  fastify.post(
    '/v1/clusters/:clusterArn/acls',
    {
      schema: {
        operationId: 'CreateAcl',
        tags: ['acls'],
        params: S.ClusterArnParams,
        body: S.CreateAclRequest,
        response: { 200: S.Acl, ...S.resourceErrors },
      },
    },
    (request) => acls.createAcl(s(), opts.requestReconcile, request.params.clusterArn, request.body),
  );

  fastify.get(
    '/v1/clusters/:clusterArn/acls',
    {
      schema: {
        operationId: 'ListAcls',
        tags: ['acls'],
        params: S.ClusterArnParams,
        querystring: S.AclFilterQuery,
        response: { 200: S.ListAclsResponse, ...S.resourceErrors },
      },
    },
    (request) => acls.listAcls(s(), request.params.clusterArn, request.query),
  );

  fastify.delete(
    '/v1/clusters/:clusterArn/acls',
    {
      schema: {
        operationId: 'DeleteAcls',
        tags: ['acls'],
        params: S.ClusterArnParams,
        querystring: S.AclFilterQuery,
        response: { 200: S.DeleteAclsResponse, ...S.resourceErrors },
      },
    },
    (request) => acls.deleteAcls(s(), opts.requestReconcile, request.params.clusterArn, request.query),
  );
};

export default routes;

/** Flotilla's SCRAM users: `/v1/clusters/{clusterArn}/users` (create, list, rotate password, delete). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import * as S from '../schemas/cluster-resources.js';
import * as users from '../services/users.js';
import type { ClusterResourceOptions } from './cluster-resources.js';

const SCRAM_ONLY =
  'Only on a cluster created with clientAuthentication.sasl.scram.enabled; elsewhere BadRequestException ' +
  'with invalidParameter clientAuthentication (users could not sign in: there is no SASL/SCRAM listener).';

const routes: FastifyPluginAsyncTypebox<ClusterResourceOptions> = async (fastify, opts) => {
  const s = () => fastify.services;

  fastify.post(
    '/v1/clusters/:clusterArn/users',
    {
      schema: {
        operationId: 'CreateScramUser',
        tags: ['users'],
        description: SCRAM_ONLY,
        params: S.ClusterArnParams,
        body: S.CreateUserRequest,
        response: { 200: S.ScramUser, ...S.resourceErrors },
      },
    },
    (request) => users.createUser(s(), opts.requestReconcile, request.params.clusterArn, request.body),
  );

  fastify.get(
    '/v1/clusters/:clusterArn/users',
    {
      schema: {
        operationId: 'ListScramUsers',
        tags: ['users'],
        params: S.ClusterArnParams,
        response: { 200: S.ListUsersResponse, ...S.resourceErrors },
      },
    },
    (request) => users.listUsers(s(), request.params.clusterArn),
  );

  fastify.put(
    '/v1/clusters/:clusterArn/users/:username',
    {
      schema: {
        operationId: 'RotateScramUserPassword',
        tags: ['users'],
        description: SCRAM_ONLY,
        params: S.UserParams,
        body: S.UpdateUserRequest,
        response: { 200: S.ScramUser, ...S.resourceErrors },
      },
    },
    (request) =>
      users.rotatePassword(
        s(),
        opts.requestReconcile,
        request.params.clusterArn,
        request.params.username,
        request.body.password,
      ),
  );

  fastify.delete(
    '/v1/clusters/:clusterArn/users/:username',
    {
      schema: {
        operationId: 'DeleteScramUser',
        tags: ['users'],
        params: S.UserParams,
        response: { 204: { type: 'null' }, ...S.resourceErrors },
      },
    },
    async (request, reply) => {
      await users.deleteUser(s(), opts.requestReconcile, request.params.clusterArn, request.params.username);
      return reply.code(204).send();
    },
  );
};

export default routes;

/** MSK configuration routes. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import * as S from '../schemas/msk.js';
import * as configurations from '../services/configurations.js';

const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  const s = () => fastify.services;
  const tags = ['configurations'];

  fastify.post(
    '/v1/configurations',
    {
      schema: {
        operationId: 'CreateConfiguration',
        tags,
        body: S.CreateConfigurationRequest,
        response: { 200: S.CreateConfigurationResponse, ...S.errorResponses },
      },
    },
    (request) => configurations.createConfiguration(s(), request.body),
  );

  fastify.get(
    '/v1/configurations',
    {
      schema: {
        operationId: 'ListConfigurations',
        tags,
        querystring: Type.Object(S.PageQuery),
        response: { 200: S.ListConfigurationsResponse, ...S.errorResponses },
      },
    },
    (request) => configurations.listConfigurations(s(), request.query),
  );

  fastify.get(
    '/v1/configurations/:arn',
    {
      schema: {
        operationId: 'DescribeConfiguration',
        tags,
        params: S.ArnParams,
        response: { 200: S.Configuration, ...S.errorResponses },
      },
    },
    (request) => configurations.describeConfiguration(s(), request.params.arn),
  );

  fastify.put(
    '/v1/configurations/:arn',
    {
      schema: {
        operationId: 'UpdateConfiguration',
        tags,
        params: S.ArnParams,
        body: S.UpdateConfigurationRequest,
        response: { 200: S.UpdateConfigurationResponse, ...S.errorResponses },
      },
    },
    (request) => configurations.updateConfiguration(s(), request.params.arn, request.body),
  );

  fastify.delete(
    '/v1/configurations/:arn',
    {
      schema: {
        operationId: 'DeleteConfiguration',
        tags,
        params: S.ArnParams,
        response: { 200: S.DeleteConfigurationResponse, ...S.errorResponses },
      },
    },
    (request) => configurations.deleteConfiguration(s(), request.params.arn),
  );

  fastify.get(
    '/v1/configurations/:arn/revisions',
    {
      schema: {
        operationId: 'ListConfigurationRevisions',
        tags,
        params: S.ArnParams,
        querystring: Type.Object(S.PageQuery),
        response: { 200: S.ListConfigurationRevisionsResponse, ...S.errorResponses },
      },
    },
    (request) => configurations.listConfigurationRevisions(s(), request.params.arn, request.query),
  );

  fastify.get(
    '/v1/configurations/:arn/revisions/:revision',
    {
      schema: {
        operationId: 'DescribeConfigurationRevision',
        tags,
        params: Type.Object({ arn: Type.String({ minLength: 1 }), revision: Type.Integer({ minimum: 1 }) }),
        response: { 200: S.DescribeConfigurationRevisionResponse, ...S.errorResponses },
      },
    },
    (request) => configurations.describeConfigurationRevision(s(), request.params.arn, request.params.revision),
  );
};

export default routes;

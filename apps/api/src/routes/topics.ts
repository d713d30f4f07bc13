/** MSK's topic calls: ListTopics, DescribeTopic, DescribeTopicPartitions, CreateTopic, UpdateTopic, DeleteTopic. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import * as S from '../schemas/cluster-resources.js';
import * as topics from '../services/topics.js';
import type { ClusterResourceOptions } from './cluster-resources.js';

const routes: FastifyPluginAsyncTypebox<ClusterResourceOptions> = async (fastify, opts) => {
  const s = () => fastify.services;
  const deps = () => ({ services: s(), requestReconcile: opts.requestReconcile });

  fastify.get(
    '/v1/clusters/:clusterArn/topics',
    {
      schema: {
        operationId: 'ListTopics',
        tags: ['topics'],
        params: S.ClusterArnParams,
        querystring: S.ListTopicsQuery,
        response: { 200: S.ListTopicsResponse, ...S.resourceErrors },
      },
    },
    (request) => topics.listTopics(s(), request.params.clusterArn, request.query),
  );

  fastify.post(
    '/v1/clusters/:clusterArn/topics',
    {
      schema: {
        operationId: 'CreateTopic',
        tags: ['topics'],
        params: S.ClusterArnParams,
        body: S.CreateTopicRequest,
        response: { 200: S.TopicMutationResponse, ...S.resourceErrors },
      },
    },
    (request) => topics.createTopic(deps(), request.params.clusterArn, request.body),
  );

  fastify.get(
    '/v1/clusters/:clusterArn/topics/:topicName',
    {
      schema: {
        operationId: 'DescribeTopic',
        tags: ['topics'],
        params: S.TopicParams,
        response: { 200: S.DescribeTopicResponse, ...S.resourceErrors },
      },
    },
    (request) => topics.describeTopic(s(), request.params.clusterArn, request.params.topicName),
  );

  fastify.get(
    '/v1/clusters/:clusterArn/topics/:topicName/partitions',
    {
      schema: {
        operationId: 'DescribeTopicPartitions',
        tags: ['topics'],
        params: S.TopicParams,
        querystring: S.PageQuery,
        response: { 200: S.DescribeTopicPartitionsResponse, ...S.resourceErrors },
      },
    },
    (request) =>
      topics.describeTopicPartitions(s(), request.params.clusterArn, request.params.topicName, request.query),
  );

  fastify.put(
    '/v1/clusters/:clusterArn/topics/:topicName',
    {
      schema: {
        operationId: 'UpdateTopic',
        tags: ['topics'],
        params: S.TopicParams,
        body: S.UpdateTopicRequest,
        response: { 200: S.TopicMutationResponse, ...S.resourceErrors },
      },
    },
    (request) => topics.updateTopic(deps(), request.params.clusterArn, request.params.topicName, request.body),
  );

  fastify.delete(
    '/v1/clusters/:clusterArn/topics/:topicName',
    {
      schema: {
        operationId: 'DeleteTopic',
        tags: ['topics'],
        params: S.TopicParams,
        response: { 200: S.TopicMutationResponse, ...S.resourceErrors },
      },
    },
    (request) => topics.deleteTopic(deps(), request.params.clusterArn, request.params.topicName),
  );
};

export default routes;

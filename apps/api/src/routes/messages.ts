/**
 * Messages of a topic, for the console (issue 9): `GET .../topics/{topicName}/messages` reads at most
 * `limit` records from earliest, latest, an offset or a timestamp (optionally one partition, optionally
 * keys containing a text); `POST` produces one record (acks=all) and answers its partition and offset.
 * Keys, values and headers are UTF-8 text.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import * as S from '../schemas/cluster-resources.js';
import * as messages from '../services/messages.js';

const closed = { additionalProperties: false };

const ReadQuery = Type.Object(
  {
    from: Type.Optional(
      Type.Union([Type.Literal('earliest'), Type.Literal('latest'), Type.Literal('offset'), Type.Literal('timestamp')]),
    ),
    partition: Type.Optional(Type.Integer({ minimum: 0 })),
    offset: Type.Optional(Type.Integer({ minimum: 0 })),
    timestamp: Type.Optional(Type.String({ maxLength: 64 })),
    key: Type.Optional(Type.String({ maxLength: 1024 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  },
  closed,
);
const Message = Type.Object({
  partition: Type.Integer(),
  offset: Type.String(),
  timestamp: Type.String(),
  key: Type.Union([Type.String(), Type.Null()]),
  value: Type.Union([Type.String(), Type.Null()]),
  headers: Type.Record(Type.String(), Type.String()),
});
const ProduceBody = Type.Object(
  {
    key: Type.Optional(Type.String({ maxLength: 1 << 16 })),
    value: Type.String({ maxLength: 1 << 20 }),
    partition: Type.Optional(Type.Integer({ minimum: 0 })),
    headers: Type.Optional(Type.Record(Type.String(), Type.String())),
  },
  closed,
);

const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  const s = () => fastify.services;
  fastify.get(
    '/v1/clusters/:clusterArn/topics/:topicName/messages',
    {
      schema: {
        operationId: 'ReadMessages',
        tags: ['topics'],
        params: S.TopicParams,
        querystring: ReadQuery,
        response: { 200: Type.Object({ messages: Type.Array(Message) }), ...S.resourceErrors },
      },
    },
    (request) => messages.readMessages(s(), request.params.clusterArn, request.params.topicName, request.query),
  );
  fastify.post(
    '/v1/clusters/:clusterArn/topics/:topicName/messages',
    {
      schema: {
        operationId: 'ProduceMessage',
        tags: ['topics'],
        params: S.TopicParams,
        body: ProduceBody,
        response: { 200: Type.Object({ partition: Type.Integer(), offset: Type.String() }), ...S.resourceErrors },
      },
    },
    (request) => messages.produceMessage(s(), request.params.clusterArn, request.params.topicName, request.body),
  );
};

export default routes;

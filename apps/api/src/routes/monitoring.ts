/**
 * Monitoring routes (issue 8): metrics over time, health now, alarms, MSK's UpdateMonitoring and the
 * control plane's Prometheus endpoint (every cluster's newest samples, for Grafana/Prometheus).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import * as S from '../schemas/msk.js';
import * as monitoring from '../services/monitoring.js';

const Json = Type.Unsafe<Record<string, unknown>>(Type.Object({}, { additionalProperties: true }));

const MetricsQuery = Type.Object(
  {
    names: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
    start: Type.Optional(Type.String()),
    end: Type.Optional(Type.String()),
    step: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
    dimensions: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

const MetricsResponse = Type.Object({
  clusterArn: Type.String(),
  start: Type.String(),
  end: Type.String(),
  step: Type.Optional(Type.Integer()),
  metrics: Type.Array(
    Type.Object({
      name: Type.String(),
      unit: Type.String(),
      series: Type.Array(
        Type.Object({
          dimensions: Type.Record(Type.String(), Type.String()),
          timestamps: Type.Array(Type.String()),
          values: Type.Array(Type.Number()),
        }),
      ),
    }),
  ),
});

const HealthResponse = Type.Object({
  clusterArn: Type.String(),
  clusterState: Type.String(),
  status: Type.Union([
    Type.Literal('HEALTHY'),
    Type.Literal('DEGRADED'),
    Type.Literal('UNHEALTHY'),
    Type.Literal('UNKNOWN'),
  ]),
  lastScrape: Type.Union([Type.String(), Type.Null()]),
  summary: Type.String(),
  problems: Type.Array(
    Type.Object({
      code: Type.String(),
      message: Type.String(),
      brokerId: Type.Optional(Type.Integer()),
      value: Type.Number(),
    }),
  ),
});

const Alarm = Type.Object({
  name: Type.String(),
  metric: Type.String(),
  threshold: Type.Number(),
  comparison: Type.String(),
  webhookUrl: Type.Optional(Type.String()),
  state: Type.String(),
  stateReason: Type.Optional(Type.String()),
  stateUpdatedAt: Type.Optional(Type.String()),
});

const AlarmBody = Type.Object(
  {
    metric: Type.Union(
      [
        'SumOffsetLag',
        'MaxOffsetLag',
        'EstimatedMaxTimeLag',
        'KafkaDataLogsDiskUsed',
        'UnderReplicatedPartitions',
        'OfflinePartitionsCount',
        'BrokerDown',
      ].map((m) => Type.Literal(m)),
    ),
    threshold: Type.Number(),
    comparison: Type.Optional(
      Type.Union([Type.Literal('GreaterThanThreshold'), Type.Literal('GreaterThanOrEqualToThreshold')]),
    ),
    webhookUrl: Type.Optional(Type.String({ maxLength: 2048 })),
  },
  { additionalProperties: false },
);

const AlarmParams = Type.Object({
  clusterArn: Type.String({ minLength: 1 }),
  name: Type.String({ pattern: '^[A-Za-z0-9._-]{1,128}$' }),
});

const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  const s = () => fastify.services;

  fastify.get(
    '/v1/clusters/:clusterArn/metrics',
    {
      schema: {
        operationId: 'GetClusterMetrics',
        tags: ['monitoring'],
        params: S.ClusterArnParams,
        querystring: MetricsQuery,
        response: { 200: MetricsResponse, ...S.errorResponses },
      },
    },
    (request) => monitoring.getMetrics(s(), request.params.clusterArn, request.query),
  );

  fastify.get(
    '/v1/clusters/:clusterArn/health',
    {
      schema: {
        operationId: 'GetClusterHealth',
        tags: ['monitoring'],
        params: S.ClusterArnParams,
        response: { 200: HealthResponse, ...S.errorResponses },
      },
    },
    (request) => monitoring.getHealth(s(), request.params.clusterArn),
  );

  fastify.put(
    '/v1/clusters/:clusterArn/monitoring',
    {
      schema: {
        operationId: 'UpdateMonitoring',
        tags: ['monitoring'],
        params: S.ClusterArnParams,
        body: Type.Object(
          {
            currentVersion: Type.String({ minLength: 1 }),
            enhancedMonitoring: Type.Optional(Type.String()),
            openMonitoring: Type.Optional(Json),
            loggingInfo: Type.Optional(Json),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ clusterArn: Type.String(), clusterOperationArn: Type.String() }),
          ...S.errorResponses,
        },
      },
    },
    (request) => monitoring.updateMonitoring(s(), request.params.clusterArn, request.body),
  );

  fastify.get(
    '/v1/clusters/:clusterArn/alarms',
    {
      schema: {
        operationId: 'ListAlarms',
        tags: ['monitoring'],
        params: S.ClusterArnParams,
        response: { 200: Type.Object({ alarms: Type.Array(Alarm) }), ...S.errorResponses },
      },
    },
    (request) => monitoring.listAlarms(s(), request.params.clusterArn),
  );

  fastify.put(
    '/v1/clusters/:clusterArn/alarms/:name',
    {
      schema: {
        operationId: 'PutAlarm',
        tags: ['monitoring'],
        params: AlarmParams,
        body: AlarmBody,
        response: { 200: Alarm, ...S.errorResponses },
      },
    },
    (request) => monitoring.putAlarm(s(), request.params.clusterArn, request.params.name, request.body),
  );

  fastify.delete(
    '/v1/clusters/:clusterArn/alarms/:name',
    {
      schema: {
        operationId: 'DeleteAlarm',
        tags: ['monitoring'],
        params: AlarmParams,
        response: { 200: Type.Object({}), ...S.errorResponses },
      },
    },
    (request) => monitoring.deleteAlarm(s(), request.params.clusterArn, request.params.name),
  );

  // Prometheus text for a scraper (auth as every route: `Authorization: Bearer <keyId>:<secret>`).
  fastify.get(
    '/v1/prometheus/metrics',
    { schema: { operationId: 'PrometheusMetrics', tags: ['monitoring'] } },
    async (_request, reply) => {
      reply.header('content-type', 'text/plain; version=0.0.4; charset=utf-8');
      return monitoring.prometheusText(s());
    },
  );
};

export default routes;

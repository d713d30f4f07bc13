/**
 * CreateTopics (key 19), v2-7. Validates every topic (name, partitions, replication factor, manual
 * assignments, configs) and creates the valid ones in one controller step; validateOnly checks without
 * creating. From v5 the result carries the topic's partitions, replication factor and configs.
 * controller_mutation_rate (KIP-599, quota/controller-mutation-quota.ts): from v6 a topic asked for
 * once the caller's quota is exceeded gets THROTTLING_QUOTA_EXCEEDED; older versions are only told
 * the throttle time.
 */
import {
  ApiKey,
  defaultCreateTopicsResponse,
  defaultCreateTopicsResponseCreatableTopicResult,
  ErrorCode,
} from '@flotilla/protocol';
import { BROKER_CONFIG_DEFS } from '../config/definitions.js';
import { quotaSession } from '../quota/client-quota-manager.js';
import { AclOperation } from '../security/acl.js';
import { authorizedOnCluster, topicDenial } from '../security/request-authorization.js';
import { defineHandler } from './types.js';

/** CreateTopics refuses topics over the controller mutation quota from v6 (KIP-599). */
const FIRST_STRICT_QUOTA_VERSION = 6;

export default defineHandler({
  apiKey: ApiKey.CreateTopics,
  minVersion: 2,
  maxVersion: 7,
  async handle(ctx, request) {
    const { controller, topicConfigs } = ctx.broker;
    // Create on the cluster, or on each topic; refused topics are not created (Kafka's order of checks).
    const onCluster = authorizedOnCluster(ctx, AclOperation.CREATE);
    const refused = request.topics.filter((t) => !onCluster && topicDenial(ctx, AclOperation.CREATE, t.name));
    const quota = ctx.broker.controllerMutationQuotas.forRequest(
      quotaSession(ctx.connection.principal, ctx.header.clientId),
      ctx.apiVersion >= FIRST_STRICT_QUOTA_VERSION,
    );
    const throttled = request.topics.filter((t) => {
      if (refused.includes(t)) return false;
      const partitions =
        t.assignments.length > 0
          ? t.assignments.length
          : t.numPartitions === -1
            ? ctx.broker.config.int('num.partitions')
            : t.numPartitions;
      return !quota.record(Math.max(partitions, 0));
    });
    const allowed = await controller.createTopics(
      request.topics
        .filter((t) => !refused.includes(t) && !throttled.includes(t))
        .map((t) => ({
          name: t.name,
          numPartitions: t.numPartitions,
          replicationFactor: t.replicationFactor,
          assignments: t.assignments,
          configs: t.configs,
        })),
      request.validateOnly,
    );
    const results = [
      ...refused.map((t) => ({
        name: t.name,
        errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
        errorMessage: 'Authorization failed.',
      })),
      ...throttled.map((t) => ({
        name: t.name,
        errorCode: ErrorCode.THROTTLING_QUOTA_EXCEEDED,
        errorMessage: 'The throttling quota has been exceeded.',
      })),
      ...allowed,
    ];
    return {
      ...defaultCreateTopicsResponse(),
      throttleTimeMs: quota.throttleTimeMs(),
      topics: results.map((r) => {
        const base = { ...defaultCreateTopicsResponseCreatableTopicResult(), name: r.name };
        if (r.errorCode !== 0)
          return {
            ...base,
            errorCode: r.errorCode,
            errorMessage: r.errorMessage,
            numPartitions: -1,
            replicationFactor: -1,
          };
        const requested = new Map(request.topics.find((t) => t.name === r.name)?.configs.map((c) => [c.name, c.value]));
        return {
          ...base,
          topicId: r.topicId ?? base.topicId,
          numPartitions: r.numPartitions ?? -1,
          replicationFactor: r.replicationFactor ?? -1,
          configs: topicConfigs.entries(r.name).map((e) => {
            const own = requested.get(e.name);
            const value = own !== undefined ? own : e.value;
            return {
              name: e.name,
              value,
              readOnly: false,
              configSource: own !== undefined ? 1 : e.source,
              isSensitive: BROKER_CONFIG_DEFS.get(e.name)?.type === 'password',
            };
          }),
        };
      }),
    };
  },
});

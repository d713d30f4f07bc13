/**
 * CreateTopics (key 19), v2-7. Validates every topic (name, partitions, replication factor, manual
 * assignments, configs) and creates the valid ones in one controller step; validateOnly checks without
 * creating. From v5 the result carries the topic's partitions, replication factor and configs.
 */
import {
  ApiKey,
  defaultCreateTopicsResponse,
  defaultCreateTopicsResponseCreatableTopicResult,
  ErrorCode,
} from '@flotilla/protocol';
import { BROKER_CONFIG_DEFS } from '../config/definitions.js';
import { AclOperation } from '../security/acl.js';
import { authorizedOnCluster, topicDenial } from '../security/request-authorization.js';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.CreateTopics,
  minVersion: 2,
  maxVersion: 7,
  async handle(ctx, request) {
    const { controller, topicConfigs } = ctx.broker;
    // Create on the cluster, or on each topic; refused topics are not created (Kafka's order of checks).
    const onCluster = authorizedOnCluster(ctx, AclOperation.CREATE);
    const refused = request.topics.filter((t) => !onCluster && topicDenial(ctx, AclOperation.CREATE, t.name));
    const allowed = await controller.createTopics(
      request.topics
        .filter((t) => !refused.includes(t))
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
      ...allowed,
    ];
    return {
      ...defaultCreateTopicsResponse(),
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

/**
 * DeleteTopics (key 20), v1-6. Topics by name, or from v6 by name or id. Deleting removes the topic
 * from the metadata and its partition logs from disk. controller_mutation_rate (KIP-599): from v5 a
 * topic met once the caller's quota is exceeded gets THROTTLING_QUOTA_EXCEEDED; older versions are only
 * told the throttle time.
 */
import { ApiKey, defaultDeleteTopicsResponse, ErrorCode, ZERO_UUID } from '@flotilla/protocol';
import { isInternalTopic } from '../metadata/controller.js';
import { quotaSession } from '../quota/client-quota-manager.js';
import { AclOperation } from '../security/acl.js';
import { topicDenial } from '../security/request-authorization.js';
import { defineHandler } from './types.js';

/** DeleteTopics refuses topics over the controller mutation quota from v5 (KIP-599). */
const FIRST_STRICT_QUOTA_VERSION = 5;

export default defineHandler({
  apiKey: ApiKey.DeleteTopics,
  minVersion: 1,
  maxVersion: 6,
  async handle(ctx, request) {
    const { controller, image } = ctx.broker;
    const named =
      ctx.apiVersion >= 6 ? request.topics : request.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
    const responses = [];
    const toDelete: string[] = [];
    const quota = ctx.broker.controllerMutationQuotas.forRequest(
      quotaSession(ctx.connection.principal, ctx.header.clientId),
      ctx.apiVersion >= FIRST_STRICT_QUOTA_VERSION,
    );
    for (const t of named) {
      const topic = t.name !== null ? image.topics.get(t.name) : image.topicsById.get(t.topicId);
      if (!topic) {
        responses.push({
          name: t.name,
          topicId: t.topicId,
          errorCode: t.name !== null ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.UNKNOWN_TOPIC_ID,
          errorMessage: null,
        });
      } else if (topicDenial(ctx, AclOperation.DELETE, topic.name)) {
        responses.push({
          name: topic.name,
          topicId: topic.id,
          errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
          errorMessage: 'Authorization failed.',
        });
      } else if (isInternalTopic(topic.name)) {
        responses.push({
          name: topic.name,
          topicId: topic.id,
          errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
          errorMessage: 'Internal topics cannot be deleted',
        });
      } else if (!quota.record(topic.partitions.length)) {
        responses.push({
          name: topic.name,
          topicId: topic.id,
          errorCode: ErrorCode.THROTTLING_QUOTA_EXCEEDED,
          errorMessage: 'The throttling quota has been exceeded.',
        });
      } else {
        toDelete.push(topic.name);
      }
    }
    for (const r of await controller.deleteTopics(toDelete)) {
      responses.push({
        name: r.name,
        topicId: r.topicId ?? ZERO_UUID,
        errorCode: r.errorCode,
        errorMessage: r.errorMessage,
      });
    }
    return { ...defaultDeleteTopicsResponse(), throttleTimeMs: quota.throttleTimeMs(), responses };
  },
});

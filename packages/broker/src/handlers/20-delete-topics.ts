/**
 * DeleteTopics (key 20), v1-6. Topics by name, or from v6 by name or id. Deleting removes the topic
 * from the metadata and its partition logs from disk.
 */
import { ApiKey, defaultDeleteTopicsResponse, ErrorCode, ZERO_UUID } from '@flotilla/protocol';
import { isInternalTopic } from '../metadata/controller.js';
import { AclOperation } from '../security/acl.js';
import { topicDenial } from '../security/request-authorization.js';
import { defineHandler } from './types.js';

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
    return { ...defaultDeleteTopicsResponse(), responses };
  },
});

/** CreatePartitions (key 37), v0-3: grows topics, with automatic or explicit placement. */
import { ApiKey, defaultCreatePartitionsResponse, KafkaError } from '@flotilla/protocol';
import { AclOperation } from '../security/acl.js';
import { topicDenial } from '../security/request-authorization.js';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.CreatePartitions,
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, request) {
    const { controller } = ctx.broker;
    const results = [];
    for (const t of request.topics) {
      const denied = topicDenial(ctx, AclOperation.ALTER, t.name);
      if (denied) {
        results.push({ name: t.name, errorCode: denied, errorMessage: 'Authorization failed.' });
        continue;
      }
      try {
        await controller.commit(() => {
          const records = controller.planPartitions(t.name, t.count, t.assignments?.map((a) => a.brokerIds) ?? null);
          return request.validateOnly ? [] : records;
        });
        results.push({ name: t.name, errorCode: 0, errorMessage: null });
      } catch (e) {
        if (!(e instanceof KafkaError)) throw e;
        results.push({ name: t.name, errorCode: e.errorCode, errorMessage: e.message });
      }
    }
    return { ...defaultCreatePartitionsResponse(), results };
  },
});

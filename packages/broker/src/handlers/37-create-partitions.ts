/**
 * CreatePartitions (key 37), v0-3: grows topics, with automatic or explicit placement.
 * controller_mutation_rate (KIP-599): from v3 a topic met once the caller's quota is exceeded gets
 * THROTTLING_QUOTA_EXCEEDED; older versions are only told the throttle time.
 */
import { ApiKey, defaultCreatePartitionsResponse, ErrorCode, KafkaError } from '@flotilla/protocol';
import { quotaSession } from '../quota/client-quota-manager.js';
import { AclOperation } from '../security/acl.js';
import { topicDenial } from '../security/request-authorization.js';
import { defineHandler } from './types.js';

/** CreatePartitions refuses topics over the controller mutation quota from v3 (KIP-599). */
const FIRST_STRICT_QUOTA_VERSION = 3;

export default defineHandler({
  apiKey: ApiKey.CreatePartitions,
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, request) {
    const { controller, image } = ctx.broker;
    const results = [];
    const quota = ctx.broker.controllerMutationQuotas.forRequest(
      quotaSession(ctx.connection.principal, ctx.header.clientId),
      ctx.apiVersion >= FIRST_STRICT_QUOTA_VERSION,
    );
    for (const t of request.topics) {
      const denied = topicDenial(ctx, AclOperation.ALTER, t.name);
      if (denied) {
        results.push({ name: t.name, errorCode: denied, errorMessage: 'Authorization failed.' });
        continue;
      }
      const current = image.topics.get(t.name)?.partitions.length ?? t.count;
      if (!quota.record(Math.max(t.count - current, 0))) {
        results.push({
          name: t.name,
          errorCode: ErrorCode.THROTTLING_QUOTA_EXCEEDED,
          errorMessage: 'The throttling quota has been exceeded.',
        });
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
    return { ...defaultCreatePartitionsResponse(), throttleTimeMs: quota.throttleTimeMs(), results };
  },
});

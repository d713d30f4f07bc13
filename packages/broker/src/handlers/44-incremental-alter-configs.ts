/** IncrementalAlterConfigs (key 44), v0-1: SET, DELETE, APPEND and SUBTRACT on topic and broker configs. */
import { ApiKey, defaultIncrementalAlterConfigsResponse, KafkaError } from '@flotilla/protocol';
import { AclOperation } from '../security/acl.js';
import { configResourceDenial } from '../security/request-authorization.js';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.IncrementalAlterConfigs,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, request) {
    const responses = [];
    for (const r of request.resources) {
      const base = { resourceType: r.resourceType, resourceName: r.resourceName };
      const denied = configResourceDenial(ctx, AclOperation.ALTER_CONFIGS, r.resourceType, r.resourceName);
      if (denied) {
        responses.push({ ...base, errorCode: denied, errorMessage: 'Authorization failed.' });
        continue;
      }
      try {
        const ops = r.configs.map((c) => ({ name: c.name, value: c.value, op: c.configOperation }));
        await ctx.broker.configResources.alter(r.resourceType, r.resourceName, ops, false, request.validateOnly);
        responses.push({ ...base, errorCode: 0, errorMessage: null });
      } catch (e) {
        if (!(e instanceof KafkaError)) throw e;
        responses.push({ ...base, errorCode: e.errorCode, errorMessage: e.message });
      }
    }
    return { ...defaultIncrementalAlterConfigsResponse(), responses };
  },
});

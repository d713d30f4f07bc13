/** AlterConfigs (key 33), v0-2: the legacy call that replaces all of a resource's overrides. */
import { ApiKey, defaultAlterConfigsResponse, KafkaError } from '@flotilla/protocol';
import { AlterConfigOp } from '../config/resources.js';
import { AclOperation } from '../security/acl.js';
import { configResourceDenial } from '../security/request-authorization.js';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.AlterConfigs,
  minVersion: 0,
  maxVersion: 2,
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
        const ops = r.configs.map((c) => ({
          name: c.name,
          value: c.value,
          op: c.value === null ? AlterConfigOp.DELETE : AlterConfigOp.SET,
        }));
        await ctx.broker.configResources.alter(r.resourceType, r.resourceName, ops, true, request.validateOnly);
        responses.push({ ...base, errorCode: 0, errorMessage: null });
      } catch (e) {
        if (!(e instanceof KafkaError)) throw e;
        responses.push({ ...base, errorCode: e.errorCode, errorMessage: e.message });
      }
    }
    return { ...defaultAlterConfigsResponse(), responses };
  },
});

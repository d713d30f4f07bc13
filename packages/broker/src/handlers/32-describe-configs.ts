/** DescribeConfigs (key 32), v1-4: topic and broker configs with sources, synonyms (v1+), types and docs (v3+). */
import { ApiKey, defaultDescribeConfigsResponse, KafkaError } from '@flotilla/protocol';
import { AclOperation } from '../security/acl.js';
import { configResourceDenial } from '../security/request-authorization.js';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.DescribeConfigs,
  minVersion: 1,
  maxVersion: 4,
  handle(ctx, request) {
    return {
      ...defaultDescribeConfigsResponse(),
      results: request.resources.map((r) => {
        const base = { resourceType: r.resourceType, resourceName: r.resourceName };
        const denied = configResourceDenial(ctx, AclOperation.DESCRIBE_CONFIGS, r.resourceType, r.resourceName);
        if (denied) return { ...base, errorCode: denied, errorMessage: 'Authorization failed.', configs: [] };
        try {
          const configs = ctx.broker.configResources.describe(
            r.resourceType,
            r.resourceName,
            r.configurationKeys,
            request.includeSynonyms,
            request.includeDocumentation,
          );
          return { ...base, errorCode: 0, errorMessage: null, configs };
        } catch (e) {
          if (!(e instanceof KafkaError)) throw e;
          return { ...base, errorCode: e.errorCode, errorMessage: e.message, configs: [] };
        }
      }),
    };
  },
});

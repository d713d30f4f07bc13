/**
 * DescribeClientQuotas (key 48), v0-1 (KIP-546). Answered by any broker from its metadata image, as
 * Kafka's brokers do (not forwarded): the entities a filter selects with their quota values
 * (quota/client-quotas.ts). A malformed filter gets INVALID_REQUEST, an unknown entity type
 * UNSUPPORTED_VERSION, with Kafka's message and null entries. Needs DescribeConfigs on the cluster
 * (else CLUSTER_AUTHORIZATION_FAILED).
 */
import { ApiKey, defaultDescribeClientQuotasResponse, ErrorCode } from '@flotilla/protocol';
import { describeClientQuotas } from '../quota/client-quotas.js';
import { AclOperation } from '../security/acl.js';
import { authorizedOnCluster } from '../security/request-authorization.js';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.DescribeClientQuotas,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, request) {
    const failed = (errorCode: number, errorMessage: string) => ({
      ...defaultDescribeClientQuotasResponse(),
      errorCode,
      errorMessage,
      entries: null,
    });
    if (!authorizedOnCluster(ctx, AclOperation.DESCRIBE_CONFIGS)) {
      return failed(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.');
    }
    const described = describeClientQuotas(ctx.broker.image, request.components, request.strict);
    if ('errorCode' in described) return failed(described.errorCode, described.errorMessage);
    return {
      ...defaultDescribeClientQuotasResponse(),
      errorMessage: null,
      entries: described.entries.map(({ entity, values }) => ({
        entity: entity.map((p) => ({ entityType: p.entityType, entityName: p.entityName })),
        values: [...values].map(([key, value]) => ({ key, value })),
      })),
    };
  },
});

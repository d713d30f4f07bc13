/**
 * AlterClientQuotas (key 49), v0-1 (KIP-546). Sets and removes quota values of user, client-id,
 * user+client-id and ip entities (a null name is the default entity) as ClientQuota records in the
 * metadata log, through the active controller (a broker that is not it forwards the request, KIP-590),
 * so every broker applies them and they survive restarts. Validation and messages are Kafka's
 * ClientQuotaControlManager's (quota/client-quotas.ts): INVALID_REQUEST for an unknown entity type or
 * key, a bad combination, an empty name, a duplicate, a value <= 0 or a fractional byte rate. With
 * validateOnly nothing is written. Needs AlterConfigs on the cluster (else CLUSTER_AUTHORIZATION_FAILED
 * for every entry).
 *
 * Differs from Kafka: the response has one entry per request entry; an entity named twice fails its
 * second entry ("Ignoring duplicate entity ...") while the first is applied (Kafka answers once per
 * distinct entity, with that error).
 *
 * Enforced: producer_byte_rate and consumer_byte_rate (quota/client-quota-manager.ts),
 * controller_mutation_rate (quota/controller-mutation-quota.ts) and connection_creation_rate per IP
 * (quota/connection-quotas.ts). Stored and described but NOT enforced: request_percentage (Kafka's
 * share of request-handler thread time has no counterpart in one event loop).
 */
import {
  type AlterClientQuotasResponseEntryData,
  ApiKey,
  defaultAlterClientQuotasResponse,
  ErrorCode,
} from '@flotilla/protocol';
import { type AlterationResult, planClientQuotas } from '../quota/client-quotas.js';
import { AclOperation } from '../security/acl.js';
import { authorizedOnCluster } from '../security/request-authorization.js';
import { defineHandler } from './types.js';

function toEntry(r: AlterationResult): AlterClientQuotasResponseEntryData {
  return {
    errorCode: r.errorCode,
    errorMessage: r.errorMessage,
    entity: r.entity.map((p) => ({ entityType: p.entityType, entityName: p.entityName })),
  };
}

export default defineHandler({
  apiKey: ApiKey.AlterClientQuotas,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, request) {
    if (!authorizedOnCluster(ctx, AclOperation.ALTER_CONFIGS)) {
      return {
        ...defaultAlterClientQuotasResponse(),
        entries: request.entries.map((e) =>
          toEntry({
            entity: e.entity,
            errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
            errorMessage: 'Cluster authorization failed.',
          }),
        ),
      };
    }
    let results: AlterationResult[] = [];
    await ctx.broker.controller.commit(() => {
      const plan = planClientQuotas(ctx.broker.image, request.entries);
      results = plan.results;
      return request.validateOnly ? [] : plan.records;
    });
    return { ...defaultAlterClientQuotasResponse(), entries: results.map(toEntry) };
  },
});

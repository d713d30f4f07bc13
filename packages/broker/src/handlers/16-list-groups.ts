/**
 * ListGroups (key 16), v0-5: the groups this broker coordinates, filtered by state (v4+) and type
 * (v5+), both case-insensitive. Every group here is a "classic" group (KIP-848 consumer groups are
 * not served). COORDINATOR_LOAD_IN_PROGRESS comes with the groups loaded so far, as in Kafka.
 */
import { ApiKey, defaultListGroupsResponse } from '@flotilla/protocol';
import { AclOperation } from '../security/acl.js';
import { authorizedOnCluster, groupDenial } from '../security/request-authorization.js';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.ListGroups,
  minVersion: 0,
  maxVersion: 5,
  handle(ctx, request) {
    const v = ctx.apiVersion;
    const result = ctx.broker.groups.listGroups(v >= 4 ? request.statesFilter : [], v >= 5 ? request.typesFilter : []);
    // Describe on the cluster lists every group; otherwise only the groups the caller may describe.
    const all = authorizedOnCluster(ctx, AclOperation.DESCRIBE);
    return {
      ...defaultListGroupsResponse(),
      errorCode: result.errorCode,
      groups: result.groups
        .filter((g) => all || !groupDenial(ctx, AclOperation.DESCRIBE, g.groupId))
        .map((g) => ({
          groupId: g.groupId,
          protocolType: g.protocolType,
          groupState: g.state,
          groupType: g.type,
        })),
    };
  },
});

/**
 * DeleteGroups (key 42), v0-2: deletes Empty groups and their committed offsets (tombstones in
 * __consumer_offsets); NON_EMPTY_GROUP while a group has members, GROUP_ID_NOT_FOUND for unknown ones.
 */
import { ApiKey, defaultDeleteGroupsResponse } from '@flotilla/protocol';
import { AclOperation } from '../security/acl.js';
import { groupDenial } from '../security/request-authorization.js';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.DeleteGroups,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, request) {
    const refused = request.groupsNames.filter((g) => groupDenial(ctx, AclOperation.DELETE, g));
    const deleted = await ctx.broker.groups.deleteGroups(request.groupsNames.filter((g) => !refused.includes(g)));
    const results = [
      ...refused.map((groupId) => ({ groupId, errorCode: groupDenial(ctx, AclOperation.DELETE, groupId) })),
      ...deleted,
    ];
    return { ...defaultDeleteGroupsResponse(), results };
  },
});

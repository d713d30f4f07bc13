/**
 * DeleteGroups (key 42), v0-2: deletes Empty groups and their committed offsets (tombstones in
 * __consumer_offsets); NON_EMPTY_GROUP while a group has members, GROUP_ID_NOT_FOUND for unknown ones.
 */
import { ApiKey, defaultDeleteGroupsResponse } from '@flotilla/protocol';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.DeleteGroups,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, request) {
    const results = await ctx.broker.groups.deleteGroups(request.groupsNames);
    return { ...defaultDeleteGroupsResponse(), results };
  },
});

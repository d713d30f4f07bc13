/**
 * AlterPartitionReassignments (key 45), v0: moves partitions to new replica sets (KIP-455). The target
 * replicas not yet present are added and start fetching; once all of them are in the ISR the leader's
 * AlterPartition completes the move in one PartitionChange (replicas become the target, the old ones
 * stop and delete their logs, a removed leader hands over). A null replica list cancels an ongoing
 * reassignment. The answer comes once the reassignment has started, not when it completes.
 */
import { ApiKey, defaultAlterPartitionReassignmentsResponse } from '@flotilla/protocol';
import { planReassignment } from '../metadata/replication-control.js';
import { AclOperation } from '../security/acl.js';
import { clusterDenial } from '../security/request-authorization.js';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.AlterPartitionReassignments,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, request) {
    const denied = clusterDenial(ctx, AclOperation.ALTER);
    if (denied) {
      return { ...defaultAlterPartitionReassignmentsResponse(), errorCode: denied, errorMessage: null, responses: [] };
    }
    const { controller, image } = ctx.broker;
    const responses = [];
    for (const t of request.topics) {
      const partitions = [];
      for (const p of t.partitions) {
        let result = { errorCode: 0, message: null as string | null };
        await controller.commit(() => {
          const plan = planReassignment(image, t.name, p.partitionIndex, p.replicas);
          result = { errorCode: plan.errorCode, message: plan.message };
          return plan.records;
        });
        partitions.push({
          partitionIndex: p.partitionIndex,
          errorCode: result.errorCode,
          errorMessage: result.message,
        });
      }
      responses.push({ name: t.name, partitions });
    }
    return { ...defaultAlterPartitionReassignmentsResponse(), responses };
  },
});

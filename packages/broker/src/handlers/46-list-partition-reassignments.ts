/**
 * ListPartitionReassignments (key 46), v0: the partitions with a reassignment in progress, with their
 * current replica set and the replicas being added and removed (KIP-455). A null topic list means all.
 */
import { ApiKey, defaultListPartitionReassignmentsResponse } from '@flotilla/protocol';
import { ongoingReassignments } from '../metadata/replication-control.js';
import { AclOperation } from '../security/acl.js';
import { clusterDenial } from '../security/request-authorization.js';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.ListPartitionReassignments,
  minVersion: 0,
  maxVersion: 0,
  handle(ctx, request) {
    const denied = clusterDenial(ctx, AclOperation.DESCRIBE);
    if (denied)
      return { ...defaultListPartitionReassignmentsResponse(), errorCode: denied, errorMessage: null, topics: [] };
    const wanted = request.topics
      ? new Set(request.topics.flatMap((t) => t.partitionIndexes.map((i) => `${t.name}\u0000${i}`)))
      : null;
    const ongoing = ongoingReassignments(ctx.broker.image).filter(
      (r) => !wanted || wanted.has(`${r.topic}\u0000${r.partition}`),
    );
    const byTopic = new Map<string, typeof ongoing>();
    for (const r of ongoing) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r]);
    return {
      ...defaultListPartitionReassignmentsResponse(),
      topics: [...byTopic].map(([name, rs]) => ({
        name,
        partitions: rs.map((r) => ({
          partitionIndex: r.partition,
          replicas: r.replicas,
          addingReplicas: r.adding,
          removingReplicas: r.removing,
        })),
      })),
    };
  },
});

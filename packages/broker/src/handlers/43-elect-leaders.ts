/**
 * ElectLeaders (key 43), v0-2: PREFERRED (0) moves leadership back to each partition's first replica
 * when it is alive and in the ISR; UNCLEAN (1, v1+) gives leaderless partitions a leader from any live
 * replica, accepting the loss of records only the dead replicas had. A null topic list means every
 * partition. The elections are committed before the answer (Kafka waits up to timeoutMs for them too).
 */
import { ApiKey, defaultElectLeadersResponse, ErrorCode } from '@flotilla/protocol';
import { planElectLeaders } from '../metadata/replication-control.js';
import { AclOperation } from '../security/acl.js';
import { clusterDenial } from '../security/request-authorization.js';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.ElectLeaders,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, request) {
    const denied = clusterDenial(ctx, AclOperation.ALTER);
    if (denied) return { ...defaultElectLeadersResponse(), errorCode: denied, replicaElectionResults: [] };
    const { controller, image } = ctx.broker;
    const electionType = ctx.apiVersion >= 1 ? request.electionType : 0;
    const wanted = request.topicPartitions?.flatMap((t) =>
      t.partitions.map((partition) => ({ topic: t.topic, partition })),
    );
    let results: ReturnType<typeof planElectLeaders>['results'] = [];
    await controller.commit(() => {
      const plan = planElectLeaders(image, electionType, wanted ?? null);
      results = plan.results;
      return plan.records;
    });
    // Kafka leaves ELECTION_NOT_NEEDED out of the answer when every partition was asked for.
    const shown = wanted ? results : results.filter((r) => r.errorCode !== ErrorCode.ELECTION_NOT_NEEDED);
    const byTopic = new Map<string, typeof results>();
    for (const r of shown) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r]);
    return {
      ...defaultElectLeadersResponse(),
      errorCode: 0,
      replicaElectionResults: [...byTopic].map(([topic, rs]) => ({
        topic,
        partitionResult: rs.map((r) => ({ partitionId: r.partition, errorCode: r.errorCode, errorMessage: r.message })),
      })),
    };
  },
});

/** DeleteRecords (key 21), v0-2: moves partitions' log start offsets forward (-1: to the high watermark). */
import { ApiKey, defaultDeleteRecordsResponse, KafkaError } from '@flotilla/protocol';
import { AclOperation } from '../security/acl.js';
import { topicDenial } from '../security/request-authorization.js';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.DeleteRecords,
  minVersion: 0,
  maxVersion: 2,
  handle(ctx, request) {
    const { replicas } = ctx.broker;
    return {
      ...defaultDeleteRecordsResponse(),
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => {
          const denied = topicDenial(ctx, AclOperation.DELETE, t.name);
          if (denied) return { partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: denied };
          try {
            const low = replicas.leaderPartition(t.name, p.partitionIndex).deleteRecordsBefore(Number(p.offset));
            return { partitionIndex: p.partitionIndex, lowWatermark: BigInt(low), errorCode: 0 };
          } catch (e) {
            if (!(e instanceof KafkaError)) throw e;
            return { partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: e.errorCode };
          }
        }),
      })),
    };
  },
});

/** DescribeLogDirs (key 35), v1-4: each log directory with its partitions' sizes, and disk totals (v4+). */
import { statfsSync } from 'node:fs';
import { ApiKey, defaultDescribeLogDirsResponse } from '@flotilla/protocol';
import { AclOperation } from '../security/acl.js';
import { clusterDenial } from '../security/request-authorization.js';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.DescribeLogDirs,
  minVersion: 1,
  maxVersion: 4,
  handle(ctx, request) {
    const { replicas, config } = ctx.broker;
    const denied = clusterDenial(ctx, AclOperation.DESCRIBE);
    if (denied) return { ...defaultDescribeLogDirsResponse(), errorCode: denied, results: [] };
    const wanted =
      request.topics === null ? null : new Map(request.topics.map((t) => [t.topic, new Set(t.partitions)]));
    const results = config.logDirs.map((dir) => {
      const topics = new Map<
        string,
        { partitionIndex: number; partitionSize: bigint; offsetLag: bigint; isFutureKey: boolean }[]
      >();
      for (const p of replicas.all()) {
        if (!p.log.dir.startsWith(dir)) continue;
        if (wanted && !wanted.get(p.topic)?.has(p.partitionId)) continue;
        const list = topics.get(p.topic) ?? [];
        list.push({
          partitionIndex: p.partitionId,
          partitionSize: BigInt(p.log.size),
          offsetLag: 0n,
          isFutureKey: false,
        });
        topics.set(p.topic, list);
      }
      let totalBytes = -1n;
      let usableBytes = -1n;
      try {
        const fs = statfsSync(dir);
        totalBytes = BigInt(fs.blocks) * BigInt(fs.bsize);
        usableBytes = BigInt(fs.bavail) * BigInt(fs.bsize);
      } catch {
        // leave -1: unknown
      }
      return {
        errorCode: 0,
        logDir: dir,
        topics: [...topics].map(([name, partitions]) => ({ name, partitions })),
        totalBytes,
        usableBytes,
      };
    });
    return { ...defaultDescribeLogDirsResponse(), results };
  },
});

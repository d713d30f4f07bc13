import { compatibleKafkaVersions, KAFKA_VERSIONS } from '@flotilla/runtime';
import { requireCluster } from './clusters.js';
import type { Services } from './context.js';

/** The version catalog lives in packages/runtime (image tag and protocol level per MSK version name). */
export function listKafkaVersions() {
  return { kafkaVersions: KAFKA_VERSIONS.map((v) => ({ version: v.name, status: v.status })) };
}

/** For one cluster: its version and where it may go; without a cluster: every active version. */
export async function getCompatibleKafkaVersions(s: Services, clusterArn?: string) {
  if (clusterArn) {
    const row = await requireCluster(s, clusterArn);
    return {
      compatibleKafkaVersions: [
        {
          sourceVersion: row.kafkaVersion,
          targetVersions: compatibleKafkaVersions(row.kafkaVersion).map((v) => v.name),
        },
      ],
    };
  }
  return {
    compatibleKafkaVersions: KAFKA_VERSIONS.filter((v) => v.status === 'ACTIVE').map((v) => ({
      sourceVersion: v.name,
      targetVersions: compatibleKafkaVersions(v.name).map((t) => t.name),
    })),
  };
}

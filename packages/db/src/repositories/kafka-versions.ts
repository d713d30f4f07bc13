import type { ClientOrTransaction } from '../client.js';
import type { KafkaVersion } from '../generated/prisma/client.js';

export function listKafkaVersions(db: ClientOrTransaction): Promise<KafkaVersion[]> {
  return db.kafkaVersion.findMany({ orderBy: { version: 'asc' } });
}

export function findKafkaVersion(db: ClientOrTransaction, version: string): Promise<KafkaVersion | null> {
  return db.kafkaVersion.findUnique({ where: { version } });
}

/** Writes the version catalog the control plane ships with (idempotent; run at start). */
export async function upsertKafkaVersions(
  db: ClientOrTransaction,
  versions: readonly { version: string; imageTag: string; protocolLevel: string; status?: string }[],
): Promise<void> {
  for (const v of versions) {
    const data = { imageTag: v.imageTag, protocolLevel: v.protocolLevel, status: v.status ?? 'ACTIVE' };
    await db.kafkaVersion.upsert({
      where: { version: v.version },
      create: { version: v.version, ...data },
      update: data,
    });
  }
}

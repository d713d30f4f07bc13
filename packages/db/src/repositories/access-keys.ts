import type { ClientOrTransaction } from '../client.js';
import type { AccessKey } from '../generated/prisma/client.js';

export function createAccessKey(
  db: ClientOrTransaction,
  data: { accessKeyId: string; secretEncrypted: Uint8Array; description?: string; isAdmin?: boolean },
): Promise<AccessKey> {
  return db.accessKey.create({
    data: {
      accessKeyId: data.accessKeyId,
      secretEncrypted: Buffer.from(data.secretEncrypted),
      description: data.description ?? null,
      isAdmin: data.isAdmin ?? false,
    },
  });
}

export function findAccessKey(db: ClientOrTransaction, accessKeyId: string): Promise<AccessKey | null> {
  return db.accessKey.findUnique({ where: { accessKeyId } });
}

export async function touchAccessKey(db: ClientOrTransaction, accessKeyId: string): Promise<void> {
  await db.accessKey.updateMany({ where: { accessKeyId }, data: { lastUsedAt: new Date() } });
}

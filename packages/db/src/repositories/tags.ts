import type { ClientOrTransaction } from '../client.js';

export async function listTags(db: ClientOrTransaction, resourceArn: string): Promise<Record<string, string>> {
  const rows = await db.tag.findMany({ where: { resourceArn }, orderBy: { key: 'asc' } });
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}

export async function setTags(
  db: ClientOrTransaction,
  resourceArn: string,
  tags: Readonly<Record<string, string>>,
): Promise<void> {
  for (const [key, value] of Object.entries(tags)) {
    await db.tag.upsert({
      where: { resourceArn_key: { resourceArn, key } },
      create: { resourceArn, key, value },
      update: { value },
    });
  }
}

export async function removeTags(db: ClientOrTransaction, resourceArn: string, keys: readonly string[]): Promise<void> {
  await db.tag.deleteMany({ where: { resourceArn, key: { in: [...keys] } } });
}

export async function removeAllTags(db: ClientOrTransaction, resourceArn: string): Promise<void> {
  await db.tag.deleteMany({ where: { resourceArn } });
}

import { tags } from '@flotilla/db';
import { arnResourceType } from '../lib/arn.js';
import { badRequest, notFound } from '../lib/errors.js';
import type { Services } from './context.js';

/** Tags apply to clusters and configurations; the ARN must name one that exists. */
async function requireTaggable(s: Services, resourceArn: string): Promise<void> {
  const kind = arnResourceType(resourceArn);
  const exists =
    kind === 'cluster'
      ? await s.catalog.cluster.count({ where: { arn: resourceArn } })
      : kind === 'configuration'
        ? await s.catalog.configuration.count({ where: { arn: resourceArn } })
        : null;
  if (exists === null) throw badRequest(`${resourceArn} is not a cluster or configuration ARN`, 'resourceArn');
  if (exists === 0) throw notFound(`Resource ${resourceArn} does not exist`, 'resourceArn');
}

export async function tagResource(s: Services, resourceArn: string, newTags: Record<string, string>) {
  await requireTaggable(s, resourceArn);
  const current = await tags.listTags(s.catalog, resourceArn);
  // MSK allows at most 50 tags per resource.
  if (Object.keys({ ...current, ...newTags }).length > 50)
    throw badRequest('A resource can have at most 50 tags', 'tags');
  await tags.setTags(s.catalog, resourceArn, newTags);
}

export async function untagResource(s: Services, resourceArn: string, keys: readonly string[]) {
  await requireTaggable(s, resourceArn);
  await tags.removeTags(s.catalog, resourceArn, keys);
}

export async function listTagsForResource(s: Services, resourceArn: string) {
  await requireTaggable(s, resourceArn);
  return { tags: await tags.listTags(s.catalog, resourceArn) };
}

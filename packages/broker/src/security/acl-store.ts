/**
 * Creating, finding and deleting ACLs in the metadata (Kafka's AclControlManager): every change is an
 * AccessControlEntry or RemoveAccessControlEntry record committed through the controller, so ACLs
 * replicate with the rest of the metadata and each broker's authorizer reads them from its image.
 * Creating an ACL that already exists is a no-op success, as in Kafka.
 */
import { ErrorCode, randomUuid } from '@flotilla/protocol';
import type { Controller } from '../metadata/controller.js';
import type { AclEntry, MetadataImage } from '../metadata/image.js';
import type { MetadataRecord } from '../metadata/records.js';
import { type AclBinding, type AclBindingFilter, aclBindingProblem, aclFilterProblem, filterMatches } from './acl.js';

export interface AclResult {
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

export interface DeleteResult extends AclResult {
  readonly deleted: readonly AclEntry[];
}

const same = (a: AclBinding, b: AclBinding) =>
  a.resourceType === b.resourceType &&
  a.resourceName === b.resourceName &&
  a.patternType === b.patternType &&
  a.principal === b.principal &&
  a.host === b.host &&
  a.operation === b.operation &&
  a.permissionType === b.permissionType;

export async function createAcls(
  controller: Controller,
  image: MetadataImage,
  bindings: readonly AclBinding[],
): Promise<AclResult[]> {
  const results: AclResult[] = [];
  await controller.commit(() => {
    const records: MetadataRecord[] = [];
    const added: AclBinding[] = [];
    for (const b of bindings) {
      const problem = aclBindingProblem(b);
      if (problem) {
        results.push({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem });
        continue;
      }
      results.push({ errorCode: 0, errorMessage: null });
      const exists = [...image.acls.values()].some((a) => same(a, b)) || added.some((a) => same(a, b));
      if (exists) continue;
      added.push(b);
      records.push({ type: 'AccessControlEntry', id: randomUuid(), ...b });
    }
    return records;
  });
  return results;
}

export function describeAcls(image: MetadataImage, filter: AclBindingFilter): AclEntry[] {
  return [...image.acls.values()].filter((a) => filterMatches(filter, a));
}

export async function deleteAcls(
  controller: Controller,
  image: MetadataImage,
  filters: readonly AclBindingFilter[],
): Promise<DeleteResult[]> {
  const results: DeleteResult[] = [];
  await controller.commit(() => {
    const removed = new Set<string>();
    for (const f of filters) {
      const problem = aclFilterProblem(f);
      if (problem) {
        results.push({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem, deleted: [] });
        continue;
      }
      // An ACL two filters match is reported by both, and removed once.
      const deleted = describeAcls(image, f);
      for (const a of deleted) removed.add(a.id);
      results.push({ errorCode: 0, errorMessage: null, deleted });
    }
    return [...removed].map((id): MetadataRecord => ({ type: 'RemoveAccessControlEntry', id }));
  });
  return results;
}

/**
 * AlterUserScramCredentials (key 51), v0 (KIP-554). Upserts and deletes SCRAM credentials. The client
 * sends salt and salted password (never the password); the broker derives StoredKey and ServerKey and
 * commits a UserScramCredential record, so the salted password itself is not kept either. One result
 * per user: UNSUPPORTED_SASL_MECHANISM for an unknown mechanism, UNACCEPTABLE_CREDENTIAL for an empty
 * name, salt or password or iterations outside 4096..16384, DUPLICATE_RESOURCE for a user and
 * mechanism altered twice, RESOURCE_NOT_FOUND for deleting what does not exist. Needs Alter on the
 * cluster.
 */
import { ApiKey, defaultAlterUserScramCredentialsResponse, ErrorCode } from '@flotilla/protocol';
import type { MetadataRecord } from '../metadata/records.js';
import { AclOperation } from '../security/acl.js';
import { credentialFromSaltedPassword, iterationsProblem, SCRAM_MECHANISM_CODES } from '../security/credentials.js';
import { authorizedOnCluster } from '../security/request-authorization.js';
import { defineHandler } from './types.js';

interface Failure {
  readonly errorCode: number;
  readonly errorMessage: string;
}

export default defineHandler({
  apiKey: ApiKey.AlterUserScramCredentials,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, request) {
    const users = [...new Set([...request.deletions, ...request.upsertions].map((a) => a.name))];
    if (!authorizedOnCluster(ctx, AclOperation.ALTER)) {
      return {
        ...defaultAlterUserScramCredentialsResponse(),
        results: users.map((user) => ({
          user,
          errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
          errorMessage: 'Cluster authorization failed.',
        })),
      };
    }
    const failures = new Map<string, Failure>();
    const failUser = (user: string, errorCode: number, errorMessage: string) => {
      if (!failures.has(user)) failures.set(user, { errorCode, errorMessage });
    };
    const pairs = new Map<string, number>();
    for (const a of [...request.deletions, ...request.upsertions]) {
      const key = `${a.name}\u0000${a.mechanism}`;
      pairs.set(key, (pairs.get(key) ?? 0) + 1);
    }
    for (const a of [...request.deletions, ...request.upsertions]) {
      if (a.name === '') failUser(a.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Username must not be empty');
      else if (!SCRAM_MECHANISM_CODES.has(a.mechanism)) {
        failUser(a.name, ErrorCode.UNSUPPORTED_SASL_MECHANISM, 'Unknown SCRAM mechanism');
      } else if ((pairs.get(`${a.name}\u0000${a.mechanism}`) ?? 0) > 1) {
        failUser(a.name, ErrorCode.DUPLICATE_RESOURCE, 'A user credential cannot be altered twice in the same request');
      }
    }
    for (const u of request.upsertions) {
      const problem = iterationsProblem(u.iterations);
      if (problem) failUser(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, problem);
      else if (u.salt.length === 0) failUser(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Salt must not be empty');
      else if (u.saltedPassword.length === 0) {
        failUser(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Password must not be empty');
      }
    }
    const { image, controller } = ctx.broker;
    await controller.commit(() => {
      const records: MetadataRecord[] = [];
      for (const d of request.deletions) {
        if (failures.has(d.name)) continue;
        const mechanism = SCRAM_MECHANISM_CODES.get(d.mechanism) as string;
        if (!image.scramCredentials.get(mechanism)?.has(d.name)) {
          failUser(d.name, ErrorCode.RESOURCE_NOT_FOUND, 'Attempt to delete a user credential that does not exist');
        }
      }
      // A user's alterations all happen or none do.
      for (const d of request.deletions) {
        if (failures.has(d.name)) continue;
        records.push({
          type: 'RemoveUserScramCredential',
          name: d.name,
          mechanism: SCRAM_MECHANISM_CODES.get(d.mechanism) as string,
        });
      }
      for (const u of request.upsertions) {
        if (failures.has(u.name)) continue;
        const mechanism = SCRAM_MECHANISM_CODES.get(u.mechanism) as 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
        records.push(credentialFromSaltedPassword(u.name, mechanism, u.salt, u.saltedPassword, u.iterations));
      }
      return records;
    });
    return {
      ...defaultAlterUserScramCredentialsResponse(),
      results: users.map((user) => {
        const f = failures.get(user);
        return f ? { user, ...f } : { user, errorCode: 0, errorMessage: null };
      }),
    };
  },
});

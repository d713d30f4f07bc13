/**
 * DescribeUserScramCredentials (key 50), v0 (KIP-554). Mechanisms and iteration counts of users' SCRAM
 * credentials, never salts or keys. A null or empty user list means every user with a credential;
 * a named user without one is RESOURCE_NOT_FOUND, a user named twice DUPLICATE_RESOURCE. Needs
 * Describe on the cluster.
 */
import {
  ApiKey,
  defaultDescribeUserScramCredentialsResponse,
  ErrorCode,
  type DescribeUserScramCredentialsResponseDescribeUserScramCredentialsResult as Result,
} from '@flotilla/protocol';
import { AclOperation } from '../security/acl.js';
import { scramMechanismCode } from '../security/credentials.js';
import { authorizedOnCluster } from '../security/request-authorization.js';
import { defineHandler } from './types.js';

export default defineHandler({
  apiKey: ApiKey.DescribeUserScramCredentials,
  minVersion: 0,
  maxVersion: 0,
  handle(ctx, request) {
    if (!authorizedOnCluster(ctx, AclOperation.DESCRIBE)) {
      return {
        ...defaultDescribeUserScramCredentialsResponse(),
        errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
        errorMessage: 'Cluster authorization failed.',
        results: [],
      };
    }
    const credentials = ctx.broker.image.scramCredentials;
    const infosOf = (user: string) =>
      [...credentials]
        .flatMap(([mechanism, users]) => {
          const c = users.get(user);
          return c ? [{ mechanism: scramMechanismCode(mechanism), iterations: c.iterations }] : [];
        })
        .sort((a, b) => a.mechanism - b.mechanism);
    let results: Result[];
    if (request.users === null || request.users.length === 0) {
      const users = new Set([...credentials.values()].flatMap((m) => [...m.keys()]));
      results = [...users]
        .sort()
        .map((user) => ({ user, errorCode: 0, errorMessage: null, credentialInfos: infosOf(user) }));
    } else {
      const counts = new Map<string, number>();
      for (const u of request.users) counts.set(u.name, (counts.get(u.name) ?? 0) + 1);
      results = [...counts].map(([user, count]): Result => {
        if (count > 1) {
          return {
            user,
            errorCode: ErrorCode.DUPLICATE_RESOURCE,
            errorMessage: 'Cannot describe SCRAM credentials for the same user twice in a single request',
            credentialInfos: [],
          };
        }
        const infos = infosOf(user);
        if (infos.length === 0) {
          return {
            user,
            errorCode: ErrorCode.RESOURCE_NOT_FOUND,
            errorMessage: `Attempt to describe a user credential that does not exist: ${user}`,
            credentialInfos: [],
          };
        }
        return { user, errorCode: 0, errorMessage: null, credentialInfos: infos };
      });
    }
    return { ...defaultDescribeUserScramCredentialsResponse(), errorCode: 0, errorMessage: null, results };
  },
});

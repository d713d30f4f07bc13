/**
 * SCRAM users under a cluster ARN (what MSK does with Secrets Manager secrets), through the brokers'
 * AlterUserScramCredentials/DescribeUserScramCredentials (KIP-554). The password is salted here and only
 * the salted password goes to the brokers; the catalog keeps the salt, iteration count and the RFC 5802
 * StoredKey/ServerKey, never the password nor the salted password. Request bodies are not logged
 * (Fastify logs method, URL and status only) and no error message repeats the password.
 */
import type { Cluster } from '@flotilla/db';
import { CONTROL_PLANE_USER, isReservedPrincipal, type MskClientAuthentication } from '@flotilla/runtime';
import type { ScramMechanismName, ScramSecret } from '@flotilla/worker';
import { badRequest, conflict, notFound } from '../lib/errors.js';
import type { CreateUserRequest } from '../schemas/cluster-resources.js';
import { withCluster } from './cluster-access.js';
import type { Services } from './context.js';

type Reconcile = (clusterId: string) => Promise<void>;

/**
 * The control plane's own user (flotilla-admin, a super user on a secured cluster) is not listed and
 * cannot be created, changed or deleted here: losing it would lock the control plane out.
 */
function refuseReserved(username: string): void {
  if (isReservedPrincipal(username)) {
    throw badRequest(`The user name ${username} is reserved for Flotilla (names starting with flotilla-)`, 'username');
  }
}

/**
 * A user can sign in only on the SASL/SCRAM listener, which a cluster has when its clientAuthentication
 * has sasl.scram.enabled (at create, or since an UpdateSecurity completed). MSK refuses to associate
 * SCRAM secrets with any other cluster
 * (BatchAssociateScramSecret answers BadRequestException); so do we, for create and rotate. Listing and
 * deleting stay allowed: they cannot hand out a credential that does not work.
 */
function requireScram(cluster: Cluster): void {
  const auth = cluster.clientAuthentication as MskClientAuthentication | null;
  if (auth?.sasl?.scram?.enabled === true) return;
  // invalidParameter names the cluster's setting at fault, so the CLI and console can say what to do.
  throw badRequest(
    `Cluster ${cluster.name} does not have SASL/SCRAM client authentication enabled, so a SCRAM user could not ` +
      'sign in to it (it has no SASL/SCRAM listener). Enable it with UpdateSecurity ' +
      '(clientAuthentication.sasl.scram.enabled and encryptionInfo.encryptionInTransit.clientBroker TLS; ' +
      'flo clusters update-security CLUSTER --scram) and create the user once that operation has completed.',
    'clientAuthentication',
  );
}

/** The columns of a credential (Prisma's Bytes want a Uint8Array over a plain ArrayBuffer). */
function secretColumns(secret: ScramSecret) {
  return {
    salt: new Uint8Array(secret.salt),
    iterations: secret.iterations,
    storedKey: new Uint8Array(secret.storedKey),
    serverKey: new Uint8Array(secret.serverKey),
  };
}

export async function listUsers(s: Services, clusterArn: string) {
  return withCluster(s, clusterArn, { mutation: false }, async (admin, cluster) => {
    const [onCluster, rows] = await Promise.all([
      admin.describeScramUsers(),
      s.catalog.scramUser.findMany({ where: { clusterId: cluster.id } }),
    ]);
    const created = new Map(rows.map((r) => [`${r.username}\u0000${r.mechanism}`, r.createdAt]));
    return {
      users: onCluster
        .filter((u) => u.username !== CONTROL_PLANE_USER)
        .sort((a, b) => a.username.localeCompare(b.username))
        .map((u) => {
          const at = created.get(`${u.username}\u0000${u.mechanism}`);
          return { ...u, ...(at ? { creationTime: at.toISOString() } : {}) };
        }),
    };
  });
}

export async function createUser(s: Services, reconcile: Reconcile, clusterArn: string, request: CreateUserRequest) {
  const mechanism: ScramMechanismName = request.mechanism ?? 'SCRAM-SHA-512';
  refuseReserved(request.username);
  const result = await withCluster(s, clusterArn, { mutation: true }, async (admin, cluster) => {
    requireScram(cluster);
    const existing = await admin.describeScramUsers();
    if (existing.some((u) => u.username === request.username && u.mechanism === mechanism))
      throw conflict(`User ${request.username} already exists with ${mechanism}`, 'username');
    const secret = await admin.upsertScramUser(request.username, mechanism, request.password);
    const columns = secretColumns(secret);
    await s.catalog.scramUser.upsert({
      where: { clusterId_username: { clusterId: cluster.id, username: request.username } },
      create: { clusterId: cluster.id, username: request.username, mechanism, secretRef: 'api', ...columns },
      update: { mechanism, secretRef: 'api', ...columns },
    });
    return { clusterId: cluster.id, iterations: secret.iterations };
  });
  await reconcile(result.clusterId).catch(() => undefined);
  return { username: request.username, mechanism, iterations: result.iterations };
}

/** Sets a new password (the old one stops working at once for new connections). */
export async function rotatePassword(
  s: Services,
  reconcile: Reconcile,
  clusterArn: string,
  username: string,
  password: string,
) {
  refuseReserved(username);
  const result = await withCluster(s, clusterArn, { mutation: true }, async (admin, cluster) => {
    requireScram(cluster);
    const existing = (await admin.describeScramUsers()).find((u) => u.username === username);
    if (!existing) throw notFound(`User ${username} does not exist`, 'username');
    const secret = await admin.upsertScramUser(username, existing.mechanism, password);
    const columns = secretColumns(secret);
    await s.catalog.scramUser.upsert({
      where: { clusterId_username: { clusterId: cluster.id, username } },
      create: { clusterId: cluster.id, username, mechanism: existing.mechanism, secretRef: 'api', ...columns },
      update: { secretRef: 'api', ...columns },
    });
    return { clusterId: cluster.id, mechanism: existing.mechanism, iterations: secret.iterations };
  });
  await reconcile(result.clusterId).catch(() => undefined);
  return { username, mechanism: result.mechanism, iterations: result.iterations };
}

export async function deleteUser(s: Services, reconcile: Reconcile, clusterArn: string, username: string) {
  refuseReserved(username);
  const clusterId = await withCluster(s, clusterArn, { mutation: true }, async (admin, cluster) => {
    const credentials = (await admin.describeScramUsers()).filter((u) => u.username === username);
    if (credentials.length === 0) throw notFound(`User ${username} does not exist`, 'username');
    for (const c of credentials) await admin.deleteScramUser(username, c.mechanism);
    await s.catalog.scramUser.deleteMany({ where: { clusterId: cluster.id, username } });
    return cluster.id;
  });
  await reconcile(clusterId).catch(() => undefined);
}

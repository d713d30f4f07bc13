/**
 * A secured cluster's material, as the worker's jobs need it: the security settings for the plan
 * (client access from the catalog's clientAuthentication/encryptionInfo, broker certificates from the
 * cluster's CA), the control plane's credential for `format --add-scram`, and the sealing of broker
 * keys in what the catalog records of a plan. The API made the CA and the password when it accepted
 * the cluster (apps/api services/clusters.ts) and sealed the secret halves under the master key; a
 * cluster that gets TLS or client authentication later (UpdateSecurity) gets them from
 * `ensureSecurityMaterial`, made the same way.
 */
import { randomBytes } from 'node:crypto';
import { type ClientOrTransaction, type Cluster, clusters, type SecretBox } from '@flotilla/db';
import {
  type BrokerCertificateIssuer,
  type BrokerSpec,
  brokerCertificateIssuer,
  type ClusterSecurity,
  CONTROL_PLANE_USER,
  createCertificateAuthority,
  type MskClientAuthentication,
  type MskEncryptionInfo,
  resolveClientAccess,
} from '@flotilla/runtime';
import { UnrecoverableError } from 'bullmq';

type SecurityColumns = Pick<
  Cluster,
  | 'name'
  | 'clientAuthentication'
  | 'encryptionInfo'
  | 'caCertificate'
  | 'caPrivateKeySealed'
  | 'controlPlanePasswordSealed'
>;

function requireBox(cluster: { name: string }, box: SecretBox | undefined): SecretBox {
  if (!box) {
    throw new UnrecoverableError(
      `cluster ${cluster.name} has sealed credentials but this worker has no master key (FLOTILLA_MASTER_KEY / state dir)`,
    );
  }
  return box;
}

/** The cluster CA's issuer of broker certificates. */
export function brokerIssuer(cluster: SecurityColumns, box: SecretBox | undefined): BrokerCertificateIssuer {
  if (!cluster.caCertificate || !cluster.caPrivateKeySealed) {
    throw new UnrecoverableError(`cluster ${cluster.name} has TLS listeners but no certificate authority`);
  }
  return brokerCertificateIssuer({
    certificate: cluster.caCertificate,
    privateKey: requireBox(cluster, box).open(cluster.caPrivateKeySealed),
  });
}

/** The plan's security settings; undefined for a PLAINTEXT cluster (no control-plane credential). */
export function clusterSecurity(cluster: SecurityColumns, box: SecretBox | undefined): ClusterSecurity | undefined {
  if (!cluster.controlPlanePasswordSealed) return undefined;
  const access = resolveClientAccess(
    cluster.clientAuthentication as MskClientAuthentication | null,
    cluster.encryptionInfo as MskEncryptionInfo | null,
  );
  return { access, ...(cluster.caCertificate ? { tls: brokerIssuer(cluster, box) } : {}) };
}

/** `format --add-scram` arguments that seed the control plane's super user (none on a PLAINTEXT cluster). */
export function controlPlaneScram(cluster: SecurityColumns, box: SecretBox | undefined): string[] {
  if (!cluster.controlPlanePasswordSealed) return [];
  const password = requireBox(cluster, box).open(cluster.controlPlanePasswordSealed);
  // Base64url: no comma, bracket or quote that would end the value early.
  return [`SCRAM-SHA-512=[name=${CONTROL_PLANE_USER},password=${password}]`];
}

/** Config keys that hold secrets (broker private keys) and are sealed in recorded plans. */
const SECRET_KEYS = ['ssl.keystore.key'] as const;
const SEALED_PREFIX = 'sealed:';

/** A spec as the catalog may record it: secret values sealed under the master key. */
export function sealSpecSecrets(spec: BrokerSpec, box: SecretBox | undefined): BrokerSpec {
  const secrets = SECRET_KEYS.filter((k) => spec.config[k] !== undefined);
  if (secrets.length === 0) return spec;
  const sealer = requireBox({ name: spec.clusterId }, box);
  const config = { ...spec.config };
  for (const key of secrets) config[key] = SEALED_PREFIX + sealer.seal(config[key] as string).toString('base64');
  return { ...spec, config };
}

/** The spec with its sealed values opened again (what the runtime needs). */
export function openSpecSecrets(spec: BrokerSpec, box: SecretBox | undefined): BrokerSpec {
  const sealed = SECRET_KEYS.filter((k) => spec.config[k]?.startsWith(SEALED_PREFIX));
  if (sealed.length === 0) return spec;
  const opener = requireBox({ name: spec.clusterId }, box);
  const config = { ...spec.config };
  for (const key of sealed) {
    config[key] = opener.open(Buffer.from((config[key] as string).slice(SEALED_PREFIX.length), 'base64'));
  }
  return { ...spec, config };
}

/**
 * The CA and the control plane's password of a cluster that gets TLS or its CONTROL_PLANE listener from
 * UpdateSecurity, made as the API makes them at create (a P-256 CA; 24 random bytes, base64url, safe in
 * `--add-scram [name=...,password=...]`) and sealed under the master key; what the row has already is
 * kept, so a retried step makes nothing twice. Returns the row as it is now.
 */
export async function ensureSecurityMaterial(
  db: ClientOrTransaction,
  cluster: Cluster,
  box: SecretBox | undefined,
  needs: { readonly ca: boolean; readonly controlPlanePassword: boolean },
): Promise<Cluster> {
  const makeCa = needs.ca && !cluster.caCertificate;
  const makePassword = needs.controlPlanePassword && !cluster.controlPlanePasswordSealed;
  if (!makeCa && !makePassword) return cluster;
  const sealer = requireBox(cluster, box);
  const ca = makeCa ? createCertificateAuthority(`Flotilla cluster ${cluster.name} CA`) : null;
  return clusters.updateCluster(db, cluster.id, {
    ...(ca ? { caCertificate: ca.certificate, caPrivateKeySealed: new Uint8Array(sealer.seal(ca.privateKey)) } : {}),
    ...(makePassword
      ? { controlPlanePasswordSealed: new Uint8Array(sealer.seal(randomBytes(24).toString('base64url'))) }
      : {}),
  });
}

/** The control plane's password, opened. */
export function controlPlanePassword(cluster: SecurityColumns, box: SecretBox | undefined): string {
  if (!cluster.controlPlanePasswordSealed) {
    throw new UnrecoverableError(`cluster ${cluster.name} has no control plane credential`);
  }
  return requireBox(cluster, box).open(cluster.controlPlanePasswordSealed);
}

/** A secret as a recorded step may hold it: sealed under the master key, base64. */
export function sealText(owner: { name: string }, box: SecretBox | undefined, text: string): string {
  return requireBox(owner, box).seal(text).toString('base64');
}

export function openText(owner: { name: string }, box: SecretBox | undefined, sealed: string): string {
  return requireBox(owner, box).open(Buffer.from(sealed, 'base64'));
}

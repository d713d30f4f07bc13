/**
 * A secured cluster's material, as the worker's jobs need it: the security settings for the plan
 * (client access from the catalog's clientAuthentication/encryptionInfo, broker certificates from the
 * cluster's CA), the control plane's credential for `format --add-scram`, and the sealing of broker
 * keys in what the catalog records of a plan. The API made the CA and the password when it accepted
 * the cluster (apps/api services/clusters.ts) and sealed the secret halves under the master key.
 */
import type { Cluster, SecretBox } from '@flotilla/db';
import {
  type BrokerCertificateIssuer,
  type BrokerSpec,
  brokerCertificateIssuer,
  type ClusterSecurity,
  CONTROL_PLANE_USER,
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

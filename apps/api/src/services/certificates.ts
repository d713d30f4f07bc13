/**
 * The cluster's own certificate authority (what MSK takes from AWS Private CA): its certificate for
 * clients' truststores, and client certificates for mutual TLS signed by it. The API made the CA when
 * it accepted the cluster (clusters.ts) and keeps its key sealed under the master key; an issued
 * client's private key is returned once and stored nowhere.
 */
import { X509Certificate } from 'node:crypto';
import { isReservedPrincipal, issueCertificate, resolveClientAccess } from '@flotilla/runtime';
import { badRequest, notFound } from '../lib/errors.js';
import type { CreateClientCertificateRequest } from '../schemas/cluster-resources.js';
import { requireCluster } from './clusters.js';
import type { Services } from './context.js';

export async function getCertificateAuthority(s: Services, arn: string) {
  const row = await requireCluster(s, arn);
  if (!row.caCertificate) {
    throw notFound(
      `Cluster ${row.name} has no certificate authority: it was created without TLS (encryptionInfo)`,
      'clusterArn',
    );
  }
  return { certificateAuthority: row.caCertificate };
}

export async function createClientCertificate(s: Services, arn: string, request: CreateClientCertificateRequest) {
  const row = await requireCluster(s, arn);
  const access = resolveClientAccess(
    row.clientAuthentication as Parameters<typeof resolveClientAccess>[0],
    row.encryptionInfo as Parameters<typeof resolveClientAccess>[1],
  );
  if (access.tls !== 'required' && access.tls !== 'requested') {
    throw badRequest(
      `Cluster ${row.name} does not have TLS client authentication (clientAuthentication.tls)`,
      'clusterArn',
    );
  }
  if (!row.caCertificate || !row.caPrivateKeySealed) {
    throw badRequest(`Cluster ${row.name} has no certificate authority`, 'clusterArn');
  }
  // Names starting with flotilla- are the brokers' and the control plane's principals (super users).
  if (isReservedPrincipal(request.commonName)) {
    throw badRequest(`The common name ${request.commonName} is reserved for Flotilla`, 'commonName');
  }
  const issued = issueCertificate(
    { certificate: row.caCertificate, privateKey: s.box.open(row.caPrivateKeySealed) },
    { commonName: request.commonName, usage: 'client', validDays: request.validityDays ?? 365 },
  );
  return {
    commonName: request.commonName,
    principal: `User:${request.commonName}`,
    certificate: issued.certificate,
    privateKey: issued.privateKey,
    certificateAuthority: row.caCertificate,
    notAfter: new Date(new X509Certificate(issued.certificate).validTo).toISOString(),
  };
}

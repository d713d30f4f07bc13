/**
 * A cluster's certificate authority (Flotilla's own, beside MSK's API):
 * `GET /v1/clusters/{clusterArn}/certificate-authority` (the CA certificate clients verify brokers with)
 * and `POST /v1/clusters/{clusterArn}/client-certificates` (a client certificate for mutual TLS).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import * as S from '../schemas/cluster-resources.js';
import * as certificates from '../services/certificates.js';

const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  const s = () => fastify.services;

  fastify.get(
    '/v1/clusters/:clusterArn/certificate-authority',
    {
      schema: {
        operationId: 'GetCertificateAuthority',
        tags: ['certificates'],
        params: S.ClusterArnParams,
        response: { 200: S.CertificateAuthorityResponse, ...S.resourceErrors },
      },
    },
    (request) => certificates.getCertificateAuthority(s(), request.params.clusterArn),
  );

  fastify.post(
    '/v1/clusters/:clusterArn/client-certificates',
    {
      schema: {
        operationId: 'CreateClientCertificate',
        tags: ['certificates'],
        params: S.ClusterArnParams,
        body: S.CreateClientCertificateRequest,
        response: { 200: S.ClientCertificateResponse, ...S.resourceErrors },
      },
    },
    (request) => certificates.createClientCertificate(s(), request.params.clusterArn, request.body),
  );
};

export default routes;

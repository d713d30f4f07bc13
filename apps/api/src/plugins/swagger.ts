/** OpenAPI document built from the route schemas, browsable at /docs. */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';

export default fp(
  async (fastify) => {
    await fastify.register(swagger, {
      openapi: {
        info: {
          title: 'Flotilla API',
          description:
            "Amazon MSK's REST API (the AWS kafka service, 2018-11-14: same paths and JSON shapes) for clusters on your own hosts. Authenticate with AWS Signature V4 (service kafka) or `Authorization: Bearer ACCESS_KEY_ID:SECRET`.",
          version: '0.1.0',
        },
        components: {
          securitySchemes: {
            sigv4: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'AWS Signature V4' },
            bearer: { type: 'http', scheme: 'bearer', description: 'ACCESS_KEY_ID:SECRET_ACCESS_KEY' },
          },
        },
        security: [{ sigv4: [] }, { bearer: [] }],
      },
    });
    await fastify.register(swaggerUi, { routePrefix: '/docs' });
  },
  { name: 'swagger' },
);

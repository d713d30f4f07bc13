#!/usr/bin/env node
/**
 * Starts the API: applies migrations, makes sure an admin key exists, listens on
 * FLOTILLA_API_HOST:FLOTILLA_API_PORT (default 127.0.0.1:8080), and on SIGINT/SIGTERM stops accepting,
 * finishes requests in flight and closes the catalog and queue connections.
 */
import { ConfigError, loadConfig } from './config.js';
import { buildApi } from './start.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const { fastify, adminKey, appliedMigrations } = await buildApi(config, {
    logger: { level: process.env.FLOTILLA_LOG_LEVEL ?? 'info' },
  });
  if (appliedMigrations.length) fastify.log.info({ migrations: appliedMigrations }, 'applied catalog migrations');
  const address = await fastify.listen({ host: config.host, port: config.port });
  const creds = adminKey.credentialsFile
    ? `credentials in ${adminKey.credentialsFile} (AWS credentials-file format)`
    : 'credentials from FLOTILLA_ACCESS_KEY_ID / FLOTILLA_SECRET_ACCESS_KEY';
  // Printed once for `make up`: where the API is and how to reach it. The secret goes to the
  // terminal only when this start generated it, never to the structured log.
  process.stdout.write(
    `\nFlotilla API on ${address} (OpenAPI at ${address}/docs)\n` +
      `  access key id: ${adminKey.accessKeyId}\n` +
      (adminKey.generated ? `  secret access key: ${adminKey.secretAccessKey}\n` : '') +
      `  ${creds}\n` +
      `  aws kafka list-clusters-v2 --endpoint-url ${address}\n\n`,
  );

  let closing: Promise<void> | undefined;
  const shutdown = (signal: string) => {
    closing ??= (async () => {
      fastify.log.info({ signal }, 'shutting down');
      const timer = setTimeout(() => process.exit(1), 10_000);
      timer.unref();
      await fastify.close();
    })();
    return closing;
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});

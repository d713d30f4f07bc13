#!/usr/bin/env node
/**
 * flotilla-broker [server.properties] [--override key=value ...]
 *
 * Starts a broker the way kafka-server-start.sh does: a properties file with Kafka's config keys, and
 * overrides on the command line. Logs one line when it is ready; SIGTERM or SIGINT shut it down cleanly.
 */
import { startBroker } from './broker.js';
import { BrokerConfig } from './config/broker-config.js';
import { ConfigError } from './config/definitions.js';
import { StorageError } from './log/meta-properties.js';
import { createLogger, type LogLevel } from './logger.js';

const USAGE = 'usage: flotilla-broker [server.properties] [--override key=value ...]';

export function parseArgs(argv: readonly string[]): { file: string | undefined; overrides: Map<string, string> } {
  let file: string | undefined;
  const overrides = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--override') {
      const kv = argv[++i];
      const eq = kv?.indexOf('=') ?? -1;
      if (!kv || eq <= 0) throw new Error(`--override needs key=value\n${USAGE}`);
      overrides.set(kv.slice(0, eq), kv.slice(eq + 1));
    } else if (arg === '-h' || arg === '--help') {
      throw new Error(USAGE);
    } else if (arg.startsWith('-')) {
      throw new Error(`unknown option ${arg}\n${USAGE}`);
    } else if (file === undefined) {
      file = arg;
    } else {
      throw new Error(`only one properties file may be given\n${USAGE}`);
    }
  }
  return { file, overrides };
}

async function main(): Promise<void> {
  const log = createLogger((process.env.FLOTILLA_LOG_LEVEL as LogLevel | undefined) ?? 'info');
  let config: BrokerConfig;
  try {
    const { file, overrides } = parseArgs(process.argv.slice(2));
    config = BrokerConfig.load(file, overrides, (m) => log.warn(m));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(2);
  }
  let broker: Awaited<ReturnType<typeof startBroker>>;
  try {
    broker = await startBroker(config, log);
  } catch (e) {
    if (e instanceof ConfigError || e instanceof StorageError) {
      log.error(e.message);
      process.exit(2);
    }
    log.error(`broker failed to start: ${(e as Error).stack ?? e}`);
    process.exit(1);
  }
  const endpoints = broker.listeners.map((l) => `${l.name}://${l.host || '0.0.0.0'}:${l.boundPort}`).join(',');
  log.info(
    `Flotilla broker ${broker.nodeId} started (cluster ${broker.clusterId}) listening on ${endpoints}` +
      (broker.metricsPort !== null ? `, metrics on port ${broker.metricsPort}` : ''),
  );
  const stop = (signal: string) => {
    log.info(`received ${signal}`);
    broker.close().then(
      () => process.exit(0),
      (e: unknown) => {
        log.error(`shutdown failed: ${(e as Error).stack ?? e}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

void main();

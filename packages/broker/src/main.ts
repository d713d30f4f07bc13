#!/usr/bin/env node
/**
 * flotilla-broker [server.properties] [--override key=value ...]
 * flotilla-broker format [server.properties] [--override key=value ...] [--cluster-id id]
 *                 [--add-scram 'SCRAM-SHA-512=[name=admin,password=admin-secret]' ...] [--ignore-formatted]
 *
 * Starts a broker the way kafka-server-start.sh does: a properties file with Kafka's config keys, and
 * overrides on the command line. Logs one line when it is ready; SIGTERM or SIGINT shut it down cleanly.
 */
import { startBroker } from './broker.js';
import { BrokerConfig } from './config/broker-config.js';
import { ConfigError } from './config/definitions.js';
import { formatStorage } from './log/format-storage.js';
import { StorageError } from './log/meta-properties.js';
import { createLogger, type LogLevel } from './logger.js';

const USAGE =
  'usage: flotilla-broker [server.properties] [--override key=value ...]\n' +
  "       flotilla-broker format [server.properties] [--override key=value ...] [--cluster-id id] [--add-scram 'SCRAM-SHA-512=[name=u,password=p]' ...] [--ignore-formatted]";

export interface FormatArgs {
  file: string | undefined;
  overrides: Map<string, string>;
  clusterId: string | null;
  addScram: string[];
  ignoreFormatted: boolean;
}

/** The arguments of `format` (kafka-storage format's options, with the broker's --override). */
export function parseFormatArgs(argv: readonly string[]): FormatArgs {
  const rest: string[] = [];
  const addScram: string[] = [];
  let clusterId: string | null = null;
  let ignoreFormatted = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--add-scram' || arg === '-S') {
      const spec = argv[++i];
      if (!spec) throw new Error(`--add-scram needs a value\n${USAGE}`);
      addScram.push(spec);
    } else if (arg === '--cluster-id' || arg === '-t') {
      clusterId = argv[++i] ?? null;
      if (!clusterId) throw new Error(`--cluster-id needs a value\n${USAGE}`);
    } else if (arg === '--ignore-formatted' || arg === '-g') {
      ignoreFormatted = true;
    } else if (arg === '--config' || arg === '-c') {
      const file = argv[++i];
      if (!file) throw new Error(`--config needs a file\n${USAGE}`);
      rest.push(file);
    } else rest.push(arg);
  }
  return { ...parseArgs(rest), clusterId, addScram, ignoreFormatted };
}

async function format(argv: readonly string[]): Promise<void> {
  const log = createLogger((process.env.FLOTILLA_LOG_LEVEL as LogLevel | undefined) ?? 'warn');
  try {
    const args = parseFormatArgs(argv);
    const config = BrokerConfig.load(args.file, args.overrides, (m) => log.warn(m));
    const result = await formatStorage(config, args, log);
    for (const dir of result.formatted) {
      process.stdout.write(`Formatting ${dir} with cluster id ${result.clusterId}\n`);
    }
    if (result.credentials > 0) process.stdout.write(`Added ${result.credentials} SCRAM credential(s)\n`);
    process.exit(0);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(e instanceof ConfigError || e instanceof StorageError ? 1 : 2);
  }
}

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
  if (process.argv[2] === 'format') return format(process.argv.slice(3));
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

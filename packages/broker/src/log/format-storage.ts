/**
 * `flotilla-broker format`: what `kafka-storage format` does before a broker first starts. Writes
 * meta.properties into every log directory and, with `--add-scram`, seeds SCRAM credentials as
 * UserScramCredential records into the metadata log, so the first user can log in to a cluster whose
 * listeners all require SASL. A directory that is already formatted is an error unless
 * --ignore-formatted is given (then it is left alone, as Kafka leaves it).
 */
import { randomUuid } from '@flotilla/protocol';
import type { BrokerConfig } from '../config/broker-config.js';
import type { Logger } from '../logger.js';
import { MetadataImage } from '../metadata/image.js';
import { LocalMetadataLog } from '../metadata/metadata-log.js';
import type { MetadataRecord } from '../metadata/records.js';
import { parseAddScram } from '../security/credentials.js';
import { readMetaProperties, StorageError, writeMetaProperties } from './meta-properties.js';

export interface FormatOptions {
  readonly clusterId: string | null;
  readonly addScram: readonly string[];
  readonly ignoreFormatted: boolean;
}

export interface FormatResult {
  readonly clusterId: string;
  readonly formatted: readonly string[];
  readonly credentials: number;
}

export async function formatStorage(config: BrokerConfig, options: FormatOptions, log: Logger): Promise<FormatResult> {
  const dirs = config.logDirs;
  const formatted = dirs.filter((d) => readMetaProperties(d) !== null);
  if (formatted.length > 0 && !options.ignoreFormatted) {
    throw new StorageError(
      `Log directory ${formatted[0]} is already formatted. Use --ignore-formatted to ignore this directory and format the others.`,
    );
  }
  const givenClusterId = options.clusterId ?? config.string('cluster.id') ?? undefined;
  const clusterId = givenClusterId ?? readMetaProperties(formatted[0] ?? '')?.clusterId ?? randomUuid();
  // Every credential is parsed before anything is written: a bad --add-scram leaves the directories
  // untouched. With a given cluster id the salts are derived from it (credentials.ts, clusterSalt).
  const records: MetadataRecord[] = options.addScram.map((spec) => parseAddScram(spec, givenClusterId));
  const fresh = dirs.filter((d) => !formatted.includes(d));
  for (const dir of fresh) {
    writeMetaProperties(dir, { version: 1, clusterId, nodeId: config.nodeId, directoryId: randomUuid() });
  }
  const metadataDir = dirs[0] as string;
  let credentials = 0;
  if (records.length > 0 && fresh.includes(metadataDir)) {
    const metadataLog = LocalMetadataLog.open(metadataDir, new MetadataImage(clusterId), log);
    try {
      await metadataLog.append(records);
      credentials = records.length;
    } finally {
      metadataLog.close();
    }
  }
  return { clusterId, formatted: fresh, credentials };
}

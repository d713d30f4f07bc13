/**
 * `meta.properties` in each log directory, as Kafka writes it when `kafka-storage format` runs:
 * version, cluster.id, node.id and directory.id. A broker that finds an unformatted directory formats
 * it; one that finds a directory of another cluster or another node refuses to start, since serving
 * that data would corrupt both.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUuid } from '@flotilla/protocol';
import { parseProperties } from '../config/properties.js';

export interface MetaProperties {
  readonly version: number;
  readonly clusterId: string;
  readonly nodeId: number;
  readonly directoryId: string;
}

export class StorageError extends Error {
  readonly code = 'ERR_STORAGE_MISMATCH';
  constructor(message: string) {
    super(message);
    this.name = 'StorageError';
  }
}

export function readMetaProperties(dir: string): MetaProperties | null {
  const file = join(dir, 'meta.properties');
  if (!existsSync(file)) return null;
  const p = parseProperties(readFileSync(file, 'utf8'));
  return {
    version: Number(p.get('version') ?? 1),
    clusterId: p.get('cluster.id') ?? '',
    nodeId: Number(p.get('node.id') ?? -1),
    directoryId: p.get('directory.id') ?? '',
  };
}

export function writeMetaProperties(dir: string, meta: MetaProperties): void {
  mkdirSync(dir, { recursive: true });
  const text = [
    '#',
    `#${new Date().toUTCString()}`,
    `cluster.id=${meta.clusterId}`,
    `directory.id=${meta.directoryId}`,
    `node.id=${meta.nodeId}`,
    `version=${meta.version}`,
    '',
  ].join('\n');
  const file = join(dir, 'meta.properties');
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

/**
 * Checks every log directory belongs to this node and one cluster, formats the ones that are empty,
 * and returns the cluster id (from the directories, else `cluster.id`, else a new random one).
 */
export function ensureFormatted(dirs: readonly string[], nodeId: number, configuredClusterId: string | null): string {
  const metas = dirs.map((d) => ({ dir: d, meta: readMetaProperties(d) }));
  let clusterId = configuredClusterId;
  for (const { dir, meta } of metas) {
    if (!meta) continue;
    if (meta.nodeId !== nodeId) {
      throw new StorageError(`Stored node id ${meta.nodeId} in ${dir}/meta.properties doesn't match node.id ${nodeId}`);
    }
    if (clusterId !== null && meta.clusterId !== clusterId) {
      throw new StorageError(`Log directory ${dir} belongs to cluster ${meta.clusterId}, not ${clusterId}`);
    }
    clusterId = meta.clusterId;
  }
  clusterId ??= randomUuid();
  for (const { dir, meta } of metas) {
    if (!meta) writeMetaProperties(dir, { version: 1, clusterId, nodeId, directoryId: randomUuid() });
  }
  return clusterId;
}

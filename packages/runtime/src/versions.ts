/**
 * The version catalog: what ListKafkaVersions lists and UpdateClusterKafkaVersion moves between. A
 * "Kafka version" here is MSK's name for a line of Kafka ("3.8.x"), mapped to the Flotilla broker image
 * that serves it and the Kafka protocol level that image advertises (the API versions of that Kafka
 * release; the broker's ApiVersions answer is what clients negotiate against).
 *
 * Today one broker build serves every line: the lines differ in what a cluster is told it runs, and the
 * catalog is where a future broker release that changes behaviour per line plugs in (a new image tag).
 */
import { RuntimeError } from './driver.js';

export type KafkaVersionStatus = 'ACTIVE' | 'DEPRECATED';

export interface KafkaVersion {
  /** MSK's name, as CreateCluster's kafkaVersion takes it. */
  readonly name: string;
  /** Broker image tag for the DockerDriver. */
  readonly image: string;
  /** The Flotilla broker release in that image. */
  readonly brokerVersion: string;
  /** The Kafka release whose protocol the broker advertises. */
  readonly protocolLevel: string;
  readonly status: KafkaVersionStatus;
}

/** The broker release bundled in infra/image (packages/broker's version). */
export const BROKER_VERSION = '0.1.0';
export const BROKER_IMAGE_REPOSITORY = 'flotilla/broker';
export const DEFAULT_BROKER_IMAGE = `${BROKER_IMAGE_REPOSITORY}:${BROKER_VERSION}`;

export const KAFKA_VERSIONS: readonly KafkaVersion[] = [
  {
    name: '3.6.0',
    image: DEFAULT_BROKER_IMAGE,
    brokerVersion: BROKER_VERSION,
    protocolLevel: '3.6',
    status: 'DEPRECATED',
  },
  { name: '3.7.x', image: DEFAULT_BROKER_IMAGE, brokerVersion: BROKER_VERSION, protocolLevel: '3.7', status: 'ACTIVE' },
  { name: '3.8.x', image: DEFAULT_BROKER_IMAGE, brokerVersion: BROKER_VERSION, protocolLevel: '3.8', status: 'ACTIVE' },
  { name: '3.9.x', image: DEFAULT_BROKER_IMAGE, brokerVersion: BROKER_VERSION, protocolLevel: '3.9', status: 'ACTIVE' },
];

export const DEFAULT_KAFKA_VERSION = '3.8.x';

export function resolveKafkaVersion(name: string): KafkaVersion {
  const v = KAFKA_VERSIONS.find((k) => k.name === name);
  if (!v) {
    throw new RuntimeError(
      'UNKNOWN_VERSION',
      `unknown Kafka version ${name}; supported: ${KAFKA_VERSIONS.map((k) => k.name).join(', ')}`,
    );
  }
  return v;
}

/**
 * Versions a cluster on `current` may move to (GetCompatibleKafkaVersions): active versions at the same
 * or a later protocol level, as MSK only upgrades.
 */
export function compatibleKafkaVersions(current: string): KafkaVersion[] {
  const from = resolveKafkaVersion(current);
  return KAFKA_VERSIONS.filter(
    (v) => v.name !== from.name && v.status === 'ACTIVE' && compareLevels(v.protocolLevel, from.protocolLevel) >= 0,
  );
}

function compareLevels(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

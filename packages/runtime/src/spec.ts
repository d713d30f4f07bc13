/**
 * Pure spec builders: from a cluster description (what CreateClusterV2 asks for) to one BrokerSpec per
 * broker (server.properties, limits, ports) that a RuntimeDriver runs. No I/O here, so every rule is
 * unit-tested (spec.test.ts) and the worker can store the specs in the catalog and replay them.
 *
 * The broker configuration follows what a KRaft Kafka cluster on MSK looks like:
 *   - node ids 1..n; the first three (or all, when fewer) are combined broker+controller nodes forming
 *     the controller quorum (`controller.quorum.voters`), the rest are brokers only;
 *   - three listeners: INTERNAL (between brokers, on the cluster network), EXTERNAL (clients, published on
 *     127.0.0.1) and CONTROLLER (the Raft quorum); a cluster with client authentication or TLS
 *     (security.ts) gets MSK's client listeners instead of EXTERNAL alone, plus CONTROL_PLANE, the
 *     control plane's own SCRAM listener, and its CA's certificates inline (securityConfig below);
 *   - MSK's replication defaults: default.replication.factor and the internal topics' replication factor
 *     min(3, n); min.insync.replicas 2 from three brokers on (MSK's default for 3-AZ clusters), else 1.
 */
import { type Addressing, type BrokerSpec, type ResourceLimits, RuntimeError } from './driver.js';
import {
  BROKER_PRINCIPAL_CN,
  type ClientAccess,
  CONTROL_PLANE_USER,
  clientListeners,
  isPlaintextOnly,
  LISTENERS,
  needsTls,
} from './security.js';
import { resolveKafkaVersion } from './versions.js';

export interface ClusterDescription {
  /** Short id used in resource names and labels: lower-case letters, digits and dashes. */
  readonly clusterId: string;
  /** Kafka's cluster.id (written to meta.properties); defaults to the clusterId. */
  readonly kafkaClusterId?: string;
  readonly brokerCount: number;
  /** Node ids to run; default 1..brokerCount. Given explicitly for scale-out/in (issue 7). */
  readonly nodeIds?: readonly number[];
  /** MSK-style version name from the version catalog (versions.ts), e.g. "3.8.x". */
  readonly kafkaVersion: string;
  /** MSK instance type, e.g. kafka.m5.large (BROKER_TYPES). */
  readonly brokerType: string;
  /** Storage per broker in GiB (MSK: 1-16384). */
  readonly storageGiB: number;
  /** Properties from the cluster's configuration (MSK's server.properties), applied over our defaults. */
  readonly configuration?: Readonly<Record<string, string>>;
  /** Client authentication and TLS (security.ts); absent: today's PLAINTEXT cluster. */
  readonly security?: ClusterSecurity;
}

export interface ClusterSecurity {
  readonly access: ClientAccess;
  /** The cluster CA and an issuer of broker certificates; required when the access needs TLS. */
  readonly tls?: BrokerCertificateIssuer;
}

/** Issues a broker's certificate (key + chain, PEM) for the names it is reached by. */
export interface BrokerCertificateIssuer {
  readonly caCertificate: string;
  issue(
    nodeId: number,
    names: { readonly dnsNames: readonly string[]; readonly ipAddresses: readonly string[] },
  ): { readonly chain: string; readonly privateKey: string };
}

/** Host ports a broker is given (from RuntimeDriver.reservePorts), see portsPerBroker. */
export interface BrokerHostPorts {
  readonly kafka: number;
  readonly metrics: number;
  /** Only with loopback addressing: every listener needs its own host port. */
  readonly internal?: number;
  readonly controller?: number;
  /** The client listeners besides the primary one (security.ts clientListeners), by listener name. */
  readonly listeners?: Readonly<Record<string, number>>;
}

export interface ClusterPlan {
  readonly clusterId: string;
  readonly brokers: readonly BrokerSpec[];
  /** The quorum's voters, `id@host:port`. */
  readonly quorumVoters: string;
  /**
   * The brokers' primary listeners, 127.0.0.1:port, comma separated: where the control plane connects
   * (CONTROL_PLANE on a secured cluster, else EXTERNAL).
   */
  readonly bootstrapServers: string;
  /** What GetBootstrapBrokers returns, per listener present (MSK's member names). */
  readonly clientBootstrap: ClientBootstrap;
}

export interface ClientBootstrap {
  readonly bootstrapBrokerString?: string;
  readonly bootstrapBrokerStringTls?: string;
  readonly bootstrapBrokerStringSaslScram?: string;
}

/** An MSK instance type and the limits one of its brokers gets here. */
export interface BrokerType {
  readonly name: string;
  /** What MSK gives this type (for ListNodes / the console). */
  readonly mskVcpus: number;
  readonly mskMemoryGiB: number;
}

/**
 * MSK's broker instance types (https://aws.amazon.com/msk/pricing/). Their vCPU/memory are scaled down to
 * what one development host runs (scaleLimits): a Flotilla broker is a Node process that needs far less
 * than a JVM broker, and several clusters share the machine.
 */
export const BROKER_TYPES: readonly BrokerType[] = [
  { name: 'kafka.t3.small', mskVcpus: 2, mskMemoryGiB: 2 },
  { name: 'kafka.m5.large', mskVcpus: 2, mskMemoryGiB: 8 },
  { name: 'kafka.m5.xlarge', mskVcpus: 4, mskMemoryGiB: 16 },
  { name: 'kafka.m5.2xlarge', mskVcpus: 8, mskMemoryGiB: 32 },
  { name: 'kafka.m5.4xlarge', mskVcpus: 16, mskMemoryGiB: 64 },
  { name: 'kafka.m5.8xlarge', mskVcpus: 32, mskMemoryGiB: 128 },
  { name: 'kafka.m5.12xlarge', mskVcpus: 48, mskMemoryGiB: 192 },
  { name: 'kafka.m5.16xlarge', mskVcpus: 64, mskMemoryGiB: 256 },
  { name: 'kafka.m5.24xlarge', mskVcpus: 96, mskMemoryGiB: 384 },
  { name: 'kafka.m7g.large', mskVcpus: 2, mskMemoryGiB: 8 },
  { name: 'kafka.m7g.xlarge', mskVcpus: 4, mskMemoryGiB: 16 },
  { name: 'kafka.m7g.2xlarge', mskVcpus: 8, mskMemoryGiB: 32 },
  { name: 'kafka.m7g.4xlarge', mskVcpus: 16, mskMemoryGiB: 64 },
  { name: 'kafka.m7g.8xlarge', mskVcpus: 32, mskMemoryGiB: 128 },
  { name: 'kafka.m7g.12xlarge', mskVcpus: 48, mskMemoryGiB: 192 },
  { name: 'kafka.m7g.16xlarge', mskVcpus: 64, mskMemoryGiB: 256 },
];

export interface HostCapacity {
  readonly cpus: number;
  readonly memoryBytes: number;
}

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
/** A Node broker below this is not worth starting (heap, buffers, page cache for the log). */
export const MIN_BROKER_MEMORY = 256 * MIB;

/**
 * The limits a broker of `type` gets on a host: a quarter of MSK's vCPUs (at least 0.25) and 64 MiB per
 * MSK GiB (at least MIN_BROKER_MEMORY), never more than the whole host's CPUs or half its memory.
 * kafka.m5.large (2 vCPU, 8 GiB on MSK) -> 0.5 CPU, 512 MiB.
 */
export function scaleLimits(type: BrokerType, host: HostCapacity): ResourceLimits {
  const cpus = Math.min(host.cpus, Math.max(0.25, type.mskVcpus / 4));
  const memory = Math.min(Math.floor(host.memoryBytes / 2), Math.max(MIN_BROKER_MEMORY, type.mskMemoryGiB * 64 * MIB));
  return { cpus, memoryBytes: Math.max(MIN_BROKER_MEMORY, memory) };
}

export function brokerType(name: string): BrokerType {
  const type = BROKER_TYPES.find((t) => t.name === name);
  if (!type) {
    throw new RuntimeError(
      'INVALID_SPEC',
      `unknown broker type ${name}; known: ${BROKER_TYPES.map((t) => t.name).join(', ')}`,
    );
  }
  return type;
}

/** Ports inside a container on the cluster network: the same on every broker (each has its own host name). */
export const CONTAINER_PORTS = { kafka: 9092, internal: 9093, controller: 9094, metrics: 9404 } as const;
/**
 * Container ports of the client listeners (MSK: 9092 plaintext, 9094 TLS, 9096 SASL/SCRAM; 9094 is our
 * CONTROLLER's, so TLS is on 9095). Clients never see them: they get the published 127.0.0.1 ports.
 */
export const CONTAINER_LISTENER_PORTS: Readonly<Record<string, number>> = {
  [LISTENERS.plaintext]: 9092,
  [LISTENERS.tls]: 9095,
  [LISTENERS.saslScram]: 9096,
  [LISTENERS.controlPlane]: 9098,
  // Between brokers only (UpdateSecurity's TLS listener beside INTERNAL's 9093): never published.
  [LISTENERS.internalTls]: 9097,
};
/** Where the data volume is mounted in the container; log.dirs is below it. */
export const CONTAINER_DATA_DIR = '/var/lib/flotilla';

/**
 * How many host ports reservePorts must give each broker for this addressing: primary and metrics
 * (plus internal and controller on loopback), then one per extra client listener (`clientListeners`).
 */
export function portsPerBroker(addressing: Addressing, listeners: readonly string[] = []): number {
  return (addressing === 'loopback' ? 4 : 2) + listeners.length;
}

/** Groups a flat list of reserved ports into BrokerHostPorts, in the order portsPerBroker counts them. */
export function assignHostPorts(
  addressing: Addressing,
  nodeIds: readonly number[],
  ports: readonly number[],
  listeners: readonly string[] = [],
): Map<number, BrokerHostPorts> {
  const base = portsPerBroker(addressing);
  const per = portsPerBroker(addressing, listeners);
  if (ports.length < per * nodeIds.length) {
    throw new RuntimeError(
      'INVALID_SPEC',
      `${nodeIds.length} brokers need ${per * nodeIds.length} ports, got ${ports.length}`,
    );
  }
  const out = new Map<number, BrokerHostPorts>();
  nodeIds.forEach((id, i) => {
    const p = ports.slice(i * per, i * per + per) as number[];
    const extra = listeners.length
      ? { listeners: Object.fromEntries(listeners.map((name, j) => [name, p[base + j] as number])) }
      : {};
    out.set(
      id,
      base === 4
        ? {
            kafka: p[0] as number,
            metrics: p[1] as number,
            internal: p[2] as number,
            controller: p[3] as number,
            ...extra,
          }
        : { kafka: p[0] as number, metrics: p[1] as number, ...extra },
    );
  });
  return out;
}

/**
 * Keys Flotilla sets itself; a configuration (MSK's server.properties text) may not change them, as MSK
 * refuses to let a configuration set listeners, broker ids or log directories.
 */
export const RESERVED_KEYS: ReadonlySet<string> = new Set([
  'node.id',
  'broker.id',
  'process.roles',
  'controller.quorum.voters',
  'controller.listener.names',
  'listeners',
  'advertised.listeners',
  'listener.security.protocol.map',
  'inter.broker.listener.name',
  'log.dirs',
  'log.dir',
  'cluster.id',
  'metrics.port',
  'metrics.host',
  // The storage size (UpdateBrokerStorage changes it, not a configuration).
  'log.dirs.max.bytes',
  // TLS material and client authentication follow clientAuthentication/encryptionInfo (security.ts).
  'ssl.keystore.type',
  'ssl.keystore.location',
  'ssl.keystore.key',
  'ssl.keystore.certificate.chain',
  'ssl.keystore.password',
  'ssl.key.password',
  'ssl.truststore.type',
  'ssl.truststore.location',
  'ssl.truststore.certificates',
  'ssl.client.auth',
]);

/** Per-listener settings (`listener.name.<listener>.<key>`) are Flotilla's too, as MSK's listeners are AWS's. */
const RESERVED_PREFIXES = ['listener.name.'] as const;

/** Node ids that form the controller quorum: the three lowest (all of them when fewer). */
export function controllerIds(nodeIds: readonly number[]): number[] {
  return [...nodeIds].sort((a, b) => a - b).slice(0, 3);
}

export function defaultNodeIds(brokerCount: number): number[] {
  return Array.from({ length: brokerCount }, (_, i) => i + 1);
}

/** Validates the description; returns the node ids to run. */
function checkDescription(desc: ClusterDescription): number[] {
  if (!/^[a-z0-9][a-z0-9-]{0,39}$/.test(desc.clusterId)) {
    throw new RuntimeError('INVALID_SPEC', `cluster id ${JSON.stringify(desc.clusterId)} must be 1-40 of [a-z0-9-]`);
  }
  if (!Number.isInteger(desc.brokerCount) || desc.brokerCount < 1) {
    throw new RuntimeError('INVALID_SPEC', `broker count must be a positive integer, got ${desc.brokerCount}`);
  }
  const nodeIds = desc.nodeIds ? [...desc.nodeIds] : defaultNodeIds(desc.brokerCount);
  if (nodeIds.length !== desc.brokerCount) {
    throw new RuntimeError('INVALID_SPEC', `${nodeIds.length} node ids given for ${desc.brokerCount} brokers`);
  }
  if (new Set(nodeIds).size !== nodeIds.length || nodeIds.some((id) => !Number.isInteger(id) || id < 0)) {
    throw new RuntimeError('INVALID_SPEC', `node ids must be distinct non-negative integers: ${nodeIds.join(',')}`);
  }
  if (!(desc.storageGiB >= 1)) {
    throw new RuntimeError('INVALID_SPEC', `storage must be at least 1 GiB, got ${desc.storageGiB}`);
  }
  for (const key of Object.keys(desc.configuration ?? {})) {
    if (RESERVED_KEYS.has(key) || RESERVED_PREFIXES.some((prefix) => key.startsWith(prefix))) {
      throw new RuntimeError('INVALID_SPEC', `the configuration may not set ${key}: Flotilla manages it`);
    }
  }
  return nodeIds;
}

/** Replication defaults for a cluster of n brokers (MSK's defaults, bounded by n). */
export function replicationDefaults(n: number): Record<string, string> {
  const rf = Math.min(3, n);
  const minIsr = n >= 3 ? 2 : 1;
  return {
    'default.replication.factor': String(rf),
    'min.insync.replicas': String(minIsr),
    'offsets.topic.replication.factor': String(rf),
    'transaction.state.log.replication.factor': String(rf),
    'transaction.state.log.min.isr': String(minIsr),
    // MSK's default: topics are created explicitly, not by a typo in a consumer.
    'auto.create.topics.enable': 'false',
    'num.partitions': '1',
  };
}

/**
 * Builds every broker's spec. `hostPorts` gives each node id its ports on 127.0.0.1 (from
 * RuntimeDriver.reservePorts + assignHostPorts); `addressing` says how brokers reach each other.
 */
export function buildClusterPlan(
  desc: ClusterDescription,
  addressing: Addressing,
  hostPorts: ReadonlyMap<number, BrokerHostPorts>,
  host: HostCapacity,
  options: { dataRoot?: (nodeId: number) => string } = {},
): ClusterPlan {
  const nodeIds = checkDescription(desc);
  const version = resolveKafkaVersion(desc.kafkaVersion);
  const limits = scaleLimits(brokerType(desc.brokerType), host);
  const controllers = new Set(controllerIds(nodeIds));
  const secured = desc.security !== undefined && !isPlaintextOnly(desc.security.access);
  const extraListeners = secured && desc.security ? clientListeners(desc.security.access) : [];
  if (secured && desc.security && needsTls(desc.security.access) && !desc.security.tls) {
    throw new RuntimeError('INVALID_SPEC', 'a cluster with TLS listeners needs its certificate authority');
  }

  const portsOf = (id: number): Required<BrokerHostPorts> => {
    const p = hostPorts.get(id);
    if (!p) throw new RuntimeError('INVALID_SPEC', `no host ports for node ${id}`);
    for (const name of extraListeners) {
      if (p.listeners?.[name] === undefined) {
        throw new RuntimeError('INVALID_SPEC', `no host port for listener ${name} of node ${id}`);
      }
    }
    const listeners = p.listeners ?? {};
    if (addressing === 'loopback') {
      if (p.internal === undefined || p.controller === undefined) {
        throw new RuntimeError(
          'INVALID_SPEC',
          `loopback addressing needs internal and controller ports for node ${id}`,
        );
      }
      return { ...p, listeners } as Required<BrokerHostPorts>;
    }
    return { ...p, listeners, internal: CONTAINER_PORTS.internal, controller: CONTAINER_PORTS.controller };
  };
  const hostOf = (id: number) => (addressing === 'loopback' ? '127.0.0.1' : `flotilla-${desc.clusterId}-broker-${id}`);

  const quorumVoters = [...controllers].map((id) => `${id}@${hostOf(id)}:${portsOf(id).controller}`).join(',');

  const brokers = nodeIds.map((nodeId): BrokerSpec => {
    const ports = portsOf(nodeId);
    const isController = controllers.has(nodeId);
    const bind = addressing === 'loopback' ? '127.0.0.1' : '0.0.0.0';
    const primary = secured ? LISTENERS.controlPlane : LISTENERS.plaintext;
    const inside =
      addressing === 'loopback'
        ? {
            kafka: ports.kafka,
            internal: ports.internal,
            controller: ports.controller,
            metrics: ports.metrics,
            listeners: ports.listeners,
          }
        : {
            ...CONTAINER_PORTS,
            kafka: CONTAINER_LISTENER_PORTS[primary] as number,
            listeners: Object.fromEntries(extraListeners.map((n) => [n, CONTAINER_LISTENER_PORTS[n] as number])),
          };
    const dataDir = addressing === 'loopback' ? (options.dataRoot?.(nodeId) ?? `data-${nodeId}`) : CONTAINER_DATA_DIR;
    const listeners = [
      `INTERNAL://${bind}:${inside.internal}`,
      `${primary}://${bind}:${inside.kafka}`,
      ...extraListeners.map((n) => `${n}://${bind}:${inside.listeners[n]}`),
    ];
    if (isController) listeners.push(`CONTROLLER://${bind}:${inside.controller}`);
    const advertised = [
      `INTERNAL://${hostOf(nodeId)}:${ports.internal}`,
      `${primary}://127.0.0.1:${ports.kafka}`,
      ...extraListeners.map((n) => `${n}://127.0.0.1:${ports.listeners[n]}`),
    ];
    const security =
      secured && desc.security
        ? securityConfig(desc.security, nodeId, hostOf(nodeId), desc.configuration?.['super.users'])
        : { defaults: {}, managed: { 'listener.security.protocol.map': PLAINTEXT_PROTOCOL_MAP } };
    const config: Record<string, string> = {
      ...replicationDefaults(nodeIds.length),
      ...security.defaults,
      ...desc.configuration,
      'node.id': String(nodeId),
      'process.roles': isController ? 'broker,controller' : 'broker',
      'controller.quorum.voters': quorumVoters,
      'controller.listener.names': 'CONTROLLER',
      listeners: listeners.join(','),
      'advertised.listeners': advertised.join(','),
      'inter.broker.listener.name': 'INTERNAL',
      ...security.managed,
      'cluster.id': desc.kafkaClusterId ?? desc.clusterId,
      'log.dirs': `${dataDir}/logs`,
      'metrics.port': String(inside.metrics),
      'metrics.host': bind,
      // The broker refuses produce with KAFKA_STORAGE_ERROR past its volume size (issue 7).
      'log.dirs.max.bytes': String(Math.round(desc.storageGiB * GIB)),
    };
    return {
      clusterId: desc.clusterId,
      nodeId,
      image: version.image,
      kafkaVersion: version.name,
      limits,
      storageBytes: Math.round(desc.storageGiB * GIB),
      config,
      ports: {
        kafka: ports.kafka,
        metrics: ports.metrics,
        ...(extraListeners.length ? { listeners: { ...ports.listeners } } : {}),
      },
      containerPorts: {
        kafka: inside.kafka,
        metrics: inside.metrics,
        ...(extraListeners.length ? { listeners: { ...inside.listeners } } : {}),
      },
      dataDir,
    };
  });

  const addresses = (port: (id: number) => number | undefined) =>
    nodeIds.map((id) => `127.0.0.1:${port(id)}`).join(',');
  const access = secured && desc.security ? desc.security.access : null;
  const clientBootstrap: ClientBootstrap = access
    ? {
        ...(access.plaintext
          ? { bootstrapBrokerString: addresses((id) => portsOf(id).listeners[LISTENERS.plaintext]) }
          : {}),
        ...(access.tls !== null
          ? { bootstrapBrokerStringTls: addresses((id) => portsOf(id).listeners[LISTENERS.tls]) }
          : {}),
        ...(access.saslScram
          ? { bootstrapBrokerStringSaslScram: addresses((id) => portsOf(id).listeners[LISTENERS.saslScram]) }
          : {}),
      }
    : { bootstrapBrokerString: addresses((id) => portsOf(id).kafka) };
  return {
    clusterId: desc.clusterId,
    brokers,
    quorumVoters,
    bootstrapServers: addresses((id) => portsOf(id).kafka),
    clientBootstrap,
  };
}

/** The catalog's address columns for a cluster's brokers (a plan's, or after brokers were added/removed). */
export interface BootstrapColumns {
  readonly bootstrapBrokerString: string | null;
  readonly bootstrapBrokerStringTls: string | null;
  readonly bootstrapBrokerStringSaslScram: string | null;
  /** The CONTROL_PLANE listeners of a secured cluster; null on a PLAINTEXT one (the control plane uses bootstrapBrokerString). */
  readonly controlPlaneBootstrap: string | null;
}

/** The address columns from the brokers' specs, in node id order. */
export function bootstrapColumns(specs: readonly BrokerSpec[]): BootstrapColumns {
  const sorted = [...specs].sort((a, b) => a.nodeId - b.nodeId);
  const list = (port: (s: BrokerSpec) => number | undefined) => {
    const ports = sorted.map(port).filter((p): p is number => p !== undefined);
    return ports.length ? ports.map((p) => `127.0.0.1:${p}`).join(',') : null;
  };
  const secured = sorted.some((s) => (s.config.listeners ?? '').includes(`${LISTENERS.controlPlane}://`));
  if (!secured) {
    return {
      bootstrapBrokerString: list((s) => s.ports.kafka),
      bootstrapBrokerStringTls: null,
      bootstrapBrokerStringSaslScram: null,
      controlPlaneBootstrap: null,
    };
  }
  return {
    bootstrapBrokerString: list((s) => s.ports.listeners?.[LISTENERS.plaintext]),
    bootstrapBrokerStringTls: list((s) => s.ports.listeners?.[LISTENERS.tls]),
    bootstrapBrokerStringSaslScram: list((s) => s.ports.listeners?.[LISTENERS.saslScram]),
    controlPlaneBootstrap: list((s) => s.ports.kafka),
  };
}

/**
 * super.users from a configuration, with the Flotilla principals (`User:flotilla-*`: the control plane,
 * the brokers) that `current` (a broker's present value) holds kept in: a configuration adds super
 * users, it never takes the control plane's away.
 */
export function withFlotillaSuperUsers(configured: string, current: string | undefined): string {
  const entries = (text: string | undefined) =>
    (text ?? '')
      .split(';')
      .map((u) => u.trim())
      .filter(Boolean);
  const ours = entries(current).filter((u) => u.startsWith('User:flotilla-'));
  return [...new Set([...entries(configured), ...ours])].join(';');
}

const PLAINTEXT_PROTOCOL_MAP = 'INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT';

/** MSK's authorizer (https://docs.aws.amazon.com/msk/latest/developerguide/msk-acls.html). */
export const STANDARD_AUTHORIZER = 'org.apache.kafka.metadata.authorizer.StandardAuthorizer';

/**
 * A secured broker's listener protocols, SASL mechanisms, TLS material and authorizer. `defaults` may be
 * overridden by the cluster's configuration (MSK lets it set allow.everyone.if.no.acl.found, which it
 * defaults to true); `managed` may not. super.users always holds the control plane's user and the
 * brokers' principal, after any the configuration names.
 */
export function securityConfig(
  security: ClusterSecurity,
  nodeId: number,
  hostName: string,
  configuredSuperUsers: string | undefined,
): { defaults: Record<string, string>; managed: Record<string, string> } {
  const { access, tls } = security;
  const protocols = [
    `INTERNAL:${access.inClusterTls ? 'SSL' : 'PLAINTEXT'}`,
    `${LISTENERS.controlPlane}:SASL_PLAINTEXT`,
    ...(access.plaintext ? [`${LISTENERS.plaintext}:PLAINTEXT`] : []),
    ...(access.tls !== null ? [`${LISTENERS.tls}:SSL`] : []),
    ...(access.saslScram ? [`${LISTENERS.saslScram}:SASL_SSL`] : []),
    'CONTROLLER:PLAINTEXT',
  ];
  const managed: Record<string, string> = {
    'listener.security.protocol.map': protocols.join(','),
    // The control plane's own door: SCRAM-SHA-512 only, its user seeded by `format --add-scram`.
    [`listener.name.${LISTENERS.controlPlane.toLowerCase()}.sasl.enabled.mechanisms`]: 'SCRAM-SHA-512',
  };
  if (access.saslScram) {
    managed[`listener.name.${LISTENERS.saslScram.toLowerCase()}.sasl.enabled.mechanisms`] =
      'SCRAM-SHA-512,SCRAM-SHA-256';
  }
  if (access.tls !== null) managed[`listener.name.${LISTENERS.tls.toLowerCase()}.ssl.client.auth`] = access.tls;
  if (access.inClusterTls) managed['listener.name.internal.ssl.client.auth'] = 'required';
  if (tls && needsTls(access)) {
    const names = { dnsNames: [...new Set([hostName, 'localhost'])], ipAddresses: ['127.0.0.1'] };
    const certificate = tls.issue(nodeId, names);
    // Plain ssl.* keys (not listener.name.*): they are `password`-typed in the broker, so DescribeConfigs
    // answers them as sensitive (null) instead of printing the key.
    managed['ssl.keystore.type'] = 'PEM';
    managed['ssl.keystore.key'] = certificate.privateKey;
    managed['ssl.keystore.certificate.chain'] = certificate.chain;
    managed['ssl.truststore.type'] = 'PEM';
    managed['ssl.truststore.certificates'] = tls.caCertificate;
  }
  const superUsers = [
    ...(configuredSuperUsers ?? '')
      .split(';')
      .map((u) => u.trim())
      .filter(Boolean),
    `User:${CONTROL_PLANE_USER}`,
    ...(access.inClusterTls ? [`User:${BROKER_PRINCIPAL_CN}`] : []),
  ];
  managed['super.users'] = [...new Set(superUsers)].join(';');
  const defaults: Record<string, string> = access.authorizer
    ? { 'authorizer.class.name': STANDARD_AUTHORIZER, 'allow.everyone.if.no.acl.found': 'true' }
    : {};
  return { defaults, managed };
}

/**
 * Parses MSK's configuration text (server.properties: `key=value` or `key: value` lines, `#`/`!`
 * comments). Continuation lines and escapes, which MSK's console never produces, are not supported.
 */
export function parseServerProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const m = /^([^=:\s]+)\s*[=:]\s*(.*)$/.exec(line);
    if (!m) throw new RuntimeError('INVALID_SPEC', `not a property line: ${JSON.stringify(line)}`);
    out[m[1] as string] = m[2] as string;
  }
  return out;
}

/**
 * server.properties text for a spec, the form the broker binary reads: Java Properties escapes
 * (java.util.Properties.store), so multi-line values such as inline PEM keys survive as `\n`.
 */
export function renderServerProperties(config: Readonly<Record<string, string>>): string {
  const escaped = (text: string, isKey: boolean) =>
    text
      .replace(/\\/g, '\\\\')
      .replace(/\n/g, '\\n')
      .replace(/\r/g, '\\r')
      .replace(/\t/g, '\\t')
      .replace(/\f/g, '\\f')
      .replace(isKey ? /[=: #!]/g : /^[ #!]/, (c) => `\\${c}`);
  return `${Object.entries(config)
    .map(([k, v]) => `${escaped(k, true)}=${escaped(v, false)}`)
    .join('\n')}\n`;
}

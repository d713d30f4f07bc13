/**
 * The runtime driver: where a cluster's brokers run. The worker (apps/worker) talks only to this
 * interface; DockerDriver (one Docker engine, dockerode) and ProcessDriver (brokers as local child
 * processes, for machines with no engine) implement it, and one conformance suite
 * (test/conformance.ts) runs the same tests against both.
 *
 * Shape of a cluster on a runtime:
 *   - one cluster network (Docker: a user-defined bridge network; processes: nothing, all on 127.0.0.1),
 *   - per broker one data volume that outlives the broker's container/process, so a broker replaced with
 *     the same node id (new image, new CPU/memory limits, a rolling restart) keeps its log (issue 7),
 *   - per broker one container/process, labelled with its cluster and node id so that `listBrokers`
 *     finds them again after the control plane restarts.
 *
 * Every call is idempotent where that makes sense (creating what exists returns it, removing what is
 * gone succeeds), because worker jobs are retried and resumed (issue 6).
 *
 * The driver does not decide anything about Kafka: the broker's server.properties, its limits and its
 * ports come in a BrokerSpec built by the pure functions in spec.ts.
 */

export type RuntimeKind = 'docker' | 'process';

/** How brokers reach one another: decides the addresses written into controller.quorum.voters etc. */
export type Addressing =
  /** Each broker has its own host name on the cluster network (its container name) and fixed ports. */
  | 'cluster-network'
  /** Everything is on 127.0.0.1: every listener of every broker needs its own host port. */
  | 'loopback';

/** Names a broker on a runtime: the catalog's cluster id (a label, part of resource names) and node id. */
export interface BrokerRef {
  readonly clusterId: string;
  readonly nodeId: number;
}

/** Ports published on the host, always on 127.0.0.1 (ARCHITECTURE.md: nothing listens beyond loopback). */
export interface PublishedPorts {
  /**
   * The broker's primary listener, where the control plane and the health check connect: EXTERNAL
   * (PLAINTEXT clients) on a PLAINTEXT cluster, CONTROL_PLANE on one with client authentication or TLS.
   */
  readonly kafka: number;
  /** The Prometheus endpoint, scraped by the monitor. */
  readonly metrics: number;
  /** Further client listeners by name (EXTERNAL, CLIENT_TLS, CLIENT_SASL_SCRAM on a secured cluster). */
  readonly listeners?: Readonly<Record<string, number>>;
}

/** CPU and memory limits, e.g. from a broker type (spec.ts BROKER_TYPES). */
export interface ResourceLimits {
  /** Fractional CPUs (Docker's NanoCpus / 1e9). */
  readonly cpus: number;
  readonly memoryBytes: number;
}

/**
 * Everything a driver needs to run one broker. Built by spec.ts (buildClusterPlan), stored by the
 * worker in the catalog, and handed back to the driver unchanged for a restart or a replacement.
 */
export interface BrokerSpec extends BrokerRef {
  /** Image tag for Docker (flotilla/broker:0.1.0); the ProcessDriver runs the bundled broker instead. */
  readonly image: string;
  /** The MSK-style version name of the catalog entry this broker runs (versions.ts), e.g. "3.8.x". */
  readonly kafkaVersion: string;
  readonly limits: ResourceLimits;
  /** Size of the broker's storage (MSK's EBS volume size); recorded and passed to the broker. */
  readonly storageBytes: number;
  /** The broker's server.properties: Kafka's keys, already complete for this runtime's addressing. */
  readonly config: Readonly<Record<string, string>>;
  readonly ports: PublishedPorts;
  /** Ports inside the container / process that the published ports map to. */
  readonly containerPorts: PublishedPorts;
  /** Where the broker's data volume is mounted (log.dirs points below it). */
  readonly dataDir: string;
}

export interface NetworkInfo {
  readonly clusterId: string;
  /** Docker network id, or the cluster's state directory for processes. */
  readonly id: string;
  readonly name: string;
}

export interface VolumeInfo extends BrokerRef {
  /** Docker volume name, or the data directory for processes. */
  readonly name: string;
  /** Host path of the data, when the driver knows it (Docker's Mountpoint, the process data dir). */
  readonly path: string | null;
}

/** Docker's container states, plus `missing` for a broker that has no container/process at all. */
export type BrokerState = 'created' | 'running' | 'restarting' | 'paused' | 'exited' | 'dead' | 'removing' | 'missing';

/** Docker's health states; `none` when no health check has run yet or there is none. */
export type BrokerHealth = 'starting' | 'healthy' | 'unhealthy' | 'none';

export interface BrokerStatus extends BrokerRef {
  /** Container id, or `process:<pid>` (or `process:-` when not running). */
  readonly id: string;
  readonly state: BrokerState;
  readonly health: BrokerHealth;
  /** Exit code of the last run (137 after SIGKILL, 143 after SIGTERM), null while running or unknown. */
  readonly exitCode: number | null;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
  /** Ports on 127.0.0.1 as the runtime reports them (null when not published / not running). */
  readonly ports: PublishedPorts | null;
  readonly image: string;
  readonly kafkaVersion: string;
  /** How many times the runtime restarted it on its own (restart policy). */
  readonly restartCount: number;
}

export interface BrokerStats extends BrokerRef {
  /** CPU used since the previous sample, in percent of one CPU (Docker's `docker stats` figure). */
  readonly cpuPercent: number;
  readonly memoryBytes: number;
  /** The memory limit in force (0 when none). */
  readonly memoryLimitBytes: number;
  /** Bytes used in the broker's data volume. */
  readonly diskUsedBytes: number;
}

export interface StopOptions {
  /** Time for a graceful shutdown (SIGTERM: controlled shutdown, logs flushed) before SIGKILL. */
  readonly timeoutMs?: number;
}

export interface RemoveOptions {
  /** Also remove the data volume. Default false: replacing a broker keeps its data. */
  readonly removeVolume?: boolean;
}

export interface FormatOptions {
  readonly addScram: readonly string[];
}

export interface LogOptions {
  /** Last N lines (default 200). */
  readonly tail?: number;
  readonly since?: Date;
}

/** Errors with stable codes, so callers branch on `code` (STYLE.md). */
export type RuntimeErrorCode =
  | 'RUNTIME_UNAVAILABLE'
  | 'BROKER_NOT_FOUND'
  | 'BROKER_START_FAILED'
  | 'IMAGE_NOT_FOUND'
  | 'PORT_UNAVAILABLE'
  | 'SPEC_CONFLICT'
  | 'INVALID_SPEC'
  | 'UNKNOWN_VERSION'
  | 'RUNTIME_ERROR';

export class RuntimeError extends Error {
  override readonly name = 'RuntimeError';
  constructor(
    readonly code: RuntimeErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface RuntimeDriver {
  readonly kind: RuntimeKind;
  readonly addressing: Addressing;

  /** Answers when the runtime is usable (Docker engine ping; state dir writable). */
  ping(): Promise<void>;

  /**
   * Picks `count` free TCP ports on 127.0.0.1 for published listeners. The caller records them in the
   * catalog so a replaced broker keeps its address (clients keep their bootstrap list).
   */
  reservePorts(count: number): Promise<number[]>;

  /**
   * Where a broker's data volume is, as the broker sees it (the container mount point, or the process's
   * data directory): buildClusterPlan's `dataRoot`, so log.dirs points into the volume.
   */
  dataPath(ref: BrokerRef): string;

  /** Creates the cluster's network (idempotent). */
  ensureNetwork(clusterId: string): Promise<NetworkInfo>;
  /** Creates a broker's data volume (idempotent); the size is recorded (a label / in the spec). */
  ensureVolume(ref: BrokerRef, storageBytes?: number): Promise<VolumeInfo>;

  /**
   * Creates the broker's container/process from its spec, without starting it (idempotent: if one
   * exists for this ref it is returned as is; to change the spec, remove and create again).
   * Ensures the network and the volume first.
   */
  createBroker(spec: BrokerSpec): Promise<BrokerStatus>;
  /** Starts it (no-op when running). */
  startBroker(ref: BrokerRef): Promise<BrokerStatus>;
  /** SIGTERM, then SIGKILL after `timeoutMs` (default 30 s). No-op when not running. */
  stopBroker(ref: BrokerRef, options?: StopOptions): Promise<BrokerStatus>;
  /** Sends a signal (default SIGKILL) at once; the restart policy does not bring it back. */
  killBroker(ref: BrokerRef, signal?: NodeJS.Signals): Promise<BrokerStatus>;
  /** Stops if needed and removes the container/process (and, on request, its volume). Idempotent. */
  removeBroker(ref: BrokerRef, options?: RemoveOptions): Promise<void>;

  /** The broker's state; `missing` when there is no container/process (never throws for that). */
  inspectBroker(ref: BrokerRef): Promise<BrokerStatus>;
  /** The spec it was created from, or null when missing. */
  brokerSpec(ref: BrokerRef): Promise<BrokerSpec | null>;

  /**
   * Formats the broker's data volume before its first start, as `kafka-storage format` does, seeding
   * SCRAM credentials (`--add-scram 'SCRAM-SHA-512=[name=...,password=...]'`) into its metadata log.
   * A volume already formatted is left as it is (--ignore-formatted), so this is safe twice. The
   * credentials are given here, for this one run, and kept in no spec, label or file.
   */
  formatBroker(spec: BrokerSpec, options: FormatOptions): Promise<void>;
  /** Recent stdout/stderr of the broker. */
  logs(ref: BrokerRef, options?: LogOptions): Promise<string>;
  stats(ref: BrokerRef): Promise<BrokerStats>;

  /** Every broker this runtime holds, or only those of one cluster (by label). */
  listBrokers(clusterId?: string): Promise<BrokerStatus[]>;
  /** Cluster ids that have anything left on this runtime (brokers, volumes or a network). */
  listClusters(): Promise<string[]>;

  /** Removes every broker, volume and the network of a cluster. Idempotent. */
  deleteCluster(clusterId: string): Promise<void>;

  /** Releases the driver's own resources (connections); brokers keep running. Safe twice. */
  close(): Promise<void>;
}

/** Resource names shared by the drivers, so a cluster's resources are recognisable on the host. */
export const LABEL_CLUSTER = 'flotilla.cluster';
export const LABEL_BROKER = 'flotilla.broker';
export const LABEL_VERSION = 'flotilla.kafka-version';
export const LABEL_SPEC = 'flotilla.spec';

export function networkName(clusterId: string): string {
  return `flotilla-${clusterId}`;
}

export function brokerName(ref: BrokerRef): string {
  return `flotilla-${ref.clusterId}-broker-${ref.nodeId}`;
}

export function volumeName(ref: BrokerRef): string {
  return `${brokerName(ref)}-data`;
}

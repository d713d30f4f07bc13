/**
 * DockerDriver: brokers as containers on one Docker engine, through dockerode (the Engine API over its
 * socket; never a shell string). One user-defined bridge network per cluster, so brokers reach each
 * other by container name; one named volume per broker, so a container can be replaced (new image, new
 * limits) and keep its log; ports published on 127.0.0.1 only. Every resource carries the
 * flotilla.cluster / flotilla.broker labels, which is how list and delete find them after a restart.
 */
import Docker from 'dockerode';
import {
  buildContainerSpec,
  buildFormatContainerSpec,
  buildNetworkSpec,
  buildVolumeSpec,
  DEFAULT_STOP_TIMEOUT_S,
} from './docker-spec.js';
import {
  type BrokerHealth,
  type BrokerRef,
  type BrokerSpec,
  type BrokerState,
  type BrokerStats,
  type BrokerStatus,
  brokerName,
  type FormatOptions,
  LABEL_BROKER,
  LABEL_CLUSTER,
  LABEL_SPEC,
  LABEL_VERSION,
  type LogOptions,
  type NetworkInfo,
  networkName,
  type PublishedPorts,
  type RemoveOptions,
  type RuntimeDriver,
  RuntimeError,
  type StopOptions,
  type VolumeInfo,
  volumeName,
} from './driver.js';
import { freeLoopbackPorts } from './ports.js';
import { CONTAINER_DATA_DIR } from './spec.js';

export interface DockerDriverOptions {
  /** A dockerode client; default: the engine at DOCKER_HOST or /var/run/docker.sock. */
  readonly docker?: Docker;
}

/** Engine API errors carry the HTTP status; 404 missing, 304 already in that state, 409 conflict. */
function statusOf(e: unknown): number | undefined {
  return typeof e === 'object' && e !== null && 'statusCode' in e
    ? (e as { statusCode?: number }).statusCode
    : undefined;
}

function wrap(e: unknown, what: string): RuntimeError {
  if (e instanceof RuntimeError) return e;
  const status = statusOf(e);
  const message = (e as Error)?.message ?? String(e);
  if (status === undefined && /ECONNREFUSED|ENOENT|EACCES/.test(message)) {
    return new RuntimeError('RUNTIME_UNAVAILABLE', `${what}: Docker engine unreachable: ${message}`, { cause: e });
  }
  if (/port is already allocated|address already in use/i.test(message)) {
    return new RuntimeError('PORT_UNAVAILABLE', `${what}: ${message}`, { cause: e });
  }
  return new RuntimeError('RUNTIME_ERROR', `${what}: ${message}`, { cause: e });
}

function parseDate(s: string | undefined): Date | null {
  if (!s || s.startsWith('0001-')) return null;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** Splits the engine's multiplexed log stream (8-byte frame headers, no TTY) into text. */
export function demuxDockerLogs(buf: Buffer): string {
  let out = '';
  let i = 0;
  while (i + 8 <= buf.length) {
    const size = buf.readUInt32BE(i + 4);
    out += buf.subarray(i + 8, i + 8 + size).toString('utf8');
    i += 8 + size;
  }
  return out;
}

export class DockerDriver implements RuntimeDriver {
  readonly kind = 'docker' as const;
  readonly addressing = 'cluster-network' as const;
  private readonly docker: Docker;
  private readonly networkLocks = new Map<string, Promise<NetworkInfo>>();

  constructor(options: DockerDriverOptions = {}) {
    this.docker = options.docker ?? new Docker();
  }

  async ping(): Promise<void> {
    try {
      await this.docker.ping();
    } catch (e) {
      throw new RuntimeError('RUNTIME_UNAVAILABLE', `Docker engine does not answer: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }

  reservePorts(count: number): Promise<number[]> {
    return freeLoopbackPorts(count);
  }

  dataPath(_ref: BrokerRef): string {
    return CONTAINER_DATA_DIR;
  }

  /**
   * Docker lets several networks share a name (CheckDuplicate is best effort), and a container attached
   * by an ambiguous name fails to start; so creation is serialised per cluster here, and duplicates left
   * by another control plane racing this one are removed, keeping the oldest.
   */
  ensureNetwork(clusterId: string): Promise<NetworkInfo> {
    const pending = this.networkLocks.get(clusterId);
    if (pending) return pending;
    const p = this.ensureNetworkOnce(clusterId).finally(() => this.networkLocks.delete(clusterId));
    this.networkLocks.set(clusterId, p);
    return p;
  }

  private async ensureNetworkOnce(clusterId: string): Promise<NetworkInfo> {
    const name = networkName(clusterId);
    const find = async () => {
      // The name filter matches substrings; keep the exact name, oldest first.
      const found = (await this.docker.listNetworks({ filters: { name: [name] } }))
        .filter((n) => n.Name === name)
        .sort((a, b) => a.Created.localeCompare(b.Created) || a.Id.localeCompare(b.Id));
      for (const extra of found.slice(1)) {
        await this.docker
          .getNetwork(extra.Id)
          .remove()
          .catch(() => {}); // in use: leave it, the first one is still the one we use
      }
      return found[0];
    };
    try {
      const existing = await find();
      if (existing) return { clusterId, id: existing.Id, name };
      await this.docker.createNetwork(buildNetworkSpec(clusterId));
      const created = await find();
      if (!created) throw new RuntimeError('RUNTIME_ERROR', `network ${name} vanished after it was created`);
      return { clusterId, id: created.Id, name };
    } catch (e) {
      throw wrap(e, `network ${name}`);
    }
  }

  async ensureVolume(ref: BrokerRef, storageBytes?: number): Promise<VolumeInfo> {
    const name = volumeName(ref);
    try {
      try {
        const v = await this.docker.getVolume(name).inspect();
        return { clusterId: ref.clusterId, nodeId: ref.nodeId, name, path: v.Mountpoint ?? null };
      } catch (e) {
        if (statusOf(e) !== 404) throw e;
      }
      // Creating a volume that exists returns it: safe when two jobs race. A BrokerSpec passed as the
      // ref carries its storage size.
      const size = storageBytes ?? (ref as Partial<BrokerSpec>).storageBytes;
      const created = await this.docker.createVolume(
        buildVolumeSpec({ clusterId: ref.clusterId, nodeId: ref.nodeId }, size),
      );
      const info = created as unknown as { Mountpoint?: string };
      return { clusterId: ref.clusterId, nodeId: ref.nodeId, name, path: info.Mountpoint ?? null };
    } catch (e) {
      throw wrap(e, `volume ${name}`);
    }
  }

  async createBroker(spec: BrokerSpec): Promise<BrokerStatus> {
    const existing = await this.inspectBroker(spec);
    if (existing.state !== 'missing') return existing;
    try {
      await this.docker.getImage(spec.image).inspect();
    } catch (e) {
      if (statusOf(e) === 404) {
        throw new RuntimeError('IMAGE_NOT_FOUND', `image ${spec.image} is not on this engine (infra/image/build.sh)`);
      }
      throw wrap(e, `image ${spec.image}`);
    }
    await this.ensureNetwork(spec.clusterId);
    await this.ensureVolume(spec, spec.storageBytes);
    try {
      await this.docker.createContainer(buildContainerSpec(spec));
    } catch (e) {
      if (statusOf(e) !== 409) throw wrap(e, `create ${brokerName(spec)}`);
    }
    return this.inspectBroker(spec);
  }

  async startBroker(ref: BrokerRef): Promise<BrokerStatus> {
    try {
      await this.container(ref).start();
    } catch (e) {
      const status = statusOf(e);
      if (status === 404) throw this.notFound(ref);
      if (status !== 304) {
        const err = wrap(e, `start ${brokerName(ref)}`);
        throw err.code === 'RUNTIME_ERROR' ? new RuntimeError('BROKER_START_FAILED', err.message, { cause: e }) : err;
      }
    }
    return this.inspectBroker(ref);
  }

  async stopBroker(ref: BrokerRef, options: StopOptions = {}): Promise<BrokerStatus> {
    const t = Math.ceil((options.timeoutMs ?? DEFAULT_STOP_TIMEOUT_S * 1000) / 1000);
    try {
      await this.container(ref).stop({ t });
    } catch (e) {
      const status = statusOf(e);
      if (status === 404) throw this.notFound(ref);
      if (status !== 304) throw wrap(e, `stop ${brokerName(ref)}`);
    }
    return this.inspectBroker(ref);
  }

  async killBroker(ref: BrokerRef, signal: NodeJS.Signals = 'SIGKILL'): Promise<BrokerStatus> {
    try {
      await this.container(ref).kill({ signal });
    } catch (e) {
      const status = statusOf(e);
      if (status === 404) throw this.notFound(ref);
      // 409: not running, nothing to kill.
      if (status !== 409) throw wrap(e, `kill ${brokerName(ref)}`);
    }
    // The engine records the exit a moment after the signal; wait for it so callers see `exited`.
    for (let i = 0; i < 50; i++) {
      const s = await this.inspectBroker(ref);
      if (s.state !== 'running' || signal !== 'SIGKILL') return s;
      await new Promise((r) => setTimeout(r, 100));
    }
    return this.inspectBroker(ref);
  }

  async removeBroker(ref: BrokerRef, options: RemoveOptions = {}): Promise<void> {
    try {
      await this.container(ref).remove({ force: true });
    } catch (e) {
      const status = statusOf(e);
      // 409: removal already in progress.
      if (status !== 404 && status !== 409) throw wrap(e, `remove ${brokerName(ref)}`);
    }
    if (options.removeVolume) await this.removeVolumeNamed(volumeName(ref));
  }

  async inspectBroker(ref: BrokerRef): Promise<BrokerStatus> {
    try {
      return this.toStatus(ref, await this.container(ref).inspect());
    } catch (e) {
      if (statusOf(e) === 404) return missingStatus(ref);
      throw wrap(e, `inspect ${brokerName(ref)}`);
    }
  }

  async brokerSpec(ref: BrokerRef): Promise<BrokerSpec | null> {
    try {
      const info = await this.container(ref).inspect();
      const label = info.Config.Labels?.[LABEL_SPEC];
      return label ? (JSON.parse(label) as BrokerSpec) : null;
    } catch (e) {
      if (statusOf(e) === 404) return null;
      throw wrap(e, `inspect ${brokerName(ref)}`);
    }
  }

  async formatBroker(spec: BrokerSpec, options: FormatOptions): Promise<void> {
    await this.ensureVolume(spec, spec.storageBytes);
    const create = buildFormatContainerSpec(spec, options.addScram);
    const name = create.name as string;
    // A container left by an interrupted attempt would hold the name.
    await this.docker
      .getContainer(name)
      .remove({ force: true })
      .catch(() => {});
    let container: Docker.Container;
    try {
      container = await this.docker.createContainer(create);
    } catch (e) {
      if (statusOf(e) === 404) {
        throw new RuntimeError('IMAGE_NOT_FOUND', `image ${spec.image} is not on this engine (infra/image/build.sh)`);
      }
      throw wrap(e, `create ${name}`);
    }
    try {
      await container.start();
      const result = (await container.wait()) as { StatusCode?: number };
      if (result.StatusCode !== 0) {
        const buf = await container.logs({ stdout: true, stderr: true, follow: false, tail: 20 });
        const output = demuxDockerLogs(Buffer.isBuffer(buf) ? buf : Buffer.from(buf as unknown as string));
        throw new RuntimeError(
          'BROKER_START_FAILED',
          `formatting ${brokerName(spec)} failed (exit code ${result.StatusCode}): ${output.trim()}`,
        );
      }
    } catch (e) {
      throw e instanceof RuntimeError ? e : wrap(e, `run ${name}`);
    } finally {
      await container.remove({ force: true }).catch(() => {});
    }
  }

  async logs(ref: BrokerRef, options: LogOptions = {}): Promise<string> {
    try {
      const buf = await this.container(ref).logs({
        stdout: true,
        stderr: true,
        follow: false,
        tail: options.tail ?? 200,
        ...(options.since ? { since: Math.floor(options.since.getTime() / 1000) } : {}),
      });
      return demuxDockerLogs(Buffer.isBuffer(buf) ? buf : Buffer.from(buf as unknown as string));
    } catch (e) {
      if (statusOf(e) === 404) throw this.notFound(ref);
      throw wrap(e, `logs ${brokerName(ref)}`);
    }
  }

  async stats(ref: BrokerRef): Promise<BrokerStats> {
    let s: Docker.ContainerStats;
    try {
      // stream: false waits for two samples, so precpu_stats holds the previous one.
      s = await this.container(ref).stats({ stream: false });
    } catch (e) {
      if (statusOf(e) === 404) throw this.notFound(ref);
      throw wrap(e, `stats ${brokerName(ref)}`);
    }
    const cpuDelta = s.cpu_stats.cpu_usage.total_usage - (s.precpu_stats.cpu_usage?.total_usage ?? 0);
    const systemDelta = (s.cpu_stats.system_cpu_usage ?? 0) - (s.precpu_stats.system_cpu_usage ?? 0);
    const cpus = s.cpu_stats.online_cpus ?? s.cpu_stats.cpu_usage.percpu_usage?.length ?? 1;
    const cpuPercent = systemDelta > 0 && cpuDelta > 0 ? (cpuDelta / systemDelta) * cpus * 100 : 0;
    // `docker stats` subtracts the page cache (cgroup v1: cache, v2: inactive_file).
    const mem = s.memory_stats ?? { usage: 0, limit: 0 };
    const stats = (mem.stats ?? {}) as unknown as Record<string, number>;
    const cache = stats.inactive_file ?? stats.total_inactive_file ?? stats.cache ?? 0;
    const memoryBytes = Math.max(0, (mem.usage ?? 0) - cache);
    const spec = await this.brokerSpec(ref);
    return {
      clusterId: ref.clusterId,
      nodeId: ref.nodeId,
      cpuPercent,
      memoryBytes,
      memoryLimitBytes: spec?.limits.memoryBytes ?? mem.limit ?? 0,
      diskUsedBytes: await this.volumeUsage(volumeName(ref)),
    };
  }

  async listBrokers(clusterId?: string): Promise<BrokerStatus[]> {
    try {
      const filters = {
        label: clusterId ? [`${LABEL_CLUSTER}=${clusterId}`, LABEL_BROKER] : [LABEL_CLUSTER, LABEL_BROKER],
      };
      const containers = await this.docker.listContainers({ all: true, filters });
      const out: BrokerStatus[] = [];
      for (const c of containers) {
        const ref = { clusterId: c.Labels[LABEL_CLUSTER] as string, nodeId: Number(c.Labels[LABEL_BROKER]) };
        try {
          out.push(this.toStatus(ref, await this.docker.getContainer(c.Id).inspect()));
        } catch (e) {
          if (statusOf(e) !== 404) throw e; // removed between list and inspect
        }
      }
      return out.sort((a, b) => a.clusterId.localeCompare(b.clusterId) || a.nodeId - b.nodeId);
    } catch (e) {
      throw wrap(e, 'list brokers');
    }
  }

  async listClusters(): Promise<string[]> {
    try {
      const filters = { label: [LABEL_CLUSTER] };
      const [containers, volumes, networks] = await Promise.all([
        this.docker.listContainers({ all: true, filters }),
        this.docker.listVolumes({ filters }),
        this.docker.listNetworks({ filters }),
      ]);
      const ids = new Set<string>();
      for (const c of containers) ids.add(c.Labels[LABEL_CLUSTER] as string);
      for (const v of volumes.Volumes ?? []) if (v.Labels?.[LABEL_CLUSTER]) ids.add(v.Labels[LABEL_CLUSTER]);
      for (const n of networks) if (n.Labels?.[LABEL_CLUSTER]) ids.add(n.Labels[LABEL_CLUSTER]);
      return [...ids].sort();
    } catch (e) {
      throw wrap(e, 'list clusters');
    }
  }

  async deleteCluster(clusterId: string): Promise<void> {
    const filters = { label: [`${LABEL_CLUSTER}=${clusterId}`] };
    try {
      const containers = await this.docker.listContainers({ all: true, filters });
      await Promise.all(
        containers.map((c) =>
          this.docker
            .getContainer(c.Id)
            .remove({ force: true })
            .catch((e: unknown) => {
              if (statusOf(e) !== 404 && statusOf(e) !== 409) throw e;
            }),
        ),
      );
      const volumes = await this.docker.listVolumes({ filters });
      for (const v of volumes.Volumes ?? []) await this.removeVolumeNamed(v.Name);
      const networks = await this.docker.listNetworks({ filters });
      for (const n of networks) {
        await this.docker
          .getNetwork(n.Id)
          .remove()
          .catch((e: unknown) => {
            if (statusOf(e) !== 404) throw e;
          });
      }
    } catch (e) {
      throw wrap(e, `delete cluster ${clusterId}`);
    }
  }

  async close(): Promise<void> {
    // dockerode keeps no connection open between calls.
  }

  private container(ref: BrokerRef): Docker.Container {
    return this.docker.getContainer(brokerName(ref));
  }

  private notFound(ref: BrokerRef): RuntimeError {
    return new RuntimeError('BROKER_NOT_FOUND', `no container ${brokerName(ref)}`);
  }

  private async removeVolumeNamed(name: string): Promise<void> {
    // A container being removed can hold the volume for a moment (409 "volume is in use").
    for (let attempt = 0; ; attempt++) {
      try {
        await this.docker.getVolume(name).remove();
        return;
      } catch (e) {
        const status = statusOf(e);
        if (status === 404) return;
        if (status === 409 && attempt < 20) {
          await new Promise((r) => setTimeout(r, 250));
          continue;
        }
        throw wrap(e, `remove volume ${name}`);
      }
    }
  }

  private async volumeUsage(name: string): Promise<number> {
    // The engine's disk-usage call sizes every volume; fine for the handful a host holds.
    const df = (await this.docker.df()) as { Volumes?: { Name: string; UsageData?: { Size?: number } }[] };
    const size = df.Volumes?.find((v) => v.Name === name)?.UsageData?.Size ?? 0;
    return Math.max(0, size);
  }

  private toStatus(ref: BrokerRef, info: Docker.ContainerInspectInfo): BrokerStatus {
    const state = info.State;
    const running = state.Running;
    const health: BrokerHealth = (state.Health?.Status as BrokerHealth | undefined) ?? 'none';
    const labels = info.Config.Labels ?? {};
    let ports: PublishedPorts | null = null;
    const spec = labels[LABEL_SPEC] ? (JSON.parse(labels[LABEL_SPEC]) as BrokerSpec) : null;
    if (spec) {
      const bound = info.NetworkSettings?.Ports ?? {};
      const hostPort = (p: number) => Number(bound[`${p}/tcp`]?.[0]?.HostPort ?? 0);
      ports = running
        ? {
            kafka: hostPort(spec.containerPorts.kafka),
            metrics: hostPort(spec.containerPorts.metrics),
            ...(spec.containerPorts.listeners
              ? {
                  listeners: Object.fromEntries(
                    Object.entries(spec.containerPorts.listeners).map(([name, port]) => [name, hostPort(port)]),
                  ),
                }
              : {}),
          }
        : spec.ports;
    }
    return {
      clusterId: ref.clusterId,
      nodeId: ref.nodeId,
      id: info.Id,
      state: (state.Status as BrokerState) ?? 'dead',
      health: health === ('' as BrokerHealth) ? 'none' : health,
      exitCode: running ? null : state.ExitCode,
      startedAt: parseDate(state.StartedAt),
      finishedAt: running ? null : parseDate(state.FinishedAt),
      ports,
      image: info.Config.Image,
      kafkaVersion: labels[LABEL_VERSION] ?? '',
      restartCount: info.RestartCount ?? 0,
    };
  }
}

export function missingStatus(ref: BrokerRef): BrokerStatus {
  return {
    clusterId: ref.clusterId,
    nodeId: ref.nodeId,
    id: '',
    state: 'missing',
    health: 'none',
    exitCode: null,
    startedAt: null,
    finishedAt: null,
    ports: null,
    image: '',
    kafkaVersion: '',
    restartCount: 0,
  };
}

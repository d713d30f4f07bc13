/**
 * Pure builders of the Docker Engine API bodies the DockerDriver sends (Dokploy's
 * `utils/docker/utils.ts` pattern): a network per cluster, a named volume per broker, a container per
 * broker. Unit-tested in docker-spec.test.ts; the driver only sends what these return.
 */
import type Docker from 'dockerode';
import {
  type BrokerRef,
  type BrokerSpec,
  brokerName,
  LABEL_BROKER,
  LABEL_CLUSTER,
  LABEL_SPEC,
  LABEL_VERSION,
  networkName,
  RuntimeError,
  volumeName,
} from './driver.js';

/** Label on volumes: the storage size asked for (the local volume driver has no size limit to set). */
export const LABEL_STORAGE = 'flotilla.storage-bytes';

/** Seconds Docker waits after SIGTERM before SIGKILL when nobody says otherwise (controlled shutdown). */
export const DEFAULT_STOP_TIMEOUT_S = 30;

export function clusterLabels(clusterId: string): Record<string, string> {
  return { [LABEL_CLUSTER]: clusterId };
}

export function brokerLabels(ref: BrokerRef): Record<string, string> {
  return { [LABEL_CLUSTER]: ref.clusterId, [LABEL_BROKER]: String(ref.nodeId) };
}

export function buildNetworkSpec(clusterId: string): Docker.NetworkCreateOptions {
  return {
    Name: networkName(clusterId),
    Driver: 'bridge',
    CheckDuplicate: true,
    // Not `Internal`: an internal network cannot publish ports, and clients reach brokers through
    // ports published on 127.0.0.1. Inter-broker traffic stays on this network by host name.
    Internal: false,
    Attachable: false,
    Labels: clusterLabels(clusterId),
  };
}

export function buildVolumeSpec(ref: BrokerRef, storageBytes?: number): Docker.VolumeCreateOptions {
  const labels: Record<string, string> = brokerLabels(ref);
  if (storageBytes !== undefined) labels[LABEL_STORAGE] = String(storageBytes);
  return { Name: volumeName(ref), Driver: 'local', Labels: labels };
}

/** Node's heap limit for a memory limit: three quarters, leaving room for buffers and native memory. */
export function heapLimitMiB(memoryBytes: number): number {
  return Math.max(64, Math.floor((memoryBytes * 0.75) / (1024 * 1024)));
}

/** The broker's command line: Kafka's `--override key=value` for every property, in a stable order. */
export function brokerArgs(config: Readonly<Record<string, string>>): string[] {
  return Object.keys(config)
    .sort()
    .flatMap((key) => ['--override', `${key}=${config[key]}`]);
}

/** `flotilla-broker format` arguments for a spec: its cluster id, the credentials, its properties. */
export function formatArgs(spec: BrokerSpec, addScram: readonly string[]): string[] {
  const clusterId = spec.config['cluster.id'];
  return [
    'format',
    '--ignore-formatted',
    ...(clusterId ? ['--cluster-id', clusterId] : []),
    ...addScram.flatMap((credential) => ['--add-scram', credential]),
    ...brokerArgs(spec.config),
  ];
}

/** A one-shot container that formats a broker's volume (the broker's image, no network, removed after). */
export function buildFormatContainerSpec(spec: BrokerSpec, addScram: readonly string[]): Docker.ContainerCreateOptions {
  return {
    name: `${brokerName(spec)}-format`,
    Image: spec.image,
    Cmd: formatArgs(spec, addScram),
    // The cluster's label only: listBrokers must not take it for the broker.
    Labels: clusterLabels(spec.clusterId),
    HostConfig: {
      NetworkMode: 'none',
      Mounts: [{ Type: 'volume', Source: volumeName(spec), Target: spec.dataDir }],
    },
  };
}

export function buildContainerSpec(spec: BrokerSpec): Docker.ContainerCreateOptions {
  const name = brokerName(spec);
  const network = networkName(spec.clusterId);
  const kafka = `${spec.containerPorts.kafka}/tcp`;
  const metrics = `${spec.containerPorts.metrics}/tcp`;
  // Further client listeners (a secured cluster's TLS and SASL/SCRAM listeners), published alike.
  const extra = Object.entries(spec.containerPorts.listeners ?? {}).map(([name, port]) => {
    const hostPort = spec.ports.listeners?.[name];
    if (hostPort === undefined) throw new RuntimeError('INVALID_SPEC', `listener ${name} has no host port`);
    return { key: `${port}/tcp`, hostPort };
  });
  return {
    name,
    Hostname: name,
    Image: spec.image,
    Cmd: brokerArgs(spec.config),
    Labels: {
      ...brokerLabels(spec),
      [LABEL_VERSION]: spec.kafkaVersion,
      // The whole spec, so that a control plane that lost its catalog row can still recreate the broker
      // exactly (same ports, same config) and brokerSpec() needs no other store.
      [LABEL_SPEC]: JSON.stringify(spec),
    },
    Env: [
      `FLOTILLA_HEALTH_PORT=${spec.containerPorts.kafka}`,
      `NODE_OPTIONS=--max-old-space-size=${heapLimitMiB(spec.limits.memoryBytes)}`,
    ],
    ExposedPorts: { [kafka]: {}, [metrics]: {}, ...Object.fromEntries(extra.map((e) => [e.key, {}])) },
    // Exec form: the FROM scratch image has no shell. `node` is found through the image's PATH.
    Healthcheck: {
      Test: ['CMD', 'node', '/opt/flotilla/healthcheck.mjs'],
      Interval: 2e9,
      Timeout: 3e9,
      StartPeriod: 30e9,
      Retries: 3,
    },
    StopSignal: 'SIGTERM',
    StopTimeout: DEFAULT_STOP_TIMEOUT_S,
    HostConfig: {
      NetworkMode: network,
      Mounts: [{ Type: 'volume', Source: volumeName(spec), Target: spec.dataDir }],
      // 127.0.0.1 only: nothing of a cluster is reachable from beyond this host (ARCHITECTURE.md).
      PortBindings: {
        [kafka]: [{ HostIp: '127.0.0.1', HostPort: String(spec.ports.kafka) }],
        [metrics]: [{ HostIp: '127.0.0.1', HostPort: String(spec.ports.metrics) }],
        ...Object.fromEntries(extra.map((e) => [e.key, [{ HostIp: '127.0.0.1', HostPort: String(e.hostPort) }]])),
      },
      NanoCpus: Math.round(spec.limits.cpus * 1e9),
      Memory: spec.limits.memoryBytes,
      // No swap beyond the memory limit: a broker that swaps stalls its clients instead of failing.
      MemorySwap: spec.limits.memoryBytes,
      RestartPolicy: { Name: 'unless-stopped' },
      LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
    },
    NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: [name] } } },
  };
}

import { describe, expect, it } from 'vitest';
import { buildContainerSpec, buildNetworkSpec, buildVolumeSpec, heapLimitMiB } from './docker-spec.js';
import { assignHostPorts, buildClusterPlan } from './spec.js';

const plan = buildClusterPlan(
  { clusterId: 'orders', brokerCount: 3, kafkaVersion: '3.8.x', brokerType: 'kafka.m5.large', storageGiB: 10 },
  'cluster-network',
  assignHostPorts('cluster-network', [1, 2, 3], [31001, 31101, 31002, 31102, 31003, 31103]),
  { cpus: 2, memoryBytes: 8 * 1024 ** 3 },
);
const spec = plan.brokers[1];
if (!spec) throw new Error('no broker 2');

describe('Docker specs', () => {
  const c = buildContainerSpec(spec);

  it('names and labels the container after its cluster and node id, with the spec to recreate it', () => {
    expect(c.name).toBe('flotilla-orders-broker-2');
    expect(c.Hostname).toBe('flotilla-orders-broker-2');
    expect(c.Labels?.['flotilla.cluster']).toBe('orders');
    expect(c.Labels?.['flotilla.broker']).toBe('2');
    expect(c.Labels?.['flotilla.kafka-version']).toBe('3.8.x');
    expect(JSON.parse(c.Labels?.['flotilla.spec'] ?? '{}')).toEqual(spec);
  });

  it('publishes the client and metrics ports on 127.0.0.1 only', () => {
    expect(c.HostConfig?.PortBindings).toEqual({
      '9092/tcp': [{ HostIp: '127.0.0.1', HostPort: '31002' }],
      '9404/tcp': [{ HostIp: '127.0.0.1', HostPort: '31102' }],
    });
    expect(c.ExposedPorts).toEqual({ '9092/tcp': {}, '9404/tcp': {} });
  });

  it('puts it on the cluster network under its own name, with its named volume mounted', () => {
    expect(c.HostConfig?.NetworkMode).toBe('flotilla-orders');
    expect(c.NetworkingConfig?.EndpointsConfig?.['flotilla-orders']?.Aliases).toEqual(['flotilla-orders-broker-2']);
    expect(c.HostConfig?.Mounts).toEqual([
      { Type: 'volume', Source: 'flotilla-orders-broker-2-data', Target: '/var/lib/flotilla' },
    ]);
  });

  it('limits CPU and memory from the broker type, restarts unless stopped and checks health', () => {
    expect(c.HostConfig?.NanoCpus).toBe(500_000_000);
    expect(c.HostConfig?.Memory).toBe(512 * 1024 * 1024);
    expect(c.HostConfig?.MemorySwap).toBe(512 * 1024 * 1024);
    expect(c.HostConfig?.RestartPolicy).toEqual({ Name: 'unless-stopped' });
    expect(c.Healthcheck?.Test).toEqual(['CMD', 'node', '/opt/flotilla/healthcheck.mjs']);
    expect(c.Env).toContain('NODE_OPTIONS=--max-old-space-size=384');
    expect(heapLimitMiB(256 * 1024 * 1024)).toBe(192);
  });

  it('passes the broker config as Kafka --override arguments', () => {
    const args = c.Cmd ?? [];
    expect(args.filter((a) => a === '--override').length).toBe(Object.keys(spec.config).length);
    expect(args).toContain('node.id=2');
    expect(args).toContain(`controller.quorum.voters=${plan.quorumVoters}`);
  });

  it('labels the network and volume for listing and cleanup', () => {
    expect(buildNetworkSpec('orders')).toMatchObject({
      Name: 'flotilla-orders',
      Driver: 'bridge',
      Labels: { 'flotilla.cluster': 'orders' },
    });
    expect(buildVolumeSpec(spec, spec.storageBytes)).toEqual({
      Name: 'flotilla-orders-broker-2-data',
      Driver: 'local',
      Labels: {
        'flotilla.cluster': 'orders',
        'flotilla.broker': '2',
        'flotilla.storage-bytes': String(10 * 1024 ** 3),
      },
    });
  });
});

import { describe, expect, it } from 'vitest';
import { addedBrokerSpec } from './scale.js';
import { assignHostPorts, buildClusterPlan } from './spec.js';

const host = { cpus: 8, memoryBytes: 16 * 1024 ** 3 };
const desc = { clusterId: 'c1', brokerCount: 3, kafkaVersion: '3.8.x', brokerType: 'kafka.m5.large', storageGiB: 1 };

describe('addedBrokerSpec', () => {
  it('makes a broker-only node that joins the same quorum, on its own ports and data directory (loopback)', () => {
    const plan = buildClusterPlan(
      desc,
      'loopback',
      assignHostPorts(
        'loopback',
        [1, 2, 3],
        Array.from({ length: 12 }, (_, i) => 20_000 + i),
      ),
      host,
      { dataRoot: (id) => `/state/broker-${id}/data` },
    );
    const template = plan.brokers[0];
    if (!template) throw new Error('no template');
    const added = addedBrokerSpec(
      template,
      4,
      'loopback',
      { kafka: 30_000, metrics: 30_001, internal: 30_002, controller: 30_003 },
      '/state/broker-4/data',
    );
    expect(added.nodeId).toBe(4);
    expect(added.config['process.roles']).toBe('broker');
    expect(added.config['controller.quorum.voters']).toBe(plan.quorumVoters);
    expect(added.config['cluster.id']).toBe(template.config['cluster.id']);
    expect(added.config.listeners).toBe('INTERNAL://127.0.0.1:30002,EXTERNAL://127.0.0.1:30000');
    expect(added.config['advertised.listeners']).toBe('INTERNAL://127.0.0.1:30002,EXTERNAL://127.0.0.1:30000');
    expect(added.config['log.dirs']).toBe('/state/broker-4/data/logs');
    expect(added.ports).toEqual({ kafka: 30_000, metrics: 30_001 });
    expect(added.limits).toEqual(template.limits);
  });

  it('uses the container name and fixed ports on a cluster network', () => {
    const plan = buildClusterPlan(
      desc,
      'cluster-network',
      assignHostPorts('cluster-network', [1, 2, 3], [1, 2, 3, 4, 5, 6]),
      host,
    );
    const template = plan.brokers[0];
    if (!template) throw new Error('no template');
    const added = addedBrokerSpec(template, 4, 'cluster-network', { kafka: 40_000, metrics: 40_001 }, 'unused');
    expect(added.config['advertised.listeners']).toBe(
      'INTERNAL://flotilla-c1-broker-4:9093,EXTERNAL://127.0.0.1:40000',
    );
    expect(added.containerPorts).toEqual({ kafka: 9092, metrics: 9404 });
  });
});

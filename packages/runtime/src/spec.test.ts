import { describe, expect, it } from 'vitest';
import { RuntimeError } from './driver.js';
import {
  assignHostPorts,
  BROKER_TYPES,
  brokerType,
  buildClusterPlan,
  type ClusterDescription,
  controllerIds,
  parseServerProperties,
  portsPerBroker,
  renderServerProperties,
  scaleLimits,
} from './spec.js';
import { compatibleKafkaVersions, DEFAULT_BROKER_IMAGE, KAFKA_VERSIONS, resolveKafkaVersion } from './versions.js';

const HOST = { cpus: 2, memoryBytes: 8 * 1024 ** 3 };
const MIB = 1024 * 1024;

function desc(n: number, extra: Partial<ClusterDescription> = {}): ClusterDescription {
  return {
    clusterId: 'orders',
    brokerCount: n,
    kafkaVersion: '3.8.x',
    brokerType: 'kafka.m5.large',
    storageGiB: 100,
    ...extra,
  };
}

function networkPlan(n: number, extra: Partial<ClusterDescription> = {}) {
  const ids = Array.from({ length: n }, (_, i) => i + 1);
  const ports = ids.flatMap((id) => [19000 + id, 19100 + id]);
  return buildClusterPlan(desc(n, extra), 'cluster-network', assignHostPorts('cluster-network', ids, ports), HOST);
}

describe('buildClusterPlan on a cluster network', () => {
  it('makes the first three brokers combined broker+controller nodes and the rest brokers', () => {
    const plan = networkPlan(5);
    expect(plan.brokers.map((b) => b.config['process.roles'])).toEqual([
      'broker,controller',
      'broker,controller',
      'broker,controller',
      'broker',
      'broker',
    ]);
    expect(plan.quorumVoters).toBe(
      '1@flotilla-orders-broker-1:9094,2@flotilla-orders-broker-2:9094,3@flotilla-orders-broker-3:9094',
    );
    for (const b of plan.brokers) expect(b.config['controller.quorum.voters']).toBe(plan.quorumVoters);
    // Only controllers listen on CONTROLLER.
    expect(plan.brokers[0]?.config.listeners).toBe(
      'INTERNAL://0.0.0.0:9093,EXTERNAL://0.0.0.0:9092,CONTROLLER://0.0.0.0:9094',
    );
    expect(plan.brokers[4]?.config.listeners).toBe('INTERNAL://0.0.0.0:9093,EXTERNAL://0.0.0.0:9092');
  });

  it('advertises the cluster-network name inside and the published 127.0.0.1 port outside', () => {
    const b = networkPlan(3).brokers[1];
    expect(b?.config['advertised.listeners']).toBe(
      'INTERNAL://flotilla-orders-broker-2:9093,EXTERNAL://127.0.0.1:19002',
    );
    expect(b?.config['inter.broker.listener.name']).toBe('INTERNAL');
    expect(b?.config['controller.listener.names']).toBe('CONTROLLER');
    expect(b?.config['listener.security.protocol.map']).toBe(
      'INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT',
    );
    expect(b?.config['log.dirs']).toBe('/var/lib/flotilla/logs');
    expect(b?.config['metrics.port']).toBe('9404');
    expect(b?.config['log.dirs.max.bytes']).toBe(String(b?.storageBytes));
    expect(b?.ports).toEqual({ kafka: 19002, metrics: 19102 });
    expect(b?.containerPorts).toEqual({ kafka: 9092, metrics: 9404 });
    expect(networkPlan(3).bootstrapServers).toBe('127.0.0.1:19001,127.0.0.1:19002,127.0.0.1:19003');
  });

  it.each([
    [1, '1', '1'],
    [2, '2', '1'],
    [3, '3', '2'],
    [6, '3', '2'],
  ])('with %i brokers: replication factor %s, min.insync.replicas %s', (n, rf, minIsr) => {
    const config = networkPlan(n).brokers[0]?.config ?? {};
    expect(config['default.replication.factor']).toBe(rf);
    expect(config['offsets.topic.replication.factor']).toBe(rf);
    expect(config['transaction.state.log.replication.factor']).toBe(rf);
    expect(config['min.insync.replicas']).toBe(minIsr);
    expect(config['process.roles']).toBe('broker,controller');
  });

  it('applies the configuration over the defaults but refuses keys Flotilla manages', () => {
    const plan = networkPlan(3, {
      configuration: { 'auto.create.topics.enable': 'true', 'log.retention.hours': '24' },
    });
    expect(plan.brokers[0]?.config['auto.create.topics.enable']).toBe('true');
    expect(plan.brokers[0]?.config['log.retention.hours']).toBe('24');
    expect(() => networkPlan(3, { configuration: { listeners: 'PLAINTEXT://0.0.0.0:1' } })).toThrow(
      /may not set listeners/,
    );
  });

  it('keeps node ids given for a scale-out and picks the lowest three as controllers', () => {
    const ids = [1, 2, 3, 7];
    const plan = buildClusterPlan(
      desc(4, { nodeIds: ids }),
      'cluster-network',
      assignHostPorts('cluster-network', ids, [1, 2, 3, 4, 5, 6, 7, 8]),
      HOST,
    );
    expect(plan.brokers.map((b) => b.nodeId)).toEqual(ids);
    expect(plan.brokers[3]?.config['process.roles']).toBe('broker');
    expect(controllerIds([9, 4, 1, 12])).toEqual([1, 4, 9]);
  });

  it('carries the version catalog entry, limits and storage', () => {
    const b = networkPlan(1).brokers[0];
    expect(b?.image).toBe(DEFAULT_BROKER_IMAGE);
    expect(b?.kafkaVersion).toBe('3.8.x');
    expect(b?.limits).toEqual({ cpus: 0.5, memoryBytes: 512 * MIB });
    expect(b?.storageBytes).toBe(100 * 1024 ** 3);
  });

  it('rejects bad descriptions with INVALID_SPEC or UNKNOWN_VERSION', () => {
    const codeOf = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as RuntimeError).code;
      }
      return null;
    };
    expect(codeOf(() => networkPlan(0))).toBe('INVALID_SPEC');
    expect(codeOf(() => networkPlan(1, { clusterId: 'Bad_Name' }))).toBe('INVALID_SPEC');
    expect(codeOf(() => networkPlan(1, { brokerType: 'kafka.x9.huge' }))).toBe('INVALID_SPEC');
    expect(codeOf(() => networkPlan(1, { storageGiB: 0 }))).toBe('INVALID_SPEC');
    expect(codeOf(() => networkPlan(2, { nodeIds: [1, 1] }))).toBe('INVALID_SPEC');
    expect(codeOf(() => networkPlan(1, { kafkaVersion: '2.1.0' }))).toBe('UNKNOWN_VERSION');
    expect(codeOf(() => buildClusterPlan(desc(2), 'cluster-network', new Map(), HOST))).toBe('INVALID_SPEC');
  });
});

describe('buildClusterPlan on loopback (processes)', () => {
  it('gives every listener its own 127.0.0.1 port and a data directory per broker', () => {
    const ids = [1, 2, 3];
    const ports = assignHostPorts(
      'loopback',
      ids,
      Array.from({ length: 12 }, (_, i) => 20000 + i),
    );
    const plan = buildClusterPlan(desc(3), 'loopback', ports, HOST, {
      dataRoot: (id) => `/state/orders/broker-${id}/data`,
    });
    const b2 = plan.brokers[1];
    expect(portsPerBroker('loopback')).toBe(4);
    expect(b2?.config.listeners).toBe(
      'INTERNAL://127.0.0.1:20006,EXTERNAL://127.0.0.1:20004,CONTROLLER://127.0.0.1:20007',
    );
    expect(b2?.config['advertised.listeners']).toBe('INTERNAL://127.0.0.1:20006,EXTERNAL://127.0.0.1:20004');
    expect(plan.quorumVoters).toBe('1@127.0.0.1:20003,2@127.0.0.1:20007,3@127.0.0.1:20011');
    expect(b2?.config['metrics.port']).toBe('20005');
    expect(b2?.ports).toEqual(b2?.containerPorts);
    expect(b2?.config['log.dirs']).toBe('/state/orders/broker-2/data/logs');
  });

  it('refuses too few ports', () => {
    expect(() => assignHostPorts('loopback', [1, 2], [1, 2, 3, 4, 5])).toThrow(RuntimeError);
  });
});

describe('broker types', () => {
  it('scales MSK instance types to this host and never beyond it', () => {
    expect(scaleLimits(brokerType('kafka.t3.small'), HOST)).toEqual({ cpus: 0.5, memoryBytes: 256 * MIB });
    expect(scaleLimits(brokerType('kafka.m5.xlarge'), HOST)).toEqual({ cpus: 1, memoryBytes: 1024 * MIB });
    expect(scaleLimits(brokerType('kafka.m5.24xlarge'), HOST)).toEqual({ cpus: 2, memoryBytes: 4096 * MIB });
    for (const t of BROKER_TYPES) {
      const l = scaleLimits(t, HOST);
      expect(l.cpus).toBeGreaterThanOrEqual(0.25);
      expect(l.cpus).toBeLessThanOrEqual(HOST.cpus);
      expect(l.memoryBytes).toBeGreaterThanOrEqual(256 * MIB);
    }
  });
});

describe('server.properties', () => {
  it('parses MSK configuration text and renders it back', () => {
    const text =
      '# MSK default\nauto.create.topics.enable=true\n\nlog.retention.hours: 48\n! old comment\nzookeeper.session.timeout.ms = 18000\n';
    const parsed = parseServerProperties(text);
    expect(parsed).toEqual({
      'auto.create.topics.enable': 'true',
      'log.retention.hours': '48',
      'zookeeper.session.timeout.ms': '18000',
    });
    expect(parseServerProperties(renderServerProperties(parsed))).toEqual(parsed);
    expect(() => parseServerProperties('just words')).toThrow(/not a property line/);
  });
});

describe('version catalog', () => {
  it('maps MSK version names to an image and protocol level, upgrades only', () => {
    expect(resolveKafkaVersion('3.7.x').protocolLevel).toBe('3.7');
    expect(KAFKA_VERSIONS.every((v) => v.image.startsWith('flotilla/broker:'))).toBe(true);
    expect(compatibleKafkaVersions('3.7.x').map((v) => v.name)).toEqual(['3.8.x', '3.9.x']);
    expect(compatibleKafkaVersions('3.9.x')).toEqual([]);
  });
});

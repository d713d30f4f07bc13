/**
 * Pure spec builder for scale-out (issue 7): the spec of a broker added to a running cluster, derived
 * from one of its existing brokers' specs so that it joins the same cluster (cluster.id, the same
 * controller.quorum.voters, the cluster's configuration, image, limits and storage) as a broker-only
 * node: the controller quorum stays the three voters the cluster was created with, added brokers
 * register with it as brokers (Kafka's KRaft scale-out does the same unless voters are added with
 * KIP-853, which this broker does not implement).
 */
import { type Addressing, type BrokerSpec, RuntimeError } from './driver.js';
import { type BrokerHostPorts, CONTAINER_DATA_DIR, CONTAINER_PORTS } from './spec.js';

export function addedBrokerSpec(
  template: BrokerSpec,
  nodeId: number,
  addressing: Addressing,
  hostPorts: BrokerHostPorts,
  dataRoot: string,
): BrokerSpec {
  if (!Number.isInteger(nodeId) || nodeId < 0) throw new RuntimeError('INVALID_SPEC', `bad node id ${nodeId}`);
  const loopback = addressing === 'loopback';
  if (loopback && hostPorts.internal === undefined) {
    throw new RuntimeError('INVALID_SPEC', `loopback addressing needs an internal port for node ${nodeId}`);
  }
  const bind = loopback ? '127.0.0.1' : '0.0.0.0';
  const inside = loopback
    ? { kafka: hostPorts.kafka, internal: hostPorts.internal ?? 0, metrics: hostPorts.metrics }
    : CONTAINER_PORTS;
  const host = loopback ? '127.0.0.1' : `flotilla-${template.clusterId}-broker-${nodeId}`;
  const internalPort = loopback ? inside.internal : CONTAINER_PORTS.internal;
  const dataDir = loopback ? dataRoot : CONTAINER_DATA_DIR;
  return {
    ...template,
    nodeId,
    config: {
      ...template.config,
      'node.id': String(nodeId),
      'process.roles': 'broker',
      listeners: `INTERNAL://${bind}:${inside.internal},EXTERNAL://${bind}:${inside.kafka}`,
      'advertised.listeners': `INTERNAL://${host}:${internalPort},EXTERNAL://127.0.0.1:${hostPorts.kafka}`,
      'log.dirs': `${dataDir}/logs`,
      'metrics.port': String(inside.metrics),
      'metrics.host': bind,
    },
    ports: { kafka: hostPorts.kafka, metrics: hostPorts.metrics },
    containerPorts: { kafka: inside.kafka, metrics: inside.metrics },
    dataDir,
  };
}

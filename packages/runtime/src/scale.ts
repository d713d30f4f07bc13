/**
 * Pure spec builder for scale-out (issue 7): the spec of a broker added to a running cluster, derived
 * from one of its existing brokers' specs so that it joins the same cluster (cluster.id, the same
 * controller.quorum.voters, the cluster's configuration, image, limits and storage) as a broker-only
 * node: the controller quorum stays the three voters the cluster was created with, added brokers
 * register with it as brokers (Kafka's KRaft scale-out does the same unless voters are added with
 * KIP-853, which this broker does not implement).
 */
import { type Addressing, type BrokerSpec, RuntimeError } from './driver.js';
import { LISTENERS } from './security.js';
import {
  type BrokerCertificateIssuer,
  type BrokerHostPorts,
  CONTAINER_DATA_DIR,
  CONTAINER_LISTENER_PORTS,
  CONTAINER_PORTS,
} from './spec.js';

/** The listener on a template's primary port: CONTROL_PLANE on a secured cluster, else EXTERNAL. */
function primaryListener(template: BrokerSpec): string {
  return (template.config.listeners ?? '').includes(`${LISTENERS.controlPlane}://`)
    ? LISTENERS.controlPlane
    : LISTENERS.plaintext;
}

/**
 * The client listeners besides the primary one that a new broker needs, as the template has them.
 * A secured template (TLS material inline) needs `issuer` for the new broker's own certificate.
 */
export function addedBrokerSpec(
  template: BrokerSpec,
  nodeId: number,
  addressing: Addressing,
  hostPorts: BrokerHostPorts,
  dataRoot: string,
  issuer?: BrokerCertificateIssuer,
): BrokerSpec {
  if (!Number.isInteger(nodeId) || nodeId < 0) throw new RuntimeError('INVALID_SPEC', `bad node id ${nodeId}`);
  const loopback = addressing === 'loopback';
  if (loopback && hostPorts.internal === undefined) {
    throw new RuntimeError('INVALID_SPEC', `loopback addressing needs an internal port for node ${nodeId}`);
  }
  const extra = Object.keys(template.ports.listeners ?? {});
  for (const name of extra) {
    if (hostPorts.listeners?.[name] === undefined) {
      throw new RuntimeError('INVALID_SPEC', `no host port for listener ${name} of node ${nodeId}`);
    }
  }
  const primary = primaryListener(template);
  // INTERNAL, or INTERNAL_TLS on a cluster that got TLS between brokers later (security-update.ts).
  const internalName = (template.config['inter.broker.listener.name'] ?? 'INTERNAL').toUpperCase();
  const templateInternal = new RegExp(`(?:^|,)${internalName}://[^,]*:(\\d+)`).exec(template.config.listeners ?? '');
  const internalContainerPort = templateInternal ? Number(templateInternal[1]) : CONTAINER_PORTS.internal;
  const bind = loopback ? '127.0.0.1' : '0.0.0.0';
  const inside = loopback
    ? {
        kafka: hostPorts.kafka,
        internal: hostPorts.internal ?? 0,
        metrics: hostPorts.metrics,
        listeners: hostPorts.listeners ?? {},
      }
    : {
        ...CONTAINER_PORTS,
        internal: internalContainerPort,
        kafka: CONTAINER_LISTENER_PORTS[primary] as number,
        listeners: Object.fromEntries(extra.map((n) => [n, CONTAINER_LISTENER_PORTS[n] as number])),
      };
  const host = loopback ? '127.0.0.1' : `flotilla-${template.clusterId}-broker-${nodeId}`;
  const internalPort = loopback ? inside.internal : internalContainerPort;
  const dataDir = loopback ? dataRoot : CONTAINER_DATA_DIR;
  const tls: Record<string, string> = {};
  if (template.config['ssl.keystore.key'] !== undefined) {
    // Its own key and a certificate for its own host name (the template's names another broker).
    if (!issuer) throw new RuntimeError('INVALID_SPEC', `node ${nodeId} needs a certificate from the cluster CA`);
    const certificate = issuer.issue(nodeId, {
      dnsNames: [...new Set([host, 'localhost'])],
      ipAddresses: ['127.0.0.1'],
    });
    tls['ssl.keystore.key'] = certificate.privateKey;
    tls['ssl.keystore.certificate.chain'] = certificate.chain;
  }
  return {
    ...template,
    nodeId,
    config: {
      ...template.config,
      ...tls,
      'node.id': String(nodeId),
      'process.roles': 'broker',
      listeners: [
        `${internalName}://${bind}:${inside.internal}`,
        `${primary}://${bind}:${inside.kafka}`,
        ...extra.map((n) => `${n}://${bind}:${inside.listeners[n]}`),
      ].join(','),
      'advertised.listeners': [
        `${internalName}://${host}:${internalPort}`,
        `${primary}://127.0.0.1:${hostPorts.kafka}`,
        ...extra.map((n) => `${n}://127.0.0.1:${hostPorts.listeners?.[n]}`),
      ].join(','),
      'log.dirs': `${dataDir}/logs`,
      'metrics.port': String(inside.metrics),
      'metrics.host': bind,
    },
    ports: {
      kafka: hostPorts.kafka,
      metrics: hostPorts.metrics,
      ...(extra.length ? { listeners: { ...hostPorts.listeners } } : {}),
    },
    containerPorts: {
      kafka: inside.kafka,
      metrics: inside.metrics,
      ...(extra.length ? { listeners: { ...inside.listeners } } : {}),
    },
    dataDir,
  };
}

/**
 * Pure spec builders for UpdateSecurity (MSK's day-2 change of clientAuthentication and encryption in
 * transit): from a broker's running spec and the cluster's new settings (security.ts ClientAccess) to
 * the specs a safe rolling restart runs, one phase after another, so that brokers of two phases always
 * understand each other and clients keep working.
 *
 * A broker's listeners are described by a ListenerLayout (which of MSK's client listeners it has, the
 * control plane's SCRAM listener, its inter-broker listeners and their protocol, the authorizer), read
 * from a spec with `layoutOfSpec` and written into one with `specForLayout`, which keeps the node id,
 * data directory, every listener that stays (same ports, so clients keep their bootstrap list) and the
 * broker's certificate, and takes ports only for listeners it did not have.
 *
 * Kafka's procedure for securing a running cluster (https://kafka.apache.org/documentation/#security_rolling_upgrade,
 * KIP-103 listener names) in three rolling bounces, here the phases of `securityUpdatePhases`:
 *   open    every listener of the old and of the new settings at once; brokers keep talking to one
 *           another on the old inter-broker listener and the authorizer stays as it was, so a broker
 *           already rolled and one not yet rolled are alike to each other and to clients
 *   switch  only when the inter-broker protocol changes (PLAINTEXT -> SSL): inter.broker.listener.name
 *           moves to the new TLS listener, which every broker opened in the previous phase; the old one
 *           stays open for brokers not yet switched
 *   close   the new settings alone: listeners no longer wanted are closed, the authorizer is set as
 *           the new settings say (on only now that every broker connects to its peers with its
 *           certificate, whose common name is a super user)
 * A change that keeps the inter-broker listener and the control plane's listener is a single roll
 * (`close`). A follower finds its leader by the name of its own inter-broker listener (Kafka's
 * ReplicaFetcherThread uses the leader's endpoint for inter.broker.listener.name and its own protocol
 * for it), so the listener cannot change protocol under the same name while brokers use it: clusters
 * created with TLS between brokers call that listener INTERNAL, clusters that get it later call it
 * INTERNAL_TLS.
 */
import { type Addressing, type BrokerSpec, brokerName, RuntimeError } from './driver.js';
import { BROKER_PRINCIPAL_CN, type ClientAccess, CONTROL_PLANE_USER, LISTENERS } from './security.js';
import { CONTAINER_LISTENER_PORTS, STANDARD_AUTHORIZER } from './spec.js';

/** The inter-broker listener of a cluster that gets TLS between brokers after it was created. */
export const INTERNAL_TLS_LISTENER = LISTENERS.internalTls;
const CONTROLLER_LISTENER = 'CONTROLLER';
const CLIENT_LISTENERS: ReadonlySet<string> = new Set([
  LISTENERS.plaintext,
  LISTENERS.tls,
  LISTENERS.saslScram,
  LISTENERS.controlPlane,
]);

export type InterBrokerProtocol = 'PLAINTEXT' | 'SSL';

export interface ListenerLayout {
  /** CONTROL_PLANE (SASL_PLAINTEXT, the control plane's SCRAM user): the broker's primary listener when present. */
  readonly controlPlane: boolean;
  /** EXTERNAL (PLAINTEXT, unauthenticated): the primary listener when there is no CONTROL_PLANE. */
  readonly plaintext: boolean;
  /** CLIENT_TLS and its ssl.client.auth, or null without it. */
  readonly tls: ClientAccess['tls'];
  /** CLIENT_SASL_SCRAM (SASL_SSL). */
  readonly saslScram: boolean;
  /** The listeners between brokers by name, with their protocol (two of them while the protocol changes). */
  readonly internal: Readonly<Record<string, InterBrokerProtocol>>;
  /** inter.broker.listener.name: one of `internal`. */
  readonly interBroker: string;
  /** StandardAuthorizer on. */
  readonly authorizer: boolean;
}

export interface SecurityUpdatePhase {
  readonly name: 'open' | 'switch' | 'close';
  readonly layout: ListenerLayout;
}

interface Endpoint {
  readonly bind: string;
  readonly advertised: string | null;
}

/** `NAME://host:port,...` as a map; the host:port part kept as written. */
function parseListeners(text: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const item of (text ?? '').split(',').filter(Boolean)) {
    const at = item.indexOf('://');
    if (at > 0) out.set(item.slice(0, at).toUpperCase(), item.slice(at + 3));
  }
  return out;
}

function parseProtocolMap(text: string | undefined): Map<string, string> {
  return new Map(
    (text ?? '')
      .split(',')
      .filter(Boolean)
      .map((pair) => pair.split(':').map((s) => s.trim().toUpperCase()) as [string, string]),
  );
}

const portOf = (hostPort: string) => Number(hostPort.slice(hostPort.lastIndexOf(':') + 1));
const hostOf = (hostPort: string) => hostPort.slice(0, hostPort.lastIndexOf(':'));

/** The layout a broker runs now, read from its server.properties. */
export function layoutOfSpec(spec: BrokerSpec): ListenerLayout {
  const listeners = parseListeners(spec.config.listeners);
  const protocols = parseProtocolMap(spec.config['listener.security.protocol.map']);
  const internal: Record<string, InterBrokerProtocol> = {};
  for (const name of listeners.keys()) {
    if (CLIENT_LISTENERS.has(name) || name === CONTROLLER_LISTENER) continue;
    internal[name] = protocols.get(name) === 'SSL' ? 'SSL' : 'PLAINTEXT';
  }
  const tlsAuth = spec.config[`listener.name.${LISTENERS.tls.toLowerCase()}.ssl.client.auth`];
  return {
    controlPlane: listeners.has(LISTENERS.controlPlane),
    plaintext: listeners.has(LISTENERS.plaintext),
    tls: listeners.has(LISTENERS.tls) ? (tlsAuth === 'required' || tlsAuth === 'requested' ? tlsAuth : 'none') : null,
    saslScram: listeners.has(LISTENERS.saslScram),
    internal,
    interBroker: (spec.config['inter.broker.listener.name'] ?? 'INTERNAL').toUpperCase(),
    authorizer: Boolean(spec.config['authorizer.class.name']),
  };
}

/**
 * The layout of the new settings. `controlPlane`: whether the cluster has (or gets) the control plane's
 * SCRAM listener; once a cluster has it, it keeps it. The inter-broker listener keeps its name while
 * its protocol stays; TLS between brokers can be turned on (as INTERNAL_TLS), never off (MSK: the
 * in-cluster encryption setting cannot be updated).
 */
export function targetLayout(current: ListenerLayout, access: ClientAccess, controlPlane: boolean): ListenerLayout {
  const wanted: InterBrokerProtocol = access.inClusterTls ? 'SSL' : 'PLAINTEXT';
  const now = current.internal[current.interBroker] ?? 'PLAINTEXT';
  if (now === 'SSL' && wanted === 'PLAINTEXT') {
    throw new RuntimeError('INVALID_SPEC', 'TLS between brokers cannot be turned off on a running cluster');
  }
  const interBroker = now === wanted ? current.interBroker : INTERNAL_TLS_LISTENER;
  if (interBroker === current.interBroker && now !== wanted) {
    throw new RuntimeError('INVALID_SPEC', `listener ${interBroker} cannot change its protocol while brokers use it`);
  }
  if (!controlPlane && !access.plaintext) {
    throw new RuntimeError('INVALID_SPEC', 'a cluster without PLAINTEXT clients needs the control plane listener');
  }
  return {
    controlPlane,
    plaintext: access.plaintext,
    tls: access.tls,
    saslScram: access.saslScram,
    internal: { [interBroker]: wanted },
    interBroker,
    authorizer: access.authorizer,
  };
}

function sameLayout(a: ListenerLayout, b: ListenerLayout): boolean {
  const keys = (l: ListenerLayout) => JSON.stringify(Object.entries(l.internal).sort());
  return (
    a.controlPlane === b.controlPlane &&
    a.plaintext === b.plaintext &&
    a.tls === b.tls &&
    a.saslScram === b.saslScram &&
    keys(a) === keys(b) &&
    a.interBroker === b.interBroker &&
    a.authorizer === b.authorizer
  );
}

/**
 * The rolls from `current` to `target` (module comment), each a complete layout; none when they are
 * the same. A single `close` roll unless the inter-broker listener changes, or the listener the control
 * plane reaches the brokers on (CONTROL_PLANE, else EXTERNAL) would close while brokers of the old
 * layout still need it.
 */
export function securityUpdatePhases(current: ListenerLayout, target: ListenerLayout): SecurityUpdatePhase[] {
  if (sameLayout(current, target)) return [];
  const switching = current.interBroker !== target.interBroker;
  const controlPlaneGone = current.controlPlane ? !target.controlPlane : !target.plaintext;
  if (!switching && !controlPlaneGone) return [{ name: 'close', layout: target }];
  const open: ListenerLayout = {
    controlPlane: current.controlPlane || target.controlPlane,
    plaintext: current.plaintext || target.plaintext,
    // Clients of the old TLS listener keep their way in until the last roll.
    tls: current.tls ?? target.tls,
    saslScram: current.saslScram || target.saslScram,
    internal: { ...current.internal, ...target.internal },
    interBroker: current.interBroker,
    authorizer: current.authorizer,
  };
  const phases: SecurityUpdatePhase[] = [{ name: 'open', layout: open }];
  if (switching) phases.push({ name: 'switch', layout: { ...open, interBroker: target.interBroker } });
  phases.push({ name: 'close', layout: target });
  return phases.filter(
    (p, i) => !sameLayout(p.layout, i === 0 ? current : (phases[i - 1] as SecurityUpdatePhase).layout),
  );
}

/** Whether a layout has a listener that speaks TLS (the broker needs its certificate). */
export function layoutNeedsTls(layout: ListenerLayout): boolean {
  return layout.tls !== null || layout.saslScram || Object.values(layout.internal).includes('SSL');
}

/**
 * The names a broker's certificate is issued for (as spec.ts securityConfig issues them at create): its
 * host name on the cluster network (127.0.0.1 on loopback), localhost and 127.0.0.1.
 */
export function brokerCertificateNames(
  spec: BrokerSpec,
  addressing: Addressing,
): { dnsNames: string[]; ipAddresses: string[] } {
  const host = addressing === 'loopback' ? '127.0.0.1' : brokerName(spec);
  return { dnsNames: [...new Set([host, 'localhost'])], ipAddresses: ['127.0.0.1'] };
}

/** Listener names of a layout, in the order a spec lists them: inter-broker, primary, other client listeners. */
function layoutListeners(layout: ListenerLayout): { internal: string[]; primary: string; clients: string[] } {
  if (!layout.controlPlane && !layout.plaintext) {
    throw new RuntimeError('INVALID_SPEC', 'a broker needs CONTROL_PLANE or EXTERNAL as its primary listener');
  }
  const internal = Object.keys(layout.internal).sort((a, b) =>
    a === layout.interBroker ? -1 : b === layout.interBroker ? 1 : a.localeCompare(b),
  );
  const primary = layout.controlPlane ? LISTENERS.controlPlane : LISTENERS.plaintext;
  const clients = [
    ...(layout.controlPlane && layout.plaintext ? [LISTENERS.plaintext] : []),
    ...(layout.tls !== null ? [LISTENERS.tls] : []),
    ...(layout.saslScram ? [LISTENERS.saslScram] : []),
  ];
  return { internal, primary, clients };
}

/**
 * The listeners of the layouts that `spec` does not have yet and that need a port of their own from
 * the runtime (RuntimeDriver.reservePorts): on loopback every listener, on a cluster network only the
 * ones published on 127.0.0.1 (the others use fixed container ports).
 */
export function listenersNeedingPorts(
  spec: BrokerSpec,
  layouts: readonly ListenerLayout[],
  addressing: Addressing,
): string[] {
  const have = parseListeners(spec.config.listeners);
  const out: string[] = [];
  for (const layout of layouts) {
    const { internal, primary, clients } = layoutListeners(layout);
    for (const name of [...internal, primary, ...clients]) {
      if (have.has(name) || out.includes(name)) continue;
      if (addressing === 'loopback' || CLIENT_LISTENERS.has(name)) out.push(name);
    }
  }
  return out;
}

export interface LayoutSpecOptions {
  readonly addressing: Addressing;
  /** Host ports for the listeners `spec` lacks (listenersNeedingPorts), by listener name. */
  readonly ports: Readonly<Record<string, number>>;
  /** The broker's certificate, needed when the layout has TLS and the spec has no keystore yet. */
  readonly certificate?: { readonly chain: string; readonly privateKey: string };
  /** The cluster CA certificate (the brokers' truststore), needed with `certificate`. */
  readonly caCertificate?: string;
}

/** Keys this builder owns besides listener.name.*: they follow the layout, never a configuration. */
const TLS_KEYS = [
  'ssl.keystore.type',
  'ssl.keystore.key',
  'ssl.keystore.certificate.chain',
  'ssl.truststore.type',
  'ssl.truststore.certificates',
] as const;

/**
 * `spec` with the listeners, protocols, TLS material, super users and authorizer of `layout`: same node
 * id, data directory, limits, image and configuration; a listener it already had keeps its addresses;
 * a new one gets `options.ports[name]` (and on a cluster network its fixed container port).
 */
export function specForLayout(spec: BrokerSpec, layout: ListenerLayout, options: LayoutSpecOptions): BrokerSpec {
  const { internal, primary, clients } = layoutListeners(layout);
  const boundNow = parseListeners(spec.config.listeners);
  const advertisedNow = parseListeners(spec.config['advertised.listeners']);
  const loopback = options.addressing === 'loopback';
  const bindHost = loopback ? '127.0.0.1' : '0.0.0.0';
  // Where other brokers reach this one: the host of its current inter-broker listener.
  const internalHost = hostOf(
    advertisedNow.get(layoutOfSpec(spec).interBroker) ?? advertisedNow.values().next().value ?? '127.0.0.1:0',
  );

  const endpoint = (name: string): Endpoint => {
    const bound = boundNow.get(name);
    if (bound !== undefined) return { bind: bound, advertised: advertisedNow.get(name) ?? null };
    const hostPort = options.ports[name];
    const isClient = CLIENT_LISTENERS.has(name);
    if (loopback) {
      if (hostPort === undefined)
        throw new RuntimeError('INVALID_SPEC', `no port for listener ${name} of node ${spec.nodeId}`);
      return { bind: `${bindHost}:${hostPort}`, advertised: `127.0.0.1:${hostPort}` };
    }
    const containerPort = CONTAINER_LISTENER_PORTS[name];
    if (containerPort === undefined) throw new RuntimeError('INVALID_SPEC', `no container port for listener ${name}`);
    if (!isClient) return { bind: `${bindHost}:${containerPort}`, advertised: `${internalHost}:${containerPort}` };
    if (hostPort === undefined)
      throw new RuntimeError('INVALID_SPEC', `no port for listener ${name} of node ${spec.nodeId}`);
    return { bind: `${bindHost}:${containerPort}`, advertised: `127.0.0.1:${hostPort}` };
  };

  const named = [...internal, primary, ...clients].map((name) => ({ name, ...endpoint(name) }));
  const controller = boundNow.get(CONTROLLER_LISTENER);
  const listeners = [
    ...named.map((l) => `${l.name}://${l.bind}`),
    ...(controller !== undefined ? [`${CONTROLLER_LISTENER}://${controller}`] : []),
  ];
  const advertised = named.map((l) => `${l.name}://${l.advertised}`);
  const published = (name: string) => {
    const l = named.find((x) => x.name === name);
    if (!l?.advertised)
      throw new RuntimeError('INVALID_SPEC', `listener ${name} of node ${spec.nodeId} has no address`);
    return { host: portOf(l.advertised), inside: portOf(l.bind) };
  };

  const protocols = [
    ...internal.map((name) => `${name}:${layout.internal[name]}`),
    ...(layout.controlPlane ? [`${LISTENERS.controlPlane}:SASL_PLAINTEXT`] : []),
    ...(layout.plaintext ? [`${LISTENERS.plaintext}:PLAINTEXT`] : []),
    ...(layout.tls !== null ? [`${LISTENERS.tls}:SSL`] : []),
    ...(layout.saslScram ? [`${LISTENERS.saslScram}:SASL_SSL`] : []),
    `${CONTROLLER_LISTENER}:PLAINTEXT`,
  ];
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(spec.config)) {
    if (key.startsWith('listener.name.') || (TLS_KEYS as readonly string[]).includes(key)) continue;
    config[key] = value;
  }
  config.listeners = listeners.join(',');
  config['advertised.listeners'] = advertised.join(',');
  config['listener.security.protocol.map'] = protocols.join(',');
  config['inter.broker.listener.name'] = layout.interBroker;
  if (layout.controlPlane) {
    config[`listener.name.${LISTENERS.controlPlane.toLowerCase()}.sasl.enabled.mechanisms`] = 'SCRAM-SHA-512';
  }
  if (layout.saslScram) {
    config[`listener.name.${LISTENERS.saslScram.toLowerCase()}.sasl.enabled.mechanisms`] =
      'SCRAM-SHA-512,SCRAM-SHA-256';
  }
  if (layout.tls !== null) config[`listener.name.${LISTENERS.tls.toLowerCase()}.ssl.client.auth`] = layout.tls;
  for (const name of internal) {
    if (layout.internal[name] === 'SSL') config[`listener.name.${name.toLowerCase()}.ssl.client.auth`] = 'required';
  }

  if (layoutNeedsTls(layout)) {
    const key = spec.config['ssl.keystore.key'] ?? options.certificate?.privateKey;
    const chain = spec.config['ssl.keystore.certificate.chain'] ?? options.certificate?.chain;
    const trust = spec.config['ssl.truststore.certificates'] ?? options.caCertificate;
    if (!key || !chain || !trust) {
      throw new RuntimeError('INVALID_SPEC', `node ${spec.nodeId} needs a certificate from the cluster CA`);
    }
    config['ssl.keystore.type'] = 'PEM';
    config['ssl.keystore.key'] = key;
    config['ssl.keystore.certificate.chain'] = chain;
    config['ssl.truststore.type'] = 'PEM';
    config['ssl.truststore.certificates'] = trust;
  }

  // Super users: those of the configuration, the control plane's user with its listener, the brokers'
  // certificate name once they authenticate one another with TLS (as spec.ts securityConfig has them).
  const superUsers = [
    ...(spec.config['super.users'] ?? '')
      .split(';')
      .map((u) => u.trim())
      .filter((u) => u && !u.startsWith('User:flotilla-')),
    ...(layout.controlPlane ? [`User:${CONTROL_PLANE_USER}`] : []),
    ...(Object.values(layout.internal).includes('SSL') ? [`User:${BROKER_PRINCIPAL_CN}`] : []),
  ];
  if (superUsers.length > 0) config['super.users'] = [...new Set(superUsers)].join(';');
  else delete config['super.users'];
  if (layout.authorizer) {
    config['authorizer.class.name'] ??= STANDARD_AUTHORIZER;
    // MSK's default: resources without ACLs stay open (a configuration may say otherwise).
    config['allow.everyone.if.no.acl.found'] ??= 'true';
  } else if (config['authorizer.class.name'] === STANDARD_AUTHORIZER) {
    delete config['authorizer.class.name'];
  }

  const primaryPorts = published(primary);
  const clientPorts = clients.map((name) => [name, published(name)] as const);
  return {
    ...spec,
    config,
    ports: {
      kafka: primaryPorts.host,
      metrics: spec.ports.metrics,
      ...(clients.length ? { listeners: Object.fromEntries(clientPorts.map(([n, p]) => [n, p.host])) } : {}),
    },
    containerPorts: {
      kafka: primaryPorts.inside,
      metrics: spec.containerPorts.metrics,
      ...(clients.length ? { listeners: Object.fromEntries(clientPorts.map(([n, p]) => [n, p.inside])) } : {}),
    },
  };
}

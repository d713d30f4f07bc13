/**
 * How this broker connects to other brokers when the inter-broker listener is secured, from Kafka's
 * keys: the listener is `inter.broker.listener.name` (else the one named after
 * `security.inter.broker.protocol`); SASL uses `sasl.mechanism.inter.broker.protocol` with the
 * `username` and `password` options of the listener's JAAS entry
 * (`listener.name.<listener>.<mechanism>.sasl.jaas.config`, as Kafka's KafkaServer section has them);
 * TLS trusts `ssl.truststore.*` and presents the broker's own keystore when it has one. The result
 * spreads into @flotilla/protocol's `connect` options, which the replica fetchers and transaction
 * marker writer accept as their `connect` setting.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import {
  type Connection,
  type ConnectionOptions,
  connect,
  plain,
  type SaslMechanism,
  scramSha256,
  scramSha512,
} from '@flotilla/protocol';
import type { BrokerConfig } from '../config/broker-config.js';
import { ConfigError } from '../config/definitions.js';
import { listenerValue, securityProtocolOf } from './listener-security.js';

/** The JAAS options `username="..."` and `password="..."` of a login module entry. */
export function parseJaasCredentials(jaas: string | null): { username: string; password: string } | null {
  if (!jaas) return null;
  const option = (name: string) =>
    new RegExp(`(?:^|\\s)${name}\\s*=\\s*"((?:[^"\\\\]|\\\\.)*)"`).exec(jaas)?.[1]?.replace(/\\(.)/g, '$1');
  const username = option('username');
  const password = option('password');
  return username !== undefined && password !== undefined ? { username, password } : null;
}

export function interBrokerListenerName(config: BrokerConfig): string {
  return (
    config.string('inter.broker.listener.name') ??
    config.string('security.inter.broker.protocol') ??
    'PLAINTEXT'
  ).toUpperCase();
}

export function interBrokerClientOptions(config: BrokerConfig): Pick<ConnectionOptions, 'tls' | 'sasl'> {
  return listenerClientOptions(config, interBrokerListenerName(config), 'sasl.mechanism.inter.broker.protocol');
}

/** The listener controllers are reached on: the first of controller.listener.names (Kafka's rule). */
export function controllerListenerName(config: BrokerConfig): string {
  return (config.list('controller.listener.names')[0] ?? 'CONTROLLER').toUpperCase();
}

/**
 * How this node connects to the controllers (Raft RPCs between voters, registration, heartbeats and
 * forwarded requests to the active controller): the controller listener's TLS/SASL settings, SASL with
 * `sasl.mechanism.controller.protocol`, as Kafka's controller clients do.
 */
export function controllerClientOptions(config: BrokerConfig): Pick<ConnectionOptions, 'tls' | 'sasl'> {
  return listenerClientOptions(config, controllerListenerName(config), 'sasl.mechanism.controller.protocol');
}

/** TLS and SASL client settings for connecting to `listener` of another node, from this node's config. */
export function listenerClientOptions(
  config: BrokerConfig,
  listener: string,
  mechanismKey: string,
): Pick<ConnectionOptions, 'tls' | 'sasl'> {
  const protocol = securityProtocolOf(config, listener);
  const get = (key: string) => listenerValue(config, listener, key);
  const options: { tls?: TlsConnectionOptions; sasl?: SaslMechanism } = {};
  if (protocol === 'SSL' || protocol === 'SASL_SSL') {
    const tls: TlsConnectionOptions = {};
    const ca =
      get('ssl.truststore.certificates') ??
      (get('ssl.truststore.location') ? readFileSync(get('ssl.truststore.location') as string, 'utf8') : null);
    if (ca) tls.ca = ca;
    const chain = get('ssl.keystore.certificate.chain');
    const key = get('ssl.keystore.key');
    const location = get('ssl.keystore.location');
    if ((get('ssl.keystore.type') ?? 'PEM').toUpperCase() === 'PKCS12' && location) {
      tls.pfx = readFileSync(location);
      tls.passphrase = get('ssl.keystore.password') ?? undefined;
    } else if (chain && key) {
      tls.cert = chain;
      tls.key = key;
      tls.passphrase = get('ssl.key.password') ?? undefined;
    } else if (location) {
      const pem = readFileSync(location, 'utf8');
      tls.cert = pem;
      tls.key = pem;
      tls.passphrase = get('ssl.key.password') ?? undefined;
    }
    options.tls = tls;
  }
  if (protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL') {
    const mechanism = config.string(mechanismKey) ?? 'SCRAM-SHA-512';
    const credentials =
      parseJaasCredentials(get(`${mechanism.toLowerCase()}.sasl.jaas.config`)) ??
      parseJaasCredentials(get('sasl.jaas.config'));
    if (!credentials) {
      throw new ConfigError(
        `listener.name.${listener.toLowerCase()}.${mechanism.toLowerCase()}.sasl.jaas.config`,
        '',
        `listener ${listener}, which this node connects to, uses SASL but no JAAS entry gives this node a username and password`,
      );
    }
    options.sasl =
      mechanism === 'PLAIN'
        ? plain(credentials)
        : mechanism === 'SCRAM-SHA-256'
          ? scramSha256(credentials)
          : scramSha512(credentials);
  }
  return options;
}

/**
 * `connect` for inter-broker clients (replica fetchers, transaction markers): the caller's options
 * plus this broker's TLS/SASL client settings, worked out at each connection so that a broker whose
 * inter-broker listener is misconfigured still starts and reports the problem on every attempt.
 */
export function interBrokerConnect(config: BrokerConfig): (options: ConnectionOptions) => Promise<Connection> {
  return (options) => connect({ ...options, ...interBrokerClientOptions(config) });
}

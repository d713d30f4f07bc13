/**
 * What each listener requires of its clients, from Kafka's configuration keys:
 *
 * - `listener.security.protocol.map` (NAME:PROTOCOL,...) gives each listener PLAINTEXT, SSL,
 *   SASL_PLAINTEXT or SASL_SSL; a listener named after a protocol needs no entry.
 * - TLS (SSL, SASL_SSL): `ssl.keystore.type` PEM (a `ssl.keystore.location` file holding the private
 *   key and certificate chain, the key encrypted with `ssl.key.password` or not; or the PEM text in
 *   `ssl.keystore.key` / `ssl.keystore.certificate.chain`) or PKCS12 (`ssl.keystore.password`). Trust
 *   for client certificates: `ssl.truststore.location` (PEM, or PKCS12 CAs are not read) or
 *   `ssl.truststore.certificates`. `ssl.client.auth` none | requested | required. JKS, Java's own
 *   format, is refused with a message: convert it with keytool to PKCS12 or PEM.
 * - SASL (SASL_PLAINTEXT, SASL_SSL): `sasl.enabled.mechanisms` from PLAIN, SCRAM-SHA-256,
 *   SCRAM-SHA-512. PLAIN users come from `listener.name.<listener>.plain.sasl.jaas.config` (or
 *   `sasl.jaas.config`) with PlainLoginModule's `user_<name>="<password>"` options, as in Kafka;
 *   SCRAM users from the credentials in the metadata.
 *
 * Every key can be given per listener as `listener.name.<listener in lower case>.<key>`, which wins.
 */
import { readFileSync } from 'node:fs';
import type { TlsOptions } from 'node:tls';
import { type ScramAlgorithm, scramAlgorithmOf } from '@flotilla/protocol';
import type { BrokerConfig, Listener } from '../config/broker-config.js';
import { ConfigError } from '../config/definitions.js';
import type { MetadataImage } from '../metadata/image.js';
import { PlainServer, parseJaasPlainUsers, type SaslServer } from './sasl-server.js';
import type { SaslListenerConfig } from './sasl-session.js';
import { ScramServer } from './scram-server.js';

export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
const PROTOCOLS: readonly SecurityProtocol[] = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];
export const SUPPORTED_SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];

export interface ListenerSecurity {
  readonly protocol: SecurityProtocol;
  /** Options for tls.createServer, when the listener speaks TLS. */
  readonly tls: TlsOptions | null;
  /** The SASL set-up, when the listener authenticates with SASL. */
  readonly sasl: SaslListenerConfig | null;
}

/** Parses listener.security.protocol.map into listener name -> protocol. */
export function parseProtocolMap(text: string | null): Map<string, SecurityProtocol> {
  const map = new Map<string, SecurityProtocol>();
  for (const entry of (text ?? '').split(',')) {
    if (entry.trim() === '') continue;
    const [name, protocol] = entry.split(':').map((s) => s.trim().toUpperCase());
    if (!name || !protocol || !PROTOCOLS.includes(protocol as SecurityProtocol)) {
      throw new ConfigError('listener.security.protocol.map', String(text), `invalid entry ${entry}`);
    }
    map.set(name, protocol as SecurityProtocol);
  }
  return map;
}

export function securityProtocolOf(config: BrokerConfig, listenerName: string): SecurityProtocol {
  const protocol = parseProtocolMap(config.raw('listener.security.protocol.map')).get(listenerName.toUpperCase());
  if (protocol) return protocol;
  if (PROTOCOLS.includes(listenerName.toUpperCase() as SecurityProtocol)) return listenerName as SecurityProtocol;
  throw new ConfigError(
    'listener.security.protocol.map',
    String(config.raw('listener.security.protocol.map')),
    `No security protocol defined for listener ${listenerName}`,
  );
}

/** A key's value for a listener: `listener.name.<l>.<key>` first, then `<key>`. */
export function listenerValue(config: BrokerConfig, listenerName: string, key: string): string | null {
  const prefixed = config.raw(`listener.name.${listenerName.toLowerCase()}.${key}`);
  if (prefixed !== null && prefixed !== '') return prefixed;
  const plain = config.raw(key);
  return plain === null || plain === '' ? null : plain;
}

/**
 * The TLS server options of a listener. Throws ConfigError when the key material is missing or in a
 * format Node cannot read.
 */
export function tlsOptions(config: BrokerConfig, listenerName: string): TlsOptions {
  const get = (key: string) => listenerValue(config, listenerName, key);
  const keystoreType = (get('ssl.keystore.type') ?? 'PEM').toUpperCase();
  const options: TlsOptions = {};
  const location = get('ssl.keystore.location');
  if (keystoreType === 'PKCS12') {
    if (!location) throw new ConfigError('ssl.keystore.location', '', `listener ${listenerName} needs a keystore`);
    options.pfx = readFileSync(location);
    options.passphrase = get('ssl.keystore.password') ?? undefined;
  } else if (keystoreType === 'PEM') {
    const chain = get('ssl.keystore.certificate.chain');
    const key = get('ssl.keystore.key');
    if (chain && key) {
      options.cert = chain;
      options.key = key;
    } else if (location) {
      // Kafka's PEM keystore file: the private key and the certificate chain in one file.
      const pem = readFileSync(location, 'utf8');
      options.key = pem;
      options.cert = pem;
    } else {
      throw new ConfigError(
        'ssl.keystore.location',
        '',
        `listener ${listenerName} speaks TLS but has no ssl.keystore.location or ssl.keystore.key/certificate.chain`,
      );
    }
    options.passphrase = get('ssl.key.password') ?? undefined;
  } else {
    throw new ConfigError(
      'ssl.keystore.type',
      keystoreType,
      'only PEM and PKCS12 keystores are supported (convert JKS with keytool -importkeystore -deststoretype PKCS12)',
    );
  }
  const trustCerts = get('ssl.truststore.certificates');
  const trustLocation = get('ssl.truststore.location');
  const trustType = (get('ssl.truststore.type') ?? 'PEM').toUpperCase();
  if (trustCerts) options.ca = trustCerts;
  else if (trustLocation) {
    if (trustType !== 'PEM') {
      throw new ConfigError('ssl.truststore.type', trustType, 'only PEM truststores are supported');
    }
    options.ca = readFileSync(trustLocation, 'utf8');
  }
  const clientAuth = (get('ssl.client.auth') ?? 'none').toLowerCase();
  if (!['none', 'requested', 'required'].includes(clientAuth)) {
    throw new ConfigError('ssl.client.auth', clientAuth, 'must be one of required, requested, none');
  }
  options.requestCert = clientAuth !== 'none';
  options.rejectUnauthorized = clientAuth === 'required';
  const protocols = (get('ssl.enabled.protocols') ?? 'TLSv1.2,TLSv1.3').split(',').map((s) => s.trim());
  options.minVersion = protocols.includes('TLSv1.2') ? 'TLSv1.2' : 'TLSv1.3';
  options.maxVersion = protocols.includes('TLSv1.3') ? 'TLSv1.3' : 'TLSv1.2';
  const ciphers = get('ssl.cipher.suites');
  if (ciphers) options.ciphers = ciphers.split(',').join(':');
  return options;
}

export function saslConfig(config: BrokerConfig, listenerName: string, image: MetadataImage): SaslListenerConfig {
  const mechanisms = (listenerValue(config, listenerName, 'sasl.enabled.mechanisms') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const unsupported = mechanisms.filter((m) => !SUPPORTED_SASL_MECHANISMS.includes(m));
  if (unsupported.length > 0) {
    throw new ConfigError(
      'sasl.enabled.mechanisms',
      mechanisms.join(','),
      `${unsupported.join(', ')} not supported; use ${SUPPORTED_SASL_MECHANISMS.join(', ')}`,
    );
  }
  const plainUsers = parseJaasPlainUsers(
    listenerValue(config, listenerName, 'plain.sasl.jaas.config') ??
      listenerValue(config, listenerName, 'sasl.jaas.config'),
  );
  const maxReauthMs = Number(listenerValue(config, listenerName, 'connections.max.reauth.ms') ?? 0);
  return {
    mechanisms,
    maxReauthMs,
    createServer(mechanism: string): SaslServer {
      if (mechanism === 'PLAIN') return new PlainServer(plainUsers);
      const algorithm = scramAlgorithmOf(mechanism) as ScramAlgorithm;
      return new ScramServer(mechanism as 'SCRAM-SHA-256' | 'SCRAM-SHA-512', algorithm, (user) =>
        image.scramCredentials.get(mechanism)?.get(user),
      );
    },
  };
}

/** Everything the socket server needs to know about one listener. */
export function listenerSecurity(config: BrokerConfig, listener: Listener, image: MetadataImage): ListenerSecurity {
  const protocol = securityProtocolOf(config, listener.name);
  const usesTls = protocol === 'SSL' || protocol === 'SASL_SSL';
  const usesSasl = protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL';
  return {
    protocol,
    tls: usesTls ? tlsOptions(config, listener.name) : null,
    sasl: usesSasl ? saslConfig(config, listener.name, image) : null,
  };
}

/**
 * The principal of a TLS client certificate: `User:<CN>` of the subject (what Kafka gives with
 * `ssl.principal.mapping.rules=RULE:^CN=(.*?),.*$/$1/,DEFAULT`; Kafka's bare default is the whole
 * distinguished name). ANONYMOUS without a verified certificate.
 */
export function certificatePrincipal(subject: Record<string, string | string[]> | undefined): string {
  const cn = subject?.CN;
  const name = Array.isArray(cn) ? cn[0] : cn;
  return name ? `User:${name}` : 'User:ANONYMOUS';
}

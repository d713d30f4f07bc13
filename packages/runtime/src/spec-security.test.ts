/**
 * The spec builder for clusters with client authentication and TLS (security.ts): listeners and their
 * published ports, the protocol map, the authorizer and super.users, certificates per broker, the
 * bootstrap strings GetBootstrapBrokers returns, and MSK's validation of the settings.
 */
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { brokerCertificateIssuer, createCertificateAuthority } from './certificates.js';
import { buildContainerSpec } from './docker-spec.js';
import { addedBrokerSpec } from './scale.js';
import {
  type ClientAccess,
  clientListeners,
  PLAINTEXT_ACCESS,
  resolveClientAccess,
  SecuritySettingsError,
} from './security.js';
import {
  assignHostPorts,
  buildClusterPlan,
  type ClusterDescription,
  portsPerBroker,
  renderServerProperties,
  STANDARD_AUTHORIZER,
} from './spec.js';

const HOST = { cpus: 2, memoryBytes: 8 * 1024 ** 3 };
const ca = createCertificateAuthority('flotilla-pay CA');
const issuer = brokerCertificateIssuer(ca);

const SCRAM_TLS = resolveClientAccess(
  { sasl: { scram: { enabled: true } } },
  { encryptionInTransit: { clientBroker: 'TLS' } },
);

function desc(access: ClientAccess, extra: Partial<ClusterDescription> = {}): ClusterDescription {
  return {
    clusterId: 'pay',
    brokerCount: 3,
    kafkaVersion: '3.8.x',
    brokerType: 'kafka.m5.large',
    storageGiB: 10,
    security: { access, tls: issuer },
    ...extra,
  };
}

function plan(
  access: ClientAccess,
  addressing: 'loopback' | 'cluster-network',
  extra: Partial<ClusterDescription> = {},
) {
  const listeners = clientListeners(access);
  const per = portsPerBroker(addressing, listeners);
  const ports = Array.from({ length: per * 3 }, (_, i) => 31_000 + i);
  return buildClusterPlan(
    desc(access, extra),
    addressing,
    assignHostPorts(addressing, [1, 2, 3], ports, listeners),
    HOST,
    {
      dataRoot: (id) => `/state/pay-${id}/data`,
    },
  );
}

describe('resolveClientAccess (MSK semantics)', () => {
  it("keeps today's PLAINTEXT cluster when nothing is asked", () => {
    expect(resolveClientAccess(undefined, undefined)).toEqual(PLAINTEXT_ACCESS);
    expect(resolveClientAccess({ unauthenticated: { enabled: true } }, null)).toEqual(PLAINTEXT_ACCESS);
  });

  it('gives SCRAM over TLS only the SASL_SSL listener, the authorizer and TLS between brokers', () => {
    expect(SCRAM_TLS).toEqual({ plaintext: false, tls: null, saslScram: true, inClusterTls: true, authorizer: true });
    // MSK's default clientBroker is TLS once SCRAM is asked for.
    expect(resolveClientAccess({ sasl: { scram: { enabled: true } } }, undefined)).toEqual(SCRAM_TLS);
  });

  it("maps mutual TLS, unauthenticated TLS and TLS_PLAINTEXT to the TLS listener's ssl.client.auth", () => {
    const tls = { encryptionInTransit: { clientBroker: 'TLS', inCluster: false } };
    expect(resolveClientAccess({ tls: { enabled: true } }, tls).tls).toBe('required');
    expect(
      resolveClientAccess({ tls: { certificateAuthorityArnList: ['arn:x'] }, unauthenticated: { enabled: true } }, tls)
        .tls,
    ).toBe('requested');
    expect(resolveClientAccess(undefined, tls)).toEqual({
      plaintext: false,
      tls: 'none',
      saslScram: false,
      inClusterTls: false,
      authorizer: false,
    });
    const both = resolveClientAccess(undefined, { encryptionInTransit: { clientBroker: 'TLS_PLAINTEXT' } });
    expect(both).toMatchObject({ plaintext: true, tls: 'none', inClusterTls: true });
  });

  it('refuses what MSK refuses, naming the member', () => {
    const refused = (a: unknown, e: unknown) => {
      try {
        resolveClientAccess(a as never, e as never);
      } catch (error) {
        expect(error).toBeInstanceOf(SecuritySettingsError);
        return { message: (error as Error).message, field: (error as SecuritySettingsError).field };
      }
      throw new Error('accepted');
    };
    expect(refused({ sasl: { iam: { enabled: true } } }, undefined)).toMatchObject({
      field: 'clientAuthentication',
      message: expect.stringContaining('IAM'),
    });
    expect(
      refused({ sasl: { scram: { enabled: true } } }, { encryptionInTransit: { clientBroker: 'PLAINTEXT' } }),
    ).toMatchObject({ field: 'encryptionInfo', message: expect.stringContaining('SCRAM') });
    expect(refused({ tls: { enabled: true } }, { encryptionInTransit: { clientBroker: 'PLAINTEXT' } }).field).toBe(
      'encryptionInfo',
    );
    expect(refused({ unauthenticated: { enabled: false } }, undefined).field).toBe('clientAuthentication');
    expect(refused(undefined, { encryptionInTransit: { clientBroker: 'QUIC' } }).field).toBe('encryptionInfo');
    expect(
      refused({ sasl: { scram: { enabled: true } } }, { encryptionInTransit: { clientBroker: 'TLS_PLAINTEXT' } }).field,
    ).toBe('encryptionInfo');
  });
});

describe('buildClusterPlan with SASL/SCRAM over TLS', () => {
  it('gives every broker CONTROL_PLANE as primary listener and CLIENT_SASL_SCRAM on its own 127.0.0.1 port (loopback)', () => {
    const p = plan(SCRAM_TLS, 'loopback');
    const [b1] = p.brokers;
    if (!b1) throw new Error('no broker');
    // kafka, metrics, internal, controller, then CLIENT_SASL_SCRAM.
    expect(b1.ports).toEqual({ kafka: 31_000, metrics: 31_001, listeners: { CLIENT_SASL_SCRAM: 31_004 } });
    expect(b1.config.listeners).toBe(
      'INTERNAL://127.0.0.1:31002,CONTROL_PLANE://127.0.0.1:31000,CLIENT_SASL_SCRAM://127.0.0.1:31004,CONTROLLER://127.0.0.1:31003',
    );
    expect(b1.config['advertised.listeners']).toBe(
      'INTERNAL://127.0.0.1:31002,CONTROL_PLANE://127.0.0.1:31000,CLIENT_SASL_SCRAM://127.0.0.1:31004',
    );
    expect(b1.config['listener.security.protocol.map']).toBe(
      'INTERNAL:SSL,CONTROL_PLANE:SASL_PLAINTEXT,CLIENT_SASL_SCRAM:SASL_SSL,CONTROLLER:PLAINTEXT',
    );
    expect(b1.config['listener.name.control_plane.sasl.enabled.mechanisms']).toBe('SCRAM-SHA-512');
    expect(b1.config['listener.name.client_sasl_scram.sasl.enabled.mechanisms']).toBe('SCRAM-SHA-512,SCRAM-SHA-256');
    expect(b1.config['listener.name.internal.ssl.client.auth']).toBe('required');
    expect(b1.config['authorizer.class.name']).toBe(STANDARD_AUTHORIZER);
    expect(b1.config['allow.everyone.if.no.acl.found']).toBe('true');
    expect(b1.config['super.users']).toBe('User:flotilla-admin;User:flotilla-broker');
    // What GetBootstrapBrokers gives: the SASL/SCRAM listeners only; the control plane its own.
    expect(p.clientBootstrap).toEqual({
      bootstrapBrokerStringSaslScram: '127.0.0.1:31004,127.0.0.1:31009,127.0.0.1:31014',
    });
    expect(p.bootstrapServers).toBe('127.0.0.1:31000,127.0.0.1:31005,127.0.0.1:31010');
  });

  it('gives each broker its own certificate from the cluster CA, for its host name, 127.0.0.1 and localhost', () => {
    const p = plan(SCRAM_TLS, 'cluster-network');
    const authority = new X509Certificate(ca.certificate);
    const keys = new Set<string>();
    for (const b of p.brokers) {
      const cert = new X509Certificate(b.config['ssl.keystore.certificate.chain'] as string);
      expect(cert.verify(authority.publicKey)).toBe(true);
      expect(cert.subject).toBe('CN=flotilla-broker');
      expect(cert.checkHost(`flotilla-pay-broker-${b.nodeId}`)).toBeDefined();
      expect(cert.checkHost('localhost')).toBe('localhost');
      expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
      expect(b.config['ssl.truststore.certificates']).toBe(ca.certificate);
      keys.add(b.config['ssl.keystore.key'] as string);
    }
    expect(keys.size).toBe(3);
  });

  it('publishes the client listeners of a container on MSK-like container ports', () => {
    const access = resolveClientAccess(
      { sasl: { scram: { enabled: true } }, tls: { enabled: true }, unauthenticated: { enabled: true } },
      { encryptionInTransit: { clientBroker: 'TLS_PLAINTEXT' } },
    );
    const p = plan(access, 'cluster-network');
    const b = p.brokers[0];
    if (!b) throw new Error('no broker');
    expect(b.containerPorts).toEqual({
      kafka: 9098,
      metrics: 9404,
      listeners: { EXTERNAL: 9092, CLIENT_TLS: 9095, CLIENT_SASL_SCRAM: 9096 },
    });
    expect(b.config['listener.name.client_tls.ssl.client.auth']).toBe('requested');
    const container = buildContainerSpec(b);
    expect(Object.keys(container.ExposedPorts ?? {}).sort()).toEqual([
      '9092/tcp',
      '9095/tcp',
      '9096/tcp',
      '9098/tcp',
      '9404/tcp',
    ]);
    expect(container.HostConfig?.PortBindings?.['9096/tcp']).toEqual([
      { HostIp: '127.0.0.1', HostPort: String(b.ports.listeners?.CLIENT_SASL_SCRAM) },
    ]);
    expect(p.clientBootstrap.bootstrapBrokerString?.split(',')).toHaveLength(3);
    expect(p.clientBootstrap.bootstrapBrokerStringTls?.split(',')).toHaveLength(3);
    expect(p.clientBootstrap.bootstrapBrokerStringSaslScram?.split(',')).toHaveLength(3);
  });

  it('lets the configuration set allow.everyone.if.no.acl.found and add super users, never drop ours', () => {
    const p = plan(SCRAM_TLS, 'loopback', {
      configuration: { 'allow.everyone.if.no.acl.found': 'false', 'super.users': 'User:ops' },
    });
    expect(p.brokers[0]?.config['allow.everyone.if.no.acl.found']).toBe('false');
    expect(p.brokers[0]?.config['super.users']).toBe('User:ops;User:flotilla-admin;User:flotilla-broker');
    expect(() => plan(SCRAM_TLS, 'loopback', { configuration: { 'ssl.keystore.key': 'x' } })).toThrow(/may not set/);
    expect(() =>
      plan(SCRAM_TLS, 'loopback', {
        configuration: { 'listener.name.client_sasl_scram.sasl.enabled.mechanisms': 'PLAIN' },
      }),
    ).toThrow(/may not set/);
  });

  it('refuses to plan TLS listeners without a CA', () => {
    expect(() =>
      buildClusterPlan(
        { ...desc(SCRAM_TLS), security: { access: SCRAM_TLS } },
        'loopback',
        assignHostPorts(
          'loopback',
          [1, 2, 3],
          Array.from({ length: 15 }, (_, i) => i + 1),
          clientListeners(SCRAM_TLS),
        ),
        HOST,
      ),
    ).toThrow(/certificate authority/);
  });

  it('gives a scale-out broker the same listeners and a certificate of its own', () => {
    const p = plan(SCRAM_TLS, 'cluster-network');
    const template = p.brokers[0];
    if (!template) throw new Error('no broker');
    const added = addedBrokerSpec(
      template,
      4,
      'cluster-network',
      { kafka: 41_000, metrics: 41_001, listeners: { CLIENT_SASL_SCRAM: 41_002 } },
      'unused',
      issuer,
    );
    expect(added.config.listeners).toBe(
      'INTERNAL://0.0.0.0:9093,CONTROL_PLANE://0.0.0.0:9098,CLIENT_SASL_SCRAM://0.0.0.0:9096',
    );
    expect(added.config['advertised.listeners']).toBe(
      'INTERNAL://flotilla-pay-broker-4:9093,CONTROL_PLANE://127.0.0.1:41000,CLIENT_SASL_SCRAM://127.0.0.1:41002',
    );
    expect(added.ports).toEqual({ kafka: 41_000, metrics: 41_001, listeners: { CLIENT_SASL_SCRAM: 41_002 } });
    expect(added.config['super.users']).toBe(template.config['super.users']);
    const cert = new X509Certificate(added.config['ssl.keystore.certificate.chain'] as string);
    expect(cert.checkHost('flotilla-pay-broker-4')).toBeDefined();
    expect(added.config['ssl.keystore.key']).not.toBe(template.config['ssl.keystore.key']);
    expect(() =>
      addedBrokerSpec(
        template,
        5,
        'cluster-network',
        { kafka: 1, metrics: 2, listeners: { CLIENT_SASL_SCRAM: 3 } },
        'x',
      ),
    ).toThrow(/certificate/);
  });

  it('renders server.properties that the broker Java Properties parser reads back, PEM lines included', async () => {
    // The broker's own parser (java.util.Properties.load rules); imported by path, the broker package
    // exports only its entry point.
    const brokerProperties = new URL('../../broker/src/config/properties.ts', import.meta.url).href;
    const { parseProperties } = (await import(brokerProperties)) as {
      parseProperties: (text: string) => Map<string, string>;
    };
    const b = plan(SCRAM_TLS, 'loopback').brokers[0];
    if (!b) throw new Error('no broker');
    const text = renderServerProperties(b.config);
    expect(text).not.toContain('-----BEGIN PRIVATE KEY-----\n');
    expect(Object.fromEntries(parseProperties(text))).toEqual(b.config);
  });
});

/**
 * UpdateSecurity's spec builders (security-update.ts): the phases between two settings, and each
 * broker's spec in every phase, from the specs buildClusterPlan makes at create.
 */
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { brokerCertificateIssuer, createCertificateAuthority } from './certificates.js';
import type { Addressing, BrokerSpec } from './driver.js';
import { addedBrokerSpec } from './scale.js';
import { type ClientAccess, clientListeners, isPlaintextOnly, resolveClientAccess } from './security.js';
import {
  brokerCertificateNames,
  layoutOfSpec,
  listenersNeedingPorts,
  securityUpdatePhases,
  specForLayout,
  targetLayout,
} from './security-update.js';
import { assignHostPorts, bootstrapColumns, buildClusterPlan, portsPerBroker, STANDARD_AUTHORIZER } from './spec.js';

const HOST = { cpus: 2, memoryBytes: 8 * 1024 ** 3 };
const ca = createCertificateAuthority('flotilla-pay CA');
const issuer = brokerCertificateIssuer(ca);

const PLAINTEXT = resolveClientAccess(undefined, undefined);
const SCRAM_TLS = resolveClientAccess(
  { sasl: { scram: { enabled: true } } },
  { encryptionInTransit: { clientBroker: 'TLS' } },
);
const TLS_PLAINTEXT_UNAUTH = resolveClientAccess(undefined, {
  encryptionInTransit: { clientBroker: 'TLS_PLAINTEXT', inCluster: false },
});

/** The specs CreateClusterV2 would give 3 brokers with `access`. */
function created(access: ClientAccess, addressing: Addressing): BrokerSpec[] {
  const listeners = isPlaintextOnly(access) ? [] : clientListeners(access);
  const per = portsPerBroker(addressing, listeners);
  const ports = Array.from({ length: per * 3 }, (_, i) => 31_000 + i);
  return [
    ...buildClusterPlan(
      {
        clusterId: 'pay',
        brokerCount: 3,
        kafkaVersion: '3.8.x',
        brokerType: 'kafka.m5.large',
        storageGiB: 10,
        configuration: { 'log.retention.hours': '24' },
        ...(isPlaintextOnly(access) ? {} : { security: { access, tls: issuer } }),
      },
      addressing,
      assignHostPorts(addressing, [1, 2, 3], ports, listeners),
      HOST,
      { dataRoot: (id) => `/data/${id}` },
    ).brokers,
  ];
}

/** Runs every phase over the specs as the worker does: new ports from 40000 on, a certificate each. */
function update(specs: BrokerSpec[], access: ClientAccess, addressing: Addressing) {
  const current = layoutOfSpec(specs[0] as BrokerSpec);
  const target = targetLayout(current, access, current.controlPlane || !isPlaintextOnly(access));
  const phases = securityUpdatePhases(current, target);
  // Each phase's spec is built from the one before, as a roll reads the broker's recorded spec.
  const chained = specs.map((spec, i) => {
    const names = listenersNeedingPorts(
      spec,
      phases.map((p) => p.layout),
      addressing,
    );
    const ports = Object.fromEntries(names.map((n, j) => [n, 40_000 + i * 10 + j]));
    const certificate = issuer.issue(spec.nodeId, brokerCertificateNames(spec, addressing));
    const out: BrokerSpec[] = [];
    let at = spec;
    for (const p of phases) {
      at = specForLayout(at, p.layout, { addressing, ports, certificate, caCertificate: ca.certificate });
      out.push(at);
    }
    return out;
  });
  return { phases, chained };
}

describe('UpdateSecurity phases', () => {
  it('PLAINTEXT -> SASL/SCRAM over TLS: open, switch to INTERNAL_TLS, close', () => {
    const current = layoutOfSpec(created(PLAINTEXT, 'loopback')[0] as BrokerSpec);
    expect(current).toEqual({
      controlPlane: false,
      plaintext: true,
      tls: null,
      saslScram: false,
      internal: { INTERNAL: 'PLAINTEXT' },
      interBroker: 'INTERNAL',
      authorizer: false,
    });
    const target = targetLayout(current, SCRAM_TLS, true);
    const phases = securityUpdatePhases(current, target);
    expect(phases.map((p) => p.name)).toEqual(['open', 'switch', 'close']);
    const [open, change, close] = phases.map((p) => p.layout);
    expect(open).toMatchObject({
      controlPlane: true,
      plaintext: true,
      saslScram: true,
      internal: { INTERNAL: 'PLAINTEXT', INTERNAL_TLS: 'SSL' },
      interBroker: 'INTERNAL',
      authorizer: false,
    });
    expect(change).toMatchObject({ interBroker: 'INTERNAL_TLS', authorizer: false, plaintext: true });
    expect(close).toEqual({
      controlPlane: true,
      plaintext: false,
      tls: null,
      saslScram: true,
      internal: { INTERNAL_TLS: 'SSL' },
      interBroker: 'INTERNAL_TLS',
      authorizer: true,
    });
  });

  it('a change that keeps the inter-broker and control plane listeners is one roll; no change is none', () => {
    const secured = layoutOfSpec(created(SCRAM_TLS, 'loopback')[0] as BrokerSpec);
    expect(secured.interBroker).toBe('INTERNAL');
    const both = resolveClientAccess(
      { sasl: { scram: { enabled: true } }, unauthenticated: { enabled: true } },
      { encryptionInTransit: { clientBroker: 'TLS_PLAINTEXT' } },
    );
    const phases = securityUpdatePhases(secured, targetLayout(secured, both, true));
    expect(phases.map((p) => p.name)).toEqual(['close']);
    expect(phases[0]?.layout).toMatchObject({ plaintext: true, tls: 'none', saslScram: true, interBroker: 'INTERNAL' });
    expect(securityUpdatePhases(secured, targetLayout(secured, SCRAM_TLS, true))).toEqual([]);
  });

  it('TLS between brokers is never turned off', () => {
    const secured = layoutOfSpec(created(SCRAM_TLS, 'loopback')[0] as BrokerSpec);
    expect(() => targetLayout(secured, PLAINTEXT, true)).toThrow(/cannot be turned off/);
  });

  it('PLAINTEXT -> TLS_PLAINTEXT without TLS between brokers: the control plane listener opens in one roll', () => {
    const current = layoutOfSpec(created(PLAINTEXT, 'loopback')[0] as BrokerSpec);
    const phases = securityUpdatePhases(current, targetLayout(current, TLS_PLAINTEXT_UNAUTH, true));
    // EXTERNAL stays, so the control plane reaches the brokers on it until they all have CONTROL_PLANE.
    expect(phases.map((p) => p.name)).toEqual(['close']);
    expect(phases[0]?.layout).toMatchObject({ controlPlane: true, plaintext: true, tls: 'none', authorizer: false });
  });
});

describe('UpdateSecurity specs', () => {
  it.each(['loopback', 'cluster-network'] as const)(
    'PLAINTEXT -> SCRAM over TLS on %s: EXTERNAL keeps its port until it closes, the end is a secured broker',
    (addressing) => {
      const specs = created(PLAINTEXT, addressing);
      const { phases, chained } = update(specs, SCRAM_TLS, addressing);
      const before = specs[1] as BrokerSpec;
      const [open, change, close] = chained[1] as BrokerSpec[];
      expect(phases).toHaveLength(3);

      // open: CONTROL_PLANE is the primary listener on a new port; EXTERNAL keeps the old one.
      expect(open?.ports.kafka).not.toBe(before.ports.kafka);
      expect(open?.ports.listeners?.EXTERNAL).toBe(before.ports.kafka);
      expect(open?.config['inter.broker.listener.name']).toBe('INTERNAL');
      expect(open?.config['listener.security.protocol.map']).toBe(
        'INTERNAL:PLAINTEXT,INTERNAL_TLS:SSL,CONTROL_PLANE:SASL_PLAINTEXT,EXTERNAL:PLAINTEXT,CLIENT_SASL_SCRAM:SASL_SSL,CONTROLLER:PLAINTEXT',
      );
      expect(open?.config['authorizer.class.name']).toBeUndefined();
      expect(open?.config['super.users']).toBe('User:flotilla-admin;User:flotilla-broker');
      expect(open?.config['listener.name.internal_tls.ssl.client.auth']).toBe('required');
      expect(open?.config['listener.name.control_plane.sasl.enabled.mechanisms']).toBe('SCRAM-SHA-512');
      // The old listeners keep their addresses.
      const internalBefore = /INTERNAL:\/\/([^,]+)/.exec(before.config['advertised.listeners'] ?? '')?.[1];
      expect(open?.config['advertised.listeners']).toContain(`INTERNAL://${internalBefore}`);
      expect(open?.config['advertised.listeners']).toContain(`EXTERNAL://127.0.0.1:${before.ports.kafka}`);
      expect(open?.config.listeners).toMatch(/,CONTROLLER:\/\/[^,]+$/);
      if (addressing === 'cluster-network') {
        expect(open?.containerPorts).toEqual({
          kafka: 9098,
          metrics: 9404,
          listeners: { EXTERNAL: 9092, CLIENT_SASL_SCRAM: 9096 },
        });
        expect(open?.config['advertised.listeners']).toContain('INTERNAL_TLS://flotilla-pay-broker-2:9097');
      }

      // switch: brokers talk TLS to one another; INTERNAL stays open for those not switched yet.
      expect(change?.config['inter.broker.listener.name']).toBe('INTERNAL_TLS');
      expect(change?.config.listeners).toContain('INTERNAL://');
      expect(change?.config['authorizer.class.name']).toBeUndefined();

      // close: the new settings alone, the authorizer on.
      expect(close?.config['listener.security.protocol.map']).toBe(
        'INTERNAL_TLS:SSL,CONTROL_PLANE:SASL_PLAINTEXT,CLIENT_SASL_SCRAM:SASL_SSL,CONTROLLER:PLAINTEXT',
      );
      expect(close?.config.listeners).not.toMatch(/(^|,)(INTERNAL|EXTERNAL):\/\//);
      expect(close?.config['authorizer.class.name']).toBe(STANDARD_AUTHORIZER);
      expect(close?.config['allow.everyone.if.no.acl.found']).toBe('true');
      expect(close?.config['listener.name.client_sasl_scram.sasl.enabled.mechanisms']).toBe(
        'SCRAM-SHA-512,SCRAM-SHA-256',
      );
      expect(close?.ports.listeners).toEqual({ CLIENT_SASL_SCRAM: open?.ports.listeners?.CLIENT_SASL_SCRAM });
      expect(close?.ports.kafka).toBe(open?.ports.kafka);
      // What stays: node id, data, configuration, metrics port, certificate.
      for (const s of [open, change, close]) {
        expect(s?.nodeId).toBe(2);
        expect(s?.dataDir).toBe(before.dataDir);
        expect(s?.config['log.dirs']).toBe(before.config['log.dirs']);
        expect(s?.config['log.retention.hours']).toBe('24');
        expect(s?.config['node.id']).toBe('2');
        expect(s?.config['controller.quorum.voters']).toBe(before.config['controller.quorum.voters']);
        expect(s?.ports.metrics).toBe(before.ports.metrics);
        expect(s?.config['ssl.keystore.key']).toBe(open?.config['ssl.keystore.key']);
      }
      const leaf = new X509Certificate(close?.config['ssl.keystore.certificate.chain'] as string);
      expect(leaf.subject).toContain('CN=flotilla-broker');
      expect(leaf.checkIssued(new X509Certificate(ca.certificate))).toBe(true);
      expect(leaf.subjectAltName).toContain(addressing === 'loopback' ? 'DNS:127.0.0.1' : 'DNS:flotilla-pay-broker-2');

      // GetBootstrapBrokers after each phase, and the control plane's addresses.
      const columns = (i: number) => bootstrapColumns(chained.map((c) => c[i] as BrokerSpec));
      expect(bootstrapColumns(specs).controlPlaneBootstrap).toBeNull();
      expect(columns(0).bootstrapBrokerString).toBe(bootstrapColumns(specs).bootstrapBrokerString);
      expect(columns(0).controlPlaneBootstrap?.split(',')).toHaveLength(3);
      expect(columns(2)).toMatchObject({ bootstrapBrokerString: null, bootstrapBrokerStringTls: null });
      expect(columns(2).bootstrapBrokerStringSaslScram?.split(',')).toHaveLength(3);
      expect(columns(2).controlPlaneBootstrap).toBe(columns(0).controlPlaneBootstrap);
    },
  );

  it('building a phase twice, or again from its own result, gives the same spec (a resumed roll)', () => {
    const specs = created(PLAINTEXT, 'loopback');
    const spec = specs[0] as BrokerSpec;
    const { phases } = update(specs, SCRAM_TLS, 'loopback');
    const certificate = issuer.issue(1, brokerCertificateNames(spec, 'loopback'));
    const ports = Object.fromEntries(
      listenersNeedingPorts(
        spec,
        phases.map((p) => p.layout),
        'loopback',
      ).map((n, i) => [n, 45_000 + i]),
    );
    const options = { addressing: 'loopback' as const, ports, certificate, caCertificate: ca.certificate };
    let at = spec;
    for (const p of phases) {
      const next = specForLayout(at, p.layout, options);
      expect(specForLayout(at, p.layout, options)).toEqual(next);
      expect(specForLayout(next, p.layout, options)).toEqual(next);
      at = next;
    }
    expect(layoutOfSpec(at)).toEqual(phases.at(-1)?.layout);
  });

  it('the end of a roll to SCRAM over TLS is what CreateClusterV2 gives, but for the inter-broker name', () => {
    const { chained } = update(created(PLAINTEXT, 'cluster-network'), SCRAM_TLS, 'cluster-network');
    const fresh = created(SCRAM_TLS, 'cluster-network')[1] as BrokerSpec;
    const upgraded = chained[1]?.at(-1) as BrokerSpec;
    const keys = (s: BrokerSpec) =>
      Object.keys(s.config)
        .filter((k) => !k.startsWith('listener.name.internal'))
        .sort();
    expect(keys(upgraded)).toEqual(keys(fresh));
    for (const key of ['super.users', 'authorizer.class.name', 'allow.everyone.if.no.acl.found', 'ssl.keystore.type']) {
      expect(upgraded.config[key]).toBe(fresh.config[key]);
    }
    expect(layoutOfSpec(upgraded)).toEqual({
      ...layoutOfSpec(fresh),
      internal: { INTERNAL_TLS: 'SSL' },
      interBroker: 'INTERNAL_TLS',
    });
  });

  it('a broker added later to an upgraded cluster uses its inter-broker listener', () => {
    for (const addressing of ['loopback', 'cluster-network'] as const) {
      const { chained } = update(created(PLAINTEXT, addressing), SCRAM_TLS, addressing);
      const template = chained[0]?.at(-1) as BrokerSpec;
      const added = addedBrokerSpec(
        template,
        4,
        addressing,
        {
          kafka: 60_001,
          metrics: 60_002,
          internal: 60_003,
          controller: 60_004,
          listeners: { CLIENT_SASL_SCRAM: 60_005 },
        },
        '/data/4',
        issuer,
      );
      expect(added.config['inter.broker.listener.name']).toBe('INTERNAL_TLS');
      expect(added.config.listeners).toMatch(/^INTERNAL_TLS:\/\//);
      expect(added.config['advertised.listeners']).toContain(
        addressing === 'loopback' ? 'INTERNAL_TLS://127.0.0.1:60003' : 'INTERNAL_TLS://flotilla-pay-broker-4:9097',
      );
      expect(layoutOfSpec(added)).toEqual(layoutOfSpec(template));
    }
  });

  it('refuses a layout without a primary listener and a TLS layout without a certificate', () => {
    const spec = created(PLAINTEXT, 'loopback')[0] as BrokerSpec;
    const current = layoutOfSpec(spec);
    expect(() => targetLayout(current, SCRAM_TLS, false)).toThrow(/control plane listener/);
    const target = targetLayout(current, SCRAM_TLS, true);
    const ports = Object.fromEntries(listenersNeedingPorts(spec, [target], 'loopback').map((n, i) => [n, 47_000 + i]));
    expect(() => specForLayout(spec, target, { addressing: 'loopback', ports })).toThrow(/certificate/);
    expect(() => specForLayout(spec, target, { addressing: 'loopback', ports: {} })).toThrow(/no port/);
  });
});

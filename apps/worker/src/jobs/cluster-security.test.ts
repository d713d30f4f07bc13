/**
 * The worker's handling of a secured cluster's secrets, without brokers: what the catalog records of a
 * plan holds no broker key in the clear, an endpoint prints no password, the control plane's seed
 * credential round-trips through the broker's own `--add-scram` parser, and a worker without the master
 * key refuses instead of guessing.
 */
import { inspect } from 'node:util';
import { SecretBox } from '@flotilla/db';
import {
  assignHostPorts,
  brokerCertificateIssuer,
  buildClusterPlan,
  clientListeners,
  createCertificateAuthority,
  portsPerBroker,
  resolveClientAccess,
} from '@flotilla/runtime';
import { UnrecoverableError } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { clusterEndpoint } from '../kafka/cluster-endpoint.js';
import { controlPlaneScram, openSpecSecrets, sealSpecSecrets } from './cluster-security.js';

const box = new SecretBox(Buffer.alloc(32, 7));
const ca = createCertificateAuthority('test CA');
const access = resolveClientAccess(
  { sasl: { scram: { enabled: true } } },
  { encryptionInTransit: { clientBroker: 'TLS' } },
);
const listeners = clientListeners(access);
const plan = buildClusterPlan(
  {
    clusterId: 'sealed',
    brokerCount: 1,
    kafkaVersion: '3.8.x',
    brokerType: 'kafka.t3.small',
    storageGiB: 1,
    security: { access, tls: brokerCertificateIssuer(ca) },
  },
  'loopback',
  assignHostPorts(
    'loopback',
    [1],
    Array.from({ length: portsPerBroker('loopback', listeners) }, (_, i) => 40_000 + i),
    listeners,
  ),
  { cpus: 2, memoryBytes: 4 * 1024 ** 3 },
);
const spec = plan.brokers[0];
if (!spec) throw new Error('no broker');

describe('secured cluster secrets in the worker', () => {
  it('seals broker keys in a recorded plan and opens them back', () => {
    const key = spec.config['ssl.keystore.key'] as string;
    expect(key).toContain('PRIVATE KEY');
    const recorded = JSON.stringify(sealSpecSecrets(spec, box));
    expect(recorded).not.toContain('PRIVATE KEY');
    expect(recorded).not.toContain(key.split('\n')[1]);
    expect(openSpecSecrets(JSON.parse(recorded), box)).toEqual(spec);
    expect(() => sealSpecSecrets(spec, undefined)).toThrow(UnrecoverableError);
  });

  it('builds the control plane endpoint without showing its password', () => {
    const password = 'Zm9vYmFyYmF6cXV4LXNlY3JldA';
    const row = {
      name: 'sealed',
      bootstrapBrokerString: null,
      controlPlaneBootstrap: '127.0.0.1:40000',
      controlPlanePasswordSealed: new Uint8Array(box.seal(password)),
    };
    const endpoint = clusterEndpoint(row, box);
    expect(endpoint?.bootstrap).toEqual(['127.0.0.1:40000']);
    expect(endpoint?.sasl?.mechanism).toBe('SCRAM-SHA-512');
    expect(inspect(endpoint, { depth: 10 })).not.toContain(password);
    expect(JSON.stringify(endpoint)).not.toContain(password);
    expect(() => clusterEndpoint(row, undefined)).toThrow(/no master key/);
    // A PLAINTEXT cluster needs no key at all.
    expect(
      clusterEndpoint({ ...row, controlPlaneBootstrap: null, bootstrapBrokerString: '127.0.0.1:1' }, undefined),
    ).toEqual({
      bootstrap: ['127.0.0.1:1'],
    });
  });

  it('seeds the control plane user in the form the broker format command parses', async () => {
    const password = box.seal('x').toString('base64url'); // base64url, like the API's passwords
    const columns = {
      name: 'sealed',
      clientAuthentication: null,
      encryptionInfo: null,
      caCertificate: null,
      caPrivateKeySealed: null,
      controlPlanePasswordSealed: new Uint8Array(box.seal(password)),
    };
    const [seed] = controlPlaneScram(columns, box);
    // The broker's own parser (kafka-storage format --add-scram), imported by path: the broker
    // package exports only its entry point.
    const credentials = new URL('../../../../packages/broker/src/security/credentials.ts', import.meta.url).href;
    const { parseAddScram } = (await import(credentials)) as {
      parseAddScram: (arg: string, clusterId?: string) => { name: string; mechanism: number };
    };
    expect(parseAddScram(seed as string, 'sealed')).toMatchObject({ name: 'flotilla-admin' });
    expect(controlPlaneScram({ ...columns, controlPlanePasswordSealed: null }, box)).toEqual([]);
  });
});

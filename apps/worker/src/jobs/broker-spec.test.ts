/**
 * Broker.spec on real Postgres (a scratch database with every migration) and the ProcessDriver's own
 * record, without starting brokers: a secured broker's spec goes into the catalog with its private key
 * sealed and comes back equal; the runtime's spec is the fallback only for a row without one; specs
 * are compared as values, whatever key order jsonb gave them back in.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Catalog, clusters, createCatalog, migrate, SecretBox } from '@flotilla/db';
import { dropDatabase, scratchDatabaseUrl } from '@flotilla/db/testing';
import {
  assignHostPorts,
  brokerCertificateIssuer,
  buildClusterPlan,
  clientListeners,
  createCertificateAuthority,
  ProcessDriver,
  portsPerBroker,
  resolveClientAccess,
} from '@flotilla/runtime';
import { UnrecoverableError } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentBrokerSpec, recordBrokerSpec, recordedBrokerSpec, sameSpec } from './broker-spec.js';

const databaseUrl = scratchDatabaseUrl('flotilla_broker_spec');
const stateDir = mkdtempSync(join(tmpdir(), 'flotilla-broker-spec-'));
const box = new SecretBox(Buffer.alloc(32, 9));
const driver = new ProcessDriver({ stateDir });
const clusterId = randomUUID();
let catalog: Catalog;

const access = resolveClientAccess(
  { sasl: { scram: { enabled: true } } },
  { encryptionInTransit: { clientBroker: 'TLS' } },
);
const listeners = clientListeners(access);
const plan = buildClusterPlan(
  {
    clusterId,
    brokerCount: 2,
    kafkaVersion: '3.8.x',
    brokerType: 'kafka.t3.small',
    storageGiB: 1,
    security: { access, tls: brokerCertificateIssuer(createCertificateAuthority('broker-spec test CA')) },
  },
  'loopback',
  assignHostPorts(
    'loopback',
    [1, 2],
    Array.from({ length: 2 * portsPerBroker('loopback', listeners) }, (_, i) => 41_000 + i),
    listeners,
  ),
  { cpus: 2, memoryBytes: 4 * 1024 ** 3 },
  { dataRoot: (nodeId) => driver.dataPath({ clusterId, nodeId }) },
);
const [first, second] = plan.brokers;
if (!first || !second) throw new Error('no brokers planned');

beforeAll(async () => {
  await migrate({ url: databaseUrl });
  catalog = createCatalog({ url: databaseUrl });
  await clusters.createCluster(catalog, {
    id: clusterId,
    arn: `arn:aws:kafka:us-east-1:000000000000:cluster/broker-spec/${clusterId}-1`,
    name: 'broker-spec',
    currentVersion: 'K1',
    kafkaVersion: '3.8.x',
    numberOfBrokerNodes: 2,
    brokerNodeGroupInfo: { instanceType: 'kafka.t3.small', clientSubnets: ['a'] },
    instanceType: 'kafka.t3.small',
    volumeSizeGiB: 1,
    runtime: 'process',
  });
});

afterAll(async () => {
  await catalog?.$disconnect();
  await dropDatabase(databaseUrl);
  await driver.deleteCluster(clusterId);
  rmSync(stateDir, { recursive: true, force: true });
});

describe('Broker.spec', () => {
  it('holds a secured broker spec with its private key sealed, and gives it back equal', async () => {
    const key = first.config['ssl.keystore.key'] as string;
    expect(key).toContain('PRIVATE KEY');
    await recordBrokerSpec(catalog, first, box, { state: 'STARTING', port: first.ports.kafka });
    const row = await catalog.broker.findUniqueOrThrow({
      where: { clusterId_nodeId: { clusterId, nodeId: first.nodeId } },
    });
    expect(row.state).toBe('STARTING');
    expect(row.port).toBe(first.ports.kafka);
    const stored = JSON.stringify(row.spec);
    expect(stored).not.toContain('PRIVATE KEY');
    expect(stored).not.toContain(key.split('\n')[1]);
    expect((row.spec as { config: Record<string, string> }).config['ssl.keystore.key']).toMatch(/^sealed:/);

    const read = await recordedBrokerSpec(catalog, first, box);
    expect(read).toEqual(first);
    // jsonb keeps keys in its own order: the same spec, serialised differently.
    expect(JSON.stringify(read)).not.toBe(JSON.stringify(first));
    expect(read && sameSpec(read, first)).toBe(true);
    expect(read && sameSpec(read, { ...first, config: { ...first.config, 'num.io.threads': '6' } })).toBe(false);
    // Without the master key nothing is written in the clear and nothing is opened.
    await expect(recordBrokerSpec(catalog, first, undefined)).rejects.toBeInstanceOf(UnrecoverableError);
    await expect(recordedBrokerSpec(catalog, first, undefined)).rejects.toBeInstanceOf(UnrecoverableError);
  });

  it("prefers the catalog's spec and falls back to the runtime's only for a row without one", async () => {
    // Broker 2: a row from before Broker.spec, its container/process still on the runtime.
    await clusters.upsertBroker(catalog, clusterId, second.nodeId, { state: 'RUNNING' });
    expect(await recordedBrokerSpec(catalog, second, box)).toBeNull();
    expect(await currentBrokerSpec({ catalog, driver, box }, second)).toBeNull();
    await driver.createBroker(second);
    expect(await currentBrokerSpec({ catalog, driver, box }, second)).toEqual(second);

    // Broker 1: the runtime still holds the spec it was made from, the catalog a later one.
    await driver.createBroker(first);
    const changed = { ...first, config: { ...first.config, 'num.io.threads': '6' } };
    await recordBrokerSpec(catalog, changed, box);
    expect(await currentBrokerSpec({ catalog, driver, box }, first)).toEqual(changed);
    // Removed from the runtime, the broker is still known.
    await driver.removeBroker(first);
    expect(await driver.brokerSpec(first)).toBeNull();
    expect(await currentBrokerSpec({ catalog, driver, box }, first)).toEqual(changed);
  });
});

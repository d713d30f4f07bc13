/**
 * Healing rebuilds a broker as it is now, from its spec in the catalog (Broker.spec; issue 7), on real
 * things: the API (Postgres, Redis), the operations worker and its heal monitor on the ProcessDriver
 * (real broker processes), driven through @aws-sdk/client-kafka. A broker "removed" here is removed
 * through the driver (its process and spec.json gone, its data directory kept), the way a removed
 * Docker container takes its spec label with it and leaves its volume:
 *   - a broker added by UpdateBrokerCount 3 -> 4 (not in the create plan) comes back with the same node
 *     id, ports and data directory, its partitions' logs still there, the cluster ACTIVE with every ISR
 *     complete;
 *   - after UpdateClusterConfiguration with a read-only key (rolling restart; the worker stopped in the
 *     middle and the broker it was on removed meanwhile, so the resumed roll has to make it from the
 *     catalog), a removed broker comes back with that key, asked with DescribeConfigs on that broker.
 */
import { readdirSync } from 'node:fs';
import {
  CreateConfigurationCommand,
  DescribeClusterOperationV2Command,
  DescribeClusterV2Command,
  type KafkaClient,
  UpdateBrokerCountCommand,
  UpdateClusterConfigurationCommand,
} from '@aws-sdk/client-kafka';
import type { BrokerSpec, ProcessDriver } from '@flotilla/runtime';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import { activeCluster, type ControlPlane, createReplicatedTopic, kcat, until, useControlPlane } from './harness.js';

// The operations worker and the heal monitor (checking every second) run throughout.
const plane = useControlPlane({ name: 'heal_spec', healIntervalMs: 1_000 });
let msk: KafkaClient;
let driver: ProcessDriver;
let workerCatalog: ControlPlane['catalog'];
beforeAll(() => {
  msk = plane().msk;
  driver = plane().driver as ProcessDriver;
  workerCatalog = plane().catalog;
});

describe('healing rebuilds a removed broker from its spec in the catalog (ProcessDriver)', () => {
  let clusterArn: string;
  let clusterId: string;
  let bootstrap: string;
  let kafka: Kafka;
  const produced = 300;

  const describeCluster = async () =>
    (await msk.send(new DescribeClusterV2Command({ ClusterArn: clusterArn }))).ClusterInfo;

  /** Waits for the operation to end; fails with its error when it failed. */
  async function finished(operationArn: string | undefined, label: string): Promise<void> {
    await until(
      `${label} to finish`,
      async () => {
        const d = await msk.send(new DescribeClusterOperationV2Command({ ClusterOperationArn: operationArn }));
        const state = d.ClusterOperationInfo?.OperationState;
        if (state === 'UPDATE_FAILED')
          throw new Error(`${label} failed: ${d.ClusterOperationInfo?.ErrorInfo?.ErrorString}`);
        return state === 'UPDATE_COMPLETE' ? true : undefined;
      },
      300_000,
    );
    expect((await describeCluster())?.State).toBe('ACTIVE');
  }

  /** The spec the catalog holds for a broker (a PLAINTEXT cluster: nothing sealed in it). */
  async function catalogSpec(nodeId: number): Promise<BrokerSpec | null> {
    const row = await workerCatalog.broker.findUnique({ where: { clusterId_nodeId: { clusterId, nodeId } } });
    return (row?.spec ?? null) as unknown as BrokerSpec | null;
  }

  /** Removes the broker's process and its runtime record, keeps its data; waits for the heal to end. */
  async function removeAndHeal(nodeId: number): Promise<void> {
    await driver.removeBroker({ clusterId, nodeId }, { removeVolume: false });
    expect(await driver.brokerSpec({ clusterId, nodeId })).toBeNull();
    expect((await driver.inspectBroker({ clusterId, nodeId })).state).toBe('missing');
    await until(
      'HEALING',
      async () => {
        const info = await describeCluster();
        return info?.State === 'HEALING' ? info : undefined;
      },
      60_000,
    );
    await until(
      'ACTIVE again',
      async () => ((await describeCluster())?.State === 'ACTIVE' ? true : undefined),
      180_000,
    );
  }

  /** Every partition of the cluster has its full replica set in sync and a leader. */
  async function expectCompleteIsrs(brokers: number[]): Promise<void> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      expect(cluster.brokers.map((b) => b.nodeId).sort()).toEqual(brokers);
      const metadata = await admin.fetchTopicMetadata();
      const partitions = metadata.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, ...p })));
      expect(partitions.length).toBeGreaterThan(0);
      for (const p of partitions) {
        expect(p.leader, `${p.topic}-${p.partitionId} leader`).toBeGreaterThanOrEqual(0);
        expect([...p.isr].sort(), `${p.topic}-${p.partitionId} ISR`).toEqual([...p.replicas].sort());
      }
    } finally {
      await admin.disconnect();
    }
  }

  /** Values of `topic` read from the beginning (kcat, no group). */
  async function readAll(topic: string): Promise<string[]> {
    const out = await kcat(['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%s\\n']);
    return out.split('\n').filter((l) => l.length > 0);
  }

  it('creates a 3-broker cluster whose brokers have their specs in the catalog', async () => {
    ({ clusterArn, clusterId, bootstrap } = await activeCluster(msk, 'heal-spec'));
    kafka = new Kafka({ clientId: 'heal-spec', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING });
    for (const nodeId of [1, 2, 3]) {
      // The catalog's copy is the runtime's spec (jsonb orders keys its own way: compared as values).
      expect(await catalogSpec(nodeId)).toEqual(await driver.brokerSpec({ clusterId, nodeId }));
    }
    await createReplicatedTopic(bootstrap, 'events');
    const values = Array.from({ length: produced }, (_, i) => `v-${i}`);
    await kcat(['-b', bootstrap, '-P', '-t', 'events', '-X', 'acks=all'], `${values.join('\n')}\n`);
    expect((await readAll('events')).length).toBe(produced);
  }, 180_000);

  it('a broker added by scale-out and then removed comes back with the same node id, ports and data', async () => {
    const op = await msk.send(
      new UpdateBrokerCountCommand({
        ClusterArn: clusterArn,
        CurrentVersion: (await describeCluster())?.CurrentVersion,
        TargetNumberOfBrokerNodes: 4,
      }),
    );
    await finished(op.ClusterOperationArn, 'scale-out');
    const before = await driver.brokerSpec({ clusterId, nodeId: 4 });
    expect(before).not.toBeNull();
    expect(await catalogSpec(4)).toEqual(before);
    const dataDir = driver.dataPath({ clusterId, nodeId: 4 });
    const logsBefore = readdirSync(dataDir, { recursive: true }).filter((f) => String(f).includes('events-'));
    expect(logsBefore.length, 'partitions moved onto broker 4 by the rebalance').toBeGreaterThan(0);

    await removeAndHeal(4);

    const after = await driver.brokerSpec({ clusterId, nodeId: 4 });
    expect(after).toEqual(before);
    expect(after?.nodeId).toBe(4);
    expect(after?.dataDir).toBe(before?.dataDir);
    expect(after?.config['log.dirs']).toBe(before?.config['log.dirs']);
    expect(after?.ports).toEqual(before?.ports);
    expect((await driver.inspectBroker({ clusterId, nodeId: 4 })).state).toBe('running');
    // Its log came back with it: every partition directory it had is still there.
    const logsAfter = readdirSync(dataDir, { recursive: true }).filter((f) => String(f).includes('events-'));
    expect(logsAfter).toEqual(expect.arrayContaining(logsBefore));
    await expectCompleteIsrs([1, 2, 3, 4]);
    expect((await readAll('events')).length).toBe(produced);
  }, 300_000);

  it('a roll with a read-only key resumes after the worker stops and its broker is removed; a broker removed later comes back with the key', async () => {
    const configuration = await msk.send(
      new CreateConfigurationCommand({
        Name: 'heal-spec-config',
        ServerProperties: new TextEncoder().encode('num.io.threads=6\n'),
      }),
    );
    const op = await msk.send(
      new UpdateClusterConfigurationCommand({
        ClusterArn: clusterArn,
        CurrentVersion: (await describeCluster())?.CurrentVersion,
        ConfigurationInfo: { Arn: configuration.Arn, Revision: 1 },
      }),
    );
    const arn = op.ClusterOperationArn as string;
    // Stop the worker while the second broker of the roll is being restarted (before it waits for it
    // to be back in sync: the stopped job's step then ends FAILED at its next check, not COMPLETE).
    const second = await until(
      'the second broker of the roll restarting',
      async () => {
        const steps = await workerCatalog.operationStep.findMany({
          where: { operation: { arn }, name: { startsWith: 'roll-broker-' } },
          orderBy: { index: 'asc' },
        });
        const detail = steps[1]?.detail as { phase?: string; waiting?: string } | null | undefined;
        return detail?.phase === 'restarting' && detail.waiting === undefined ? steps[1] : undefined;
      },
      300_000,
    );
    await plane().stopWorker(0);
    const stopped = await until(
      'the stopped job to give up its step',
      async () => {
        const step = await workerCatalog.operationStep.findUniqueOrThrow({
          where: { operationId_name: { operationId: second.operationId, name: second.name } },
        });
        return step.status === 'IN_PROGRESS' ? undefined : step;
      },
      120_000,
    );
    expect(stopped.status).toBe('FAILED');
    // As if the worker had died between removing the old broker and making the new one.
    const nodeId = Number(second.name.replace('roll-broker-', ''));
    await driver.removeBroker({ clusterId, nodeId }, { removeVolume: false });
    expect(await driver.brokerSpec({ clusterId, nodeId })).toBeNull();
    await plane().startWorker();
    await finished(arn, 'update-configuration resumed');

    const classify = await workerCatalog.operationStep.findFirst({ where: { name: 'classify', operation: { arn } } });
    expect(classify?.detail).toEqual({ dynamic: {}, readOnly: { 'num.io.threads': '6' } });
    const steps = await workerCatalog.operationStep.findMany({
      where: { operation: { arn }, name: { startsWith: 'roll-broker-' } },
    });
    expect(steps.map((s) => s.status)).toEqual(['COMPLETE', 'COMPLETE', 'COMPLETE', 'COMPLETE']);
    for (const id of [1, 2, 3, 4]) {
      expect((await catalogSpec(id))?.config['num.io.threads'], `broker ${id} in the catalog`).toBe('6');
      expect((await driver.brokerSpec({ clusterId, nodeId: id }))?.config['num.io.threads']).toBe('6');
    }

    // A broker removed after the roll is rebuilt with the key (not from the create plan, which has not).
    const removed = nodeId === 2 ? 3 : 2;
    await removeAndHeal(removed);
    const admin = kafka.admin();
    await admin.connect();
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.BROKER, name: String(removed), configNames: ['num.io.threads'] }],
    });
    await admin.disconnect();
    const entry = described.resources[0]?.configEntries.find((e) => e.configName === 'num.io.threads');
    expect(entry?.configValue).toBe('6');
    expect(entry?.readOnly).toBe(true);
    await expectCompleteIsrs([1, 2, 3, 4]);
    expect((await readAll('events')).length).toBe(produced);
  }, 600_000);
});

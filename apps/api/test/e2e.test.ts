/**
 * End to end on real things: the API (Postgres, Redis), the operations worker with a real runtime
 * driver, driven only through @aws-sdk/client-kafka; kafkajs then produces and consumes through the
 * bootstrap brokers the API returns, and the delete removes everything the runtime made. Runs once on
 * the ProcessDriver (broker processes from packages/broker/dist/main.js) and once on the DockerDriver
 * (containers of the flotilla/broker image, `make image`) where a Docker engine answers.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateClusterV2Command,
  CreateConfigurationCommand,
  DeleteClusterCommand,
  DescribeClusterOperationV2Command,
  DescribeClusterV2Command,
  GetBootstrapBrokersCommand,
  ListClusterOperationsV2Command,
  ListClustersV2Command,
  ListNodesCommand,
} from '@aws-sdk/client-kafka';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { dockerReadiness, until, useControlPlane, waitActive } from './harness.js';

const BROKERS = Number(process.env.FLOTILLA_E2E_BROKERS ?? 3);

function clusterLifecycle(kind: 'process' | 'docker'): void {
  const plane = useControlPlane({ name: `e2e_${kind}`, runtime: kind });

  describe(`a ${BROKERS}-broker cluster through the MSK API, on the ${kind} driver`, () => {
    let clusterArn: string;
    let bootstrap: string;

    it('CreateClusterV2 goes ACTIVE with every step recorded', async () => {
      // A configuration (MSK's server.properties) the brokers must start with.
      const configuration = await plane().msk.send(
        new CreateConfigurationCommand({
          Name: `e2e-${kind}-config`,
          ServerProperties: new TextEncoder().encode('log.retention.hours=72\nnum.partitions=2\n'),
        }),
      );
      const started = Date.now();
      const created = await plane().msk.send(
        new CreateClusterV2Command({
          ClusterName: `e2e-${kind}`,
          Provisioned: {
            KafkaVersion: '3.8.x',
            NumberOfBrokerNodes: BROKERS,
            ConfigurationInfo: { Arn: configuration.Arn, Revision: 1 },
            BrokerNodeGroupInfo: {
              InstanceType: 'kafka.t3.small',
              ClientSubnets: Array.from({ length: BROKERS }, (_, i) => `subnet-${i}`),
              StorageInfo: { EbsStorageInfo: { VolumeSize: 1 } },
            },
          },
        }),
      );
      clusterArn = created.ClusterArn as string;
      const info = await waitActive(plane().msk, clusterArn);
      console.log(`CreateClusterV2 -> ACTIVE for ${BROKERS} brokers: ${Date.now() - started} ms`);
      expect(info.ActiveOperationArn).toBeUndefined();

      const ops = await plane().msk.send(new ListClusterOperationsV2Command({ ClusterArn: clusterArn }));
      const op = await plane().msk.send(
        new DescribeClusterOperationV2Command({ ClusterOperationArn: ops.ClusterOperationInfoList?.[0]?.OperationArn }),
      );
      expect(op.ClusterOperationInfo?.OperationState).toBe('UPDATE_COMPLETE');
      expect(op.ClusterOperationInfo?.EndTime).toBeInstanceOf(Date);
      expect(
        op.ClusterOperationInfo?.Provisioned?.OperationSteps?.map((s) => [s.StepName, s.StepInfo?.StepStatus]),
      ).toEqual([
        ['plan', 'COMPLETE'],
        ['network', 'COMPLETE'],
        ['volumes', 'COMPLETE'],
        ['brokers', 'COMPLETE'],
        ['wait-for-brokers', 'COMPLETE'],
        ['round-trip', 'COMPLETE'],
        ['activate', 'COMPLETE'],
      ]);

      const nodes = await plane().msk.send(new ListNodesCommand({ ClusterArn: clusterArn }));
      expect(nodes.NodeInfoList?.map((n) => n.BrokerNodeInfo?.BrokerId)).toEqual(
        Array.from({ length: BROKERS }, (_, i) => i + 1),
      );
      expect(
        (await plane().driver.listBrokers(info.ClusterArn?.split('/')[2]?.slice(0, 36))).map((b) => b.state),
      ).toEqual(Array(BROKERS).fill('running'));
    });

    it('GetBootstrapBrokers returns addresses where kafkajs produces and consumes', async () => {
      const brokers = await plane().msk.send(new GetBootstrapBrokersCommand({ ClusterArn: clusterArn }));
      bootstrap = brokers.BootstrapBrokerString as string;
      expect(bootstrap.split(',')).toHaveLength(BROKERS);
      expect(bootstrap).toMatch(/^127\.0\.0\.1:\d+(,127\.0\.0\.1:\d+)*$/);

      const client = new Kafka({ clientId: 'e2e', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING });
      const admin = client.admin();
      await admin.connect();
      // The configuration given at creation is what the brokers run with.
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [
          { type: ConfigResourceTypes.BROKER, name: '1', configNames: ['log.retention.hours', 'num.partitions'] },
        ],
      });
      expect(
        Object.fromEntries(described.resources[0]?.configEntries.map((e) => [e.configName, e.configValue]) ?? []),
      ).toEqual({ 'log.retention.hours': '72', 'num.partitions': '2' });
      await admin.createTopics({
        topics: [{ topic: 'orders', numPartitions: 3, replicationFactor: Math.min(3, BROKERS) }],
        waitForLeaders: true,
      });
      await admin.disconnect();

      const producer = client.producer();
      await producer.connect();
      const sent = Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `order-${i}` }));
      await producer.send({ topic: 'orders', messages: sent, acks: -1 });
      await producer.disconnect();

      const consumer = client.consumer({ groupId: 'e2e-group' });
      await consumer.connect();
      await consumer.subscribe({ topic: 'orders', fromBeginning: true });
      const received: string[] = [];
      await consumer.run({
        eachMessage: async ({ message }) => {
          received.push(message.value?.toString() ?? '');
        },
      });
      await until('all messages consumed', async () => (received.length >= sent.length ? true : undefined), 60_000);
      await consumer.disconnect();
      expect(received.sort()).toEqual(sent.map((m) => m.value).sort());
    });

    it('DeleteCluster removes every broker process and data directory, and the catalog row', async () => {
      const clusterId = clusterArn.split('/')[2]?.slice(0, 36) as string;
      const current = await plane().msk.send(new DescribeClusterV2Command({ ClusterArn: clusterArn }));
      const deleted = await plane().msk.send(
        new DeleteClusterCommand({ ClusterArn: clusterArn, CurrentVersion: current.ClusterInfo?.CurrentVersion }),
      );
      expect(deleted.State).toBe('DELETING');
      await until(
        'cluster gone',
        async () => {
          const list = await plane().msk.send(new ListClustersV2Command({}));
          return list.ClusterInfoList?.length === 0 ? true : undefined;
        },
        90_000,
      );
      expect(await plane().driver.listBrokers(clusterId)).toEqual([]);
      expect(await plane().driver.listClusters()).not.toContain(clusterId);
      if (kind === 'process') {
        const runtimeDir = join(plane().stateDir, 'runtime', clusterId);
        expect(existsSync(runtimeDir) ? readdirSync(runtimeDir) : []).toEqual([]);
      }
      const ops = await plane().catalog.clusterOperation.findMany({
        where: { clusterArn },
        orderBy: { startTime: 'asc' },
      });
      expect(ops.map((o) => [o.operationType, o.operationState])).toEqual([
        ['CREATE', 'UPDATE_COMPLETE'],
        ['DELETE', 'UPDATE_COMPLETE'],
      ]);
    });
  });
}

if (process.env.FLOTILLA_E2E_DRIVER !== 'docker') clusterLifecycle('process');

// The DockerDriver where an engine answers and the broker image exists (`make test` builds it first:
// `make image`); skipped, saying why, otherwise.
const docker = await dockerReadiness();
if (docker.ready && process.env.FLOTILLA_E2E_DRIVER !== 'process') clusterLifecycle('docker');
else describe.skip(`on the docker driver (${docker.ready ? 'FLOTILLA_E2E_DRIVER=process' : docker.why})`, () => {});

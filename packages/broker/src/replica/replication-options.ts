/**
 * How a broker's replica manager talks to the rest of the cluster, from the broker configuration:
 * followers fetch over the inter-broker listener (inter.broker.listener.name, else the first listener a
 * broker registered) with the replica.fetch.* settings, and leaders send ISR changes to the controller.
 */
import { type AlterPartitionRequest, type AlterPartitionResponse, ErrorCode, KafkaError } from '@flotilla/protocol';
import type { BrokerConfig } from '../config/broker-config.js';
import type { Controller } from '../metadata/controller.js';
import type { MetadataImage } from '../metadata/image.js';
import { planAlterPartition } from '../metadata/replication-control.js';
import { interBrokerConnect } from '../security/inter-broker.js';
import type { AlterIsr } from './partition.js';
import type { ReplicationOptions } from './replica-manager.js';
import { replicationQuotas } from './replication-quota.js';

/**
 * ISR changes committed through this process's controller (KIP-497's AlterPartition, without the
 * network hop). With a controller quorum whose active controller may live elsewhere, pass an AlterIsr
 * that sends AlterPartition (handlers/56-alter-partition.ts) to the active controller instead.
 */
export function localAlterIsr(image: MetadataImage, controller: Controller, brokerId: number): AlterIsr {
  return async (change) => {
    let errorCode: number = ErrorCode.UNKNOWN_SERVER_ERROR;
    await controller.commit(() => {
      const plan = planAlterPartition(image, brokerId, [
        {
          topicId: change.topicId,
          topicName: change.topic,
          partitionIndex: change.partitionId,
          leaderEpoch: change.leaderEpoch,
          partitionEpoch: change.partitionEpoch,
          newIsr: change.newIsr,
        },
      ]);
      errorCode = plan.results[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
      return plan.records;
    });
    if (errorCode !== 0) {
      throw new KafkaError(errorCode, `AlterPartition for ${change.topic}-${change.partitionId} refused`);
    }
  };
}

/**
 * ISR changes sent as AlterPartition (56) to the active controller of a quorum (Kafka's
 * AlterPartitionManager), or committed here when this node is the active controller. `send` delivers
 * the request to whichever node is active (retrying on NOT_CONTROLLER). A refused change rejects with
 * the controller's error; the partition then waits for the image and asks again if still needed.
 */
export function controllerAlterIsr(options: {
  readonly brokerId: number;
  readonly brokerEpoch: () => number;
  readonly isActiveController: () => boolean;
  readonly local: AlterIsr;
  readonly send: (request: AlterPartitionRequest) => Promise<AlterPartitionResponse>;
}): AlterIsr {
  return async (change) => {
    if (options.isActiveController()) return options.local(change);
    const response = await options.send({
      brokerId: options.brokerId,
      brokerEpoch: BigInt(options.brokerEpoch()),
      topics: [
        {
          topicName: change.topic,
          topicId: change.topicId,
          partitions: [
            {
              partitionIndex: change.partitionId,
              leaderEpoch: change.leaderEpoch,
              newIsr: [...change.newIsr],
              // -1: no per-member broker epoch check (KIP-903 allows it); membership is checked anyway.
              newIsrWithEpochs: change.newIsr.map((brokerId) => ({ brokerId, brokerEpoch: -1n })),
              leaderRecoveryState: 0,
              partitionEpoch: change.partitionEpoch,
            },
          ],
        },
      ],
    });
    const errorCode =
      response.errorCode || (response.topics[0]?.partitions[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR);
    if (errorCode !== 0) {
      throw new KafkaError(errorCode, `AlterPartition for ${change.topic}-${change.partitionId} refused`);
    }
  };
}

export function replicationOptions(
  config: BrokerConfig,
  image: MetadataImage,
  brokerId: number,
  alterIsr: AlterIsr,
): ReplicationOptions {
  const listenerName = config.string('inter.broker.listener.name');
  // KIP-73 replication quotas: the rates are dynamic broker configs, read at each check.
  const quotas = replicationQuotas(brokerId, image, {
    rate: (type) => config.long(`${type}.replication.throttled.rate`),
    windowMs: () => config.int('replication.quota.window.size.seconds') * 1000,
    windows: () => config.int('replication.quota.window.num'),
  });
  return {
    alterIsr,
    quotas,
    replicaLagTimeMaxMs: () => config.long('replica.lag.time.max.ms'),
    minInsyncReplicas: (topic) => {
      const override = image.topics.get(topic)?.configs.get('min.insync.replicas');
      return override !== undefined ? Number(override) : config.int('min.insync.replicas');
    },
    fetcher: {
      brokerId,
      brokerEpoch: () => image.brokers.get(brokerId)?.epoch ?? -1,
      endpointOf: (id) => {
        const broker = image.brokers.get(id);
        const e = broker?.endpoints.find((x) => x.name === listenerName) ?? broker?.endpoints[0];
        return e ? { host: e.host || '127.0.0.1', port: e.port } : null;
      },
      maxWaitMs: config.int('replica.fetch.wait.max.ms'),
      minBytes: config.int('replica.fetch.min.bytes'),
      maxBytes: config.int('replica.fetch.response.max.bytes'),
      partitionMaxBytes: config.int('replica.fetch.max.bytes'),
      backoffMs: config.int('replica.fetch.backoff.ms'),
      // TLS/SASL when the inter-broker listener asks for them (security/inter-broker.ts).
      connect: interBrokerConnect(config),
      requestTimeoutMs: config.int('replica.socket.timeout.ms'),
      quota: quotas.follower,
    },
  };
}

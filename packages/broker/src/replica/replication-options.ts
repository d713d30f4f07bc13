/**
 * How a broker's replica manager talks to the rest of the cluster, from the broker configuration:
 * followers fetch over the inter-broker listener (inter.broker.listener.name, else the first listener a
 * broker registered) with the replica.fetch.* settings, and leaders send ISR changes to the controller.
 */
import { ErrorCode, KafkaError } from '@flotilla/protocol';
import type { BrokerConfig } from '../config/broker-config.js';
import type { Controller } from '../metadata/controller.js';
import type { MetadataImage } from '../metadata/image.js';
import { planAlterPartition } from '../metadata/replication-control.js';
import type { AlterIsr } from './partition.js';
import type { ReplicationOptions } from './replica-manager.js';

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

export function replicationOptions(
  config: BrokerConfig,
  image: MetadataImage,
  brokerId: number,
  alterIsr: AlterIsr,
): ReplicationOptions {
  const listenerName = config.string('inter.broker.listener.name');
  return {
    alterIsr,
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
      requestTimeoutMs: config.int('replica.socket.timeout.ms'),
    },
  };
}

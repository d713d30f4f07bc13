/**
 * The handler table: one handler per API key, from the files beside this one. Only what is listed here
 * is advertised in ApiVersions; anything else is an unsupported request and closes the connection, as
 * Kafka does for an API it does not know.
 */
import { ApiKey, type DecodedRequestHeader, ErrorCode } from '@flotilla/protocol';
import type { RequestContext, RequestDispatcher } from '../network/connection.js';
import type { BrokerServices } from '../services.js';
import produce from './00-produce.js';
import fetch from './01-fetch.js';
import fetchQuorum from './01-fetch-quorum.js';
import listOffsets from './02-list-offsets.js';
import metadata from './03-metadata.js';
import saslHandshake from './17-sasl-handshake.js';
import { apiVersionsBody, apiVersionsHandler } from './18-api-versions.js';
import createTopics from './19-create-topics.js';
import deleteTopics from './20-delete-topics.js';
import deleteRecords from './21-delete-records.js';
import initProducerId from './22-init-producer-id.js';
import offsetForLeaderEpoch from './23-offset-for-leader-epoch.js';
import addPartitionsToTxn from './24-add-partitions-to-txn.js';
import addOffsetsToTxn from './25-add-offsets-to-txn.js';
import endTxn from './26-end-txn.js';
import writeTxnMarkers from './27-write-txn-markers.js';
import txnOffsetCommit from './28-txn-offset-commit.js';
import describeAcls from './29-describe-acls.js';
import createAcls from './30-create-acls.js';
import deleteAcls from './31-delete-acls.js';
import describeConfigs from './32-describe-configs.js';
import alterConfigs from './33-alter-configs.js';
import describeLogDirs from './35-describe-log-dirs.js';
import saslAuthenticate from './36-sasl-authenticate.js';
import createPartitions from './37-create-partitions.js';
import electLeaders from './43-elect-leaders.js';
import incrementalAlterConfigs from './44-incremental-alter-configs.js';
import alterPartitionReassignments from './45-alter-partition-reassignments.js';
import listPartitionReassignments from './46-list-partition-reassignments.js';
import describeClientQuotas from './48-describe-client-quotas.js';
import alterClientQuotas from './49-alter-client-quotas.js';
import describeUserScramCredentials from './50-describe-user-scram-credentials.js';
import alterUserScramCredentials from './51-alter-user-scram-credentials.js';
import vote from './52-vote.js';
import beginQuorumEpoch from './53-begin-quorum-epoch.js';
import endQuorumEpoch from './54-end-quorum-epoch.js';
import describeQuorum from './55-describe-quorum.js';
import alterPartition from './56-alter-partition.js';
import { envelopeHandler } from './58-envelope.js';
import fetchSnapshot from './59-fetch-snapshot.js';
import describeCluster from './60-describe-cluster.js';
import describeProducers from './61-describe-producers.js';
import brokerRegistration from './62-broker-registration.js';
import brokerHeartbeat from './63-broker-heartbeat.js';
import unregisterBroker from './64-unregister-broker.js';
import describeTransactions from './65-describe-transactions.js';
import listTransactions from './66-list-transactions.js';
import allocateProducerIds from './67-allocate-producer-ids.js';
import { groupHandlers } from './groups.js';
import type { Handler } from './types.js';

export function createHandlers(): Handler[] {
  const handlers: Handler[] = [
    produce,
    fetch,
    listOffsets,
    metadata,
    createTopics,
    deleteTopics,
    deleteRecords,
    initProducerId,
    offsetForLeaderEpoch,
    addPartitionsToTxn,
    addOffsetsToTxn,
    endTxn,
    writeTxnMarkers,
    txnOffsetCommit,
    describeProducers,
    describeTransactions,
    listTransactions,
    describeConfigs,
    alterConfigs,
    describeLogDirs,
    createPartitions,
    incrementalAlterConfigs,
    electLeaders,
    alterPartitionReassignments,
    listPartitionReassignments,
    describeClientQuotas,
    alterClientQuotas,
    alterPartition,
    describeCluster,
    unregisterBroker,
    describeQuorum,
    saslHandshake,
    saslAuthenticate,
    describeAcls,
    createAcls,
    deleteAcls,
    describeUserScramCredentials,
    alterUserScramCredentials,
    ...groupHandlers,
  ] as Handler[];
  handlers.push(apiVersionsHandler(() => handlers) as Handler);
  return handlers;
}

/**
 * The controller listener's table (controller.listener.names): the quorum's Raft RPCs, broker
 * registration and heartbeats, producer id blocks, and the admin requests brokers forward to the active
 * controller. Kafka's controllers likewise serve their own API set on that listener.
 */
export function createControllerHandlers(): Handler[] {
  const handlers: Handler[] = [
    fetchQuorum,
    vote,
    beginQuorumEpoch,
    endQuorumEpoch,
    describeQuorum,
    fetchSnapshot,
    brokerRegistration,
    brokerHeartbeat,
    unregisterBroker,
    allocateProducerIds,
    createTopics,
    deleteTopics,
    alterConfigs,
    createPartitions,
    incrementalAlterConfigs,
    describeCluster,
    alterPartition,
    electLeaders,
    alterPartitionReassignments,
    listPartitionReassignments,
    createAcls,
    deleteAcls,
    alterUserScramCredentials,
    alterClientQuotas,
    // A SASL_PLAINTEXT / SASL_SSL controller listener authenticates its peers like any listener.
    saslHandshake,
    saslAuthenticate,
  ] as Handler[];
  handlers.push(apiVersionsHandler(() => handlers) as Handler);
  handlers.push(envelopeHandler(() => handlers) as Handler);
  return handlers;
}

export class Dispatcher implements RequestDispatcher {
  private readonly byKey = new Map<number, Handler>();

  /**
   * Until the broker has caught up and registered, requests wait here (Kafka binds its data-plane
   * sockets early but enables request processing only then): no client sees a broker that does not
   * list itself yet or has not loaded its groups.
   */
  private gate: Promise<void> | undefined;

  constructor(
    private readonly handlers: readonly Handler[],
    private readonly broker: BrokerServices,
    ready?: Promise<void>,
  ) {
    for (const h of handlers) this.byKey.set(h.apiKey, h);
    this.gate = ready?.then(() => {
      this.gate = undefined;
    });
  }

  supports(apiKey: number, version: number): boolean {
    const h = this.byKey.get(apiKey);
    return h !== undefined && version >= h.minVersion && version <= h.maxVersion;
  }

  unsupportedVersionResponse(header: DecodedRequestHeader): { version: number; body: unknown } | null {
    if (header.apiKey !== ApiKey.ApiVersions) return null;
    return { version: 0, body: apiVersionsBody(this.handlers, ErrorCode.UNSUPPORTED_VERSION) };
  }

  async handle(ctx: RequestContext, body: unknown): Promise<unknown | null> {
    if (this.gate) await this.gate;
    const h = this.byKey.get(ctx.header.apiKey) as Handler;
    // In a quorum cluster, controller-bound admin requests go to the active controller (forwarding.ts).
    const forwarded = this.broker.forwardToController?.(ctx, body);
    if (forwarded) return forwarded;
    return h.handle({ ...ctx, broker: this.broker, apiVersion: ctx.header.apiVersion }, body as never);
  }

  onRequest(header: DecodedRequestHeader, latencyMs: number, requestBytes: number): void {
    this.broker.metrics.recordRequest(header.apiKey, header.apiVersion, latencyMs, requestBytes);
  }
}

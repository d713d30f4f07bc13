/**
 * The broker's parts that request handlers use, passed in explicitly (no singletons): configuration,
 * the metadata image, the controller, the hosted partitions, the group coordinator and metrics.
 */
import type { BrokerConfig, Listener } from './config/broker-config.js';
import type { ConfigResources } from './config/resources.js';
import type { GroupCoordinator } from './group/coordinator.js';
import type { Logger } from './logger.js';
import type { BrokerHeartbeatManager } from './metadata/broker-heartbeats.js';
import type { Controller } from './metadata/controller.js';
import type { MetadataImage } from './metadata/image.js';
import type { BrokerMetrics } from './metrics.js';
import type { RequestContext } from './network/connection.js';
import type { ResponseBufferPool } from './network/response-buffers.js';
import type { ClientQuotaManagers } from './quota/client-quota-manager.js';
import type { ControllerMutationQuotas } from './quota/controller-mutation-quota.js';
import type { MetadataQuorum } from './raft/quorum.js';
import type { FetchSessionCache } from './replica/fetch-session.js';
import type { ProducerIdManager } from './replica/producer-id-manager.js';
import type { ReplicaManager } from './replica/replica-manager.js';
import type { Authorizer } from './security/authorizer.js';
import type { TopicConfigs } from './topic-configs.js';
import type { TransactionCoordinator } from './txn/coordinator.js';
export interface BrokerServices {
  readonly nodeId: number;
  readonly config: BrokerConfig;
  readonly image: MetadataImage;
  readonly controller: Controller;
  readonly replicas: ReplicaManager;
  readonly groups: GroupCoordinator;
  /** The transaction coordinator (transactional ids whose __transaction_state partition this broker leads). */
  readonly transactions: TransactionCoordinator;
  /** Incremental fetch sessions (KIP-227). */
  readonly fetchSessions: FetchSessionCache;
  /** Buffers Fetch reads records into; the connection gives them back once the response is sent. */
  readonly responseBuffers: ResponseBufferPool;
  readonly producerIds: ProducerIdManager;
  readonly topicConfigs: TopicConfigs;
  readonly configResources: ConfigResources;
  readonly metrics: BrokerMetrics;
  /** Produce and fetch byte-rate quotas per user and client id (quota/client-quota-manager.ts). */
  readonly clientQuotas: ClientQuotaManagers;
  /** Partition creation/deletion rate per user and client id (controller_mutation_rate, KIP-599). */
  readonly controllerMutationQuotas: ControllerMutationQuotas;
  readonly log: Logger;
  /** The listeners clients connect to (ports resolved when configured as 0). */
  readonly advertisedListeners: () => readonly Listener[];
  /** ACL checks (security/authorizer.ts); allows everything when authorizer.class.name is empty. */
  readonly authorizer: Authorizer;
  /**
   * The controller quorum this node takes part in (controller.quorum.voters set), for the handlers of
   * the controller listener; absent on a single broker with its local metadata log.
   */
  readonly quorum?: QuorumServices;
  /** The broker id clients should see as the controller (MetadataResponse, DescribeCluster). */
  readonly controllerId?: () => number;
  /**
   * Sends a controller-bound admin request to the active controller when this node is not it
   * (raft/forwarding.ts): the response to come, or undefined when the request is handled here.
   */
  readonly forwardToController?: (request: RequestContext, body: unknown) => Promise<unknown> | undefined;
  /** Creates topics that a client names when auto.create.topics.enable is on (Metadata, Produce). */
  autoCreateTopics(names: readonly string[]): Promise<void>;
}

export interface QuorumServices {
  readonly quorum: MetadataQuorum;
  /** Broker registrations and heartbeats, answered when this node is the active controller. */
  readonly heartbeats: BrokerHeartbeatManager;
  /** The controller that writes here (never forwards): what requests on the controller listener use. */
  readonly localController: Controller;
}

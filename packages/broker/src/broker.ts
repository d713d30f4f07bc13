/**
 * The broker's composition root: builds every part from the configuration, in dependency order, and
 * shuts them down in reverse. Start: log directories checked (meta.properties), metadata log replayed
 * into the image, partition logs recovered, listeners bound, this broker registered, group coordinator
 * loaded, and only then client requests served (the listeners hold them until then, as Kafka's do). Stop (SIGTERM): stop accepting, drain, flush and close the logs, write checkpoints.
 */

import { ApiKey, randomUuid } from '@flotilla/protocol';
import type { BrokerConfig, Listener } from './config/broker-config.js';
import { ConfigResources } from './config/resources.js';
import { GroupCoordinator } from './group/coordinator.js';
import { createControllerHandlers, createHandlers, Dispatcher } from './handlers/index.js';
import { LogManager } from './log/log-manager.js';
import { ensureFormatted } from './log/meta-properties.js';
import { createLogger, type Logger } from './logger.js';
import { type Controller, MetadataController, type MetadataLog } from './metadata/controller.js';
import { type ImageChange, MetadataImage } from './metadata/image.js';
import { LeaderRebalancer } from './metadata/leader-rebalance.js';
import { LocalMetadataLog } from './metadata/metadata-log.js';
import type { EndpointRecord } from './metadata/records.js';
import { BrokerMetrics } from './metrics.js';
import { ResponseBufferPool } from './network/response-buffers.js';
import { type BoundListener, SocketServer } from './network/server.js';
import { clientQuotaManagers } from './quota/client-quota-manager.js';
import { ConnectionQuotas } from './quota/connection-quotas.js';
import { ControllerMutationQuotas } from './quota/controller-mutation-quota.js';
import { ClusterMembership, openQuorum } from './raft/cluster.js';
import { controllerListenerDispatcher, trustingCluster } from './raft/controller-listener.js';
import { mentionsNotController } from './raft/forwarding.js';
import { FetchSessionCache } from './replica/fetch-session.js';
import { ProducerIdManager } from './replica/producer-id-manager.js';
import { ReplicaManager } from './replica/replica-manager.js';
import { controllerAlterIsr, localAlterIsr, replicationOptions } from './replica/replication-options.js';
import { type Authorizer, NoAuthorizer, parseSuperUsers, StandardAuthorizer } from './security/authorizer.js';
import { interBrokerConnect } from './security/inter-broker.js';
import { listenerSecurity, securityProtocolOf } from './security/listener-security.js';
import type { BrokerServices } from './services.js';
import { TopicConfigs } from './topic-configs.js';
import { TransactionCoordinator } from './txn/coordinator.js';
import { ClusterMarkerWriter, interBrokerEndpoint } from './txn/markers.js';

export interface StartedBroker {
  readonly nodeId: number;
  readonly clusterId: string;
  readonly listeners: readonly BoundListener[];
  readonly metricsPort: number | null;
  readonly services: BrokerServices;
  close(): Promise<void>;
}

/** Where the broker's metadata comes from: the metadata log, replayed into the image it is given. */
export interface BrokerMetadataLog extends MetadataLog {
  subscribe(listener: (change: ImageChange) => void): void;
  close(): void;
}

export interface StartOptions {
  /**
   * Opens the metadata log over `image` (replaying it before returning). Default: the local log in
   * the first log directory. Tests pass one log shared by several in-process brokers.
   */
  readonly openMetadataLog?: (image: MetadataImage, log: Logger) => BrokerMetadataLog;
}

export async function startBroker(
  config: BrokerConfig,
  log: Logger = createLogger(),
  options: StartOptions = {},
): Promise<StartedBroker> {
  const nodeId = config.nodeId;
  const logDirs = config.logDirs;
  const clusterId = ensureFormatted(logDirs, nodeId, config.string('cluster.id'));
  const image = new MetadataImage(clusterId);
  // With controller.quorum.voters the metadata log is replicated by Raft (raft/quorum.ts); else local.
  const quorum = config.quorumVoters.length > 0 ? openQuorum(config, image, log) : null;
  const metadataLog: BrokerMetadataLog =
    quorum ??
    (options.openMetadataLog
      ? options.openMetadataLog(image, log.child('metadata'))
      : LocalMetadataLog.open(logDirs[0] as string, image, log.child('metadata')));
  const localController = new MetadataController(image, config, metadataLog);
  const cluster = quorum ? new ClusterMembership(quorum, config, image, localController, log) : null;
  const controller: Controller = cluster?.controller ?? localController;
  applyDynamicBrokerConfigs(image, config, nodeId);

  const topicConfigs = new TopicConfigs(image, config);
  const logs = new LogManager(logDirs, (topic) => topicConfigs.logConfig(topic), log.child('log-manager'));
  logs.storageLimitBytes = config.long('log.dirs.max.bytes');
  logs.loadLogs();
  const replicas = new ReplicaManager(
    nodeId,
    logs,
    image,
    log.child('replica-manager'),
    replicationOptions(
      config,
      image,
      nodeId,
      cluster
        ? controllerAlterIsr({
            brokerId: nodeId,
            brokerEpoch: () => image.brokers.get(nodeId)?.epoch ?? -1,
            isActiveController: () => cluster.quorum.isActive,
            local: localAlterIsr(image, localController, nodeId),
            send: (body) =>
              cluster.channel.request(ApiKey.AlterPartition, body, { isNotController: mentionsNotController }),
          })
        : localAlterIsr(image, controller, nodeId),
    ),
  );
  // In a quorum the image is complete only once caught up (cluster.join): until then a topic missing
  // from it is not a deleted topic, and its logs must stay.
  if (!cluster) replicas.syncWithImage();

  let server: SocketServer | undefined;
  const metrics = new BrokerMetrics(
    () => replicas,
    () => server?.connectionCount ?? 0,
  );
  cluster?.registerMetrics(metrics.registry);
  const producerIds = new ProducerIdManager(nodeId, controller);
  const configResources = new ConfigResources(nodeId, config, image, topicConfigs, controller);
  let bound: BoundListener[] = [];
  const advertised = (): Listener[] =>
    config.advertisedListeners.map((l) => {
      const b = bound.find((x) => x.name === l.name);
      // Port 0 means "any": advertise the port actually bound. An empty host means all interfaces.
      return { ...l, port: l.port === 0 && b ? b.boundPort : l.port, host: l.host || '127.0.0.1' };
    });
  const groups = new GroupCoordinator({
    nodeId,
    config,
    image,
    controller,
    replicas,
    topicConfigs,
    log: log.child('group-coordinator'),
  });
  const transactions = new TransactionCoordinator({
    nodeId,
    config,
    image,
    controller,
    replicas,
    topicConfigs,
    producerIds,
    markers: new ClusterMarkerWriter({
      nodeId,
      image,
      replicas,
      topicConfigs,
      groups: () => groups,
      replicationTimeoutMs: () => config.int('request.timeout.ms'),
      endpointOf: interBrokerEndpoint(image, config.string('inter.broker.listener.name')),
      requestTimeoutMs: config.int('request.timeout.ms'),
      connect: interBrokerConnect(config),
    }),
    log: log.child('transaction-coordinator'),
  });

  // Any authorizer.class.name turns on Kafka's StandardAuthorizer semantics (security/authorizer.ts).
  const authorizer: Authorizer = config.string('authorizer.class.name')
    ? new StandardAuthorizer(
        image,
        parseSuperUsers(config.string('super.users')),
        config.bool('allow.everyone.if.no.acl.found'),
        log.child('authorizer'),
      )
    : new NoAuthorizer();

  const quotaWindows = {
    windowMs: () => config.int('quota.window.size.seconds') * 1000,
    windows: () => config.int('quota.window.num'),
  };
  const connectionQuotas = new ConnectionQuotas(image, quotaWindows);
  // Fetch reads records into these, and each connection gives them back once it has sent them.
  const responseBuffers = new ResponseBufferPool();
  const services: BrokerServices = {
    nodeId,
    config,
    image,
    controller,
    replicas,
    groups,
    transactions,
    fetchSessions: new FetchSessionCache(() => config.int('max.incremental.fetch.session.cache.slots')),
    responseBuffers,
    producerIds,
    topicConfigs,
    configResources,
    metrics,
    clientQuotas: clientQuotaManagers(image, quotaWindows),
    controllerMutationQuotas: new ControllerMutationQuotas(image, quotaWindows),
    authorizer,
    log,
    advertisedListeners: advertised,
    quorum: cluster?.services,
    controllerId: () => cluster?.controllerId() ?? nodeId,
    forwardToController: cluster ? (request, body) => cluster.forwarder.forward(request, body) : undefined,
    async autoCreateTopics(names) {
      await controller.createTopics(
        names.map((name) => ({ name, numPartitions: -1, replicationFactor: -1, assignments: [], configs: [] })),
        false,
      );
    },
  };

  metadataLog.subscribe((change: ImageChange) => {
    if (change.kind === 'broker-config-changed' && (change.broker === '' || change.broker === String(nodeId))) {
      config.setDynamic(change.name, change.value, change.broker === '' ? 'default' : 'broker');
      if (change.name === 'log.dirs.max.bytes') logs.storageLimitBytes = config.long('log.dirs.max.bytes');
    }
    if (change.kind === 'acls-changed') authorizer.invalidate();
    replicas.apply(change);
    groups.onMetadataChange(change);
    transactions.onMetadataChange(change);
  });

  const handlers = createHandlers();
  const controllerHandlers = createControllerHandlers();
  // The controller listener writes with the local controller and never forwards (no loops).
  const controllerServices: BrokerServices = {
    ...services,
    controller: localController,
    forwardToController: undefined,
    // Bare requests there come from the cluster's nodes; forwarded ones run as their client (Envelope).
    authorizer: trustingCluster(authorizer),
  };
  // Data-plane requests wait until this broker has joined, registered and loaded its groups.
  let markReady = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  server = new SocketServer(
    (listener) =>
      cluster?.isControllerListener(listener.name)
        ? controllerListenerDispatcher(
            new Dispatcher(controllerHandlers, controllerServices),
            securityProtocolOf(config, listener.name),
          )
        : new Dispatcher(handlers, services, ready),
    {
      maxRequestBytes: config.int('socket.request.max.bytes'),
      maxQueuedRequests: config.int('queued.max.requests'),
      idleMs: config.long('connections.max.idle.ms'),
      maxUnauthenticatedRequestBytes: config.int('sasl.server.max.receive.size'),
      responseBuffers,
      connectionThrottleMs: (listener, address) =>
        cluster?.isControllerListener(listener.name) ? 0 : connectionQuotas.recordConnection(address),
    },
    log.child('socket-server'),
    (listener) => listenerSecurity(config, listener, image),
  );
  bound = await server.listen(config.listeners);

  if (cluster) {
    const endpoints = () =>
      advertised().map((l) => ({
        name: l.name,
        host: l.host,
        port: l.port,
        securityProtocol: securityProtocolOf(config, l.name),
      }));
    await cluster.join(endpoints, config.string('broker.rack'), () => replicas.syncWithImage());
  } else
    await registerBroker(image, controller, nodeId, advertised(), config.string('broker.rack'), (name) =>
      securityProtocolOf(config, name),
    );
  await groups.start();
  await transactions.start();
  replicas.startReplication();
  markReady();
  // auto.leader.rebalance.enable: only the active controller moves leaders back (leader-rebalance.ts).
  const leaderRebalancer = new LeaderRebalancer(
    image,
    localController,
    config,
    log.child('leader-rebalance'),
    () => cluster?.quorum.isActive ?? true,
  );
  leaderRebalancer.start();
  logs.startBackgroundTasks(
    config.long('log.retention.check.interval.ms'),
    (topic, partition) => replicas.get(topic, partition)?.highWatermark,
    { enabled: config.bool('log.cleaner.enable'), backoffMs: config.long('log.cleaner.backoff.ms') },
  );

  let metricsPort: number | null = null;
  const configuredMetricsPort = config.int('metrics.port');
  if (configuredMetricsPort >= 0) {
    const host = config.string('metrics.host') ?? (config.listeners[0]?.host || '127.0.0.1');
    metricsPort = await metrics.listen(host, configuredMetricsPort);
  }

  let closing: Promise<void> | undefined;
  return {
    nodeId,
    clusterId,
    listeners: bound,
    metricsPort,
    services,
    close() {
      closing ??= (async () => {
        log.info(`shutting down broker ${nodeId}`);
        leaderRebalancer.stop();
        await cluster?.shutdown();
        await server?.close();
        await metrics.close();
        await transactions.close();
        await groups.close();
        await replicas.stopReplication();
        replicas.close();
        logs.close();
        metadataLog.close();
        log.info(`broker ${nodeId} shut down`);
      })();
      return closing;
    },
  };
}

function applyDynamicBrokerConfigs(image: MetadataImage, config: BrokerConfig, nodeId: number): void {
  for (const [scope, configs] of image.brokerConfigs) {
    if (scope !== '' && scope !== String(nodeId)) continue;
    for (const [name, value] of configs) config.setDynamic(name, value, scope === '' ? 'default' : 'broker');
  }
}

/** Registers (or re-registers, when its endpoints changed) this broker in the metadata. */
async function registerBroker(
  image: MetadataImage,
  controller: Controller,
  nodeId: number,
  listeners: readonly Listener[],
  rack: string | null,
  protocolOf: (listenerName: string) => string = () => 'PLAINTEXT',
): Promise<void> {
  const endpoints: EndpointRecord[] = listeners.map((l) => ({
    name: l.name,
    host: l.host,
    port: l.port,
    securityProtocol: protocolOf(l.name),
  }));
  const current = image.brokers.get(nodeId);
  const same =
    current &&
    !current.fenced &&
    current.rack === rack &&
    JSON.stringify(current.endpoints) === JSON.stringify(endpoints);
  if (same) return;
  await controller.commit(() => [
    {
      type: 'RegisterBroker',
      brokerId: nodeId,
      incarnationId: randomUuid(),
      brokerEpoch: image.offset + 1,
      endpoints,
      rack,
      fenced: false,
    },
  ]);
}

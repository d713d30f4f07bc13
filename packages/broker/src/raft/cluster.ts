/**
 * A node's membership in a KRaft-style cluster, built from the configuration: the metadata quorum
 * (Raft over the controller listener), the channel to the active controller, request forwarding, the
 * controller-side broker heartbeat manager, and the broker-side lifecycle (registration, heartbeats,
 * controlled shutdown). broker.ts builds one of these when controller.quorum.voters is set; without
 * it the broker keeps its local metadata log and is its own controller.
 */
import { Gauge, type Registry } from 'prom-client';
import type { BrokerConfig } from '../config/broker-config.js';
import type { Logger } from '../logger.js';
import { BrokerHeartbeatManager } from '../metadata/broker-heartbeats.js';
import type { Controller } from '../metadata/controller.js';
import type { MetadataImage } from '../metadata/image.js';
import type { EndpointRecord } from '../metadata/records.js';
import { uncleanElectionPolicy } from '../metadata/replication-control.js';
import { controllerClientOptions } from '../security/inter-broker.js';
import type { QuorumServices } from '../services.js';
import { BrokerLifecycle } from './broker-lifecycle.js';
import { ControllerChannel } from './controller-channel.js';
import { ForwardingController, RequestForwarder } from './forwarding.js';
import { MetadataQuorum } from './quorum.js';

/** Opens the quorum's metadata log (loading its snapshot into `image`); it starts with `join`. */
export function openQuorum(config: BrokerConfig, image: MetadataImage, log: Logger): MetadataQuorum {
  return new MetadataQuorum(image, {
    nodeId: config.nodeId,
    clusterId: image.clusterId,
    voters: config.quorumVoters,
    logDir: config.string('metadata.log.dir') ?? (config.logDirs[0] as string),
    electionTimeoutMs: config.int('controller.quorum.election.timeout.ms'),
    fetchTimeoutMs: config.int('controller.quorum.fetch.timeout.ms'),
    requestTimeoutMs: config.int('controller.quorum.request.timeout.ms'),
    snapshotBytes: config.long('metadata.log.max.record.bytes.between.snapshots'),
    log: log.child('raft'),
    clientOptions: () => controllerClientOptions(config),
  });
}

export class ClusterMembership {
  readonly channel: ControllerChannel;
  readonly forwarder: RequestForwarder;
  readonly controller: Controller;
  readonly heartbeats: BrokerHeartbeatManager;
  readonly services: QuorumServices;
  private lifecycle: BrokerLifecycle | null = null;
  private readonly controllerListenerNames: ReadonlySet<string>;

  constructor(
    readonly quorum: MetadataQuorum,
    private readonly config: BrokerConfig,
    private readonly image: MetadataImage,
    localController: Controller,
    private readonly log: Logger,
  ) {
    this.channel = new ControllerChannel(
      quorum,
      config.int('controller.quorum.request.timeout.ms'),
      log.child('controller-channel'),
      () => controllerClientOptions(config),
    );
    this.forwarder = new RequestForwarder(quorum, this.channel);
    this.controller = new ForwardingController(
      localController,
      quorum,
      this.channel,
      () => this.lifecycle?.brokerEpoch ?? -1,
    );
    this.heartbeats = new BrokerHeartbeatManager(
      image,
      localController,
      () => quorum.isActive,
      () => quorum.raft.log.endOffset,
      config.int('broker.session.timeout.ms'),
      log.child('heartbeats'),
      uncleanElectionPolicy(image, config),
    );
    this.services = { quorum, heartbeats: this.heartbeats, localController };
    this.controllerListenerNames = new Set(config.controllerListeners.map((l) => l.name));
    let wasActive = false;
    quorum.onLeaderChange(() => {
      // Activation waits for the leader's first commit; poll briefly for it.
      const check = (tries: number) => {
        if (quorum.isActive && !wasActive) {
          wasActive = true;
          this.heartbeats.activated();
          log.info(`node ${quorum.nodeId} is the active controller`);
        } else if (!quorum.isActive) {
          wasActive = false;
          if (quorum.raft.role === 'leader' && tries > 0) setTimeout(() => check(tries - 1), 20);
        }
      };
      check(250);
    });
  }

  /**
   * Controller and Raft gauges under Kafka's JMX-exporter names: ActiveControllerCount (1 on the active
   * controller only, so the cluster sum is 1), fenced and active broker counts, and KafkaRaftClient's
   * current leader, epoch, high watermark and log end offset.
   */
  registerMetrics(registry: Registry): void {
    const gauge = (name: string, help: string, value: () => number) =>
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          this.set(value());
        },
      });
    const brokers = () => [...this.image.brokers.values()];
    gauge('kafka_controller_kafkacontroller_activecontrollercount', '1 on the active controller', () =>
      this.quorum.isActive ? 1 : 0,
    );
    gauge('kafka_controller_kafkacontroller_fencedbrokercount', 'Registered brokers that are fenced', () =>
      this.quorum.isActive ? brokers().filter((b) => b.fenced).length : 0,
    );
    gauge('kafka_controller_kafkacontroller_activebrokercount', 'Registered brokers that are not fenced', () =>
      this.quorum.isActive ? brokers().filter((b) => !b.fenced).length : 0,
    );
    gauge(
      'kafka_server_raftmetrics_current_leader',
      'The quorum leader this node knows (-1: none)',
      () => this.quorum.leaderId,
    );
    gauge('kafka_server_raftmetrics_current_epoch', 'The quorum epoch', () => this.quorum.raft.epoch);
    gauge(
      'kafka_server_raftmetrics_high_watermark',
      'Committed end of the metadata log',
      () => this.quorum.raft.highWatermark,
    );
    gauge(
      'kafka_server_raftmetrics_log_end_offset',
      'End of the local metadata log',
      () => this.quorum.raft.log.endOffset,
    );
  }

  isControllerListener(name: string): boolean {
    return this.controllerListenerNames.has(name);
  }

  /**
   * The broker id clients are told is the controller. In KRaft clients cannot reach the controllers,
   * so Kafka names any live broker and forwards; we name the active controller when it is also a live
   * broker (combined mode), else the lowest live broker.
   */
  controllerId(): number {
    const leader = this.image.brokers.get(this.quorum.leaderId);
    if (leader && !leader.fenced) return leader.id;
    const live = [...this.image.brokers.values()].filter((b) => !b.fenced).map((b) => b.id);
    return live.length > 0 ? Math.min(...live) : this.config.nodeId;
  }

  /**
   * Starts Raft (listeners must be bound: peers call us), waits for the metadata to catch up (then
   * `onCaughtUp`: the image is now the cluster's, as Kafka's broker waits for its first metadata
   * image before it loads its logs), then, for the broker role, registers with the active controller and waits to be unfenced.
   */
  async join(
    endpoints: () => readonly EndpointRecord[],
    rack: string | null,
    onCaughtUp: () => void,
    timeoutMs = 30_000,
  ): Promise<void> {
    this.quorum.start();
    this.heartbeats.start();
    // Like a Kafka broker, wait for the quorum as long as it takes (the other voters may still be
    // starting): exiting would only turn into a restart loop. Say so now and then.
    while (!(await this.quorum.caughtUp(timeoutMs))) {
      this.log.warn(`waiting for a controller quorum leader (voters: ${this.config.raw('controller.quorum.voters')})`);
    }
    onCaughtUp();
    if (!this.config.processRoles.broker) return;
    this.lifecycle = new BrokerLifecycle(
      this.channel,
      this.image,
      this.config.nodeId,
      endpoints,
      rack,
      this.config.int('broker.heartbeat.interval.ms'),
      this.log.child('lifecycle'),
    );
    for (;;) {
      try {
        if (!(await this.lifecycle.start(timeoutMs))) this.log.warn('still fenced after start; serving anyway');
        return;
      } catch (e) {
        this.log.warn(`broker registration failed, retrying: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  /** Controlled shutdown (leaderships move away first), then the quorum resigns and closes. */
  async shutdown(): Promise<void> {
    if (this.lifecycle && this.config.bool('controlled.shutdown.enable')) {
      const moved = await this.lifecycle.controlledShutdown(this.config.int('broker.session.timeout.ms'));
      this.log.info(moved ? 'controlled shutdown done' : 'controlled shutdown did not complete in time');
    }
    this.lifecycle?.close();
    this.heartbeats.close();
    await this.quorum.close();
    this.channel.close();
  }
}

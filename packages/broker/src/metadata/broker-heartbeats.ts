/**
 * Broker liveness on the active controller, as Kafka's BrokerHeartbeatManager and
 * ReplicationControlManager do it (KIP-631):
 * - a broker registers (BrokerRegistration) and starts fenced; its broker epoch is the offset of its
 *   registration record;
 * - it heartbeats every broker.heartbeat.interval.ms; once its metadata has caught up with its own
 *   registration the controller unfences it, and it takes back leaderships of partitions that were
 *   left without a leader while it was away;
 * - a broker silent for broker.session.timeout.ms is fenced: it leaves every ISR it was in (unless it
 *   is the last member) and each partition it led gets a new leader from the remaining live ISR, with
 *   a leader epoch bump; a partition with no other live ISR member goes leaderless, or takes any live
 *   replica where unclean.leader.election.enable (topic or broker) allows it;
 * - a heartbeat with wantShutDown (controlled shutdown, SIGTERM) does the same at once, so leaderships
 *   move before the broker stops, and remembers the offset of those records (Kafka's
 *   controlledShutdownOffset). It answers shouldShutDown only once the broker itself and every other
 *   active broker have reported (currentMetadataOffset) that they applied them (Kafka's
 *   lowestActiveOffset): until then a broker or client asking another broker would still be sent to
 *   the one about to stop, and a controller stopping at once could leave the followers without the
 *   high watermark that commits the moves.
 * Heartbeat times, reported offsets and shutdown offsets live in memory only: a newly active
 * controller gives every broker a full session and waits for a heartbeat to learn its offset.
 */
import { ErrorCode } from '@flotilla/protocol';
import type { Logger } from '../logger.js';
import type { Controller } from './controller.js';
import type { MetadataImage } from './image.js';
import type { EndpointRecord, MetadataRecord } from './records.js';
import { planBrokerLeaving } from './replication-control.js';

export interface RegistrationRequest {
  readonly brokerId: number;
  readonly clusterId: string;
  readonly incarnationId: string;
  readonly endpoints: readonly EndpointRecord[];
  readonly rack: string | null;
}

export interface HeartbeatRequest {
  readonly brokerId: number;
  readonly brokerEpoch: number;
  readonly currentMetadataOffset: number;
  readonly wantFence: boolean;
  readonly wantShutDown: boolean;
}

export interface HeartbeatResult {
  readonly errorCode: number;
  readonly isCaughtUp: boolean;
  readonly isFenced: boolean;
  readonly shouldShutDown: boolean;
}

export class BrokerHeartbeatManager {
  private readonly lastSeen = new Map<number, number>();
  /** The currentMetadataOffset of each broker's last heartbeat. */
  private readonly metadataOffsets = new Map<number, number>();
  /** Brokers in controlled shutdown: the offset of the last record that moved their leaderships. */
  private readonly controlledShutdownOffsets = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private fencing = false;

  constructor(
    private readonly image: MetadataImage,
    private readonly controller: Controller,
    private readonly isActive: () => boolean,
    /** Offset the next metadata record will get (a registration record's offset is the broker epoch). */
    private readonly nextOffset: () => number,
    private readonly sessionTimeoutMs: number,
    private readonly log: Logger,
    /** unclean.leader.election.enable per topic (uncleanElectionPolicy); off when not given. */
    private readonly uncleanAllowed: (topic: string) => boolean = () => false,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.expireSessions(), Math.max(50, Math.floor(this.sessionTimeoutMs / 10)));
  }

  /** A newly active controller starts every broker's session afresh. */
  activated(now = Date.now()): void {
    this.lastSeen.clear();
    this.metadataOffsets.clear();
    this.controlledShutdownOffsets.clear();
    for (const id of this.image.brokers.keys()) this.lastSeen.set(id, now);
  }

  async register(req: RegistrationRequest): Promise<{ errorCode: number; brokerEpoch: number }> {
    if (!this.isActive()) return { errorCode: ErrorCode.NOT_CONTROLLER, brokerEpoch: -1 };
    if (req.clusterId !== this.image.clusterId)
      return { errorCode: ErrorCode.INCONSISTENT_CLUSTER_ID, brokerEpoch: -1 };
    let epoch = -1;
    await this.controller.commit(() => {
      const previous = this.image.brokers.get(req.brokerId);
      // A broker back with a new incarnation before its session expired (kill -9 and restart) is
      // handled as if fenced first: its leaderships move while it recovers its logs.
      const records: MetadataRecord[] = previous && !previous.fenced ? this.fenceRecords(req.brokerId) : [];
      epoch = this.nextOffset() + records.length;
      records.push({
        type: 'RegisterBroker',
        brokerId: req.brokerId,
        incarnationId: req.incarnationId,
        brokerEpoch: epoch,
        endpoints: req.endpoints,
        rack: req.rack,
        fenced: true,
      });
      return records;
    });
    this.lastSeen.set(req.brokerId, Date.now());
    this.metadataOffsets.delete(req.brokerId);
    this.controlledShutdownOffsets.delete(req.brokerId);
    this.log.info(`registered broker ${req.brokerId} with epoch ${epoch}`);
    return { errorCode: 0, brokerEpoch: epoch };
  }

  async heartbeat(req: HeartbeatRequest): Promise<HeartbeatResult> {
    const reply = (errorCode: number, isFenced = true, shouldShutDown = false, isCaughtUp = false) => ({
      errorCode,
      isCaughtUp,
      isFenced,
      shouldShutDown,
    });
    if (!this.isActive()) return reply(ErrorCode.NOT_CONTROLLER);
    const broker = this.image.brokers.get(req.brokerId);
    if (!broker) return reply(ErrorCode.BROKER_ID_NOT_REGISTERED);
    if (broker.epoch !== req.brokerEpoch) return reply(ErrorCode.STALE_BROKER_EPOCH);
    this.lastSeen.set(req.brokerId, Date.now());
    this.metadataOffsets.set(req.brokerId, req.currentMetadataOffset);
    const caughtUp = req.currentMetadataOffset >= broker.epoch;
    if (req.wantShutDown) return reply(0, true, await this.controlledShutdown(req, broker.fenced), caughtUp);
    if (broker.fenced && caughtUp && !req.wantFence) {
      await this.controller.commit(() => {
        const b = this.image.brokers.get(req.brokerId);
        return b?.fenced && b.epoch === req.brokerEpoch ? this.unfenceRecords(req.brokerId) : [];
      });
      this.log.info(`unfenced broker ${req.brokerId}`);
    }
    const now = this.image.brokers.get(req.brokerId);
    return reply(0, now?.fenced ?? true, false, caughtUp);
  }

  /**
   * A heartbeat with wantShutDown: the first one moves the broker's leaderships away and fences it
   * (fenceRecords), noting the offset of the last of those records; each answers whether the broker
   * may stop now (Kafka's BrokerHeartbeatManager CONTROLLED_SHUTDOWN -> SHUTDOWN_NOW). A broker that
   * was already fenced when it asked leads nothing and may stop at once.
   */
  private async controlledShutdown(req: HeartbeatRequest, wasFenced: boolean): Promise<boolean> {
    const id = req.brokerId;
    let offset = this.controlledShutdownOffsets.get(id);
    if (offset === undefined) {
      if (wasFenced) return true;
      let planned = -1;
      await this.controller.commit(() => {
        const b = this.image.brokers.get(id);
        if (!b || b.epoch !== req.brokerEpoch) return [];
        const records = this.fenceRecords(id);
        planned = this.nextOffset() + records.length - 1;
        return records;
      });
      if (planned < 0) return false; // re-registered meanwhile: the next heartbeat is answered STALE_BROKER_EPOCH
      offset = this.controlledShutdownOffsets.get(id) ?? planned;
      this.controlledShutdownOffsets.set(id, offset);
      this.log.info(`controlled shutdown of broker ${id}: leaderships moved, broker fenced (offset ${offset})`);
    }
    const lowest = this.lowestActiveOffset();
    const done = req.currentMetadataOffset >= offset && lowest >= offset;
    if (done) {
      this.log.info(
        `broker ${id} may shut down: it has applied offset ${req.currentMetadataOffset} and every active broker at least ${lowest} (its moves end at ${offset})`,
      );
    }
    return done;
  }

  /** The lowest metadata offset the unfenced brokers reported (-1 for one not heard from yet). */
  private lowestActiveOffset(): number {
    let lowest = Number.MAX_SAFE_INTEGER;
    for (const b of this.image.brokers.values()) {
      if (b.fenced) continue;
      lowest = Math.min(lowest, this.metadataOffsets.get(b.id) ?? -1);
    }
    return lowest;
  }

  /** UnregisterBroker: the broker leaves the cluster for good. */
  async unregister(brokerId: number): Promise<number> {
    if (!this.isActive()) return ErrorCode.NOT_CONTROLLER;
    if (!this.image.brokers.has(brokerId)) return ErrorCode.BROKER_ID_NOT_REGISTERED;
    await this.controller.commit(() => {
      const b = this.image.brokers.get(brokerId);
      return b && !b.fenced ? this.fenceRecords(brokerId) : [];
    });
    this.lastSeen.delete(brokerId);
    this.metadataOffsets.delete(brokerId);
    this.controlledShutdownOffsets.delete(brokerId);
    return 0;
  }

  private async expireSessions(now = Date.now()): Promise<void> {
    if (!this.isActive() || this.fencing) return;
    const expired = [...this.image.brokers.values()].filter((b) => {
      if (b.fenced) return false;
      const seen = this.lastSeen.get(b.id);
      if (seen === undefined) {
        this.lastSeen.set(b.id, now);
        return false;
      }
      return now - seen > this.sessionTimeoutMs;
    });
    if (expired.length === 0) return;
    this.fencing = true;
    try {
      for (const b of expired) {
        await this.controller.commit(() => {
          const current = this.image.brokers.get(b.id);
          return current && !current.fenced && current.epoch === b.epoch ? this.fenceRecords(b.id) : [];
        });
        this.log.warn(`fenced broker ${b.id}: no heartbeat for ${now - (this.lastSeen.get(b.id) ?? now)} ms`);
      }
    } catch (e) {
      this.log.warn(`fencing failed: ${(e as Error).message}`);
    } finally {
      this.fencing = false;
    }
  }

  /**
   * Moves `brokerId` out of every ISR (but the last member) and its leaderships to other live ISR
   * members, or to any live replica where unclean.leader.election.enable allows it (planBrokerLeaving,
   * the one path for fencing, controlled shutdown and unregistration), then fences it.
   */
  fenceRecords(brokerId: number): MetadataRecord[] {
    const broker = this.image.brokers.get(brokerId);
    const records = planBrokerLeaving(this.image, brokerId, this.uncleanAllowed);
    if (broker && !broker.fenced) records.push({ type: 'FenceBroker', brokerId, brokerEpoch: broker.epoch });
    return records;
  }

  /** Unfences `brokerId` and makes it leader of the partitions left leaderless that it is in the ISR of. */
  private unfenceRecords(brokerId: number): MetadataRecord[] {
    const broker = this.image.brokers.get(brokerId);
    if (!broker) return [];
    const records: MetadataRecord[] = [{ type: 'UnfenceBroker', brokerId, brokerEpoch: broker.epoch }];
    for (const topic of this.image.topics.values()) {
      for (const p of topic.partitions) {
        if (p && p.leader === -1 && p.isr.includes(brokerId)) {
          records.push({ type: 'PartitionChange', topicId: topic.id, partitionId: p.partitionId, leader: brokerId });
        }
      }
    }
    return records;
  }

  close(): void {
    clearInterval(this.timer);
  }
}

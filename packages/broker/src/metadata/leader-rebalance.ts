/**
 * Leader elections the active controller runs by itself:
 * - auto.leader.rebalance.enable (Kafka's checkAndTriggerAutoLeaderRebalance): every
 *   leader.imbalance.check.interval.seconds, leadership moves back to preferred replicas (the first of
 *   each replica list) on brokers whose share of partitions led elsewhere exceeds
 *   leader.imbalance.per.broker.percentage, when the preferred replica is alive and in the ISR. After a
 *   failover and restart this spreads leaders over the brokers again without an operator's ElectLeaders.
 * - every second, partitions without a live leader get one: a live ISR member (a clean election, for
 *   partitions whose last leader came back; the quorum's unfencing does this at once, this is the
 *   backstop), or, where unclean.leader.election.enable allows it (topic or broker; off by default),
 *   any live replica. Kafka triggers these on broker changes; polling the image gives the same result
 *   a moment later.
 */
import type { BrokerConfig } from '../config/broker-config.js';
import type { Logger } from '../logger.js';
import type { Controller } from './controller.js';
import type { MetadataImage } from './image.js';
import {
  planOfflinePartitions,
  planPreferredLeaderRebalance,
  planUncleanElections,
  uncleanElectionPolicy,
} from './replication-control.js';

const OFFLINE_CHECK_MS = 1000;

export class LeaderRebalancer {
  private timer: NodeJS.Timeout | undefined;
  private offlineTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly image: MetadataImage,
    private readonly controller: Controller,
    private readonly config: BrokerConfig,
    private readonly log: Logger,
    /** Whether this node is the active controller (only it rebalances); always true without a quorum. */
    private readonly isActiveController: () => boolean = () => true,
  ) {}

  start(): void {
    if (this.timer || this.stopped) return;
    const schedule = () => {
      const intervalMs = Math.max(1, this.config.long('leader.imbalance.check.interval.seconds')) * 1000;
      this.timer = setTimeout(() => {
        this.runOnce().finally(() => {
          if (!this.stopped) schedule();
        });
      }, intervalMs);
      this.timer.unref();
    };
    schedule();
    this.offlineTimer = setInterval(() => void this.electOffline(), OFFLINE_CHECK_MS);
    this.offlineTimer.unref();
  }

  /** One pass over leaderless partitions; resolves with the number that got a leader. */
  async electOffline(): Promise<number> {
    if (!this.isActiveController()) return 0;
    const offline = [...this.image.topics.values()].some((t) =>
      t.partitions.some((p) => p && (p.leader < 0 || this.image.brokers.get(p.leader)?.fenced !== false)),
    );
    if (!offline) return 0;
    let elected = 0;
    let unclean = 0;
    try {
      await this.controller.commit(() => {
        const clean = planOfflinePartitions(this.image, false);
        const rest = planUncleanElections(this.image, uncleanElectionPolicy(this.image, this.config));
        elected = clean.length + rest.length;
        unclean = rest.length;
        return [...clean, ...rest];
      });
      if (unclean > 0) this.log.warn(`unclean leader election for ${unclean} partition(s): records may be lost`);
    } catch (e) {
      this.log.warn(`leader election for offline partitions failed: ${(e as Error).message}`);
      elected = 0;
    }
    return elected;
  }

  /** One preferred-leader check; resolves with the number of partitions whose leadership moved. */
  async runOnce(): Promise<number> {
    if (!this.config.bool('auto.leader.rebalance.enable') || !this.isActiveController()) return 0;
    let moved = 0;
    try {
      await this.controller.commit(() => {
        const records = planPreferredLeaderRebalance(
          this.image,
          this.config.int('leader.imbalance.per.broker.percentage'),
        );
        moved = records.length;
        return records;
      });
      if (moved > 0) this.log.info(`moved ${moved} partition leadership(s) back to preferred replicas`);
    } catch (e) {
      this.log.warn(`preferred leader rebalance failed: ${(e as Error).message}`);
      moved = 0;
    }
    return moved;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.offlineTimer);
  }
}

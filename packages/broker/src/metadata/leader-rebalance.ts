/**
 * auto.leader.rebalance.enable (Kafka's checkAndTriggerAutoLeaderRebalance): every
 * leader.imbalance.check.interval.seconds the controller moves leadership back to preferred replicas
 * (the first of each replica list) on brokers whose share of partitions led elsewhere exceeds
 * leader.imbalance.per.broker.percentage, when the preferred replica is alive and in the ISR. After a
 * failover and restart this spreads leaders over the brokers again without an operator's ElectLeaders.
 */
import type { BrokerConfig } from '../config/broker-config.js';
import type { Logger } from '../logger.js';
import type { Controller } from './controller.js';
import type { MetadataImage } from './image.js';
import { planPreferredLeaderRebalance } from './replication-control.js';

export class LeaderRebalancer {
  private timer: NodeJS.Timeout | undefined;
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
  }

  /** One check; resolves with the number of partitions whose leadership moved. */
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
  }
}

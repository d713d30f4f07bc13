/**
 * A broker's side of its membership in a quorum cluster (Kafka's BrokerLifecycleManager, KIP-631):
 * register with the active controller (BrokerRegistration, 62), then heartbeat (BrokerHeartbeat, 63)
 * every broker.heartbeat.interval.ms with the metadata offset it has applied, so the controller
 * unfences it once caught up. A heartbeat answered STALE_BROKER_EPOCH or BROKER_ID_NOT_REGISTERED
 * (the controller lost or replaced our registration) registers again. Controlled shutdown heartbeats
 * with wantShutDown until the controller answers shouldShutDown (it has moved our leaderships away and
 * every active broker has applied that) and our own image shows none of our leaderships left.
 */
import { ApiKey, defaultBrokerRegistrationRequest, ErrorCode, randomUuid } from '@flotilla/protocol';
import type { Logger } from '../logger.js';
import type { MetadataImage } from '../metadata/image.js';
import type { EndpointRecord } from '../metadata/records.js';
import type { ControllerChannel } from './controller-channel.js';

const SECURITY_PROTOCOL_IDS: Record<string, number> = { PLAINTEXT: 0, SSL: 1, SASL_PLAINTEXT: 2, SASL_SSL: 3 };

export class BrokerLifecycle {
  private epoch = -1;
  private fencedValue = true;
  private readonly incarnationId = randomUuid();
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private stopped = false;

  constructor(
    private readonly channel: ControllerChannel,
    private readonly image: MetadataImage,
    private readonly nodeId: number,
    private readonly endpoints: () => readonly EndpointRecord[],
    private readonly rack: string | null,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  get brokerEpoch(): number {
    return this.epoch;
  }

  get fenced(): boolean {
    return this.fencedValue;
  }

  /** Registers, starts heartbeating, and waits (up to `timeoutMs`) to be unfenced. */
  async start(timeoutMs: number): Promise<boolean> {
    await this.register(timeoutMs);
    this.timer = setInterval(() => void this.beat(), this.intervalMs);
    const deadline = Date.now() + timeoutMs;
    while (this.fencedValue && Date.now() < deadline && !this.stopped) {
      await this.beat();
      if (this.fencedValue) await new Promise((r) => setTimeout(r, 100));
    }
    return !this.fencedValue;
  }

  private async register(timeoutMs: number): Promise<void> {
    const response = await this.channel.request(
      ApiKey.BrokerRegistration,
      {
        ...defaultBrokerRegistrationRequest(),
        brokerId: this.nodeId,
        clusterId: this.image.clusterId,
        incarnationId: this.incarnationId,
        listeners: this.endpoints().map((e) => ({
          name: e.name,
          host: e.host,
          port: e.port,
          securityProtocol: SECURITY_PROTOCOL_IDS[e.securityProtocol] ?? 0,
        })),
        rack: this.rack,
        previousBrokerEpoch: BigInt(this.epoch),
      },
      { timeoutMs, isNotController: (r) => r.errorCode === ErrorCode.NOT_CONTROLLER },
    );
    if (response.errorCode !== 0) throw new Error(`broker registration failed with error ${response.errorCode}`);
    this.epoch = Number(response.brokerEpoch);
    this.fencedValue = true;
    this.log.info(`registered with the controller, broker epoch ${this.epoch}`);
  }

  private async beat(wantShutDown = false): Promise<{ shouldShutDown: boolean } | null> {
    if (this.busy && !wantShutDown) return null;
    this.busy = true;
    try {
      const response = await this.channel.request(
        ApiKey.BrokerHeartbeat,
        {
          brokerId: this.nodeId,
          brokerEpoch: BigInt(this.epoch),
          currentMetadataOffset: BigInt(this.image.offset),
          wantFence: false,
          wantShutDown,
          offlineLogDirs: [],
        },
        { timeoutMs: this.intervalMs * 3, isNotController: (r) => r.errorCode === ErrorCode.NOT_CONTROLLER },
      );
      if (
        response.errorCode === ErrorCode.STALE_BROKER_EPOCH ||
        response.errorCode === ErrorCode.BROKER_ID_NOT_REGISTERED
      ) {
        if (!wantShutDown) await this.register(this.intervalMs * 5);
        return null;
      }
      if (response.errorCode !== 0) return null;
      if (this.fencedValue !== response.isFenced) {
        this.log.info(response.isFenced ? 'fenced by the controller' : 'unfenced by the controller');
      }
      this.fencedValue = response.isFenced;
      return { shouldShutDown: response.shouldShutDown };
    } catch (e) {
      this.log.debug(`heartbeat failed: ${(e as Error).message}`);
      return null;
    } finally {
      this.busy = false;
    }
  }

  /**
   * Asks the controller to move our leaderships away; resolves true once it says we may stop and our
   * own image agrees (no partition led by us), false after `timeoutMs`. Heartbeats go out every 50 ms
   * meanwhile: the answer waits for records to be applied here and on the other brokers, which takes
   * a few fetch round trips, not a heartbeat interval.
   */
  async controlledShutdown(timeoutMs: number): Promise<boolean> {
    this.stopped = true;
    clearInterval(this.timer);
    if (this.epoch < 0) return false;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const r = await this.beat(true);
      if (r?.shouldShutDown && this.leadsNothing()) return true;
      await new Promise((res) => setTimeout(res, 50));
    }
    return false;
  }

  private leadsNothing(): boolean {
    for (const t of this.image.topics.values()) {
      for (const p of t.partitions) if (p?.leader === this.nodeId) return false;
    }
    return true;
  }

  close(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }
}

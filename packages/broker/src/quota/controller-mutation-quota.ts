/**
 * Controller mutation quotas (KIP-599, Kafka's ControllerMutationQuotaManager): the rate at which a
 * user / client id may create and delete partitions (CreateTopics, CreatePartitions, DeleteTopics),
 * from `controller_mutation_rate` with the same entity precedence as the byte rates. Kafka measures
 * it with a token bucket: `rate` tokens per second, at most rate x quota.window.num x
 * quota.window.size.seconds kept; each partition takes one token and the balance may go negative.
 *
 * Strict requests (CreateTopics v6+, CreatePartitions v3+, DeleteTopics v5+) refuse a topic with
 * THROTTLING_QUOTA_EXCEEDED once the balance is below zero; older ones are always applied and only
 * report the throttle time. The throttle time is how long until the balance is back to zero.
 *
 * Differs from Kafka: the connection is not muted for a controller mutation throttle (clients of the
 * strict versions back off by themselves); the quota is held where the request is handled, i.e. on
 * the active controller for forwarded requests, as in KRaft.
 */
import type { MetadataImage } from '../metadata/image.js';
import { ClientQuotaManager, type QuotaSession, type QuotaWindowSettings } from './client-quota-manager.js';
import { QuotaKey } from './client-quotas.js';

interface Bucket {
  tokens: number;
  lastMs: number;
}

/** One request's view of its quota. */
export interface ControllerMutationQuota {
  /**
   * Takes `partitions` tokens. False (the topic gets THROTTLING_QUOTA_EXCEEDED) when the request is
   * strict and the balance is already below zero.
   */
  record(partitions: number): boolean;
  /** The throttle time for the response: 0 unless the quota is exceeded. */
  throttleTimeMs(): number;
}

const UNLIMITED: ControllerMutationQuota = { record: () => true, throttleTimeMs: () => 0 };

export class ControllerMutationQuotas {
  private readonly lookup: ClientQuotaManager;
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    image: MetadataImage,
    private readonly settings: QuotaWindowSettings,
  ) {
    this.lookup = new ClientQuotaManager(image, QuotaKey.CONTROLLER_MUTATION_RATE, settings);
  }

  forRequest(session: QuotaSession, strict: boolean): ControllerMutationQuota {
    const q = this.lookup.resolve(session);
    if (!q) return UNLIMITED;
    const rate = q.bound;
    const burst = rate * this.settings.windows() * (this.settings.windowMs() / 1000);
    const now = () => this.settings.now?.() ?? Date.now();
    let bucket = this.buckets.get(q.sensorKey);
    if (!bucket) {
      bucket = { tokens: burst, lastMs: now() };
      this.buckets.set(q.sensorKey, bucket);
    }
    const b = bucket;
    const refill = () => {
      const t = now();
      b.tokens = Math.min(burst, b.tokens + (rate * (t - b.lastMs)) / 1000);
      b.lastMs = t;
    };
    const throttle = () => (b.tokens < 0 ? Math.round((-b.tokens / rate) * 1000) : 0);
    let throttled = 0;
    return {
      record(partitions) {
        refill();
        if (strict && b.tokens < 0) {
          throttled = Math.max(throttled, throttle());
          return false;
        }
        b.tokens -= partitions;
        if (!strict) throttled = Math.max(throttled, throttle());
        return true;
      },
      throttleTimeMs: () => throttled,
    };
  }
}

/**
 * Replication quotas (KIP-73, Kafka's ReplicationQuotaManager): one for the leader side (bytes this
 * broker returns to followers) and one for the follower side (bytes its fetchers copy), each with a
 * rate bound from the dynamic broker configs leader.replication.throttled.rate and
 * follower.replication.throttled.rate, applied only to the partitions that the topic configs
 * leader.replication.throttled.replicas / follower.replication.throttled.replicas name for this broker
 * (`partition:broker` pairs whose broker is this one, or `*` for every partition of the topic).
 *
 * As in Kafka, a replica in the ISR is never held back (so a throttle cannot push it out of the ISR and
 * stall acks=all producers), but bytes of throttled partitions count against the quota whoever fetched
 * them; a partition is held back only while the measured rate is above the bound.
 *
 * Differs from Kafka: the rate is measured over the time actually covered by the samples (at least one
 * window), where Kafka's Rate assumes window.num - 1 full windows from the first sample on, which lets a
 * fresh move copy about ten seconds' worth of the bound at full speed before the throttle bites.
 */
import type { MetadataImage } from '../metadata/image.js';

export type ReplicationQuotaType = 'leader' | 'follower';

const LONG_MAX_AS_NUMBER = 2 ** 63 - 1024;

interface Sample {
  start: number;
  bytes: number;
}

export interface ReplicationQuotaOptions {
  /** The bound in bytes/s, read at each check so that a dynamic change applies at once. */
  readonly rate: () => number;
  /** The topic config naming the throttled replicas (`partition:broker,...`, `*`, or null/empty). */
  readonly throttledReplicas: (topic: string) => string | null;
  readonly brokerId: number;
  readonly windowMs?: () => number;
  readonly windows?: () => number;
  readonly now?: () => number;
}

export class ReplicationQuota {
  private readonly samples: Sample[] = [];
  private readonly parsed = new Map<string, { text: string; all: boolean; partitions: Set<number> }>();
  /** Bytes recorded in all (the byte-rate metric reads the window; this is the running total). */
  bytesTotal = 0;
  /** Times a throttled partition was held back (not read, or not fetched) because the quota was exceeded. */
  throttledCount = 0;

  constructor(private readonly options: ReplicationQuotaOptions) {}

  private get now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private get windowMs(): number {
    return this.options.windowMs?.() ?? 1000;
  }

  /** The bound in bytes/s; Infinity when unset (Long.MAX_VALUE, Kafka's default). */
  get bound(): number {
    const r = this.options.rate();
    return r >= LONG_MAX_AS_NUMBER ? Number.POSITIVE_INFINITY : r;
  }

  /** Whether `topic`-`partition` is a throttled replica on this broker (Kafka's isThrottled). */
  isThrottled(topic: string, partition: number): boolean {
    const text = this.options.throttledReplicas(topic)?.trim() ?? '';
    if (text === '') {
      this.parsed.delete(topic);
      return false;
    }
    let entry = this.parsed.get(topic);
    if (entry?.text !== text) {
      const partitions = new Set<number>();
      for (const item of text.split(',')) {
        const [p, b] = item.trim().split(':');
        if (Number(b) === this.options.brokerId) partitions.add(Number(p));
      }
      entry = { text, all: text === '*', partitions };
      this.parsed.set(topic, entry);
    }
    return entry.all || entry.partitions.has(partition);
  }

  record(bytes: number): void {
    if (bytes <= 0) return;
    this.bytesTotal += bytes;
    const now = this.now;
    this.expire(now);
    const last = this.samples.at(-1);
    if (last && now - last.start < this.windowMs) last.bytes += bytes;
    else this.samples.push({ start: now, bytes });
  }

  private expire(now: number): void {
    const keep = (this.options.windows?.() ?? 11) * this.windowMs;
    while (this.samples.length > 0 && now - (this.samples[0] as Sample).start >= keep) this.samples.shift();
  }

  /** Bytes/s over the kept samples, measured over at least one window. */
  rate(): number {
    const now = this.now;
    this.expire(now);
    const first = this.samples[0];
    if (!first) return 0;
    const total = this.samples.reduce((sum, s) => sum + s.bytes, 0);
    return total / (Math.max(now - first.start, this.windowMs) / 1000);
  }

  isQuotaExceeded(): boolean {
    const bound = this.bound;
    return Number.isFinite(bound) && this.rate() > bound;
  }

  /**
   * How long until the rate falls back to the bound with nothing more recorded (Kafka's quota throttle
   * time, (rate - bound) / bound * window); 0 when not exceeded.
   */
  throttleTimeMs(): number {
    const bound = this.bound;
    if (!Number.isFinite(bound)) return 0;
    const now = this.now;
    const first = this.samples[0];
    if (!first) return 0;
    const rate = this.rate();
    if (rate <= bound) return 0;
    const elapsed = Math.max(now - first.start, this.windowMs);
    if (bound <= 0) return this.windowMs;
    return Math.ceil(((rate - bound) / bound) * elapsed);
  }
}

export interface ReplicationQuotas {
  readonly leader: ReplicationQuota;
  readonly follower: ReplicationQuota;
}

/** The two quotas of a broker, reading their bounds and throttled replicas from `config` and `image`. */
export function replicationQuotas(
  brokerId: number,
  image: MetadataImage,
  settings: {
    readonly rate: (type: ReplicationQuotaType) => number;
    readonly windowMs?: () => number;
    readonly windows?: () => number;
  },
): ReplicationQuotas {
  const make = (type: ReplicationQuotaType) =>
    new ReplicationQuota({
      brokerId,
      rate: () => settings.rate(type),
      throttledReplicas: (topic) =>
        image.topics.get(topic)?.configs.get(`${type}.replication.throttled.replicas`) ?? null,
      windowMs: settings.windowMs,
      windows: settings.windows,
    });
  return { leader: make('leader'), follower: make('follower') };
}

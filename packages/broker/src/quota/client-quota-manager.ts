/**
 * Client byte-rate quotas as Kafka's ClientQuotaManager enforces them (KIP-13, KIP-55, KIP-219): one
 * manager for produce (bytes of the request) and one for fetch (bytes of the response).
 *
 * A request's quota comes from the most specific entity that has a value for the key, in Kafka's
 * order: user+client-id, user+default client-id, user, default user+client-id, default user+default
 * client-id, default user, client-id, default client-id. Clients that match the same entity share
 * one rate sensor, except that a default entity is per user / client-id (a sensor's key keeps the
 * dimensions the entity names: an entity of user alice alone is shared by all of alice's clients).
 *
 * The rate is Kafka's Rate over quota.window.num samples of quota.window.size.seconds each, measured
 * over at least window.num - 1 whole windows (so a fresh client may burst that many windows' worth
 * before it is throttled, as in Kafka). When recording makes the rate exceed the bound, the throttle
 * time is (rate - bound) / bound * measured window, as QuotaUtils.throttleTime computes it.
 *
 * Entities and values are read from the metadata image on each request, so every broker of a quorum
 * applies a change once its metadata log has it.
 */
import { type MetadataImage, quotaEntityKey } from '../metadata/image.js';
import { QuotaEntityType, QuotaKey } from './client-quotas.js';

interface Sample {
  value: number;
  start: number;
}

/** Kafka's SampledStat + Rate (org.apache.kafka.common.metrics.stats.Rate), for one sensor. */
export class QuotaRate {
  private readonly samples: Sample[] = [];
  private current = 0;
  lastRecordMs = 0;

  constructor(
    private readonly windowMs: () => number,
    private readonly windows: () => number,
  ) {}

  record(value: number, now: number): void {
    this.lastRecordMs = now;
    let sample = this.samples[this.current];
    if (!sample) {
      sample = { value: 0, start: now };
      this.samples.push(sample);
    } else if (now >= sample.start + this.windowMs()) {
      this.current = (this.current + 1) % this.windows();
      sample = this.samples[this.current];
      if (!sample) {
        sample = { value: 0, start: now };
        this.samples[this.current] = sample;
      } else {
        sample.value = 0;
        sample.start = now;
      }
    }
    sample.value += value;
  }

  /** Rate.windowSize: time since the oldest sample, at least window.num - 1 whole windows, at least 1 ms. */
  windowSize(now: number): number {
    this.purge(now);
    const windowMs = this.windowMs();
    let oldest = now;
    for (const s of this.samples) oldest = Math.min(oldest, s.start);
    let elapsed = now - oldest;
    const full = Math.floor(elapsed / windowMs);
    const minFull = this.windows() - 1;
    if (full < minFull) elapsed += (minFull - full) * windowMs;
    return Math.max(elapsed, 1);
  }

  /** Bytes/s. */
  measure(now: number): number {
    this.purge(now);
    const total = this.samples.reduce((sum, s) => sum + s.value, 0);
    return total / (this.windowSize(now) / 1000);
  }

  private purge(now: number): void {
    const expireAge = this.windows() * this.windowMs();
    for (const s of this.samples) {
      if (now - s.start >= expireAge) {
        s.value = 0;
        s.start = now;
      }
    }
  }
}

/** The connection a request came from, as quotas see it. */
export interface QuotaSession {
  /** The principal's name (User:alice -> alice). */
  readonly user: string;
  readonly clientId: string;
}

export function quotaSession(principal: string, clientId: string | null): QuotaSession {
  const colon = principal.indexOf(':');
  return { user: colon >= 0 ? principal.slice(colon + 1) : principal, clientId: clientId ?? '' };
}

interface ResolvedQuota {
  readonly bound: number;
  /** The sensor this request records into. */
  readonly sensorKey: string;
}

export interface QuotaWindowSettings {
  readonly windowMs: () => number;
  readonly windows: () => number;
  readonly now?: () => number;
}

/** Sensors idle this long are dropped (Kafka expires client sensors after an hour of inactivity). */
const SENSOR_IDLE_MS = 3_600_000;

export class ClientQuotaManager {
  private readonly sensors = new Map<string, QuotaRate>();
  private lastPurge = 0;

  constructor(
    private readonly image: MetadataImage,
    private readonly key: string,
    private readonly settings: QuotaWindowSettings,
  ) {}

  private now(): number {
    return this.settings.now?.() ?? Date.now();
  }

  /** DefaultQuotaCallback.findQuota: the first entity in Kafka's precedence that has a value for the key. */
  resolve(session: QuotaSession): ResolvedQuota | null {
    if (this.image.clientQuotas.size === 0) return null;
    const { user, clientId } = session;
    const U = QuotaEntityType.USER;
    const C = QuotaEntityType.CLIENT_ID;
    // [entity as [type, name] pairs, the sensor's user and client-id tags]
    const candidates: [[string, string | null][], string, string][] = [
      [
        [
          [U, user],
          [C, clientId],
        ],
        user,
        clientId,
      ],
      [
        [
          [U, user],
          [C, null],
        ],
        user,
        clientId,
      ],
      [[[U, user]], user, ''],
      [
        [
          [U, null],
          [C, clientId],
        ],
        user,
        clientId,
      ],
      [
        [
          [U, null],
          [C, null],
        ],
        user,
        clientId,
      ],
      [[[U, null]], user, ''],
      [[[C, clientId]], '', clientId],
      [[[C, null]], '', clientId],
    ];
    for (const [entity, userTag, clientTag] of candidates) {
      const key = quotaEntityKey(entity.map(([entityType, entityName]) => ({ entityType, entityName })));
      const value = this.image.clientQuotas.get(key)?.values.get(this.key);
      if (value !== undefined) return { bound: value, sensorKey: JSON.stringify([userTag, clientTag]) };
    }
    return null;
  }

  /** The largest value one request may record without being sure to be throttled (getMaxValueInQuotaWindow). */
  maxValueInQuotaWindow(session: QuotaSession): number {
    const q = this.resolve(session);
    if (!q) return Number.POSITIVE_INFINITY;
    return q.bound * (this.settings.windows() - 1) * (this.settings.windowMs() / 1000);
  }

  /** Records `bytes` for the session; the time to throttle it for, 0 when within its quota. */
  recordAndGetThrottleTimeMs(session: QuotaSession, bytes: number): number {
    const q = this.resolve(session);
    if (!q) return 0;
    const now = this.now();
    const rate = this.sensor(q.sensorKey, now);
    rate.record(bytes, now);
    const observed = rate.measure(now);
    if (!(observed > q.bound)) return 0;
    return Math.round(((observed - q.bound) / q.bound) * rate.windowSize(now));
  }

  /** Takes back a recorded value (a throttled fetch whose data is not sent). */
  unrecord(session: QuotaSession, bytes: number): void {
    const q = this.resolve(session);
    if (!q) return;
    const now = this.now();
    this.sensor(q.sensorKey, now).record(-bytes, now);
  }

  private sensor(key: string, now: number): QuotaRate {
    if (now - this.lastPurge > 60_000) {
      this.lastPurge = now;
      for (const [k, s] of this.sensors) if (now - s.lastRecordMs > SENSOR_IDLE_MS) this.sensors.delete(k);
    }
    let s = this.sensors.get(key);
    if (!s) {
      s = new QuotaRate(this.settings.windowMs, this.settings.windows);
      this.sensors.set(key, s);
    }
    return s;
  }
}

export interface ClientQuotaManagers {
  readonly produce: ClientQuotaManager;
  readonly fetch: ClientQuotaManager;
}

export function clientQuotaManagers(image: MetadataImage, settings: QuotaWindowSettings): ClientQuotaManagers {
  return {
    produce: new ClientQuotaManager(image, QuotaKey.PRODUCER_BYTE_RATE, settings),
    fetch: new ClientQuotaManager(image, QuotaKey.CONSUMER_BYTE_RATE, settings),
  };
}

/**
 * KIP-219: from Produce v6 and Fetch v8 the client itself holds back for the throttle time, so the
 * broker answers at once and then stops reading from the connection; older clients get a delayed
 * response (Kafka's AbstractResponse.shouldClientThrottle).
 */
export function clientThrottles(apiKey: 'produce' | 'fetch', version: number): boolean {
  return version >= (apiKey === 'produce' ? 6 : 8);
}

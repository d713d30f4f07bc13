/**
 * Per-IP connection creation rate quotas (KIP-612, Kafka's ConnectionQuotas.recordIpConnectionMaybeThrottle):
 * `connection_creation_rate` of the `ip` entity for the client's address, else of the default ip
 * entity. A new connection that would take the address over its rate is not counted and is closed
 * after the throttle time, (rate - bound) / bound x window, at most one quota window, as Kafka's
 * acceptor closes a throttled socket once its delay has passed.
 *
 * Differs from Kafka: entity names are compared as address strings (an IPv4-mapped IPv6 address is
 * taken as its IPv4 form), not resolved; the controller listener is not limited.
 */
import { type MetadataImage, quotaEntityKey } from '../metadata/image.js';
import { QuotaRate, type QuotaWindowSettings } from './client-quota-manager.js';
import { QuotaEntityType, QuotaKey } from './client-quotas.js';

export class ConnectionQuotas {
  private readonly rates = new Map<string, QuotaRate>();

  constructor(
    private readonly image: MetadataImage,
    private readonly settings: QuotaWindowSettings,
  ) {}

  private bound(address: string): number | undefined {
    for (const name of [address, null]) {
      const key = quotaEntityKey([{ entityType: QuotaEntityType.IP, entityName: name }]);
      const value = this.image.clientQuotas.get(key)?.values.get(QuotaKey.IP_CONNECTION_RATE);
      if (value !== undefined) return value;
    }
    return undefined;
  }

  /** Counts a new connection from `remoteAddress`: 0 to accept it, else the ms after which to close it. */
  recordConnection(remoteAddress: string): number {
    if (this.image.clientQuotas.size === 0) return 0;
    const address = remoteAddress.replace(/^::ffff:/, '');
    const bound = this.bound(address);
    if (bound === undefined) {
      this.rates.delete(address);
      return 0;
    }
    const now = this.settings.now?.() ?? Date.now();
    let rate = this.rates.get(address);
    if (!rate) {
      rate = new QuotaRate(this.settings.windowMs, this.settings.windows);
      this.rates.set(address, rate);
    }
    rate.record(1, now);
    const observed = rate.measure(now);
    if (!(observed > bound)) return 0;
    rate.record(-1, now);
    const throttleMs = Math.round(((observed - bound) / bound) * rate.windowSize(now));
    return Math.max(1, Math.min(throttleMs, this.settings.windowMs()));
  }
}

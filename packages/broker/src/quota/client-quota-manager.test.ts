/**
 * Which quota applies to a (user, client-id) in Kafka's precedence, which clients share a sensor, and
 * Kafka's Rate and throttle time over the quota windows (a fake clock; the broker-level behaviour is in
 * test/client-quotas.test.ts against real clients).
 */
import { describe, expect, it } from 'vitest';
import { MetadataImage } from '../metadata/image.js';
import type { QuotaEntityPart } from '../metadata/records.js';
import { ClientQuotaManager, QuotaRate, quotaSession } from './client-quota-manager.js';

function imageWith(quotas: [QuotaEntityPart[], number][]): MetadataImage {
  const image = new MetadataImage('c');
  quotas.forEach(([entity, value], i) => {
    image.apply({ type: 'ClientQuota', entity, key: 'producer_byte_rate', value }, i);
  });
  return image;
}

const U = (entityName: string | null) => ({ entityType: 'user', entityName });
const C = (entityName: string | null) => ({ entityType: 'client-id', entityName });

describe('client quota precedence (DefaultQuotaCallback)', () => {
  const levels: [QuotaEntityPart[], number][] = [
    [[U('alice'), C('app')], 1],
    [[U('alice'), C(null)], 2],
    [[U('alice')], 3],
    [[U(null), C('app')], 4],
    [[U(null), C(null)], 5],
    [[U(null)], 6],
    [[C('app')], 7],
    [[C(null)], 8],
  ];
  const settings = { windowMs: () => 1000, windows: () => 11 };

  it('takes the most specific entity that has the key, level by level', () => {
    for (let i = 0; i < levels.length; i++) {
      const manager = new ClientQuotaManager(imageWith(levels.slice(i)), 'producer_byte_rate', settings);
      expect(manager.resolve(quotaSession('User:alice', 'app'))?.bound).toBe(i + 1);
    }
    const none = new ClientQuotaManager(imageWith([[[U('bob')], 9]]), 'producer_byte_rate', settings);
    expect(none.resolve(quotaSession('User:alice', 'app'))).toBeNull();
    expect(none.resolve(quotaSession('User:bob', null))?.bound).toBe(9);
  });

  it("shares a user's sensor across its clients, but keeps default entities per user and client", () => {
    const m = (q: [QuotaEntityPart[], number][]) =>
      new ClientQuotaManager(imageWith(q), 'producer_byte_rate', settings);
    const userLevel = m([[[U('alice')], 3]]);
    expect(userLevel.resolve(quotaSession('User:alice', 'a'))?.sensorKey).toBe(
      userLevel.resolve(quotaSession('User:alice', 'b'))?.sensorKey,
    );
    const defaultClient = m([[[C(null)], 8]]);
    expect(defaultClient.resolve(quotaSession('User:x', 'a'))?.sensorKey).not.toBe(
      defaultClient.resolve(quotaSession('User:x', 'b'))?.sensorKey,
    );
    expect(defaultClient.resolve(quotaSession('User:x', 'a'))?.sensorKey).toBe(
      defaultClient.resolve(quotaSession('User:y', 'a'))?.sensorKey,
    );
  });
});

describe("Kafka's Rate and throttle time", () => {
  it('measures over at least window.num - 1 windows, then over the time the samples cover', () => {
    const rate = new QuotaRate(
      () => 1000,
      () => 11,
    );
    rate.record(10_000, 0);
    expect(rate.windowSize(0)).toBe(10_000);
    expect(rate.measure(0)).toBe(1000);
    for (let t = 1000; t <= 15_000; t += 1000) rate.record(10_000, t);
    // 11 samples kept (t = 5000..15000), the oldest started 10 s before now.
    expect(rate.windowSize(15_000)).toBe(10_000);
    expect(rate.measure(15_000)).toBe(11_000);
  });

  it('throttles by (rate - bound) / bound x window, and not below the bound', () => {
    let now = 0;
    const manager = new ClientQuotaManager(imageWith([[[C('app')], 1000]]), 'producer_byte_rate', {
      windowMs: () => 1000,
      windows: () => 2,
      now: () => now,
    });
    const session = quotaSession('User:ANONYMOUS', 'app');
    expect(manager.recordAndGetThrottleTimeMs(session, 1000)).toBe(0); // exactly the bound
    expect(manager.recordAndGetThrottleTimeMs(session, 1000)).toBe(1000); // 2000 B/s over 1 s
    now = 2000; // both samples expired
    expect(manager.recordAndGetThrottleTimeMs(session, 500)).toBe(0);
    expect(manager.maxValueInQuotaWindow(session)).toBe(1000);
    manager.unrecord(session, 500);
    expect(manager.recordAndGetThrottleTimeMs(session, 1000)).toBe(0);
  });
});

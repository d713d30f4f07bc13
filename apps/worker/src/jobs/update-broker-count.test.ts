/** The pure rebalancing plan behind scale-out and scale-in (update-broker-count.ts). */
import { describe, expect, it } from 'vitest';
import { balancedAssignment, type PartitionReplicas } from './update-broker-count.js';

function counts(assignment: Map<string, number[]>, brokers: number[]) {
  const replicas = new Map(brokers.map((b) => [b, 0]));
  const leaders = new Map(brokers.map((b) => [b, 0]));
  for (const r of assignment.values()) {
    for (const b of r) replicas.set(b, (replicas.get(b) ?? 0) + 1);
    const first = r[0];
    if (first !== undefined) leaders.set(first, (leaders.get(first) ?? 0) + 1);
  }
  return { replicas: [...replicas.values()], leaders: [...leaders.values()] };
}

const spread = (v: number[]) => Math.max(...v) - Math.min(...v);

/** 12 partitions of RF 3 on brokers 1-3, as a 3-broker cluster places them. */
const threeBrokers: PartitionReplicas[] = Array.from({ length: 12 }, (_, i) => ({
  topic: 'orders',
  partition: i,
  replicas: [1, 2, 3].map((_, k) => ((i + k) % 3) + 1),
}));

describe('balancedAssignment', () => {
  it('scale-out 3 -> 4: the new broker gets its share of replicas and leaderships, each partition keeps RF 3', () => {
    const plan = balancedAssignment(threeBrokers, [1, 2, 3, 4]);
    const { replicas, leaders } = counts(plan, [1, 2, 3, 4]);
    expect(replicas).toEqual([9, 9, 9, 9]);
    expect(spread(leaders)).toBeLessThanOrEqual(1);
    for (const r of plan.values()) expect(new Set(r).size).toBe(3);
    // Only what must move moves: 9 replicas go to broker 4, every partition keeps two of its replicas.
    for (const p of threeBrokers) {
      const next = plan.get(`orders:${p.partition}`) ?? [];
      expect(next.filter((b) => p.replicas.includes(b)).length).toBeGreaterThanOrEqual(2);
    }
  });

  it('scale-in 4 -> 3: nothing stays on the leaving broker and the rest stay balanced', () => {
    const onFour = [...balancedAssignment(threeBrokers, [1, 2, 3, 4])].map(([key, replicas]) => ({
      topic: 'orders',
      partition: Number(key.split(':')[1]),
      replicas,
    }));
    const plan = balancedAssignment(onFour, [1, 2, 3]);
    for (const r of plan.values()) expect(r).not.toContain(4);
    expect(counts(plan, [1, 2, 3]).replicas).toEqual([12, 12, 12]);
  });

  it('refuses when a partition has more replicas than the brokers left', () => {
    expect(() => balancedAssignment(threeBrokers, [1, 2])).toThrow(
      /replication factor 3, more than the 2 brokers left/,
    );
  });
});

import { ErrorCode } from '@flotilla/protocol';
import { describe, expect, it } from 'vitest';
import { assignReplicas, rackAlternatedBrokers } from './replica-placement.js';

const brokers = (spec: Record<number, string | null>) =>
  Object.entries(spec).map(([id, rack]) => ({ id: Number(id), rack }));

function seeded(values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length] as number;
}

describe('replica placement', () => {
  it('interleaves brokers rack by rack as Kafka does', () => {
    // Kafka's own example (AdminUtils.getRackAlternatedBrokerList): rack1 0,1,2; rack2 3,4; rack3 5.
    const list = rackAlternatedBrokers(
      brokers({ 0: 'rack1', 1: 'rack1', 2: 'rack1', 3: 'rack2', 4: 'rack2', 5: 'rack3' }),
    );
    expect(list.map((b) => b.id)).toEqual([0, 3, 5, 1, 4, 2]);
  });

  it('spreads replicas and leaders evenly without racks', () => {
    for (const r of [0, 0.4, 0.9]) {
      const plan = assignReplicas(brokers({ 1: null, 2: null, 3: null }), 6, 3, 0, seeded([r, 1 - r]));
      for (const replicas of plan) expect(new Set(replicas).size).toBe(3);
      const leaders = plan.map((p) => p[0]);
      for (const id of [1, 2, 3]) expect(leaders.filter((l) => l === id)).toHaveLength(2);
    }
  });

  it('puts the replicas of each partition in different racks when it can', () => {
    const six = brokers({ 1: 'a', 2: 'a', 3: 'b', 4: 'b', 5: 'c', 6: 'c' });
    const rackOf = new Map(six.map((b) => [b.id, b.rack]));
    for (const r of [0, 0.3, 0.7, 0.99]) {
      const plan = assignReplicas(six, 12, 3, 0, seeded([r, r / 2]));
      for (const replicas of plan) {
        expect(new Set(replicas).size).toBe(3);
        expect(new Set(replicas.map((id) => rackOf.get(id))).size).toBe(3);
      }
      const leaders = plan.map((p) => p[0]);
      for (const b of six) expect(leaders.filter((l) => l === b.id)).toHaveLength(2);
    }
    // Two racks, three replicas: both racks always hold one.
    const four = brokers({ 1: 'a', 2: 'a', 3: 'b', 4: 'b' });
    for (const replicas of assignReplicas(four, 8, 3, 0, seeded([0.5, 0.25]))) {
      expect(new Set(replicas).size).toBe(3);
      expect(new Set(replicas.map((id) => (id <= 2 ? 'a' : 'b'))).size).toBe(2);
    }
  });

  it('refuses a replication factor larger than the live brokers', () => {
    expect(() => assignReplicas(brokers({ 1: null, 2: null }), 1, 3, 0)).toThrow(
      expect.objectContaining({ errorCode: ErrorCode.INVALID_REPLICATION_FACTOR }),
    );
  });
});

/** The pure throttle plan of partition moves (reassignment-throttle.ts); applying it is tested in apps/api/test/day2-faults.test.ts. */
import { describe, expect, it } from 'vitest';
import { throttlePlan } from './reassignment-throttle.js';

describe('throttlePlan', () => {
  it('throttles the existing replicas on the leader side and the added ones on the follower side, as kafka-reassign-partitions does', () => {
    const plan = throttlePlan(
      [
        { topic: 'orders', partition: 0, from: [1, 2, 3], to: [4, 2, 3] },
        { topic: 'orders', partition: 3, from: [3, 1, 2], to: [3, 1, 4] },
        { topic: 'audit', partition: 1, from: [2, 3, 1], to: [2, 3, 1, 4] },
      ],
      50 * 1024 * 1024,
    );
    expect(plan).toEqual({
      rate: 50 * 1024 * 1024,
      brokers: [1, 2, 3, 4],
      topics: {
        orders: { leader: '0:1,0:2,0:3,3:3,3:1,3:2', follower: '0:4,3:4' },
        audit: { leader: '1:2,1:3,1:1', follower: '1:4' },
      },
    });
  });

  it('a move that only reorders replicas throttles no follower, and no moves involve no broker', () => {
    expect(throttlePlan([{ topic: 't', partition: 0, from: [1, 2], to: [2, 1] }], 1).topics).toEqual({
      t: { leader: '0:1,0:2', follower: '' },
    });
    expect(throttlePlan([], 1)).toEqual({ rate: 1, brokers: [], topics: {} });
  });
});

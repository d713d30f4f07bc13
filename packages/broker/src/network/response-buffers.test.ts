import { describe, expect, it } from 'vitest';
import { ResponseBufferPool } from './response-buffers.js';

describe('ResponseBufferPool', () => {
  it('lends a buffer again only after a view of it is given back', () => {
    const pool = new ResponseBufferPool();
    const a = pool.take(1024 * 1024);
    const b = pool.take(1000 * 1000); // same size class (1 MiB), but a is still out
    expect(a.length).toBe(1024 * 1024);
    expect(b.length).toBe(1000 * 1000);
    expect(b.buffer).not.toBe(a.buffer);
    pool.release(a.subarray(0, 999)); // what a response carries: the part of the read that was used
    const c = pool.take(700 * 1024);
    expect(c.buffer).toBe(a.buffer);
    expect(pool).toMatchObject({ allocated: 2, reused: 1 });
  });

  it('ignores buffers it did not lend and buffers given back twice', () => {
    const pool = new ResponseBufferPool();
    pool.release(Buffer.alloc(128 * 1024));
    const a = pool.take(128 * 1024);
    pool.release(a);
    pool.release(a);
    expect(pool.take(128 * 1024).buffer).toBe(a.buffer);
    expect(pool.take(128 * 1024).buffer).not.toBe(a.buffer);
    expect(pool).toMatchObject({ allocated: 2, reused: 1 });
  });

  it('allocates small reads as before and keeps no more idle memory than its limit', () => {
    const pool = new ResponseBufferPool(1024 * 1024);
    const small = pool.take(100);
    pool.release(small);
    expect(pool.allocated).toBe(0);
    const [x, y] = [pool.take(1024 * 1024), pool.take(1024 * 1024)];
    pool.release(x);
    pool.release(y); // over the limit: left to the GC
    expect(pool.take(1024 * 1024).buffer).toBe(x.buffer);
    expect(pool.take(1024 * 1024).buffer).not.toBe(y.buffer);
  });
});

/**
 * Buffers for bytes read into one response (a Fetch's record sets), taken from a pool and given back
 * once the connection has handed that response to the kernel. A consumer fetching 1 MiB at a time
 * otherwise makes the broker allocate a fresh 1 MiB buffer per Fetch: the pages are faulted in anew
 * each time, and the external memory drives V8 into a mark-compact every few dozen Fetches (both
 * showed in profiles of rdkafka_performance's consumer; Kafka itself sends from the page cache with
 * sendfile and allocates nothing).
 *
 * A buffer that never comes back (a read whose result was dropped, a connection that closed first) is
 * simply collected. Only the connection gives buffers back, after its write callback: nothing else may
 * keep a taken buffer past the response it was taken for.
 */

/** Reads smaller than this allocate as before: the pool is for large record sets. */
const MIN_POOLED = 64 * 1024;
/** Larger reads are not pooled (a rare max.partition.fetch.bytes beyond this). */
const MAX_POOLED = 64 * 1024 * 1024;

export class ResponseBufferPool {
  /** Idle buffers by size (powers of two from MIN_POOLED). */
  private readonly free = new Map<number, Buffer[]>();
  private freeBytes = 0;
  /** Taken buffers, by their memory, so that a view of one finds it again. */
  private readonly lent = new WeakMap<ArrayBufferLike, Buffer>();
  /** Buffers allocated, and takes served from the pool (for tests and metrics). */
  allocated = 0;
  reused = 0;

  /** @param maxFreeBytes how much idle memory the pool keeps; more given back is left to the GC. */
  constructor(private readonly maxFreeBytes = 32 * 1024 * 1024) {}

  /** A buffer of `size` bytes with undefined contents. */
  take(size: number): Buffer {
    if (size < MIN_POOLED || size > MAX_POOLED) return Buffer.allocUnsafe(size);
    const capacity = 2 ** Math.ceil(Math.log2(size));
    let buf = this.free.get(capacity)?.pop();
    if (buf) {
      this.freeBytes -= capacity;
      this.reused++;
    } else {
      buf = Buffer.allocUnsafeSlow(capacity);
      this.allocated++;
    }
    this.lent.set(buf.buffer, buf);
    return buf.subarray(0, size);
  }

  /** Gives back the buffer that `view` (a taken buffer or part of one) belongs to; ignores others. */
  release(view: Buffer): void {
    const buf = this.lent.get(view.buffer);
    if (!buf) return;
    this.lent.delete(view.buffer);
    if (this.freeBytes + buf.length > this.maxFreeBytes) return;
    let list = this.free.get(buf.length);
    if (!list) {
      list = [];
      this.free.set(buf.length, list);
    }
    list.push(buf);
    this.freeBytes += buf.length;
  }
}

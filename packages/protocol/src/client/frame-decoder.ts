/**
 * Splits a TCP byte stream into Kafka frames (int32 size, then that many bytes). TCP delivers chunks
 * of any size: a frame may arrive one byte at a time, or many frames in one chunk. Chunks are kept in a
 * list and copied once per frame, so a large response arriving in many chunks costs O(size), not
 * O(size^2) as concatenating on every chunk would.
 */
import { ClientError, ClientErrorCode } from './errors.js';

/**
 * librdkafka's default receive.message.max.bytes (100 MB); Kafka's socket.request.max.bytes is the
 * same order (100 MiB).
 */
export const DEFAULT_MAX_FRAME_BYTES = 100 * 1024 * 1024;

export class FrameDecoder {
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  /** Size of the frame being read, or -1 while its size prefix is incomplete. */
  private frameSize = -1;

  constructor(
    private readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES,
    /** Smallest legal frame: a response must at least hold its int32 correlation id. */
    private readonly minFrameBytes = 4,
  ) {}

  /** Bytes received but not yet returned as part of a frame. */
  get pendingBytes(): number {
    return this.buffered;
  }

  /**
   * Adds a chunk and returns every frame it completes (without size prefix). Throws ClientError
   * (ERR_FRAME_TOO_LARGE, ERR_INVALID_FRAME) on an impossible size; the stream cannot be resynchronised
   * after that, so the caller must drop the connection.
   */
  push(chunk: Buffer): Buffer[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const frames: Buffer[] = [];
    for (;;) {
      if (this.frameSize < 0) {
        if (this.buffered < 4) break;
        const size = this.take(4).readInt32BE(0);
        if (size > this.maxFrameBytes) {
          throw new ClientError(
            ClientErrorCode.FRAME_TOO_LARGE,
            `frame of ${size} bytes is above the limit of ${this.maxFrameBytes} bytes (is the peer speaking Kafka, without TLS?)`,
          );
        }
        if (size < this.minFrameBytes) {
          throw new ClientError(
            ClientErrorCode.INVALID_FRAME,
            `frame size ${size} is below ${this.minFrameBytes} bytes`,
          );
        }
        this.frameSize = size;
      }
      if (this.buffered < this.frameSize) break;
      frames.push(this.take(this.frameSize));
      this.frameSize = -1;
    }
    return frames;
  }

  /** Removes `n` buffered bytes (n <= buffered), without copying when they sit in one chunk. */
  private take(n: number): Buffer {
    this.buffered -= n;
    const first = this.chunks[0];
    if (first && first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    let consumed = 0;
    while (filled < n) {
      const chunk = this.chunks[consumed];
      if (!chunk) throw new Error('FrameDecoder: buffered byte count out of step with its chunks');
      const used = Math.min(chunk.length, n - filled);
      chunk.copy(out, filled, 0, used);
      filled += used;
      if (used === chunk.length) consumed++;
      else this.chunks[consumed] = chunk.subarray(used);
    }
    // One splice, not a shift per chunk: a frame that arrived one byte at a time stays linear.
    this.chunks.splice(0, consumed);
    return out;
  }
}

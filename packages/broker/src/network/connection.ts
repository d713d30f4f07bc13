/**
 * One client connection. Frames are read as they arrive, queued, and handled one at a time in order,
 * so responses leave in request order as Kafka guarantees per connection (a long-polling Fetch holds the
 * connection's later requests, as it does in Kafka, which mutes the channel while a request is in flight).
 *
 * A frame that cannot be decoded, or one larger than socket.request.max.bytes, closes this connection
 * and nothing else: Kafka does the same (InvalidRequestException, InvalidReceiveException).
 *
 * On a SASL listener the connection's SaslSession sees every frame first: until it is authenticated
 * only ApiVersions and the SASL requests pass (anything else closes the connection), after a
 * SaslHandshake v0 frames are raw SASL tokens answered raw, frames are limited to
 * sasl.server.max.receive.size, and a failed authentication closes the connection right after its
 * error response, so no half-authenticated session remains.
 */
import type { Socket } from 'node:net';
import {
  type ApiKey,
  type DecodedRequestHeader,
  DecodeError,
  KafkaError,
  Reader,
  readRequestBody,
  readRequestFrameHeader,
  Writer,
  writeResponseFrame,
} from '@flotilla/protocol';
import type { Logger } from '../logger.js';
import type { SaslSession } from '../security/sasl-session.js';
import type { ResponseBufferPool } from './response-buffers.js';

/**
 * Byte fields of a response at least this large are written from their own buffer instead of being
 * copied into the frame: copying a Fetch response's records (up to max.partition.fetch.bytes, 1 MiB
 * for librdkafka) cost as much as reading them from the log.
 */
const SHARED_BYTES_FROM = 16 * 1024;

export interface ConnectionInfo {
  readonly id: string;
  readonly listenerName: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** The authenticated principal, e.g. User:ANONYMOUS. */
  principal: string;
  /** PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL. */
  readonly securityProtocol?: string;
  /** The SASL state, on SASL listeners. */
  readonly sasl?: SaslSession | undefined;
}

export interface RequestContext {
  readonly header: DecodedRequestHeader;
  readonly connection: ConnectionInfo;
  /** When the request frame was fully read (for request latency metrics). */
  readonly receivedAt: number;
  /** The request's size on the wire, header included (what produce quotas count). */
  readonly requestBytes?: number;
  /**
   * Throttles this connection for `ms` after the request (client quotas, KIP-219): a client that
   * throttles itself (`clientThrottles`) gets its response at once and the connection is not read
   * meanwhile; an older client gets its response only after the throttle time.
   */
  readonly throttle?: (ms: number, clientThrottles: boolean) => void;
}

/** What the broker does with a decoded request: the response body, or null for none (acks=0). */
export interface RequestDispatcher {
  /**
   * Handles one request. Returns the response body to send, or null to send nothing. A request whose
   * API key or version is not supported must still be answered where Kafka answers it (ApiVersions).
   */
  handle(ctx: RequestContext, body: unknown): Promise<unknown | null>;
  /** Whether this broker serves `apiKey` at `version`. */
  supports(apiKey: number, version: number): boolean;
  /** The answer to a request the broker cannot decode the body of, when Kafka gives one (ApiVersions). */
  unsupportedVersionResponse(header: DecodedRequestHeader): { version: number; body: unknown } | null;
  /** Observes each handled request (metrics). */
  onRequest?(header: DecodedRequestHeader, latencyMs: number, requestBytes: number, responseBytes: number): void;
}

export class Connection {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private readonly queue: { frame: Buffer; receivedAt: number }[] = [];
  private processing = false;
  private closed = false;
  /** Ends a throttle wait early (the connection closed). */
  private unmute: (() => void) | undefined;

  constructor(
    private readonly socket: Socket,
    readonly info: ConnectionInfo,
    private readonly dispatcher: RequestDispatcher,
    private readonly options: {
      maxRequestBytes: number;
      maxQueuedRequests: number;
      idleMs: number;
      maxUnauthenticatedRequestBytes?: number;
      /** Where buffers taken for a response's record sets go back once it is sent. */
      responseBuffers?: ResponseBufferPool;
    },
    private readonly log: Logger,
    private readonly onClose: (c: Connection) => void,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', (err) => this.log.debug(`connection ${info.id} error: ${err.message}`));
    socket.on('close', () => this.finish());
    if (options.idleMs > 0 && Number.isFinite(options.idleMs)) {
      socket.setTimeout(options.idleMs, () => this.close('idle timeout'));
    }
  }

  private onData(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= 4) {
      if ((this.chunks[0] as Buffer).length < 4) this.concat();
      const head = this.chunks[0] as Buffer;
      const size = head.readInt32BE(0);
      if (size < 0 || size > this.options.maxRequestBytes) {
        this.close(
          `request of ${size} bytes is larger than socket.request.max.bytes (${this.options.maxRequestBytes})`,
        );
        return;
      }
      const unauthenticatedLimit = this.options.maxUnauthenticatedRequestBytes ?? 524288;
      if (this.info.sasl && this.info.sasl.principal === null && size > unauthenticatedLimit) {
        this.close(`request of ${size} bytes before SASL authentication exceeds sasl.server.max.receive.size`);
        return;
      }
      if (this.buffered < 4 + size) break;
      const all = head.length >= 4 + size ? head : this.concat();
      const frame = all.subarray(4, 4 + size);
      const rest = all.subarray(4 + size);
      this.chunks.shift();
      if (rest.length > 0) this.chunks.unshift(rest);
      this.buffered -= 4 + size;
      this.queue.push({ frame, receivedAt: performance.now() });
    }
    if (this.queue.length >= this.options.maxQueuedRequests) this.socket.pause();
    void this.drain();
  }

  private concat(): Buffer {
    const all = Buffer.concat(this.chunks, this.buffered);
    this.chunks = [all];
    return all;
  }

  private async drain(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    try {
      while (!this.closed) {
        const next = this.queue.shift();
        if (!next) break;
        if (this.socket.isPaused() && this.queue.length < this.options.maxQueuedRequests / 2) this.socket.resume();
        await this.process(next.frame, next.receivedAt);
      }
    } finally {
      this.processing = false;
    }
  }

  private async process(frame: Buffer, receivedAt: number): Promise<void> {
    const sasl = this.info.sasl;
    if (sasl?.expectsRawToken) {
      await this.rawSaslToken(sasl, frame);
      return;
    }
    let header: DecodedRequestHeader;
    const r = new Reader(frame);
    try {
      header = readRequestFrameHeader(r);
    } catch (e) {
      this.close(`undecodable request header: ${(e as Error).message}`);
      return;
    }
    if (sasl) {
      const refused = sasl.admit(header.apiKey);
      if (refused !== null) {
        this.close(refused);
        return;
      }
    }
    let throttle: { ms: number; clientThrottles: boolean } | undefined;
    const ctx: RequestContext = {
      header,
      connection: this.info,
      receivedAt,
      requestBytes: frame.length + 4,
      throttle: (ms, clientThrottles) => {
        if (ms > 0) throttle = { ms, clientThrottles };
      },
    };
    if (!this.dispatcher.supports(header.apiKey, header.apiVersion)) {
      const answer = this.dispatcher.unsupportedVersionResponse(header);
      if (answer) this.send(header.apiKey as ApiKey, answer.version, header.correlationId, answer.body);
      else this.close(`unsupported API key ${header.apiKey} version ${header.apiVersion}`);
      return;
    }
    let body: unknown;
    try {
      body = readRequestBody(r, header.apiKey as ApiKey, header.apiVersion);
    } catch (e) {
      const why = e instanceof DecodeError || e instanceof KafkaError ? e.message : String(e);
      this.close(`malformed ${header.apiKey} v${header.apiVersion} request from ${this.info.remoteAddress}: ${why}`);
      return;
    }
    let response: unknown | null;
    try {
      response = await this.dispatcher.handle(ctx, body);
    } catch (e) {
      this.log.error(`request ${header.apiKey} v${header.apiVersion} failed: ${(e as Error).stack ?? e}`);
      this.close('internal error while handling a request');
      return;
    }
    if (throttle && !throttle.clientThrottles) await this.mute(throttle.ms);
    const responseBytes =
      response === null ? 0 : this.send(header.apiKey as ApiKey, header.apiVersion, header.correlationId, response);
    this.dispatcher.onRequest?.(header, performance.now() - receivedAt, frame.length + 4, responseBytes);
    if (sasl) this.afterSasl(sasl);
    if (throttle?.clientThrottles) await this.mute(throttle.ms);
  }

  /** Stops reading from the socket for `ms`, as Kafka mutes a throttled channel. */
  private async mute(ms: number): Promise<void> {
    if (this.closed) return;
    this.socket.pause();
    // Byte-rate throttles are not capped (as in Kafka): a closing connection ends its wait.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.unmute = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.unmute = undefined;
    if (!this.closed && this.queue.length < this.options.maxQueuedRequests) this.socket.resume();
  }

  /** A SASL token sent without a Kafka header (after SaslHandshake v0): answered the same way. */
  private async rawSaslToken(sasl: SaslSession, token: Buffer): Promise<void> {
    const result = await sasl.authenticate(token);
    if (result.errorCode === 0 && !this.closed) {
      const out = Buffer.alloc(4 + result.authBytes.length);
      out.writeInt32BE(result.authBytes.length, 0);
      result.authBytes.copy(out, 4);
      this.socket.write(out);
    }
    this.afterSasl(sasl);
  }

  /** Takes the principal of a completed exchange; ends the connection of a failed one. */
  private afterSasl(sasl: SaslSession): void {
    if (sasl.failed) {
      if (this.closed) return;
      this.log.info(`closing connection ${this.info.id} (${this.info.remoteAddress}): SASL authentication failed`);
      this.closed = true;
      this.queue.length = 0;
      this.socket.end(); // the error response goes out first, then the connection closes
      setTimeout(() => this.socket.destroy(), 1000).unref();
      return;
    }
    if (sasl.principal !== null) this.info.principal = sasl.principal;
  }

  private send(apiKey: ApiKey, version: number, correlationId: number, body: unknown): number {
    if (this.closed) return 0;
    // A fresh writer per response: the socket keeps the buffers until they are flushed. Record sets
    // (read from the log for this response only) go out as they are, not copied into the frame.
    const w = new Writer(1024, { shareBytesFrom: SHARED_BYTES_FROM });
    writeResponseFrame(w, apiKey, version, correlationId, body as never);
    const chunks = w.chunks();
    if (chunks.length === 1) this.socket.write(chunks[0] as Buffer);
    else {
      // One writev for the whole frame; once the kernel has it, pooled record buffers go back.
      const pool = this.options.responseBuffers;
      const sent = pool
        ? (err?: Error | null) => {
            if (!err) for (const chunk of chunks) pool.release(chunk);
          }
        : undefined;
      this.socket.cork();
      const last = chunks.length - 1;
      for (let i = 0; i < last; i++) this.socket.write(chunks[i] as Buffer);
      this.socket.write(chunks[last] as Buffer, sent);
      this.socket.uncork();
    }
    return w.offset;
  }

  close(reason?: string): void {
    if (this.closed) return;
    if (reason) this.log.info(`closing connection ${this.info.id} (${this.info.remoteAddress}): ${reason}`);
    this.closed = true;
    this.queue.length = 0;
    this.unmute?.();
    this.socket.destroy();
  }

  private finish(): void {
    this.closed = true;
    this.queue.length = 0;
    this.unmute?.();
    this.onClose(this);
  }
}

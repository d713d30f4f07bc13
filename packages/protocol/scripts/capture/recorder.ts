/**
 * A TCP recorder that a Kafka client takes for a broker: it keeps every request frame exactly as it
 * came off the socket (without the int32 size prefix) and answers through FakeCluster, encoding the
 * responses with our generated codecs. Requests on one connection are answered one at a time and in
 * order, as Kafka does.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { ErrorCode } from '../../src/errors.js';
import { decodeRequestFrame, encodeResponseFrame, isApiKey } from '../../src/frames.js';
import { API_SPECS, ApiKey } from '../../src/generated/api.js';
import { defaultApiVersionsResponse } from '../../src/generated/messages/api-versions-response.js';
import { FakeCluster } from './fake-cluster.js';

const HOST = '127.0.0.1';
/** Larger than any request a capture scenario sends; a bigger size means the stream is not Kafka. */
const MAX_FRAME_BYTES = 16 * 1024 * 1024;

export interface CapturedFrame {
  /** Order of arrival over all connections. */
  readonly seq: number;
  readonly scenario: string;
  readonly connection: number;
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly bytes: Buffer;
  /** Why the recorder could not answer it, if it could not (the connection is then closed). */
  readonly error?: string;
}

export class Recorder {
  readonly frames: CapturedFrame[] = [];
  private server: Server | undefined;
  private cluster: FakeCluster | undefined;
  private readonly sockets = new Set<Socket>();
  private scenario = '';
  private nextConnection = 1;
  private closing: Promise<void> | undefined;

  /** Starts listening on an ephemeral port of 127.0.0.1 and returns `host:port`. */
  async start(): Promise<string> {
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, HOST, () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('recorder has no TCP address');
    this.cluster = new FakeCluster(HOST, address.port);
    return `${HOST}:${address.port}`;
  }

  /** Labels the frames that arrive from now on. */
  beginScenario(name: string): void {
    this.scenario = name;
  }

  /** Drops every client connection still open (a client killed mid-scenario leaves none behind). */
  disconnectAll(): void {
    for (const s of this.sockets) s.destroy();
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.disconnectAll();
      if (this.server) this.server.close(() => resolve());
      else resolve();
    });
    return this.closing;
  }

  private accept(socket: Socket): void {
    const connection = this.nextConnection++;
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let pending: Buffer = Buffer.alloc(0);
    let queue = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 4) {
        const size = pending.readInt32BE(0);
        if (size < 0 || size > MAX_FRAME_BYTES) {
          socket.destroy();
          return;
        }
        if (pending.length < 4 + size) break;
        const frame = Buffer.from(pending.subarray(4, 4 + size));
        pending = pending.subarray(4 + size);
        const captured = this.capture(connection, frame);
        queue = queue.then(() => this.answer(socket, captured));
      }
    });
  }

  private capture(connection: number, bytes: Buffer): CapturedFrame {
    const frame: CapturedFrame = {
      seq: this.frames.length,
      scenario: this.scenario,
      connection,
      apiKey: bytes.length >= 2 ? bytes.readInt16BE(0) : -1,
      apiVersion: bytes.length >= 4 ? bytes.readInt16BE(2) : -1,
      bytes,
    };
    this.frames.push(frame);
    return frame;
  }

  private async answer(socket: Socket, frame: CapturedFrame): Promise<void> {
    if (socket.destroyed) return;
    try {
      const response = await this.respond(frame);
      if (response && !socket.destroyed) socket.write(response);
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      this.frames[frame.seq] = { ...frame, error };
      console.error(`recorder: cannot answer ${frame.scenario} frame ${frame.seq}: ${error}`);
      socket.destroy();
    }
  }

  private async respond(frame: CapturedFrame): Promise<Buffer | null> {
    const cluster = this.cluster;
    if (!cluster) throw new Error('recorder not started');
    const { apiKey, apiVersion } = frame;
    if (apiKey === ApiKey.ApiVersions && apiVersion > API_SPECS[ApiKey.ApiVersions].maxVersion) {
      // KIP-511: answer a too-new ApiVersions with a v0 body and UNSUPPORTED_VERSION, listing what we
      // serve, so the client retries with a version from the list.
      const correlationId = frame.bytes.readInt32BE(4);
      const body = { ...cluster.apiVersions(), errorCode: ErrorCode.UNSUPPORTED_VERSION };
      return encodeResponseFrame(ApiKey.ApiVersions, 0, correlationId, { ...defaultApiVersionsResponse(), ...body });
    }
    const { header, body } = decodeRequestFrame(frame.bytes);
    if (!isApiKey(header.apiKey)) throw new Error(`unknown API key ${header.apiKey}`);
    const response = await cluster.respond(header.apiKey, body, { apiVersion, clientId: header.clientId });
    if (response === null) return null;
    return encodeResponseFrame(header.apiKey, apiVersion, header.correlationId, response);
  }
}

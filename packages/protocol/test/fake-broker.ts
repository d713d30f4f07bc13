/**
 * A scriptable broker on 127.0.0.1 for client tests, built on this package's server-side framing
 * (readRequestFrameHeader, readRequestBody, encodeResponseFrame). Each API key gets a handler; requests
 * of one connection are handled one at a time and answered in order, as Kafka does. A handler returns
 * the response body, or undefined to answer itself (or not at all) through `ctx.socket`.
 */
import net from 'node:net';
import tls from 'node:tls';
import { ErrorCode } from '../src/errors.js';
import {
  type DecodedRequestHeader,
  encodeResponseFrame,
  isApiKey,
  readRequestBody,
  readRequestFrameHeader,
} from '../src/frames.js';
import { API_SPECS, ApiKey, type RequestTypes, type ResponseTypes } from '../src/generated/api.js';
import {
  type ApiVersionsResponseApiVersion,
  defaultApiVersionsResponse,
} from '../src/generated/messages/api-versions-response.js';
import { Reader } from '../src/primitives/reader.js';

export interface RequestContext<K extends ApiKey> {
  readonly header: DecodedRequestHeader;
  readonly apiKey: K;
  readonly version: number;
  readonly body: RequestTypes[K];
  readonly socket: net.Socket;
  readonly broker: FakeBroker;
  /** The response frame (size prefix included) for `body`, to write by hand: split, coalesced, late. */
  frame(body: ResponseTypes[K], correlationId?: number): Buffer;
}

export type Handler<K extends ApiKey> = (
  ctx: RequestContext<K>,
) => ResponseTypes[K] | undefined | Promise<ResponseTypes[K] | undefined>;

export type Handlers = { [K in ApiKey]?: Handler<K> };

export interface LoggedRequest {
  readonly apiKey: number;
  readonly version: number;
  readonly correlationId: number;
  readonly clientId: string | null;
}

export interface FakeBrokerOptions {
  readonly nodeId?: number;
  readonly handlers?: Handlers;
  /** What ApiVersions advertises; every API this package encodes (stable versions) by default. */
  readonly apiVersions?: ApiVersionsResponseApiVersion[];
  /**
   * Answer an ApiVersions version above the advertised range as a pre-KIP-511 broker would: an
   * UNSUPPORTED_VERSION error without the broker's own ApiVersions range.
   */
  readonly preKip511?: boolean;
  /** Serve TLS with this key and certificate. */
  readonly tls?: { readonly key: string; readonly cert: string };
}

export function allApiVersions(): ApiVersionsResponseApiVersion[] {
  return Object.values(API_SPECS).map((s) => ({
    apiKey: s.apiKey,
    minVersion: s.minVersion,
    maxVersion: s.latestVersionUnstable ? s.maxVersion - 1 : s.maxVersion,
  }));
}

export class FakeBroker {
  readonly host = '127.0.0.1';
  readonly nodeId: number;
  readonly requests: LoggedRequest[] = [];
  readonly sockets = new Set<net.Socket>();
  handlers: Handlers;
  apiVersions: ApiVersionsResponseApiVersion[];
  private readonly preKip511: boolean;
  private readonly server: net.Server;
  private closing: Promise<void> | undefined;

  private constructor(server: net.Server, options: FakeBrokerOptions) {
    this.server = server;
    this.nodeId = options.nodeId ?? 0;
    this.handlers = options.handlers ?? {};
    this.apiVersions = options.apiVersions ?? allApiVersions();
    this.preKip511 = options.preKip511 ?? false;
    server.on(options.tls ? 'secureConnection' : 'connection', (socket: net.Socket) => this.serve(socket));
  }

  static async start(options: FakeBrokerOptions = {}): Promise<FakeBroker> {
    const server = options.tls
      ? tls.createServer({ key: options.tls.key, cert: options.tls.cert })
      : net.createServer();
    const broker = new FakeBroker(server, options);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return broker;
  }

  get port(): number {
    const address = this.server.address();
    if (!address || typeof address === 'string') throw new Error('fake broker is not listening');
    return address.port;
  }

  get bootstrap(): string {
    return `${this.host}:${this.port}`;
  }

  /** Versions of the requests received for one API key, in order. */
  versionsOf(apiKey: ApiKey): number[] {
    return this.requests.filter((r) => r.apiKey === apiKey).map((r) => r.version);
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      for (const socket of this.sockets) socket.destroy();
      this.server.close(() => resolve());
    });
    return this.closing;
  }

  private serve(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffered = Buffer.alloc(0);
    let queue = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4) {
        const size = buffered.readInt32BE(0);
        if (buffered.length < 4 + size) break;
        const frame = buffered.subarray(4, 4 + size);
        buffered = buffered.subarray(4 + size);
        queue = queue
          .then(() => this.handle(socket, frame))
          .catch(() => {
            socket.destroy();
          });
      }
    });
  }

  private async handle(socket: net.Socket, frame: Buffer): Promise<void> {
    if (socket.destroyed) return;
    const r = new Reader(frame);
    const header = readRequestFrameHeader(r);
    this.requests.push({
      apiKey: header.apiKey,
      version: header.apiVersion,
      correlationId: header.correlationId,
      clientId: header.clientId,
    });
    if (!isApiKey(header.apiKey)) throw new Error(`unknown API key ${header.apiKey}`);
    if (header.apiKey === ApiKey.ApiVersions && !this.handlers[ApiKey.ApiVersions]) {
      socket.write(this.apiVersionsFrame(header));
      return;
    }
    await this.dispatch(socket, header, header.apiKey, r);
  }

  private async dispatch<K extends ApiKey>(socket: net.Socket, header: DecodedRequestHeader, apiKey: K, r: Reader) {
    const version = header.apiVersion;
    const body = readRequestBody(r, apiKey, version);
    const handler: Handler<K> | undefined = this.handlers[apiKey];
    if (!handler) throw new Error(`fake broker has no handler for ${API_SPECS[apiKey].name}`);
    const ctx: RequestContext<K> = {
      header,
      apiKey,
      version,
      body,
      socket,
      broker: this,
      frame: (response, correlationId = header.correlationId) =>
        encodeResponseFrame(apiKey, version, correlationId, response),
    };
    const response = await handler(ctx);
    if (response !== undefined && !socket.destroyed) socket.write(ctx.frame(response));
  }

  /** Kafka's answer to ApiVersions, including the UNSUPPORTED_VERSION downgrade answer (KIP-511). */
  private apiVersionsFrame(header: DecodedRequestHeader): Buffer {
    const own = this.apiVersions.find((k) => k.apiKey === ApiKey.ApiVersions);
    if (!own || header.apiVersion > own.maxVersion) {
      const body = {
        ...defaultApiVersionsResponse(),
        errorCode: ErrorCode.UNSUPPORTED_VERSION,
        apiKeys: own && !this.preKip511 ? [own] : [],
      };
      return encodeResponseFrame(ApiKey.ApiVersions, 0, header.correlationId, body);
    }
    const body = { ...defaultApiVersionsResponse(), apiKeys: this.apiVersions };
    return encodeResponseFrame(ApiKey.ApiVersions, header.apiVersion, header.correlationId, body);
  }
}

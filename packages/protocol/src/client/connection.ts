/**
 * One connection to one broker: TCP (or TLS), framing, correlation ids, pipelining, timeouts, version
 * negotiation and SASL. Enough for admin work; it does not batch, retry or reconnect (AdminClient does
 * the routing and retrying, a new connection is a new `connect()`).
 *
 * Kafka answers the requests of one connection in the order they were sent (protocol.html, "Network"),
 * so responses are matched against a FIFO of requests in flight and a response whose correlation id is
 * not the oldest one's fails the whole connection: past that point no response can be trusted to belong
 * to the request it seems to answer.
 *
 * A request that times out stays in that FIFO until its response arrives, and the response is then read
 * and dropped: the connection survives a slow broker (Java's NetworkClient drops the connection instead;
 * for admin calls with long broker-side timeouts, keeping it is the better trade).
 */
import net from 'node:net';
import tls from 'node:tls';
import { ErrorCode, KafkaError } from '../errors.js';
import { decodeResponseFrame, encodeRequestFrame, isApiKey, peekCorrelationId } from '../frames.js';
import { API_SPECS, ApiKey, type RequestTypes, type ResponseTypes } from '../generated/api.js';
import type { ApiVersionsResponse } from '../generated/messages/api-versions-response.js';
import type { ProduceResponse } from '../generated/messages/produce-response.js';
import { ClientError, ClientErrorCode } from './errors.js';
import { DEFAULT_MAX_FRAME_BYTES, FrameDecoder } from './frame-decoder.js';
import type { SaslMechanism } from './sasl.js';

export interface ConnectionOptions {
  readonly host: string;
  readonly port: number;
  /** The client id sent in every request header (broker logs and quotas use it). */
  readonly clientId?: string;
  /** Connect with TLS using these options (`{}` for the system CAs); plain TCP when absent. */
  readonly tls?: tls.ConnectionOptions;
  /** Authenticate with this mechanism after ApiVersions: `plain(...)`, `scramSha256(...)`, `scramSha512(...)`. */
  readonly sasl?: SaslMechanism;
  /** Time allowed for the TCP and TLS handshakes. Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** Default time allowed for each request's response. Default 30 s. */
  readonly requestTimeoutMs?: number;
  /** Largest response frame accepted. Default 100 MB. */
  readonly maxFrameBytes?: number;
  /**
   * Sent in ApiVersions v3+ (KIP-511); the broker rejects names outside `[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?`.
   */
  readonly clientSoftwareName?: string;
  readonly clientSoftwareVersion?: string;
}

export interface RequestOptions {
  /** Send exactly this version instead of the highest one both sides support. */
  readonly version?: number;
  /** Overrides the connection's `requestTimeoutMs` for this request. */
  readonly timeoutMs?: number;
}

/** A version range the broker advertised in its ApiVersions response. */
export interface VersionRange {
  readonly minVersion: number;
  readonly maxVersion: number;
}

/**
 * What `request()` resolves to. A Produce request with acks=0 gets no response at all from Kafka, so it
 * resolves to `undefined` once written; every other request resolves to its response body.
 */
export type ResponseOf<K extends ApiKey> = K extends typeof ApiKey.Produce
  ? ProduceResponse | undefined
  : ResponseTypes[K];

const DEFAULT_CLIENT_ID = 'flotilla';
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const MAX_CORRELATION_ID = 0x7fffffff;

interface PendingRequest {
  readonly correlationId: number;
  readonly what: string;
  /** Set once the caller has its answer (or its timeout); a late response is then read and dropped. */
  settled: boolean;
  timer: NodeJS.Timeout | undefined;
  readonly onFrame: (frame: Buffer) => void;
  readonly onError: (error: Error) => void;
}

/** A FIFO without Array#shift's O(n) per removal: 100 pipelined requests should not cost 5,000 moves. */
class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  shift(): T | undefined {
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head++;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  drain(): T[] {
    const rest = this.items.slice(this.head).filter((x): x is T => x !== undefined);
    this.items = [];
    this.head = 0;
    return rest;
  }
}

export class Connection {
  readonly host: string;
  readonly port: number;
  readonly clientId: string;
  private readonly socket: net.Socket;
  private readonly decoder: FrameDecoder;
  private readonly requestTimeoutMs: number;
  private readonly inFlight = new Fifo<PendingRequest>();
  /** acks=0 produce requests waiting for their bytes to reach the kernel. */
  private readonly unacknowledgedWrites = new Set<PendingRequest>();
  private nextCorrelationId = 0;
  private brokerVersions = new Map<number, VersionRange>();
  private failure: Error | undefined;
  private closing: Promise<void> | undefined;
  private readonly socketClosed: Promise<void>;

  private constructor(socket: net.Socket, options: ConnectionOptions) {
    this.host = options.host;
    this.port = options.port;
    this.clientId = options.clientId ?? DEFAULT_CLIENT_ID;
    this.socket = socket;
    this.decoder = new FrameDecoder(options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.socketClosed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) =>
      this.fail(
        new ClientError(ClientErrorCode.CONNECTION_CLOSED, `connection to ${this.address} failed: ${err.message}`, {
          cause: err,
        }),
      ),
    );
    socket.on('close', () =>
      this.fail(
        new ClientError(ClientErrorCode.CONNECTION_CLOSED, `connection to ${this.address} closed by the broker`),
      ),
    );
  }

  /** Opens a connection, negotiates API versions and authenticates; see `connect()`. */
  static async open(options: ConnectionOptions): Promise<Connection> {
    const socket = await openSocket(options);
    const connection = new Connection(socket, options);
    try {
      await connection.negotiateApiVersions(options);
      if (options.sasl) await connection.authenticate(options.sasl);
    } catch (err) {
      await connection.close();
      throw err;
    }
    return connection;
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  /** True once the connection can no longer send: closed by either side, or failed. */
  get closed(): boolean {
    return this.failure !== undefined;
  }

  /** Requests sent whose response has not arrived yet (timed-out ones included until their response is read). */
  get inFlightCount(): number {
    return this.inFlight.length;
  }

  /** The API version ranges the broker advertised, by API key. */
  get apiVersions(): ReadonlyMap<number, VersionRange> {
    return this.brokerVersions;
  }

  /**
   * The version `request()` uses for `apiKey`: the highest one both the broker and this client support,
   * leaving out a version Kafka marks unstable (its format may still change). Undefined when none.
   */
  versionFor(apiKey: ApiKey): number | undefined {
    const broker = this.brokerVersions.get(apiKey);
    if (!broker || !isApiKey(apiKey)) return undefined;
    const spec = API_SPECS[apiKey];
    const ourMax = spec.latestVersionUnstable ? spec.maxVersion - 1 : spec.maxVersion;
    const max = Math.min(ourMax, broker.maxVersion);
    return max >= Math.max(spec.minVersion, broker.minVersion) ? max : undefined;
  }

  /**
   * Sends one request and resolves to its response body. Any number of requests may be in flight at
   * once. Rejects with ClientError (ERR_UNSUPPORTED_API, ERR_UNSUPPORTED_VERSION, ERR_REQUEST_TIMEOUT,
   * ERR_CONNECTION_CLOSED, ...) or with the DecodeError of a response that does not decode. Error codes
   * inside the response body are the caller's to check.
   */
  async request<K extends ApiKey>(
    apiKey: K,
    body: RequestTypes[K],
    options: RequestOptions = {},
  ): Promise<ResponseOf<K>> {
    const version = this.pickVersion(apiKey, options.version);
    const timeoutMs = options.timeoutMs ?? this.requestTimeoutMs;
    if (!expectsResponse(apiKey, body)) {
      await this.exchange(apiKey, version, body, timeoutMs, null);
      return undefined as ResponseOf<K>;
    }
    const decode = (frame: Buffer) => decodeResponseFrame(frame, apiKey, version).body;
    return (await this.exchange(apiKey, version, body, timeoutMs, decode)) as ResponseOf<K>;
  }

  /**
   * Closes the connection; requests in flight are rejected with ERR_CONNECTION_CLOSED. Safe to call
   * twice: every call returns the same promise.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.fail(
        new ClientError(ClientErrorCode.CONNECTION_CLOSED, `connection to ${this.address} closed by the client`),
      );
      await this.socketClosed;
    })();
    return this.closing;
  }

  private pickVersion(apiKey: ApiKey, requested: number | undefined): number {
    if (!isApiKey(apiKey)) throw new ClientError(ClientErrorCode.UNSUPPORTED_API, `unknown API key ${apiKey}`);
    const spec = API_SPECS[apiKey];
    const broker = this.brokerVersions.get(apiKey);
    if (!broker) {
      throw new ClientError(
        ClientErrorCode.UNSUPPORTED_API,
        `${this.address} does not offer ${spec.name} (API key ${apiKey})`,
      );
    }
    const ranges = `${this.address} offers ${spec.name} v${broker.minVersion}-${broker.maxVersion}, this client v${spec.minVersion}-${spec.maxVersion}`;
    if (requested === undefined) {
      const version = this.versionFor(apiKey);
      if (version === undefined) {
        throw new ClientError(ClientErrorCode.UNSUPPORTED_VERSION, `no common version: ${ranges}`);
      }
      return version;
    }
    const low = Math.max(spec.minVersion, broker.minVersion);
    const high = Math.min(spec.maxVersion, broker.maxVersion);
    if (!Number.isInteger(requested) || requested < low || requested > high) {
      throw new ClientError(ClientErrorCode.UNSUPPORTED_VERSION, `${spec.name} v${requested} requested, but ${ranges}`);
    }
    return requested;
  }

  /**
   * Writes one request frame. With `decode`, waits for the response and decodes it; without, resolves
   * once the bytes are written (Produce with acks=0, which Kafka never answers).
   */
  private exchange<K extends ApiKey, T>(
    apiKey: K,
    version: number,
    body: RequestTypes[K],
    timeoutMs: number,
    decode: ((frame: Buffer) => T) | null,
  ): Promise<T | undefined> {
    if (this.failure) return Promise.reject(this.closedError());
    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = correlationId === MAX_CORRELATION_ID ? 0 : correlationId + 1;
    let frame: Buffer;
    try {
      frame = encodeRequestFrame({ apiKey, apiVersion: version, correlationId, clientId: this.clientId }, body);
    } catch (err) {
      return Promise.reject(err);
    }
    const what = `${API_SPECS[apiKey].name} v${version} (correlation id ${correlationId}) to ${this.address}`;

    return new Promise<T | undefined>((resolve, reject) => {
      const pending: PendingRequest = {
        correlationId,
        what,
        settled: false,
        timer: undefined,
        onFrame: (response) => {
          if (pending.settled) return;
          settle();
          try {
            resolve(decode ? decode(response) : undefined);
          } catch (err) {
            reject(err);
          }
        },
        onError: (error) => {
          if (pending.settled) return;
          settle();
          reject(error);
        },
      };
      const settle = () => {
        pending.settled = true;
        clearTimeout(pending.timer);
        this.unacknowledgedWrites.delete(pending);
      };
      pending.timer = setTimeout(() => {
        // The request stays in the FIFO: its response, if it ever comes, must still be consumed in order.
        pending.onError(
          new ClientError(ClientErrorCode.REQUEST_TIMEOUT, `no response to ${what} within ${timeoutMs} ms`),
        );
      }, timeoutMs);

      if (decode) this.inFlight.push(pending);
      else this.unacknowledgedWrites.add(pending);
      this.socket.write(frame, (err) => {
        if (err) {
          this.fail(
            new ClientError(ClientErrorCode.CONNECTION_CLOSED, `writing ${what} failed: ${err.message}`, {
              cause: err,
            }),
          );
        } else if (!decode) {
          pending.onFrame(Buffer.alloc(0));
        }
      });
    });
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.fail(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    for (const frame of frames) {
      if (this.failure) return;
      const correlationId = peekCorrelationId(frame);
      const oldest = this.inFlight.peek();
      if (!oldest || oldest.correlationId !== correlationId) {
        this.fail(
          new ClientError(
            ClientErrorCode.CORRELATION_MISMATCH,
            oldest
              ? `response from ${this.address} has correlation id ${correlationId}, but the oldest request in flight is ${oldest.what}`
              : `response from ${this.address} has correlation id ${correlationId}, but no request is in flight`,
          ),
        );
        return;
      }
      this.inFlight.shift();
      oldest.onFrame(frame);
    }
  }

  /** Marks the connection failed, rejects everything pending with `error` and drops the socket. */
  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    for (const pending of this.inFlight.drain()) pending.onError(error);
    for (const pending of [...this.unacknowledgedWrites]) pending.onError(error);
    this.socket.destroy();
  }

  private closedError(): ClientError {
    const failure = this.failure;
    if (failure instanceof ClientError && failure.code === ClientErrorCode.CONNECTION_CLOSED) {
      return new ClientError(ClientErrorCode.CONNECTION_CLOSED, failure.message, { cause: failure });
    }
    return new ClientError(
      ClientErrorCode.CONNECTION_CLOSED,
      `connection to ${this.address} is closed${failure ? `: ${failure.message}` : ''}`,
      { cause: failure },
    );
  }

  /**
   * Sends ApiVersions at our highest version. A broker that does not know that version answers
   * UNSUPPORTED_VERSION in a v0 body that lists its own ApiVersions range (KIP-511), and the client asks
   * again at the highest version both support, as Kafka's NetworkClient does.
   */
  private async negotiateApiVersions(options: ConnectionOptions): Promise<void> {
    const ours = API_SPECS[ApiKey.ApiVersions].maxVersion;
    let version = ours;
    let response = await this.sendApiVersions(version, options);
    if (response.errorCode === ErrorCode.UNSUPPORTED_VERSION) {
      const theirs = response.apiKeys.find((k) => k.apiKey === ApiKey.ApiVersions);
      // A broker from before KIP-511 lists nothing: v0 is the version every broker understands.
      const retry = Math.min(ours, theirs?.maxVersion ?? 0);
      if (retry < version) {
        version = retry;
        response = await this.sendApiVersions(version, options);
      }
    }
    if (response.errorCode !== 0) {
      throw new KafkaError(response.errorCode, `ApiVersions v${version} to ${this.address}`);
    }
    this.brokerVersions = new Map(
      response.apiKeys.map((k) => [k.apiKey, { minVersion: k.minVersion, maxVersion: k.maxVersion }]),
    );
  }

  private async sendApiVersions(version: number, options: ConnectionOptions): Promise<ApiVersionsResponse> {
    const body = {
      clientSoftwareName: options.clientSoftwareName ?? 'flotilla-protocol',
      clientSoftwareVersion: options.clientSoftwareVersion ?? '0.1.0',
    };
    const response = await this.exchange(ApiKey.ApiVersions, version, body, this.requestTimeoutMs, (frame) => {
      // Every ApiVersions response starts with header v0 and then the error code, so the error code can
      // be read before knowing which version the broker answered in.
      const unsupported = frame.length >= 6 && frame.readInt16BE(4) === ErrorCode.UNSUPPORTED_VERSION;
      return decodeResponseFrame(frame, ApiKey.ApiVersions, unsupported ? 0 : version).body;
    });
    if (!response) throw new Error('ApiVersions exchange resolved without a response');
    return response;
  }

  /**
   * SaslHandshake v1 names the mechanism, then the mechanism drives SaslAuthenticate round trips
   * (KIP-152). Failures the broker reports are KafkaErrors (SASL_AUTHENTICATION_FAILED,
   * UNSUPPORTED_SASL_MECHANISM); the broker's error message never contains the password.
   */
  private async authenticate(mechanism: SaslMechanism): Promise<void> {
    const handshake = await this.request(ApiKey.SaslHandshake, { mechanism: mechanism.mechanism }, { version: 1 });
    if (handshake.errorCode !== 0) {
      throw new KafkaError(
        handshake.errorCode,
        `SASL mechanism ${mechanism.mechanism} on ${this.address} (the broker offers: ${handshake.mechanisms.join(', ') || 'none'})`,
      );
    }
    await mechanism.authenticate(async (authBytes) => {
      const response = await this.request(ApiKey.SaslAuthenticate, { authBytes });
      if (response.errorCode !== 0) {
        throw new KafkaError(
          response.errorCode,
          `${mechanism.mechanism} with ${this.address}: ${response.errorMessage ?? 'authentication failed'}`,
        );
      }
      return response.authBytes;
    });
  }
}

/** Opens a connection to one broker; resolves once API versions are known and SASL (if any) succeeded. */
export function connect(options: ConnectionOptions): Promise<Connection> {
  return Connection.open(options);
}

function expectsResponse(apiKey: ApiKey, body: RequestTypes[ApiKey]): boolean {
  return !(apiKey === ApiKey.Produce && 'acks' in body && body.acks === 0);
}

function openSocket(options: ConnectionOptions): Promise<net.Socket> {
  const address = `${options.host}:${options.port}`;
  const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const socket = options.tls
      ? tls.connect({ ...options.tls, host: options.host, port: options.port })
      : net.connect({ host: options.host, port: options.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ClientError(ClientErrorCode.CONNECT_TIMEOUT, `connecting to ${address} took over ${timeoutMs} ms`));
    }, timeoutMs);
    const onError = (err: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(
        new ClientError(ClientErrorCode.CONNECT_FAILED, `could not connect to ${address}: ${err.message}`, {
          cause: err,
        }),
      );
    };
    socket.once('error', onError);
    socket.once(options.tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      socket.setNoDelay(true);
      resolve(socket);
    });
  });
}

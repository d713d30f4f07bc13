import net from 'node:net';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { allApiVersions, FakeBroker, type FakeBrokerOptions, type RequestContext } from '../../test/fake-broker.js';
import { DecodeError } from '../errors.js';
import { ApiKey } from '../generated/api.js';
import { defaultMetadataRequest, type MetadataRequest } from '../generated/messages/metadata-request.js';
import {
  defaultMetadataResponse,
  defaultMetadataResponseTopic,
  type MetadataResponse,
} from '../generated/messages/metadata-response.js';
import { defaultProduceRequest } from '../generated/messages/produce-request.js';
import { defaultProduceResponse } from '../generated/messages/produce-response.js';
import { type Connection, type ConnectionOptions, connect } from './connection.js';
import { ClientError } from './errors.js';
import { FrameDecoder } from './frame-decoder.js';

// A self-signed test certificate for 127.0.0.1 and localhost (valid until 2126). Test-only: it guards
// nothing and must never be trusted anywhere else.
const TEST_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQghicyCWvNEYiexAsg
QrsWKXU3wodwTy6MU477SCV6/TmhRANCAAQ5ywsjoCF7KNGxhOY/6yRjL3h3ZTDc
WiRE/W8Krb8eHTzk/KISFyYm4Pqjtq9B2CsLiaT8VO3oHiATmqyohlXl
-----END PRIVATE KEY-----
`;
const TEST_CERT = `-----BEGIN CERTIFICATE-----
MIIBmzCCAUGgAwIBAgIUAL5mwRNkJ41fJlEw/BuyC2DwbfMwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyNTA4NDgxNloYDzIxMjYxMTAx
MDg0ODE2WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAAQ5ywsjoCF7KNGxhOY/6yRjL3h3ZTDcWiRE/W8Krb8eHTzk/KISFyYm
4Pqjtq9B2CsLiaT8VO3oHiATmqyohlXlo28wbTAdBgNVHQ4EFgQUHBzwz/86xsu6
/L3jPW3fP8gZ7mQwHwYDVR0jBBgwFoAUHBzwz/86xsu6/L3jPW3fP8gZ7mQwDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARhwR/AAABgglsb2NhbGhvc3QwCgYIKoZI
zj0EAwIDSAAwRQIgKJ+yRbZEfVgPZpTGgSxicn3udpZVjx3Mm2CRighWRGQCIQCm
A/XjqdOrb6nSMs2btuRM3UiELzn3yZly3u58fQzyHg==
-----END CERTIFICATE-----
`;

const brokers: FakeBroker[] = [];
const connections: Connection[] = [];

afterEach(async () => {
  await Promise.all(connections.splice(0).map((c) => c.close()));
  await Promise.all(brokers.splice(0).map((b) => b.close()));
});

async function startBroker(options: FakeBrokerOptions = {}): Promise<FakeBroker> {
  const broker = await FakeBroker.start(options);
  brokers.push(broker);
  return broker;
}

async function open(broker: FakeBroker, options: Partial<ConnectionOptions> = {}): Promise<Connection> {
  const connection = await connect({ host: broker.host, port: broker.port, ...options });
  connections.push(connection);
  return connection;
}

function metadataRequest(topic: string): MetadataRequest {
  return { ...defaultMetadataRequest(), topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: topic }] };
}

/** A Metadata response naming the topics the request asked for, so a test can tell answers apart. */
function echo(body: MetadataRequest, padding = 0): MetadataResponse {
  const names = (body.topics ?? []).map((t) => t.name ?? '');
  for (let i = 0; i < padding; i++) names.push(`padding-topic-${i}`);
  return { ...defaultMetadataResponse(), topics: names.map((name) => ({ ...defaultMetadataResponseTopic(), name })) };
}

function topicOf(response: MetadataResponse): string | null | undefined {
  return response.topics[0]?.name;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const err = await rejection(promise);
  expect(err).toBeInstanceOf(ClientError);
  expect(err).toMatchObject({ code });
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

function frameOf(payload: Uint8Array): Buffer {
  const frame = Buffer.alloc(4 + payload.length);
  frame.writeInt32BE(payload.length, 0);
  frame.set(payload, 4);
  return frame;
}

describe('FrameDecoder', () => {
  it('returns the same frames however the stream is cut into chunks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 4, maxLength: 40 }), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (payloads, cuts) => {
          const stream = Buffer.concat(payloads.map(frameOf));
          const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
          const decoder = new FrameDecoder(1024);
          const frames: Buffer[] = [];
          let from = 0;
          for (const at of [...points, stream.length]) {
            frames.push(...decoder.push(stream.subarray(from, at)));
            from = at;
          }
          expect(frames.map((f) => [...f])).toEqual(payloads.map((p) => [...p]));
          expect(decoder.pendingBytes).toBe(0);
        },
      ),
    );
  });

  it('reassembles frames fed one byte at a time', () => {
    const payloads = [Buffer.from('correlation-1'), Buffer.from('ok!!'), Buffer.alloc(300, 7)];
    const stream = Buffer.concat(payloads.map(frameOf));
    const decoder = new FrameDecoder();
    const frames: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) frames.push(...decoder.push(stream.subarray(i, i + 1)));
    expect(frames).toEqual(payloads);
  });

  it('rejects a size above the limit (an HTTP or TLS peer reads as a huge size) and below 4 bytes', () => {
    expect(() => new FrameDecoder(1024).push(frameOf(Buffer.alloc(1025)))).toThrow(
      expect.objectContaining({ code: 'ERR_FRAME_TOO_LARGE' }),
    );
    expect(() => new FrameDecoder().push(Buffer.from('HTTP/1.1 400 Bad Request\r\n'))).toThrow(
      expect.objectContaining({ code: 'ERR_FRAME_TOO_LARGE' }),
    );
    expect(() => new FrameDecoder().push(frameOf(Buffer.alloc(2)))).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_FRAME' }),
    );
    expect(() => new FrameDecoder().push(Buffer.from([0xff, 0xff, 0xff, 0xfe]))).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_FRAME' }),
    );
  });
});

describe('Connection: versions', () => {
  it('negotiates ApiVersions at our highest version, then uses the highest version both sides support', async () => {
    const apiVersions = allApiVersions().map((k) => (k.apiKey === ApiKey.Metadata ? { ...k, maxVersion: 8 } : k));
    const broker = await startBroker({ apiVersions, handlers: { [ApiKey.Metadata]: ({ body }) => echo(body) } });
    const connection = await open(broker, { clientId: 'admin-test' });

    expect(connection.versionFor(ApiKey.Metadata)).toBe(8);
    expect(topicOf(await connection.request(ApiKey.Metadata, metadataRequest('orders')))).toBe('orders');
    expect(topicOf(await connection.request(ApiKey.Metadata, metadataRequest('x'), { version: 4 }))).toBe('x');
    expect(broker.versionsOf(ApiKey.ApiVersions)).toEqual([4]);
    expect(broker.versionsOf(ApiKey.Metadata)).toEqual([8, 4]);
    expect(broker.requests.map((r) => r.clientId)).toEqual(['admin-test', 'admin-test', 'admin-test']);
  });

  it('asks again at the version the broker names when it answers UNSUPPORTED_VERSION (KIP-511)', async () => {
    const apiVersions = allApiVersions().map((k) => (k.apiKey === ApiKey.ApiVersions ? { ...k, maxVersion: 2 } : k));
    const broker = await startBroker({ apiVersions, handlers: { [ApiKey.Metadata]: ({ body }) => echo(body) } });
    const connection = await open(broker);

    expect(broker.versionsOf(ApiKey.ApiVersions)).toEqual([4, 2]);
    expect(connection.apiVersions.get(ApiKey.Metadata)).toEqual({ minVersion: 0, maxVersion: 12 });
    expect(topicOf(await connection.request(ApiKey.Metadata, metadataRequest('orders')))).toBe('orders');
  });

  it('falls back to ApiVersions v0 when the broker does not name its range', async () => {
    const apiVersions = allApiVersions().map((k) => (k.apiKey === ApiKey.ApiVersions ? { ...k, maxVersion: 0 } : k));
    const broker = await startBroker({ apiVersions, preKip511: true });
    const connection = await open(broker);
    expect(broker.versionsOf(ApiKey.ApiVersions)).toEqual([4, 0]);
    expect(connection.versionFor(ApiKey.ApiVersions)).toBe(0);
  });

  it('rejects an API the broker lacks and a version outside the common range, with stable codes', async () => {
    const apiVersions = allApiVersions()
      .filter((k) => k.apiKey !== ApiKey.DescribeCluster)
      .map((k) => (k.apiKey === ApiKey.Metadata ? { ...k, minVersion: 4, maxVersion: 8 } : k));
    const broker = await startBroker({ apiVersions });
    const connection = await open(broker);

    await expectCode(
      connection.request(ApiKey.DescribeCluster, { includeClusterAuthorizedOperations: false, endpointType: 1 }),
      'ERR_UNSUPPORTED_API',
    );
    await expectCode(
      connection.request(ApiKey.Metadata, metadataRequest('a'), { version: 9 }),
      'ERR_UNSUPPORTED_VERSION',
    );
    await expectCode(
      connection.request(ApiKey.Metadata, metadataRequest('a'), { version: 3 }),
      'ERR_UNSUPPORTED_VERSION',
    );
    expect(connection.closed).toBe(false);
  });
});

describe('Connection: framing and pipelining', () => {
  it('pipelines 100 requests on one connection and matches every response to its request', async () => {
    const held: Buffer[] = [];
    const broker = await startBroker({
      handlers: {
        [ApiKey.Metadata]: (ctx) => {
          // Answer nothing until all 100 requests are in: proof that they were in flight together.
          held.push(ctx.frame(echo(ctx.body)));
          if (held.length === 100) for (const frame of held) ctx.socket.write(frame);
          return undefined;
        },
      },
    });
    const connection = await open(broker);
    const pending = Array.from({ length: 100 }, (_, i) =>
      connection.request(ApiKey.Metadata, metadataRequest(`t${i}`)),
    );
    expect(connection.inFlightCount).toBe(100);
    const responses = await Promise.all(pending);
    expect(responses.map(topicOf)).toEqual(Array.from({ length: 100 }, (_, i) => `t${i}`));
    expect(connection.inFlightCount).toBe(0);
  });

  it('reads responses that arrive one byte per TCP chunk', async () => {
    const broker = await startBroker({
      handlers: {
        [ApiKey.Metadata]: async (ctx) => {
          const frame = ctx.frame(echo(ctx.body, 10));
          for (let i = 0; i < frame.length; i++) {
            ctx.socket.write(frame.subarray(i, i + 1));
            await tick();
          }
          return undefined;
        },
      },
    });
    const connection = await open(broker);
    const push = vi.spyOn(FrameDecoder.prototype, 'push');
    const responses = await Promise.all(
      ['a', 'b', 'c'].map((t) => connection.request(ApiKey.Metadata, metadataRequest(t))),
    );
    expect(responses.map(topicOf)).toEqual(['a', 'b', 'c']);
    expect(responses[0]?.topics).toHaveLength(11);
    const chunkSizes = push.mock.calls.map(([chunk]) => chunk.length);
    push.mockRestore();
    // The kernel may merge a few bytes; most must still arrive alone for the test to mean something.
    expect(chunkSizes.filter((n) => n === 1).length).toBeGreaterThan(chunkSizes.length / 2);
  });

  it('reads many responses coalesced into one chunk, and a chunk that ends mid-frame', async () => {
    const held: Buffer[] = [];
    const broker = await startBroker({
      handlers: {
        [ApiKey.Metadata]: async (ctx) => {
          held.push(ctx.frame(echo(ctx.body)));
          if (held.length < 10) return undefined;
          const all = Buffer.concat(held);
          const cut = held.slice(0, 5).reduce((n, f) => n + f.length, 0) + 3;
          ctx.socket.write(all.subarray(0, cut));
          await new Promise((resolve) => setTimeout(resolve, 20));
          ctx.socket.write(all.subarray(cut));
          return undefined;
        },
      },
    });
    const connection = await open(broker);
    const names = Array.from({ length: 10 }, (_, i) => `c${i}`);
    const responses = await Promise.all(names.map((t) => connection.request(ApiKey.Metadata, metadataRequest(t))));
    expect(responses.map(topicOf)).toEqual(names);
  });

  it('fails the connection with ERR_CORRELATION_MISMATCH when responses come out of order', async () => {
    const held: Buffer[] = [];
    const broker = await startBroker({
      handlers: {
        [ApiKey.Metadata]: (ctx) => {
          held.push(ctx.frame(echo(ctx.body)));
          if (held.length === 2)
            ctx.socket.write(Buffer.concat([held[1] ?? Buffer.alloc(0), held[0] ?? Buffer.alloc(0)]));
          return undefined;
        },
      },
    });
    const connection = await open(broker);
    const first = expectCode(connection.request(ApiKey.Metadata, metadataRequest('first')), 'ERR_CORRELATION_MISMATCH');
    const second = expectCode(
      connection.request(ApiKey.Metadata, metadataRequest('second')),
      'ERR_CORRELATION_MISMATCH',
    );
    await Promise.all([first, second]);
    expect(connection.closed).toBe(true);
    await expectCode(connection.request(ApiKey.Metadata, metadataRequest('later')), 'ERR_CONNECTION_CLOSED');
  });

  it('fails the connection with ERR_FRAME_TOO_LARGE on a frame above maxFrameBytes', async () => {
    const broker = await startBroker({ handlers: { [ApiKey.Metadata]: ({ body }) => echo(body, 200) } });
    const connection = await open(broker, { maxFrameBytes: 1024 });
    await expectCode(connection.request(ApiKey.Metadata, metadataRequest('big')), 'ERR_FRAME_TOO_LARGE');
    expect(connection.closed).toBe(true);
  });

  it('rejects only the request whose response does not decode', async () => {
    const broker = await startBroker({
      handlers: {
        [ApiKey.Metadata]: (ctx) => {
          if (ctx.body.topics?.[0]?.name !== 'garbled') return echo(ctx.body);
          const frame = Buffer.alloc(4 + 4 + 3);
          frame.writeInt32BE(7, 0);
          frame.writeInt32BE(ctx.header.correlationId, 4);
          ctx.socket.write(frame);
          return undefined;
        },
      },
    });
    const connection = await open(broker);
    const garbled = rejection(connection.request(ApiKey.Metadata, metadataRequest('garbled')));
    const fine = connection.request(ApiKey.Metadata, metadataRequest('fine'));
    expect(await garbled).toBeInstanceOf(DecodeError);
    expect(topicOf(await fine)).toBe('fine');
    expect(connection.closed).toBe(false);
  });
});

describe('Connection: timeouts, acks=0 and closing', () => {
  it('times a request out with ERR_REQUEST_TIMEOUT, keeps the connection and drops the late response', async () => {
    let slow: RequestContext<typeof ApiKey.Metadata> | undefined;
    const broker = await startBroker({
      handlers: {
        [ApiKey.Metadata]: (ctx) => {
          if (ctx.body.topics?.[0]?.name === 'slow') {
            slow = ctx;
            return undefined;
          }
          if (slow) ctx.socket.write(slow.frame(echo(slow.body)));
          return echo(ctx.body);
        },
      },
    });
    const connection = await open(broker, { requestTimeoutMs: 5_000 });
    const started = Date.now();
    await expectCode(
      connection.request(ApiKey.Metadata, metadataRequest('slow'), { timeoutMs: 50 }),
      'ERR_REQUEST_TIMEOUT',
    );
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(connection.closed).toBe(false);
    expect(topicOf(await connection.request(ApiKey.Metadata, metadataRequest('fast')))).toBe('fast');
    expect(connection.inFlightCount).toBe(0);
  });

  it('sends Produce with acks=0 without waiting for a response, acks=1 with', async () => {
    const broker = await startBroker({
      handlers: {
        [ApiKey.Produce]: ({ body }) =>
          body.acks === 0 ? undefined : { ...defaultProduceResponse(), throttleTimeMs: 7 },
        [ApiKey.Metadata]: ({ body }) => echo(body),
      },
    });
    const connection = await open(broker);
    expect(await connection.request(ApiKey.Produce, { ...defaultProduceRequest(), acks: 0 })).toBeUndefined();
    expect(connection.inFlightCount).toBe(0);
    expect(topicOf(await connection.request(ApiKey.Metadata, metadataRequest('after')))).toBe('after');
    const acked = await connection.request(ApiKey.Produce, { ...defaultProduceRequest(), acks: 1 });
    expect(acked?.throttleTimeMs).toBe(7);
    expect(broker.versionsOf(ApiKey.Produce)).toHaveLength(2);
  });

  it('rejects every request in flight with ERR_CONNECTION_CLOSED when the broker closes mid-request', async () => {
    let seen = 0;
    const broker = await startBroker({
      handlers: {
        [ApiKey.Metadata]: (ctx) => {
          if (++seen === 3) ctx.socket.destroy();
          return undefined;
        },
      },
    });
    const connection = await open(broker);
    await Promise.all(
      ['a', 'b', 'c'].map((t) =>
        expectCode(connection.request(ApiKey.Metadata, metadataRequest(t)), 'ERR_CONNECTION_CLOSED'),
      ),
    );
    expect(connection.closed).toBe(true);
  });

  it('close() is safe twice, rejects requests in flight and later ones', async () => {
    const broker = await startBroker({ handlers: { [ApiKey.Metadata]: () => undefined } });
    const connection = await open(broker);
    const pending = expectCode(connection.request(ApiKey.Metadata, metadataRequest('never')), 'ERR_CONNECTION_CLOSED');
    const first = connection.close();
    const second = connection.close();
    expect(second).toBe(first);
    await first;
    await pending;
    await expectCode(connection.request(ApiKey.Metadata, metadataRequest('later')), 'ERR_CONNECTION_CLOSED');
  });

  it('reports a refused connection as ERR_CONNECT_FAILED', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    await new Promise((resolve) => server.close(resolve));
    await expectCode(connect({ host: '127.0.0.1', port }), 'ERR_CONNECT_FAILED');
  });

  it('fails connect() with ERR_REQUEST_TIMEOUT when the broker never answers ApiVersions', async () => {
    const broker = await startBroker({ handlers: { [ApiKey.ApiVersions]: () => undefined } });
    await expectCode(connect({ host: broker.host, port: broker.port, requestTimeoutMs: 100 }), 'ERR_REQUEST_TIMEOUT');
  });
});

describe('Connection: TLS', () => {
  it('connects over TLS to a broker whose certificate the given CA signs', async () => {
    const broker = await startBroker({
      tls: { key: TEST_KEY, cert: TEST_CERT },
      handlers: { [ApiKey.Metadata]: ({ body }) => echo(body) },
    });
    const connection = await open(broker, { tls: { ca: TEST_CERT } });
    expect(topicOf(await connection.request(ApiKey.Metadata, metadataRequest('secure')))).toBe('secure');
  });

  it('refuses a certificate it cannot verify', async () => {
    const broker = await startBroker({ tls: { key: TEST_KEY, cert: TEST_CERT } });
    await expectCode(connect({ host: broker.host, port: broker.port, tls: {} }), 'ERR_CONNECT_FAILED');
  });
});

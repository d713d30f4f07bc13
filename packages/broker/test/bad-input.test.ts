/**
 * Bad input against the real broker binary: random, truncated, oversized and mutated frames. The broker
 * answers or closes that one connection; it never crashes and a well-behaved client on another
 * connection keeps working throughout.
 */
import { connect, type Socket } from 'node:net';
import {
  ApiKey,
  decodeResponseFrame,
  defaultApiVersionsRequest,
  defaultMetadataRequest,
  ErrorCode,
  encodeRequestFrame,
} from '@flotilla/protocol';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrokerProcess, removeDir, startBrokerProcess, tempDir } from './harness.js';

/** Sends bytes on a fresh connection; resolves with what came back before the broker closed or 300 ms passed. */
function exchange(port: number, bytes: Buffer, waitMs = 300): Promise<{ data: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let closed = false;
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', () => {});
    socket.on('close', () => {
      closed = true;
    });
    socket.on('connect', () => socket.write(bytes));
    setTimeout(() => {
      socket.destroy();
      resolve({ data: Buffer.concat(chunks), closed });
    }, waitMs);
  });
}

function metadataFrame(correlationId: number): Buffer {
  return encodeRequestFrame(
    { apiKey: ApiKey.Metadata, apiVersion: 12, correlationId, clientId: 'healthy' },
    { ...defaultMetadataRequest(), topics: null },
  );
}

describe('bad input', () => {
  let broker: BrokerProcess;
  let dir: string;
  let healthy: Socket;
  let healthyReplies = 0;

  beforeAll(async () => {
    dir = tempDir();
    broker = await startBrokerProcess({ logDir: dir, overrides: { 'socket.request.max.bytes': '1048576' } });
    healthy = connect(broker.port, '127.0.0.1');
    healthy.on('data', () => {
      healthyReplies++;
    });
    await new Promise((r) => healthy.once('connect', r));
  });

  afterAll(async () => {
    healthy?.destroy();
    expect(await broker?.stop()).toBe(0); // a clean exit: nothing crashed
    removeDir(dir);
  });

  const checkHealthy = async () => {
    const before = healthyReplies;
    healthy.write(metadataFrame(before + 1));
    for (let i = 0; i < 50 && healthyReplies === before; i++) await new Promise((r) => setTimeout(r, 20));
    expect(healthyReplies).toBeGreaterThan(before);
  };

  it('closes the connection on a frame larger than socket.request.max.bytes', async () => {
    const frame = Buffer.alloc(8);
    frame.writeInt32BE(50 * 1024 * 1024, 0);
    const { closed } = await exchange(broker.port, frame);
    expect(closed).toBe(true);
    await checkHealthy();
  });

  it('closes the connection on an undecodable request and on an unknown API key', async () => {
    const good = metadataFrame(1);
    const truncated = Buffer.from(good.subarray(0, good.length - 3));
    truncated.writeInt32BE(truncated.length - 4, 0);
    expect((await exchange(broker.port, truncated)).closed).toBe(true);
    const unknown = Buffer.from(good);
    unknown.writeInt16BE(999, 4);
    expect((await exchange(broker.port, unknown)).closed).toBe(true);
    await checkHealthy();
  });

  it('answers an ApiVersions request of an unknown version with UNSUPPORTED_VERSION at v0', async () => {
    const frame = encodeRequestFrame(
      { apiKey: ApiKey.ApiVersions, apiVersion: 4, correlationId: 5, clientId: 'x' },
      { ...defaultApiVersionsRequest(), clientSoftwareName: 'x', clientSoftwareVersion: '1' },
    );
    frame.writeInt16BE(99, 6); // version 99
    const { data } = await exchange(broker.port, frame);
    const { correlationId, body } = decodeResponseFrame(data.subarray(4), ApiKey.ApiVersions, 0);
    expect(correlationId).toBe(5);
    expect(body.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect(body.apiKeys.find((k) => k.apiKey === ApiKey.ApiVersions)?.maxVersion).toBe(4);
  });

  it('survives random and mutated frames', async () => {
    const good = metadataFrame(9);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
          fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })).map(([i, v]) => {
            const m = Buffer.from(good);
            m[i] = v;
            return m;
          }),
          fc.uint8Array({ minLength: 4, maxLength: 64 }).map((b) => {
            const body = Buffer.from(b);
            const frame = Buffer.alloc(4 + body.length);
            frame.writeInt32BE(body.length, 0);
            body.copy(frame, 4);
            return frame;
          }),
        ),
        async (bytes) => {
          await exchange(broker.port, bytes, 30);
        },
      ),
      { numRuns: 150 },
    );
    await checkHealthy();
  });
});

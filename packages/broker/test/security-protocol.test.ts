/**
 * The SASL state machine, re-authentication, SCRAM credential and ACL APIs at the protocol level,
 * over raw sockets to the real broker binary: a wrong password answers SASL_AUTHENTICATION_FAILED and
 * closes the connection with nothing else answered; nothing but ApiVersions and SASL passes before
 * authentication; KIP-368 session lifetimes and re-authentication; the v0 raw-token path; replayed
 * nonces, malformed, random and oversized tokens, TLS garbage and plaintext frames on TLS ports never
 * crash the broker, and after each another client is still served.
 */
import { randomBytes } from 'node:crypto';
import { type Socket, connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import {
  ApiKey,
  connect,
  decodeResponseFrame,
  ErrorCode,
  encodeRequestFrame,
  type RequestTypes,
  type ResponseTypes,
  saltPassword,
  scramSha512,
} from '@flotilla/protocol';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerConfig } from '../src/config/broker-config.js';
import { interBrokerClientOptions } from '../src/security/inter-broker.js';
import { removeDir, tempDir } from './harness.js';
import {
  type Certificates,
  formatWithScram,
  makeCertificates,
  type SecureBroker,
  startSecureBroker,
} from './security-harness.js';

/** A bare Kafka connection: framed requests, raw frames, and a promise for when the broker closes it. */
class RawConnection {
  private buffer = Buffer.alloc(0);
  private readonly waiting: ((frame: Buffer) => void)[] = [];
  private correlationId = 0;
  readonly closed: Promise<void>;
  isClosed = false;

  constructor(private readonly socket: Socket) {
    socket.on('data', (chunk) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      while (this.buffer.length >= 4 && this.buffer.length >= 4 + this.buffer.readInt32BE(0)) {
        const size = this.buffer.readInt32BE(0);
        const frame = this.buffer.subarray(4, 4 + size);
        this.buffer = this.buffer.subarray(4 + size);
        this.waiting.shift()?.(frame);
      }
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true;
        resolve();
      }),
    );
  }

  static open(endpoint: string): Promise<RawConnection> {
    const [host, port] = endpoint.split(':') as [string, string];
    return new Promise((resolve, reject) => {
      const s = tcpConnect({ host, port: Number(port) }, () => resolve(new RawConnection(s)));
      s.once('error', reject);
    });
  }

  private next(): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.waiting.push(resolve);
      void this.closed.then(() => reject(new Error('connection closed by the broker')));
    });
  }

  send<K extends ApiKey>(apiKey: K, version: number, body: RequestTypes[K]): Promise<ResponseTypes[K]> {
    const frame = encodeRequestFrame(
      { apiKey, apiVersion: version, correlationId: ++this.correlationId, clientId: 'raw' },
      body,
    );
    const answer = this.next();
    this.socket.write(frame);
    return answer.then((f) => decodeResponseFrame(f, apiKey, version).body);
  }

  /** A raw SASL token (after SaslHandshake v0): length-prefixed, no header. */
  token(bytes: Buffer): Promise<Buffer> {
    const size = Buffer.alloc(4);
    size.writeInt32BE(bytes.length);
    const answer = this.next();
    this.socket.write(Buffer.concat([size, bytes]));
    return answer;
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  close(): void {
    this.socket.destroy();
  }
}

const METADATA_ALL: RequestTypes[typeof ApiKey.Metadata] = {
  topics: null,
  allowAutoTopicCreation: false,
  includeClusterAuthorizedOperations: false,
  includeTopicAuthorizedOperations: false,
};

/** SaslHandshake v1 + SCRAM-SHA-512 over SaslAuthenticate v2; returns the last response. */
async function scramLogin(c: RawConnection, user: string, password: string) {
  const hs = await c.send(ApiKey.SaslHandshake, 1, { mechanism: 'SCRAM-SHA-512' });
  expect(hs.errorCode).toBe(0);
  let last: ResponseTypes[typeof ApiKey.SaslAuthenticate] | undefined;
  await scramSha512({ username: user, password }).authenticate(async (authBytes) => {
    last = await c.send(ApiKey.SaslAuthenticate, 2, { authBytes });
    if (last.errorCode !== 0) throw new Error(`SaslAuthenticate: ${last.errorCode} ${last.errorMessage}`);
    return last.authBytes;
  });
  return last as ResponseTypes[typeof ApiKey.SaslAuthenticate];
}

const within = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`not within ${ms} ms`)), ms))]);

const SASL_AUTHENTICATE_V2 = 2;

/** A SaslAuthenticate answer that is not a success, or the broker closing the connection. */
async function refusedOrClosed(c: RawConnection, authBytes: Buffer): Promise<'refused' | 'closed'> {
  try {
    const r = await c.send(ApiKey.SaslAuthenticate, SASL_AUTHENTICATE_V2, { authBytes });
    if (r.errorCode === 0) throw new Error(`token ${authBytes.toString('hex')} was accepted`);
    return 'refused';
  } catch (e) {
    if (!/closed/.test((e as Error).message)) throw e;
    return 'closed';
  }
}

describe('SASL, re-authentication and security APIs at the protocol level', () => {
  let dir: string;
  let certs: Certificates;
  let broker: SecureBroker;

  beforeAll(async () => {
    dir = tempDir('flotilla-security-proto-');
    certs = makeCertificates(dir, []);
    await formatWithScram(`${dir}/data`, [
      'SCRAM-SHA-512=[name=admin,password=admin-secret]',
      'SCRAM-SHA-256=[name=admin,password=admin-secret]',
      'SCRAM-SHA-512=[name=writer,password=writer-secret]',
      'SCRAM-SHA-512=[name=reader,password=reader-secret]',
    ]);
    broker = await startSecureBroker(`${dir}/data`, certs);
  }, 60_000);

  afterAll(async () => {
    // A clean exit (not a crash) after everything below.
    expect(await broker?.stop()).toBe(0);
    removeDir(dir);
  });

  /** Another client logs in over SCRAM-SHA-512 and is served. */
  const stillServes = async () => {
    const ok = await connect({
      host: '127.0.0.1',
      port: Number((broker.endpoints.SASL_PLAINTEXT as string).split(':')[1]),
      sasl: scramSha512({ username: 'admin', password: 'admin-secret' }),
    });
    expect((await ok.request(ApiKey.Metadata, METADATA_ALL)).brokers).toHaveLength(1);
    await ok.close();
  };

  const handshaken = async (mechanism: string, endpoint = broker.endpoints.SASL_PLAINTEXT as string) => {
    const c = await RawConnection.open(endpoint);
    expect((await c.send(ApiKey.SaslHandshake, 1, { mechanism })).errorCode).toBe(0);
    return c;
  };

  it('answers a wrong password with SASL_AUTHENTICATION_FAILED, then closes: a pipelined request is never served', async () => {
    const c = await RawConnection.open(broker.endpoints.SASL_PLAINTEXT as string);
    await c.send(ApiKey.SaslHandshake, 1, { mechanism: 'SCRAM-SHA-512' });
    let metadata: Promise<unknown> | undefined;
    let failure: ResponseTypes[typeof ApiKey.SaslAuthenticate] | undefined;
    await scramSha512({ username: 'writer', password: 'wrong' })
      .authenticate(async (authBytes) => {
        const answer = c.send(ApiKey.SaslAuthenticate, 2, { authBytes });
        if (authBytes.toString().startsWith('c=')) metadata = c.send(ApiKey.Metadata, 12, METADATA_ALL);
        const r = await answer;
        if (r.errorCode !== 0) {
          failure = r;
          throw new Error('failed');
        }
        return r.authBytes;
      })
      .catch(() => {});
    expect(failure?.errorCode).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
    expect(failure?.errorMessage).toMatch(/invalid credentials with SASL mechanism SCRAM-SHA-512/);
    expect(failure?.errorMessage).not.toContain('wrong');
    await within(c.closed, 3000);
    await expect(metadata).rejects.toThrow(/closed/);
  });

  it('refuses any request but ApiVersions and SASL before authentication, and unknown mechanisms', async () => {
    const c = await RawConnection.open(broker.endpoints.SASL_PLAINTEXT as string);
    const versions = await c.send(ApiKey.ApiVersions, 3, {
      clientSoftwareName: 'raw',
      clientSoftwareVersion: '1',
    });
    expect(versions.apiKeys.map((k) => k.apiKey)).toEqual(expect.arrayContaining([17, 29, 30, 31, 36, 50, 51]));
    await expect(c.send(ApiKey.Metadata, 12, METADATA_ALL)).rejects.toThrow(/closed/);

    const m = await RawConnection.open(broker.endpoints.SASL_PLAINTEXT as string);
    const hs = await m.send(ApiKey.SaslHandshake, 1, { mechanism: 'GSSAPI' });
    expect(hs.errorCode).toBe(ErrorCode.UNSUPPORTED_SASL_MECHANISM);
    expect(hs.mechanisms).toEqual(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']);
    await within(m.closed, 3000);
  });

  it('gives the session lifetime of connections.max.reauth.ms, re-authenticates on the same connection, closes expired ones', async () => {
    const c = await RawConnection.open(broker.endpoints.REAUTH as string);
    const first = await scramLogin(c, 'admin', 'admin-secret');
    expect(first.sessionLifetimeMs).toBe(1500n);
    await new Promise((r) => setTimeout(r, 800));
    const again = await scramLogin(c, 'admin', 'admin-secret');
    expect(again.sessionLifetimeMs).toBe(1500n);
    await new Promise((r) => setTimeout(r, 1000)); // past the first session's end, inside the second's
    expect((await c.send(ApiKey.Metadata, 12, METADATA_ALL)).brokers).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 1200)); // past the second's end
    await expect(c.send(ApiKey.Metadata, 12, METADATA_ALL)).rejects.toThrow(/closed/);

    // Re-authenticating as someone else is refused and ends the connection.
    const d = await RawConnection.open(broker.endpoints.REAUTH as string);
    await scramLogin(d, 'admin', 'admin-secret');
    await expect(scramLogin(d, 'writer', 'writer-secret')).rejects.toThrow(/SASL_AUTHENTICATION_FAILED|58/);
    await within(d.closed, 3000);
    // Listeners without connections.max.reauth.ms give sessions that do not expire.
    const e = await RawConnection.open(broker.endpoints.SASL_PLAINTEXT as string);
    expect((await scramLogin(e, 'admin', 'admin-secret')).sessionLifetimeMs).toBe(0n);
    e.close();
  }, 20_000);

  it('serves the SaslHandshake v0 raw-token path and refuses a replayed client-final', async () => {
    const a = await RawConnection.open(broker.endpoints.SASL_PLAINTEXT as string);
    expect((await a.send(ApiKey.SaslHandshake, 0, { mechanism: 'SCRAM-SHA-512' })).errorCode).toBe(0);
    const sent: Buffer[] = [];
    await scramSha512({ username: 'admin', password: 'admin-secret' }).authenticate(async (m) => {
      sent.push(m);
      return a.token(m);
    });
    expect((await a.send(ApiKey.Metadata, 12, METADATA_ALL)).brokers).toHaveLength(1);
    a.close();

    // A second connection replays the first exchange's messages: the server nonce differs.
    const b = await RawConnection.open(broker.endpoints.SASL_PLAINTEXT as string);
    await b.send(ApiKey.SaslHandshake, 0, { mechanism: 'SCRAM-SHA-512' });
    await b.token(sent[0] as Buffer);
    await expect(b.token(sent[1] as Buffer)).rejects.toThrow(/closed/);
  });

  it('survives malformed and oversized SASL tokens and TLS garbage', async () => {
    const endpoint = broker.endpoints.SASL_PLAINTEXT as string;
    for (const token of [Buffer.from('garbage'), Buffer.alloc(0), randomBytes(5000), Buffer.from('n,,n=admin,r=')]) {
      const c = await RawConnection.open(endpoint);
      await c.send(ApiKey.SaslHandshake, 1, { mechanism: 'SCRAM-SHA-512' });
      const r = await c.send(ApiKey.SaslAuthenticate, 2, { authBytes: token });
      expect(r.errorCode).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
      await within(c.closed, 3000);
    }
    // A frame larger than sasl.server.max.receive.size before authentication closes the connection.
    const big = await RawConnection.open(endpoint);
    const header = Buffer.alloc(4);
    header.writeInt32BE(600_000);
    big.write(header);
    await within(big.closed, 3000);
    // Random bytes where a TLS ClientHello belongs.
    for (const name of ['SSL', 'SASL_SSL']) {
      const g = await RawConnection.open(broker.endpoints[name] as string);
      g.write(randomBytes(2048));
      await within(g.closed, 3000);
    }
    // A TLS client with no certificate on the listener that requires one.
    const [host, port] = (broker.endpoints.SSL as string).split(':');
    const noCert = tlsConnect({ host, port: Number(port), ca: require('node:fs').readFileSync(certs.ca) });
    await within(
      new Promise<void>((resolve) => {
        noCert.on('error', () => resolve());
        noCert.on('close', () => resolve());
        noCert.on('secureConnect', () => noCert.write(Buffer.from([0, 0, 0, 1, 0])));
      }),
      5000,
    );
    // Still serving.
    const ok = await connect({
      host: '127.0.0.1',
      port: Number(endpoint.split(':')[1]),
      sasl: scramSha512({ username: 'admin', password: 'admin-secret' }),
    });
    expect((await ok.request(ApiKey.Metadata, METADATA_ALL)).brokers).toHaveLength(1);
    await ok.close();
  });

  it('manages SCRAM credentials with AlterUserScramCredentials and DescribeUserScramCredentials', async () => {
    const [host, port] = (broker.endpoints.SASL_PLAINTEXT as string).split(':') as [string, string];
    const as = (user: string, password = `${user}-secret`) =>
      connect({ host, port: Number(port), sasl: scramSha512({ username: user, password }) });
    const admin = await as('admin');
    const salt = randomBytes(24);
    const salted = await saltPassword('SHA-512', 'carol-secret', salt, 8192);
    const altered = await admin.request(ApiKey.AlterUserScramCredentials, {
      deletions: [],
      upsertions: [{ name: 'carol', mechanism: 2, iterations: 8192, salt, saltedPassword: salted }],
    });
    expect(altered.results).toEqual([{ user: 'carol', errorCode: 0, errorMessage: null }]);
    const described = await admin.request(ApiKey.DescribeUserScramCredentials, {
      users: [{ name: 'carol' }, { name: 'nobody' }],
    });
    expect(described.results).toEqual([
      { user: 'carol', errorCode: 0, errorMessage: null, credentialInfos: [{ mechanism: 2, iterations: 8192 }] },
      expect.objectContaining({ user: 'nobody', errorCode: ErrorCode.RESOURCE_NOT_FOUND }),
    ]);
    const all = await admin.request(ApiKey.DescribeUserScramCredentials, { users: null });
    expect(all.results.map((r) => r.user)).toEqual(['admin', 'carol', 'reader', 'writer']);

    const carol = await as('carol');
    expect((await carol.request(ApiKey.Metadata, METADATA_ALL)).brokers).toHaveLength(1);
    await carol.close();

    const bad = await admin.request(ApiKey.AlterUserScramCredentials, {
      deletions: [{ name: 'ghost', mechanism: 2 }],
      upsertions: [
        { name: 'weak', mechanism: 2, iterations: 100, salt, saltedPassword: salted },
        { name: 'odd', mechanism: 9, iterations: 8192, salt, saltedPassword: salted },
      ],
    });
    expect(bad.results.map((r) => [r.user, r.errorCode])).toEqual([
      ['ghost', ErrorCode.RESOURCE_NOT_FOUND],
      ['weak', ErrorCode.UNACCEPTABLE_CREDENTIAL],
      ['odd', ErrorCode.UNSUPPORTED_SASL_MECHANISM],
    ]);

    const writer = await as('writer');
    const refused = await writer.request(ApiKey.AlterUserScramCredentials, {
      deletions: [{ name: 'carol', mechanism: 2 }],
      upsertions: [],
    });
    expect(refused.results).toEqual([
      expect.objectContaining({ user: 'carol', errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED }),
    ]);
    expect((await writer.request(ApiKey.DescribeUserScramCredentials, { users: null })).errorCode).toBe(
      ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    );
    await writer.close();

    const deleted = await admin.request(ApiKey.AlterUserScramCredentials, {
      deletions: [{ name: 'carol', mechanism: 2 }],
      upsertions: [],
    });
    expect(deleted.results).toEqual([{ user: 'carol', errorCode: 0, errorMessage: null }]);
    await expect(as('carol')).rejects.toThrow(/SASL|authentication/i);
    await admin.close();
  });

  it('checks groups (FindCoordinator, OffsetFetch) and filters ACLs (DescribeAcls MATCH, DeleteAcls)', async () => {
    const [host, port] = (broker.endpoints.SASL_PLAINTEXT as string).split(':') as [string, string];
    const admin = await connect({
      host,
      port: Number(port),
      sasl: scramSha512({ username: 'admin', password: 'admin-secret' }),
    });
    const acl = (name: string, patternType: number, operation: number) => ({
      resourceType: 3,
      resourceName: name,
      resourcePatternType: patternType,
      principal: 'User:reader',
      host: '*',
      operation,
      permissionType: 3,
    });
    const created = await admin.request(ApiKey.CreateAcls, {
      creations: [acl('team-', 4, 3), acl('team-a', 3, 8), acl('kafka', 3, 99)],
    });
    expect(created.results.map((r) => r.errorCode)).toEqual([0, 0, ErrorCode.INVALID_REQUEST]);
    const match = await admin.request(ApiKey.DescribeAcls, {
      resourceTypeFilter: 3,
      resourceNameFilter: 'team-a',
      patternTypeFilter: 2,
      principalFilter: null,
      hostFilter: null,
      operation: 1,
      permissionType: 1,
    });
    expect(match.resources.map((r) => [r.resourceName, r.patternType]).sort()).toEqual([
      ['team-', 4],
      ['team-a', 3],
    ]);

    const reader = await connect({
      host,
      port: Number(port),
      sasl: scramSha512({ username: 'reader', password: 'reader-secret' }),
    });
    const find = async (key: string) =>
      (await reader.request(ApiKey.FindCoordinator, { key, keyType: 0, coordinatorKeys: [key] }, { version: 3 }))
        .errorCode;
    expect(await find('team-b')).toBe(0);
    expect(await find('other-group')).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const fetched = await reader.request(
      ApiKey.OffsetFetch,
      { groupId: 'other-group', topics: null, groups: [], requireStable: false },
      { version: 7 },
    );
    expect(fetched.errorCode).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);

    const deleted = await admin.request(ApiKey.DeleteAcls, {
      filters: [
        {
          resourceTypeFilter: 3,
          resourceNameFilter: null,
          patternTypeFilter: 1,
          principalFilter: 'User:reader',
          hostFilter: null,
          operation: 1,
          permissionType: 1,
        },
      ],
    });
    expect(deleted.filterResults[0]?.matchingAcls).toHaveLength(2);
    expect(await find('team-b')).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    await reader.close();
    await admin.close();
  });
  it('refuses an oversized client-first message, and closes one beyond sasl.server.max.receive.size unanswered', async () => {
    // 300 KB of user name: a frame the broker reads (under 512 KB), a SCRAM message it refuses.
    const c = await handshaken('SCRAM-SHA-512');
    const first = Buffer.from(`n,,n=${'a'.repeat(300_000)},r=${randomBytes(18).toString('base64')}`);
    const r = await c.send(ApiKey.SaslAuthenticate, SASL_AUTHENTICATE_V2, { authBytes: first });
    expect(r.errorCode).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
    await within(c.closed, 3000);
    await stillServes();
    // 600 KB sent in full before authentication: the connection is closed, nothing answered.
    const d = await handshaken('SCRAM-SHA-512');
    const huge = Buffer.from(`n,,n=admin,r=${'x'.repeat(600_000)}`);
    await expect(d.send(ApiKey.SaslAuthenticate, SASL_AUTHENTICATE_V2, { authBytes: huge })).rejects.toThrow(/closed/);
    await stillServes();
  });

  it('refuses a client-final replayed from an earlier session with SASL_AUTHENTICATION_FAILED', async () => {
    // A session that succeeds, its tokens recorded as an eavesdropper would.
    const a = await handshaken('SCRAM-SHA-512');
    const sent: Buffer[] = [];
    await scramSha512({ username: 'admin', password: 'admin-secret' }).authenticate(async (authBytes) => {
      sent.push(authBytes);
      const r = await a.send(ApiKey.SaslAuthenticate, SASL_AUTHENTICATE_V2, { authBytes });
      expect(r.errorCode).toBe(0);
      return r.authBytes;
    });
    expect((await a.send(ApiKey.Metadata, 12, METADATA_ALL)).brokers).toHaveLength(1);
    a.close();
    const [clientFirst, clientFinal] = sent as [Buffer, Buffer];
    // Replayed whole: the server's nonce is new, so the old proof and nonce do not fit.
    const b = await handshaken('SCRAM-SHA-512');
    const serverFirst = await b.send(ApiKey.SaslAuthenticate, SASL_AUTHENTICATE_V2, { authBytes: clientFirst });
    expect(serverFirst.errorCode).toBe(0);
    expect(serverFirst.authBytes.toString()).not.toBe(clientFinal.toString());
    const replayed = await b.send(ApiKey.SaslAuthenticate, SASL_AUTHENTICATE_V2, { authBytes: clientFinal });
    expect(replayed.errorCode).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
    await within(b.closed, 3000);
    // The old client-final after a fresh client-first (another client nonce) fails the same way.
    const c = await handshaken('SCRAM-SHA-512');
    const fresh = Buffer.from(`n,,n=admin,r=${randomBytes(18).toString('base64')}`);
    expect((await c.send(ApiKey.SaslAuthenticate, SASL_AUTHENTICATE_V2, { authBytes: fresh })).errorCode).toBe(0);
    expect(await refusedOrClosed(c, clientFinal)).toBe('refused');
    await within(c.closed, 3000);
    await stillServes();
  });

  it('closes plaintext Kafka frames on the TLS ports without answering them', async () => {
    for (const name of ['SSL', 'SASL_SSL']) {
      const c = await RawConnection.open(broker.endpoints[name] as string);
      await expect(
        within(c.send(ApiKey.ApiVersions, 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' }), 5000),
      ).rejects.toThrow(/closed/);
      expect(c.isClosed).toBe(true);
      await stillServes();
    }
  });

  it('property: random SASL tokens end in an error or a closed connection, and never crash the broker', async () => {
    const mechanisms = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
    // Bytes of every kind, and SCRAM-looking text with random attributes.
    const token = fc.oneof(
      fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b)),
      fc
        .array(fc.tuple(fc.constantFrom('n', 'r', 'a', 'c', 'p', 's', 'i', 'x', ''), fc.string({ maxLength: 40 })), {
          maxLength: 6,
        })
        .map((attrs) => Buffer.from(`n,,${attrs.map(([k, v]) => `${k}=${v}`).join(',')}`)),
    );
    let refused = 0;
    let closed = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...mechanisms), token, fc.boolean(), async (mechanism, bytes, second) => {
        const c = await handshaken(mechanism);
        if (second && mechanism !== 'PLAIN') {
          // As the client-final, after a valid client-first.
          const first = Buffer.from(`n,,n=admin,r=${randomBytes(18).toString('base64')}`);
          expect((await c.send(ApiKey.SaslAuthenticate, SASL_AUTHENTICATE_V2, { authBytes: first })).errorCode).toBe(0);
        }
        if ((await refusedOrClosed(c, bytes)) === 'refused') refused++;
        else closed++;
        await within(c.closed, 3000);
      }),
      { numRuns: 150 },
    );
    expect(refused + closed).toBe(150);
    await stillServes();
  }, 60_000);

  it('property: random bytes on the TLS ports, bare or behind a TLS record header, never crash the broker', async () => {
    // A TLS handshake record header (content type 22, version 3.x, length) makes the bytes reach the
    // TLS parser's ClientHello handling rather than fail at the first byte.
    const garbage = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 3000 }).map((b) => Buffer.from(b)),
      fc.tuple(fc.integer({ min: 0, max: 4 }), fc.uint8Array({ minLength: 1, maxLength: 600 })).map(([minor, body]) => {
        const header = Buffer.from([22, 3, minor, 0, 0]);
        header.writeUInt16BE(body.length, 3);
        return Buffer.concat([header, Buffer.from(body)]);
      }),
    );
    let closedByBroker = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('SSL', 'SASL_SSL'), garbage, async (listener, bytes) => {
        const c = await RawConnection.open(broker.endpoints[listener] as string);
        c.write(bytes);
        // The broker closes it, or (a record it still waits the rest of) we give up after 200 ms.
        await Promise.race([c.closed, new Promise((r) => setTimeout(r, 200))]);
        if (c.isClosed) closedByBroker++;
        c.close();
      }),
      { numRuns: 40 },
    );
    expect(closedByBroker).toBeGreaterThan(0);
    await stillServes();
  }, 60_000);

  it('gives a broker the client options for a secured inter-broker listener (JAAS username/password, truststore)', async () => {
    const configFor = (listener: string, mechanism: string, jaasKey: string) =>
      new BrokerConfig(
        new Map([
          ['node.id', '2'],
          ['listeners', `${listener}://127.0.0.1:0`],
          ['inter.broker.listener.name', listener],
          ['sasl.mechanism.inter.broker.protocol', mechanism],
          [
            jaasKey,
            'org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="admin-secret";',
          ],
          ['ssl.truststore.location', certs.ca],
          ['ssl.keystore.location', certs.brokerKeystore],
          ['ssl.key.password', certs.brokerKeyPassword],
        ]),
      );
    for (const [listener, mechanism, key] of [
      ['SASL_SSL', 'SCRAM-SHA-512', 'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config'],
      ['SASL_PLAINTEXT', 'SCRAM-SHA-512', 'sasl.jaas.config'],
    ] as const) {
      const [host, port] = (broker.endpoints[listener] as string).split(':') as [string, string];
      const c = await connect({
        host,
        port: Number(port),
        ...interBrokerClientOptions(configFor(listener, mechanism, key)),
      });
      expect((await c.request(ApiKey.Metadata, METADATA_ALL)).brokers).toHaveLength(1);
      await c.close();
    }
    expect(() =>
      interBrokerClientOptions(
        new BrokerConfig(
          new Map([
            ['node.id', '2'],
            ['listeners', 'SASL_PLAINTEXT://127.0.0.1:0'],
            ['inter.broker.listener.name', 'SASL_PLAINTEXT'],
          ]),
        ),
      ),
    ).toThrow(/JAAS/);
  });
});

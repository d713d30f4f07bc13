import { createHash, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeBroker, type Handlers } from '../../test/fake-broker.js';
import { ErrorCode, KafkaError } from '../errors.js';
import { ApiKey } from '../generated/api.js';
import {
  defaultSaslAuthenticateResponse,
  type SaslAuthenticateResponse,
} from '../generated/messages/sasl-authenticate-response.js';
import { type Connection, connect } from './connection.js';
import { ClientError } from './errors.js';
import { escapeUsername, plain, type SaslMechanism, scram, scramSha256, scramSha512 } from './sasl.js';

// RFC 7677 section 3 (and RFC 5802 section 5 for the message layout).
const RFC = {
  username: 'user',
  password: 'pencil',
  clientNonce: 'rOprNGfwEbeRWgbNEkqO',
  serverNonce: '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
  salt: 'W22ZaJ0SNY7soEsUEjb6gQ==',
  iterations: 4096,
};
const RFC7677_CLIENT_FINAL =
  'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=';
const RFC7677_SERVER_FINAL = 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=';
// The same inputs with SHA-512, computed with Python's hashlib/hmac (an implementation independent of
// this one, which reproduces RFC 7677's SHA-256 values above).
const SHA512_CLIENT_FINAL =
  'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=gMGXRcevScNtxZ6/8lQYpGtnsNAc3mGcmNomv+xnoOMw+3R2xNJdMNnzMlTN8PPC6wdp6dybEmDYXYTxwnYPJQ==';
const SHA512_SERVER_FINAL =
  'v=ZQnYEgWQMFmmsM8aQMF0nDDCy/AgCzkwk8CmMZYcMg0vSVlKDanekLtifDSeVGT4+5ZxXnJq199RVG2rR7N7Zw==';

type Hash = 'sha256' | 'sha512';

interface ScramServerOptions {
  readonly hash: Hash;
  readonly username: string;
  readonly password: string;
  readonly salt?: string;
  readonly iterations?: number;
  readonly serverNonce?: string;
  /** Misbehaviours, to see the client refuse them. */
  readonly forgeServerSignature?: boolean;
  readonly foreignNonce?: boolean;
}

/**
 * The broker's side of SCRAM (RFC 5802 section 3), written from the RFC and independent of the client:
 * it keeps only StoredKey and ServerKey, as Kafka does, and checks the proof by recovering ClientKey.
 */
function scramServer(options: ScramServerOptions) {
  const salt = options.salt ?? RFC.salt;
  const iterations = options.iterations ?? RFC.iterations;
  const size = options.hash === 'sha256' ? 32 : 64;
  const salted = pbkdf2Sync(options.password, Buffer.from(salt, 'base64'), Math.max(iterations, 1), size, options.hash);
  const hmac = (key: Buffer, data: string) => createHmac(options.hash, key).update(data).digest();
  const storedKey = createHash(options.hash).update(hmac(salted, 'Client Key')).digest();
  const serverKey = hmac(salted, 'Server Key');
  const messages: string[] = [];
  const state = new WeakMap<object, { clientFirstBare: string; serverFirst: string; nonce: string }>();
  const mechanism = options.hash === 'sha256' ? 'SCRAM-SHA-256' : 'SCRAM-SHA-512';
  const failed = {
    ...defaultSaslAuthenticateResponse(),
    errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED,
    errorMessage: `Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism}`,
  };

  /** One SCRAM message from the client (of the session `key`) to the server's answer. */
  const respond = (key: object, message: string): SaslAuthenticateResponse => {
    messages.push(message);
    const session = state.get(key);
    if (!session) {
      const match = /^n,,(n=([^,]*),r=(.*))$/.exec(message);
      if (!match?.[1] || match[2] === undefined || match[3] === undefined) return failed;
      const username = match[2].replaceAll('=2C', ',').replaceAll('=3D', '=');
      if (username !== options.username) return failed;
      const clientNonce = match[3];
      const nonce = options.foreignNonce ? `x${clientNonce}` : clientNonce + (options.serverNonce ?? RFC.serverNonce);
      const serverFirst = `r=${nonce},s=${salt},i=${iterations}`;
      state.set(key, { clientFirstBare: match[1], serverFirst, nonce });
      return { ...defaultSaslAuthenticateResponse(), authBytes: Buffer.from(serverFirst) };
    }
    const match = /^(c=biws,r=([^,]*)),p=(.*)$/.exec(message);
    if (!match?.[1] || match[2] !== session.nonce || match[3] === undefined) return failed;
    const authMessage = `${session.clientFirstBare},${session.serverFirst},${match[1]}`;
    const clientSignature = hmac(storedKey, authMessage);
    const proof = Buffer.from(match[3], 'base64');
    if (proof.length !== clientSignature.length) return failed;
    const clientKey = Buffer.from(proof.map((b, i) => b ^ (clientSignature[i] ?? 0)));
    const recovered = createHash(options.hash).update(clientKey).digest();
    if (!timingSafeEqual(recovered, storedKey)) return failed;
    const signature = options.forgeServerSignature ? Buffer.alloc(size, 1) : hmac(serverKey, authMessage);
    return { ...defaultSaslAuthenticateResponse(), authBytes: Buffer.from(`v=${signature.toString('base64')}`) };
  };

  const handlers: Handlers = {
    [ApiKey.SaslHandshake]: ({ body }) =>
      body.mechanism === mechanism
        ? { errorCode: 0, mechanisms: [mechanism] }
        : { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: [mechanism] },
    [ApiKey.SaslAuthenticate]: ({ body, socket }) => respond(socket, body.authBytes.toString('utf8')),
  };
  return { handlers, messages, respond };
}

const brokers: FakeBroker[] = [];
const connections: Connection[] = [];

afterEach(async () => {
  await Promise.all(connections.splice(0).map((c) => c.close()));
  await Promise.all(brokers.splice(0).map((b) => b.close()));
});

async function brokerWith(handlers: Handlers): Promise<FakeBroker> {
  const broker = await FakeBroker.start({ handlers });
  brokers.push(broker);
  return broker;
}

async function authenticate(broker: FakeBroker, sasl: SaslMechanism): Promise<Connection> {
  const connection = await connect({ host: broker.host, port: broker.port, sasl });
  connections.push(connection);
  return connection;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof Error) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

const rfcNonce = () => RFC.clientNonce;

/** The test verifier's server-final-message for the RFC's exchange ending in `clientFinal`. */
function serverFinal(hash: Hash, clientFinal: string): string {
  const { respond } = scramServer({ hash, username: RFC.username, password: RFC.password });
  const session = {};
  respond(session, `n,,n=user,r=${RFC.clientNonce}`);
  return respond(session, clientFinal).authBytes.toString('utf8');
}

describe('SCRAM', () => {
  it('SCRAM-SHA-256 sends exactly RFC 7677 messages and verifies its server signature', async () => {
    const server = scramServer({ hash: 'sha256', username: RFC.username, password: RFC.password });
    const broker = await brokerWith(server.handlers);
    const sasl = scram({ algorithm: 'SHA-256', username: RFC.username, password: RFC.password, createNonce: rfcNonce });
    await authenticate(broker, sasl);

    expect(server.messages).toEqual(['n,,n=user,r=rOprNGfwEbeRWgbNEkqO', RFC7677_CLIENT_FINAL]);
    // The verifier itself reproduces the RFC's server-final-message, which the client accepted.
    expect(serverFinal('sha256', RFC7677_CLIENT_FINAL)).toBe(RFC7677_SERVER_FINAL);
    expect(broker.versionsOf(ApiKey.SaslHandshake)).toEqual([1]);
    expect(broker.versionsOf(ApiKey.SaslAuthenticate)).toHaveLength(2);
  });

  it('SCRAM-SHA-512 sends the expected messages for the RFC inputs and verifies its server signature', async () => {
    const server = scramServer({ hash: 'sha512', username: RFC.username, password: RFC.password });
    const broker = await brokerWith(server.handlers);
    const sasl = scram({ algorithm: 'SHA-512', username: RFC.username, password: RFC.password, createNonce: rfcNonce });
    await authenticate(broker, sasl);
    expect(server.messages).toEqual(['n,,n=user,r=rOprNGfwEbeRWgbNEkqO', SHA512_CLIENT_FINAL]);
    expect(serverFinal('sha512', SHA512_CLIENT_FINAL)).toBe(SHA512_SERVER_FINAL);
  });

  it('authenticates with random nonces and a username that needs escaping', async () => {
    const username = 'ops=admin,eu';
    expect(escapeUsername(username)).toBe('ops=3Dadmin=2Ceu');
    for (const [hash, make] of [
      ['sha256', scramSha256],
      ['sha512', scramSha512],
    ] as const) {
      const server = scramServer({ hash, username, password: 's3cret', serverNonce: 'srv' });
      const broker = await brokerWith(server.handlers);
      const connection = await authenticate(broker, make({ username, password: 's3cret' }));
      expect(connection.closed).toBe(false);
      expect(server.messages[0]).toMatch(/^n,,n=ops=3Dadmin=2Ceu,r=[\x21-\x2b\x2d-\x7e]{20,}$/);
    }
  });

  it('a wrong password fails with SASL_AUTHENTICATION_FAILED and the password appears nowhere', async () => {
    const password = 'not-the-password-4e1f';
    const server = scramServer({ hash: 'sha256', username: RFC.username, password: RFC.password });
    const broker = await brokerWith(server.handlers);
    const sasl = scramSha256({ username: RFC.username, password });
    const err = await rejection(connect({ host: broker.host, port: broker.port, sasl }));

    expect(err).toBeInstanceOf(KafkaError);
    expect(err).toMatchObject({ code: 'SASL_AUTHENTICATION_FAILED', errorCode: 58, retriable: false });
    expect(err.message).toContain('invalid credentials');
    expect(inspect(err, { depth: 10 })).not.toContain(password);
    expect(inspect(sasl, { depth: 10 })).not.toContain(password);
    expect(JSON.stringify(sasl)).not.toContain(password);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(broker.sockets.size).toBe(0); // the failed connection was closed
  });

  it('refuses a server that cannot prove it knows the credentials', async () => {
    const server = scramServer({ hash: 'sha256', ...RFC, forgeServerSignature: true });
    const broker = await brokerWith(server.handlers);
    const err = await rejection(
      connect({ host: broker.host, port: broker.port, sasl: scramSha256({ username: 'user', password: 'pencil' }) }),
    );
    expect(err).toMatchObject({ code: 'SASL_AUTHENTICATION_FAILED' });
    expect(err.message).toContain('server signature');
  });

  it('refuses a nonce that does not extend its own and an iteration count below 4096', async () => {
    for (const misbehaviour of [{ foreignNonce: true }, { iterations: 1000 }]) {
      const server = scramServer({ hash: 'sha256', ...RFC, ...misbehaviour });
      const broker = await brokerWith(server.handlers);
      const err = await rejection(
        connect({ host: broker.host, port: broker.port, sasl: scramSha256({ username: 'user', password: 'pencil' }) }),
      );
      expect(err).toBeInstanceOf(ClientError);
      expect(err).toMatchObject({ code: 'ERR_SASL_PROTOCOL' });
    }
  });

  it('a mechanism the broker does not enable fails with UNSUPPORTED_SASL_MECHANISM naming what it offers', async () => {
    const server = scramServer({ hash: 'sha512', ...RFC });
    const broker = await brokerWith(server.handlers);
    const err = await rejection(
      connect({ host: broker.host, port: broker.port, sasl: scramSha256({ username: 'user', password: 'pencil' }) }),
    );
    expect(err).toMatchObject({ code: 'UNSUPPORTED_SASL_MECHANISM' });
    expect(err.message).toContain('SCRAM-SHA-512');
  });
});

describe('PLAIN', () => {
  it('sends NUL-separated credentials in one SaslAuthenticate', async () => {
    const seen: Buffer[] = [];
    const broker = await brokerWith({
      [ApiKey.SaslHandshake]: () => ({ errorCode: 0, mechanisms: ['PLAIN'] }),
      [ApiKey.SaslAuthenticate]: ({ body }) => {
        seen.push(body.authBytes);
        return defaultSaslAuthenticateResponse();
      },
    });
    const connection = await authenticate(broker, plain({ username: 'user', password: 'pencil' }));
    expect(seen.map((b) => b.toString('utf8'))).toEqual(['\u0000user\u0000pencil']);
    expect(inspect(connection, { depth: 10 })).not.toContain('pencil');
  });
});

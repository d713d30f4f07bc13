/**
 * SASL mechanisms for `connect({ sasl })`. A mechanism drives the exchange: it calls `step` with each
 * message for the broker (one SaslAuthenticate round trip) and gets the broker's answer back. Passwords
 * live only in the mechanism's closure: they are not properties (so logging the options or a
 * connection does not print them) and no error message includes them.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { ErrorCode, KafkaError } from '../errors.js';
import {
  escapeUsername,
  isScramNonce,
  parseScramAttributes,
  SCRAM_MIN_ITERATIONS,
  type ScramAlgorithm,
  saltPassword,
  scramHmac,
  scramKeys,
  xorBytes,
} from '../scram.js';
import { ClientError, ClientErrorCode } from './errors.js';

/** One SaslAuthenticate round trip: sends `clientMessage`, resolves to the broker's bytes. */
export type SaslStep = (clientMessage: Buffer) => Promise<Buffer>;

export interface SaslMechanism {
  /** The name sent in SaslHandshake: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, ... */
  readonly mechanism: string;
  /** Runs the whole exchange; rejects (KafkaError or ClientError) when authentication fails. */
  authenticate(step: SaslStep): Promise<void>;
}

export interface SaslCredentials {
  readonly username: string;
  readonly password: string;
}

/** PLAIN (RFC 4616): one message, `authzid NUL authcid NUL passwd`, with an empty authzid. */
export function plain(credentials: SaslCredentials): SaslMechanism {
  const { username, password } = credentials;
  return {
    mechanism: 'PLAIN',
    async authenticate(step) {
      await step(Buffer.from(`\u0000${username}\u0000${password}`, 'utf8'));
    },
  };
}

export type { ScramAlgorithm } from '../scram.js';
export { escapeUsername } from '../scram.js';

export interface ScramOptions extends SaslCredentials {
  readonly algorithm: ScramAlgorithm;
  /**
   * Makes the client nonce (printable ASCII without ','). Defaults to 24 random bytes in base64; tests
   * pass RFC 7677's nonce to check the exchange byte for byte.
   */
  readonly createNonce?: () => string;
}

/** Kafka's ScramMechanism.minIterations: a broker asking for fewer is not to be trusted. */
const MIN_ITERATIONS = SCRAM_MIN_ITERATIONS;
const GS2_HEADER = 'n,,';

export function scramSha256(credentials: SaslCredentials): SaslMechanism {
  return scram({ ...credentials, algorithm: 'SHA-256' });
}

export function scramSha512(credentials: SaslCredentials): SaslMechanism {
  return scram({ ...credentials, algorithm: 'SHA-512' });
}

/**
 * SCRAM (RFC 5802, RFC 7677) as Kafka speaks it (KIP-84): no channel binding (gs2 header `n,,`), no
 * authzid, the username escaped but not SASLprep'd (Kafka's ScramFormatter does not either), and
 * the server's signature checked before the exchange counts as a success.
 */
export function scram(options: ScramOptions): SaslMechanism {
  const { username, password, algorithm } = options;
  const createNonce = options.createNonce ?? (() => randomBytes(24).toString('base64'));
  const mechanism = `SCRAM-${algorithm}`;
  const hmac = (key: Buffer, data: string | Buffer) => scramHmac(algorithm, key, data);

  return {
    mechanism,
    async authenticate(step) {
      const clientNonce = createNonce();
      if (!isScramNonce(clientNonce)) {
        throw new TypeError('a SCRAM nonce is printable ASCII without commas');
      }
      const clientFirstBare = `n=${escapeUsername(username)},r=${clientNonce}`;
      const serverFirst = (await step(Buffer.from(GS2_HEADER + clientFirstBare, 'utf8'))).toString('utf8');

      const attrs = parseAttributes(serverFirst, mechanism);
      if (attrs.has('m')) throw saslProtocolError(mechanism, 'the server requires an extension this client lacks');
      const nonce = attrs.get('r');
      const salt = attrs.get('s');
      const iterations = Number(attrs.get('i'));
      if (!nonce || salt === undefined || !attrs.has('i')) {
        throw saslProtocolError(mechanism, 'server-first-message lacks r, s or i');
      }
      if (!nonce.startsWith(clientNonce) || nonce.length === clientNonce.length) {
        throw saslProtocolError(mechanism, 'the server nonce does not extend the client nonce');
      }
      if (!Number.isSafeInteger(iterations) || iterations < MIN_ITERATIONS) {
        throw saslProtocolError(mechanism, `the server asks for ${attrs.get('i')} iterations, below ${MIN_ITERATIONS}`);
      }

      const saltedPassword = await saltPassword(algorithm, password, Buffer.from(salt, 'base64'), iterations);
      const clientFinalWithoutProof = `c=${Buffer.from(GS2_HEADER).toString('base64')},r=${nonce}`;
      const authMessage = `${clientFirstBare},${serverFirst},${clientFinalWithoutProof}`;
      const { clientKey, storedKey, serverKey } = scramKeys(algorithm, saltedPassword);
      const proof = xorBytes(clientKey, hmac(storedKey, authMessage));
      const serverSignature = hmac(serverKey, authMessage);

      const serverFinal = (
        await step(Buffer.from(`${clientFinalWithoutProof},p=${proof.toString('base64')}`, 'utf8'))
      ).toString('utf8');
      const final = parseAttributes(serverFinal, mechanism);
      const serverError = final.get('e');
      if (serverError !== undefined) {
        throw new KafkaError(
          ErrorCode.SASL_AUTHENTICATION_FAILED,
          `${mechanism}: the server answered e=${serverError}`,
        );
      }
      const verifier = Buffer.from(final.get('v') ?? '', 'base64');
      if (verifier.length !== serverSignature.length || !timingSafeEqual(verifier, serverSignature)) {
        // The broker does not know the password: whoever answered is not the broker we meant.
        throw new KafkaError(
          ErrorCode.SASL_AUTHENTICATION_FAILED,
          `${mechanism}: the server signature does not verify, the server does not hold this user's credentials`,
        );
      }
    },
  };
}

function parseAttributes(message: string, mechanism: string): Map<string, string> {
  const attrs = parseScramAttributes(message);
  if (!attrs) throw saslProtocolError(mechanism, 'malformed server message');
  return attrs;
}

function saslProtocolError(mechanism: string, detail: string): ClientError {
  return new ClientError(ClientErrorCode.SASL_PROTOCOL, `${mechanism}: ${detail}`);
}

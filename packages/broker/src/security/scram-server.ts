/**
 * The server side of SCRAM-SHA-256/512 (RFC 5802, RFC 7677) as Kafka's ScramSaslServer runs it: no
 * channel binding (gs2 header `n,,`, or `n,a=<user>,` naming the same user), no extensions but
 * Kafka's own (`tokenauth`, which needs delegation tokens and is refused), a server nonce appended to
 * the client's, and the proof checked against StoredKey in constant time. The password never reaches
 * the broker: only salt, StoredKey and ServerKey are kept (see credentials.ts).
 *
 * An exchange is two steps; anything out of order, malformed, replayed or oversized ends it with a
 * SaslAuthenticationError, which the caller turns into SASL_AUTHENTICATION_FAILED and a closed
 * connection.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import {
  isScramNonce,
  parseScramAttributes,
  type ScramAlgorithm,
  scramHash,
  scramHmac,
  unescapeUsername,
  xorBytes,
} from '@flotilla/protocol';
import type { ScramCredential } from '../metadata/image.js';
import { SaslAuthenticationError, type SaslServer } from './sasl-server.js';

/** A client-first message is a few dozen bytes; anything this long is not a SCRAM client. */
const MAX_MESSAGE_BYTES = 4096;

export class ScramServer implements SaslServer {
  private state: 'client-first' | 'client-final' | 'complete' | 'failed' = 'client-first';
  private username = '';
  private credential: ScramCredential | undefined;
  private gs2Header = '';
  private clientFirstBare = '';
  private serverFirst = '';
  private nonce = '';

  constructor(
    readonly mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512',
    private readonly algorithm: ScramAlgorithm,
    private readonly lookup: (username: string) => ScramCredential | undefined,
    /** The server's part of the nonce; tests pass RFC 7677's to check the exchange byte for byte. */
    private readonly createNonce: () => string = () => randomBytes(24).toString('base64'),
  ) {}

  get complete(): boolean {
    return this.state === 'complete';
  }

  get authorizationId(): string {
    return this.username;
  }

  evaluate(token: Buffer): Buffer {
    try {
      if (token.length > MAX_MESSAGE_BYTES) this.fail('SCRAM message too long');
      const message = token.toString('utf8');
      switch (this.state) {
        case 'client-first':
          return this.clientFirst(message);
        case 'client-final':
          return this.clientFinal(message);
        default:
          return this.fail('Unexpected SCRAM message after the exchange ended');
      }
    } catch (e) {
      this.state = 'failed';
      throw e;
    }
  }

  private fail(reason: string): never {
    this.state = 'failed';
    throw new SaslAuthenticationError(
      `Authentication failed during authentication due to invalid credentials with SASL mechanism ${this.mechanism}`,
      reason,
    );
  }

  private clientFirst(message: string): Buffer {
    // gs2-header: 'n' (no channel binding), optional authzid, then client-first-message-bare.
    const m = /^(n,(?:a=([^,]*))?,)(.*)$/s.exec(message);
    if (!m) this.fail('Invalid SCRAM client first message: unsupported channel binding or malformed gs2 header');
    this.gs2Header = m[1] as string;
    const bare = m[3] as string;
    const attrs = parseScramAttributes(bare);
    if (!attrs || bare.indexOf('n=') !== 0 || !attrs.has('r')) this.fail('Invalid SCRAM client first message');
    for (const key of attrs.keys()) {
      if (key !== 'n' && key !== 'r') {
        // Extensions other than Kafka's tokenauth are unknown; tokenauth needs delegation tokens.
        this.fail(`Unsupported SCRAM extension ${key}`);
      }
    }
    const username = unescapeUsername(attrs.get('n') as string);
    const clientNonce = attrs.get('r') as string;
    if (username === null || username.length === 0) this.fail('Invalid SCRAM username');
    if (!isScramNonce(clientNonce)) this.fail('Invalid SCRAM client nonce');
    const authzid = m[2];
    if (authzid !== undefined && authzid !== '' && unescapeUsername(authzid) !== username) {
      this.fail('Authentication failed: Client requested an authorization id that is different from username');
    }
    this.credential = this.lookup(username);
    if (!this.credential) this.fail(`no ${this.mechanism} credential for this user`);
    this.username = username;
    this.clientFirstBare = bare;
    // Kafka's nonce is a secure random string appended to the client's; base64 without ',' is printable.
    this.nonce = clientNonce + this.createNonce();
    this.serverFirst = `r=${this.nonce},s=${this.credential.salt},i=${this.credential.iterations}`;
    this.state = 'client-final';
    return Buffer.from(this.serverFirst, 'utf8');
  }

  private clientFinal(message: string): Buffer {
    const credential = this.credential as ScramCredential;
    const proofAt = message.lastIndexOf(',p=');
    if (proofAt < 0) this.fail('Invalid SCRAM client final message: no proof');
    const withoutProof = message.slice(0, proofAt);
    const attrs = parseScramAttributes(message);
    if (!attrs || !message.startsWith('c=')) this.fail('Invalid SCRAM client final message');
    const channelBinding = Buffer.from(attrs.get('c') ?? '', 'base64').toString('utf8');
    if (channelBinding !== this.gs2Header) this.fail('Invalid SCRAM client final message: channel binding differs');
    // A nonce other than this exchange's (a replayed client-final) ends it. Kafka's ScramSaslServer
    // only asks that it end with the server-first nonce: librdkafka sends its client nonce twice.
    const nonce = attrs.get('r') ?? '';
    if (!nonce.endsWith(this.nonce)) this.fail('Invalid SCRAM client final message: nonce mismatch');
    const proof = Buffer.from(attrs.get('p') ?? '', 'base64');
    const storedKey = Buffer.from(credential.storedKey, 'base64');
    if (proof.length !== storedKey.length) this.fail('Invalid SCRAM client proof');
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const clientSignature = scramHmac(this.algorithm, storedKey, authMessage);
    const computedStoredKey = scramHash(this.algorithm, xorBytes(proof, clientSignature));
    if (!timingSafeEqual(computedStoredKey, storedKey)) this.fail('Invalid SCRAM client proof');
    const serverSignature = scramHmac(this.algorithm, Buffer.from(credential.serverKey, 'base64'), authMessage);
    this.state = 'complete';
    return Buffer.from(`v=${serverSignature.toString('base64')}`, 'utf8');
  }
}

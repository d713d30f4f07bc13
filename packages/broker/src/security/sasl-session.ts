/**
 * The SASL state of one connection on a SASL_PLAINTEXT or SASL_SSL listener, as Kafka's
 * SaslServerAuthenticator keeps it:
 *
 *   handshake    -> only ApiVersions and SaslHandshake are accepted;
 *   authenticate -> after SaslHandshake v1: only SaslAuthenticate; after v0: raw length-prefixed tokens
 *                   with no Kafka header (the path kafka-python 2.0 and old librdkafka use);
 *   complete     -> every request, until the session expires (connections.max.reauth.ms, KIP-368);
 *                   a SaslHandshake then starts re-authentication on the same connection;
 *   failed       -> the connection is closed once the error response is out.
 *
 * Anything else in a state closes the connection (Kafka's IllegalSaslStateException), so no
 * half-authenticated connection ever reaches a request handler.
 */
import { ApiKey, ErrorCode } from '@flotilla/protocol';
import type { Logger } from '../logger.js';
import { SaslAuthenticationError, type SaslServer } from './sasl-server.js';

export interface SaslListenerConfig {
  /** sasl.enabled.mechanisms for this listener. */
  readonly mechanisms: readonly string[];
  /** Makes the server side of a mechanism for one exchange. */
  createServer(mechanism: string): SaslServer;
  /** connections.max.reauth.ms; 0 means sessions never expire. */
  readonly maxReauthMs: number;
}

export interface AuthenticateResult {
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly authBytes: Buffer;
  readonly sessionLifetimeMs: number;
}

type State = 'handshake' | 'authenticate' | 'complete' | 'failed';

export class SaslSession {
  private state: State = 'handshake';
  private server: SaslServer | null = null;
  private mechanism: string | null = null;
  /** Whether tokens come raw (SaslHandshake v0) rather than in SaslAuthenticate requests. */
  private raw = false;
  private reauthenticating = false;
  /** When the session ends (Date.now() based); Infinity when it never does. */
  private expiresAt = Number.POSITIVE_INFINITY;
  private authenticatedPrincipal: string | null = null;

  constructor(
    private readonly config: SaslListenerConfig,
    private readonly log: Logger,
    private readonly connectionId: string,
    private readonly now: () => number = Date.now,
  ) {}

  get principal(): string | null {
    return this.authenticatedPrincipal;
  }

  get failed(): boolean {
    return this.state === 'failed';
  }

  /** True when the next frame is a raw SASL token, not a Kafka request. */
  get expectsRawToken(): boolean {
    return this.state === 'authenticate' && this.raw;
  }

  /**
   * Whether a request with this API key may be handled now; a reason to close the connection if not.
   */
  admit(apiKey: number): string | null {
    switch (this.state) {
      case 'handshake':
        if (apiKey === ApiKey.ApiVersions || apiKey === ApiKey.SaslHandshake) return null;
        return `Unexpected Kafka request of type ${apiKey} during SASL handshake.`;
      case 'authenticate':
        if (apiKey === ApiKey.SaslAuthenticate) return null;
        return `Unexpected Kafka request of type ${apiKey} during SASL authentication.`;
      case 'complete':
        if (apiKey === ApiKey.SaslHandshake) return null; // re-authentication (KIP-368)
        if (this.now() > this.expiresAt) return 'SASL session expired, the client did not re-authenticate in time';
        return null;
      case 'failed':
        return 'SASL authentication failed';
    }
  }

  /** SaslHandshake: picks the mechanism. Returns the error code for the response. */
  handshake(mechanism: string, version: number): number {
    if (this.state === 'complete') {
      // KIP-368: re-authentication needs SaslAuthenticate (handshake v1+) and the same mechanism.
      if (version < 1 || mechanism !== this.mechanism) {
        this.state = 'failed';
        return version < 1 ? ErrorCode.ILLEGAL_SASL_STATE : ErrorCode.UNSUPPORTED_SASL_MECHANISM;
      }
      this.reauthenticating = true;
    } else if (this.state !== 'handshake') {
      this.state = 'failed';
      return ErrorCode.ILLEGAL_SASL_STATE;
    }
    if (!this.config.mechanisms.includes(mechanism)) {
      this.state = 'failed';
      return ErrorCode.UNSUPPORTED_SASL_MECHANISM;
    }
    this.mechanism = mechanism;
    this.server = this.config.createServer(mechanism);
    this.raw = version === 0;
    this.state = 'authenticate';
    return 0;
  }

  get enabledMechanisms(): readonly string[] {
    return this.config.mechanisms;
  }

  /** One SaslAuthenticate (or raw) token. On failure the session is failed and must be closed. */
  async authenticate(token: Buffer): Promise<AuthenticateResult> {
    const server = this.server;
    if (this.state !== 'authenticate' || !server) {
      this.state = 'failed';
      return {
        errorCode: ErrorCode.ILLEGAL_SASL_STATE,
        errorMessage: 'SaslAuthenticate before a successful SaslHandshake',
        authBytes: Buffer.alloc(0),
        sessionLifetimeMs: 0,
      };
    }
    try {
      const answer = await server.evaluate(token);
      if (!server.complete) return { errorCode: 0, errorMessage: null, authBytes: answer, sessionLifetimeMs: 0 };
      const principal = `User:${server.authorizationId}`;
      if (this.reauthenticating && principal !== this.authenticatedPrincipal) {
        throw new SaslAuthenticationError(
          'Cannot change principals during re-authentication',
          `re-authentication as ${principal} on a connection of ${this.authenticatedPrincipal}`,
        );
      }
      this.authenticatedPrincipal = principal;
      this.state = 'complete';
      this.reauthenticating = false;
      this.server = null;
      const lifetime = Math.max(this.config.maxReauthMs, 0);
      this.expiresAt = lifetime > 0 ? this.now() + lifetime : Number.POSITIVE_INFINITY;
      this.log.debug(`connection ${this.connectionId} authenticated as ${principal} with ${server.mechanism}`);
      return { errorCode: 0, errorMessage: null, authBytes: answer, sessionLifetimeMs: lifetime };
    } catch (e) {
      this.state = 'failed';
      if (!(e instanceof SaslAuthenticationError)) throw e;
      this.log.info(`connection ${this.connectionId}: SASL ${server.mechanism} authentication failed: ${e.detail}`);
      return {
        errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED,
        errorMessage: e.message,
        authBytes: Buffer.alloc(0),
        sessionLifetimeMs: 0,
      };
    }
  }
}

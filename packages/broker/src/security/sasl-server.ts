/**
 * What a server-side SASL mechanism is (javax.security.sasl.SaslServer, reduced to what Kafka uses):
 * it evaluates each token from the client and answers with the next challenge, until it is complete.
 * A failed exchange throws SaslAuthenticationError: its message is what the client is told (Kafka's
 * deliberately vague wording), its `detail` is for the broker's log only and never holds a password.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export interface SaslServer {
  readonly mechanism: string;
  readonly complete: boolean;
  /** The authenticated user name, once complete. */
  readonly authorizationId: string;
  /** Evaluates one client token; returns the server's answer (empty for none). */
  evaluate(token: Buffer): Buffer | Promise<Buffer>;
}

export class SaslAuthenticationError extends Error {
  readonly code = 'ERR_SASL_AUTHENTICATION';
  constructor(
    message: string,
    readonly detail: string,
  ) {
    super(message);
    this.name = 'SaslAuthenticationError';
  }
}

/**
 * PLAIN (RFC 4616) checked against the users of a JAAS PlainLoginModule entry, as Kafka's
 * PlainServerCallbackHandler does (`user_<name>="<password>"`).
 */
export class PlainServer implements SaslServer {
  readonly mechanism = 'PLAIN';
  private done = false;
  private user = '';

  constructor(private readonly users: ReadonlyMap<string, string>) {}

  get complete(): boolean {
    return this.done;
  }

  get authorizationId(): string {
    return this.user;
  }

  evaluate(token: Buffer): Buffer {
    const fail = (detail: string): never => {
      throw new SaslAuthenticationError('Authentication failed: Invalid username or password', detail);
    };
    if (this.done) fail('PLAIN exchange already complete');
    if (token.length > 4096) fail('PLAIN message too long');
    const parts = token.toString('utf8').split('\u0000');
    if (parts.length !== 3) fail('Invalid SASL/PLAIN response: expected 3 tokens');
    const [authzid, username, password] = parts as [string, string, string];
    if (username.length === 0) fail('Authentication failed: username not specified');
    if (password.length === 0) fail('Authentication failed: password not specified');
    if (authzid.length > 0 && authzid !== username) {
      fail('Authentication failed: Client requested an authorization id that is different from username');
    }
    const expected = this.users.get(username);
    // Compare digests so the comparison takes the same time whatever the lengths (and for unknown users).
    const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
    const same = timingSafeEqual(digest(password), digest(expected ?? '\u0000unknown user'));
    if (expected === undefined || !same) fail(`invalid PLAIN credentials for user ${JSON.stringify(username)}`);
    this.user = username;
    this.done = true;
    return Buffer.alloc(0);
  }
}

/**
 * The `user_<name>="<password>"` options of a JAAS configuration text (the value of
 * `listener.name.<listener>.plain.sasl.jaas.config`), e.g.
 * `org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";`.
 */
export function parseJaasPlainUsers(jaas: string | null): Map<string, string> {
  const users = new Map<string, string>();
  if (!jaas) return users;
  for (const m of jaas.matchAll(/\buser_([^\s=]+)\s*=\s*"((?:[^"\\]|\\.)*)"/g)) {
    users.set(m[1] as string, (m[2] as string).replace(/\\(.)/g, '$1'));
  }
  return users;
}

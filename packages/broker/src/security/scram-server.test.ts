/**
 * The server side of SCRAM against RFC 7677's SHA-256 example (byte for byte) and against the client
 * mechanism of @flotilla/protocol: good and wrong passwords, replayed nonces, malformed and oversized
 * messages.
 */
import { scram, scramSha256, scramSha512 } from '@flotilla/protocol';
import { describe, expect, it } from 'vitest';
import type { ScramCredential } from '../metadata/image.js';
import { credentialFromPasswordSync, credentialFromSaltedPassword, parseAddScram } from './credentials.js';
import { SaslAuthenticationError } from './sasl-server.js';
import { ScramServer } from './scram-server.js';

function server512(users: Record<string, ScramCredential>, nonce?: () => string) {
  return new ScramServer('SCRAM-SHA-512', 'SHA-512', (u) => users[u], nonce);
}

describe('ScramServer', () => {
  it('answers RFC 7677 section 3 exactly', async () => {
    const { pbkdf2Sync } = await import('node:crypto');
    const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
    const salted = pbkdf2Sync('pencil', salt, 4096, 32, 'sha256');
    const credential = credentialFromSaltedPassword('user', 'SCRAM-SHA-256', salt, salted, 4096);
    const server = new ScramServer(
      'SCRAM-SHA-256',
      'SHA-256',
      (u) => (u === 'user' ? credential : undefined),
      () => '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
    );
    const first = server.evaluate(Buffer.from('n,,n=user,r=rOprNGfwEbeRWgbNEkqO')).toString();
    expect(first).toBe('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096');
    const final = server
      .evaluate(
        Buffer.from(
          'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
        ),
      )
      .toString();
    expect(final).toBe('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
    expect(server.complete).toBe(true);
    expect(server.authorizationId).toBe('user');
  });

  it('accepts the protocol client with the right password, SHA-256 and SHA-512', async () => {
    for (const [mechanism, algorithm, client] of [
      ['SCRAM-SHA-256', 'SHA-256', scramSha256],
      ['SCRAM-SHA-512', 'SHA-512', scramSha512],
    ] as const) {
      const credential = credentialFromPasswordSync('alice', mechanism, 'alice-secret', 4096);
      const server = new ScramServer(mechanism, algorithm, (u) => (u === 'alice' ? credential : undefined));
      await client({ username: 'alice', password: 'alice-secret' }).authenticate(async (m) => server.evaluate(m));
      expect(server.complete).toBe(true);
    }
  });

  it('refuses a wrong password, an unknown user and a user with odd characters it does not hold', async () => {
    const users = { alice: credentialFromPasswordSync('alice', 'SCRAM-SHA-512', 'alice-secret', 4096) };
    const wrong = server512(users);
    await expect(
      scramSha512({ username: 'alice', password: 'nope' }).authenticate(async (m) => wrong.evaluate(m)),
    ).rejects.toBeInstanceOf(SaslAuthenticationError);
    expect(wrong.complete).toBe(false);
    const unknown = server512(users);
    expect(() => unknown.evaluate(Buffer.from('n,,n=bob,r=abcdef'))).toThrow(SaslAuthenticationError);
    const escaped = server512(users);
    expect(() => escaped.evaluate(Buffer.from('n,,n=al=2Cice,r=abcdef'))).toThrow(/invalid credentials/);
  });

  it('refuses a replayed client-final from another exchange and any message after the end', async () => {
    const users = { alice: credentialFromPasswordSync('alice', 'SCRAM-SHA-512', 'alice-secret', 4096) };
    const messages: Buffer[] = [];
    const first = server512(users);
    await scram({ username: 'alice', password: 'alice-secret', algorithm: 'SHA-512' }).authenticate(async (m) => {
      messages.push(m);
      return first.evaluate(m);
    });
    // The same client messages against a new exchange: the server nonce differs, so the proof is stale.
    const second = server512(users);
    second.evaluate(messages[0] as Buffer);
    expect(() => second.evaluate(messages[1] as Buffer)).toThrow(SaslAuthenticationError);
    expect(() => first.evaluate(messages[1] as Buffer)).toThrow(SaslAuthenticationError);
  });

  it('refuses malformed, channel-bound, extended and oversized client messages', () => {
    const users = { alice: credentialFromPasswordSync('alice', 'SCRAM-SHA-512', 'alice-secret', 4096) };
    for (const bad of [
      '',
      'garbage',
      'p=tls-unique,,n=alice,r=abc',
      'y,,n=alice,r=abc',
      'n,,r=abc,n=alice',
      'n,,n=alice,r=abc,tokenauth=true',
      'n,a=bob,n=alice,r=abc',
      'n,,n=alice,r=a,b',
      `n,,n=alice,r=${'x'.repeat(5000)}`,
      '\u0000\u0001\u0002',
    ]) {
      expect(() => server512(users).evaluate(Buffer.from(bad)), bad).toThrow(SaslAuthenticationError);
    }
    const s = server512(users);
    s.evaluate(Buffer.from('n,,n=alice,r=abc'));
    expect(() => s.evaluate(Buffer.from('c=biws,r=abc,p=AAAA'))).toThrow(SaslAuthenticationError);
  });
});

describe('--add-scram', () => {
  it('parses Kafka storage tool syntax and never keeps the password', () => {
    const r = parseAddScram('SCRAM-SHA-512=[name=admin,password=admin-secret]');
    expect(r).toMatchObject({
      type: 'UserScramCredential',
      name: 'admin',
      mechanism: 'SCRAM-SHA-512',
      iterations: 4096,
    });
    expect(JSON.stringify(r)).not.toContain('admin-secret');
    const q = parseAddScram('SCRAM-SHA-256=[name="al,ice",password="p=w,d",iterations=8192]');
    expect(q).toMatchObject({ name: 'al,ice', mechanism: 'SCRAM-SHA-256', iterations: 8192 });
    expect(() => parseAddScram('SCRAM-SHA-1=[name=a,password=b]')).toThrow();
    expect(() => parseAddScram('SCRAM-SHA-512=[name=a,password=b,iterations=100]')).toThrow(/minimum/);
    expect(() => parseAddScram('SCRAM-SHA-512=[password=b]')).toThrow(/name/);
  });
});

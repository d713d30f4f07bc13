/**
 * The create form refuses exactly what the API refuses: every combination of the form's security
 * choices goes through the console's rules (src/security.ts) and through the API's own
 * (resolveClientAccess in @flotilla/runtime, which CreateCluster calls with the same request body).
 */
import { resolveClientAccess, SecuritySettingsError } from '@flotilla/runtime';
import { describe, expect, it } from 'vitest';
import {
  BOOTSTRAP_MODES,
  type ClientBroker,
  clientSettings,
  clusterAuthentication,
  type SecurityChoices,
  securityChoicesOf,
  securityErrors,
  securityRequest,
  securitySummary,
  securityUpdateRequest,
} from '../src/security.js';

const bools = [false, true];
const combinations: SecurityChoices[] = bools.flatMap((unauthenticated) =>
  bools.flatMap((scram) =>
    bools.flatMap((tls) =>
      (['TLS', 'TLS_PLAINTEXT', 'PLAINTEXT'] as ClientBroker[]).flatMap((clientBroker) =>
        bools.map((inCluster) => ({ unauthenticated, scram, tls, clientBroker, inCluster })),
      ),
    ),
  ),
);

/** The field the API names, in the form's terms, or null when it accepts the request. */
function apiRefusal(c: SecurityChoices): string | null {
  const body = securityRequest(c);
  try {
    resolveClientAccess(body.clientAuthentication, body.encryptionInfo);
    return null;
  } catch (error) {
    if (!(error instanceof SecuritySettingsError)) throw error;
    return error.field === 'clientAuthentication' ? 'authentication' : 'clientBroker';
  }
}

describe('create form security rules', () => {
  it.each(combinations.map((c) => [JSON.stringify(c), c] as const))('%s: as the API decides', (_, c) => {
    const errors = securityErrors(c);
    const field = Object.keys(errors)[0] ?? null;
    expect(field).toBe(apiRefusal(c));
  });

  it('accepts some and refuses some (the table above is not trivially one-sided)', () => {
    const refused = combinations.filter((c) => apiRefusal(c) !== null).length;
    expect(refused).toBeGreaterThan(0);
    expect(refused).toBeLessThan(combinations.length);
  });

  it('sends what the API reads back as the cluster’s authentication', () => {
    const body = securityRequest({
      unauthenticated: false,
      scram: true,
      tls: true,
      clientBroker: 'TLS',
      inCluster: false,
    });
    expect(body.clientAuthentication.sasl.iam.enabled).toBe(false);
    // Brokers authenticate one another when clients must: inCluster is sent as the API applies it.
    expect(body.encryptionInfo.encryptionInTransit.inCluster).toBe(true);
    expect(clusterAuthentication(body.clientAuthentication)).toEqual({ scram: true, mutualTls: true });
    expect(clusterAuthentication(undefined)).toEqual({ scram: false, mutualTls: false });
  });

  it('Edit security starts from the cluster’s settings and sends what the API resolves alike', () => {
    expect(securityChoicesOf(undefined, undefined)).toEqual({
      unauthenticated: true,
      scram: false,
      tls: false,
      clientBroker: 'PLAINTEXT',
      inCluster: false,
    });
    for (const c of combinations) {
      const created = securityRequest(c);
      const read = securityChoicesOf(created.clientAuthentication, created.encryptionInfo);
      expect({ ...read, inCluster: c.inCluster }).toEqual({ ...c, inCluster: c.inCluster });
      if (apiRefusal(c) !== null) continue;
      // UpdateSecurity's body (no inCluster) resolves to the same listeners as CreateCluster's, but for
      // TLS between brokers, which an update cannot change (the API keeps the cluster's own).
      const update = securityUpdateRequest(c);
      const atCreate = resolveClientAccess(created.clientAuthentication, created.encryptionInfo);
      const inCluster = created.encryptionInfo.encryptionInTransit.inCluster;
      const atUpdate = resolveClientAccess(update.clientAuthentication, {
        encryptionInTransit: { ...update.encryptionInfo.encryptionInTransit, inCluster },
      });
      expect(atUpdate).toEqual(atCreate);
    }
  });

  it('writes the client settings each listener needs', () => {
    const [plain, tls, scram] = BOOTSTRAP_MODES;
    expect(clientSettings(plain, 'h:1').properties).toBe('bootstrap.servers=h:1\nsecurity.protocol=PLAINTEXT');
    expect(clientSettings(tls, 'h:2', { mutualTls: true }).kcat).toContain('-X ssl.key.location=<client>.key');
    const s = clientSettings(scram, 'h:3', { username: 'alice' });
    expect(s.properties).toContain('sasl.mechanism=SCRAM-SHA-512');
    expect(s.properties).toContain('username="alice"');
    expect(s.kcat).toContain('-X security.protocol=SASL_SSL');
    expect(s.kcat).toContain('-X ssl.ca.location=ca.pem');
  });

  it('summarises a cluster as the API reads its settings (absent ones: unauthenticated plaintext)', () => {
    expect(securitySummary(undefined, undefined)).toEqual({
      authentication: 'Unauthenticated',
      encryption: 'Plaintext',
    });
    const body = securityRequest({
      unauthenticated: false,
      scram: true,
      tls: true,
      clientBroker: 'TLS',
      inCluster: true,
    });
    expect(securitySummary(body.clientAuthentication, body.encryptionInfo)).toEqual({
      authentication: 'SASL/SCRAM, TLS certificates',
      encryption: 'TLS',
    });
    // SCRAM without encryptionInfo: the API defaults clientBroker to TLS.
    expect(securitySummary({ sasl: { scram: { enabled: true } } }, undefined).encryption).toBe('TLS');
  });
});

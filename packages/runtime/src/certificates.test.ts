import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority, issueCertificate } from './certificates.js';

const ca = createCertificateAuthority('flotilla-orders CA');
const dir = mkdtempSync(join(tmpdir(), 'flotilla-certs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a cluster certificate authority', () => {
  it('is a self-signed CA certificate whose key matches', () => {
    const cert = new X509Certificate(ca.certificate);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toContain('CN=flotilla-orders CA');
    expect(cert.issuer).toBe(cert.subject);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(ca.privateKey))).toBe(true);
    expect(new Date(cert.validTo).getTime()).toBeGreaterThan(Date.now() + 9 * 365 * 86_400_000);
  });

  it('issues broker certificates that verify against it, with the SANs asked for', () => {
    const broker = issueCertificate(ca, {
      commonName: 'flotilla-broker',
      dnsNames: ['localhost', 'flotilla-orders-broker-1'],
      ipAddresses: ['127.0.0.1', '::1'],
      usage: 'server',
    });
    const cert = new X509Certificate(broker.certificate);
    const authority = new X509Certificate(ca.certificate);
    expect(cert.ca).toBe(false);
    expect(cert.verify(authority.publicKey)).toBe(true);
    expect(cert.checkIssued(authority)).toBe(true);
    expect(cert.subject).toBe('CN=flotilla-broker');
    expect(cert.checkHost('flotilla-orders-broker-1')).toBe('flotilla-orders-broker-1');
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkHost('elsewhere.example')).toBeUndefined();
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkIP('::1')).toBe('::1');
    expect(cert.keyUsage).toEqual(expect.arrayContaining(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']));
    expect(cert.checkPrivateKey(createPrivateKey(broker.privateKey))).toBe(true);
    expect(broker.chain.startsWith(broker.certificate)).toBe(true);
    expect(broker.chain.endsWith(ca.certificate)).toBe(true);
  });

  it('issues client certificates for clientAuth only', () => {
    const client = issueCertificate(ca, { commonName: 'alice', usage: 'client', validDays: 30 });
    const cert = new X509Certificate(client.certificate);
    expect(cert.subject).toBe('CN=alice');
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(cert.verify(createPublicKey(ca.privateKey))).toBe(true);
  });

  it('is accepted by OpenSSL (what librdkafka/kcat use) as a chain for server and client purposes', () => {
    const broker = issueCertificate(ca, { commonName: 'b', ipAddresses: ['127.0.0.1'], usage: 'server' });
    const client = issueCertificate(ca, { commonName: 'c', usage: 'client' });
    writeFileSync(join(dir, 'ca.pem'), ca.certificate);
    writeFileSync(join(dir, 'broker.pem'), broker.certificate);
    writeFileSync(join(dir, 'client.pem'), client.certificate);
    const verify = (file: string, purpose: string) =>
      execFileSync(
        'openssl',
        ['verify', '-x509_strict', '-purpose', purpose, '-CAfile', join(dir, 'ca.pem'), join(dir, file)],
        {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
    expect(verify('broker.pem', 'sslserver')).toContain('OK');
    expect(verify('client.pem', 'sslclient')).toContain('OK');
    expect(() => verify('client.pem', 'sslserver')).toThrow();
  });
});

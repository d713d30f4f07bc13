/**
 * A cluster's own certificate authority and the certificates it issues (brokers' server certificates,
 * mTLS client certificates), made with Node's crypto alone: ECDSA P-256 keys, X.509 v3 certificates
 * written in DER here (RFC 5280 section 4.1) and signed with ecdsa-with-SHA256. No CLI and no native
 * dependency, so the Docker and Process drivers get the same material; Node's X509Certificate (and
 * OpenSSL in kcat) read and verify the result (certificates.test.ts).
 *
 * Only what a broker and its clients need is written: basicConstraints, keyUsage, extKeyUsage,
 * subjectAltName (DNS names and IPv4/IPv6 addresses), subject and authority key identifiers.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { BROKER_PRINCIPAL_CN } from './security.js';
import type { BrokerCertificateIssuer } from './spec.js';

/** PEM text of a CA: its certificate (public, for clients' truststores) and its private key (secret). */
export interface CertificateAuthority {
  readonly certificate: string;
  readonly privateKey: string;
}

export interface IssuedCertificate {
  /** The leaf certificate, PEM. */
  readonly certificate: string;
  /** The leaf followed by the CA certificate: what a keystore's certificate chain holds. */
  readonly chain: string;
  /** PKCS#8 PEM. */
  readonly privateKey: string;
}

export interface IssueOptions {
  readonly commonName: string;
  readonly dnsNames?: readonly string[];
  /** IPv4 or IPv6 addresses for the subjectAltName. */
  readonly ipAddresses?: readonly string[];
  /** serverAuth for brokers (which also connect to one another: both), clientAuth for clients. */
  readonly usage: 'server' | 'client';
  readonly validDays?: number;
  readonly now?: Date;
}

const DAY_MS = 86_400_000;
/** Certificates start a little in the past, so a peer whose clock runs behind accepts them at once. */
const BACKDATE_MS = 5 * 60_000;

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

// --- DER (X.690), just the types a certificate uses -------------------------------------------------

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
}

const sequence = (...content: Buffer[]) => tlv(0x30, ...content);
const set = (...content: Buffer[]) => tlv(0x31, ...content);
const octetString = (bytes: Buffer) => tlv(0x04, bytes);
const utf8String = (text: string) => tlv(0x0c, Buffer.from(text, 'utf8'));
const explicit = (n: number, ...content: Buffer[]) => tlv(0xa0 | n, ...content);
const booleanTrue = () => tlv(0x01, Buffer.from([0xff]));

function objectId(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out = [40 * (parts[0] as number) + (parts[1] as number)];
  for (const part of parts.slice(2)) {
    const chunk = [part & 0x7f];
    for (let v = Math.floor(part / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** A non-negative INTEGER from big-endian bytes (a leading zero when the top bit is set). */
function unsignedInteger(bytes: Buffer): Buffer {
  let b = bytes;
  while (b.length > 1 && b[0] === 0 && ((b[1] as number) & 0x80) === 0) b = b.subarray(1);
  if (((b[0] as number) & 0x80) !== 0) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, b);
}

function bitString(bytes: Buffer, unusedBits = 0): Buffer {
  return tlv(0x03, Buffer.from([unusedBits]), bytes);
}

/** RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime after. */
function time(date: Date): Buffer {
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const year = date.getUTCFullYear();
  const rest =
    `${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}` +
    `${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}Z`;
  return year < 2050 ? tlv(0x17, Buffer.from(`${pad(year % 100)}${rest}`)) : tlv(0x18, Buffer.from(`${year}${rest}`));
}

function name(commonName: string, organization?: string): Buffer {
  const rdn = (oid: string, value: string) => set(sequence(objectId(oid), utf8String(value)));
  return sequence(...(organization ? [rdn(OID.organization, organization)] : []), rdn(OID.commonName, commonName));
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return sequence(objectId(oid), ...(critical ? [booleanTrue()] : []), octetString(value));
}

function ipBytes(address: string): Buffer {
  if (isIPv4(address)) return Buffer.from(address.split('.').map(Number));
  if (isIPv6(address)) {
    const [head = '', tail = ''] = address.split('::');
    const h = head ? head.split(':') : [];
    const t = address.includes('::') && tail ? tail.split(':') : [];
    const groups = address.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
    return Buffer.concat(groups.map((g) => Buffer.from(g.padStart(4, '0'), 'hex')));
  }
  throw new TypeError(`not an IP address: ${address}`);
}

function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

function derOfPem(text: string): Buffer {
  const body = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(text)?.[1];
  if (!body) throw new TypeError('no PEM certificate found');
  return Buffer.from(body.replace(/\s+/g, ''), 'base64');
}

/** Key identifier: SHA-1 of the DER public key (RFC 5280 4.2.1.2 allows any unique method). */
function keyIdentifier(spki: Buffer): Buffer {
  return createHash('sha1').update(spki).digest();
}

interface CertificateFields {
  readonly subject: Buffer;
  readonly issuer: Buffer;
  readonly spki: Buffer;
  readonly authorityKeyId: Buffer;
  readonly extensions: readonly Buffer[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly signingKey: string;
}

function signCertificate(f: CertificateFields): Buffer {
  const serial = randomBytes(16);
  serial[0] = (serial[0] as number) & 0x7f;
  const algorithm = sequence(objectId(OID.ecdsaWithSha256));
  const tbs = sequence(
    explicit(0, unsignedInteger(Buffer.from([2]))),
    unsignedInteger(serial),
    algorithm,
    f.issuer,
    sequence(time(f.notBefore), time(f.notAfter)),
    f.subject,
    f.spki,
    explicit(
      3,
      sequence(
        ...f.extensions,
        extension(OID.subjectKeyIdentifier, false, octetString(keyIdentifier(f.spki))),
        extension(OID.authorityKeyIdentifier, false, sequence(tlv(0x80, f.authorityKeyId))),
      ),
    ),
  );
  const signature = sign('sha256', tbs, createPrivateKey(f.signingKey));
  return sequence(tbs, algorithm, bitString(signature));
}

function newKeyPair(): { spki: Buffer; privateKey: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    spki: publicKey.export({ type: 'spki', format: 'der' }),
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** A self-signed CA for one cluster, valid `validDays` (default ten years). */
export function createCertificateAuthority(
  commonName: string,
  options: { readonly validDays?: number; readonly now?: Date } = {},
): CertificateAuthority {
  const now = (options.now ?? new Date()).getTime();
  const keys = newKeyPair();
  const subject = name(commonName, 'Flotilla');
  const der = signCertificate({
    subject,
    issuer: subject,
    spki: keys.spki,
    authorityKeyId: keyIdentifier(keys.spki),
    extensions: [
      extension(OID.basicConstraints, true, sequence(booleanTrue(), unsignedInteger(Buffer.from([0])))),
      // keyCertSign and cRLSign (bits 5, 6) and digitalSignature (bit 0).
      extension(OID.keyUsage, true, bitString(Buffer.from([0x86]), 1)),
    ],
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + (options.validDays ?? 3650) * DAY_MS),
    signingKey: keys.privateKey,
  });
  return { certificate: pem('CERTIFICATE', der), privateKey: keys.privateKey };
}

/** A certificate signed by `ca`, with a fresh key. */
export function issueCertificate(ca: CertificateAuthority, options: IssueOptions): IssuedCertificate {
  const now = (options.now ?? new Date()).getTime();
  const keys = newKeyPair();
  const caDer = derOfPem(ca.certificate);
  const caSpki = createPublicKey(ca.privateKey).export({ type: 'spki', format: 'der' });
  const altNames = [
    ...(options.dnsNames ?? []).map((d) => tlv(0x82, Buffer.from(d, 'ascii'))),
    ...(options.ipAddresses ?? []).map((ip) => tlv(0x87, ipBytes(ip))),
  ];
  const usages =
    options.usage === 'server' ? [objectId(OID.serverAuth), objectId(OID.clientAuth)] : [objectId(OID.clientAuth)];
  const der = signCertificate({
    subject: name(options.commonName),
    issuer: issuerName(caDer),
    spki: keys.spki,
    authorityKeyId: keyIdentifier(caSpki),
    extensions: [
      extension(OID.basicConstraints, true, sequence()),
      // digitalSignature only: ECDHE key exchange with an ECDSA key needs nothing else.
      extension(OID.keyUsage, true, bitString(Buffer.from([0x80]), 7)),
      extension(OID.extKeyUsage, false, sequence(...usages)),
      ...(altNames.length > 0 ? [extension(OID.subjectAltName, false, sequence(...altNames))] : []),
    ],
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + (options.validDays ?? 3650) * DAY_MS),
    signingKey: ca.privateKey,
  });
  const certificate = pem('CERTIFICATE', der);
  return { certificate, chain: `${certificate}${ca.certificate}`, privateKey: keys.privateKey };
}

/** The subject Name of a certificate (DER), byte for byte: the issuer of what it signs. */
function issuerName(certificateDer: Buffer): Buffer {
  // Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version, serial, signature, issuer, validity, subject, ... } }
  const tbs = children(children(certificateDer)[0] as Buffer);
  return tbs[5] as Buffer;
}

/** The complete TLVs inside a constructed TLV. */
function children(outer: Buffer): Buffer[] {
  const header = (buf: Buffer, at: number): { start: number; end: number } => {
    const first = buf[at + 1] as number;
    if (first < 0x80) return { start: at + 2, end: at + 2 + first };
    const n = first & 0x7f;
    let len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[at + 2 + i] as number);
    return { start: at + 2 + n, end: at + 2 + n + len };
  };
  const { start, end } = header(outer, 0);
  const out: Buffer[] = [];
  for (let at = start; at < end; ) {
    const h = header(outer, at);
    out.push(outer.subarray(at, h.end));
    at = h.end;
  }
  return out;
}

/**
 * Brokers' certificates from the cluster CA: common name BROKER_PRINCIPAL_CN (their principal towards
 * one another, a super user), the names they are reached by as subjectAltNames.
 */
export function brokerCertificateIssuer(ca: CertificateAuthority): BrokerCertificateIssuer {
  return {
    caCertificate: ca.certificate,
    issue: (_nodeId, names) =>
      issueCertificate(ca, {
        commonName: BROKER_PRINCIPAL_CN,
        dnsNames: names.dnsNames,
        ipAddresses: names.ipAddresses,
        usage: 'server',
      }),
  };
}

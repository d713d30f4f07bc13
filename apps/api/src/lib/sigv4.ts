/**
 * AWS Signature Version 4, verified on the server: the canonical request is rebuilt from what arrived
 * (method, raw path, query, the headers the client listed in SignedHeaders, the body's SHA-256) and
 * signed again with the access key's secret; the two signatures must match.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 *
 * Like AWS for every service but S3, the canonical URI is the request path URI-encoded once more (the
 * SDK signs `/v1/clusters/arn%253Aaws...` for a path sent as `/v1/clusters/arn%3Aaws...`).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { ApiError } from './errors.js';

const ALGORITHM = 'AWS4-HMAC-SHA256';
/** AWS refuses requests whose x-amz-date is further than this from its clock. */
const MAX_CLOCK_SKEW_MS = 15 * 60_000;

export interface SignedRequest {
  readonly method: string;
  /** Path and query exactly as received (`req.raw.url`). */
  readonly url: string;
  /** Node's lower-cased header map. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

export interface ParsedAuthorization {
  readonly accessKeyId: string;
  readonly date: string;
  readonly region: string;
  readonly service: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
}

const forbidden = (type: 'InvalidSignatureException' | 'MissingAuthenticationTokenException', message: string) =>
  new ApiError(type, message);

export function parseAuthorization(header: string): ParsedAuthorization {
  if (!header.startsWith(`${ALGORITHM} `)) {
    throw forbidden('MissingAuthenticationTokenException', `Authorization must use ${ALGORITHM} or Bearer`);
  }
  const fields = new Map<string, string>();
  for (const part of header.slice(ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential')?.split('/');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (credential?.length !== 5 || credential[4] !== 'aws4_request' || !signedHeaders || !signature) {
    throw forbidden(
      'InvalidSignatureException',
      'Authorization header requires Credential=KEY/DATE/REGION/SERVICE/aws4_request, SignedHeaders and Signature',
    );
  }
  const [accessKeyId, date, region, service] = credential as [string, string, string, string];
  return { accessKeyId, date, region, service, signedHeaders: signedHeaders.split(';'), signature };
}

/** RFC 3986 encoding as SigV4 wants it: everything but A-Z a-z 0-9 - _ . ~ is %XX (upper case). */
export function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalQuery(query: string): string {
  if (!query) return '';
  const pairs = query
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const eq = p.indexOf('=');
      const key = eq < 0 ? p : p.slice(0, eq);
      const value = eq < 0 ? '' : p.slice(eq + 1);
      return [uriEncode(safeDecode(key)), uriEncode(safeDecode(value))] as const;
    });
  pairs.sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replaceAll('+', '%20'));
  } catch {
    return s;
  }
}

function headerValue(value: string | string[] | undefined): string {
  const joined = Array.isArray(value) ? value.join(',') : (value ?? '');
  return joined.trim().replace(/\s+/g, ' ');
}

const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();

export function canonicalRequest(request: SignedRequest, signedHeaders: readonly string[]): string {
  const q = request.url.indexOf('?');
  const path = q < 0 ? request.url : request.url.slice(0, q);
  const query = q < 0 ? '' : request.url.slice(q + 1);
  const canonicalUri = path
    .split('/')
    .map((segment) => uriEncode(segment))
    .join('/');
  const headers = [...signedHeaders]
    .sort()
    .map((name) => `${name}:${headerValue(request.headers[name])}\n`)
    .join('');
  const payloadHash = headerValue(request.headers['x-amz-content-sha256']) || sha256Hex(request.body);
  return [
    request.method.toUpperCase(),
    canonicalUri || '/',
    canonicalQuery(query),
    headers,
    [...signedHeaders].sort().join(';'),
    payloadHash,
  ].join('\n');
}

export function computeSignature(
  request: SignedRequest,
  auth: ParsedAuthorization,
  amzDate: string,
  secretAccessKey: string,
): string {
  const scope = `${auth.date}/${auth.region}/${auth.service}/aws4_request`;
  const stringToSign = [ALGORITHM, amzDate, scope, sha256Hex(canonicalRequest(request, auth.signedHeaders))].join('\n');
  return createHmac('sha256', signingKey(secretAccessKey, auth)).update(stringToSign).digest('hex');
}

/**
 * The signing key depends only on the secret and the scope (date, region, service), so it is derived
 * once a day per key, not four HMACs per request (the AWS SDKs cache it the same way). Only a key that
 * `secretFor` still returns reaches this, so a disabled key's cached entry is never used.
 */
const signingKeys = new Map<string, Buffer>();
const MAX_SIGNING_KEYS = 1_000;

function signingKey(secretAccessKey: string, auth: Pick<ParsedAuthorization, 'date' | 'region' | 'service'>): Buffer {
  const id = `${auth.date}/${auth.region}/${auth.service}/${secretAccessKey}`;
  let key = signingKeys.get(id);
  if (!key) {
    const kDate = hmac(`AWS4${secretAccessKey}`, auth.date);
    const kRegion = hmac(kDate, auth.region);
    const kService = hmac(kRegion, auth.service);
    key = hmac(kService, 'aws4_request');
    if (signingKeys.size >= MAX_SIGNING_KEYS) signingKeys.clear();
    signingKeys.set(id, key);
  }
  return key;
}

/**
 * Verifies a SigV4-signed request. `secretFor` returns the secret of an access key id, or null when the
 * key is unknown or disabled. Returns the access key id; throws ApiError 403 as AWS does otherwise.
 */
export async function verifySignature(
  request: SignedRequest,
  secretFor: (accessKeyId: string) => Promise<string | null>,
  options: { service: string; now?: Date },
): Promise<string> {
  const auth = parseAuthorization(headerValue(request.headers.authorization));
  if (auth.service !== options.service) {
    throw forbidden(
      'InvalidSignatureException',
      `Credential should be scoped to correct service: '${options.service}'.`,
    );
  }
  if (!auth.signedHeaders.includes('host')) {
    throw forbidden('InvalidSignatureException', "'Host' must be a 'SignedHeader' in the AWS Authorization.");
  }
  const amzDate = headerValue(request.headers['x-amz-date']);
  const when = parseAmzDate(amzDate);
  if (!when || amzDate.slice(0, 8) !== auth.date) {
    throw forbidden('InvalidSignatureException', 'X-Amz-Date must be present and match the credential scope date');
  }
  const now = options.now ?? new Date();
  if (Math.abs(now.getTime() - when.getTime()) > MAX_CLOCK_SKEW_MS) {
    throw forbidden(
      'InvalidSignatureException',
      `Signature expired: ${amzDate} is now earlier or later than 15 min from ${now.toISOString()}`,
    );
  }
  const secret = await secretFor(auth.accessKeyId);
  if (secret === null) {
    throw new ApiError('UnrecognizedClientException', 'The security token included in the request is invalid.');
  }
  const expected = Buffer.from(computeSignature(request, auth, amzDate, secret), 'utf8');
  const given = Buffer.from(auth.signature, 'utf8');
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    throw forbidden(
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    );
  }
  return auth.accessKeyId;
}

function parseAmzDate(value: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  return new Date(Date.UTC(y as number, (mo as number) - 1, d, h, mi, s));
}

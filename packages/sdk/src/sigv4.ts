/**
 * AWS Signature Version 4 for requests to apps/api, on Web Crypto (crypto.subtle), so the same code
 * signs in Node (>= 20, where globalThis.crypto exists) and in browsers.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 *
 * What the server (apps/api/src/lib/sigv4.ts) rebuilds: method, the path as sent URI-encoded once more
 * (AWS does this for every service but S3: `/v1/clusters/arn%253A...` for a path sent as
 * `/v1/clusters/arn%3A...`), the sorted query, the signed headers (host and x-amz-date, plus
 * x-amz-content-sha256 which carries the body's SHA-256), and the body's hash.
 */

export interface AccessKeyCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Temporary credentials (not issued by Flotilla today; signed along when given). */
  readonly sessionToken?: string;
}

export interface SignInput {
  readonly method: string;
  readonly url: URL;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array | undefined;
  readonly credentials: AccessKeyCredentials;
  readonly region: string;
  /** The service in the credential scope; apps/api accepts `kafka`, as MSK's endpoint does. */
  readonly service: string;
  readonly now?: Date;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const encoder = new TextEncoder();

/** RFC 3986 as SigV4 wants it: everything but A-Z a-z 0-9 - _ . ~ is %XX (upper case). */
export function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function hex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
}

async function sha256Hex(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === 'string' ? encoder.encode(data) : data;
  return hex(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
}

async function hmac(key: Uint8Array | ArrayBuffer, data: string): Promise<ArrayBuffer> {
  const k = await crypto.subtle.importKey(
    'raw',
    key as Uint8Array<ArrayBuffer>,
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  return crypto.subtle.sign('HMAC', k, encoder.encode(data));
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replaceAll('+', '%20'));
  } catch {
    return s;
  }
}

function canonicalQuery(search: string): string {
  const query = search.startsWith('?') ? search.slice(1) : search;
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

function amzDate(now: Date): string {
  return now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/**
 * Returns the headers to add to the request: x-amz-date, x-amz-content-sha256, authorization (and
 * x-amz-security-token with a session token). Host is signed but not returned: fetch sets it from the
 * URL (browsers forbid setting it), and that is the value signed here.
 */
export async function signRequest(input: SignInput): Promise<Record<string, string>> {
  const date = amzDate(input.now ?? new Date());
  const day = date.slice(0, 8);
  const payloadHash = await sha256Hex(input.body ?? new Uint8Array());
  const added: Record<string, string> = {
    host: input.url.host,
    'x-amz-date': date,
    'x-amz-content-sha256': payloadHash,
  };
  if (input.credentials.sessionToken) added['x-amz-security-token'] = input.credentials.sessionToken;
  const all: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...input.headers, ...added })) {
    all[name.toLowerCase()] = value.trim().replace(/\s+/g, ' ');
  }
  // Sign only what no proxy or browser changes on the way: host, the x-amz-* headers and content-type.
  const signed = Object.keys(all)
    .filter((n) => n === 'host' || n === 'content-type' || n.startsWith('x-amz-'))
    .sort();
  const canonicalUri = input.url.pathname
    .split('/')
    .map((segment) => uriEncode(segment))
    .join('/');
  const canonical = [
    input.method.toUpperCase(),
    canonicalUri || '/',
    canonicalQuery(input.url.search),
    signed.map((n) => `${n}:${all[n]}\n`).join(''),
    signed.join(';'),
    payloadHash,
  ].join('\n');
  const scope = `${day}/${input.region}/${input.service}/aws4_request`;
  const stringToSign = [ALGORITHM, date, scope, await sha256Hex(canonical)].join('\n');
  const kDate = await hmac(encoder.encode(`AWS4${input.credentials.secretAccessKey}`), day);
  const kRegion = await hmac(kDate, input.region);
  const kService = await hmac(kRegion, input.service);
  const kSigning = await hmac(kService, 'aws4_request');
  const signature = hex(await hmac(kSigning, stringToSign));
  const { host: _host, ...toSend } = added;
  toSend.authorization =
    `${ALGORITHM} Credential=${input.credentials.accessKeyId}/${scope}, ` +
    `SignedHeaders=${signed.join(';')}, Signature=${signature}`;
  return toSend;
}

/**
 * An independent SigV4 verifier (AWS Signature Version 4, header form), written from the specification
 * with node:crypto only, so that it can check the agent's signer (which uses @smithy/signature-v4) rather
 * than agree with it by construction. Its tests pin it to AWS's published test-suite signatures.
 * What the loopback ingest endpoint uses to stand in for a Function URL with `AuthType: AWS_IAM`.
 */
import { createHash, createHmac, timingSafeEqual } from 'crypto';

export interface SigV4Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface SignedRequestInput {
  readonly method: string;
  /** The path as sent on the wire (still percent-encoded), without the query. */
  readonly path: string;
  /** The raw query string, without `?`. */
  readonly query: string;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly body: Buffer;
}

export interface VerifyOptions {
  readonly credentials: SigV4Credentials;
  readonly region: string;
  readonly service: string;
  /** Epoch ms the request's date is compared with. @default Date.now() */
  readonly now?: number;
  /** @default 15 minutes, as AWS allows */
  readonly maxSkewMs?: number;
}

export type VerifyResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

/** RFC 3986 unreserved characters stay; everything else is %XX-encoded (upper-case hex). */
export function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalUri(path: string): string {
  // Every service but S3 URI-encodes the (already encoded) path once more, segment by segment.
  return (path || '/').split('/').map(uriEncode).join('/');
}

function canonicalQuery(query: string): string {
  if (!query) return '';
  return query
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const i = pair.indexOf('=');
      const k = decodeURIComponent((i < 0 ? pair : pair.slice(0, i)).replace(/\+/g, ' '));
      const v = i < 0 ? '' : decodeURIComponent(pair.slice(i + 1).replace(/\+/g, ' '));
      return [uriEncode(k), uriEncode(v)] as const;
    })
    .sort(([ka, va], [kb, vb]) => (ka < kb ? -1 : ka > kb ? 1 : va < vb ? -1 : va > vb ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function headerValue(v: string | readonly string[] | undefined): string {
  const joined = Array.isArray(v) ? v.join(',') : ((v as string | undefined) ?? '');
  return joined.trim().replace(/\s+/g, ' ');
}

export function signingKey(secretAccessKey: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, date), region), service), 'aws4_request');
}

/** The signature the request should carry, given the header names it signs. */
export function expectedSignature(
  input: SignedRequestInput,
  signedHeaders: readonly string[],
  amzDate: string,
  scope: string,
  secret: string,
  payloadHash: string,
): string {
  const [date, region, service] = scope.split('/');
  const canonicalRequest = [
    input.method.toUpperCase(),
    canonicalUri(input.path),
    canonicalQuery(input.query),
    signedHeaders.map((h) => `${h}:${headerValue(input.headers[h])}\n`).join(''),
    signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  return createHmac('sha256', signingKey(secret, date, region, service))
    .update(stringToSign)
    .digest('hex');
}

const AUTH =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

export function verifySigV4(input: SignedRequestInput, opts: VerifyOptions): VerifyResult {
  const auth = headerValue(input.headers.authorization);
  const m = AUTH.exec(auth);
  if (!m) return { ok: false, reason: 'missing or malformed Authorization header' };
  const [, accessKeyId, date, region, service, signed, signature] = m;
  if (accessKeyId !== opts.credentials.accessKeyId) return { ok: false, reason: `unknown access key ${accessKeyId}` };
  if (region !== opts.region) return { ok: false, reason: `signed for region ${region}, expected ${opts.region}` };
  if (service !== opts.service) return { ok: false, reason: `signed for service ${service}, expected ${opts.service}` };
  const amzDate = headerValue(input.headers['x-amz-date']);
  if (!/^\d{8}T\d{6}Z$/.test(amzDate) || amzDate.slice(0, 8) !== date)
    return { ok: false, reason: 'x-amz-date missing or not the credential scope date' };
  const at = Date.UTC(
    +amzDate.slice(0, 4),
    +amzDate.slice(4, 6) - 1,
    +amzDate.slice(6, 8),
    +amzDate.slice(9, 11),
    +amzDate.slice(11, 13),
    +amzDate.slice(13, 15),
  );
  if (Math.abs((opts.now ?? Date.now()) - at) > (opts.maxSkewMs ?? 15 * 60_000)) return { ok: false, reason: 'request time too skewed' };
  const signedHeaders = signed.split(';');
  if (!signedHeaders.includes('host') || !signedHeaders.includes('x-amz-date'))
    return { ok: false, reason: 'host and x-amz-date must be signed' };
  const bodyHash = sha256Hex(input.body);
  const declared = headerValue(input.headers['x-amz-content-sha256']);
  if (declared && declared !== 'UNSIGNED-PAYLOAD' && declared !== bodyHash)
    return { ok: false, reason: 'x-amz-content-sha256 does not match the body' };
  const payloadHash = declared === 'UNSIGNED-PAYLOAD' ? declared : bodyHash;
  const expected = expectedSignature(
    input,
    signedHeaders,
    amzDate,
    `${date}/${region}/${service}/aws4_request`,
    opts.credentials.secretAccessKey,
    payloadHash,
  );
  const ok = timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(signature, 'hex'));
  return ok ? { ok: true } : { ok: false, reason: 'signature does not match' };
}

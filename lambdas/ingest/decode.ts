/**
 * Turns a Function URL request body into JSON, or into the status and problems to answer with. Bounded at
 * every step: the base64 body is measured before it is decoded, inflating stops at the JSON limit (a gzip
 * bomb costs at most that much memory), and the JSON's shape (values, containers, depth, object members) is
 * measured before `JSON.parse` builds anything, so the work a body can cause has a ceiling too.
 */
import { gunzipSync } from 'zlib';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { BATCH_LIMITS } from '../../model/batch';
import { checkJsonShape, type JsonShapeLimits } from '../../model/json-shape';

export interface BodyLimits extends JsonShapeLimits {
  /** The body as sent (gzip'd). */
  readonly maxCompressedBytes: number;
  /** The JSON after inflating. */
  readonly maxJsonBytes: number;
}

export const DEFAULT_BODY_LIMITS: BodyLimits = BATCH_LIMITS;

export type DecodeResult =
  | { readonly ok: true; readonly value: unknown; readonly compressedBytes: number; readonly jsonBytes: number }
  | { readonly ok: false; readonly status: 400 | 413 | 415; readonly problem: string };

const GZIP_MAGIC = [0x1f, 0x8b];

export function decodeBody(
  event: Pick<LambdaFunctionURLEvent, 'body' | 'isBase64Encoded' | 'headers'>,
  limits: BodyLimits = DEFAULT_BODY_LIMITS,
): DecodeResult {
  const body = event.body ?? '';
  if (body.length === 0) return fail(400, "empty body: expected a gzip'd JSON agent batch");

  const encoding = header(event.headers, 'content-encoding')?.trim().toLowerCase() || 'identity';
  if (encoding !== 'gzip' && encoding !== 'identity') {
    return fail(415, `content-encoding "${encoding}" is not supported: send gzip (or identity)`);
  }

  let raw: Buffer;
  if (event.isBase64Encoded) {
    // Measured before decoding: 4 base64 characters carry 3 bytes.
    const size = Math.floor((body.length * 3) / 4);
    if (size > limits.maxCompressedBytes) return tooLarge('body', size, limits.maxCompressedBytes);
    raw = Buffer.from(body, 'base64');
    // Node skips characters that are not base64, so a malformed body decodes short.
    const padding = body.endsWith('==') ? 2 : body.endsWith('=') ? 1 : 0;
    if (body.length % 4 !== 0 || raw.length !== (body.length / 4) * 3 - padding) {
      return fail(400, 'body is not valid base64 (the Function URL marked it base64-encoded)');
    }
  } else {
    raw = Buffer.from(body, 'utf8');
    if (raw.length > limits.maxCompressedBytes) return tooLarge('body', raw.length, limits.maxCompressedBytes);
  }

  let json: Buffer = raw;
  const gzipped = raw.length >= 2 && raw[0] === GZIP_MAGIC[0] && raw[1] === GZIP_MAGIC[1];
  if (encoding === 'gzip' || gzipped) {
    try {
      json = gunzipSync(raw, { maxOutputLength: limits.maxJsonBytes });
    } catch (e) {
      if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        return fail(413, `decompressed body is over the ${limits.maxJsonBytes}-byte limit: split the batch by nodes`);
      }
      return fail(400, `body is not valid gzip: ${(e as Error).message}`);
    }
  } else if (raw.length > limits.maxJsonBytes) {
    return tooLarge('JSON body', raw.length, limits.maxJsonBytes);
  }

  const shape = checkJsonShape(json, limits);
  if (!shape.ok) return fail(shape.tooLarge ? 413 : 400, shape.problem);
  try {
    return { ok: true, value: JSON.parse(json.toString('utf8')), compressedBytes: raw.length, jsonBytes: json.length };
  } catch (e) {
    return fail(400, `body is not valid JSON: ${(e as Error).message}`);
  }
}

/** A request header; Function URLs lower-case header names, other callers may not. */
export function header(headers: LambdaFunctionURLEvent['headers'] | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  if (headers[name] !== undefined) return headers[name];
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

function fail(status: 400 | 413 | 415, problem: string): DecodeResult {
  return { ok: false, status, problem };
}

function tooLarge(what: string, size: number, max: number): DecodeResult {
  return fail(413, `${what} is ${size} bytes, over the ${max}-byte limit: split the batch by nodes`);
}

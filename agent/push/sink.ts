/**
 * The ingest endpoint as the agent sees it: one SigV4-signed POST of gzip(JSON) per batch
 * (`model/wire.ts`), and what the answer means for the batch: stored, refused (do not resend), or retry.
 */
import * as http from 'http';
import * as https from 'https';
import { INGEST_REQUEST, type IngestResponse } from '../../model/wire';
import type { EncodedBatch } from './batches';
import type { IngestSink, SendOutcome } from './outbox';
import { postRequest, type RequestSigner } from './sigv4';

export interface FunctionUrlSinkOptions {
  readonly url: string;
  readonly sign: RequestSigner;
  /** @default 20 s */
  readonly timeoutMs?: number;
}

/** Statuses that mean "this batch will never be accepted as it is". */
const REFUSED = new Set([400, 413, 422]);

export class FunctionUrlSink implements IngestSink {
  private readonly url: URL;
  private readonly agent: http.Agent;

  constructor(private readonly opts: FunctionUrlSinkOptions) {
    this.url = new URL(opts.url);
    this.agent =
      this.url.protocol === 'https:'
        ? new https.Agent({ keepAlive: true, maxSockets: 2 })
        : new http.Agent({ keepAlive: true, maxSockets: 2 });
  }

  async send(batch: EncodedBatch): Promise<SendOutcome> {
    let signed;
    try {
      signed = await this.opts.sign(
        postRequest(
          this.url,
          { 'content-type': INGEST_REQUEST.contentType, 'content-encoding': INGEST_REQUEST.contentEncoding },
          batch.body,
        ),
      );
    } catch (e) {
      // Credentials could not be had: no IRSA token file, no Pod Identity association, STS unreachable…
      return { kind: 'retry', detail: `could not sign the request (AWS credentials): ${(e as Error).message}` };
    }
    const headers = { ...signed.headers, 'content-length': String(batch.body.length) };
    let res: { status: number; body: string };
    try {
      res = await post(this.url, headers, batch.body, this.agent, this.opts.timeoutMs ?? 20_000);
    } catch (e) {
      return { kind: 'retry', detail: (e as Error).message, ...((e as PostError).afterSending ? { unanswered: true } : {}) };
    }
    if (res.status >= 200 && res.status < 300) return { kind: 'stored' };
    const detail = describe(res.status, res.body);
    if (REFUSED.has(res.status)) return { kind: 'rejected', status: res.status, detail };
    // 429 and 5xx by contract; 401/403/404 too, since they mean a configuration (role, URL) being fixed.
    return { kind: 'retry', status: res.status, detail };
  }
}

/** A failed POST; `afterSending`: the whole body was out, so ingest may have stored the batch. */
type PostError = Error & { afterSending?: boolean };

function post(
  url: URL,
  headers: Record<string, string>,
  body: Buffer,
  agent: http.Agent,
  timeoutMs: number,
): Promise<{ status: number; body: string }> {
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    let sent = false;
    const req = mod.request(url, { method: 'POST', headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => {
        if (chunks.length < 64) chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    const deadline = setTimeout(() => req.destroy(new Error(`no answer from the ingest endpoint within ${timeoutMs} ms`)), timeoutMs);
    req.on('finish', () => (sent = true));
    req.on('close', () => clearTimeout(deadline));
    req.on('error', (e: PostError) => reject(Object.assign(e, { afterSending: sent })));
    req.end(body);
  });
}

function describe(status: number, body: string): string {
  try {
    const r = JSON.parse(body) as IngestResponse & { Message?: string; message?: string };
    if (r.problems?.length) return `HTTP ${status}: ${r.problems.slice(0, 10).join('; ')}`;
    const m = r.Message ?? r.message;
    if (m) return `HTTP ${status}: ${m}`;
  } catch {
    // not JSON
  }
  return `HTTP ${status}${body ? `: ${body.slice(0, 300)}` : ''}`;
}

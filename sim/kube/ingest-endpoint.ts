/**
 * A loopback stand-in for the ingest Lambda Function URL (`AuthType: AWS_IAM`), for the agent's tests,
 * its benchmark and local mode: it checks the SigV4 signature (service `lambda`) like the Function URL
 * does (403 otherwise), refuses bodies over the 6 MB invoke limit (413), gunzips with the batch schema's
 * bound, and validates with `parseBatch` (400 listing the problems). Accepted batches are kept in
 * `received`, or handed to `onBatch` (local mode passes the real ingest). Faults: status codes, delays.
 */
import * as http from 'http';
import type { AddressInfo, Socket } from 'net';
import { gunzipSync } from 'zlib';
import { BATCH_LIMITS, parseBatch, type AgentBatch } from '../../model/batch';
import { INGEST_REQUEST, type IngestResponse } from '../../model/wire';
import { verifySigV4, type SigV4Credentials } from './sigv4';

/** The Function URL's request payload limit (synchronous invoke). */
export const FUNCTION_URL_MAX_BYTES = 6 * 1024 * 1024;

export interface IngestEndpointOptions {
  readonly credentials: SigV4Credentials;
  readonly region: string;
  /** Handles a valid batch; @default keep it in `received` and answer 200 */
  readonly onBatch?: (batch: AgentBatch) => Promise<{ readonly status: number; readonly body: IngestResponse }>;
}

export interface ReceivedBatch {
  readonly batch: AgentBatch;
  /** gzip'd bytes as received. */
  readonly bytes: number;
  /** JSON bytes after gunzip. */
  readonly rawBytes: number;
}

export interface RefusedRequest {
  readonly status: number;
  readonly reason: string;
}

export class IngestFaults {
  /** @internal */ readonly rules: { left: number; status?: number; delayMs?: number }[] = [];

  /** The next `count` (signed, valid) requests are answered `status` (500, 429, 502…). */
  fail(count: number, status = 500): void {
    this.rules.push({ left: count, status });
  }

  /** The next `count` requests are answered only after `delayMs` (longer than the agent waits = a timeout). */
  delay(count: number, delayMs: number): void {
    this.rules.push({ left: count, delayMs });
  }

  clear(): void {
    this.rules.length = 0;
  }
}

export interface SimIngestEndpoint {
  readonly url: string;
  readonly received: ReceivedBatch[];
  readonly refused: RefusedRequest[];
  readonly faults: IngestFaults;
  close(): Promise<void>;
}

export async function startIngestEndpoint(opts: IngestEndpointOptions): Promise<SimIngestEndpoint> {
  const received: ReceivedBatch[] = [];
  const refused: RefusedRequest[] = [];
  const faults = new IngestFaults();
  const reply = (res: http.ServerResponse, status: number, body: IngestResponse | { Message: string }, reason?: string) => {
    if (reason) refused.push({ status, reason });
    if (!res.destroyed) res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= FUNCTION_URL_MAX_BYTES) chunks.push(c);
    });
    req.on('end', () => {
      void (async () => {
        if (size > FUNCTION_URL_MAX_BYTES) return reply(res, 413, { Message: `Request must be smaller than ${FUNCTION_URL_MAX_BYTES} bytes for the InvokeFunction operation` }, 'too large');
        const body = Buffer.concat(chunks);
        const url = new URL(req.url ?? '/', 'http://loopback');
        const verdict = verifySigV4(
          { method: req.method ?? 'GET', path: url.pathname, query: url.search.slice(1), headers: req.headers, body },
          { credentials: opts.credentials, region: opts.region, service: 'lambda' },
        );
        if (!verdict.ok) return reply(res, 403, { Message: 'Forbidden' }, `signature: ${verdict.reason}`);
        const rule = faults.rules.find((r) => r.left > 0);
        if (rule) {
          rule.left--;
          if (rule.delayMs) await new Promise((r) => setTimeout(r, rule.delayMs));
          if (rule.status) return reply(res, rule.status, { ok: false, problems: [`simulated failure ${rule.status}`] }, `fault ${rule.status}`);
        }
        if (req.method !== INGEST_REQUEST.method) return reply(res, 405, { ok: false, problems: ['POST only'] }, 'method');
        if (req.headers['content-encoding'] !== INGEST_REQUEST.contentEncoding || !String(req.headers['content-type']).startsWith(INGEST_REQUEST.contentType)) {
          return reply(res, 400, { ok: false, problems: [`expected content-type ${INGEST_REQUEST.contentType} and content-encoding ${INGEST_REQUEST.contentEncoding}`] }, 'headers');
        }
        let json: Buffer;
        try {
          json = gunzipSync(body, { maxOutputLength: BATCH_LIMITS.maxJsonBytes });
        } catch (e) {
          const tooBig = (e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
          return reply(res, tooBig ? 413 : 400, { ok: false, problems: [tooBig ? 'batch larger than the JSON limit' : 'body is not gzip'] }, 'gzip');
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(json.toString('utf8'));
        } catch {
          return reply(res, 400, { ok: false, problems: ['body is not JSON'] }, 'json');
        }
        const r = parseBatch(parsed);
        if (!r.ok) return reply(res, 400, { ok: false, problems: r.problems }, `schema: ${r.problems.join('; ')}`);
        if (opts.onBatch) {
          const out = await opts.onBatch(r.batch);
          return reply(res, out.status, out.body, out.status >= 300 ? `handler ${out.status}` : undefined);
        }
        received.push({ batch: r.batch, bytes: body.length, rawBytes: json.length });
        reply(res, 200, { ok: true, written: r.batch.nodes.length });
      })().catch((e) => reply(res, 500, { ok: false, problems: [(e as Error).message] }, 'internal'));
    });
  });
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    received,
    refused,
    faults,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

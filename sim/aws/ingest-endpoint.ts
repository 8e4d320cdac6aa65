/**
 * A recording stand-in for the ingest endpoint, for the agent's tests and benchmark: the loopback Function
 * URL (`function-url.ts`: SigV4 checked, 6 MB limit) with a handler that decodes the body as ingest does
 * (`decodeBody`), holds the agent to the wire contract's headers, and validates with `parseBatch` (400
 * listing the problems). Accepted batches are kept in `received`. Faults: status
 * codes, delays.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { decodeBody, header } from '../../lambdas/ingest/decode';
import { parseBatch, type AgentBatch } from '../../model/batch';
import { INGEST_REQUEST, type IngestResponse } from '../../model/wire';
import { startFunctionUrl, type RefusedRequest } from './function-url';
import type { SigV4Credentials } from './sigv4';

export interface IngestEndpointOptions {
  readonly credentials: SigV4Credentials;
  readonly region: string;
}

export interface ReceivedBatch {
  readonly batch: AgentBatch;
  /** gzip'd bytes as received. */
  readonly bytes: number;
  /** JSON bytes after gunzip. */
  readonly rawBytes: number;
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
  const reply = (status: number, body: IngestResponse, reason?: string): APIGatewayProxyStructuredResultV2 => {
    if (reason) refused.push({ status, reason });
    return { statusCode: status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  };
  const fu = await startFunctionUrl({
    principals: [{ credentials: opts.credentials, roleArn: 'arn:aws:iam::000000000000:role/vigil-agent' }],
    region: opts.region,
    onRefused: (r) => refused.push(r),
    handler: async (event) => {
      const rule = faults.rules.find((r) => r.left > 0);
      if (rule) {
        rule.left--;
        if (rule.delayMs) await new Promise((r) => setTimeout(r, rule.delayMs));
        if (rule.status) return reply(rule.status, { ok: false, problems: [`simulated failure ${rule.status}`] }, `fault ${rule.status}`);
      }
      if (event.requestContext.http.method !== INGEST_REQUEST.method) return reply(405, { ok: false, problems: ['POST only'] }, 'method');
      // Stricter than ingest, which also takes identity bodies: the agent must send exactly what the contract says.
      if (
        header(event.headers, 'content-encoding') !== INGEST_REQUEST.contentEncoding ||
        !String(header(event.headers, 'content-type')).startsWith(INGEST_REQUEST.contentType)
      ) {
        return reply(
          400,
          {
            ok: false,
            problems: [`expected content-type ${INGEST_REQUEST.contentType} and content-encoding ${INGEST_REQUEST.contentEncoding}`],
          },
          'headers',
        );
      }
      const decoded = decodeBody(event);
      if (!decoded.ok) return reply(decoded.status, { ok: false, problems: [decoded.problem] }, decoded.problem);
      const r = parseBatch(decoded.value);
      if (!r.ok) return reply(400, { ok: false, problems: r.problems }, `schema: ${r.problems.join('; ')}`);
      received.push({ batch: r.batch, bytes: decoded.compressedBytes, rawBytes: decoded.jsonBytes });
      return reply(200, { ok: true, written: r.batch.nodes.length });
    },
  });
  return { url: fu.url, received, refused, faults, close: () => fu.close() };
}

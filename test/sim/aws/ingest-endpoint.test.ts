import * as http from 'http';
import { gzipSync } from 'zlib';
import { createSigner, postRequest } from '../../../agent/push/sigv4';
import { BATCH_LIMITS } from '../../../model/batch';
import { startIngestEndpoint, type SimIngestEndpoint } from '../../../sim/aws/ingest-endpoint';
import { syntheticBatch, syntheticCluster } from '../../../sim/synthetic';

const KEYS = { accessKeyId: 'AKIDENDPOINT', secretAccessKey: 'endpoint-secret' };
const T = Date.UTC(2026, 10, 23, 12, 0, 20);
let endpoint: SimIngestEndpoint;
beforeEach(async () => {
  endpoint = await startIngestEndpoint({ credentials: KEYS, region: 'eu-west-1' });
});
afterEach(() => endpoint.close());

async function post(
  body: Buffer,
  headers: Record<string, string> = { 'content-type': 'application/octet-stream', 'content-encoding': 'gzip' },
  signed = true,
): Promise<{ status: number; body: string }> {
  const url = new URL(endpoint.url);
  const h = signed ? (await createSigner({ region: 'eu-west-1', credentials: KEYS })(postRequest(url, headers, body))).headers : headers;
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: h }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('the loopback ingest endpoint', () => {
  const batch = syntheticBatch(syntheticCluster({ nodes: 1, podsPerNode: 4, now: T }), T);

  it('stores a signed, valid batch', async () => {
    const r = await post(gzipSync(JSON.stringify(batch)));
    expect(r.status).toBe(200);
    expect(endpoint.received.map((x) => x.batch.seq)).toEqual([batch.seq]);
  });

  it('answers like a Function URL with AWS_IAM (403) when the request is not signed', async () => {
    expect(
      (await post(gzipSync(JSON.stringify(batch)), { 'content-type': 'application/octet-stream', 'content-encoding': 'gzip' }, false))
        .status,
    ).toBe(403);
    expect(endpoint.received).toEqual([]);
  });

  it("refuses what is not a gzip'd batch (400), and a gzip bomb (413)", async () => {
    expect((await post(Buffer.from(JSON.stringify(batch)))).status).toBe(400);
    expect((await post(gzipSync(JSON.stringify(batch)), { 'content-type': 'application/json' })).status).toBe(400);
    const invalid = await post(gzipSync(JSON.stringify({ ...batch, cluster: 'no spaces allowed' })));
    expect(invalid.status).toBe(400);
    expect(JSON.parse(invalid.body).problems[0]).toContain('cluster');
    expect((await post(gzipSync(Buffer.alloc(BATCH_LIMITS.maxJsonBytes + 1, 32)))).status).toBe(413);
  });
});

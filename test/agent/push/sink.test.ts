import { gzipSync } from 'zlib';
import type { EncodedBatch } from '../../../agent/push/batches';
import { FunctionUrlSink } from '../../../agent/push/sink';
import { createSigner } from '../../../agent/push/sigv4';
import { startIngestEndpoint, type SimIngestEndpoint } from '../../../sim/aws/ingest-endpoint';
import { syntheticBatch, syntheticCluster } from '../../../sim/synthetic';

const KEYS = { accessKeyId: 'AKIDSINKTEST', secretAccessKey: 'sink-test-secret' };
const T = Date.UTC(2026, 10, 23, 12, 0, 20);

function encoded(json: unknown): EncodedBatch {
  const raw = Buffer.from(JSON.stringify(json));
  return { seq: 1, kind: 'full', nodes: 1, body: gzipSync(raw), rawBytes: raw.length };
}

let endpoint: SimIngestEndpoint;
beforeEach(async () => {
  endpoint = await startIngestEndpoint({ credentials: KEYS, region: 'eu-west-1' });
});
afterEach(() => endpoint.close());

const sink = (credentials = KEYS, timeoutMs = 2000, url = endpoint.url) =>
  new FunctionUrlSink({ url, sign: createSigner({ region: 'eu-west-1', credentials }), timeoutMs });
const batch = syntheticBatch(syntheticCluster({ nodes: 2, podsPerNode: 5, now: T }), T);

describe('FunctionUrlSink', () => {
  it("delivers a signed, gzip'd batch that the endpoint stores", async () => {
    expect(await sink().send(encoded(batch))).toEqual({ kind: 'stored' });
    expect(endpoint.received).toHaveLength(1);
    expect(endpoint.received[0].batch).toEqual(batch);
  });

  it('does not resend what ingest refuses as a bad batch (400), naming the problems', async () => {
    const outcome = await sink().send(encoded({ ...batch, seq: -1 }));
    expect(outcome).toEqual({ kind: 'rejected', status: 400, detail: expect.stringContaining('seq') });
  });

  it('does not resend what is too large for the Function URL (413)', async () => {
    const big: EncodedBatch = { ...encoded(batch), body: Buffer.alloc(6 * 1024 * 1024 + 1) };
    expect(await sink().send(big)).toMatchObject({ kind: 'rejected', status: 413 });
  });

  it.each([500, 502, 503, 429])('keeps the batch for a retry on %i', async (status) => {
    endpoint.faults.fail(1, status);
    expect(await sink().send(encoded(batch))).toMatchObject({ kind: 'retry', status });
    expect(await sink().send(encoded(batch))).toEqual({ kind: 'stored' });
  });

  it('keeps the batch on a timeout, a refused connection, a refused signature and missing credentials', async () => {
    endpoint.faults.delay(1, 500);
    // Sent, but no answer: ingest may have stored it.
    expect(await sink(KEYS, 100).send(encoded(batch))).toMatchObject({
      kind: 'retry',
      detail: expect.stringContaining('within 100 ms'),
      unanswered: true,
    });
    expect(await sink({ ...KEYS, secretAccessKey: 'wrong' }).send(encoded(batch))).toMatchObject({ kind: 'retry', status: 403 });
    expect(endpoint.refused.at(-1)?.reason).toContain('signature');
    const closed = await startIngestEndpoint({ credentials: KEYS, region: 'eu-west-1' });
    await closed.close();
    const refused = await sink(KEYS, 1000, closed.url).send(encoded(batch));
    expect(refused).toMatchObject({ kind: 'retry', detail: expect.stringContaining('ECONNREFUSED') });
    expect(refused).not.toHaveProperty('unanswered');
    const noCredentials = new FunctionUrlSink({
      url: endpoint.url,
      sign: createSigner({
        region: 'eu-west-1',
        credentials: () => Promise.reject(new Error('Could not load credentials from any providers')),
      }),
    });
    expect(await noCredentials.send(encoded(batch))).toMatchObject({ kind: 'retry', detail: expect.stringContaining('AWS credentials') });
  });
});

/**
 * Local mode's ingest: the real handler behind the loopback Function URL, reached by the agent's own push
 * path. The local agent's role writes its cluster and no other, as in AWS.
 */
import { gzipSync } from 'zlib';
import type { EncodedBatch } from '../../agent/push/batches';
import { FunctionUrlSink } from '../../agent/push/sink';
import { createSigner } from '../../agent/push/sigv4';
import { silentLogger } from '../../common/log';
import { LOCAL_REGION } from '../../local/dynalite';
import { startLocalIngest, type LocalIngest } from '../../local/ingest';
import { syntheticBatch, syntheticCluster } from '../../sim/synthetic';
import { useTestStore } from '../support/store';

const T = Date.UTC(2026, 10, 23, 12, 0, 20);
const prod = syntheticCluster({ nodes: 2, podsPerNode: 3, cluster: 'prod', now: T });
const staging = syntheticCluster({ nodes: 2, podsPerNode: 3, cluster: 'staging', now: T });

const t = useTestStore({ now: T + 10_000 });
let ingest: LocalIngest;
beforeAll(async () => {
  ingest = await startLocalIngest({ store: t.store(), clock: t.clock, logger: silentLogger, cluster: 'prod' });
});
afterAll(() => ingest.functionUrl.close());

const encoded = (batch: unknown): EncodedBatch => {
  const raw = Buffer.from(JSON.stringify(batch));
  return { seq: 1, kind: 'full', nodes: 2, body: gzipSync(raw), rawBytes: raw.length };
};
const sink = (credentials = ingest.agentCredentials) =>
  new FunctionUrlSink({ url: ingest.functionUrl.url, sign: createSigner({ region: LOCAL_REGION, credentials }), timeoutMs: 5000 });

test("the local agent's role stores its own cluster's batch", async () => {
  expect(await sink().send(encoded(syntheticBatch(prod, T)))).toEqual({ kind: 'stored' });
  expect(await t.store().nodeMinutes('prod', T, T)).toHaveLength(2);
});

test('the same role is refused (403, kept for a retry) for another cluster, and nothing of it is stored', async () => {
  const outcome = await sink().send(encoded(syntheticBatch(staging, T)));
  expect(outcome).toEqual({
    kind: 'retry',
    status: 403,
    detail: 'HTTP 403: cluster: this agent role writes cluster "prod" only, not "staging"; check the agent\'s VIGIL_CLUSTER',
  });
  expect(await t.store().nodeMinutes('staging', T, T)).toEqual([]);
});

test('credentials of no agent role never reach the handler', async () => {
  const before = ingest.functionUrl.refused.length;
  expect(
    await sink({ accessKeyId: 'local-agent-staging', secretAccessKey: 'local' }).send(encoded(syntheticBatch(staging, T))),
  ).toMatchObject({ kind: 'retry', status: 403 });
  expect(ingest.functionUrl.refused.slice(before)).toEqual([{ status: 403, reason: 'signature: unknown access key local-agent-staging' }]);
});

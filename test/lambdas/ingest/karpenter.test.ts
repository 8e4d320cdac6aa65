/**
 * Karpenter's NodePools and NodeClaims through the real ingest handler onto dynalite: stored with the minute's
 * rollup (what the evaluator reads each minute), refused with the path named when malformed, and optional, so
 * agents from before them keep working.
 */
import { silentLogger } from '../../../common/log';
import { createIngestHandler } from '../../../lambdas/ingest/ingest';
import type { VigilStore } from '../../../lambdas/store/store';
import { startDynalite, type LocalDynamo } from '../../../local/dynalite';
import type { AgentBatch } from '../../../model/batch';
import type { KarpenterState } from '../../../model/karpenter';
import { syntheticBatch, syntheticCluster } from '../../../sim/synthetic';
import { startTestStore, type TestStore } from '../../support/store';
import { batchEvent, writersFor } from './function-url-event';

const T = Date.UTC(2026, 10, 23, 12, 0, 5);
const M = Date.UTC(2026, 10, 23, 12, 0);
const cluster = syntheticCluster({ nodes: 3, podsPerNode: 4 });

const karpenter: KarpenterState = {
  nodePools: [{ name: 'general', nodeClass: { group: 'eks.amazonaws.com', kind: 'NodeClass', name: 'default' }, limits: { cpuMilli: 64_000, nodes: 10 }, resources: { cpuMilli: 6000, nodes: 3 }, budgets: [{ nodes: '0', reasons: ['Drifted'], schedule: '0 9 * * mon-fri', duration: '8h' }], conditions: [{ type: 'Ready', status: 'True', since: T - 86_400_000 }] }],
  nodeClaims: [{ name: 'general-q8w7e', nodePool: 'general', instanceType: 'm6i.large', capacityType: 'spot', createdAt: T - 60_000, conditions: [{ type: 'Launched', status: 'False', reason: 'LaunchFailed', message: 'no subnets found', since: T - 50_000 }] }],
};

let dynamo: LocalDynamo;
let t: TestStore;
let store: VigilStore;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(() => dynamo.close());
beforeEach(async () => {
  t = await startTestStore(dynamo);
  store = t.store();
});

async function post(b: unknown): Promise<{ status: number; body: { ok: boolean; problems?: string[] } }> {
  const r = await createIngestHandler({ store, clock: t.clock, logger: silentLogger, writers: writersFor(cluster.cluster) })(batchEvent(b));
  return { status: r.statusCode ?? 0, body: JSON.parse(r.body ?? '{}') };
}

test('a batch with Karpenter\'s resources stores them with the minute\'s rollup', async () => {
  const b: AgentBatch = { ...syntheticBatch(cluster, T, 3), karpenter };
  expect((await post(b)).status).toBe(200);
  const [rollup] = await store.rollups(cluster.cluster, M, M);
  expect(rollup.kube?.karpenter).toEqual(karpenter);
});

test('a batch without them (an older agent, or no Karpenter) is stored as before', async () => {
  expect((await post(syntheticBatch(cluster, T, 3))).status).toBe(200);
  const [rollup] = await store.rollups(cluster.cluster, M, M);
  expect(rollup.kube).toBeDefined();
  expect(rollup.kube?.karpenter).toBeUndefined();
});

test('a malformed NodeClaim is refused with its path named, and nothing is stored', async () => {
  const bad = { ...karpenter, nodeClaims: [{ ...karpenter.nodeClaims[0], conditions: [{ type: 'Launched', status: 'Maybe' }] }] };
  const res = await post({ ...syntheticBatch(cluster, T, 3), karpenter: bad });
  expect(res.status).toBe(400);
  expect(res.body.problems?.join('\n')).toMatch(/^karpenter\.nodeClaims\[0\]\.conditions\[0\]\.status: /m);
  expect(await store.rollups(cluster.cluster, M, M)).toEqual([]);
});

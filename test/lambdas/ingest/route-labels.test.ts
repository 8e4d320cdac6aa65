/**
 * Route labels through the real ingest handler and dynalite: lifted from a full batch (a workload's own
 * label, else its pods' template label; namespaces from agents that report them), stored once and rewritten
 * only when they change; an older agent's batch (no namespaces) still stores its workloads' labels.
 */
import { createLogger } from '../../../common/log';
import { createIngestHandler } from '../../../lambdas/ingest/ingest';
import { alertLabels, ROUTE_LABELS_ID, ROUTE_LABELS_KIND, type RouteLabels } from '../../../lambdas/store/route-labels';
import type { VigilStore } from '../../../lambdas/store/store';
import type { AgentBatch } from '../../../model/batch';
import { syntheticBatch, syntheticCluster } from '../../../sim/synthetic';
import { useTestStore } from '../../support/store';
import { batchEvent, writersFor } from './function-url-event';

const T = Date.UTC(2026, 10, 23, 12, 0, 5);
const cluster = syntheticCluster({ nodes: 3, podsPerNode: 10 });

const t = useTestStore({ now: T, each: true });
let store: VigilStore;
beforeEach(() => {
  store = t.store();
});

function parts(b: AgentBatch) {
  const own = b.workloads.find((w) => w.kind === 'Deployment')!;
  const templated = b.nodes.flatMap((n) => n.pods).find((p) => p.workload.kind !== 'DaemonSet' && p.workload.name !== own.name)!;
  return { own, templated };
}

/** A batch whose first Deployment has its own team, another workload's pods a template team, and namespace `payments` a team. */
function batch(over: { readonly namespaces?: AgentBatch['namespaces']; readonly team?: string } = {}): AgentBatch {
  const b = syntheticBatch(cluster, T, 1);
  const { own, templated } = parts(b);
  return {
    ...b,
    workloads: b.workloads.map((w) => (w === own ? { ...w, labels: { team: over.team ?? 'shop', tier: 'web' } } : w)),
    nodes: b.nodes.map((n) => ({
      ...n,
      pods: n.pods.map((p) => (p.workload.name === templated.workload.name ? { ...p, labels: { ...p.labels, team: 'search' } } : p)),
    })),
    ...(over.namespaces ? { namespaces: over.namespaces } : {}),
  };
}

const ingest = () =>
  createIngestHandler({
    store,
    clock: t.clock,
    logger: createLogger({ service: 'test', sink: () => {} }),
    writers: writersFor(cluster.cluster),
    routeLabels: ['team'],
  });
const stored = () => store.getDocument<RouteLabels>(cluster.cluster, ROUTE_LABELS_KIND, ROUTE_LABELS_ID);

test("a full batch: each workload its own team label, else its pods'; each namespace its team; alerts labelled from them", async () => {
  const b = batch({ namespaces: [{ name: 'payments', labels: { team: 'data', owner: 'x' } }, { name: 'web' }] });
  expect((await ingest()(batchEvent(b))).statusCode).toBe(200);
  const { own, templated } = parts(b);
  const doc = (await stored())!.value;
  expect(doc.namespaces).toEqual({ payments: { team: 'data' } });
  expect(doc.workloads).toMatchObject({
    [`${own.namespace}/Deployment/${own.name}`]: { team: 'shop' },
    [`${templated.namespace}/${templated.workload.kind}/${templated.workload.name}`]: { team: 'search' },
  });
  expect(alertLabels(doc, { cluster: cluster.cluster, namespace: own.namespace, workload: `Deployment/${own.name}` })).toEqual({
    team: 'shop',
  });
  expect(alertLabels(doc, { cluster: cluster.cluster, namespace: 'payments', workload: 'Deployment/other' })).toEqual({ team: 'data' });
  expect(alertLabels(doc, { cluster: cluster.cluster, node: 'ip-10-0-0-1' })).toBeUndefined();
});

test('stored once: the same labels again write nothing, a changed label is stored, an older agent (no namespaces) still works', async () => {
  const h = ingest();
  await h(batchEvent(batch()));
  const first = await stored();
  expect(first!.value.namespaces).toEqual({});
  // A new instance (empty memory) reads what is stored and leaves it.
  await ingest()(batchEvent({ ...batch(), seq: 2 }));
  expect((await stored())!.version).toBe(first!.version);
  await h(batchEvent({ ...batch({ team: 'checkout' }), seq: 3 }));
  const changed = await stored();
  expect(changed!.version).toBe(first!.version + 1);
  expect(Object.values(changed!.value.workloads)).toContainEqual({ team: 'checkout' });
});

test('a change batch, and a cluster with no route label at all, store nothing', async () => {
  await ingest()(batchEvent({ ...batch(), kind: 'change' }));
  expect(await stored()).toBeUndefined();
  await ingest()(batchEvent(syntheticBatch(cluster, T, 1)));
  expect(await stored()).toBeUndefined();
});

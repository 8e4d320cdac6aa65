/**
 * Stale agent data end to end: batches through the real ingest handler (with the agent's per-resource
 * `dataAgeMs`), the collector's side written as the collector does, dynalite underneath, the real evaluator.
 */
import { silentLogger } from '../../../common/log';
import { createIngestHandler, type IngestHandler } from '../../../lambdas/ingest/ingest';
import { staleResources } from '../../../lambdas/evaluator/stale';
import { useTestStore } from '../../support/store';
import type { AgentBatch } from '../../../model/batch';
import type { Container, Pod } from '../../../model/domain';
import { MINUTE_MS } from '../../../model/time';
import type { ClusterEvaluation } from '../../../lambdas/evaluator/evaluator';
import { batchEvent, writersFor } from '../ingest/function-url-event';
import { harness, T0, type Harness } from './harness';
import { SteadyCluster } from '../../../sim/steady-cluster';

const { dynamo } = useTestStore();

/** Every watch healthy: each copy refreshed by a bookmark within the minute. */
const FRESH = { nodes: 20_000, pods: 20_000, deployments: 20_000, replicasets: 20_000, 'events/warning': 20_000 };

const first = (p: Pod) => p.workload.kind === 'Deployment';
const mapContainers = (p: Pod, f: (c: Container) => Container): Pod => ({
  ...p,
  containers: p.containers.map((c, i) => (i === 0 ? f(c) : c)),
});

function oomKill(h: Harness, node: number): void {
  const at = h.nextTime - 20_000;
  h.steady.updatePod(node, first, (p) =>
    mapContainers(p, (c) => ({
      ...c,
      restarts: c.restarts + 1,
      startedAt: at + 1000,
      lastTermination: { reason: 'OOMKilled', exitCode: 137, finishedAt: at },
    })),
  );
}

/** A minute as production has it: the agent's batch through ingest, the collector's part, then an evaluation 30 s later. */
async function tick(
  h: Harness,
  ingest: IngestHandler,
  dataAgeMs: (minute: number) => Record<string, number> | undefined,
  minutes = 1,
): Promise<ClusterEvaluation[]> {
  const out: ClusterEvaluation[] = [];
  for (let i = 0; i < minutes; i++) {
    const at = h.nextTime;
    h.t.clock.set(at);
    const ages = dataAgeMs(h.minute);
    const batch: AgentBatch = { ...h.steady.batch(at), ...(ages ? { dataAgeMs: ages } : {}) };
    await h.steady.write(h.store, at);
    const res = await ingest(batchEvent(batch, { now: at }));
    expect(res.statusCode).toBe(200);
    h.t.clock.set(at + 30_000);
    out.push(await h.evaluator.evaluateCluster(h.steady.cluster));
    h.minute++;
  }
  return out;
}

async function setUp(rules: Record<string, unknown>): Promise<{ h: Harness; ingest: IngestHandler }> {
  const h = await harness(dynamo, { nodes: 3, rules });
  // The agent's side goes through ingest below; the steady cluster writes only the collector's.
  h.steady.agentAlive = false;
  const ingest = createIngestHandler({ store: h.store, clock: h.t.clock, logger: silentLogger, writers: writersFor(h.steady.cluster) });
  return { h, ingest };
}

/** A container OOM-killed three times, ten minutes apart: the restarts alert (window 1 h) fires. */
async function leakingContainer(
  ages: (minute: number) => Record<string, number> | undefined,
): Promise<{ h: Harness; ingest: IngestHandler }> {
  const { h, ingest } = await setUp({ 'container-restarts': { window: '1h' } });
  await tick(h, ingest, ages, 2);
  for (let kill = 0; kill < 3; kill++) {
    oomKill(h, 1);
    await tick(h, ingest, ages, 10);
  }
  expect(h.publisher.of('container-restarts').map((c) => c.kind)).toEqual(['firing']);
  return { h, ingest };
}

describe('stale agent data', () => {
  test('a pods list stale for an hour holds the restarts alert instead of resolving it, says so once, and node alerts go on; fresh again, it resolves on real data', async () => {
    const { h, ingest } = await leakingContainer(() => FRESH);

    // The pods watch fails (403 after an RBAC edit): the agent ships its last copy, older each minute.
    const failedAt = h.minute;
    const stale = (m: number) => ({ ...FRESH, pods: 20_000 + (m - failedAt) * MINUTE_MS });
    h.steady.setCondition(2, { type: 'Ready', status: 'False', since: h.nextTime });
    const runs = await tick(h, ingest, stale, 70);
    // The kills left the 1-hour window only because no restart count moved: nothing was fixed.
    expect(h.publisher.of('container-restarts').map((c) => c.kind)).toEqual(['firing']);
    expect(runs.at(-1)!.blindRules).toEqual(
      expect.arrayContaining(['container-restarts', 'pods-pending', 'workload-replicas-unavailable']),
    );
    expect(runs.at(-1)!.blindRules).not.toContain('node-not-ready');
    expect(h.publisher.of('node-not-ready').map((c) => c.kind)).toEqual(['firing']);
    const told = h.publisher.of('agent-data-stale');
    expect(told.map((c) => c.kind)).toEqual(['firing']);
    expect(told[0]).toMatchObject({ severity: 'critical', evidence: { stale: 'pods', resources: 'pods' } });
    expect(told[0].summary).toMatch(/its pods \(\d+ min old\) data is stale: the alerts about them are held/);
    // Over the threshold (5 min) in the 6th minute after the failure, not before.
    expect(runs.findIndex((r) => r.changes.some((c) => c.rule === 'agent-data-stale'))).toBe(5);

    // Fresh again: the restarts are out of the window on real data, resolved after the usual 5 minutes.
    await tick(h, ingest, () => FRESH, 4);
    expect(h.publisher.of('container-restarts').map((c) => c.kind)).toEqual(['firing']);
    await tick(h, ingest, () => FRESH, 2);
    expect(h.publisher.of('container-restarts').map((c) => c.kind)).toEqual(['firing', 'resolved']);
    expect(h.publisher.of('agent-data-stale').map((c) => c.kind)).toEqual(['firing', 'resolved']);
  });

  test('an agent that reports no data age, and ages within the threshold, hold nothing: the alert resolves when its restarts leave the window', async () => {
    const { h, ingest } = await leakingContainer(() => undefined);
    await tick(h, ingest, (m) => (m % 2 ? { ...FRESH, pods: 4 * MINUTE_MS } : undefined), 70);
    expect(h.publisher.of('container-restarts').map((c) => c.kind)).toEqual(['firing', 'resolved']);
    expect(h.publisher.of('agent-data-stale')).toEqual([]);
  });

  test('stale events and workload lists hold only the rules reading them', async () => {
    const { h, ingest } = await setUp({});
    const [run] = await tick(h, ingest, () => ({ ...FRESH, 'events/warning': 9 * MINUTE_MS, statefulsets: 7 * MINUTE_MS }));
    expect(run.blindRules).toEqual(expect.arrayContaining(['warning-events', 'workload-replicas-unavailable']));
    expect(run.blindRules).not.toEqual(expect.arrayContaining(['container-restarts']));
    expect(run.blindRules).not.toEqual(expect.arrayContaining(['node-not-ready']));
    expect(h.publisher.of('agent-data-stale')[0].evidence).toMatchObject({
      stale: 'events, workloads',
      resources: 'events/warning, statefulsets',
      oldestSeconds: 570,
    });
  });
});

describe('staleResources', () => {
  const rollup = new SteadyCluster({ nodes: 1 }).context(T0).kube!;

  test('the age reported plus the time since the batch was collected; the oldest resource of a kind counts; unknown resources are ignored', () => {
    const r = {
      ...rollup,
      dataAgeMs: { pods: 4 * MINUTE_MS, deployments: MINUTE_MS, jobs: 3 * MINUTE_MS, 'events/node': 0, leases: 60 * MINUTE_MS },
    };
    expect(staleResources(r, r.collectedAt, 5 * MINUTE_MS).size).toBe(0);
    const later = staleResources(r, r.collectedAt + 2.5 * MINUTE_MS, 5 * MINUTE_MS);
    expect([...later.keys()].sort()).toEqual(['pods', 'workloads']);
    expect(later.get('workloads')).toEqual({ ageMs: 5.5 * MINUTE_MS, reported: ['jobs'] });
    expect(staleResources(rollup, rollup.collectedAt + 60 * MINUTE_MS, 5 * MINUTE_MS).size).toBe(0);
    expect(staleResources(undefined, T0, 5 * MINUTE_MS).size).toBe(0);
  });
});

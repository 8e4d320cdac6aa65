import { parseBatch, type AgentBatch } from '../../model/batch';
import { SimKarpenter } from '../../sim/kube/karpenter';
import { validateObject } from '../sim/kube/k8s-schema';
import { eventually } from './eventually';
import { startHarness, type Harness } from './harness';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const RECHECK_MS = 150;
const full = (h: Harness): AgentBatch[] => h.batches().filter((b) => b.kind === 'full');
const last = (h: Harness): AgentBatch => full(h)[full(h).length - 1];
const karpenterCalls = (h: Harness) => h.kube.api.requests.filter((q) => q.path.startsWith('/apis/karpenter.sh'));

/** A NodePool with a Ready NodeClaim (its node is in the batch already) and one whose launch failed. */
function installKarpenter(h: Harness): SimKarpenter {
  const k = new SimKarpenter(h.sim);
  k.install();
  k.nodePool({
    name: 'general',
    instanceTypes: ['m6i.large', 'm6i.xlarge'],
    limits: { cpu: '64', memory: '256Gi' },
    budgets: [{ nodes: '0', reasons: ['Drifted'], schedule: '0 9 * * mon-fri', duration: '8h' }, { nodes: '10%' }],
  });
  const ready = k.create('general', { name: 'general-ready' });
  k.launched(ready, 'i-0aaaaaaaaaaaaaaa1');
  k.registered(ready, h.synthetic.reports[0].node.name);
  k.initialized(ready);
  const failed = k.create('general', { name: 'general-failed' });
  k.failLaunch(
    failed,
    'creating instance, insufficient capacity, with fleet error(s), InsufficientInstanceCapacity: We currently do not have sufficient m6i.large capacity in the Availability Zone you requested (eu-west-1a).',
  );
  k.poolResources('general', { cpu: '2', memory: '8Gi', pods: '29', nodes: '1' });
  return k;
}

describe('the agent and Karpenter', () => {
  it('without Karpenter: one discovery call answered 404, no list or watch of NodePools, no warning, batches without karpenter', async () => {
    h = await startHarness({ runtime: { karpenterRecheckMs: 60_000 } });
    await h.agent.watch();
    await h.agent.cycle();
    await h.minute();
    expect(karpenterCalls(h).map((q) => `${q.path} ${q.status}`)).toEqual(['/apis/karpenter.sh/v1 404']);
    expect(full(h).every((b) => b.karpenter === undefined)).toBe(true);
    expect(h.logs.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);
    expect(h.logs.find((l) => String(l.msg ?? l.message).includes('Karpenter is not installed'))).toBeDefined();
    expect(Object.keys(last(h).dataAgeMs ?? {})).not.toContain('nodeclaims');
  });

  it('notices Karpenter installed later: lists and watches NodePools and the NodeClaims that need a look, and carries them in valid batches', async () => {
    h = await startHarness({ runtime: { karpenterRecheckMs: RECHECK_MS } });
    await h.agent.watch();
    await h.agent.cycle();
    expect(last(h).karpenter).toBeUndefined();
    const k = installKarpenter(h);
    for (const resource of ['nodepools', 'nodeclaims'] as const) for (const o of h.sim.list(resource)) validateObject(o, `${resource}: `);
    await eventually(
      async () => {
        await h!.minute();
        expect(last(h!).karpenter?.nodeClaims.length).toBeGreaterThan(0);
      },
      5000,
      RECHECK_MS,
    );
    const b = last(h);
    expect(parseBatch(JSON.parse(JSON.stringify(b))).ok).toBe(true);
    expect(b.karpenter?.nodePools).toEqual([
      {
        name: 'general',
        nodeClass: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' },
        limits: { cpuMilli: 64_000, memoryBytes: 256 * 2 ** 30 },
        resources: { cpuMilli: 2000, memoryBytes: 8 * 2 ** 30, pods: 29, nodes: 1 },
        budgets: [{ nodes: '0', reasons: ['Drifted'], schedule: '0 9 * * mon-fri', duration: '8h' }, { nodes: '10%' }],
        conditions: expect.arrayContaining([expect.objectContaining({ type: 'Ready', status: 'True' })]),
      },
    ]);
    // The Ready NodeClaim is its node; only the failed launch is carried, with Karpenter's reason and message.
    expect(b.karpenter?.nodeClaims.map((nc) => nc.name)).toEqual(['general-failed']);
    expect(b.karpenter?.nodeClaims[0]).toMatchObject({ nodePool: 'general', instanceType: 'm6i.large', capacityType: 'on-demand' });
    expect(b.karpenter?.nodeClaims[0].conditions.find((c) => c.type === 'Launched')).toMatchObject({
      status: 'False',
      reason: 'LaunchFailed',
      message: expect.stringContaining('InsufficientInstanceCapacity'),
    });
    expect(Object.keys(b.dataAgeMs ?? {})).toEqual(expect.arrayContaining(['nodepools', 'nodeclaims']));
    // Watched, not listed each minute.
    expect(karpenterCalls(h).filter((q) => !q.watch && q.path === '/apis/karpenter.sh/v1/nodeclaims')).toHaveLength(1);

    // A NodeClaim that becomes Ready leaves the batch; one launched but not registered enters it.
    k.remove('general-failed');
    const slow = k.create('general', { name: 'general-slow' });
    k.launched(slow, 'i-0bbbbbbbbbbbbbbb2');
    await eventually(async () => {
      await h!.minute();
      expect(last(h!).karpenter?.nodeClaims.map((nc) => nc.name)).toEqual(['general-slow']);
    });
    expect(last(h).karpenter?.nodeClaims[0]).toMatchObject({
      instanceId: 'i-0bbbbbbbbbbbbbbb2',
      providerId: 'aws:///eu-west-1a/i-0bbbbbbbbbbbbbbb2',
    });
  });

  it('stops watching when Karpenter is uninstalled, without a retry storm', async () => {
    h = await startHarness({ runtime: { karpenterRecheckMs: RECHECK_MS } });
    installKarpenter(h);
    await h.agent.watch();
    await eventually(async () => {
      await h!.minute();
      expect(last(h!).karpenter).toBeDefined();
    });
    h.sim.servesKarpenter = false;
    await eventually(async () => {
      await h!.minute();
      expect(last(h!).karpenter).toBeUndefined();
    });
    const before = karpenterCalls(h).length;
    await new Promise((r) => setTimeout(r, RECHECK_MS * 4));
    // Only the slow discovery re-checks: about one call per interval, never a list or watch retried in a loop.
    const after = karpenterCalls(h).slice(before);
    expect(after.every((q) => q.path === '/apis/karpenter.sh/v1')).toBe(true);
    expect(after.length).toBeLessThanOrEqual(6);
  });
});

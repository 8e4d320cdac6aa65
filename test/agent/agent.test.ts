import { agentRules } from '../../agent/deploy/manifests';
import type { AgentBatch } from '../../model/batch';
import { eventually } from './eventually';
import { startHarness, T0, type Harness } from './harness';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const full = (bs: AgentBatch[]) => bs.filter((b) => b.kind === 'full');
const nodesOf = (b: AgentBatch) => b.nodes.map((n) => n.node.name);

describe('the agent against the loopback cluster', () => {
  it('reports every node, pod, container and workload as the cluster holds them, with usage from the kubelets', async () => {
    h = await startHarness({ nodes: 3, podsPerNode: 8 });
    await h.agent.watch();
    await h.agent.cycle();
    await h.minute();
    const [first, second] = h.batches();
    expect(first).toMatchObject({ v: 1, cluster: h.synthetic.cluster, kind: 'full', seq: 1, collectedAt: T0 });
    expect(second).toMatchObject({
      seq: 2,
      collectedAt: T0 + 60_000,
      agent: { version: '0.1.0', cycles: 2, batchesSent: 1, buffered: 0, droppedBatches: 0 },
    });
    expect(second.scrapeErrors).toEqual([]);
    for (const s of h.synthetic.reports) {
      const r = second.nodes.find((n) => n.node.name === s.node.name);
      const { uid: _uid, conditions: _conditions, ...node } = s.node;
      expect(r?.node).toMatchObject(node);
      expect(r?.node.conditions.map((c) => `${c.type}=${c.status}`)).toEqual([
        'MemoryPressure=False',
        'DiskPressure=False',
        'PIDPressure=False',
        'Ready=True',
      ]);
      const containers = s.pods.flatMap((p) => p.containers);
      // The kubelet's node CPU is the containers' plus the system's own 120 m; working set likewise.
      expect(r?.stats?.cpuMilli).toBe(containers.reduce((a, c) => a + (c.usage?.cpuMilli ?? 0), 120));
      expect(r?.stats?.memoryWorkingSetBytes).toBe(containers.reduce((a, c) => a + (c.usage?.memoryWorkingSetBytes ?? 0), 600 * 2 ** 20));
      expect(r?.pods).toHaveLength(s.pods.length);
      for (const p of s.pods) {
        const got = r?.pods.find((x) => x.uid === p.uid);
        const { qos: _qos, ephemeralStorageUsedBytes: _e, ...expected } = p;
        expect(got).toMatchObject(expected);
      }
    }
    // CPU comes from two samples: none in the first batch.
    expect(first.nodes[0].pods[0].containers[0].usage?.cpuMilli).toBeUndefined();
    const summary = (
      ws: readonly { namespace: string; kind: string; name: string; desired: number; ready: number; available: number; updated: number }[],
    ) => ws.map((w) => `${w.namespace}/${w.kind}/${w.name} ${w.desired}/${w.ready}/${w.available}/${w.updated}`).sort();
    expect(summary(second.workloads)).toEqual(summary(h.synthetic.workloads));
    expect(second.controlPlane).toMatchObject({ readyz: { ok: true }, apiErrors: 0, apiThrottled: 0 });
  });

  it('calls only what its ClusterRole grants (nodes/stats, never nodes/proxy)', async () => {
    h = await startHarness({ permissions: { nodesStats: true, nodesProxy: false } });
    await h.agent.watch();
    await h.agent.cycle();
    const rules = agentRules(false) as { apiGroups?: string[]; resources?: string[]; nonResourceURLs?: string[]; verbs: string[] }[];
    const allowed = (group: string, resource: string, verb: string) =>
      rules.some((r) => r.apiGroups?.includes(group) && r.resources?.includes(resource) && r.verbs.includes(verb));
    for (const q of h.kube.api.requests) {
      if (q.path === '/readyz') {
        expect(rules.some((r) => r.nonResourceURLs?.includes('/readyz'))).toBe(true);
        continue;
      }
      // API discovery (is Karpenter installed?) needs no grant: the default system:discovery role allows it to everyone.
      if (q.path === '/apis/karpenter.sh/v1') continue;
      const m = /^\/(?:api\/v1|apis\/([^/]+)\/v1)\/([a-z]+)$/.exec(q.path);
      expect(m).not.toBeNull();
      expect(allowed(m?.[1] ?? '', m?.[2] ?? '', q.watch ? 'watch' : 'list')).toBe(true);
    }
    expect(h.batches()[0].nodes.every((n) => n.stats)).toBe(true); // read with nodes/stats alone
  });

  it('sends a small batch right away when a node condition or a pod phase changes', async () => {
    h = await startHarness();
    await h.agent.watch();
    await h.agent.cycle();
    const [nodeA, nodeB] = h.synthetic.reports.map((r) => r.node.name);
    const pod = h.synthetic.reports[1].pods[5];
    h.sim.setNodeCondition(nodeA, 'Ready', 'False', { reason: 'KubeletNotReady', message: 'PLEG is not healthy' });
    h.sim.setPodPhase(pod, 'Failed', { reason: 'Evicted', message: 'The node was low on resource: memory.' });
    const change = await eventually(() => {
      const c = h?.batches().find((b) => b.kind === 'change');
      if (!c) throw new Error('no change batch yet');
      return c;
    });
    expect(nodesOf(change).sort()).toEqual([nodeA, nodeB].sort());
    expect(change).toMatchObject({ seq: 2, unscheduledPods: [], workloads: [], events: [] });
    const a = change.nodes.find((n) => n.node.name === nodeA);
    expect(a?.node.conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'KubeletNotReady' });
    expect(a?.stats).toBeDefined(); // the last kubelet figures ride along, so the node-minute loses nothing
    expect(change.nodes.find((n) => n.node.name === nodeB)?.pods.find((p) => p.uid === pod.uid)).toMatchObject({
      phase: 'Failed',
      reason: 'Evicted',
    });
    expect(h.agent.counters.changeBatches).toBe(1);
    // The next full batch carries the events the changes raised.
    await h.minute();
    const events = full(h.batches()).at(-1)?.events ?? [];
    expect(events.map((e) => `${e.type} ${e.reason}`)).toEqual(expect.arrayContaining(['Normal NodeNotReady', 'Warning Evicted']));
  });

  it('keeps every other node when one kubelet fails and another times out, reporting each error by kind', async () => {
    h = await startHarness({ nodes: 4 });
    const [bad, slow] = h.synthetic.reports.map((r) => r.node.name);
    h.kube.kubelets.setFault(bad, { status: 500 });
    h.kube.kubelets.setFault(slow, { delayMs: 3000 });
    await h.agent.watch();
    await h.agent.cycle();
    const b = h.batches()[0];
    expect(nodesOf(b)).toHaveLength(4);
    expect(b.nodes.filter((n) => n.stats).map((n) => n.node.name)).toHaveLength(2);
    expect(b.nodes.find((n) => n.node.name === bad)?.pods.length).toBeGreaterThan(0);
    expect(b.scrapeErrors.map((e) => [e.node, e.kind]).sort()).toEqual(
      [
        [bad, 'http'],
        [slow, 'timeout'],
      ].sort(),
    );
    h.kube.kubelets.clearFault(bad);
    h.kube.kubelets.clearFault(slow);
    await h.minute();
    expect(h.batches()[1].scrapeErrors).toEqual([]);
    expect(h.batches()[1].agent.scrapeErrors).toEqual({ http: 1, timeout: 1 });
  });

  it('ends the scrape at its deadline when a zone is lost, with a short timeout for nodes not Ready', async () => {
    h = await startHarness({
      nodes: 6,
      config: { kubeletTimeoutMs: 5000, kubeletNotReadyTimeoutMs: 300, scrapeDeadlineMs: 1500, kubeletConcurrency: 2 },
    });
    const [lost, unreachable, ...healthy] = h.synthetic.reports.map((r) => r.node.name);
    // One node already NotReady, one whose kubelet just stopped answering (still Ready for the API).
    h.sim.setNodeCondition(lost, 'Ready', 'Unknown');
    for (const n of [lost, unreachable]) h.kube.kubelets.setFault(n, { delayMs: 20_000 });
    await h.agent.watch();
    await h.agent.cycle();
    const b = full(h.batches())[0];
    const errors = Object.fromEntries(b.scrapeErrors.map((e) => [e.node, e]));
    expect(errors[lost]).toMatchObject({ kind: 'timeout', message: 'no summary within 300 ms' });
    expect(errors[unreachable]).toMatchObject({ kind: 'timeout', message: expect.stringContaining('scrape deadline (1.5 s) passed') });
    expect(b.scrapeErrors).toHaveLength(2);
    expect(nodesOf(b)).toHaveLength(6);
    expect(
      b.nodes
        .filter((n) => n.stats)
        .map((n) => n.node.name)
        .sort(),
    ).toEqual([...healthy].sort());
  });

  it('stops at once on SIGTERM during a cycle stuck on a kubelet, pushing what it has', async () => {
    h = await startHarness({ nodes: 3, config: { kubeletTimeoutMs: 10_000 } });
    const [stuck] = h.synthetic.reports.map((r) => r.node.name);
    h.kube.kubelets.setFault(stuck, { delayMs: 20_000 });
    await h.agent.watch();
    const cycle = h.agent.cycle();
    await eventually(() => expect(h?.kube.kubelets.requests.get(stuck)).toBe(1));
    await h.agent.stop();
    await cycle;
    const b = full(h.batches())[0];
    expect(nodesOf(b)).toHaveLength(3);
    // The stuck call is cut, not waited for (others may be cut too, on a busy machine).
    expect(b.scrapeErrors).toContainEqual({ node: stuck, kind: 'timeout', message: 'not scraped: the agent is stopping' });
    expect(b.scrapeErrors.every((e) => e.message === 'not scraped: the agent is stopping')).toBe(true);
  });

  it("gives up flushing at its stop deadline, below the pod's grace period, and says what is lost", async () => {
    h = await startHarness({ config: { pushTimeoutMs: 10_000, stopDeadlineMs: 500 } });
    await h.agent.watch();
    h.ingest.faults.delay(1, 20_000);
    void h.agent.cycle();
    await eventually(() => expect(h?.agent.counters.batchesBuilt).toBe(1));
    await h.agent.stop();
    expect(h.logs).toContainEqual(expect.objectContaining({ message: 'stopping with unsent batches', buffered: 1, deadlinePassed: true }));
  });

  it('lists events from the watch cache, and nodes and pods by a consistent paged read', async () => {
    h = await startHarness();
    await h.agent.watch();
    await eventually(() => expect(h?.kube.api.requests.filter((q) => q.path === '/api/v1/events' && !q.watch)).toHaveLength(2));
    const lists = (path: string) =>
      (h?.kube.api.requests ?? [])
        .filter((q) => q.path === path && !q.watch)
        .map((q) => new URLSearchParams(q.query).get('resourceVersion'));
    expect(lists('/api/v1/events')).toEqual(['0', '0']);
    expect([...lists('/api/v1/nodes'), ...lists('/api/v1/pods')].every((rv) => rv === null)).toBe(true);
  });

  it('says how old its data is in each batch, and fails readiness while the node and pod watches are stalled', async () => {
    h = await startHarness({ config: { staleAfterMs: 500 } });
    await h.agent.watch();
    await h.agent.cycle();
    expect(h.agent.readiness().ok).toBe(true);
    expect(full(h.batches())[0].dataAgeMs).toMatchObject({
      nodes: expect.any(Number),
      pods: expect.any(Number),
      'events/warning': expect.any(Number),
    });
    expect(full(h.batches())[0].dataAgeMs?.pods).toBeLessThan(500);
    h.kube.api.faults.stallWatches();
    await eventually(
      () =>
        expect(h?.agent.readiness()).toEqual({ ok: false, detail: expect.stringMatching(/^stale data: nodes \d+ s old, pods \d+ s old$/) }),
      3000,
    );
    await h.minute();
    expect(full(h.batches()).at(-1)?.dataAgeMs?.pods).toBeGreaterThan(500);
    h.kube.api.faults.dropWatches();
    await eventually(() => expect(h?.agent.readiness().ok).toBe(true), 3000);
  });

  it("gets through API throttling (429) and counts it as the control plane's health", async () => {
    h = await startHarness();
    h.kube.api.faults.throttle(3, /\/api\/v1\/(pods|nodes)\?limit/, 1);
    await h.agent.watch();
    await h.agent.cycle();
    const b = h.batches()[0];
    expect(nodesOf(b)).toHaveLength(3);
    expect(b.controlPlane).toMatchObject({ apiThrottled: 3 });
    expect(b.controlPlane?.apiCalls).toBeGreaterThan(b.controlPlane?.apiThrottled ?? 0);
  });

  it('reports a failing etcd from /readyz', async () => {
    h = await startHarness();
    h.kube.api.faults.setReadyz('etcd', false);
    await h.agent.watch();
    await h.agent.cycle();
    expect(h.batches()[0].controlPlane?.readyz).toMatchObject({ ok: false, checks: expect.arrayContaining([{ name: 'etcd', ok: false }]) });
  });

  it('sends heartbeats carrying its API errors while it cannot list nodes and pods, then full batches once it can', async () => {
    h = await startHarness({ runtime: { random: () => 0.5 } }); // list retries after 500 ms, then 1 s
    h.kube.api.faults.fail(2, 403, /^\/api\/v1\/nodes\?/);
    const listed = h.agent.watch();
    await eventually(() => expect(h?.logs.some((l) => l.message === 'list/watch failed: retrying' && l.resource === 'nodes')).toBe(true));
    await h.agent.cycle();
    const [heartbeat] = h.batches();
    // No nodes, and a `change` batch: ingest keeps the heartbeat and does not take it for an empty cluster.
    expect(heartbeat).toMatchObject({
      kind: 'change',
      seq: 1,
      nodes: [],
      unscheduledPods: [],
      workloads: [],
      agent: { cycles: 1 },
      controlPlane: { readyz: { ok: true } },
    });
    expect(heartbeat.controlPlane?.apiErrors).toBeGreaterThanOrEqual(1);
    expect(h.logs.find((l) => l.message === 'cycle')).toMatchObject({
      skipped: 'nodes and pods not listed yet',
      listErrors: { nodes: expect.stringContaining('403') },
      batches: 1,
    });
    await listed;
    await h.minute();
    expect(h.batches()[1]).toMatchObject({ kind: 'full', seq: 2 });
    expect(nodesOf(h.batches()[1])).toHaveLength(3);
  });

  it('misses nothing when watches drop or expire (410): the next batch shows what changed meanwhile', async () => {
    h = await startHarness();
    await h.agent.watch();
    await h.agent.cycle();
    const [a, b] = h.synthetic.reports.map((r) => r.node.name);
    // Generous bounds: reopening nine watches and relisting after a 410 is slow on a loaded machine, not wrong.
    await eventually(() => expect(h?.kube.api.faults.watches.size).toBeGreaterThanOrEqual(9), 30_000);
    h.kube.api.faults.dropWatches();
    h.sim.cordon(a);
    await eventually(() => expect(h?.kube.api.faults.watches.size).toBeGreaterThanOrEqual(9), 30_000);
    h.kube.api.faults.dropWatches();
    h.sim.cordon(b);
    h.sim.compact();
    await eventually(async () => {
      await h?.minute();
      const last = full(h?.batches() ?? []).at(-1) as AgentBatch;
      expect(
        last.nodes
          .filter((n) => n.node.unschedulable)
          .map((n) => n.node.name)
          .sort(),
      ).toEqual([a, b].sort());
    }, 30_000);
  });

  it('buffers while ingest fails or times out for several cycles, then delivers everything in order', async () => {
    h = await startHarness();
    await h.agent.watch();
    h.ingest.faults.fail(3, 500);
    await h.agent.cycle();
    await h.minute();
    expect(h.agent.readiness().ok).toBe(false);
    h.ingest.faults.delay(2, 1500); // longer than the agent waits
    await h.minute();
    await h.minute();
    expect(h.batches()).toEqual([]);
    expect(h.agent.counters.buffered).toBeGreaterThanOrEqual(3);
    await eventually(async () => {
      await h?.minute();
      expect(h?.agent.counters.buffered).toBe(0);
    }, 10_000);
    const seqs = h.batches().map((b) => b.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(new Set(seqs)).toEqual(new Set(Array.from({ length: Math.max(...seqs) }, (_, i) => i + 1)));
    expect(h.agent.readiness().ok).toBe(true);
    expect(h.agent.counters.droppedBatches).toBe(0);
    expect(h.batches().at(-1)?.agent.pushFailures).toBeGreaterThanOrEqual(4);
  });

  it('drops the oldest batches when the buffer overflows, and the next batch says how many', async () => {
    h = await startHarness({ config: { bufferMaxBatches: 2 } });
    await h.agent.watch();
    h.ingest.faults.fail(1000, 503);
    await h.agent.cycle();
    for (let i = 0; i < 4; i++) await h.minute();
    expect(h.agent.counters).toMatchObject({ buffered: 2, droppedBatches: 3 });
    h.ingest.faults.clear();
    await h.minute();
    // Each batch reports the drops made before it was built: batch 6 pushed out batch 4 when it joined.
    expect(h.batches().map((b) => b.seq)).toEqual([5, 6]);
    expect(h.batches().at(-1)?.agent.droppedBatches).toBe(3);
    await h.minute();
    expect(h.batches().map((b) => [b.seq, b.agent.droppedBatches])).toEqual([
      [5, 2],
      [6, 3],
      [7, 4],
    ]);
    expect(h.logs.some((l) => l.message === 'buffer full: dropped the oldest batches')).toBe(true);
  });

  it('splits a batch larger than the endpoint takes into parts that arrive whole', async () => {
    h = await startHarness({ nodes: 6, podsPerNode: 12, runtime: { maxCompressedBytes: 6_000 } });
    await h.agent.watch();
    await h.agent.cycle();
    const parts = h.batches();
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.map((p) => p.part)).toEqual(parts.map((_, index) => ({ index, count: parts.length })));
    expect(parts.flatMap(nodesOf).sort()).toEqual(h.synthetic.reports.map((r) => r.node.name).sort());
    expect(parts[0].workloads.length).toBeGreaterThan(0);
    expect(parts.slice(1).every((p) => p.workloads.length === 0 && !p.controlPlane)).toBe(true);
    for (const r of h.ingest.received) expect(r.bytes).toBeLessThanOrEqual(6_000);
  });

  it('reports Warning events deduplicated by object and reason, and Pending pods the scheduler could not place', async () => {
    h = await startHarness();
    await h.agent.watch();
    await h.agent.cycle();
    const pod = h.synthetic.reports[0].pods[6];
    h.sim.crashLoop(pod, pod.containers[0].name);
    h.sim.crashLoop(pod, pod.containers[0].name);
    h.sim.addPod({
      namespace: 'web',
      owner: { kind: 'Deployment', name: 'big' },
      containers: [{ name: 'big', image: 'big:1', requests: { cpuMilli: 100, memoryBytes: 512 * 2 ** 30 } }],
    });
    await eventually(async () => {
      await h?.minute();
      const events = full(h?.batches() ?? []).flatMap((b) => b.events);
      expect(events.filter((e) => e.reason === 'BackOff' && e.objectUid === pod.uid).at(-1)?.count).toBe(2);
      expect(events.some((e) => e.reason === 'FailedScheduling')).toBe(true);
      expect(full(h?.batches() ?? []).at(-1)?.unscheduledPods).toHaveLength(1);
    });
    const last = full(h.batches()).at(-1) as AgentBatch;
    expect(last.unscheduledPods).toEqual([
      expect.objectContaining({
        namespace: 'web',
        phase: 'Pending',
        workload: { kind: 'Deployment', name: 'big' },
        unschedulable: expect.objectContaining({ reason: 'Unschedulable', message: expect.stringContaining('Insufficient memory') }),
      }),
    ]);
    const crashing = last.nodes.flatMap((n) => n.pods).find((p) => p.uid === pod.uid);
    expect(crashing?.containers[0]).toMatchObject({
      state: 'waiting',
      waitingReason: 'CrashLoopBackOff',
      restarts: pod.containers[0].restarts + 2,
    });
  });

  it('reads kubelets through the API server proxy when configured to (and granted nodes/proxy)', async () => {
    h = await startHarness({ config: { kubeletTransport: 'proxy' }, permissions: { nodesStats: false, nodesProxy: true } });
    await h.agent.watch();
    await h.agent.cycle();
    const b = h.batches()[0];
    expect(b.scrapeErrors).toEqual([]);
    expect(b.nodes.every((n) => n.stats?.memoryWorkingSetBytes)).toBe(true);
    expect(h.kube.api.requests.filter((q) => q.path.endsWith('/proxy/stats/summary'))).toHaveLength(3);
  });
});

describe('the agent driven step by step (local mode)', () => {
  it('says when its watches have caught up with a change, so the next cycle shows it', async () => {
    h = await startHarness({ bookmarkIntervalMs: 60_000 });
    await h.agent.watch();
    const node = h.synthetic.reports[2].node.name;
    for (let i = 0; i < 3; i++) {
      h.sim.setNodeCondition(node, 'DiskPressure', i % 2 ? 'False' : 'True');
      const started = Date.now();
      expect(await h.agent.caughtUp(h.sim.resourceVersion)).toBe(true);
      expect(Date.now() - started).toBeLessThan(1000); // long before the periodic bookmark (a minute away)
      await h.minute();
      const last = h
        .batches()
        .filter((b) => b.kind === 'full')
        .at(-1);
      expect(last?.nodes.find((n) => n.node.name === node)?.node.conditions.find((c) => c.type === 'DiskPressure')?.status).toBe(
        i % 2 ? 'False' : 'True',
      );
    }
  });

  it('says it has not caught up when a watch cannot follow', async () => {
    h = await startHarness();
    await h.agent.watch();
    h.kube.api.faults.fail(1000, 500, /jobs/);
    h.kube.api.faults.dropWatches();
    h.sim.cordon(h.synthetic.reports[0].node.name);
    expect(await h.agent.caughtUp(h.sim.resourceVersion, 300)).toBe(false);
  });
});

describe("the agent's ticks", () => {
  it('tick on a fixed phase of the interval, picked at random at start-up, without drift', async () => {
    const scheduled: { fn: () => void; ms: number }[] = [];
    const timers = { setTimeout: (fn: () => void, ms: number) => scheduled.push({ fn, ms }), clearTimeout: () => undefined };
    h = await startHarness({ runtime: { timers, random: () => 0.5 } });
    await h.agent.start(); // the first cycle runs at once
    expect(h.batches()).toHaveLength(1);
    const phase = 0.5 * 60_000; // 10 % + 80 % × 0.5 of the interval
    const tick = scheduled.filter((s) => s.ms > 100).at(-1) as { fn: () => void; ms: number };
    expect((T0 + tick.ms) % 60_000).toBe(phase);
    h.clock.advance(tick.ms + 1234); // the timer fired a little late
    const before = scheduled.filter((s) => s.ms > 100).length;
    tick.fn();
    await eventually(() => expect(scheduled.filter((s) => s.ms > 100).length).toBe(before + 1));
    expect(h.batches()).toHaveLength(2);
    const next = scheduled.filter((s) => s.ms > 100).at(-1) as { ms: number };
    expect((h.clock.now() + next.ms) % 60_000).toBe(phase);
    expect(next.ms).toBe(60_000 - 1234);
  });
});

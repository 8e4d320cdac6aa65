/**
 * CPU throttling through the agent's HTTP runtime: the loopback kubelets serve `/metrics/cadvisor`, the
 * real agent reads it next to the summary, and the batch carries each limited container's throttling.
 */
import type { AgentBatch } from '../../model/batch';
import { startHarness, type Harness } from './harness';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const containerOf = (b: AgentBatch, pod: string, container: string) =>
  b.nodes
    .flatMap((n) => n.pods)
    .find((p) => p.name === pod)
    ?.containers.find((c) => c.name === container);

async function withLimitedPods(o: Parameters<typeof startHarness>[0] = {}): Promise<Harness> {
  const harness = await startHarness({ nodes: 2, podsPerNode: 2, ...o });
  const node = harness.synthetic.reports[0].node.name;
  const pod = (name: string, demand: number) =>
    harness.sim.addPod({
      namespace: 'shop',
      name,
      node,
      containers: [
        {
          name: 'app',
          image: 'shop/api:1.4',
          requests: { cpuMilli: 250, memoryBytes: 256 * 2 ** 20 },
          limits: { cpuMilli: 500, memoryBytes: 512 * 2 ** 20 },
          usage: { cpuMilli: demand },
        },
      ],
    });
  pod('api-hot', 800);
  pod('api-calm', 200);
  return harness;
}

describe('CPU throttling read by the agent', () => {
  it('reports a container wanting more than its CPU limit as throttled in every period, with its usage at the limit', async () => {
    h = await withLimitedPods();
    await h.agent.watch();
    await h.agent.cycle();
    expect(containerOf(h.batches()[0], 'api-hot', 'app')?.usage?.cpuThrottledPct).toBeUndefined(); // one reading: no rate yet
    await h.minute();
    const b = h.batches()[1];
    const hot = containerOf(b, 'api-hot', 'app')?.usage;
    expect(hot?.cpuThrottledPct).toBe(100);
    // Each 100-ms period it runs 50 ms of its 80 ms of work, then waits: 3/8 of a second per second.
    expect(hot?.cpuThrottledSecondsPerSecond).toBeCloseTo(0.375, 2);
    expect(hot?.cpuMilli).toBeCloseTo(500, -1);
    expect(containerOf(b, 'api-calm', 'app')?.usage?.cpuThrottledPct).toBe(0);
    // Containers without a CPU limit have no CFS quota, so no figure.
    const unlimited = b.nodes
      .flatMap((n) => n.pods)
      .filter((p) => p.namespace !== 'shop')
      .flatMap((p) => p.containers);
    expect(unlimited.length).toBeGreaterThan(0);
    expect(unlimited.every((c) => c.usage?.cpuThrottledPct === undefined)).toBe(true);
    // cAdvisor's megabyte is read only from nodes running a container with a CPU limit.
    const [limited, other] = h.synthetic.reports.map((r) => r.node.name);
    expect([h.kube.kubelets.cadvisorRequests.get(limited), h.kube.kubelets.cadvisorRequests.get(other)]).toEqual([2, undefined]);
  });

  it('reads throttling through the API server proxy too, when that is the configured transport', async () => {
    h = await withLimitedPods({
      config: { kubeletTransport: 'proxy' },
      permissions: { nodesStats: false, nodesMetrics: false, nodesProxy: true },
    });
    await h.agent.watch();
    await h.agent.cycle();
    await h.minute();
    expect(containerOf(h.batches()[1], 'api-hot', 'app')?.usage?.cpuThrottledPct).toBe(100);
    expect(h.kube.api.requests.filter((q) => q.path.endsWith('/proxy/metrics/cadvisor'))).toHaveLength(2);
  });

  it("keeps every node's summary when nodes/metrics is not granted, and says why throttling is missing", async () => {
    h = await withLimitedPods({ permissions: { nodesMetrics: false } });
    await h.agent.watch();
    await h.agent.cycle();
    await h.minute();
    const b = h.batches()[1];
    expect(b.scrapeErrors).toEqual([]);
    expect(b.nodes.every((n) => n.stats?.cpuMilli !== undefined)).toBe(true);
    expect(containerOf(b, 'api-hot', 'app')?.usage?.cpuThrottledPct).toBeUndefined();
    const cycle = h.logs.filter((l) => l.message === 'cycle').at(-1);
    expect(cycle).toMatchObject({ cadvisorErrors: 1, cadvisorError: expect.stringContaining('subresource=metrics') });
  });
});

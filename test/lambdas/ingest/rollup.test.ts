import { holdsResources, kubeRollupOf, requestedBy } from '../../../lambdas/ingest/rollup';
import type { AgentBatch } from '../../../model/batch';
import type { Container, Pod } from '../../../model/domain';
import { syntheticBatch, syntheticCluster } from '../../../sim/synthetic';

const T = Date.UTC(2026, 10, 23, 12, 0, 5);
const MiB = 1024 ** 2;
const c = syntheticCluster({ nodes: 2, podsPerNode: 6 });

const container = (over: Partial<Container> = {}): Container => ({
  name: 'app',
  image: 'registry.example.com/app:1.0',
  requests: { cpuMilli: 100, memoryBytes: 128 * MiB },
  limits: { memoryBytes: 256 * MiB },
  restarts: 0,
  state: 'running',
  ready: true,
  usage: { cpuMilli: 40, memoryWorkingSetBytes: 100 * MiB },
  ...over,
});
const pod = (name: string, over: Partial<Pod> = {}): Pod => ({
  uid: `00000000-0000-4000-8000-${name.padStart(12, '0').slice(-12)}`,
  namespace: 'shop',
  name,
  node: c.reports[0].node.name,
  phase: 'Running',
  workload: { kind: 'Deployment', name: 'cart' },
  labels: { app: 'cart' },
  ready: true,
  containers: [container()],
  ...over,
});

function batch(): AgentBatch {
  const b = syntheticBatch(c, T);
  const [first, second] = b.nodes;
  return {
    ...b,
    nodes: [
      {
        ...first,
        node: {
          ...first.node,
          conditions: first.node.conditions.map((x) => (x.type === 'MemoryPressure' ? { ...x, status: 'True' as const } : x)),
        },
        pods: [
          pod('cart-a', {
            containers: [
              container({ restarts: 4, lastTermination: { reason: 'OOMKilled', exitCode: 137 } }),
              container({ name: 'sidecar', requests: { cpuMilli: 50 }, restarts: 1 }),
            ],
          }),
          pod('cart-b', { ready: false }),
          pod('job-done', { phase: 'Succeeded', workload: { kind: 'Job', name: 'nightly' } }),
        ],
      },
      { ...second, stats: undefined },
    ],
    unscheduledPods: [
      pod('cart-c', {
        node: undefined,
        phase: 'Pending',
        ready: false,
        unschedulable: { reason: 'Unschedulable', message: '0/2 nodes are available: 2 Insufficient memory.' },
        createdAt: T - 60_000,
      }),
    ],
    workloads: [
      { namespace: 'shop', kind: 'Deployment', name: 'cart', desired: 4, ready: 1, available: 1, updated: 4 },
      { namespace: 'shop', kind: 'Deployment', name: 'checkout', desired: 0, ready: 0, available: 0, updated: 0 },
    ],
    scrapeErrors: [{ node: second.node.name, kind: 'timeout', message: 'timeout after 5s' }],
  };
}

test('finished pods hold no resources', () => {
  expect(holdsResources(pod('x'))).toBe(true);
  expect(holdsResources(pod('x', { phase: 'Pending' }))).toBe(true);
  expect(holdsResources(pod('x', { phase: 'Succeeded' }))).toBe(false);
  expect(holdsResources(pod('x', { phase: 'Failed' }))).toBe(false);
  expect(requestedBy([pod('a'), pod('b', { phase: 'Failed' })])).toEqual({
    cpuMilli: 100,
    memoryBytes: 128 * MiB,
    ephemeralStorageBytes: 0,
    pods: 1,
  });
});

test('nodes: readiness, problems, requests of the pods that hold them, kubelet figures, scrape errors', () => {
  const r = kubeRollupOf(batch());
  const [a, b] = r.nodes;
  expect(a).toMatchObject({
    name: c.reports[0].node.name,
    key: c.reports[0].node.instanceId,
    ready: 'True',
    problems: ['MemoryPressure'],
    pods: 3,
  });
  expect(a.requested).toEqual({ cpuMilli: 250, memoryBytes: 256 * MiB, ephemeralStorageBytes: 0, pods: 2 });
  expect(a.memoryWorkingSetBytes).toBe(c.reports[0].stats?.memoryWorkingSetBytes);
  expect(b).toMatchObject({ scrapeError: 'timeout', memoryWorkingSetBytes: undefined, problems: [] });
  expect([r.minute, r.collectedAt]).toEqual([Date.UTC(2026, 10, 23, 12, 0), T]);
});

test('workloads: summed over their pods, with the controller status, including controllers with no pod', () => {
  const r = kubeRollupOf(batch());
  const cart = r.workloads.find((w) => w.name === 'cart');
  expect(cart).toEqual({
    namespace: 'shop',
    kind: 'Deployment',
    name: 'cart',
    pods: 3,
    readyPods: 1,
    restarts: 5,
    oomKilled: 1,
    cpuMilli: 160,
    memoryWorkingSetBytes: 400 * MiB,
    desired: 4,
    available: 1,
  });
  expect(r.workloads.find((w) => w.name === 'checkout')).toMatchObject({ pods: 0, desired: 0 });
  expect(r.workloads.find((w) => w.name === 'nightly')).toMatchObject({ kind: 'Job', pods: 1 });
});

test('pending pods carry why they could not be placed and what they ask for', () => {
  expect(kubeRollupOf(batch()).pendingPods).toEqual([
    {
      namespace: 'shop',
      name: 'cart-c',
      workload: { kind: 'Deployment', name: 'cart' },
      reason: 'Unschedulable',
      message: '0/2 nodes are available: 2 Insufficient memory.',
      since: T - 60_000,
      requests: { cpuMilli: 100, memoryBytes: 128 * MiB, ephemeralStorageBytes: 0, pods: 1 },
    },
  ]);
});

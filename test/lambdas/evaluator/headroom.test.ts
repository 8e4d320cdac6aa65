import { analyzeHeadroom } from '../../../lambdas/evaluator/headroom';
import { T0 } from './harness';
import { SteadyCluster } from '../../../sim/steady-cluster';

/** A 3-node scenario (all in one group) whose nodes' app pods are given. */
function cluster(pods: readonly (readonly [number | undefined, number][])[]): SteadyCluster {
  const s = new SteadyCluster({ nodes: pods.length });
  pods.forEach((p, i) => s.setPods(i, p));
  return s;
}

test("when every node's pods fit elsewhere, the worst node is the one with the most to move, and headroom is positive", () => {
  const s = cluster([[[2, 1.5]], [[4, 3]], [[1, 1]]]);
  const a = analyzeHeadroom(s.context(T0));
  expect(a.worst).toMatchObject({ node: s.nodeNames[1], unplacedByRequests: [], unplacedByUsage: [] });
  expect(a.headroomPct).toBeGreaterThan(0);
});

test('requests that fit nowhere: named, the node whose loss hurts most', () => {
  // ~14.7 GiB allocatable per node; DaemonSet pods request a little.
  const s = cluster([
    [
      [11, 6],
      [2, 1],
    ],
    [[10, 8]],
    [[10, 8]],
  ]);
  const a = analyzeHeadroom(s.context(T0));
  expect(a.worst?.node).toBe(s.nodeNames[0]);
  expect(a.worst?.unplacedByRequests.map((p) => p.name)).toEqual(['app-0-0']);
  expect(a.headroomPct).toBeLessThan(30);
});

test("a pod without a memory request passes the scheduler but its memory use does not fit: the domino's accomplice", () => {
  const s = cluster([[[undefined, 8]], [[2, 7]], [[2, 7]]]);
  const a = analyzeHeadroom(s.context(T0));
  expect(a.worst).toMatchObject({ node: s.nodeNames[0], unplacedByRequests: [], withoutMemoryRequest: 1 });
  expect(a.worst?.unplacedByUsage.map((p) => p.name)).toEqual(['app-0-0']);
});

test('cordoned, NotReady and departing nodes neither count as room nor as candidates; one node left: no analysis', () => {
  const s = cluster([[[2, 1]], [[2, 1]], [[2, 1]]]);
  s.updateNode(1, (r) => ({ ...r, node: { ...r.node, unschedulable: true } }));
  s.setCondition(2, { type: 'Ready', status: 'False' });
  expect(analyzeHeadroom(s.context(T0))).toEqual({ nodes: 1 });
});

test('DaemonSet pods stay with their node and are not moved', () => {
  const s = cluster([[], [[1, 1]]]);
  const a = analyzeHeadroom(s.context(T0));
  expect(a.worst?.pods.every((p) => p.name.startsWith('app-'))).toBe(true);
});

describe('placement: pods go only where the scheduler would put them', () => {
  const gpuTaint = { key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' as const };

  test('a tainted node is no room for pods that do not tolerate it, though the cluster-wide sum fits', () => {
    const s = cluster([[[6, 5]], [[10, 8]], []]);
    s.updateNode(2, (r) => ({ ...r, node: { ...r.node, taints: [gpuTaint] } }));
    const a = analyzeHeadroom(s.context(T0));
    expect(a.worst?.node).toBe(s.nodeNames[1]);
    expect(a.worst?.unplacedByRequests.map((p) => p.name)).toEqual(['app-1-0']);
    expect(a.worst?.constraints).toEqual([
      expect.objectContaining({
        reason: 'taint nvidia.com/gpu=true:NoSchedule not tolerated: its only other node there is full',
        pods: [expect.objectContaining({ name: 'app-1-0' })],
      }),
    ]);
  });

  test('a pinned workload (nodeSelector + toleration) has room only in its pool: losing one of its two nodes is a finding', () => {
    const s = cluster([[[6, 5]], [[10, 8]], []]);
    for (const i of [0, 1])
      s.updateNode(i, (r) => ({ ...r, node: { ...r.node, taints: [gpuTaint], labels: { 'eks.amazonaws.com/nodegroup': 'gpu' } } }));
    s.updatePod(
      0,
      (p) => p.name === 'app-0-0',
      (p) => ({
        ...p,
        namespace: 'ml',
        placement: { nodeSelector: { 'eks.amazonaws.com/nodegroup': 'gpu' }, tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists' }] },
      }),
    );
    const a = analyzeHeadroom(s.context(T0));
    expect(a.worst?.node).toBe(s.nodeNames[0]);
    expect(a.worst?.constraints?.[0]).toMatchObject({
      workload: 'ml/Deployment/app-0-0',
      reason: 'needs eks.amazonaws.com/nodegroup=gpu: its only other node there is full',
    });
  });

  test("a volume's zone: the pod may move only to nodes of that zone", () => {
    const s = cluster([[[6, 5]], [[2, 1]], [[10, 8]]]);
    const zone = s.report(0).node.zone as string;
    s.updateNode(2, (r) => ({ ...r, node: { ...r.node, zone } }));
    s.updatePod(
      0,
      (p) => p.name === 'app-0-0',
      (p) => ({ ...p, namespace: 'data', workload: { kind: 'StatefulSet', name: 'db' }, placement: { volumeZones: [zone] } }),
    );
    const a = analyzeHeadroom(s.context(T0));
    expect(a.worst?.node).toBe(s.nodeNames[0]);
    expect(a.worst?.constraints?.[0]).toMatchObject({
      workload: 'data/StatefulSet/db',
      reason: `needs zone ${zone} (its volume): its only other node there is full`,
    });
  });

  test("required anti-affinity by hostname: one replica per node, so a lost node's replica has nowhere to go", () => {
    const s = cluster([[[1, 1]], [[1, 1]], [[1, 1]]]);
    const db = { kind: 'StatefulSet' as const, name: 'db' };
    for (const i of [0, 1, 2]) {
      s.updatePod(
        i,
        (p) => p.name === `app-${i}-0`,
        (p) => ({
          ...p,
          namespace: 'data',
          workload: db,
          labels: { app: 'db' },
          placement: { antiAffinity: [{ topology: 'hostname', selector: [{ key: 'app', operator: 'In', values: ['db'] }] }] },
        }),
      );
    }
    const a = analyzeHeadroom(s.context(T0));
    expect(a.worst?.unplacedByRequests).toHaveLength(1);
    expect(a.worst?.constraints?.[0]).toMatchObject({
      workload: 'data/StatefulSet/db',
      reason: 'anti-affinity by hostname: all 2 other nodes it may use are taken',
    });
  });

  test('headroom per node group as well as per cluster', () => {
    const s = cluster([[[2, 1]], [[2, 1]], [[2, 1]]]);
    const a = analyzeHeadroom(s.context(T0));
    const group = s.report(0).node.nodeGroup as string;
    expect(a.groups?.get(group)).toMatchObject({ nodes: 3, worst: { unplacedByRequests: [] } });
    expect(a.groups?.get(group)?.headroomPct).toBeCloseTo(a.headroomPct as number, 5);
  });
});

test('a kubelet whose soft eviction threshold sits above the hard one has that much less room for memory use', () => {
  const s = cluster([[[2, 6]], [[2, 7]], [[2, 7]]]);
  expect(analyzeHeadroom(s.context(T0)).worst?.unplacedByUsage).toEqual([]);
  for (const i of [1, 2])
    s.updateNode(i, (r) => ({
      ...r,
      node: {
        ...r.node,
        eviction: { hard: { 'memory.available': { quantity: 100 * 2 ** 20 } }, soft: { 'memory.available': { quantity: 2 * 2 ** 30 } } },
      },
    }));
  expect(analyzeHeadroom(s.context(T0)).worst?.unplacedByUsage.map((p) => p.name)).toEqual(['app-0-0']);
});

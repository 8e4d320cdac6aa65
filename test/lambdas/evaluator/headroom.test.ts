import { analyzeHeadroom } from '../../../lambdas/evaluator/headroom';
import { T0 } from './harness';
import { SteadyCluster } from './steady-cluster';

/** A 3-node scenario (all in one group) whose nodes' app pods are given. */
function cluster(pods: readonly (readonly [number | undefined, number][])[]): SteadyCluster {
  const s = new SteadyCluster({ nodes: pods.length });
  pods.forEach((p, i) => s.setPods(i, p));
  return s;
}

test('when every node\'s pods fit elsewhere, the worst node is the one with the most to move, and headroom is positive', () => {
  const s = cluster([[[2, 1.5]], [[4, 3]], [[1, 1]]]);
  const a = analyzeHeadroom(s.context(T0));
  expect(a.worst).toMatchObject({ node: s.nodeNames[1], unplacedByRequests: [], unplacedByUsage: [] });
  expect(a.headroomPct).toBeGreaterThan(0);
});

test('requests that fit nowhere: named, the node whose loss hurts most', () => {
  // ~14.7 GiB allocatable per node; DaemonSet pods request a little.
  const s = cluster([[[11, 6], [2, 1]], [[10, 8]], [[10, 8]]]);
  const a = analyzeHeadroom(s.context(T0));
  expect(a.worst?.node).toBe(s.nodeNames[0]);
  expect(a.worst?.unplacedByRequests.map((p) => p.name)).toEqual(['app-0-0']);
  expect(a.headroomPct).toBeLessThan(30);
});

test('a pod without a memory request passes the scheduler but its memory use does not fit: the domino\'s accomplice', () => {
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

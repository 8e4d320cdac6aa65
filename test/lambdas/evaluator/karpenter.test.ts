import { nodePoolAtLimitOf } from '../../../lambdas/evaluator/karpenter';
import { useTestStore } from '../../support/store';
import type { KubeEvent, Pod } from '../../../model/domain';
import { harness } from './harness';

const { dynamo } = useTestStore();

const event = (message: string, over: Partial<KubeEvent> = {}): KubeEvent => ({
  objectUid: 'p1',
  objectKind: 'Pod',
  objectName: 'web-5c7d9-abcde',
  namespace: 'shop',
  reason: 'FailedScheduling',
  type: 'Warning',
  message,
  count: 1,
  firstSeen: 0,
  lastSeen: 0,
  source: 'karpenter',
  ...over,
});

test("Karpenter's FailedScheduling names the NodePool at its limits, in each version's wording; the scheduler's does not", () => {
  expect(nodePoolAtLimitOf(event('Failed to schedule pod, all available instance types exceed limits for nodepool "graviton"'))).toBe(
    'graviton',
  );
  expect(nodePoolAtLimitOf(event('Failed to schedule pod, all available instance types exceed limits for nodepool: "default"'))).toBe(
    'default',
  );
  expect(nodePoolAtLimitOf(event('Failed to schedule pod, node limits have been exhausted for nodepool (NodePool=linux-x64)'))).toBe(
    'linux-x64',
  );
  expect(nodePoolAtLimitOf(event('0/3 nodes are available: 3 Insufficient memory.'))).toBeUndefined();
  expect(nodePoolAtLimitOf(event('all available instance types exceed limits for nodepool "x"', { type: 'Normal' }))).toBeUndefined();
});

test('nodepool-limit-pods-pending: pods Pending while Karpenter says their NodePool is at its limits fire after 10 minutes, naming the NodePool; they stop when the pods are scheduled', async () => {
  const h = await harness(dynamo, { nodes: 3 });
  h.steady.toNodePool([0, 1, 2], 'default');
  // The agent reads the NodePool too: its limits against what its NodeClaims hold are evidence.
  h.steady.karpenter = {
    nodePools: [
      { name: 'default', limits: { cpuMilli: 6000, nodes: 3 }, resources: { cpuMilli: 6000, nodes: 3 }, budgets: [], conditions: [] },
    ],
    nodeClaims: [],
  };
  await h.tick(2);
  const pod: Pod = {
    ...h.steady.appPod(0),
    uid: 'pending-web',
    name: 'web-5c7d9-abcde',
    namespace: 'shop',
    node: undefined,
    phase: 'Pending',
    unschedulable: { reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient cpu.' },
  };
  h.steady.unscheduled = [pod];
  const since = h.nextTime - 30_000;
  // Karpenter tries again and again: the event's count and last time move every minute.
  for (let i = 0; i < 12; i++) {
    h.steady.events = [
      event('Failed to schedule pod, all available instance types exceed limits for nodepool "default"', {
        count: i + 1,
        firstSeen: since,
        lastSeen: h.nextTime - 10_000,
      }),
    ];
    await h.tick(1);
  }
  const [limit] = h.publisher.of('nodepool-limit-pods-pending');
  expect(limit).toMatchObject({ kind: 'firing', severity: 'warning', subject: { cluster: h.steady.cluster, nodeGroup: 'default' } });
  expect(limit.summary).toBe(
    'NodePool default is at its limits while 1 pods are Pending (shop/web-5c7d9-abcde: Failed to schedule pod, all available instance types exceed limits for nodepool "default")',
  );
  expect(limit.evidence).toMatchObject({ nodePoolLimits: 'cpu 6/6, nodes 3/3' });
  h.steady.unscheduled = [];
  await h.tick(20);
  expect(h.publisher.of('nodepool-limit-pods-pending').map((c) => c.kind)).toEqual(['firing', 'resolved']);
});

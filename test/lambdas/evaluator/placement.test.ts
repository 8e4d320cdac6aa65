import { PodCounts, staticBlocker, type PlacedPod, type PlacementNode } from '../../../lambdas/evaluator/placement';
import { tolerates } from '../../../model/domain';
import type { Placement } from '../../../model/domain';

const node = (name: string, zone: string, labels: Record<string, string> = {}, taints: PlacementNode['taints'] = []): PlacementNode => ({
  name,
  zone,
  labels,
  taints,
});
const a1 = node('a1', 'eu-west-1a', { 'eks.amazonaws.com/nodegroup': 'general', 'karpenter.sh/capacity-type': 'on-demand' });
const a2 = node('a2', 'eu-west-1a', { 'eks.amazonaws.com/nodegroup': 'gpu' }, [
  { key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' },
]);
const b1 = node('b1', 'eu-west-1b', { 'eks.amazonaws.com/nodegroup': 'general', 'karpenter.sh/capacity-type': 'spot' });

describe('static filters', () => {
  it('nodeSelector: only nodes with every label', () => {
    const p: Placement = { nodeSelector: { 'eks.amazonaws.com/nodegroup': 'general' } };
    expect(staticBlocker(p, a1)).toBeUndefined();
    expect(staticBlocker({ ...p, tolerations: [{ operator: 'Exists' }] }, a2)).toBe('needs eks.amazonaws.com/nodegroup=general');
  });

  it('required node affinity: any term, every requirement of it; zone from the node', () => {
    const p: Placement = {
      nodeAffinity: [
        [
          { key: 'karpenter.sh/capacity-type', operator: 'NotIn', values: ['spot'] },
          { key: 'topology.kubernetes.io/zone', operator: 'In', values: ['eu-west-1a', 'eu-west-1b'] },
        ],
      ],
    };
    expect(staticBlocker(p, a1)).toBeUndefined();
    expect(staticBlocker(p, b1)).toBe('needs karpenter.sh/capacity-type≠spot, topology.kubernetes.io/zone=eu-west-1a|eu-west-1b');
    const either: Placement = {
      nodeAffinity: [[{ key: 'karpenter.sh/capacity-type', operator: 'Exists' }], [{ key: 'x', operator: 'In', values: ['y'] }]],
    };
    expect(staticBlocker(either, b1)).toBeUndefined();
    expect(staticBlocker({ nodeAffinity: [[{ key: 'n', operator: 'Gt', values: ['3'] }]] }, node('g', 'z', { n: '4' }))).toBeUndefined();
    expect(staticBlocker({ nodeAffinity: [[]] }, a1)).toMatch(/^needs/);
  });

  it('taints: NoSchedule and NoExecute need a toleration, PreferNoSchedule does not', () => {
    expect(staticBlocker(undefined, a2)).toBe('taint nvidia.com/gpu=true:NoSchedule not tolerated');
    expect(staticBlocker({ tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }] }, a2)).toBeUndefined();
    expect(staticBlocker({ tolerations: [{ key: 'nvidia.com/gpu', operator: 'Equal', value: 'false' }] }, a2)).toMatch(/not tolerated/);
    expect(staticBlocker(undefined, node('p', 'z', {}, [{ key: 'soft', effect: 'PreferNoSchedule' }]))).toBeUndefined();
    expect(tolerates([{ operator: 'Exists' }], { key: 'any', effect: 'NoExecute' })).toBe(true);
    expect(tolerates([{ operator: 'Exists', effect: 'NoSchedule' }], { key: 'any', effect: 'NoExecute' })).toBe(false);
  });

  it('volume zone: only nodes in a zone its volumes allow', () => {
    expect(staticBlocker({ volumeZones: ['eu-west-1a'] }, a1)).toBeUndefined();
    expect(staticBlocker({ volumeZones: ['eu-west-1a'] }, b1)).toBe('needs zone eu-west-1a (its volume)');
  });
});

describe('topology filters', () => {
  const nodes = [a1, node('a3', 'eu-west-1a'), b1];
  const db = (placement: Placement): PlacedPod => ({ namespace: 'data', labels: { app: 'db' }, placement });
  const sel = [{ key: 'app', operator: 'In' as const, values: ['db'] }];

  it("anti-affinity by hostname: not on a node already running a match; the lost node's pod is gone", () => {
    const p = db({ antiAffinity: [{ topology: 'hostname', selector: sel }] });
    const on = [[p], [], [p]];
    const counts = new PodCounts(nodes, (i) => on[i]).without(0);
    expect(counts.blocker(p, 2)).toBe('anti-affinity by hostname');
    expect(counts.blocker(p, 1)).toBeUndefined();
    counts.add(p, 1);
    expect(counts.blocker(p, 1)).toBe('anti-affinity by hostname');
    // Another namespace's pods do not count.
    expect(new PodCounts(nodes, (i) => on[i]).without(0).blocker({ ...p, namespace: 'other' }, 2)).toBeUndefined();
  });

  it('anti-affinity by zone: not in a zone already running a match', () => {
    const p = db({ antiAffinity: [{ topology: 'zone', selector: sel }] });
    const counts = new PodCounts(nodes, (i) => (i === 0 ? [p] : [])).without(2);
    expect(counts.blocker(p, 1)).toBe('anti-affinity by zone');
  });

  it('DoNotSchedule spread by zone: a move that would pass maxSkew is refused', () => {
    const p = db({ spread: [{ topology: 'zone', maxSkew: 1, selector: sel }] });
    // Zone a runs 2 (a1, a3), zone b runs 1 (b1) and a second on a lost node of zone b.
    const lost = node('b2', 'eu-west-1b');
    const all = [...nodes, lost];
    const on = [[p], [p], [p], [p]];
    const counts = new PodCounts(all, (i) => on[i]).without(3);
    expect(counts.blocker(p, 0)).toBe('spread by zone (max skew 1)');
    expect(counts.blocker(p, 2)).toBeUndefined();
  });
});

import fc from 'fast-check';
import { joinKubeMinute, splitKubeMinute } from '../../../lambdas/store/pod-specs';
import { syntheticCluster, syntheticKubeMinutes } from '../../../sim/synthetic';
import { kubeNodeMinute } from '../../support/arbitraries';

describe('pod specs split', () => {
  test('join(split(x)) equals x for any node-minute', () => {
    fc.assert(
      fc.property(kubeNodeMinute, (x) => {
        const { specs, minute } = splitKubeMinute(x);
        expect(joinKubeMinute(minute, specs)).toEqual(x);
      }),
      { numRuns: 300 },
    );
  });

  test("the hash depends on the pods' specs only, not on their usage", () => {
    const [k] = syntheticKubeMinutes(syntheticCluster({ nodes: 1 }), Date.UTC(2026, 10, 23, 12, 0, 5));
    const later = {
      ...k,
      collectedAt: k.collectedAt + 60_000,
      pods: k.pods.map((p) => ({ ...p, containers: p.containers.map((c) => ({ ...c, usage: { cpuMilli: 1 } })) })),
    };
    expect(splitKubeMinute(later).hash).toBe(splitKubeMinute(k).hash);
    const relabelled = { ...k, pods: k.pods.map((p, i) => (i === 0 ? { ...p, labels: { ...p.labels, tier: 'x' } } : p)) };
    expect(splitKubeMinute(relabelled).hash).not.toBe(splitKubeMinute(k).hash);
  });

  test('refuses to join a minute with specs of another pod list', () => {
    const [a, b] = syntheticKubeMinutes(syntheticCluster({ nodes: 2, podsPerNode: 6 }), Date.UTC(2026, 10, 23, 12, 0, 5));
    const shorter = splitKubeMinute({ ...b, pods: b.pods.slice(1) });
    expect(() => joinKubeMinute(splitKubeMinute(a).minute, shorter.specs)).toThrow(/list 5 pods, the minute lists 6/);
  });
});

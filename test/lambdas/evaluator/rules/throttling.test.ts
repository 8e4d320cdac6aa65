import type { Container, Pod } from '../../../../model/domain';
import { useTestStore } from '../../../support/store';
import { expectBlipSilentAndForHonoured, harness, T0 } from '../harness';
import { run } from '../rules';
import { SteadyCluster } from '../../../../sim/steady-cluster';

const { dynamo } = useTestStore();

const app = (p: Pod) => p.workload.kind === 'Deployment';
const daemon = (p: Pod) => p.workload.kind === 'DaemonSet' && p.workload.name === 'aws-node';
/** The pod's first container with a 500m CPU limit, throttled in `pct`% of its periods. */
const throttle =
  (pct: number | undefined, limits: Container['limits'] = { cpuMilli: 500 }) =>
  (p: Pod): Pod => ({
    ...p,
    containers: p.containers.map((c, i) =>
      i === 0
        ? {
            ...c,
            limits: { ...c.limits, ...limits },
            usage: { ...c.usage, cpuMilli: 497, cpuThrottledPct: pct, cpuThrottledSecondsPerSecond: 0.4 },
          }
        : c,
    ),
  });

describe('container-cpu-throttled', () => {
  test('names the container, its limit, its usage and the share of periods throttled; only at the threshold and with a CPU limit', () => {
    const s = new SteadyCluster({ nodes: 3 });
    const p = s.updatePod(1, app, throttle(24.9));
    expect(run('container-cpu-throttled', s.context(T0))).toEqual([]);
    s.updatePod(1, (x) => x.uid === p.uid, throttle(82));
    const [f, ...rest] = run('container-cpu-throttled', s.context(T0));
    expect(rest).toEqual([]);
    expect(f).toMatchObject({
      severity: 'warning',
      subject: { namespace: p.namespace, workload: `Deployment/${p.workload.name}`, container: p.containers[0].name },
      evidence: {
        throttledPct: 82,
        cpuLimitMilli: 500,
        cpuUsedMilli: 497,
        cpuUsedPctOfLimit: 99.4,
        throttledSecondsPerSecond: 0.4,
        podsThrottled: 1,
        pod: p.name,
      },
      nodes: [s.nodeNames[1]],
    });
    expect(f.summary).toBe(
      `Container ${p.containers[0].name} of ${p.namespace}/Deployment/${p.workload.name} is CPU-throttled in 82% of its periods at its 500m CPU limit (using 497m) (pod ${p.name})`,
    );
    // A figure without a limit in the pod spec (a stale join) is not throttling Vigil can explain.
    s.updatePod(
      1,
      (x) => x.uid === p.uid,
      (x) => ({ ...x, containers: x.containers.map((c, i) => (i === 0 ? { ...c, limits: { memoryBytes: c.limits.memoryBytes } } : c)) }),
    );
    expect(run('container-cpu-throttled', s.context(T0))).toEqual([]);
    // The threshold and the namespaces are the user's.
    s.updatePod(1, (x) => x.uid === p.uid, throttle(82));
    expect(run('container-cpu-throttled', s.context(T0), { throttledPct: 90 })).toEqual([]);
    expect(run('container-cpu-throttled', s.context(T0), { namespaces: { exclude: [p.namespace] } })).toEqual([]);
  });

  test('one alert for a workload throttled on every node, with how many pods', () => {
    const s = new SteadyCluster({ nodes: 3 });
    for (const n of [0, 1, 2]) s.updatePod(n, daemon, throttle(40 + n));
    const [f, ...rest] = run('container-cpu-throttled', s.context(T0));
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ subject: { workload: 'DaemonSet/aws-node' }, evidence: { throttledPct: 42, podsThrottled: 3 } });
    expect(f.summary).toMatch(/; 3 pods throttled$/);
    expect([...(f.nodes ?? [])].sort()).toEqual([...s.nodeNames].sort());
  });

  test('a throttled minute (a burst) stays silent; 15 minutes of it fire once, and it resolves once', async () => {
    const h = await harness(dynamo, { nodes: 3 });
    const steady = h.steady.appPod(2);
    await expectBlipSilentAndForHonoured(h, 'container-cpu-throttled', {
      forMinutes: 15,
      set: (broken) =>
        h.steady.updatePod(
          2,
          (p) => p.uid === steady.uid,
          (p) => (broken ? throttle(100)(p) : steady),
        ),
    });
    await h.tick(30);
    expect(h.publisher.of('container-cpu-throttled').map((c) => c.kind)).toEqual(['firing']);
    h.steady.updatePod(2, (p) => p.uid === steady.uid, throttle(0));
    await h.tick(20);
    expect(h.publisher.of('container-cpu-throttled').map((c) => c.kind)).toEqual(['firing', 'resolved']);
  });
});

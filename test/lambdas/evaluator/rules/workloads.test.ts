import type { KubeEvent, Pod } from '../../../../model/domain';
import { parseRuleOverrides } from '../../../../lambdas/evaluator/config';
import { useTestStore } from '../../../support/store';
import { imageName } from '../../../../model/selector';
import { expectBlipSilentAndForHonoured, harness, T0 } from '../harness';
import { run } from '../rules';
import { SteadyCluster } from '../../../../sim/steady-cluster';

const t = T0;
const { dynamo } = useTestStore();

function pending(s: SteadyCluster, name: string, since: number): Pod {
  return {
    ...s.appPod(0),
    uid: `uid-${name}`,
    name,
    node: undefined,
    phase: 'Pending',
    ready: false,
    createdAt: since,
    unschedulable: {
      reason: 'Unschedulable',
      message:
        '0/6 nodes are available: 6 Insufficient memory. preemption: 0/6 nodes are available: 6 No preemption victims found for incoming pod.',
    },
  };
}

function event(over: Partial<KubeEvent> & { objectName: string; reason: string }): KubeEvent {
  return {
    objectUid: `uid-${over.objectName}`,
    objectKind: 'Pod',
    namespace: 'orders',
    type: 'Warning',
    message: 'MountVolume.SetUp failed for volume "config" : configmap "orders-config" not found',
    count: 1,
    firstSeen: t - 5000,
    lastSeen: t - 5000,
    ...over,
  };
}

describe('pods-pending', () => {
  test("per workload, with the scheduler's message, after 10 minutes", async () => {
    const h = await harness(dynamo, { nodes: 6 });
    h.steady.unscheduled = [pending(h.steady, 'api-1-x', h.nextTime), pending(h.steady, 'api-1-y', h.nextTime)];
    await h.tick(10);
    expect(h.publisher.of('pods-pending')).toEqual([]);
    await h.tick(1);
    const [f] = h.publisher.of('pods-pending');
    expect(f.summary).toMatch(/^2 pods of [a-z]+\/Deployment\/[a-z0-9-]+ are Pending: 0\/6 nodes are available: 6 Insufficient memory/);
    expect(f.evidence).toMatchObject({ pendingPods: 2, reason: 'Unschedulable' });
  });
});

describe('pod-evictions', () => {
  test('one eviction: a warning about its node; more than five in ten minutes: critical', async () => {
    const h = await harness(dynamo, { nodes: 6 });
    await h.tick(1);
    const node = h.steady.nodeNames[2];
    h.steady.events = [
      event({
        objectName: 'web-1-abc',
        reason: 'Evicted',
        message:
          'The node was low on resource: memory. Threshold quantity: 100Mi, available: 91236Ki. Container web was using 1845232Ki, request is 512Mi.',
        node,
      }),
    ];
    await h.tick(1);
    expect(h.publisher.of('pod-evictions').map((c) => `${c.severity}:${c.subject.node === node}`)).toEqual(['warning:true']);
    h.steady.events = [1, 2, 3, 4, 5].map((i) =>
      event({
        objectName: `api-${i}`,
        reason: 'Evicted',
        message: 'The node was low on resource: memory.',
        node: h.steady.nodeNames[3],
        lastSeen: h.nextTime,
      }),
    );
    await h.tick(1);
    const [, storm] = h.publisher.of('pod-evictions');
    expect(storm).toMatchObject({ severity: 'critical', evidence: { evicted: 5, evictedInWindow: 6 } });
    // A repeat delivery of the same events is not a new eviction.
    h.steady.events = [event({ objectName: 'api-1', reason: 'Evicted', node: h.steady.nodeNames[3], lastSeen: h.nextTime })];
    await h.tick(1);
    expect(h.publisher.of('pod-evictions')).toHaveLength(2);
  });
});

describe('workload-replicas-unavailable', () => {
  test('available below desired: warning; none available: critical', () => {
    const s = new SteadyCluster({ nodes: 6 });
    const [a, b] = s.workloads.filter((w) => w.kind === 'Deployment');
    s.workloads = s.workloads.map((w) => (w === a ? { ...w, desired: w.desired + 1 } : w === b ? { ...w, available: 0, ready: 0 } : w));
    const found = run('workload-replicas-unavailable', s.context(t));
    expect(found.map((f) => `${f.subject.workload}:${f.severity}`).sort()).toEqual(
      [`Deployment/${a.name}:warning`, `Deployment/${b.name}:critical`].sort(),
    );
  });

  test("a rollout's minute of unavailability stays silent; 15 minutes of it fire", async () => {
    const h = await harness(dynamo, { nodes: 6 });
    const steady = h.steady.workloads;
    const w = steady.find((x) => x.kind === 'Deployment')!;
    await expectBlipSilentAndForHonoured(h, 'workload-replicas-unavailable', {
      forMinutes: 15,
      set: (broken) =>
        (h.steady.workloads = broken
          ? steady.map((x) => (x === w ? { ...x, available: x.available! - 1, ready: x.ready! - 1 } : x))
          : steady),
    });
  });
});

describe('warning-events', () => {
  test('first occurrence, then an update only when the count has doubled and a quarter hour passed; reasons other rules cover are left out', async () => {
    const h = await harness(dynamo, { nodes: 6 });
    await h.tick(1);
    h.steady.events = [
      event({ objectName: 'orders-7f9-abc', reason: 'FailedMount', count: 1 }),
      event({ objectName: 'x', reason: 'BackOff', message: 'Back-off restarting failed container' }),
    ];
    await h.tick(1);
    h.steady.events = [event({ objectName: 'orders-7f9-abc', reason: 'FailedMount', count: 4, lastSeen: h.nextTime })];
    await h.tick(1);
    // A storm: the count rises every minute, which is no news; a quarter hour on, it has more than doubled.
    h.steady.events = [event({ objectName: 'orders-7f9-abc', reason: 'FailedMount', count: 40, lastSeen: h.nextTime })];
    await h.tick(14);
    h.steady.events = [event({ objectName: 'orders-7f9-abc', reason: 'FailedMount', count: 90, lastSeen: h.nextTime })];
    await h.tick(1);
    const changes = h.publisher.of('warning-events');
    expect(changes.map((c) => `${c.kind}:${c.severity}:${c.evidence.count}`)).toEqual(['firing:info:1', 'updated:info:90']);
    expect(changes[0]).toMatchObject({ subject: { namespace: 'orders', pod: 'orders-7f9-abc', detail: 'FailedMount' } });
    expect(changes[0].summary).toBe(
      'FailedMount on Pod orders/orders-7f9-abc: MountVolume.SetUp failed for volume "config" : configmap "orders-config" not found',
    );
  });

  test('a node event is about that node (a critical alert on it mutes it)', () => {
    const s = new SteadyCluster({ nodes: 3 });
    s.events = [
      event({
        objectKind: 'Node',
        objectName: s.nodeNames[0],
        namespace: undefined,
        reason: 'SystemOOM',
        message: 'System OOM encountered, victim process: java, pid: 28133',
        node: s.nodeNames[0],
      }),
    ];
    const [f] = run('warning-events', s.context(t));
    expect(f).toMatchObject({ subject: { node: s.nodeNames[0], detail: 'SystemOOM' }, nodes: [s.nodeNames[0]] });
  });
});

describe('peer-outlier', () => {
  test('a replica using far more memory than its peers; silent when replicas are alike', () => {
    const s = new SteadyCluster({ nodes: 6, podsPerNode: 14 });
    expect(run('peer-outlier', s.context(t))).toEqual([]);
    // The workload of node 0's first app pod has replicas on other nodes; one of them leaks.
    const victim = s.updatePod(
      0,
      (p) => p.workload.kind === 'Deployment',
      (p) => ({
        ...p,
        containers: p.containers.map((c, i) =>
          i === 0 ? { ...c, usage: { ...c.usage, memoryWorkingSetBytes: (c.usage!.memoryWorkingSetBytes ?? 0) * 6 } } : c,
        ),
      }),
    );
    const found = run('peer-outlier', s.context(t), { minMemoryMiB: 1 });
    expect(found.map((f) => f.subject.pod)).toEqual([victim.name]);
    expect(found[0]).toMatchObject({
      subject: { container: victim.containers[0].name, detail: 'memoryWorkingSetBytes' },
      evidence: { metric: 'memory', unit: 'MiB' },
    });
    expect(found[0].evidence.abovePct as number).toBeGreaterThan(100);
  });

  test('groups and selectors are configurable, and a bad selector is refused at configuration time', () => {
    const s = new SteadyCluster({ nodes: 6, podsPerNode: 14 });
    const victim = s.updatePod(
      0,
      (p) => p.workload.kind === 'Deployment',
      (p) => ({
        ...p,
        containers: p.containers.map((c, i) =>
          i === 0 ? { ...c, usage: { ...c.usage, memoryWorkingSetBytes: (c.usage!.memoryWorkingSetBytes ?? 0) * 6 } } : c,
        ),
      }),
    );
    const image = imageName(victim.containers[0].image);
    const zone = s.report(0).node.zone!;
    // Its peers by image and zone: that image's containers in its zone, across workloads (and namespaces, unless selected).
    const peers = (namespace?: string) =>
      s.reports
        .filter((r) => r.node.zone === zone)
        .flatMap((r) =>
          r.pods
            .filter((p) => !namespace || p.namespace === namespace)
            .flatMap((p) => p.containers.filter((c) => imageName(c.image) === image)),
        ).length;
    const outlier = (over: Record<string, unknown>) =>
      run('peer-outlier', s.context(t), { metrics: ['memoryWorkingSetBytes'], minMemoryMiB: 1, ...over }).find(
        (f) => f.subject.pod === victim.name && f.subject.container === victim.containers[0].name,
      );
    expect(outlier({ groupBy: ['image', 'zone'] })?.evidence).toMatchObject({ group: `${image} ${zone}`, groupSize: peers() });
    expect(peers()).toBeGreaterThan(peers(victim.namespace));
    // Selected to its namespace, the group is its own workload's replicas there.
    const selected = { groupBy: ['image', 'zone'], selector: `namespace=${victim.namespace}`, minGroupSize: 2, thresholdPct: 50 };
    expect(outlier(selected)?.evidence).toMatchObject({ group: `${image} ${zone}`, groupSize: peers(victim.namespace) });
    expect(outlier({ ...selected, selector: 'namespace=payments' })).toBeUndefined();
    expect(() => run('peer-outlier', s.context(t), { selector: 'namespace' })).toThrow(/selector term .+namespace.+ is not key=value/);
  });

  test('grouped by a pod label: shards of one service, each its own workload, are peers', () => {
    const s = new SteadyCluster({ nodes: 6 });
    // Four single-replica StatefulSets labelled as shards of one ledger; the last one holds three times the data.
    [0.5, 0.5, 0.5, 2].forEach((gib, i) => {
      s.setPods(i, [[1, gib]]);
      s.updatePod(
        i,
        (p) => p.workload.kind === 'Deployment',
        (p) => ({
          ...p,
          workload: { kind: 'StatefulSet', name: `ledger-${i}` },
          labels: { ...p.labels, 'app.kubernetes.io/component': 'ledger-shard' },
          containers: p.containers.map((c) => ({ ...c, name: 'ledger' })),
        }),
      );
    });
    expect(run('peer-outlier', s.context(t))).toEqual([]);
    const found = run('peer-outlier', s.context(t), { groupBy: ['label:app.kubernetes.io/component', 'container'] });
    expect(found.map((f) => f.subject.workload)).toEqual(['StatefulSet/ledger-3']);
    expect(found[0].evidence).toMatchObject({ metric: 'memory', group: 'ledger-shard ledger', groupSize: 4, value: 2048 });
  });

  test('a grouping is a known field or label:<key>, checked at configuration time', () => {
    expect(() => parseRuleOverrides({ 'peer-outlier': { groupBy: ['label:app.kubernetes.io/component', 'zone'] } })).not.toThrow();
    expect(() => parseRuleOverrides({ 'peer-outlier': { groupBy: ['lable:app'] } })).toThrow(
      /"lable:app": expected one of workload, image, zone, namespace, nodeGroup, container or label:<key>/,
    );
    expect(() => parseRuleOverrides({ 'peer-outlier': { groupBy: ['label:not a key'] } })).toThrow(/"not a key" is not a label key/);
  });
});

import { alertId } from '../../../../model/domain';
import { useTestStore } from '../../../support/store';
import { expectBlipSilentAndForHonoured, harness, T0, type Harness } from '../harness';
import { run } from '../rules';
import { SteadyCluster } from '../../../../sim/steady-cluster';

const { dynamo } = useTestStore();

describe('n1-headroom', () => {
  test('names the node whose loss hurts most and the pods that would not fit', () => {
    const s = new SteadyCluster({ nodes: 3 });
    [
      [
        [11, 6],
        [2, 1],
      ],
      [[10, 8]],
      [[10, 8]],
    ].forEach((p, i) => s.setPods(i, p as [number, number][]));
    const [f] = run('n1-headroom', s.context(T0));
    expect(f.summary).toMatch(
      new RegExp(
        `^If node ${s.nodeNames[0].replace(/\./g, '\\.')} \\(general\\) were lost, 1 of its 2 pods would not fit on the other 2 nodes: [a-z-]+/app-0-0 \\(req 11264 MiB, uses 6144 MiB\\)$`,
      ),
    );
    expect(f.evidence).toMatchObject({ node: s.nodeNames[0], podsToMove: 2, podsNotFittingRequests: 1, podsNotFittingMemoryUse: 1 });
  });

  test('a minute without headroom (a burst of pods) stays silent; 10 minutes of it fire', async () => {
    const h = await harness(dynamo, { nodes: 3 });
    const fits: [number, number][][] = [[[4, 3]], [[4, 3]], [[4, 3]]];
    const tight: [number, number][][] = [
      [
        [11, 6],
        [2, 1],
      ],
      [[10, 8]],
      [[10, 8]],
    ];
    await expectBlipSilentAndForHonoured(h, 'n1-headroom', {
      forMinutes: 10,
      set: (broken) => (broken ? tight : fits).forEach((p, i) => h.steady.setPods(i, p)),
    });
  });

  test('a pinned workload whose pool has no room: named with the constraint, though the cluster-wide sum fits', () => {
    const s = new SteadyCluster({ nodes: 3 });
    [[[6, 5]], [[10, 8]], []].forEach((p, i) => s.setPods(i, p as [number, number][]));
    const gpu = {
      taints: [{ key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' as const }],
      labels: { 'eks.amazonaws.com/nodegroup': 'gpu' },
    };
    for (const i of [0, 1]) s.updateNode(i, (r) => ({ ...r, node: { ...r.node, ...gpu } }));
    s.updatePod(
      1,
      (p) => p.name === 'app-1-0',
      (p) => ({
        ...p,
        namespace: 'ml',
        workload: { kind: 'Deployment', name: 'trainer' },
        placement: { nodeSelector: gpu.labels, tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists' }] },
      }),
    );
    const [f] = run('n1-headroom', s.context(T0));
    expect(f.summary).toContain(
      'Where they may run: Deployment ml/trainer: needs eks.amazonaws.com/nodegroup=gpu: its only other node there is full',
    );
    expect(f.evidence).toMatchObject({
      node: s.nodeNames[1],
      placement: 'Deployment ml/trainer: needs eks.amazonaws.com/nodegroup=gpu: its only other node there is full',
    });
  });

  test('silent when the cluster can lose any node, and on single-node clusters', () => {
    expect(run('n1-headroom', new SteadyCluster({ nodes: 6 }).context(T0))).toEqual([]);
    const one = new SteadyCluster({ nodes: 1 });
    one.setPods(0, [[14, 14]]);
    expect(run('n1-headroom', one.context(T0))).toEqual([]);
  });
});

/** The article's incident: an alarm scales the group in while the other nodes are already short. */
function scaleIn(h: Harness, node: number): { group: string; instance: string; node: string } {
  const s = h.steady;
  const instance = s.report(node).node.instanceId!;
  const nodeName = s.report(node).node.name;
  const g = s.groups.find((x) => x.instances.some((i) => i.instanceId === instance))!;
  s.activities = [
    {
      activityId: 'c7a5e3d2-scale-in',
      autoScalingGroup: g.name,
      status: 'Successful',
      description: `Terminating EC2 instance: ${instance}`,
      cause: `At 2026-11-23T12:03:00Z a monitor alarm TargetTracking-${g.name}-AlarmLow-7f3c in state ALARM triggered policy cpu50-target-tracking changing the desired capacity from ${g.desired} to ${g.desired - 1}.  At 2026-11-23T12:03:10Z instance ${instance} was selected for termination.`,
      startTime: h.nextTime - 40_000,
      endTime: h.nextTime - 10_000,
    },
  ];
  s.groups = s.groups.map((x) =>
    x.name === g.name
      ? { ...x, desired: x.desired - 1, inService: x.inService - 1, instances: x.instances.filter((i) => i.instanceId !== instance) }
      : x,
  );
  s.reports = s.reports.filter((r) => r.node.instanceId !== instance);
  return { group: g.name, instance, node: nodeName };
}

describe('scale-in-under-pressure (the domino)', () => {
  test('a scale-in followed by pressure and Pending pods: one critical alert listing and muting the rest', async () => {
    const h = await harness(dynamo, { nodes: 6 });
    await h.tick(3);
    const removed = scaleIn(h, 5);
    const group = removed.group;
    await h.tick(1);
    // Its pods land on nodes already short of memory, some stay Pending.
    h.steady.setCondition(1, {
      type: 'MemoryPressure',
      status: 'True',
      reason: 'KubeletHasInsufficientMemory',
      message: 'kubelet has insufficient memory available',
      since: h.nextTime,
    });
    h.steady.setCondition(3, {
      type: 'MemoryPressure',
      status: 'True',
      reason: 'KubeletHasInsufficientMemory',
      message: 'kubelet has insufficient memory available',
      since: h.nextTime,
    });
    const stuck = {
      ...h.steady.appPod(0),
      uid: 'pending-1',
      name: 'checkout-5-7d9f-abcde',
      node: undefined,
      phase: 'Pending' as const,
      unschedulable: {
        reason: 'Unschedulable',
        message: '0/5 nodes are available: 2 node(s) had untolerated taint {node.kubernetes.io/memory-pressure: }, 3 Insufficient memory.',
      },
    };
    h.steady.unscheduled = [stuck];
    await h.tick(20);

    const domino = h.publisher.of('scale-in-under-pressure');
    expect(domino.map((c) => `${c.kind}:${c.severity}`)).toEqual(['firing:critical']);
    expect(domino[0].subject).toMatchObject({ autoScalingGroup: group, nodeGroup: 'general' });
    expect(domino[0].summary).toMatch(
      new RegExp(
        `removed node ${removed.node.replace(/\./g, '\\.')} \\(${removed.instance}\\) at .* \\(alarm TargetTracking-.*-AlarmLow-7f3c, policy cpu50-target-tracking\\) while the cluster cannot afford it`,
      ),
    );
    expect(domino[0].includes!.map((i) => i.rule).sort()).toEqual(['node-pressure', 'node-pressure', 'pods-pending']);
    expect(domino[0].evidence).toMatchObject({
      removedNodes: removed.node,
      removedInstances: removed.instance,
      actor: `alarm TargetTracking-${group}-AlarmLow-7f3c, policy cpu50-target-tracking`,
      pendingPodsBefore: 0,
      pendingPodsNow: 1,
    });
    // Its constituents are muted: they reach people inside the domino message only.
    expect(h.publisher.changes.filter((c) => ['node-pressure', 'pods-pending'].includes(c.rule))).toEqual([]);
    // It stays while the trouble lasts, past its 15-minute window, and resolves when it is over.
    h.steady.setCondition(1, { type: 'MemoryPressure', status: 'False', since: h.nextTime });
    h.steady.setCondition(3, { type: 'MemoryPressure', status: 'False', since: h.nextTime });
    h.steady.unscheduled = [];
    await h.tick(7);
    expect(h.publisher.of('scale-in-under-pressure').map((c) => c.kind)).toEqual(['firing', 'resolved']);
    expect(h.publisher.changes.filter((c) => ['node-pressure', 'pods-pending'].includes(c.rule))).toEqual([]);
  });

  test('what the cascade causes goes under the domino: one update naming it, no message of its own, not even after the domino resolved', async () => {
    const h = await harness(dynamo, { nodes: 6 });
    await h.tick(3);
    scaleIn(h, 5);
    await h.tick(1);
    const pressure = (status: 'True' | 'False') => ({
      type: 'MemoryPressure',
      status,
      reason: 'KubeletHasInsufficientMemory',
      since: h.nextTime,
    });
    for (const n of [1, 3]) h.steady.setCondition(n, pressure('True'));
    await h.tick(1);
    expect(h.publisher.of('scale-in-under-pressure').map((c) => c.kind)).toEqual(['firing']);
    // The cascade: the app container on node 3 is OOM-killed again and again; node 1's kubelet flaps.
    for (let i = 0; i < 4; i++) {
      h.steady.updatePod(
        3,
        (p) => p.workload.kind === 'Deployment',
        (p) => ({
          ...p,
          containers: p.containers.map((c, k) =>
            k === 0
              ? {
                  ...c,
                  restarts: c.restarts + 1,
                  startedAt: h.nextTime - 10_000,
                  lastTermination: { reason: 'OOMKilled', exitCode: 137, finishedAt: h.nextTime - 20_000 },
                }
              : c,
          ),
        }),
      );
      h.steady.setCondition(1, { type: 'Ready', status: i % 2 ? 'True' : 'False', reason: 'KubeletNotReady', since: h.nextTime });
      await h.tick(1);
    }
    h.steady.setCondition(1, { type: 'Ready', status: 'True', since: h.nextTime });
    await h.tick(14);
    const domino = h.publisher.of('scale-in-under-pressure');
    expect(domino.map((c) => `${c.kind}:${c.severity}`)).toEqual(['firing:critical', 'updated:critical']);
    expect(domino[1].includes!.map((i) => i.rule)).toEqual(
      expect.arrayContaining(['node-pressure', 'container-restarts', 'node-readiness-flapping']),
    );
    expect(h.publisher.messages).toHaveLength(2);
    // Recovery: the domino resolves; the restarts stay in their 24-hour window, but they were told under the domino.
    for (const n of [1, 3]) h.steady.setCondition(n, pressure('False'));
    await h.tick(40);
    expect(h.publisher.changes.map((c) => `${c.rule}:${c.kind}`)).toEqual([
      'scale-in-under-pressure:firing',
      'scale-in-under-pressure:updated',
      'scale-in-under-pressure:resolved',
    ]);
  });

  test('a scale-in the cluster can afford is silent; the same pressure without a scale-in is a plain alert', async () => {
    const h = await harness(dynamo, { nodes: 6 });
    await h.tick(2);
    scaleIn(h, 5);
    await h.tick(20);
    expect(h.publisher.messages).toEqual([]);
    h.steady.setCondition(1, { type: 'MemoryPressure', status: 'True', since: h.nextTime });
    await h.tick(5);
    expect(h.publisher.changes.map((c) => c.rule)).toEqual(['node-pressure']);
  });

  test('a collector failure of another service (a CloudWatch throttle) does not hide it', async () => {
    const h = await harness(dynamo, { nodes: 6 });
    h.steady.failures = [{ operation: 'cloudwatch:GetMetricData', message: 'Rate exceeded' }];
    await h.tick(4);
    expect(h.publisher.of('collector-failing').map((c) => c.kind)).toEqual(['firing']);
    scaleIn(h, 5);
    await h.tick(1);
    for (const n of [1, 3])
      h.steady.setCondition(n, { type: 'MemoryPressure', status: 'True', reason: 'KubeletHasInsufficientMemory', since: h.nextTime });
    await h.tick(3);
    expect(h.publisher.of('scale-in-under-pressure').map((c) => `${c.kind}:${c.severity}`)).toEqual(['firing:critical']);
  });

  /** Pressure on two of the remaining nodes and a Pending pod: what follows a scale-in the cluster cannot afford. */
  function pressure(h: Harness): void {
    for (const n of [1, 3])
      h.steady.setCondition(n, { type: 'MemoryPressure', status: 'True', reason: 'KubeletHasInsufficientMemory', since: h.nextTime });
  }

  test('Cluster Autoscaler rolling back a failed scale-up lowers desired capacity but removes no node: no domino', async () => {
    const h = await harness(dynamo, { nodes: 6 });
    const g = h.steady.groups[0];
    // Scale-up: desired +1, an instance launches (Pending, no node yet)...
    h.steady.groups = h.steady.groups.map((x) =>
      x === g
        ? {
            ...x,
            desired: x.desired + 1,
            pending: 1,
            instances: [
              ...x.instances,
              { instanceId: 'i-0ca1f00dfeed00001', lifecycleState: 'Pending', healthStatus: 'Healthy' as const, zone: 'eu-west-1a' },
            ],
          }
        : x,
    );
    await h.tick(3);
    // ...its launch fails and Cluster Autoscaler's DecreaseTargetSize lowers desired back (AWS's cause text).
    h.steady.activities = [
      {
        activityId: 'a1-launch',
        autoScalingGroup: g.name,
        status: 'Failed',
        description:
          'Launching a new EC2 instance: i-0ca1f00dfeed00001.  Status Reason: Could not launch On-Demand Instances. InsufficientInstanceCapacity - We currently do not have sufficient m6i.xlarge capacity in the Availability Zone you requested (eu-west-1a).',
        cause: `At 2026-11-23T12:03:00Z a user request explicitly set group desired capacity changing the desired capacity from ${g.desired} to ${g.desired + 1}.`,
        statusMessage: 'Could not launch On-Demand Instances. InsufficientInstanceCapacity',
        startTime: h.nextTime - 120_000,
        endTime: h.nextTime - 60_000,
      },
      {
        activityId: 'a2-rollback',
        autoScalingGroup: g.name,
        status: 'Successful',
        description: 'Terminating EC2 instance: i-0ca1f00dfeed00001',
        cause: `At 2026-11-23T12:04:00Z a user request explicitly set group desired capacity changing the desired capacity from ${g.desired + 1} to ${g.desired}.`,
        startTime: h.nextTime - 30_000,
        endTime: h.nextTime - 10_000,
      },
    ];
    h.steady.groups = h.steady.groups.map((x) => (x.name === g.name ? g : x));
    await h.tick(1);
    pressure(h);
    await h.tick(5);
    expect(h.publisher.of('scale-in-under-pressure')).toEqual([]);
    expect(h.publisher.changes.map((c) => c.rule)).toContain('node-pressure');
  });

  test('an EKS managed node group update replaces nodes and lowers desired by one at the end: no domino', async () => {
    const h = await harness(dynamo, { nodes: 6 });
    await h.tick(2);
    h.steady.nodeGroups = h.steady.nodeGroups.map((n) => ({ ...n, status: 'UPDATING' }));
    scaleIn(h, 5);
    h.steady.activities = h.steady.activities.map((a) => ({
      ...a,
      cause: `At 2026-11-23T12:03:00Z a user request update of AutoScalingGroup constraints to min: 1, max: 6, desired: 2 changing the desired capacity from 3 to 2.`,
    }));
    await h.tick(1);
    pressure(h);
    await h.tick(3);
    h.steady.nodeGroups = h.steady.nodeGroups.map((n) => ({ ...n, status: 'ACTIVE' }));
    await h.tick(3);
    expect(h.publisher.of('scale-in-under-pressure')).toEqual([]);
    expect(h.publisher.changes.map((c) => c.rule)).toContain('node-pressure');
  });

  test('an instance that never ran a node, terminated, is no scale-in', async () => {
    const h = await harness(dynamo, { nodes: 6 });
    const g = h.steady.groups[0];
    h.steady.groups = h.steady.groups.map((x) =>
      x === g
        ? {
            ...x,
            desired: x.desired + 1,
            inService: x.inService + 1,
            instances: [
              ...x.instances,
              { instanceId: 'i-0ca1f00dfeed00002', lifecycleState: 'InService', healthStatus: 'Healthy' as const, zone: 'eu-west-1a' },
            ],
          }
        : x,
    );
    await h.tick(3);
    h.steady.groups = h.steady.groups.map((x) => (x.name === g.name ? g : x));
    await h.tick(1);
    pressure(h);
    await h.tick(5);
    expect(h.publisher.of('scale-in-under-pressure')).toEqual([]);
  });

  test('the domino alert id is stable: rule and Auto Scaling group', () => {
    expect(alertId('scale-in-under-pressure', { cluster: 'prod', nodeGroup: 'general', autoScalingGroup: 'eks-general-1' })).toBe(
      'scale-in-under-pressure|autoScalingGroup=eks-general-1|cluster=prod|nodeGroup=general',
    );
  });
});

test('evictions and OOM kills count toward a domino only when they follow the scale-in', async () => {
  const h = await harness(dynamo, { nodes: 6 });
  await h.tick(2);
  const victim = h.steady.appPod(2);
  h.steady.events = [
    {
      objectUid: victim.uid,
      objectKind: 'Pod',
      objectName: victim.name,
      namespace: victim.namespace,
      reason: 'Evicted',
      type: 'Warning',
      message: 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 91236Ki.',
      count: 1,
      firstSeen: h.nextTime - 5000,
      lastSeen: h.nextTime - 5000,
      node: h.steady.nodeNames[2],
    },
  ];
  await h.tick(1);
  scaleIn(h, 5);
  await h.tick(3);
  // The eviction came before the scale-in: no domino, a plain eviction alert.
  expect(h.publisher.of('scale-in-under-pressure')).toEqual([]);
  expect(h.publisher.of('pod-evictions')).toHaveLength(1);
  const later = h.steady.appPod(3);
  h.steady.events = [
    {
      objectUid: later.uid,
      objectKind: 'Pod',
      objectName: later.name,
      namespace: later.namespace,
      reason: 'Evicted',
      type: 'Warning',
      message: 'The node was low on resource: memory.',
      count: 1,
      firstSeen: h.nextTime,
      lastSeen: h.nextTime,
      node: h.steady.nodeNames[3],
    },
  ];
  await h.tick(1);
  expect(h.publisher.of('scale-in-under-pressure').map((c) => c.includes!.map((i) => i.rule))).toEqual([['pod-evictions']]);
  expect(h.publisher.of('pod-evictions')).toHaveLength(1);
});

import { alertId, type ScalingActivity } from '../../../../model/domain';
import type { AlertDoc } from '../../../../lambdas/evaluator/state';
import { MINUTE_MS } from '../../../../model/time';
import { useTestStore } from '../../../support/store';
import { expectBlipSilentAndForHonoured, harness, T0 } from '../harness';
import { run } from '../rules';
import { SteadyCluster } from '../../../../sim/steady-cluster';

const t = T0;

/** An activity shaped like DescribeScalingActivities' (API_Activity). */
export function activity(asg: string, over: Partial<ScalingActivity> & { activityId: string }): ScalingActivity {
  return {
    autoScalingGroup: asg,
    status: 'Failed',
    description:
      'Launching a new EC2 instance.  Status Reason: We currently do not have sufficient m6i.xlarge capacity in the Availability Zone you requested (eu-west-1a).',
    cause:
      'At 2026-11-23T12:00:00Z an instance was started in response to a difference between desired and actual capacity, increasing the capacity from 2 to 3.',
    statusMessage:
      'We currently do not have sufficient m6i.xlarge capacity in the Availability Zone you requested (eu-west-1a). Our system will be working on provisioning additional capacity.',
    startTime: t,
    endTime: t + 30_000,
    ...over,
  };
}

const { dynamo } = useTestStore();

describe('asg-capacity-shortfall', () => {
  test('InService below desired for 15 minutes, with the last failure as evidence; short by 2: critical', async () => {
    // 1 of 3 is 33%: with the default 20% that alone would be critical.
    const h = await harness(dynamo, { nodes: 6, rules: { 'asg-capacity-shortfall': { criticalShortfallPct: 50 } } });
    const g = h.steady.groups[0];
    h.steady.groups = h.steady.groups.map((x) => (x.name === g.name ? { ...x, desired: x.desired + 1, pending: 1 } : x));
    h.steady.activities = [activity(g.name, { activityId: 'a-1' })];
    await h.tick(14);
    expect(h.publisher.of('asg-capacity-shortfall')).toEqual([]);
    await h.tick(2);
    const [f] = h.publisher.of('asg-capacity-shortfall');
    expect(f).toMatchObject({
      kind: 'firing',
      severity: 'warning',
      subject: { autoScalingGroup: g.name },
      evidence: { shortfall: 1, desired: g.desired + 1, inService: g.inService },
    });
    expect(f.evidence.lastFailure).toMatch(/sufficient m6i.xlarge capacity/);
    h.steady.groups = h.steady.groups.map((x) => (x.name === g.name ? { ...x, desired: x.desired + 1 } : x));
    await h.tick(1);
    expect(h.publisher.of('asg-capacity-shortfall').map((c) => `${c.kind}:${c.severity}`)).toEqual([
      'firing:warning',
      'escalated:critical',
    ]);
  });
});

describe('asg-activity-failed', () => {
  test('one alert per group whatever the number of failed activities, with the newest status and the count; held, never "resolved"', async () => {
    const h = await harness(dynamo, { nodes: 6 });
    const g = h.steady.groups[0].name;
    h.steady.activities = [activity(g, { activityId: 'a-1' })];
    await h.tick(1);
    // The collector reports an activity in the minute it first sees it; a repeat must not re-notify either.
    h.steady.activities = [activity(g, { activityId: 'a-1' })];
    await h.tick(3);
    for (const id of ['a-2', 'a-3', 'a-4']) {
      h.steady.activities = [
        activity(g, {
          activityId: id,
          startTime: h.nextTime,
          status: id === 'a-2' ? 'Cancelled' : 'Failed',
          statusMessage: `${id}: We currently do not have sufficient m6i.xlarge capacity.`,
        }),
      ];
      await h.tick(5);
    }
    const told = h.publisher.of('asg-activity-failed');
    expect(told.map((c) => `${c.kind}:${c.severity}:${c.subject.autoScalingGroup}:${c.subject.detail}`)).toEqual([
      `firing:warning:${g}:undefined`,
    ]);
    const [doc] = (await h.store.listDocuments<AlertDoc>(h.steady.cluster, 'alert')).filter((d) => d.value.rule === 'asg-activity-failed');
    expect(doc.value.evidence).toMatchObject({ failedInWindow: 4, statusMessage: expect.stringMatching(/^a-4:/) });
    await h.tick(70);
    expect(h.publisher.of('asg-activity-failed')).toHaveLength(1);
  });

  test('a group short of capacity absorbs its failed activities: they stay under its story, even once it resolved', async () => {
    const h = await harness(dynamo, { nodes: 6, rules: { 'asg-capacity-shortfall': { criticalShortfallPct: 50 } } });
    const g = h.steady.groups[0];
    h.steady.groups = h.steady.groups.map((x) => (x.name === g.name ? { ...x, desired: x.desired + 1, pending: 1 } : x));
    await h.tick(16);
    expect(h.publisher.changes.map((c) => `${c.rule}:${c.kind}`)).toEqual(['asg-capacity-shortfall:firing']);
    // The launches it waits for now fail: that is why it is short, not a second incident.
    for (const id of ['a-1', 'a-2', 'a-3']) {
      h.steady.activities = [activity(g.name, { activityId: id, startTime: h.nextTime })];
      await h.tick(5);
    }
    h.steady.groups = h.steady.groups.map((x) => (x.name === g.name ? { ...x, desired: g.desired, pending: 0 } : x));
    await h.tick(30);
    expect(h.publisher.changes.map((c) => `${c.rule}:${c.kind}`)).toEqual([
      'asg-capacity-shortfall:firing',
      'asg-capacity-shortfall:resolved',
    ]);
    expect(h.publisher.of('asg-capacity-shortfall')[1].evidence).toMatchObject({
      lastFailure: expect.stringMatching(/sufficient m6i.xlarge capacity/),
      failedActivities: expect.any(Number),
    });
  });
});

test('asg-max-pods-pending: at max size while pods are Pending', () => {
  const s = new SteadyCluster({ nodes: 6 });
  const pod = {
    ...s.appPod(0),
    uid: 'u-pending',
    name: 'api-7-6b9c-xk2',
    node: undefined,
    phase: 'Pending' as const,
    unschedulable: {
      reason: 'Unschedulable',
      message:
        '0/6 nodes are available: 6 Insufficient memory. preemption: 0/6 nodes are available: 6 No preemption victims found for incoming pod.',
    },
  };
  s.unscheduled = [pod];
  expect(run('asg-max-pods-pending', s.context(t))).toEqual([]);
  s.groups = s.groups.map((g, i) => (i === 0 ? { ...g, max: g.desired } : g));
  const [f] = run('asg-max-pods-pending', s.context(t));
  expect(f).toMatchObject({ subject: { autoScalingGroup: s.groups[0].name }, evidence: { pendingPods: 1, max: s.groups[0].desired } });
  expect(f.summary).toMatch(/Insufficient memory/);
});

describe('on real windows', () => {
  test('asg-max-pods-pending: a pod Pending for a minute stays silent; for 10 minutes at max size, it fires', async () => {
    const h = await harness(dynamo, { nodes: 6 });
    h.steady.groups = h.steady.groups.map((g, i) => (i === 0 ? { ...g, max: g.desired } : g));
    const pod = {
      ...h.steady.appPod(0),
      uid: 'u-pending',
      name: 'api-7-6b9c-xk2',
      node: undefined,
      phase: 'Pending' as const,
      unschedulable: { reason: 'Unschedulable', message: '0/6 nodes are available: 6 Insufficient memory.' },
    };
    await expectBlipSilentAndForHonoured(h, 'asg-max-pods-pending', {
      forMinutes: 10,
      set: (broken) => (h.steady.unscheduled = broken ? [pod] : []),
    });
  });

  test('instance-without-node: an instance InService for a minute before its node registers stays silent; for 10 minutes, it fires', async () => {
    const h = await harness(dynamo, { nodes: 6 });
    const steady = h.steady.groups;
    const ghost = { instanceId: 'i-0aaaabbbbccccdddd', lifecycleState: 'InService', healthStatus: 'Healthy' as const, zone: 'eu-west-1a' };
    await expectBlipSilentAndForHonoured(h, 'instance-without-node', {
      forMinutes: 10,
      set: (broken) =>
        (h.steady.groups = broken ? steady.map((g, i) => (i === 0 ? { ...g, instances: [...g.instances, ghost] } : g)) : steady),
    });
  });
});

test("instance-without-node: an InService instance that never joined; a node that is not Ready is node-not-ready's", () => {
  const s = new SteadyCluster({ nodes: 6 });
  const ghost = 'i-0aaaabbbbccccdddd';
  s.groups = s.groups.map((g, i) =>
    i === 0
      ? {
          ...g,
          instances: [
            ...g.instances,
            { instanceId: ghost, lifecycleState: 'InService', healthStatus: 'Healthy' as const, zone: 'eu-west-1a' },
          ],
        }
      : g,
  );
  s.setCondition(2, { type: 'Ready', status: 'False', since: t });
  const found = run('instance-without-node', s.context(t));
  expect(found.map((f) => f.evidence.node)).toEqual(['none']);
  // Pending instances are launching, not broken.
  s.groups = s.groups.map((g) => ({
    ...g,
    instances: g.instances.map((i) => (i.instanceId === ghost ? { ...i, lifecycleState: 'Pending' } : i)),
  }));
  s.setCondition(2, { type: 'Ready', status: 'True', since: t });
  expect(run('instance-without-node', s.context(t))).toEqual([]);
});

describe('EKS cluster and node groups', () => {
  test('cluster-not-active: FAILED is critical; UPDATING only when it lasts', () => {
    const s = new SteadyCluster({ nodes: 3 });
    s.clusterInfo = { ...s.clusterInfo, status: 'FAILED' };
    expect(run('cluster-not-active', s.context(t))[0]).toMatchObject({ severity: 'critical', evidence: { status: 'FAILED' } });
    s.clusterInfo = { ...s.clusterInfo, status: 'UPDATING' };
    const started = s.context(t);
    expect(run('cluster-not-active', started)).toEqual([]);
    const later = s.context(t + 100 * MINUTE_MS, { memory: started.memory });
    expect(run('cluster-not-active', later)[0]).toMatchObject({ severity: 'warning', evidence: { status: 'UPDATING' } });
  });

  test('cluster-health-issue and node-group-health-issue: one finding per issue code', () => {
    const s = new SteadyCluster({ nodes: 6 });
    s.clusterInfo = {
      ...s.clusterInfo,
      healthIssues: [
        { code: 'SUBNET_NOT_FOUND', message: 'We could not find one or more subnets used by the cluster.', resourceIds: ['subnet-0abc'] },
      ],
    };
    s.nodeGroups = s.nodeGroups.map((g, i) =>
      i === 0
        ? {
            ...g,
            status: 'DEGRADED',
            healthIssues: [
              {
                code: 'AsgInstanceLaunchFailures',
                message: 'Instance launch failures: InsufficientInstanceCapacity',
                resourceIds: ['eks-general-5ec8a1b2-0'],
              },
            ],
          }
        : { ...g, status: 'CREATE_FAILED' },
    );
    expect(run('cluster-health-issue', s.context(t))[0]).toMatchObject({
      subject: { detail: 'SUBNET_NOT_FOUND' },
      evidence: { resources: 'subnet-0abc' },
    });
    expect(run('node-group-health-issue', s.context(t)).map((f) => f.subject.detail)).toEqual(['AsgInstanceLaunchFailures', 'status']);
  });

  test("node-group-health-issue: a group being deleted is an operator's action, not a health problem", () => {
    const s = new SteadyCluster({ nodes: 3 });
    s.nodeGroups = s.nodeGroups.map((g) => ({ ...g, status: 'DELETING' }));
    expect(run('node-group-health-issue', s.context(t))).toEqual([]);
  });

  test("one node group unreadable holds only its own alerts; the cluster's other EKS alerts still fire", async () => {
    const h = await harness(dynamo, { nodes: 6 });
    const ng = h.steady.nodeGroups[0];
    h.steady.nodeGroups = h.steady.nodeGroups.map((g) => (g.name === ng.name ? { ...g, status: 'DEGRADED' } : g));
    await h.tick(7);
    expect(h.publisher.of('node-group-health-issue').map((c) => c.kind)).toEqual(['firing']);
    // DescribeNodegroup of that group fails (the collector then knows it only from its Auto Scaling group's tags).
    h.steady.nodeGroups = h.steady.nodeGroups.map((g) => (g.name === ng.name ? { ...g, status: undefined } : g));
    h.steady.failures = [
      {
        operation: 'eks:DescribeNodegroup',
        message: `node group ${ng.name}: ThrottlingException: Rate exceeded`,
        subject: { nodeGroup: ng.name },
      },
    ];
    h.steady.clusterInfo = {
      ...h.steady.clusterInfo,
      healthIssues: [
        { code: 'SUBNET_NOT_FOUND', message: 'We could not find one or more subnets used by the cluster.', resourceIds: ['subnet-0abc'] },
      ],
    };
    await h.tick(20);
    expect(h.publisher.of('node-group-health-issue').map((c) => c.kind)).toEqual(['firing']);
    expect(h.publisher.of('cluster-health-issue').map((c) => c.kind)).toEqual(['firing']);
  });

  test("node-group-health-issue: the group's status is evidence, not identity (one alert while it changes)", () => {
    const s = new SteadyCluster({ nodes: 3 });
    const idWith = (status: string) => {
      s.nodeGroups = s.nodeGroups.map((g) => ({ ...g, status }));
      const [f] = run('node-group-health-issue', s.context(t));
      expect(f.evidence).toEqual({ status });
      return alertId('node-group-health-issue', f.subject);
    };
    expect(idWith('DEGRADED')).toBe(idWith('CREATE_FAILED'));
  });
});

test('a dead kubelet on a healthy instance is one story: node-not-ready says EC2 passes its checks, no "instance without node" beside it', async () => {
  const h = await harness(dynamo, { nodes: 6 });
  await h.tick(2);
  h.steady.setCondition(2, {
    type: 'Ready',
    status: 'Unknown',
    reason: 'NodeStatusUnknown',
    message: 'Kubelet stopped posting node status.',
    since: h.nextTime,
  });
  await h.tick(20);
  expect(h.publisher.changes.map((c) => `${c.rule}:${c.kind}`)).toEqual(['node-not-ready:firing']);
  const [c] = h.publisher.changes;
  expect(c.summary).toMatch(/unreachable .*EC2 status checks pass, the kubelet does not report/);
  expect(c.evidence).toMatchObject({ ec2StatusChecks: 'pass', instanceId: h.steady.report(2).node.instanceId });
  expect(c.runbook).toMatch(/nothing replaces it/);
});

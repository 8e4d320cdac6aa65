import { CallCounter } from '../../../lambdas/aws/calls';
import type { MetricQuery } from '../../../lambdas/aws/cloudwatch';
import { ManualClock, MINUTE_MS } from '../../../model/time';
import { SimulatedAccount, simError } from '../../../sim/aws/account';

const T0 = Date.UTC(2026, 10, 23, 12, 0);
let clock: ManualClock;
let sim: SimulatedAccount;
let calls: CallCounter;

function account(opts: Partial<ConstructorParameters<typeof SimulatedAccount>[0]> = {}) {
  const s = new SimulatedAccount({ clock, seed: 7, ...opts });
  s.addCluster({
    name: 'prod',
    nodeGroups: [
      { name: 'general', instanceType: 'm6i.xlarge', size: { min: 2, max: 6, desired: 3 } },
      { name: 'legacy', kind: 'self-managed', instanceType: 'm5.large', size: { min: 1, max: 3, desired: 2 }, cloudWatchAgent: true },
      {
        name: 'burst',
        kind: 'karpenter',
        instanceType: 'c6i.2xlarge',
        capacityType: 'spot',
        size: { min: 0, max: 10, desired: 2 },
        detailedMonitoring: true,
      },
    ],
  });
  return s;
}

beforeEach(() => {
  clock = new ManualClock(T0);
  sim = account();
  calls = new CallCounter();
});

const apis = () => sim.apis(calls);
const groupOf = async (nodeGroup: string) =>
  (await apis().autoScaling.describeGroups({ clusterTag: 'prod' })).find((g) => g.nodeGroup === nodeGroup)!;

test('a cluster with managed, self-managed and Karpenter capacity, as the APIs describe it', async () => {
  const a = apis();
  expect(await a.eks.describeCluster('prod')).toEqual({
    name: 'prod',
    status: 'ACTIVE',
    version: '1.33',
    platformVersion: 'eks.12',
    healthIssues: [],
  });
  expect(await a.eks.listNodegroups('prod')).toEqual(['general']);
  const ng = await a.eks.describeNodegroup('prod', 'general');
  expect(ng).toMatchObject({
    name: 'general',
    kind: 'managed',
    status: 'ACTIVE',
    scaling: { min: 2, max: 6, desired: 3 },
    instanceTypes: ['m6i.xlarge'],
  });
  expect(ng.autoScalingGroups[0]).toMatch(/^eks-general-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  const instances = await a.ec2.describeClusterInstances('prod');
  expect(instances).toHaveLength(7);
  expect(instances.every((i) => /^i-0[0-9a-f]{16}$/.test(i.host.instanceId) && i.host.state === 'running')).toBe(true);
  expect(
    instances.filter((i) => i.nodePool === 'burst').map((i) => [i.host.capacityType, i.host.autoScalingGroup, i.detailedMonitoring]),
  ).toEqual([
    ['spot', undefined, true],
    ['spot', undefined, true],
  ]);
  const groups = await a.autoScaling.describeGroups({ clusterTag: 'prod' });
  expect(groups.map((g) => [g.nodeGroup, g.eksNodeGroup, g.desired, g.inService])).toEqual([
    ['general', 'general', 3, 3],
    ['legacy', undefined, 2, 2],
  ]);
  await expect(a.eks.describeCluster('nope')).rejects.toMatchObject({
    name: 'ResourceNotFoundException',
    $metadata: { httpStatusCode: 404 },
  });
});

test('scale-out: instances launch, boot, go InService; the activity ends Successful', async () => {
  clock.advance(30_000);
  sim.setDesired('prod', 'general', 4, { cause: { kind: 'alarm', alarm: 'TargetTracking-general-AlarmHigh', policy: 'cpu-60' } });
  let g = await groupOf('general');
  expect([g.desired, g.inService, g.pending]).toEqual([4, 3, 1]);
  const [launch] = await apis().autoScaling.describeScalingActivities(g.name, T0);
  expect(launch).toMatchObject({ status: 'InProgress', description: expect.stringMatching(/^Launching a new EC2 instance: i-0/) });
  expect(launch.cause).toContain(
    'a monitor alarm TargetTracking-general-AlarmHigh in state ALARM triggered policy cpu-60 changing the desired capacity from 3 to 4',
  );
  const newId = launch.description.split(': ')[1];
  expect((await apis().ec2.describeClusterInstances('prod')).find((i) => i.host.instanceId === newId)?.host.state).toBe('pending');

  clock.advance(2 * MINUTE_MS);
  g = await groupOf('general');
  expect([g.inService, g.pending]).toEqual([4, 0]);
  expect((await apis().autoScaling.describeScalingActivities(g.name, T0))[0]).toMatchObject({
    activityId: launch.activityId,
    status: 'Successful',
    endTime: expect.any(Number),
  });
});

test('scale-in: the named instance (else the newest) is terminated, with the alarm in the cause', async () => {
  const [oldest] = sim.instancesOf('prod', 'general');
  sim.setDesired('prod', 'general', 2, {
    cause: { kind: 'alarm', alarm: 'TargetTracking-general-AlarmLow', policy: 'cpu-40' },
    terminate: oldest.instanceId,
  });
  const g = await groupOf('general');
  expect(g.instances.find((i) => i.instanceId === oldest.instanceId)?.lifecycleState).toBe('Terminating');
  const [act] = await apis().autoScaling.describeScalingActivities(g.name, T0);
  expect(act.cause).toMatch(
    /triggered policy cpu-40 changing the desired capacity from 3 to 2\.\s+At .* shrinking the capacity from 3 to 2\.\s+At .* instance i-0[0-9a-f]+ was selected for termination\./,
  );
  clock.advance(3 * MINUTE_MS);
  expect((await groupOf('general')).instances).toHaveLength(2);
  expect((await apis().ec2.describeClusterInstances('prod')).find((i) => i.host.instanceId === oldest.instanceId)?.host.state).toBe(
    'terminated',
  );
  // Terminated instances stay listed about an hour.
  clock.advance(60 * MINUTE_MS);
  expect((await apis().ec2.describeClusterInstances('prod')).some((i) => i.host.instanceId === oldest.instanceId)).toBe(false);

  sim.setDesired('prod', 'general', 2);
  sim.setDesired('prod', 'general', 3);
  clock.advance(5 * MINUTE_MS);
  const newest = sim.instancesOf('prod', 'general').at(-1)!;
  sim.setDesired('prod', 'general', 2);
  expect((await groupOf('general')).instances.find((i) => i.instanceId === newest.instanceId)?.lifecycleState).toBe('Terminating');
});

test('launch failures: a Failed activity every few minutes while short, then recovery', async () => {
  const msg = 'We currently do not have sufficient m6i.xlarge capacity in the Availability Zone you requested (eu-west-1a).';
  sim.failLaunches('prod', 'general', msg);
  sim.setDesired('prod', 'general', 5);
  clock.advance(12 * MINUTE_MS);
  const g = await groupOf('general');
  expect([g.desired, g.inService]).toEqual([5, 3]);
  const acts = await apis().autoScaling.describeScalingActivities(g.name, T0);
  expect(acts.map((a) => [a.status, a.statusMessage, (a.startTime - T0) / MINUTE_MS])).toEqual([
    ['Failed', msg, 10],
    ['Failed', msg, 5],
    ['Failed', msg, 0],
  ]);
  expect(acts[0].description).toBe(`Launching a new EC2 instance.  Status Reason: ${msg}`);
  sim.failLaunches('prod', 'general', undefined);
  clock.advance(4 * MINUTE_MS);
  expect((await groupOf('general')).inService).toBe(5);
});

test('a health replacement: the instance goes Unhealthy and a new one takes its place', async () => {
  const [victim] = sim.instancesOf('prod', 'legacy');
  sim.terminateInstance(victim.instanceId, 'health');
  let g = await groupOf('legacy');
  expect(g.instances.find((i) => i.instanceId === victim.instanceId)).toMatchObject({
    lifecycleState: 'Terminating',
    healthStatus: 'Unhealthy',
  });
  clock.advance(3 * MINUTE_MS);
  g = await groupOf('legacy');
  expect([g.inService, g.instances.some((i) => i.instanceId === victim.instanceId)]).toEqual([2, false]);
  const acts = await apis().autoScaling.describeScalingActivities(g.name, T0);
  expect(acts.map((a) => a.description.split(':')[0])).toEqual(['Launching a new EC2 instance', 'Terminating EC2 instance']);
  expect(acts[1].cause).toContain('in response to an EC2 health check');
});

describe('CloudWatch', () => {
  const cpuQuery = (id: string, periodSeconds = 300): MetricQuery => ({
    id: 'q0',
    namespace: 'AWS/EC2',
    metricName: 'CPUUtilization',
    dimensions: { InstanceId: id },
    stat: 'Average',
    periodSeconds,
  });

  test('points become readable only after their period plus the publishing delay, some later still', async () => {
    const s = account({ cloudWatch: { lateShare: 0 } });
    const [i] = s.instancesOf('prod', 'general');
    clock.set(T0 + 11 * MINUTE_MS);
    const read = async () =>
      (await s.apis(calls).cloudWatch.getMetricData([cpuQuery(i.instanceId)], T0 - 15 * MINUTE_MS, T0 + 11 * MINUTE_MS))[0].points.map(
        (p) => (p.t - T0) / MINUTE_MS,
      );
    // 5-minute points are readable 5 minutes after their period ends.
    expect(await read()).toEqual([-15, -10, -5, 0]);
    clock.set(T0 + 15 * MINUTE_MS);
    expect(await read()).toEqual([-15, -10, -5, 0, 5]);

    const late = account({ cloudWatch: { lateShare: 1, lateMinutes: 7 } });
    const [j] = late.instancesOf('prod', 'general');
    expect(
      (await late.apis(calls).cloudWatch.getMetricData([cpuQuery(j.instanceId)], T0 - 15 * MINUTE_MS, T0 + 15 * MINUTE_MS))[0].points.map(
        (p) => (p.t - T0) / MINUTE_MS,
      ),
    ).toEqual([-15, -10, -5]);
  });

  test('basic monitoring has 5-minute points even when asked for 1; detailed has 1-minute points', async () => {
    clock.set(T0 + 30 * MINUTE_MS);
    const [basic] = sim.instancesOf('prod', 'general');
    const [detailed] = sim.instancesOf('prod', 'burst');
    const cw = apis().cloudWatch;
    const steps = async (id: string) => {
      const pts = (await cw.getMetricData([cpuQuery(id, 60)], T0, T0 + 10 * MINUTE_MS))[0].points;
      return pts.slice(1).map((p, k) => (p.t - pts[k].t) / MINUTE_MS);
    };
    expect(new Set(await steps(basic.instanceId))).toEqual(new Set([5]));
    expect(new Set(await steps(detailed.instanceId))).toEqual(new Set([1]));
    expect(calls.metricsRequested).toBe(2);
    // Status checks come every minute whatever the monitoring.
    const status = (
      await cw.getMetricData(
        [{ ...cpuQuery(basic.instanceId, 60), metricName: 'StatusCheckFailed', stat: 'Maximum' }],
        T0,
        T0 + 10 * MINUTE_MS,
      )
    )[0].points;
    expect(status.map((p) => (p.t - T0) / MINUTE_MS)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test('status checks per instance and per Auto Scaling group, Sum over the period, agent metrics only where the agent runs', async () => {
    const [a, b] = sim.instancesOf('prod', 'legacy');
    sim.failStatusCheck(b.instanceId, 'system', 10 * MINUTE_MS);
    sim.setMetric(a.instanceId, 'networkInBytes', 1000);
    sim.setMetric(a.instanceId, 'memoryUsedPct', (t) => (t >= T0 + 5 * MINUTE_MS ? 90 : 50));
    clock.set(T0 + 30 * MINUTE_MS);
    const g = await groupOf('legacy');
    const q = (
      metricName: string,
      dimensions: Record<string, string>,
      stat: 'Maximum' | 'Sum' | 'Average' = 'Maximum',
      namespace = 'AWS/EC2',
    ): MetricQuery => ({ id: `q${metricName.length}`, namespace, metricName, dimensions, stat, periodSeconds: 300 });
    const values = async (query: MetricQuery) =>
      (await apis().cloudWatch.getMetricData([query], T0 - 5 * MINUTE_MS, T0 + 15 * MINUTE_MS))[0].points.map((p) => p.value);
    expect(await values(q('StatusCheckFailed', { AutoScalingGroupName: g.name }))).toEqual([0, 1, 1, 0]);
    expect(await values(q('StatusCheckFailed_System', { InstanceId: b.instanceId }))).toEqual([0, 1, 1, 0]);
    expect(await values(q('StatusCheckFailed_Instance', { InstanceId: b.instanceId }))).toEqual([0, 0, 0, 0]);
    expect(await values(q('NetworkIn', { InstanceId: a.instanceId }, 'Sum'))).toEqual([5000, 5000, 5000, 5000]);
    const listed = await apis().cloudWatch.listMetrics('CWAgent', 'mem_used_percent');
    expect(listed.map((d) => d.InstanceId).sort()).toEqual([a.instanceId, b.instanceId].sort());
    expect(await values(q('mem_used_percent', listed.find((d) => d.InstanceId === a.instanceId)!, 'Average', 'CWAgent'))).toEqual([
      50, 50, 90, 90,
    ]);
    const [general] = sim.instancesOf('prod', 'general');
    expect(await values(q('mem_used_percent', { InstanceId: general.instanceId }, 'Average', 'CWAgent'))).toEqual([]);
  });

  test('a CloudWatch slowdown holds points back for its duration', async () => {
    const s = account({ cloudWatch: { lateShare: 0 } });
    const [i] = s.instancesOf('prod', 'general');
    s.delayCloudWatch(10 * MINUTE_MS, 20 * MINUTE_MS);
    clock.set(T0 + 15 * MINUTE_MS);
    const pts = (await s.apis(calls).cloudWatch.getMetricData([cpuQuery(i.instanceId)], T0 - 10 * MINUTE_MS, T0 + 15 * MINUTE_MS))[0]
      .points;
    expect(pts.map((p) => (p.t - T0) / MINUTE_MS)).toEqual([-10]);
  });
});

test('calls are counted page by page, as the real APIs paginate', async () => {
  const big = new SimulatedAccount({ clock, seed: 3 });
  big.addCluster({
    name: 'big',
    nodeGroups: [
      { name: 'a', instanceType: 'm6i.large', size: { min: 0, max: 2000, desired: 1200 } },
      { name: 'k', kind: 'karpenter', instanceType: 'm6i.large', size: { min: 0, max: 100, desired: 30 } },
    ],
  });
  const a = big.apis(calls);
  await a.ec2.describeClusterInstances('big');
  // 1,230 instances tagged for the cluster (2 pages of 1,000), 1,200 in the managed group (2 more), no Auto Mode one (1 empty page).
  expect(calls.snapshot()).toEqual({ 'ec2:DescribeInstances': 5 });
  await a.autoScaling.describeGroups({ names: Array.from({ length: 60 }, (_, i) => `g${i}`) });
  expect(calls.snapshot()['autoscaling:DescribeAutoScalingGroups']).toBe(2);
});

test('injected faults fail the next calls of an operation, which still count', async () => {
  sim.failNext('eks:DescribeCluster', 2);
  sim.failNext('cloudwatch:GetMetricData', 1, () => simError('InternalServiceError', 'Internal service error', 500));
  const a = apis();
  await expect(a.eks.describeCluster('prod')).rejects.toMatchObject({ name: 'ThrottlingException' });
  await expect(a.eks.describeCluster('prod')).rejects.toMatchObject({ name: 'ThrottlingException' });
  await expect(a.eks.describeCluster('prod')).resolves.toMatchObject({ name: 'prod' });
  await expect(
    a.cloudWatch.getMetricData(
      [{ id: 'q', namespace: 'AWS/EC2', metricName: 'CPUUtilization', dimensions: {}, stat: 'Average', periodSeconds: 60 }],
      T0,
      T0 + 1,
    ),
  ).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
  expect(calls.snapshot()).toEqual({ 'cloudwatch:GetMetricData': 1, 'eks:DescribeCluster': 3 });
});

test('the same seed and clock give the same account', async () => {
  const ids = (s: SimulatedAccount) => s.hosts('prod').map((h) => h.instanceId);
  expect(ids(account())).toEqual(ids(account()));
  expect(ids(new SimulatedAccount({ clock, seed: 8 }))).toEqual([]);
});

test('cluster status and node group health changes show in EKS', async () => {
  sim.setClusterStatus('prod', 'UPDATING');
  sim.setNodeGroupHealth('prod', 'general', [{ code: 'AsgInstanceLaunchFailures', message: 'Could not launch On-Demand Instances.' }]);
  expect((await apis().eks.describeCluster('prod')).status).toBe('UPDATING');
  expect(await apis().eks.describeNodegroup('prod', 'general')).toMatchObject({
    status: 'DEGRADED',
    healthIssues: [{ code: 'AsgInstanceLaunchFailures' }],
  });
});

test('activities are listed as AWS lists them: still in progress first, whatever their age, then the others newest first', async () => {
  sim = new SimulatedAccount({ clock, seed: 7 });
  sim.addCluster({
    name: 'prod',
    nodeGroups: [{ name: 'general', instanceType: 'm6i.xlarge', size: { min: 1, max: 6, desired: 3 }, bootMinutes: 10 }],
  });
  const [oldest] = sim.instancesOf('prod', 'general');
  sim.setDesired('prod', 'general', 4);
  clock.advance(MINUTE_MS);
  sim.setDesired('prod', 'general', 3, { terminate: oldest.instanceId });
  clock.advance(4 * MINUTE_MS);
  const g = await groupOf('general');
  const listed = await apis().autoScaling.describeScalingActivities(g.name, T0 + 30_000);
  // The launch (started first, still booting) is listed before the finished termination that followed it.
  expect(listed.map((a) => [a.description.split(':')[0], a.status])).toEqual([
    ['Launching a new EC2 instance', 'InProgress'],
    ['Terminating EC2 instance', 'Successful'],
  ]);
  expect(listed[0].startTime).toBeLessThan(T0 + 30_000);
});

test('EKS Auto Mode instances are found by their own tags and carry their node pool', async () => {
  const auto = new SimulatedAccount({ clock, seed: 5 });
  auto.addCluster({
    name: 'auto',
    nodeGroups: [{ name: 'general-purpose', kind: 'auto-mode', instanceType: 'c6a.large', size: { min: 0, max: 10, desired: 2 } }],
  });
  const found = await auto.apis(calls).ec2.describeClusterInstances('auto');
  expect(found.map((i) => [i.nodePool, i.host.autoScalingGroup])).toEqual([
    ['general-purpose', undefined],
    ['general-purpose', undefined],
  ]);
  expect(calls.snapshot()).toEqual({ 'ec2:DescribeInstances': 3 });
});

test('an EKS managed node group update: surge, each old instance replaced, desired back down by one, UPDATING until done', async () => {
  const before = sim.instancesOf('prod', 'general').map((i) => i.instanceId);
  sim.updateNodeGroup('prod', 'general');
  expect(await apis().eks.describeNodegroup('prod', 'general')).toMatchObject({
    status: 'UPDATING',
    scaling: { min: 2, max: 7, desired: 4 },
  });
  const desired: number[] = [];
  for (let m = 0; m < 30; m++) {
    clock.advance(MINUTE_MS);
    desired.push((await groupOf('general')).desired);
  }
  const ng = await apis().eks.describeNodegroup('prod', 'general');
  expect(ng).toMatchObject({ status: 'ACTIVE', scaling: { min: 2, max: 6, desired: 3 } });
  expect(Math.max(...desired)).toBe(4);
  const after = (await groupOf('general')).instances;
  expect(after.map((i) => i.lifecycleState)).toEqual(['InService', 'InService', 'InService']);
  expect(after.some((i) => before.includes(i.instanceId))).toBe(false);
  const activities = await apis().autoScaling.describeScalingActivities((await groupOf('general')).name, T0);
  expect(
    activities
      .filter((a) => a.cause.includes('taken out of service in response to a user request.'))
      .map((a) => a.description.split(': ')[1])
      .sort(),
  ).toEqual([...before].sort());
});

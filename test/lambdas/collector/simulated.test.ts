/**
 * The collector over the simulated account, as local mode runs it: an hour of simulated time in which the
 * cluster scales in on an alarm, a launch fails and CloudWatch points arrive late, with nothing lost or
 * repeated; and the sim's call counts (what the collector benchmark reports) against the SDK adapters'.
 */
import type { Activity, AutoScalingGroup as SdkGroup } from '@aws-sdk/client-auto-scaling';
import { createLogger } from '../../../common/log';
import { sdkAccounts, type AwsAccount, type AwsAccountFor } from '../../../lambdas/aws/account';
import { CallCounter } from '../../../lambdas/aws/calls';
import { createCollectorHandler } from '../../../lambdas/collector/collector';
import { DEFAULT_HOST_METRICS } from '../../../lambdas/collector/config';
import { MINUTE_MS } from '../../../model/time';
import { SimulatedAccount } from '../../../sim/aws/account';
import { useTestStore } from '../../support/store';
import { asgOf, instanceOf } from '../aws/responses';
import { API_PAGES, FakeAws } from './fake-aws';

const t = useTestStore({ now: Date.UTC(2026, 10, 23, 8, 0, 20) });

test('an hour: rollups every minute, host parts for every instance and period, each activity once per status', async () => {
  const start = t.clock.now();
  const sim = new SimulatedAccount({ clock: t.clock, cloudWatch: { lateShare: 0.2, lateMinutes: 7 } });
  sim.addCluster({
    name: 'prod',
    nodeGroups: [
      { name: 'general', instanceType: 'm6i.xlarge', size: { min: 2, max: 8, desired: 4 } },
      {
        name: 'batch',
        kind: 'karpenter',
        instanceType: 'c6i.2xlarge',
        capacityType: 'spot',
        size: { min: 0, max: 10, desired: 2 },
        detailedMonitoring: true,
      },
    ],
  });
  const store = t.store();
  const collect = createCollectorHandler({
    store,
    clusters: [{ name: 'prod' }],
    defaultRegion: 'eu-west-1',
    aws: (_r, calls) => sim.apis(calls),
    hostMetrics: { ...DEFAULT_HOST_METRICS, periodMinutes: 1 },
    clock: t.clock,
    logger: createLogger({ service: 'test', sink: () => undefined }),
  });
  for (let m = 0; m < 60; m++) {
    if (m === 10)
      sim.setDesired('prod', 'general', 3, { cause: { kind: 'alarm', alarm: 'TargetTracking-general-AlarmLow', policy: 'cpu-40' } });
    if (m === 20) {
      sim.failLaunches(
        'prod',
        'general',
        'We currently do not have sufficient m6i.xlarge capacity in the Availability Zone you requested.',
      );
      sim.setDesired('prod', 'general', 4);
    }
    if (m === 32) sim.failLaunches('prod', 'general', undefined);
    const [run] = await collect();
    expect(run.failures).toEqual([]);
    t.clock.advance(MINUTE_MS);
  }
  const rollups = await store.rollups('prod', start, t.clock.now());
  expect(rollups).toHaveLength(60);
  const reported = rollups.flatMap((r) =>
    r.cloud!.scalingActivities.map((a) => `${a.description.split(':')[0]}|${a.status}|${a.activityId}`),
  );
  expect(new Set(reported).size).toBe(reported.length);
  const kinds = reported.map((r) => r.split('|').slice(0, 2).join('|'));
  expect(kinds.filter((k) => k === 'Terminating EC2 instance|Successful')).toHaveLength(1);
  expect(kinds.filter((k) => k.startsWith('Launching a new EC2 instance.  Status Reason|Failed'))).toHaveLength(3);
  expect(kinds.filter((k) => k === 'Launching a new EC2 instance|Successful')).toHaveLength(1);
  const scaleIn = rollups.flatMap((r) => r.cloud!.scalingActivities).find((a) => a.description.startsWith('Terminating'));
  expect(scaleIn?.cause).toContain(
    'a monitor alarm TargetTracking-general-AlarmLow in state ALARM triggered policy cpu-40 changing the desired capacity from 4 to 3',
  );

  // Every instance-period that CloudWatch published by the last read is stored, late points included.
  const nodes = await store.nodeMinutes('prod', start, start + 40 * MINUTE_MS);
  const karpenter = sim
    .hosts('prod')
    .filter((h) => h.nodeGroup === 'batch')
    .map((h) => h.instanceId);
  for (const id of karpenter) {
    const minutes = nodes.filter((n) => n.key === id && n.host?.minute === n.minute).map((n) => n.host!);
    expect(minutes.every((h) => h.periodMinutes === 1 && h.metrics.cpuPct !== undefined)).toBe(true);
    expect(minutes.length).toBeGreaterThanOrEqual(40);
  }
  const general = nodes.filter((n) => n.host && n.host.minute === n.minute && n.host.host.nodeGroup === 'general');
  expect(general.every((n) => n.host!.periodMinutes === 5 && n.host!.metrics.statusCheckFailed === 0)).toBe(true);
});

/** Copies what the simulated account's APIs answer now into `aws`, in the real APIs' shapes. */
async function mirror(sim: AwsAccount, cluster: string, aws: FakeAws): Promise<void> {
  const info = await sim.eks.describeCluster(cluster);
  aws.clusters.set(cluster, {
    name: info.name,
    status: info.status,
    version: info.version,
    platformVersion: info.platformVersion,
    health: { issues: [] },
  });
  const nodegroups = await Promise.all((await sim.eks.listNodegroups(cluster)).map((n) => sim.eks.describeNodegroup(cluster, n)));
  aws.nodegroups.set(
    cluster,
    nodegroups.map((n) => ({
      nodegroupName: n.name,
      clusterName: cluster,
      status: n.status as 'ACTIVE',
      capacityType: n.capacityType === 'spot' ? 'SPOT' : 'ON_DEMAND',
      scalingConfig: { minSize: n.scaling?.min, maxSize: n.scaling?.max, desiredSize: n.scaling?.desired },
      instanceTypes: [...(n.instanceTypes ?? [])],
      resources: { autoScalingGroups: n.autoScalingGroups.map((name) => ({ name })) },
      health: { issues: [] },
    })),
  );
  const groups = await sim.autoScaling.describeGroups({ clusterTag: cluster });
  aws.groups = groups.map(
    (g): SdkGroup =>
      asgOf({
        name: g.name,
        cluster,
        nodeGroup: g.eksNodeGroup,
        eksctl: g.eksNodeGroup ? undefined : g.nodeGroup,
        min: g.min,
        max: g.max,
        desired: g.desired,
        instances: g.instances.map((i) => [i.instanceId, i.lifecycleState, i.healthStatus] as const),
      }),
  );
  const managed = new Set(groups.filter((g) => g.eksNodeGroup).map((g) => g.name));
  aws.instances = (await sim.ec2.describeClusterInstances(cluster)).map(({ host: h, detailedMonitoring, nodePool }) =>
    instanceOf({
      id: h.instanceId,
      cluster,
      nodeGroup: h.autoScalingGroup && managed.has(h.autoScalingGroup) ? h.nodeGroup : undefined,
      asg: h.autoScalingGroup,
      nodePool,
      spot: h.capacityType === 'spot',
      state: h.state,
      detailed: detailedMonitoring,
      zone: h.zone,
      ip: h.privateIp,
      launch: h.launchTime,
      type: h.instanceType,
    }),
  );
  const activities = await Promise.all(groups.map((g) => sim.autoScaling.describeScalingActivities(g.name, 0)));
  aws.activities = activities.flat().map(
    (a): Activity => ({
      ActivityId: a.activityId,
      AutoScalingGroupName: a.autoScalingGroup,
      Cause: a.cause,
      Description: a.description,
      StartTime: new Date(a.startTime),
      EndTime: a.endTime === undefined ? undefined : new Date(a.endTime),
      StatusCode: a.status as Activity['StatusCode'],
      StatusMessage: a.statusMessage,
      Progress: a.endTime === undefined ? 30 : 100,
    }),
  );
  for (const metric of ['mem_used_percent', 'disk_used_percent']) {
    for (const dims of await sim.cloudWatch.listMetrics('CWAgent', metric)) {
      aws.agentMetrics.push({
        Namespace: 'CWAgent',
        MetricName: metric,
        Dimensions: Object.entries(dims).map(([Name, Value]) => ({ Name, Value })),
      });
    }
  }
}

test('the simulated account counts the calls, page by page, that the SDK adapters make against the same account', async () => {
  const sim = new SimulatedAccount({ clock: t.clock, seed: 7 });
  sim.addCluster({
    name: 'small',
    nodeGroups: [
      { name: 'general', instanceType: 'm6i.xlarge', size: { min: 1, max: 6, desired: 3 }, cloudWatchAgent: true },
      { name: 'legacy', kind: 'self-managed', instanceType: 'm5.large', size: { min: 1, max: 3, desired: 2 } },
      { name: 'burst', kind: 'karpenter', instanceType: 'c6i.2xlarge', capacityType: 'spot', size: { min: 0, max: 10, desired: 2 } },
    ],
  });
  // A scale-out a few minutes ago: activities to read, an instance still booting.
  sim.setDesired('small', 'general', 4, { cause: { kind: 'user' } });
  t.clock.advance(2 * MINUTE_MS);
  const aws = new FakeAws(API_PAGES);
  await mirror(sim.apis(new CallCounter()), 'small', aws);
  expect(aws.activities.length).toBeGreaterThan(0);

  const run = async (account: AwsAccountFor) => {
    const [r] = await createCollectorHandler({
      store: (await t.fresh(t.clock.now())).store(),
      clusters: [{ name: 'small' }],
      defaultRegion: 'eu-west-1',
      aws: account,
      hostMetrics: DEFAULT_HOST_METRICS,
      clock: t.clock,
      logger: createLogger({ service: 'test', sink: () => undefined }),
    })();
    return r;
  };
  const simulated = await run((_r, calls) => sim.apis(calls));
  const sdk = await run(sdkAccounts());
  aws.restore();
  expect(sdk.failures).toEqual([]);
  expect(simulated).toMatchObject({ metricsRead: true, failures: [] });
  expect(sdk.calls).toEqual(simulated.calls);
  expect(sdk.metricsRequested).toBe(simulated.metricsRequested);
});

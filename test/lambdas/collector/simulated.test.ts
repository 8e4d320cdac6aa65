/**
 * The collector over the simulated account for an hour of simulated time, as local mode runs it: the
 * cluster scales in on an alarm, a launch fails, CloudWatch points arrive late. Nothing is lost or repeated.
 */
import { createLogger } from '../../../common/log';
import { createCollectorHandler } from '../../../lambdas/collector/collector';
import { DEFAULT_HOST_METRICS } from '../../../lambdas/collector/config';
import { MINUTE_MS } from '../../../model/time';
import { SimulatedAccount } from '../../../sim/aws/account';
import { startTestStore, type TestStore } from '../../support/store';

let t: TestStore;
beforeAll(async () => {
  t = await startTestStore(undefined, Date.UTC(2026, 10, 23, 8, 0, 20));
});
afterAll(() => t.dynamo.close());

test('an hour: rollups every minute, host parts for every instance and period, each activity once per status', async () => {
  const start = t.clock.now();
  const sim = new SimulatedAccount({ clock: t.clock, cloudWatch: { lateShare: 0.2, lateMinutes: 7 } });
  sim.addCluster({
    name: 'prod',
    nodeGroups: [
      { name: 'general', instanceType: 'm6i.xlarge', size: { min: 2, max: 8, desired: 4 } },
      { name: 'batch', kind: 'karpenter', instanceType: 'c6i.2xlarge', capacityType: 'spot', size: { min: 0, max: 10, desired: 2 }, detailedMonitoring: true },
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
    if (m === 10) sim.setDesired('prod', 'general', 3, { cause: { kind: 'alarm', alarm: 'TargetTracking-general-AlarmLow', policy: 'cpu-40' } });
    if (m === 20) {
      sim.failLaunches('prod', 'general', 'We currently do not have sufficient m6i.xlarge capacity in the Availability Zone you requested.');
      sim.setDesired('prod', 'general', 4);
    }
    if (m === 32) sim.failLaunches('prod', 'general', undefined);
    const [run] = await collect();
    expect(run.failures).toEqual([]);
    t.clock.advance(MINUTE_MS);
  }
  const rollups = await store.rollups('prod', start, t.clock.now());
  expect(rollups).toHaveLength(60);
  const reported = rollups.flatMap((r) => r.cloud!.scalingActivities.map((a) => `${a.description.split(':')[0]}|${a.status}|${a.activityId}`));
  expect(new Set(reported).size).toBe(reported.length);
  const kinds = reported.map((r) => r.split('|').slice(0, 2).join('|'));
  expect(kinds.filter((k) => k === 'Terminating EC2 instance|Successful')).toHaveLength(1);
  expect(kinds.filter((k) => k.startsWith('Launching a new EC2 instance.  Status Reason|Failed'))).toHaveLength(3);
  expect(kinds.filter((k) => k === 'Launching a new EC2 instance|Successful')).toHaveLength(1);
  const scaleIn = rollups.flatMap((r) => r.cloud!.scalingActivities).find((a) => a.description.startsWith('Terminating'));
  expect(scaleIn?.cause).toContain('a monitor alarm TargetTracking-general-AlarmLow in state ALARM triggered policy cpu-40 changing the desired capacity from 4 to 3');

  // Every instance-period that CloudWatch published by the last read is stored, late points included.
  const nodes = await store.nodeMinutes('prod', start, start + 40 * MINUTE_MS);
  const karpenter = sim.hosts('prod').filter((h) => h.nodeGroup === 'batch').map((h) => h.instanceId);
  for (const id of karpenter) {
    const minutes = nodes.filter((n) => n.key === id && n.host?.minute === n.minute).map((n) => n.host!);
    expect(minutes.every((h) => h.periodMinutes === 1 && h.metrics.cpuPct !== undefined)).toBe(true);
    expect(minutes.length).toBeGreaterThanOrEqual(40);
  }
  const general = nodes.filter((n) => n.host && n.host.minute === n.minute && n.host.host.nodeGroup === 'general');
  expect(general.every((n) => n.host!.periodMinutes === 5 && n.host!.metrics.statusCheckFailed === 0)).toBe(true);
});

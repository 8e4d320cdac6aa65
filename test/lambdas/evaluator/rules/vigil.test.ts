import { useTestStore } from '../../../support/store';
import { harness, T0 } from '../harness';
import { run } from '../rules';
import { SteadyCluster } from '../../../../sim/steady-cluster';

const { dynamo } = useTestStore();

describe('agent-silent', () => {
  test('the agent pushes but nothing is stored: ingest is the suspect', () => {
    const s = new SteadyCluster({ nodes: 3 });
    const ctx = s.context(T0);
    const later = { ...ctx, now: ctx.now + 10 * 60_000, kube: undefined, heartbeat: { ...ctx.heartbeat!, lastSeen: ctx.now + 9 * 60_000 } };
    const [f] = run('agent-silent', later);
    expect(f.summary).toMatch(/is pushing, but no cluster data was stored since/);
    expect(f).toMatchObject({ severity: 'critical', evidence: { silenceSeconds: 630 } });
  });

  test('silent while data is fresh', () => {
    expect(run('agent-silent', new SteadyCluster({ nodes: 3 }).context(T0))).toEqual([]);
  });
});

describe('collector-failing', () => {
  test('failed AWS calls are named; the rules needing that service are held and muted; Kubernetes alerts go on', async () => {
    const h = await harness(dynamo, { nodes: 6, rules: { 'asg-capacity-shortfall': { for: '0' }, 'node-not-ready': { for: '0' } } });
    const g = h.steady.groups[0];
    h.steady.groups = h.steady.groups.map((x) => (x === g ? { ...x, desired: x.desired + 1 } : x));
    await h.tick(1);
    expect(h.publisher.of('asg-capacity-shortfall')).toHaveLength(1);
    h.steady.failures = [
      {
        operation: 'autoscaling:DescribeAutoScalingGroups',
        message:
          'User: arn:aws:sts::123456789012:assumed-role/vigil-collector/x is not authorized to perform: autoscaling:DescribeAutoScalingGroups',
      },
    ];
    h.steady.groups = [];
    const runs = await h.tick(4);
    expect(runs[runs.length - 1].blindRules).toEqual(expect.arrayContaining(['asg-capacity-shortfall', 'asg-activity-failed']));
    // The group disappeared from the data because the call failed: that is not a resolution.
    expect(h.publisher.of('asg-capacity-shortfall').map((c) => c.kind)).toEqual(['firing']);
    const [f] = h.publisher.of('collector-failing');
    expect(f).toMatchObject({ severity: 'critical', evidence: { operations: 'autoscaling:DescribeAutoScalingGroups' } });
    expect(f.summary).toMatch(/not authorized/);
    h.steady.setCondition(1, { type: 'Ready', status: 'False', since: h.nextTime });
    await h.tick(1);
    expect(h.publisher.of('node-not-ready')).toHaveLength(1);
  });

  test('a CloudWatch throttle holds and mutes the host rules only: an Auto Scaling alert still gets through', async () => {
    const h = await harness(dynamo, { nodes: 6, rules: { 'asg-capacity-shortfall': { for: '0' } } });
    h.steady.failures = [{ operation: 'cloudwatch:GetMetricData', message: 'Rate exceeded' }];
    const runs = await h.tick(4);
    expect(h.publisher.of('collector-failing').map((c) => c.kind)).toEqual(['firing']);
    expect(runs[3].blindRules).toEqual(expect.arrayContaining(['host-cpu-high', 'host-status-check-failed']));
    expect(runs[3].blindRules).not.toContain('asg-capacity-shortfall');
    h.steady.groups = h.steady.groups.map((x, i) => (i === 0 ? { ...x, desired: x.desired + 1 } : x));
    await h.tick(1);
    expect(h.publisher.of('asg-capacity-shortfall').map((c) => c.kind)).toEqual(['firing']);
  });

  test('a collector that stopped running', async () => {
    const h = await harness(dynamo, { nodes: 3 });
    await h.tick(1);
    h.steady.collectorAlive = false;
    await h.tick(9);
    expect(h.publisher.of('collector-failing')[0].summary).toMatch(/has not stored AWS data for cluster .* for \d+ min/);
  });
});

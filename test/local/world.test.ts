/**
 * The simulated world's happenings, one at a time: the world before and after each, as the agent (the
 * Kubernetes side) and the collector (the AWS APIs) would see it. Pure simulation, no servers.
 */
import { CallCounter } from '../../lambdas/aws/calls';
import type { MetricQuery } from '../../lambdas/aws/cloudwatch';
import { parseScenario, type ScenarioInput } from '../../local/scenario/format';
import { World } from '../../local/world';
import { MINUTE_MS, ManualClock } from '../../model/time';

const NODE = { cpu: '2', memory: '8Gi', pods: 29, disk: '80Gi' };

/** Three nodes of one managed group (with 1-minute CloudWatch data) and one workload, with `timeline`. */
function worldWith(timeline: ScenarioInput['timeline']) {
  const scenario = parseScenario({
    version: 1,
    name: 'world-test',
    description: 'A small cluster for one happening.',
    duration: '1h',
    cluster: {
      name: 'test',
      nodeGroups: [{ name: 'general', instanceType: 'm6i.large', size: { min: 1, max: 5, desired: 3 }, detailedMonitoring: true, node: NODE }],
      workloads: [
        {
          namespace: 'shop',
          name: 'web',
          replicas: 3,
          containers: [{ name: 'web', image: 'shop/web:1.0.0', requests: { cpu: '200m', memory: '512Mi' }, usage: { cpu: '100m', memory: '400Mi' } }],
        },
      ],
    },
    timeline,
    expect: { fire: [] },
  });
  const clock = new ManualClock(Date.parse(scenario.start));
  const world = new World(scenario, clock);
  let next = 0;
  return {
    world,
    aws: () => world.account.apis(new CallCounter()),
    /** Steps every minute up to and including minute `m`. */
    until(m: number): void {
      for (; next <= m; next++) {
        clock.set(world.start + next * MINUTE_MS);
        world.step();
      }
    },
    /** `t` minutes after the start. */
    at: (m: number) => world.start + m * MINUTE_MS,
  };
}

/** One instance's 1-minute `metric` points readable now, as minute offsets from the start and values. */
async function points(w: ReturnType<typeof worldWith>, instanceId: string, metricName: string, toMinute: number): Promise<[number, number][]> {
  const q: MetricQuery = { id: 'q', namespace: 'AWS/EC2', metricName, dimensions: { InstanceId: instanceId }, stat: 'Maximum', periodSeconds: 60 };
  const [s] = await w.aws().cloudWatch.getMetricData([q], w.at(0), w.at(toMinute));
  return s.points.map((p) => [(p.t - w.world.start) / MINUTE_MS, p.value]);
}

const instanceOf = (w: ReturnType<typeof worldWith>, ref: string) => {
  const index = Number(ref.split('/')[1]) - 1;
  return w.world.account.instancesOf('test', 'general')[index].instanceId;
};

test('node-condition sets the condition on the node, as node-problem-detector would', () => {
  const w = worldWith([{ at: '5m', do: 'node-condition', node: 'general/3', condition: 'KernelDeadlock', status: 'True', reason: 'DockerHung', message: 'task docker:7 blocked for more than 120 seconds' }]);
  w.until(4);
  const node = w.world.kube.node(w.world.nodeName('general/3'));
  expect(node.conditions.get('KernelDeadlock')).toBeUndefined();
  w.until(5);
  expect(node.conditions.get('KernelDeadlock')).toMatchObject({ status: 'True', reason: 'DockerHung', message: 'task docker:7 blocked for more than 120 seconds', since: w.at(5) });
  expect(w.world.notes.at(-1)).toEqual({ t: w.at(5), text: 'general/3: KernelDeadlock is True', kind: 'happening' });
});

test('kubelet-down: Ready turns Unknown with the unreachable taint and the kubelet stops answering, for its time', () => {
  const w = worldWith([{ at: '5m', do: 'kubelet-down', node: 'general/1', for: '5m' }]);
  w.until(4);
  const name = w.world.nodeName('general/1');
  const node = w.world.kube.node(name);
  expect([w.world.kubeletUp(name), node.conditions.get('Ready')?.status]).toEqual([true, 'True']);
  w.until(5);
  expect([w.world.kubeletUp(name), node.conditions.get('Ready')?.status, node.conditions.get('Ready')?.reason]).toEqual([false, 'Unknown', 'NodeStatusUnknown']);
  expect(node.taints.map((t) => t.key)).toContain('node.kubernetes.io/unreachable');
  w.until(9);
  expect(w.world.kubeletUp(name)).toBe(false);
  w.until(10);
  expect([w.world.kubeletUp(name), node.conditions.get('Ready')?.status]).toEqual([true, 'True']);
  expect(node.taints.map((t) => t.key)).not.toContain('node.kubernetes.io/unreachable');
  // The instance kept running all along: EC2 saw nothing.
  expect(w.world.account.hosts('test').every((h) => h.state === 'running')).toBe(true);
});

test('status-check-failed: CloudWatch reports the instance\'s failed check for its time, and only for that instance', async () => {
  const w = worldWith([{ at: '5m', do: 'status-check-failed', node: 'general/2', for: '10m' }]);
  w.until(30);
  const failing = await points(w, instanceOf(w, 'general/2'), 'StatusCheckFailed', 18);
  expect(failing).toEqual(Array.from({ length: 18 }, (_, m) => [m, m >= 5 && m < 15 ? 1 : 0]));
  expect((await points(w, instanceOf(w, 'general/2'), 'StatusCheckFailed_Instance', 18)).filter(([, v]) => v === 1)).toHaveLength(10);
  expect((await points(w, instanceOf(w, 'general/2'), 'StatusCheckFailed_System', 18)).every(([, v]) => v === 0)).toBe(true);
  expect((await points(w, instanceOf(w, 'general/1'), 'StatusCheckFailed', 18)).every(([, v]) => v === 0)).toBe(true);
  // The node itself stays Ready: the kubelet may not notice an impaired instance.
  expect(w.world.kube.node(w.world.nodeName('general/2')).conditions.get('Ready')?.status).toBe('True');
});

test('cloudwatch-delay: points of the delayed periods are readable only that much later; none is lost', async () => {
  const late = worldWith([{ at: '5m', do: 'cloudwatch-delay', for: '10m', delay: '20m' }]);
  const onTime = worldWith([]);
  for (const w of [late, onTime]) w.until(14);
  const id = (w: ReturnType<typeof worldWith>) => instanceOf(w, 'general/1');
  // At minute 14, 1-minute points arrive 2 minutes after their period (some 7 minutes later still).
  const minutes = async (w: ReturnType<typeof worldWith>) => (await points(w, id(w), 'CPUUtilization', 15)).map(([m]) => m);
  expect(await minutes(onTime)).toEqual(expect.arrayContaining([0, 1, 2, 3, 5]));
  expect(Math.max(...(await minutes(onTime)))).toBeGreaterThanOrEqual(10);
  // Delayed: nothing from the minute before the delay began.
  expect(await minutes(late)).toEqual([0, 1, 2, 3]);
  late.until(50);
  expect(await minutes(late)).toEqual(Array.from({ length: 15 }, (_, m) => m));
});

test('cordon marks the node unschedulable: new pods land elsewhere', () => {
  const w = worldWith([
    { at: '5m', do: 'cordon', node: 'general/1' },
    { at: '6m', do: 'replicas', workload: 'shop/web', replicas: 9 },
  ]);
  w.until(4);
  const name = w.world.nodeName('general/1');
  const node = w.world.kube.node(name);
  expect(node.unschedulable).toBe(false);
  const before = w.world.kube.podsOn(name).length;
  w.until(6);
  expect(node.unschedulable).toBe(true);
  expect(node.taints.map((t) => t.key)).toContain('node.kubernetes.io/unschedulable');
  expect(w.world.kube.podsOn(name)).toHaveLength(before);
  expect([...w.world.kube.podModels.values()].filter((p) => p.namespace === 'shop' && p.phase === 'Running')).toHaveLength(9);
});

test('scale-out launches instances at once; their nodes join when they are in service', () => {
  const w = worldWith([{ at: '5m', do: 'scale-out', nodeGroup: 'general', desired: 5 }]);
  w.until(4);
  expect([w.world.account.instancesOf('test', 'general').length, w.world.kube.nodeModels.size]).toEqual([3, 3]);
  w.until(5);
  expect([w.world.account.instancesOf('test', 'general').length, w.world.kube.nodeModels.size]).toEqual([5, 3]);
  w.until(7);
  expect(w.world.kube.nodeModels.size).toBe(5);
  expect(w.world.nodeRef(w.world.nodeName('general/5'))).toBe('general/5');
  expect(w.world.notes.filter((n) => n.text.startsWith('node ') && n.text.endsWith('joined (general)'))).toHaveLength(2);
});

test('cluster-status: EKS describes the cluster in the new status', async () => {
  const w = worldWith([{ at: '5m', do: 'cluster-status', status: 'FAILED' }]);
  w.until(4);
  expect((await w.aws().eks.describeCluster('test')).status).toBe('ACTIVE');
  w.until(5);
  expect((await w.aws().eks.describeCluster('test')).status).toBe('FAILED');
});

test('nodegroup-health: EKS reports the issue on the managed node group, which is DEGRADED', async () => {
  const w = worldWith([{ at: '5m', do: 'nodegroup-health', nodeGroup: 'general', code: 'AsgInstanceLaunchFailures', message: 'Could not launch On-Demand Instances.' }]);
  w.until(4);
  expect(await w.aws().eks.describeNodegroup('test', 'general')).toMatchObject({ status: 'ACTIVE', healthIssues: [] });
  w.until(5);
  expect(await w.aws().eks.describeNodegroup('test', 'general')).toMatchObject({
    status: 'DEGRADED',
    healthIssues: [{ code: 'AsgInstanceLaunchFailures', message: 'Could not launch On-Demand Instances.' }],
  });
});

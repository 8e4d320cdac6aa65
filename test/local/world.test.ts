/**
 * The simulated world's happenings, one at a time: the world before and after each, as the agent (the
 * Kubernetes side) and the collector (the AWS APIs) would see it. Pure simulation, no servers.
 */
import { CallCounter } from '../../lambdas/aws/calls';
import { parseCfs } from '../../agent/kubelet/cadvisor';
import { cadvisorBody } from '../../sim/kube/cadvisor';
import type { MetricQuery } from '../../lambdas/aws/cloudwatch';
import { parseScenario, type ScenarioInput } from '../../local/scenario/format';
import { World } from '../../local/world';
import { MINUTE_MS, ManualClock } from '../../model/time';
import type { PodModel } from '../../sim/kube/cluster';
import { validateObject } from '../sim/kube/k8s-schema';

const NODE = { cpu: '2', memory: '8Gi', pods: 29, disk: '80Gi' };

/** Three nodes of one managed group (with 1-minute CloudWatch data) and one workload, with `timeline`; or `cluster`. */
function worldWith(timeline: ScenarioInput['timeline'], cluster: Partial<ScenarioInput['cluster']> = {}) {
  const scenario = parseScenario({
    version: 1,
    name: 'world-test',
    description: 'A small cluster for one happening.',
    duration: '1h',
    cluster: {
      name: 'test',
      nodeGroups: [
        { name: 'general', instanceType: 'm6i.large', size: { min: 1, max: 5, desired: 3 }, detailedMonitoring: true, node: NODE },
      ],
      workloads: [
        {
          namespace: 'shop',
          name: 'web',
          replicas: 3,
          containers: [
            { name: 'web', image: 'shop/web:1.0.0', requests: { cpu: '200m', memory: '512Mi' }, usage: { cpu: '100m', memory: '400Mi' } },
          ],
        },
      ],
      ...cluster,
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
async function points(
  w: ReturnType<typeof worldWith>,
  instanceId: string,
  metricName: string,
  toMinute: number,
): Promise<[number, number][]> {
  const q: MetricQuery = {
    id: 'q',
    namespace: 'AWS/EC2',
    metricName,
    dimensions: { InstanceId: instanceId },
    stat: 'Maximum',
    periodSeconds: 60,
  };
  const [s] = await w.aws().cloudWatch.getMetricData([q], w.at(0), w.at(toMinute));
  return s.points.map((p) => [(p.t - w.world.start) / MINUTE_MS, p.value]);
}

const instanceOf = (w: ReturnType<typeof worldWith>, ref: string) => {
  const index = Number(ref.split('/')[1]) - 1;
  return w.world.account.instancesOf('test', 'general')[index].instanceId;
};

test('node-condition sets the condition on the node, as node-problem-detector would', () => {
  const w = worldWith([
    {
      at: '5m',
      do: 'node-condition',
      node: 'general/3',
      condition: 'KernelDeadlock',
      status: 'True',
      reason: 'DockerHung',
      message: 'task docker:7 blocked for more than 120 seconds',
    },
  ]);
  w.until(4);
  const node = w.world.kube.node(w.world.nodeName('general/3'));
  expect(node.conditions.get('KernelDeadlock')).toBeUndefined();
  w.until(5);
  expect(node.conditions.get('KernelDeadlock')).toMatchObject({
    status: 'True',
    reason: 'DockerHung',
    message: 'task docker:7 blocked for more than 120 seconds',
    since: w.at(5),
  });
  expect(w.world.notes.at(-1)).toEqual({ t: w.at(5), text: 'general/3: KernelDeadlock is True', kind: 'happening' });
});

test('kubelet-down: Ready turns Unknown with the unreachable taint and the kubelet stops answering, for its time', () => {
  const w = worldWith([{ at: '5m', do: 'kubelet-down', node: 'general/1', for: '5m' }]);
  w.until(4);
  const name = w.world.nodeName('general/1');
  const node = w.world.kube.node(name);
  expect([w.world.kubeletUp(name), node.conditions.get('Ready')?.status]).toEqual([true, 'True']);
  w.until(5);
  expect([w.world.kubeletUp(name), node.conditions.get('Ready')?.status, node.conditions.get('Ready')?.reason]).toEqual([
    false,
    'Unknown',
    'NodeStatusUnknown',
  ]);
  expect(node.taints.map((t) => t.key)).toContain('node.kubernetes.io/unreachable');
  w.until(9);
  expect(w.world.kubeletUp(name)).toBe(false);
  w.until(10);
  expect([w.world.kubeletUp(name), node.conditions.get('Ready')?.status]).toEqual([true, 'True']);
  expect(node.taints.map((t) => t.key)).not.toContain('node.kubernetes.io/unreachable');
  // The instance kept running all along: EC2 saw nothing.
  expect(w.world.account.hosts('test').every((h) => h.state === 'running')).toBe(true);
});

test("status-check-failed: CloudWatch reports the instance's failed check for its time, and only for that instance", async () => {
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
  const w = worldWith([
    {
      at: '5m',
      do: 'nodegroup-health',
      nodeGroup: 'general',
      code: 'AsgInstanceLaunchFailures',
      message: 'Could not launch On-Demand Instances.',
    },
  ]);
  w.until(4);
  expect(await w.aws().eks.describeNodegroup('test', 'general')).toMatchObject({ status: 'ACTIVE', healthIssues: [] });
  w.until(5);
  expect(await w.aws().eks.describeNodegroup('test', 'general')).toMatchObject({
    status: 'DEGRADED',
    healthIssues: [{ code: 'AsgInstanceLaunchFailures', message: 'Could not launch On-Demand Instances.' }],
  });
});

const web = (w: ReturnType<typeof worldWith>, filter: (p: PodModel) => boolean = () => true) =>
  [...w.world.kube.podModels.values()].filter((p) => p.namespace === 'shop' && filter(p));
const running = (p: PodModel) => p.phase === 'Running' && p.node !== undefined;
const activityCauses = async (w: ReturnType<typeof worldWith>) => {
  const [group] = await w.aws().autoScaling.describeGroups({ clusterTag: 'test' });
  return (await w.aws().autoScaling.describeScalingActivities(group.name, w.at(0))).map((a) => a.cause);
};

test('terminate-instance by Spot interruption: two minutes of notice, then NotReady, then the node is gone and a replacement joins', () => {
  const w = worldWith([{ at: '5m', do: 'terminate-instance', nodes: ['general/2'], cause: 'spot-interruption' }]);
  w.until(5);
  const name = w.world.nodeName('general/2');
  const ready = () => w.world.kube.nodeModels.get(name)?.conditions.get('Ready')?.status;
  w.until(6);
  expect(ready()).toBe('True');
  w.until(7);
  expect(w.world.account.hosts('test').find((h) => h.instanceId === instanceOf(w, 'general/2'))?.state).toBe('shutting-down');
  expect(ready()).toBe('Unknown');
  expect(w.world.kubeletUp(name)).toBe(false);
  w.until(9);
  expect(w.world.kube.nodeModels.has(name)).toBe(false);
  expect(web(w, running)).toHaveLength(3);
  w.until(12);
  expect(w.world.kube.nodeModels.size).toBe(3);
  expect(w.world.notes.map((n) => n.text)).toEqual(expect.arrayContaining([expect.stringMatching(/is terminated: spot-interruption$/)]));
});

test('scale-in names every instance it terminates, and says why: a schedule, a person, Cluster Autoscaler after its drain', async () => {
  const scheduled = worldWith([
    { at: '5m', do: 'scale-in', nodeGroup: 'general', desired: 1, cause: 'scheduled', nodes: ['general/1', 'general/3'] },
  ]);
  scheduled.until(4);
  const [first, , third] = ['general/1', 'general/2', 'general/3'].map((r) => instanceOf(scheduled, r));
  scheduled.until(5);
  const going = scheduled.world.account
    .hosts('test')
    .filter((h) => h.state !== 'running')
    .map((h) => h.instanceId);
  expect(going.sort()).toEqual([first, third].sort());
  expect((await activityCauses(scheduled)).filter((c) => c.includes('scheduled action'))).toHaveLength(2);

  const ca = worldWith([{ at: '5m', do: 'scale-in', nodeGroup: 'general', desired: 2, cause: 'cluster-autoscaler', nodes: ['general/1'] }]);
  ca.until(5);
  const victim = instanceOf(ca, 'general/1');
  const name = ca.world.nodeName('general/1');
  // Drained first: tainted ToBeDeletedByClusterAutoscaler (not cordoned), its pods recreated elsewhere, then terminated by a request naming it.
  expect(ca.world.kube.node(name).taints).toContainEqual({ key: 'ToBeDeletedByClusterAutoscaler', effect: 'NoSchedule' });
  expect(ca.world.kube.node(name).unschedulable).toBe(false);
  expect(ca.world.kube.podsOn(name).filter((p) => p.namespace === 'shop')).toEqual([]);
  expect(await activityCauses(ca)).toContainEqual(
    expect.stringMatching(
      new RegExp(`instance ${victim} was taken out of service in response to a user request, shrinking the capacity from 3 to 2\\.$`),
    ),
  );
});

const pinned = {
  nodeGroups: [
    { name: 'general', instanceType: 'm6i.large', size: { min: 1, max: 5, desired: 2 }, node: NODE },
    {
      name: 'db',
      instanceType: 'r6i.large',
      size: { min: 1, max: 3, desired: 2 },
      node: NODE,
      labels: { tier: 'data' },
      taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' as const }],
    },
  ],
  workloads: [
    {
      namespace: 'shop',
      name: 'web',
      replicas: 4,
      disruptionBudget: { minAvailable: 3 },
      containers: [
        { name: 'web', image: 'shop/web:1.0.0', requests: { cpu: '200m', memory: '512Mi' }, usage: { cpu: '100m', memory: '400Mi' } },
      ],
    },
    {
      namespace: 'shop',
      name: 'pg',
      kind: 'StatefulSet' as const,
      replicas: 2,
      nodeSelector: { tier: 'data' },
      nodeAffinity: { nodeGroups: ['db'] },
      tolerations: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' as const }],
      containers: [{ name: 'pg', image: 'postgres:17', requests: { cpu: '500m', memory: '5Gi' }, usage: { cpu: '300m', memory: '4Gi' } }],
    },
  ],
};

test('placement: pods land only where their selector, affinity and tolerations allow; the pod objects say so', () => {
  const w = worldWith([], pinned);
  w.until(0);
  const db = ['db/1', 'db/2'].map((r) => w.world.nodeName(r));
  const pg = web(w, (p) => p.name.startsWith('pg-'));
  expect(pg.map((p) => db.includes(p.node ?? ''))).toEqual([true, true]);
  expect(web(w, (p) => p.name.startsWith('web-')).every((p) => !db.includes(p.node ?? ''))).toBe(true);
  const obj = w.world.kube.get('pods', `shop/${pg[0].name}`)!;
  validateObject(obj);
  expect(obj.spec).toMatchObject({
    nodeSelector: { tier: 'data' },
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'eks.amazonaws.com/nodegroup', operator: 'In', values: ['db'] }] }],
        },
      },
    },
    tolerations: expect.arrayContaining([{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }]),
  });
});

test('drain evicts within PodDisruptionBudgets, a minute at a time; a pinned pod with nowhere to go stays Pending; uncordon', () => {
  const w = worldWith(
    [
      { at: '5m', do: 'drain', node: 'general/1' },
      { at: '10m', do: 'drain', node: 'db/1' },
      { at: '20m', do: 'uncordon', node: 'general/1' },
    ],
    pinned,
  );
  w.until(4);
  const node = w.world.nodeName('general/1');
  const onNode = () => w.world.kube.podsOn(node).filter((p) => p.name.startsWith('web-'));
  const before = onNode().length;
  expect(before).toBe(2);
  w.until(5);
  // minAvailable 3 of 4: one web pod may go now, the other when its replacement has been ready a while.
  expect(onNode()).toHaveLength(1);
  w.until(6);
  expect(onNode()).toHaveLength(0);
  expect(web(w, (p) => p.name.startsWith('web-') && running(p))).toHaveLength(4);
  w.until(10);
  const pending = web(w, (p) => p.name.startsWith('pg-') && !p.node);
  expect(pending).toHaveLength(1);
  expect(pending[0].unschedulable?.message).toMatch(/node\(s\) didn't match Pod's node affinity\/selector/);
  expect(pending[0].unschedulable?.message).toMatch(/node\(s\) were unschedulable/);
  w.until(20);
  expect(w.world.kube.node(node).unschedulable).toBe(false);
});

test('an unreachable node: after the 300 s toleration its Deployment pods are replaced, its StatefulSet pod stays Terminating', () => {
  const w = worldWith(
    [
      { at: '5m', do: 'kubelet-down', node: 'db/1', for: '20m' },
      { at: '5m', do: 'kubelet-down', node: 'general/1', for: '20m' },
    ],
    pinned,
  );
  w.until(5);
  const db = w.world.nodeName('db/1');
  const general = w.world.nodeName('general/1');
  const stuck = w.world.kube.podsOn(db).find((p) => p.name.startsWith('pg-'))!;
  const gone = w.world.kube.podsOn(general).filter((p) => p.name.startsWith('web-'));
  expect(w.world.kube.node(db).taints).toEqual(expect.arrayContaining([{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }]));
  w.until(9);
  expect(stuck.deletingSince).toBeUndefined();
  expect(w.world.kube.get('pods', `shop/${stuck.name}`)!.status).toMatchObject({
    conditions: expect.arrayContaining([expect.objectContaining({ type: 'Ready', status: 'False' })]),
  });
  w.until(10);
  expect(stuck.deletingSince).toBe(w.at(10));
  const obj = w.world.kube.get('pods', `shop/${stuck.name}`)!;
  validateObject(obj);
  expect((obj.metadata as { deletionTimestamp?: string }).deletionTimestamp).toBeDefined();
  // No second pg-N: the StatefulSet waits for the name. The web pods were replaced on general/2.
  expect(web(w, (p) => p.name.startsWith('pg-'))).toHaveLength(2);
  expect(gone.every((p) => p.deletingSince === w.at(10))).toBe(true);
  expect(web(w, (p) => p.name.startsWith('web-') && p.deletingSince === undefined && running(p))).toHaveLength(4);
  w.until(25);
  // The kubelet is back: it confirms the deletion and the StatefulSet recreates its pod.
  expect(w.world.kube.podModels.get(`shop/${stuck.name}`)?.deletingSince).toBeUndefined();
});

test('pods writing log files fill the node until DiskPressure, and the kubelet evicts the biggest by ephemeral storage', () => {
  const w = worldWith([{ at: '5m', do: 'disk-fill', source: 'logs', workload: 'shop/web', rate: '2Gi/m' }], {
    nodeGroups: [{ name: 'general', instanceType: 'm6i.large', size: { min: 1, max: 5, desired: 1 }, node: { ...NODE, disk: '40Gi' } }],
  });
  w.until(4);
  const node = w.world.kube.node(w.world.nodeName('general/1'));
  expect(node.conditions.get('DiskPressure')?.status).toBe('False');
  w.until(30);
  expect(node.conditions.get('DiskPressure')?.status).toBe('True');
  const evicted = web(w, (p) => p.reason === 'Evicted');
  expect(evicted.length).toBeGreaterThan(0);
  expect(evicted[0].message).toMatch(
    /^The node was low on resource: ephemeral-storage\. Threshold quantity: 4Gi, available: \d+Ki\. Container web was using \d+Ki, request is 0, has larger consumption of ephemeral-storage\. $/,
  );
});

test('a pod over its ephemeral-storage limit is evicted on its own', () => {
  const w = worldWith([{ at: '5m', do: 'disk-fill', source: 'emptyDir', workload: 'shop/web', rate: '300Mi/m' }], {
    workloads: [
      {
        namespace: 'shop',
        name: 'web',
        replicas: 1,
        containers: [{ name: 'web', image: 'shop/web:1', limits: { 'ephemeral-storage': '1Gi' }, usage: { cpu: '100m', memory: '100Mi' } }],
      },
    ],
  });
  w.until(9);
  expect(web(w, (p) => p.reason === 'Evicted').map((p) => p.message)).toEqual([
    'Pod ephemeral local storage usage exceeds the total limit of containers 1Gi. ',
  ]);
  expect(web(w, running)).toHaveLength(1);
});

test("a container wanting more CPU than its limit is throttled to it, and its kubelet's cAdvisor counts the throttled periods", () => {
  const w = worldWith([{ at: '5m', do: 'usage', workload: 'shop/web', cpu: '1500m' }], {
    workloads: [
      {
        namespace: 'shop',
        name: 'web',
        replicas: 1,
        containers: [{ name: 'web', image: 'shop/web:1', limits: { cpu: '500m' }, usage: { cpu: '300m', memory: '100Mi' } }],
      },
    ],
  });
  const counters = () => {
    const pod = web(w)[0];
    const cfs = parseCfs(cadvisorBody(w.world.kube, pod.node!) ?? '');
    return [...cfs.values()].find((c) => c.pod === pod.name && c.container === 'web');
  };
  w.until(4);
  const before = counters();
  w.until(5);
  expect(web(w)[0].containers[0].cpu.rate).toBe(500);
  const at5 = counters();
  w.until(6);
  const after = counters();
  // Under the limit: 600 periods a minute, none throttled; over it: every period, 2/3 of each waited by 2 threads.
  expect([at5!.periods! - before!.periods!, at5!.throttledPeriods! - before!.throttledPeriods!]).toEqual([600, 0]);
  expect([after!.periods! - at5!.periods!, after!.throttledPeriods! - at5!.throttledPeriods!]).toEqual([600, 600]);
  expect(after!.throttledSeconds! - at5!.throttledSeconds!).toBeCloseTo(80, 3);
});

test('a happening affects the StatefulSet replica it names', () => {
  const w = worldWith([{ at: '5m', do: 'memory-leak', workload: 'shop/pg', rate: '100Mi/m', pods: ['pg-1'] }], pinned);
  w.until(15);
  const mem = (name: string) => w.world.kube.podModels.get(`shop/${name}`)!.containers[0].usage.memoryWorkingSetBytes / 1024 ** 2;
  expect(mem('pg-0')).toBe(4096);
  expect(mem('pg-1')).toBe(4096 + 11 * 100);
});

test('memory exhaustion: the kubelet evicts at its threshold, the kernel kills only what grows past it between two checks, and the node keeps answering', () => {
  const exhaust = (memory: string) => {
    const w = worldWith([{ at: '5m', do: 'usage', workload: 'shop/cart', memory }], {
      nodeGroups: [{ name: 'general', instanceType: 'm6i.large', size: { min: 1, max: 5, desired: 1 }, node: NODE }],
      workloads: [
        {
          namespace: 'shop',
          name: 'cart',
          replicas: 3,
          containers: [{ name: 'cart', image: 'shop/cart:1', usage: { cpu: '50m', memory: '1500Mi' } }],
        },
      ],
    });
    w.until(6);
    const name = w.world.nodeName('general/1');
    const node = w.world.kube.node(name);
    return {
      pressure: node.conditions.get('MemoryPressure')?.status,
      evicted: web(w, (p) => p.reason === 'Evicted').length,
      kernelKills: w.world.notes.filter((n) => n.text.includes('the kernel OOM-kills')).length,
      answering: w.world.kubeletUp(name) && node.conditions.get('Ready')?.status === 'True',
    };
  };
  // 8Gi - 600Mi for the system - 3 × 2510Mi = 62Mi available: under the 100Mi threshold, above zero.
  expect(exhaust('2510Mi')).toEqual({ pressure: 'True', evicted: 1, kernelKills: 0, answering: true });
  // 3 × 2600Mi is more than the node has: the kernel kills the largest oom_score first, which frees enough.
  expect(exhaust('2600Mi')).toEqual({ pressure: 'False', evicted: 0, kernelKills: 1, answering: true });
});

const eight = {
  workloads: [
    {
      namespace: 'shop',
      name: 'web',
      replicas: 8,
      containers: [
        { name: 'web', image: 'shop/web:1.0.0', requests: { cpu: '100m', memory: '256Mi' }, usage: { cpu: '50m', memory: '200Mi' } },
      ],
    },
  ],
};
const images = (w: ReturnType<typeof worldWith>) =>
  web(w, (p) => p.phase !== 'Failed')
    .map((p) => `${p.containers[0].spec.image}${podReadyText(p)}`)
    .sort();
const podReadyText = (p: PodModel) => (p.containers.every((c) => c.ready) ? '' : ' (not ready)');

test('a healthy rollout moves a Deployment to a new ReplicaSet at maxSurge/maxUnavailable 25%, never below 6 of 8 ready', () => {
  const w = worldWith([{ at: '5m', do: 'rollout', workload: 'shop/web', image: 'shop/web:1.1.0' }], eight);
  w.until(4);
  const rsBefore = w.world.kube.list('replicasets').map((r) => (r.metadata as { name: string }).name);
  for (let m = 5; m <= 12; m++) {
    w.until(m);
    const ready = web(w, (p) => running(p) && p.containers.every((c) => c.ready)).length;
    expect(ready).toBeGreaterThanOrEqual(6);
    expect(web(w, (p) => p.phase !== 'Failed').length).toBeLessThanOrEqual(10);
  }
  expect(images(w)).toEqual(Array(8).fill('shop/web:1.1.0'));
  const rs = w.world.kube.list('replicasets');
  expect(rs).toHaveLength(rsBefore.length + 1);
  for (const o of rs) validateObject(o);
  expect(w.world.kube.get('deployments', 'shop/web')!.metadata).toMatchObject({
    annotations: { 'deployment.kubernetes.io/revision': '2' },
    generation: 2,
  });
});

test('a rollout whose new version crash-loops stalls with the old pods serving; a rollback returns to the old ReplicaSet', () => {
  const w = worldWith(
    [
      { at: '5m', do: 'rollout', workload: 'shop/web', image: 'shop/web:1.1.0', outcome: 'crash-loop' },
      { at: '20m', do: 'rollback', workload: 'shop/web' },
    ],
    eight,
  );
  w.until(19);
  // Six old pods keep serving (maxUnavailable 2 of 8); the new ones stop at ten pods in all (maxSurge 2), none ready.
  expect(images(w)).toEqual([...Array(6).fill('shop/web:1.0.0'), ...Array(4).fill('shop/web:1.1.0 (not ready)')]);
  expect(
    web(w, (p) => p.containers[0].spec.image === 'shop/web:1.1.0').every((p) => p.containers[0].waiting?.reason === 'CrashLoopBackOff'),
  ).toBe(true);
  const hashes = new Set(w.world.kube.list('replicasets').map((r) => (r.metadata as { name: string }).name));
  w.until(25);
  expect(images(w)).toEqual(Array(8).fill('shop/web:1.0.0'));
  // Rolled back onto the earlier ReplicaSet: no third one.
  expect(new Set(w.world.kube.list('replicasets').map((r) => (r.metadata as { name: string }).name))).toEqual(hashes);
  expect(w.world.kube.get('deployments', 'shop/web')!.metadata).toMatchObject({
    annotations: { 'deployment.kubernetes.io/revision': '3' },
  });
});

test('a DaemonSet rollout that cannot pull its image stops after the first node (maxUnavailable 1)', () => {
  const w = worldWith([{ at: '5m', do: 'rollout', workload: 'logging/agent', image: 'logging/agent:9.9', outcome: 'ImagePullBackOff' }], {
    workloads: [
      {
        namespace: 'logging',
        name: 'agent',
        kind: 'DaemonSet',
        containers: [{ name: 'agent', image: 'logging/agent:9.8', usage: { cpu: '10m', memory: '50Mi' } }],
      },
    ],
  });
  w.until(15);
  const pods = [...w.world.kube.podModels.values()].filter((p) => p.namespace === 'logging');
  expect(pods.map((p) => `${p.containers[0].spec.image} ${p.containers[0].waiting?.reason ?? 'running'}`).sort()).toEqual([
    'logging/agent:9.8 running',
    'logging/agent:9.8 running',
    'logging/agent:9.9 ImagePullBackOff',
  ]);
  expect(w.world.kube.get('daemonsets', 'logging/agent')!.status).toMatchObject({ updatedNumberScheduled: 1, numberUnavailable: 1 });
});

test("a DaemonSet rolled out with maxUnavailable 100% replaces every node's pod at once, and a crash-looping version then fails everywhere", () => {
  const w = worldWith(
    [{ at: '5m', do: 'rollout', workload: 'logging/agent', image: 'logging/agent:9.9', outcome: 'crash-loop', maxUnavailable: '100%' }],
    {
      workloads: [
        {
          namespace: 'logging',
          name: 'agent',
          kind: 'DaemonSet',
          containers: [{ name: 'agent', image: 'logging/agent:9.8', usage: { cpu: '10m', memory: '50Mi' } }],
        },
      ],
    },
  );
  w.until(8);
  const pods = [...w.world.kube.podModels.values()].filter((p) => p.namespace === 'logging');
  expect(pods.map((p) => `${p.containers[0].spec.image} ${p.containers[0].waiting?.reason ?? 'running'}`)).toEqual(
    Array(3).fill('logging/agent:9.9 CrashLoopBackOff'),
  );
});

/** Karpenter's events on a node, as the API server lists them: reason, type, message. */
const nodeEvents = (w: ReturnType<typeof worldWith>, node: string) =>
  w.world.kube
    .list('events')
    .map((e) => e as { involvedObject: { name: string }; reason: string; type: string; message: string })
    .filter((e) => e.involvedObject.name === node)
    .map((e) => `${e.type} ${e.reason}: ${e.message}`);

const pool = (kind: 'karpenter' | 'auto-mode', capacityType: 'on-demand' | 'spot' = 'on-demand') => ({
  nodeGroups: [{ name: 'default', kind, capacityType, instanceType: 'm6i.large', size: { min: 0, max: 5, desired: 3 }, node: NODE }],
});
const poolInstance = (w: ReturnType<typeof worldWith>, ref: string) =>
  w.world.account.instancesOf('test', 'default')[Number(ref.split('/')[1]) - 1].instanceId;

test('karpenter-disruption: the node is tainted karpenter.sh/disrupted, DisruptionTerminating says why, it is drained within PodDisruptionBudgets, then deleted without a replacement', () => {
  const w = worldWith([{ at: '5m', do: 'karpenter-disruption', nodes: ['default/2'], reason: 'Underutilized' }], pool('karpenter'));
  w.until(4);
  const name = w.world.nodeName('default/2');
  expect(w.world.kube.node(name).spec.nodePool).toBe('default');
  w.until(5);
  expect(w.world.kube.node(name).taints).toContainEqual({ key: 'karpenter.sh/disrupted', effect: 'NoSchedule' });
  expect(w.world.kube.node(name).unschedulable).toBe(false);
  expect(nodeEvents(w, name)).toContain('Normal DisruptionTerminating: Disrupting Node: Underutilized');
  w.until(12);
  expect(w.world.kube.nodeModels.has(name)).toBe(false);
  expect(w.world.kube.nodeModels.size).toBe(2);
  expect(web(w, running)).toHaveLength(3);
});

test('a Spot notice on a Karpenter NodePool: Karpenter taints, records SpotInterrupted and drains at the notice; the instance goes two minutes later and a replacement joins', () => {
  const w = worldWith(
    [{ at: '5m', do: 'terminate-instance', nodes: ['default/1'], cause: 'spot-interruption' }],
    pool('karpenter', 'spot'),
  );
  w.until(4);
  const name = w.world.nodeName('default/1');
  w.until(5);
  expect(w.world.kube.node(name).taints).toContainEqual({ key: 'karpenter.sh/disrupted', effect: 'NoSchedule' });
  expect(nodeEvents(w, name)).toContain('Warning SpotInterrupted: Spot interruption warning was triggered');
  expect(w.world.kube.podsOn(name).filter((p) => p.namespace === 'shop')).toEqual([]);
  w.until(9);
  expect(w.world.kube.nodeModels.has(name)).toBe(false);
  w.until(13);
  expect(w.world.kube.nodeModels.size).toBe(3);
});

test('EKS Auto Mode: nodes labelled compute-type auto; node-repair taints the node, terminates its instance without a drain, and the NodePool replaces it', () => {
  const w = worldWith([{ at: '5m', do: 'node-repair', node: 'default/3' }], pool('auto-mode'));
  w.until(4);
  const name = w.world.nodeName('default/3');
  const labels = w.world.kube.nodeLabels(w.world.kube.node(name));
  expect(labels).toMatchObject({ 'eks.amazonaws.com/compute-type': 'auto', 'karpenter.sh/nodepool': 'default' });
  const instance = poolInstance(w, 'default/3');
  w.until(5);
  expect(w.world.kube.node(name).taints).toContainEqual({ key: 'karpenter.sh/disrupted', effect: 'NoSchedule' });
  expect(w.world.account.hosts('test').find((h) => h.instanceId === instance)?.state).not.toBe('running');
  w.until(14);
  expect(w.world.kube.nodeModels.has(name)).toBe(false);
  expect(w.world.kube.nodeModels.size).toBe(3);
  expect(() => worldWith([{ at: '1m', do: 'node-repair', node: 'general/1' }]).until(1)).toThrow(
    'node-repair: general/1 is not a node of a Karpenter or EKS Auto Mode NodePool',
  );
});

test("a Karpenter NodePool at its limits (its size's max): Karpenter says so on each Pending pod it could take, every minute it tries", () => {
  const w = worldWith([{ at: '2m', do: 'replicas', workload: 'shop/web', replicas: 30 }], {
    nodeGroups: [{ name: 'default', kind: 'karpenter', instanceType: 'm6i.large', size: { min: 0, max: 3, desired: 3 }, node: NODE }],
  });
  w.until(4);
  const pending = web(w, (p) => p.phase === 'Pending' && !p.node);
  expect(pending.length).toBeGreaterThan(0);
  const said = w.world.kube
    .list('events')
    .map((e) => e as { involvedObject: { name: string }; reason: string; type: string; message: string; count: number })
    .filter(
      (e) =>
        e.involvedObject.name === pending[0].name &&
        e.reason === 'FailedScheduling' &&
        e.type === 'Warning' &&
        e.message.includes('exceed limits for nodepool "default"'),
    );
  expect(said).toHaveLength(1);
  expect(said[0].count).toBeGreaterThanOrEqual(2);
});

type Claim = {
  metadata: { name: string; labels: Record<string, string> };
  status: { nodeName?: string; providerID?: string; conditions: { type: string; status: string; reason: string }[] };
};
const claims = (w: ReturnType<typeof worldWith>) => w.world.kube.list('nodeclaims') as unknown as Claim[];
const condition = (c: Claim, type: string) => c.status.conditions.find((x) => x.type === type)?.status;

test("Karpenter's resources: a world with a NodePool serves karpenter.sh/v1, a Ready NodeClaim per node (EKS Auto Mode's NodeClass for auto-mode), valid against the CRD schema; a world without serves none", () => {
  const w = worldWith([], pool('auto-mode'));
  w.until(1);
  expect(w.world.kube.servesKarpenter).toBe(true);
  const [np] = w.world.kube.list('nodepools') as {
    spec: { template: { spec: { nodeClassRef: unknown } } };
    status: { resources: Record<string, string> };
  }[];
  expect(np.spec.template.spec.nodeClassRef).toEqual({ group: 'eks.amazonaws.com', kind: 'NodeClass', name: 'default' });
  expect(np.status.resources.nodes).toBe('3');
  expect(
    claims(w)
      .map((c) => c.status.nodeName)
      .sort(),
  ).toEqual([...w.world.kube.nodeModels.keys()].sort());
  expect(claims(w).every((c) => c.metadata.labels['karpenter.sh/nodepool'] === 'default' && condition(c, 'Ready') === 'True')).toBe(true);
  for (const r of ['nodepools', 'nodeclaims'] as const) for (const o of w.world.kube.list(r)) validateObject(o, `${r}: `);
  const plain = worldWith([]);
  plain.until(1);
  expect(plain.world.kube.servesKarpenter).toBe(false);
});

test('karpenter-launch-failure: while pods are Pending each NodeClaim fails with insufficient capacity and is deleted (its Warning event stays); afterwards Karpenter launches nodes for them', () => {
  const w = worldWith(
    [
      { at: '2m', do: 'karpenter-launch-failure', nodePool: 'default', failure: 'insufficient-capacity', for: '10m' },
      { at: '2m', do: 'replicas', workload: 'shop/web', replicas: 30 },
    ],
    pool('karpenter'),
  );
  w.until(8);
  const ice = w.world.kube
    .list('events')
    .map((e) => e as { involvedObject: { kind: string; name: string }; reason: string; type: string; message: string })
    .filter((e) => e.reason === 'InsufficientCapacityError');
  expect(ice.length).toBeGreaterThanOrEqual(5);
  expect(
    ice.every(
      (e) =>
        e.type === 'Warning' &&
        e.involvedObject.kind === 'NodeClaim' &&
        e.involvedObject.name.startsWith('default-') &&
        e.message.includes('InsufficientInstanceCapacity'),
    ),
  ).toBe(true);
  // Deleted at once: only the nodes' NodeClaims remain.
  expect(claims(w)).toHaveLength(3);
  expect(w.world.kube.nodeModels.size).toBe(3);
  w.until(20);
  expect(w.world.kube.nodeModels.size).toBeGreaterThan(3);
  expect(web(w, (p) => p.phase === 'Pending' && !p.node)).toEqual([]);
  expect(() => worldWith([{ at: '1m', do: 'karpenter-launch-failure', nodePool: 'general', for: '5m' }]).until(1)).toThrow(
    'karpenter-launch-failure: the cluster has no Karpenter or EKS Auto Mode NodePool',
  );
});

test('karpenter-drift: every NodeClaim of the NodePool is Drifted, and a budget of 0 nodes for Drifted is set on it', () => {
  const w = worldWith([{ at: '2m', do: 'karpenter-drift', nodePool: 'default', budget: '0' }], pool('karpenter'));
  w.until(1);
  expect(claims(w).map((c) => condition(c, 'Drifted'))).toEqual([undefined, undefined, undefined]);
  w.until(2);
  expect(claims(w).map((c) => condition(c, 'Drifted'))).toEqual(['True', 'True', 'True']);
  const [np] = w.world.kube.list('nodepools') as { spec: { disruption: { budgets: unknown[] } } }[];
  expect(np.spec.disruption.budgets).toEqual([{ nodes: '0', reasons: ['Drifted'] }, { nodes: '10%' }]);
  for (const o of w.world.kube.list('nodeclaims')) validateObject(o);
});

test('karpenter-launch-failure never-ready: the NodeClaim is launched but never registers; Karpenter deletes it after 15 minutes and launches another', () => {
  const w = worldWith(
    [
      { at: '2m', do: 'karpenter-launch-failure', nodePool: 'default', failure: 'never-ready', for: '40m' },
      { at: '2m', do: 'replicas', workload: 'shop/web', replicas: 30 },
    ],
    pool('karpenter'),
  );
  w.until(5);
  const stuck = claims(w).filter((c) => !c.status.nodeName);
  expect(stuck).toHaveLength(1);
  expect([condition(stuck[0], 'Launched'), condition(stuck[0], 'Registered'), condition(stuck[0], 'Ready')]).toEqual([
    'True',
    'Unknown',
    'Unknown',
  ]);
  expect(stuck[0].status.providerID).toMatch(/^aws:\/\/\/eu-west-1a\/i-0[0-9a-f]{16}$/);
  w.until(19);
  const next = claims(w).filter((c) => !c.status.nodeName);
  expect(next).toHaveLength(1);
  expect(next[0].metadata.name).not.toBe(stuck[0].metadata.name);
  expect(w.world.kube.nodeModels.size).toBe(3);
});

test('a kubelet configured to evict at 500Mi reports MemoryPressure and evicts there, and serves that threshold', () => {
  const w = worldWith([{ at: '5m', do: 'usage', workload: 'shop/cart', memory: '2400Mi' }], {
    nodeGroups: [
      {
        name: 'general',
        instanceType: 'm6i.large',
        size: { min: 1, max: 5, desired: 1 },
        node: { ...NODE, evictionHard: { 'memory.available': '500Mi' } },
      },
    ],
    workloads: [
      {
        namespace: 'shop',
        name: 'cart',
        replicas: 3,
        containers: [{ name: 'cart', image: 'shop/cart:1', usage: { cpu: '50m', memory: '1500Mi' } }],
      },
    ],
  });
  w.until(6);
  // 8Gi - 600Mi for the system - 3 × 2400Mi = 392Mi available: fine for the default 100Mi, under this kubelet's 500Mi.
  const node = w.world.kube.node(w.world.nodeName('general/1'));
  expect(node.conditions.get('MemoryPressure')?.status).toBe('True');
  expect(web(w, (p) => p.reason === 'Evicted')).toHaveLength(1);
  expect(node.spec.evictionHard).toEqual({ 'memory.available': '500Mi' });
});

test('a StatefulSet replica with a zonal volume is provisioned a claim and volume in its first zone, and stays in that zone', () => {
  const w = worldWith([{ at: '2m', do: 'terminate-instance', nodes: ['general/1'], cause: 'user' }], {
    nodeGroups: [
      { name: 'general', instanceType: 'm6i.large', zones: ['eu-west-1a', 'eu-west-1b'], size: { min: 4, max: 4, desired: 4 }, node: NODE },
    ],
    workloads: [
      {
        namespace: 'shop',
        name: 'db',
        kind: 'StatefulSet',
        replicas: 1,
        zonalVolume: true,
        containers: [{ name: 'db', image: 'shop/db:1', requests: { cpu: '100m', memory: '1Gi' }, usage: { cpu: '50m', memory: '900Mi' } }],
      },
    ],
  });
  w.until(0);
  const [db] = web(w, (p) => p.name === 'db-0');
  const zone = w.world.kube.node(db.node as string).spec.zone;
  const claim = w.world.kube.get('persistentvolumeclaims', 'shop/data-db-0')!;
  const volume = w.world.kube.get('persistentvolumes', (claim.spec as { volumeName: string }).volumeName)!;
  for (const o of [claim, volume, w.world.kube.get('pods', 'shop/db-0')!]) validateObject(o);
  expect(volume.spec).toMatchObject({
    nodeAffinity: {
      required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: [zone] }] }] },
    },
  });
  expect(w.world.kube.get('pods', 'shop/db-0')!.spec).toMatchObject({
    volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data-db-0' } }],
  });
  // Its node goes: wherever the replica comes back, it is in its volume's zone.
  const first = db.node;
  w.until(20);
  const [again] = web(w, (p) => p.name === 'db-0' && p.phase === 'Running');
  expect(again.node).not.toBe(first);
  expect(w.world.kube.node(again.node as string).spec.zone).toBe(zone);
});

const SPREAD_CONTAINER = {
  name: 'web',
  image: 'shop/web:1',
  requests: { cpu: '100m', memory: '3Gi' },
  usage: { cpu: '50m', memory: '2Gi' },
};

test('required anti-affinity by hostname runs one replica per node and leaves the extra one Pending once nodes run out', () => {
  const w = worldWith([], {
    workloads: [
      {
        namespace: 'shop',
        name: 'web',
        replicas: 4,
        antiAffinity: ['hostname'],
        containers: [
          { name: 'web', image: 'shop/web:1', requests: { cpu: '100m', memory: '256Mi' }, usage: { cpu: '50m', memory: '200Mi' } },
        ],
      },
    ],
  });
  w.until(0);
  const running = web(w, (p) => p.phase === 'Running');
  expect(new Set(running.map((p) => p.node)).size).toBe(3);
  const [pending, ...more] = web(w, (p) => p.phase === 'Pending');
  expect(more).toEqual([]);
  expect(pending.unschedulable?.message).toMatch(
    /^0\/3 nodes are available: 3 node\(s\) didn't match pod anti-affinity rules\. preemption:/,
  );
  const pod = w.world.kube.get('pods', `shop/${pending.name}`)!;
  validateObject(pod);
  expect(pod.spec).toMatchObject({
    affinity: {
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          { labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'web' } }, topologyKey: 'kubernetes.io/hostname' },
        ],
      },
    },
  });
  validateObject(w.world.kube.get('deployments', 'shop/web')!);
});

test('topology spread by zone with maxSkew 1 keeps replicas balanced and leaves one Pending when a zone is full', () => {
  // Zones a, b, a: two replicas (3Gi each) fit a node, so zone b holds two and zone a four; with maxSkew 1 zone a
  // stops at three, the node with room left refusing the sixth for the spread, the two full ones for memory.
  const group = {
    name: 'general',
    instanceType: 'm6i.large',
    zones: ['eu-west-1a', 'eu-west-1b'],
    size: { min: 3, max: 3, desired: 3 },
    node: NODE,
  };
  const perZone = (spread: boolean) => {
    const w = worldWith([], {
      nodeGroups: [group],
      workloads: [
        {
          namespace: 'shop',
          name: 'web',
          replicas: 6,
          ...(spread ? { topologySpread: [{ topology: 'zone' as const, maxSkew: 1 }] } : {}),
          containers: [SPREAD_CONTAINER],
        },
      ],
    });
    w.until(0);
    const zones = web(w, (p) => p.phase === 'Running').map((p) => w.world.kube.node(p.node as string).spec.zone);
    return { w, a: zones.filter((z) => z === 'eu-west-1a').length, b: zones.filter((z) => z === 'eu-west-1b').length };
  };
  // Without the constraint the scheduler packs zone a's spare room.
  expect(perZone(false)).toMatchObject({ a: 4, b: 2 });
  const { w, a, b } = perZone(true);
  expect({ a, b }).toEqual({ a: 3, b: 2 });
  const [pending, ...more] = web(w, (p) => p.phase === 'Pending');
  expect(more).toEqual([]);
  expect(pending.unschedulable?.message).toMatch(
    /^0\/3 nodes are available: 2 Insufficient memory, 1 node\(s\) didn't match pod topology spread constraints\. preemption:/,
  );
  const pod = w.world.kube.get('pods', `shop/${pending.name}`)!;
  validateObject(pod);
  expect(pod.spec).toMatchObject({
    topologySpreadConstraints: [
      {
        maxSkew: 1,
        topologyKey: 'topology.kubernetes.io/zone',
        whenUnsatisfiable: 'DoNotSchedule',
        labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'web' } },
      },
    ],
  });
});

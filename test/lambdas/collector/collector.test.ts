/**
 * The collector end to end: the real SDK adapters against a fake account behind aws-sdk-client-mock (real
 * API shapes, small pages), the store on dynalite, and the ingest handler for the Kubernetes side.
 */
import { DescribeScalingActivitiesCommand } from '@aws-sdk/client-auto-scaling';
import { AccessDeniedException } from '@aws-sdk/client-eks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createLogger } from '../../../common/log';
import { sdkAccounts, type AwsAccountFor } from '../../../lambdas/aws/account';
import {
  createCollectorHandler,
  STATE_DOCUMENT,
  WrittenHostParts,
  type ClusterRun,
  type CollectorDeps,
  type CollectorState,
} from '../../../lambdas/collector/collector';
import { DEFAULT_HOST_METRICS } from '../../../lambdas/collector/config';
import { createIngestHandler } from '../../../lambdas/ingest/ingest';
import type { VigilStore } from '../../../lambdas/store/store';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../local/dynalite';
import type { AgentBatch, NodeReport } from '../../../model/batch';
import type { CloudRollup, HostMetrics, HostNodeMinute, NodeMinute } from '../../../model/domain';
import { MINUTE_MS } from '../../../model/time';
import { syntheticBatch, syntheticCluster } from '../../../sim/synthetic';
import { leaveUnprocessed } from '../../support/faults';
import { useTestStore, type TestStore } from '../../support/store';
import { asgOf, instanceOf } from '../aws/responses';
import { batchEvent, writersFor } from '../ingest/function-url-event';
import { FakeAws, seriesKey, type Point } from './fake-aws';

const CLUSTER = 'prod-eu-1';
const at = (h: number, m: number, s = 0) => Date.UTC(2026, 10, 23, h, m, s);
/** Runs at 12:07:20 read the window 11:50–12:07. */
const RUN = at(12, 7, 20);
const ID = {
  general1: 'i-0a000000000000001',
  general2: 'i-0a000000000000002',
  joining: 'i-0a000000000000003',
  legacy: 'i-0b000000000000001',
  karpenter: 'i-0c000000000000001',
  gone: 'i-0d000000000000001',
};
const ASG = {
  general: 'eks-general-5ec8a1b2-1234-5678-9abc-def012345678',
  legacy: 'eksctl-prod-eu-1-nodegroup-legacy-NodeGroup-1A2B3C4D5E6F',
};
const LIVE = [ID.general1, ID.general2, ID.joining, ID.legacy, ID.karpenter];

const db = useTestStore({ each: true });
let t: TestStore;
let store: VigilStore;
let aws: FakeAws;

beforeEach(async () => {
  t = db;
  store = t.store();
  aws?.restore();
  aws = new FakeAws();
  world(aws);
  t.clock.set(RUN);
});
afterAll(() => aws.restore());

const cpu = (id: string, period = 300) => seriesKey('AWS/EC2', 'CPUUtilization', 'Average', period, { InstanceId: id });
const fivePoints = (from: number, to: number, value: (t: number) => number): Point[] => {
  const out: Point[] = [];
  for (let x = from; x <= to; x += 5 * MINUTE_MS) out.push({ t: x, value: value(x) });
  return out;
};

/** Status checks, published every minute (read at 1 minute whatever the monitoring). */
const status = (dimensions: Record<string, string>, metricName = 'StatusCheckFailed') =>
  seriesKey('AWS/EC2', metricName, 'Maximum', 60, dimensions);
const minutePoints = (from: number, to: number, value: (t: number) => number): Point[] => {
  const out: Point[] = [];
  for (let x = from; x <= to; x += MINUTE_MS) out.push({ t: x, value: value(x) });
  return out;
};

/** The account: a managed group (two nodes and one still joining), an eksctl group, a Karpenter node. */
function world(a: FakeAws): void {
  a.clusters.set(CLUSTER, {
    name: CLUSTER,
    arn: `arn:aws:eks:eu-west-1:123456789012:cluster/${CLUSTER}`,
    version: '1.33',
    platformVersion: 'eks.12',
    status: 'ACTIVE',
    health: { issues: [] },
  });
  a.nodegroups.set(CLUSTER, [
    {
      nodegroupName: 'general',
      clusterName: CLUSTER,
      status: 'ACTIVE',
      capacityType: 'ON_DEMAND',
      scalingConfig: { minSize: 2, maxSize: 6, desiredSize: 3 },
      instanceTypes: ['m6i.xlarge'],
      resources: { autoScalingGroups: [{ name: ASG.general }] },
      health: { issues: [] },
    },
  ]);
  a.instances = [
    instanceOf({ id: ID.general1, cluster: CLUSTER, nodeGroup: 'general', asg: ASG.general, ip: '10.0.0.4' }),
    instanceOf({ id: ID.general2, cluster: CLUSTER, nodeGroup: 'general', asg: ASG.general, ip: '10.0.0.5', zone: 'eu-west-1b' }),
    instanceOf({ id: ID.joining, cluster: CLUSTER, nodeGroup: 'general', asg: ASG.general, ip: '10.0.0.9', launch: at(12, 3) }),
    instanceOf({ id: ID.legacy, cluster: CLUSTER, asg: ASG.legacy, ip: '10.0.0.6', type: 'm5.large' }),
    instanceOf({ id: ID.karpenter, cluster: CLUSTER, nodePool: 'default', ip: '10.0.0.7', spot: true }),
    instanceOf({ id: ID.gone, cluster: CLUSTER, nodeGroup: 'general', asg: ASG.general, state: 'terminated' }),
  ];
  a.groups = [
    asgOf({
      name: ASG.general,
      cluster: CLUSTER,
      nodeGroup: 'general',
      min: 2,
      max: 6,
      desired: 3,
      instances: [
        [ID.general1, 'InService'],
        [ID.general2, 'InService'],
        [ID.joining, 'Pending'],
      ],
    }),
    asgOf({ name: ASG.legacy, cluster: CLUSTER, eksctl: 'legacy', min: 1, max: 3, desired: 1, instances: [[ID.legacy, 'InService']] }),
  ];
  a.activities = [
    activity('a-old', ASG.general, at(10, 0), 'Successful', 'Launching a new EC2 instance: i-0a000000000000001'),
    activity('a-term', ASG.general, at(11, 40), 'Successful', `Terminating EC2 instance: ${ID.gone}`),
    activity('a-launch', ASG.general, at(12, 3), 'InProgress', `Launching a new EC2 instance: ${ID.joining}`),
  ];
  for (const id of LIVE)
    a.setPoints(
      cpu(id),
      fivePoints(at(11, 50), at(12, 0), (x) => (x / MINUTE_MS) % 50),
    );
  a.setPoints(cpu(ID.joining), [{ t: at(12, 0), value: 71 }]);
  for (const g of [ASG.general, ASG.legacy])
    a.setPoints(
      status({ AutoScalingGroupName: g }),
      minutePoints(at(11, 50), at(12, 6), () => 0),
    );
  a.setPoints(
    status({ InstanceId: ID.karpenter }),
    minutePoints(at(11, 50), at(12, 6), () => 0),
  );
  const agentDims = {
    InstanceId: ID.general1,
    ImageId: 'ami-0c2b8ca1dad447f8a',
    InstanceType: 'm6i.xlarge',
    AutoScalingGroupName: ASG.general,
  };
  const disk = (path: string) => ({ ...agentDims, path, device: 'nvme0n1p1', fstype: 'xfs' });
  a.agentMetrics = [
    {
      Namespace: 'CWAgent',
      MetricName: 'mem_used_percent',
      Dimensions: Object.entries(agentDims).map(([Name, Value]) => ({ Name, Value })),
    },
    {
      Namespace: 'CWAgent',
      MetricName: 'disk_used_percent',
      Dimensions: Object.entries(disk('/')).map(([Name, Value]) => ({ Name, Value })),
    },
    {
      Namespace: 'CWAgent',
      MetricName: 'disk_used_percent',
      Dimensions: Object.entries(disk('/boot/efi')).map(([Name, Value]) => ({ Name, Value })),
    },
    // Another cluster's instance: not read.
    { Namespace: 'CWAgent', MetricName: 'mem_used_percent', Dimensions: [{ Name: 'InstanceId', Value: 'i-0ffffffffffffffff' }] },
  ];
  a.setPoints(
    seriesKey('CWAgent', 'mem_used_percent', 'Average', 300, agentDims),
    fivePoints(at(11, 50), at(12, 0), () => 81.5),
  );
  a.setPoints(
    seriesKey('CWAgent', 'disk_used_percent', 'Average', 300, disk('/')),
    fivePoints(at(11, 50), at(12, 0), () => 47.25),
  );
}

function activity(
  id: string,
  group: string,
  start: number,
  StatusCode: 'Successful' | 'Failed' | 'InProgress',
  Description: string,
  StatusMessage?: string,
) {
  return {
    ActivityId: id,
    AutoScalingGroupName: group,
    Description,
    Cause: `At ${new Date(start).toISOString()} an instance was started in response to a difference between desired and actual capacity, increasing the capacity from 2 to 3.`,
    StartTime: new Date(start),
    EndTime: StatusCode === 'InProgress' ? undefined : new Date(start + 90_000),
    StatusCode,
    StatusMessage,
    Progress: StatusCode === 'InProgress' ? 30 : 100,
    Details: '{"Subnet ID":"subnet-0a1b2c3d","Availability Zone":"eu-west-1a"}',
  };
}

function deps(over: Partial<CollectorDeps> = {}): CollectorDeps {
  return {
    store,
    clusters: [{ name: CLUSTER }],
    defaultRegion: 'eu-west-1',
    aws: sdkAccounts(),
    hostMetrics: DEFAULT_HOST_METRICS,
    clock: t.clock,
    logger: createLogger({ service: 'test', sink: () => undefined }),
    ...over,
  };
}

async function collect(over: Partial<CollectorDeps> = {}): Promise<ClusterRun> {
  const [run] = await createCollectorHandler(deps(over))();
  return run;
}

/** The node-minutes of one minute (the 12:00 period by default). */
async function minute(m = at(12, 0)): Promise<NodeMinute[]> {
  return store.nodeMinutes(CLUSTER, m, m);
}

async function cloudRollup(minute = at(12, 7)): Promise<CloudRollup | undefined> {
  return (await store.rollups(CLUSTER, minute, minute))[0]?.cloud;
}

/** The agent's view: four EC2 nodes (the joining instance has not registered) and a Fargate node. */
function agentBatch(): AgentBatch {
  const c = syntheticCluster({ cluster: CLUSTER, nodes: 4, podsPerNode: 6 });
  const ids = [ID.general1, ID.general2, ID.legacy, ID.karpenter];
  const reports: NodeReport[] = c.reports.map((r, i) => ({
    ...r,
    node: { ...r.node, instanceId: ids[i], providerId: `aws:///${r.node.zone}/${ids[i]}` },
  }));
  const fargateName = 'fargate-ip-10-0-9-9.eu-west-1.compute.internal';
  reports.push({
    node: {
      ...reports[0].node,
      name: fargateName,
      instanceId: undefined,
      providerId: `aws:///eu-west-1a/0b6c2f5e4d/${fargateName}`,
      capacityType: 'fargate',
      nodeGroup: undefined,
    },
    stats: reports[0].stats,
    pods: [{ ...reports[0].pods[4], node: fargateName }],
  });
  return syntheticBatch({ ...c, reports }, at(12, 0, 5));
}

describe('one run', () => {
  test('writes the cloud rollup: cluster, node groups of every kind, groups, hosts marked, activities', async () => {
    const run = await collect();
    expect(run).toMatchObject({ cluster: CLUSTER, stored: true, hosts: 6, metricsRead: true, failures: [] });
    const r = (await cloudRollup())!;
    expect(r.cluster).toEqual({ name: CLUSTER, status: 'ACTIVE', version: '1.33', platformVersion: 'eks.12', healthIssues: [] });
    expect(r.nodeGroups.map((n) => [n.name, n.kind, n.autoScalingGroups])).toEqual([
      ['default', 'karpenter', []],
      ['general', 'managed', [ASG.general]],
      ['legacy', 'self-managed', [ASG.legacy]],
    ]);
    expect(r.nodeGroups.find((n) => n.name === 'legacy')).toMatchObject({
      scaling: { min: 1, max: 3, desired: 1 },
      instanceTypes: ['m5.large'],
      capacityType: 'on-demand',
    });
    expect(r.autoScalingGroups.map((g) => [g.name, g.nodeGroup, g.desired, g.inService, g.pending])).toEqual([
      [ASG.general, 'general', 3, 2, 1],
      [ASG.legacy, 'legacy', 1, 1, 0],
    ]);
    const host = (id: string) => r.hosts.find((h) => h.instanceId === id);
    expect(host(ID.joining)).toMatchObject({ nodeGroup: 'general', lifecycleState: 'Pending', healthStatus: 'Healthy', state: 'running' });
    expect(host(ID.legacy)).toMatchObject({ nodeGroup: 'legacy', lifecycleState: 'InService' });
    expect(host(ID.karpenter)).toMatchObject({ nodeGroup: 'default', capacityType: 'spot' });
    expect(host(ID.gone)).toMatchObject({ state: 'terminated' });
    // Not in a group that was read: no lifecycle to mark.
    expect([host(ID.karpenter)?.lifecycleState, host(ID.gone)?.lifecycleState]).toEqual([undefined, undefined]);
    // The first run looks back an hour: the older activity is not news.
    expect(r.scalingActivities.map((a) => [a.activityId, a.status])).toEqual([
      ['a-term', 'Successful'],
      ['a-launch', 'InProgress'],
    ]);
    expect(r.failures).toEqual([]);
  });

  test('writes the host parts of the window, one per instance and 5-minute period', async () => {
    const run = await collect();
    const nodes = await store.nodeMinutes(CLUSTER, at(11, 50), at(12, 6));
    const hosts = nodes.flatMap((n) => (n.host && n.minute === n.host.minute ? [n.host] : []));
    expect(run.hostMinutes).toBe(hosts.length);
    expect(hosts.every((h) => h.periodMinutes === 5 && h.collectedAt === RUN)).toBe(true);
    expect(new Set(hosts.map((h) => h.host.instanceId))).toEqual(new Set(LIVE));
    const general1 = hosts.filter((h) => h.host.instanceId === ID.general1);
    // The period being reported (12:05) still passes its status checks: no news, no part.
    expect(general1.map((h) => h.minute)).toEqual([at(11, 50), at(11, 55), at(12, 0)]);
    expect(general1[2].metrics).toEqual({
      cpuPct: (at(12, 0) / MINUTE_MS) % 50,
      statusCheckFailed: 0,
      memoryUsedPct: 81.5,
      diskUsedPct: 47.25,
    });
    expect(general1[2].host).toMatchObject({ lifecycleState: 'InService', autoScalingGroup: ASG.general });
    // A status check read per group answers for its instances; the Karpenter node is read on its own.
    expect(hosts.find((h) => h.host.instanceId === ID.karpenter && h.minute === at(12, 0))?.metrics).toEqual({
      cpuPct: (at(12, 0) / MINUTE_MS) % 50,
      statusCheckFailed: 0,
    });
  });

  test('a self-managed group tagged only for Cluster Autoscaler auto-discovery, with no instance (every launch failing), is found', async () => {
    const CA_ONLY = 'prod-eu-1-gpu-asg';
    aws.groups.push(asgOf({ name: CA_ONLY, cluster: CLUSTER, min: 0, max: 4, desired: 1, instances: [], autoscalerTagsOnly: true }));
    aws.activities.push(
      activity(
        'a-gpu',
        CA_ONLY,
        at(12, 5),
        'Failed',
        'Launching a new EC2 instance.  Status Reason: Could not launch On-Demand Instances. InsufficientInstanceCapacity',
        'Could not launch On-Demand Instances. InsufficientInstanceCapacity',
      ),
    );
    await collect();
    const r = (await cloudRollup())!;
    expect(r.autoScalingGroups.find((g) => g.name === CA_ONLY)).toMatchObject({ desired: 1, inService: 0 });
    expect(r.nodeGroups.find((n) => n.autoScalingGroups.includes(CA_ONLY))).toMatchObject({ kind: 'self-managed' });
    expect(r.scalingActivities.map((a) => a.activityId)).toContain('a-gpu');
  });

  test("a new instance not listed by ListMetrics yet gets its memory read by its sibling's dimensions", async () => {
    const sibling = {
      InstanceId: ID.joining,
      ImageId: 'ami-0c2b8ca1dad447f8a',
      InstanceType: 'm6i.xlarge',
      AutoScalingGroupName: ASG.general,
    };
    aws.setPoints(seriesKey('CWAgent', 'mem_used_percent', 'Average', 300, sibling), [{ t: at(12, 0), value: 93 }]);
    await collect();
    expect((await minute()).find((n) => n.key === ID.joining)?.host?.metrics).toMatchObject({ memoryUsedPct: 93 });
  });

  test('ListMetrics is asked once per region and metric, whatever the number of clusters', async () => {
    aws.clusters.set('staging', { name: 'staging', version: '1.32', platformVersion: 'eks.20', status: 'ACTIVE' });
    aws.instances.push(instanceOf({ id: 'i-0e000000000000001', cluster: 'staging', ip: '10.1.0.4' }));
    const runs = await createCollectorHandler(deps({ clusters: [{ name: CLUSTER }, { name: 'staging' }] }))();
    expect(runs.map((r) => r.metricsRead)).toEqual([true, true]);
    expect(runs.reduce((n, r) => n + (r.calls['cloudwatch:ListMetrics'] ?? 0), 0)).toBe(2);
  });

  test('calls every API it needs, every page, and requests only the metrics it bills for', async () => {
    const run = await collect();
    expect(run.calls).toEqual({
      'autoscaling:DescribeAutoScalingGroups': 1,
      'autoscaling:DescribeScalingActivities': 3,
      // Two requests: the period metrics (19 points, one page), the 1-minute status checks (51 points, three pages).
      'cloudwatch:GetMetricData': 4,
      'cloudwatch:ListMetrics': 2,
      'ec2:DescribeInstances': 6,
      'eks:DescribeCluster': 1,
      'eks:DescribeNodegroup': 1,
      'eks:ListNodegroups': 1,
    });
    // 5 CPU + memory + root disk, and memory + disk of the joining instance by its sibling's dimensions (it is
    // not listed yet); 2 group status checks + 1 instance status check: 12 metrics, billed on each page.
    expect(run.metricsRequested).toBe(9 + 3 * 3);
  });
});

describe('merging with the Kubernetes side', () => {
  const ingest = () =>
    createIngestHandler({
      store,
      clock: t.clock,
      logger: createLogger({ service: 'test', sink: () => undefined }),
      writers: writersFor(CLUSTER),
    });

  test('host before Kubernetes and Kubernetes before host give the same node-minutes', async () => {
    await collect();
    expect((await ingest()(batchEvent(agentBatch()))).statusCode).toBe(200);
    const hostFirst = await minute();

    t = await db.fresh();
    store = t.store();
    t.clock.set(RUN);
    expect((await ingest()(batchEvent(agentBatch()))).statusCode).toBe(200);
    await collect();
    expect(await minute()).toEqual(hostFirst);

    const byKey = new Map(hostFirst.map((n) => [n.key, n]));
    for (const id of [ID.general1, ID.general2, ID.legacy, ID.karpenter]) {
      expect(byKey.get(id)?.join).toBe('node-and-instance');
      expect(byKey.get(id)?.kube?.node.instanceId).toBe(id);
      expect(byKey.get(id)?.host?.metrics.cpuPct).toBeDefined();
    }
    // Fargate: a node with no instance, kept and marked.
    expect(byKey.get('node/fargate-ip-10-0-9-9.eu-west-1.compute.internal')).toMatchObject({
      join: 'node-without-instance',
      kube: { node: { capacityType: 'fargate' } },
      host: undefined,
    });
    // An instance with no node, kept and marked, with its lifecycle as the Auto Scaling group sees it.
    expect(byKey.get(ID.joining)).toMatchObject({
      join: 'instance-without-node',
      host: { metrics: { cpuPct: 71 }, host: { lifecycleState: 'Pending' } },
    });
    expect(byKey.get(ID.joining)?.kube).toBeUndefined();
  });

  test('late CloudWatch points fill in at the next read, replacing what was written', async () => {
    aws.setPoints(
      cpu(ID.general2),
      fivePoints(at(11, 50), at(11, 55), () => 20),
    );
    await collect();
    // So far nothing for 12:00: its status checks pass as in 11:55, and its CPU is late.
    const before = (await minute()).find((n) => n.key === ID.general2)?.host;
    expect(before).toBeUndefined();

    // Five minutes later the 12:00 point has arrived (late), and 12:05 too.
    aws.setPoints(
      cpu(ID.general2),
      fivePoints(at(11, 50), at(12, 5), (x) => (x === at(12, 0) ? 64 : 20)),
    );
    t.clock.set(RUN + 5 * MINUTE_MS);
    const run = await collect();
    expect(run.metricsRead).toBe(true);
    const after = (await minute()).find((n) => n.key === ID.general2)?.host;
    expect(after).toMatchObject({ minute: at(12, 0), collectedAt: RUN + 5 * MINUTE_MS, metrics: { cpuPct: 64, statusCheckFailed: 0 } });
  });
});

describe('cadence', () => {
  test('CloudWatch is read every 5 minutes; the cloud rollup every minute', async () => {
    const reads: boolean[] = [];
    for (let i = 0; i < 11; i++) {
      t.clock.set(RUN + i * MINUTE_MS);
      const run = await collect();
      reads.push(run.metricsRead);
      expect(run.stored).toBe(true);
      if (!run.metricsRead) expect(run.calls['cloudwatch:GetMetricData']).toBeUndefined();
    }
    expect(reads).toEqual([true, false, false, false, false, true, false, false, false, false, true]);
    expect(await store.rollups(CLUSTER, at(12, 7), at(12, 17))).toHaveLength(11);
  });

  test('a re-read window writes only the periods whose figures changed; a new instance rewrites it once', async () => {
    const collector = createCollectorHandler(deps());
    const [first] = await collector();
    // Three periods for each of four instances; the joining one launched at 12:03 has only 12:00.
    expect(first.hostMinutes).toBe(4 * 3 + 1);
    // 12:05 arrives for one instance; nothing else changed.
    aws.setPoints(
      cpu(ID.legacy),
      fivePoints(at(11, 50), at(12, 5), () => 3),
    );
    t.clock.set(RUN + 5 * MINUTE_MS);
    const [second] = await collector();
    expect(second).toMatchObject({ metricsRead: true });
    // The window is now 11:55–12:10: legacy's 11:55 and 12:00 changed value, its 12:05 is new (the others'
    // 12:05 still passes its status checks and waits for its CPU).
    expect(second.hostMinutes).toBe(3);
    t.clock.set(RUN + 10 * MINUTE_MS);
    const [third] = await createCollectorHandler(deps())();
    expect(third.hostMinutes).toBeGreaterThan(0);
    expect((await store.nodeMinutes(CLUSTER, at(12, 5), at(12, 5))).find((n) => n.key === ID.legacy)?.host?.metrics.cpuPct).toBe(3);
  });

  test('a steady group is not asked for activities again until something changes', async () => {
    await collect();
    aws.activities = aws.activities.map((a) =>
      a.ActivityId === 'a-launch' ? { ...a, StatusCode: 'Successful', EndTime: new Date(at(12, 5)) } : a,
    );
    aws.groups = [
      asgOf({
        name: ASG.general,
        cluster: CLUSTER,
        nodeGroup: 'general',
        min: 2,
        max: 6,
        desired: 3,
        instances: [
          [ID.general1, 'InService'],
          [ID.general2, 'InService'],
          [ID.joining, 'InService'],
        ],
      }),
      aws.groups[1],
    ];
    t.clock.set(RUN + MINUTE_MS);
    const second = await collect();
    // The open launch finished: reported again, with its final status.
    expect((await cloudRollup(at(12, 8)))?.scalingActivities.map((a) => [a.activityId, a.status])).toEqual([['a-launch', 'Successful']]);
    expect(second.calls['autoscaling:DescribeScalingActivities']).toBe(1);

    t.clock.set(RUN + 2 * MINUTE_MS);
    const third = await collect();
    expect(third.calls['autoscaling:DescribeScalingActivities']).toBeUndefined();
    expect((await cloudRollup(at(12, 9)))?.scalingActivities).toEqual([]);

    // The group scales in, an alarm's doing: read, reported once.
    aws.activities.push({
      ...activity('a-scale-in', ASG.general, at(12, 9, 50), 'Successful', `Terminating EC2 instance: ${ID.general2}`),
      Cause:
        'At 2026-11-23T12:09:50Z a monitor alarm TargetTracking-eks-general-AlarmLow-0f3e in state ALARM triggered policy cpu-40 changing the desired capacity from 3 to 2.',
    });
    aws.groups = [
      asgOf({
        name: ASG.general,
        cluster: CLUSTER,
        nodeGroup: 'general',
        min: 2,
        max: 6,
        desired: 2,
        instances: [
          [ID.general1, 'InService'],
          [ID.general2, 'Terminating'],
          [ID.joining, 'InService'],
        ],
      }),
      aws.groups[1],
    ];
    t.clock.set(RUN + 3 * MINUTE_MS);
    await collect();
    expect((await cloudRollup(at(12, 10)))?.scalingActivities).toEqual([
      expect.objectContaining({
        activityId: 'a-scale-in',
        cause: expect.stringContaining('changing the desired capacity from 3 to 2'),
        status: 'Successful',
      }),
    ]);
    t.clock.set(RUN + 4 * MINUTE_MS);
    await collect();
    expect((await cloudRollup(at(12, 11)))?.scalingActivities).toEqual([]);
  });
});

describe('status checks', () => {
  test('a partial read may complete a part whose status checks came first, never drop a figure written', () => {
    const w = new WrittenHostParts();
    const host = {
      instanceId: ID.general1,
      instanceType: 'm6i.xlarge',
      zone: 'eu-west-1a',
      capacityType: 'on-demand' as const,
      state: 'running' as const,
      launchTime: at(9, 0),
    };
    const part = (metrics: HostMetrics): HostNodeMinute => ({ minute: at(12, 5), periodMinutes: 5, collectedAt: RUN, host, metrics });
    w.remember(CLUSTER, [part({ statusCheckFailed: 1 })]);
    expect(w.withoutLoss(CLUSTER, [part({ statusCheckFailed: 1, cpuPct: 9 })])).toHaveLength(1);
    w.remember(CLUSTER, [part({ statusCheckFailed: 1, cpuPct: 9, memoryUsedPct: 80 })]);
    expect(w.withoutLoss(CLUSTER, [part({ statusCheckFailed: 1, cpuPct: 12 })])).toEqual([]);
  });

  test('a failed check in a group is read per instance, naming which check failed', async () => {
    // The group fails at 12:02 only; the rest of the window it passes.
    aws.setPoints(
      status({ AutoScalingGroupName: ASG.general }),
      minutePoints(at(11, 50), at(12, 6), (x) => (x === at(12, 2) ? 1 : 0)),
    );
    for (const id of [ID.general1, ID.general2, ID.joining]) {
      const failing = (x: number) => (id === ID.general2 && x === at(12, 2) ? 1 : 0);
      aws.setPoints(status({ InstanceId: id }), minutePoints(at(11, 50), at(12, 6), failing));
      aws.setPoints(status({ InstanceId: id }, 'StatusCheckFailed_System'), minutePoints(at(11, 50), at(12, 6), failing));
      aws.setPoints(
        status({ InstanceId: id }, 'StatusCheckFailed_Instance'),
        minutePoints(at(11, 50), at(12, 6), () => 0),
      );
    }
    const run = await collect();
    // The period metrics in one page, the status checks in three, then which check per instance (9 metrics, 153 points) in eight.
    expect(run.calls['cloudwatch:GetMetricData']).toBe(12);
    expect(run.metricsRequested).toBe(9 + 3 * 3 + 9 * 8);
    const nodes = await store.nodeMinutes(CLUSTER, at(12, 0), at(12, 0));
    const metrics = (id: string) => nodes.find((n) => n.key === id)?.host?.metrics;
    expect(metrics(ID.general2)).toMatchObject({ statusCheckFailed: 1, statusCheckFailedSystem: 1, statusCheckFailedInstance: 0 });
    expect(metrics(ID.general1)).toMatchObject({ statusCheckFailed: 0, statusCheckFailedSystem: 0 });
    // Its period before and after: read per instance too (the window's detail), and passing.
    expect((await store.nodeMinutes(CLUSTER, at(11, 55), at(11, 55))).find((n) => n.key === ID.general2)?.host?.metrics).toMatchObject({
      statusCheckFailed: 0,
      statusCheckFailedSystem: 0,
    });
    expect((await store.nodeMinutes(CLUSTER, at(12, 5), at(12, 5))).find((n) => n.key === ID.general2)?.host?.metrics).toMatchObject({
      statusCheckFailed: 0,
      statusCheckFailedSystem: 0,
    });
  });
});

describe('faults', () => {
  test("one cluster's EKS call fails, the other cluster is untouched, and the blind spot is recorded", async () => {
    aws.clusters.set('staging', { name: 'staging', version: '1.32', platformVersion: 'eks.20', status: 'ACTIVE' });
    aws.fail(
      'DescribeCluster',
      5,
      () =>
        new AccessDeniedException({
          message: 'User: arn:aws:sts::123456789012:assumed-role/vigil-collector/x is not authorized to perform: eks:DescribeCluster',
          $metadata: { httpStatusCode: 403 },
        }),
      (input) => input.name === CLUSTER,
    );
    const runs = await createCollectorHandler(deps({ clusters: [{ name: CLUSTER }, { name: 'staging' }] }))();
    expect(runs.map((r) => r.stored)).toEqual([true, true]);
    const prod = (await cloudRollup())!;
    expect(prod.cluster).toBeUndefined();
    expect(prod.failures).toEqual([
      {
        operation: 'eks:DescribeCluster',
        message: expect.stringMatching(/^cluster prod-eu-1: AccessDeniedException: User: .* is not authorized/),
      },
    ]);
    // Everything else of that cluster was still read.
    expect(prod.hosts).toHaveLength(6);
    expect(prod.nodeGroups).toHaveLength(3);
    const staging = (await store.rollups('staging', at(12, 7), at(12, 7)))[0].cloud!;
    expect(staging).toMatchObject({ cluster: { name: 'staging', status: 'ACTIVE' }, failures: [] });
  });

  test('EKS node groups unreadable: the managed group is still known from its Auto Scaling group tags', async () => {
    aws.fail('ListNodegroups', 5, () =>
      Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 429 } }),
    );
    await collect({ aws: sdkAccounts() });
    const r = (await cloudRollup())!;
    expect(r.failures.map((f) => f.operation)).toEqual(['eks:ListNodegroups']);
    const general = r.nodeGroups.find((n) => n.name === 'general');
    expect(general).toMatchObject({ kind: 'managed', autoScalingGroups: [ASG.general], scaling: { min: 2, max: 6, desired: 3 } });
    expect(general?.status).toBeUndefined();
  });

  test('a failed DescribeNodegroup or DescribeScalingActivities names the one group it was about; the rest is read', async () => {
    const denied = () => Object.assign(new Error('not authorized'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } });
    aws.fail('DescribeNodegroup', 1, denied);
    aws.fail('DescribeScalingActivities', 1, denied, (input) => input.AutoScalingGroupName === ASG.legacy);
    const run = await collect();
    expect(run.failures).toEqual([
      {
        operation: 'eks:DescribeNodegroup',
        message: 'node group general: AccessDeniedException: not authorized',
        subject: { nodeGroup: 'general' },
      },
      {
        operation: 'autoscaling:DescribeScalingActivities',
        message: `group ${ASG.legacy}: AccessDeniedException: not authorized`,
        subject: { autoScalingGroup: ASG.legacy },
      },
    ]);
    const r = (await cloudRollup())!;
    expect(r.nodeGroups.find((n) => n.name === 'general')).toMatchObject({ kind: 'managed', autoScalingGroups: [ASG.general] });
    expect(r.scalingActivities.map((a) => a.activityId)).toEqual(['a-term', 'a-launch']);
  });

  test('CloudWatch throttles: no host part is written, the failure is recorded, the next minute reads again', async () => {
    // Both requests (the period metrics, the 1-minute status checks) throttled.
    aws.fail('GetMetricData', 2, () =>
      Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } }),
    );
    const first = await collect();
    expect(first).toMatchObject({ stored: true, metricsRead: false, hostMinutes: 0 });
    expect((await cloudRollup())!.failures.map((f) => f.message).sort()).toEqual([
      '3 metrics: Throttling: Rate exceeded',
      '9 metrics: Throttling: Rate exceeded',
    ]);
    expect((await store.nodeMinutes(CLUSTER, at(11, 50), at(12, 6))).filter((n) => n.host)).toEqual([]);
    t.clock.set(RUN + MINUTE_MS);
    const second = await collect();
    expect(second).toMatchObject({ metricsRead: true, failures: [] });
    expect(second.hostMinutes).toBeGreaterThan(0);
  });

  test('a partial CloudWatch read keeps what was answered, never replaces complete parts with fewer, and is not repeated every minute', async () => {
    const collector = createCollectorHandler(deps());
    await collector();
    const complete = (await minute()).find((n) => n.key === ID.general1)?.host;
    expect(complete?.metrics).toMatchObject({ memoryUsedPct: 81.5 });
    // Five minutes later the CloudWatch agent's metrics are denied; 12:05 arrives for everyone.
    aws.fail('ListMetrics', 2, () =>
      Object.assign(new Error('User is not authorized to perform: cloudwatch:ListMetrics'), {
        name: 'AccessDenied',
        $metadata: { httpStatusCode: 403 },
      }),
    );
    for (const id of LIVE)
      aws.setPoints(
        cpu(id),
        fivePoints(at(11, 50), at(12, 5), () => 9),
      );
    t.clock.set(RUN + 5 * MINUTE_MS);
    const [partial] = await collector();
    expect(partial).toMatchObject({ stored: true, metricsRead: true });
    expect(partial.failures.map((f) => f.operation)).toEqual(['cloudwatch:ListMetrics', 'cloudwatch:ListMetrics']);
    // The new period is written from what was answered; the complete 12:00 part keeps its memory figure.
    expect((await minute(at(12, 5))).find((n) => n.key === ID.general1)?.host?.metrics).toEqual({ cpuPct: 9, statusCheckFailed: 0 });
    expect((await minute()).find((n) => n.key === ID.general1)?.host).toEqual(complete);
    // The watermark moved: the next minute does not read CloudWatch again.
    t.clock.set(RUN + 6 * MINUTE_MS);
    const [next] = await collector();
    expect(next.metricsRead).toBe(false);
    expect(next.calls['cloudwatch:GetMetricData']).toBeUndefined();
  });

  test('DescribeInstances failed: CloudWatch is not read and not counted as read', async () => {
    aws.fail('DescribeInstances', 1, () =>
      Object.assign(new Error('You are not authorized to perform this operation.'), {
        name: 'UnauthorizedOperation',
        $metadata: { httpStatusCode: 403 },
      }),
    );
    const first = await collect();
    expect(first).toMatchObject({ stored: true, metricsRead: false });
    expect(first.calls['cloudwatch:GetMetricData']).toBeUndefined();
    t.clock.set(RUN + MINUTE_MS);
    const second = await collect();
    expect(second).toMatchObject({ metricsRead: true, failures: [] });
  });

  test('a stalled region costs only its own cluster: past its budget its calls fail, what it read is stored, the other cluster is whole', async () => {
    aws.clusters.set('staging', { name: 'staging', version: '1.32', platformVersion: 'eks.20', status: 'ACTIVE' });
    const real = sdkAccounts();
    // The staging cluster's region: EKS never answers (a call the SDK would retry for most of a minute).
    const stalled: AwsAccountFor = (region, calls) => {
      const a = real(region, calls);
      if (region !== 'us-east-2') return a;
      const never = () => new Promise<never>(() => undefined);
      return { ...a, eks: { describeCluster: never, listNodegroups: never, describeNodegroup: never } };
    };
    const runs = await createCollectorHandler(
      deps({ aws: stalled, clusterBudgetMs: 300, clusters: [{ name: 'staging', region: 'us-east-2' }, { name: CLUSTER }] }),
    )(undefined, { getRemainingTimeInMillis: () => 50_000 });
    expect(runs.map((r) => [r.cluster, r.stored])).toEqual([
      ['staging', true],
      [CLUSTER, true],
    ]);
    expect(runs[1].failures).toEqual([]);
    const staging = (await store.rollups('staging', at(12, 7), at(12, 7)))[0].cloud!;
    expect(staging.failures.map((f) => f.operation).sort()).toEqual(['eks:DescribeCluster', 'eks:ListNodegroups']);
    expect(staging.failures[0].message).toMatch(/DeadlineError: cluster staging: its 0.3 s budget was spent/);
  });

  test('BatchWrite UnprocessedItems are retried until stored', async () => {
    const client = new DynamoDBClient({
      endpoint: db.dynamo.endpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      maxAttempts: 1,
    });
    store = t.store({ client });
    const fault = leaveUnprocessed(client, 3, 4);
    const run = await collect();
    expect(fault.handedBack()).toBeGreaterThan(0);
    expect(run).toMatchObject({ stored: true, failures: [] });
    expect((await store.nodeMinutes(CLUSTER, at(11, 50), at(12, 6))).filter((n) => n.host)).toHaveLength(run.hostMinutes);
    fault.remove();
    client.destroy();
  });

  test('writes that never succeed: the run fails loudly and no watermark moves', async () => {
    const client = new DynamoDBClient({
      endpoint: db.dynamo.endpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      maxAttempts: 1,
    });
    store = t.store({ client, retry: { attempts: 2 } });
    const fault = leaveUnprocessed(client, 1000, 0);
    await expect(createCollectorHandler(deps())()).rejects.toThrow(`cloud rollup not stored for cluster(s) ${CLUSTER}`);
    fault.remove();
    expect(await store.getDocument<CollectorState>(CLUSTER, STATE_DOCUMENT.kind, STATE_DOCUMENT.id)).toBeUndefined();
    // The next run reports the same activities and reads CloudWatch again.
    t.clock.set(RUN + MINUTE_MS);
    const run = await collect();
    expect(run).toMatchObject({ stored: true, metricsRead: true, newActivities: 2 });
    client.destroy();
  });
});

describe('backoff', () => {
  const denied = () =>
    Object.assign(
      new Error(
        'User: arn:aws:sts::123456789012:assumed-role/vigil-collector/x is not authorized to perform: autoscaling:DescribeScalingActivities',
      ),
      { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } },
    );
  const legacyReads = () =>
    aws.mocks.autoScaling.commandCalls(DescribeScalingActivitiesCommand).filter((c) => c.args[0].input.AutoScalingGroupName === ASG.legacy)
      .length;

  test('a query that keeps failing is asked again at growing intervals kept in the collector state, told once, and reset by a success', async () => {
    const logs: { level: string; message: string; query?: string }[] = [];
    const logger = createLogger({ service: 'test', sink: (l) => logs.push(JSON.parse(l)) });
    aws.fail('DescribeScalingActivities', 1000, denied, (input) => input.AutoScalingGroupName === ASG.legacy);
    const asked: number[] = [];
    for (let i = 0; i < 32; i++) {
      t.clock.set(RUN + i * MINUTE_MS);
      const before = legacyReads();
      const run = await collect({ logger });
      if (legacyReads() > before) asked.push(i);
      // Asked or waiting, the failure is in every rollup: the group's alerts stay held, nothing else's.
      expect(run.failures).toEqual([
        expect.objectContaining({ operation: 'autoscaling:DescribeScalingActivities', subject: { autoScalingGroup: ASG.legacy } }),
      ]);
    }
    expect(asked).toEqual([0, 1, 3, 7, 15, 31]);
    expect((await cloudRollup(at(12, 9)))!.failures[0].message).toMatch(
      /BackoffError: AccessDenied: User: .* not authorized .* \(failing since 2026-11-23 12:07, 2 attempts; next at 2026-11-23 12:10\)/,
    );
    const state = (await store.getDocument<CollectorState>(CLUSTER, STATE_DOCUMENT.kind, STATE_DOCUMENT.id))!.value;
    expect(state.backoff).toEqual({
      [`autoscaling:describeScalingActivities ${ASG.legacy}`]: {
        failures: 6,
        since: RUN,
        nextAt: at(13, 8),
        message: expect.stringMatching(/^AccessDenied/),
      },
    });
    // Told when it started failing, then only at the attempts (not every minute it waited).
    expect(logs.filter((l) => l.message === 'query failing; asked again at growing intervals').map((l) => l.query)).toEqual([
      `autoscaling:describeScalingActivities ${ASG.legacy}`,
    ]);
    expect(logs.filter((l) => l.level === 'warn' && l.message === 'cluster collected with failures')).toHaveLength(asked.length);

    // Fixed (the IAM policy mended): the next attempt succeeds and the backoff is gone.
    aws.fail('DescribeScalingActivities', 0, denied);
    t.clock.set(at(13, 8, 20));
    expect((await collect({ logger })).failures).toEqual([]);
    expect((await store.getDocument<CollectorState>(CLUSTER, STATE_DOCUMENT.kind, STATE_DOCUMENT.id))!.value.backoff).toBeUndefined();
    expect(logs.at(-2)).toMatchObject({
      message: 'query recovered',
      query: `autoscaling:describeScalingActivities ${ASG.legacy}`,
      failures: 6,
    });
  });
});

/**
 * The simulated account behind the collector's AWS interfaces (EKS, EC2, Auto Scaling, CloudWatch): each
 * call described as the real API would at `clock.now()`, counted page by page with the SDK adapters' page
 * sizes (so a simulated run's call counts are a real account's), failing as `failNext` asked.
 */
import type { AwsAccount } from '../../lambdas/aws/account';
import {
  ACTIVITIES_PER_PAGE,
  GROUP_NAMES_PER_CALL,
  GROUPS_PER_PAGE,
  isFinalActivity,
  MAX_ACTIVITY_PAGES,
  type AutoScalingApi,
  type DescribedGroup,
  type GroupQuery,
} from '../../lambdas/aws/autoscaling';
import type { CallCounter } from '../../lambdas/aws/calls';
import { DATAPOINTS_PER_PAGE, LISTED_METRICS_PER_PAGE, MAX_QUERIES_PER_CALL, type CloudWatchApi } from '../../lambdas/aws/cloudwatch';
import { INSTANCES_PER_PAGE, type ClusterInstance, type Ec2Api } from '../../lambdas/aws/ec2';
import { NODEGROUPS_PER_PAGE, type EksApi } from '../../lambdas/aws/eks';
import type { ClusterInfo, Host, NodeGroup, ScalingActivity } from '../../model/domain';
import { HOUR_MS, type Clock, type EpochMs } from '../../model/time';
import { metricSeries, type MetricSource } from './cloudwatch';
import type { Activity, Cluster, Group, Instance, SimNodeGroupKind } from './state';

/** What the APIs read of the account (`account.ts`). */
export interface AccountView {
  readonly clock: Clock;
  readonly clusters: ReadonlyMap<string, Cluster>;
  readonly instances: readonly Instance[];
  readonly activities: readonly Activity[];
  /** Failures to serve the next calls of an operation with (`failNext`). */
  readonly faults: Map<string, { left: number; error: () => Error }>;
  readonly metricSource: MetricSource;
  /** Brings the account up to `clock.now()`. */
  advance(): void;
  /** A cluster's instances EC2 still lists. */
  visible(cluster: string): Instance[];
  host(i: Instance): Host;
}

export interface SimError extends Error {
  readonly $metadata: { readonly httpStatusCode: number };
}

/** An error shaped like the SDK's (name, message, HTTP status). */
export function simError(name: string, message: string, httpStatusCode = 400): SimError {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode } });
}

/** The four APIs, counting their calls into `calls`. */
export function simulatedApis(account: AccountView, calls: CallCounter): AwsAccount {
  const call = (operation: string, pages = 1) => {
    account.advance();
    for (let p = 0; p < pages; p++) calls.count(operation);
    const f = account.faults.get(operation);
    if (f && f.left > 0) {
      f.left--;
      throw f.error();
    }
  };
  const eks: EksApi = {
    describeCluster: async (name) => {
      call('eks:DescribeCluster');
      const c = account.clusters.get(name);
      if (!c) throw simError('ResourceNotFoundException', `No cluster found for name: ${name}.`, 404);
      return clusterInfo(c);
    },
    listNodegroups: async (name) => {
      const managed = [...(account.clusters.get(name)?.groups.values() ?? [])].filter((g) => g.spec.kind === 'managed');
      call('eks:ListNodegroups', pages(managed.length, NODEGROUPS_PER_PAGE));
      if (!account.clusters.has(name)) throw simError('ResourceNotFoundException', `No cluster found for name: ${name}.`, 404);
      return managed.map((g) => g.spec.name);
    },
    describeNodegroup: async (cluster, name) => {
      call('eks:DescribeNodegroup');
      const g = account.clusters.get(cluster)?.groups.get(name);
      if (!g || g.spec.kind !== 'managed') throw simError('ResourceNotFoundException', `No node group found for name: ${name}.`, 404);
      return nodeGroup(g);
    },
  };
  const ec2: Ec2Api = {
    describeClusterInstances: async (cluster) => {
      const all = account.visible(cluster);
      // Three tag filters (see lambdas/aws/ec2.ts): every instance but Auto Mode's, the managed groups' again, Auto Mode's.
      const count = (p: (k: SimNodeGroupKind) => boolean) => pages(all.filter((i) => p(i.group.spec.kind)).length, INSTANCES_PER_PAGE);
      call('ec2:DescribeInstances', count((k) => k !== 'auto-mode') + count((k) => k === 'managed') + count((k) => k === 'auto-mode'));
      return all.map((i) => clusterInstance(account, i));
    },
  };
  const autoScaling: AutoScalingApi = {
    describeGroups: async (query: GroupQuery) => {
      const all = [...account.clusters.values()].flatMap((c) => [...c.groups.values()]).filter((g) => g.asgName);
      let found: Group[];
      let n: number;
      if ('names' in query) {
        const wanted = new Set(query.names);
        found = all.filter((g) => wanted.has(g.asgName!));
        n = 0;
        for (let i = 0; i < query.names.length; i += GROUP_NAMES_PER_CALL) {
          const chunk = new Set(query.names.slice(i, i + GROUP_NAMES_PER_CALL));
          n += pages(found.filter((g) => chunk.has(g.asgName!)).length, GROUPS_PER_PAGE);
        }
      } else {
        found = all.filter((g) => g.cluster === query.clusterTag);
        n = pages(found.length, GROUPS_PER_PAGE);
      }
      call('autoscaling:DescribeAutoScalingGroups', n);
      return found.map((g) => describedGroup(account, g));
    },
    describeScalingActivities: async (group, since) => {
      const now = account.clock.now();
      // As AWS lists them: activities still in progress first, then the others newest first.
      const all = account.activities
        .filter((a) => a.asg === group && a.startTime <= now)
        .map((a) => activity(a, now))
        .sort((a, b) => Number(isFinalActivity(a.status)) - Number(isFinalActivity(b.status)) || b.startTime - a.startTime);
      const older = all.findIndex((a) => isFinalActivity(a.status) && a.startTime < since);
      const needed = older === -1 ? all.length : older + 1;
      call('autoscaling:DescribeScalingActivities', Math.min(MAX_ACTIVITY_PAGES, pages(needed, ACTIVITIES_PER_PAGE)));
      return all
        .slice(0, Math.min(needed, MAX_ACTIVITY_PAGES * ACTIVITIES_PER_PAGE))
        .filter((a) => a.startTime >= since || !isFinalActivity(a.status));
    },
  };
  const cloudWatch: CloudWatchApi = {
    getMetricData: async (queries, from, to) => {
      if (queries.length > MAX_QUERIES_PER_CALL)
        throw new RangeError(`GetMetricData takes at most ${MAX_QUERIES_PER_CALL} queries a request, got ${queries.length}`);
      if (queries.length === 0) return [];
      account.advance();
      const series = queries.map((q) => metricSeries(account.metricSource, q, from, to));
      // Pages by data points; each page is billed for every query.
      const n = pages(
        series.reduce((a, s) => a + s.points.length, 0),
        DATAPOINTS_PER_PAGE,
      );
      call('cloudwatch:GetMetricData', n);
      calls.countMetrics(queries.length * n);
      return series;
    },
    listMetrics: async (namespace, metricName) => {
      const now = account.clock.now();
      const agents =
        namespace === 'CWAgent' && (metricName === 'mem_used_percent' || metricName === 'disk_used_percent')
          ? account.instances.filter(
              (i) =>
                i.group.spec.cloudWatchAgent && i.runningAt <= now && (i.terminatedAt === undefined || now - i.terminatedAt < 3 * HOUR_MS),
            )
          : [];
      call('cloudwatch:ListMetrics', pages(agents.length, LISTED_METRICS_PER_PAGE));
      return agents.map((i) => ({
        InstanceId: i.id,
        ImageId: 'ami-0c2b8ca1dad447f8a',
        InstanceType: i.group.spec.instanceType,
        ...(i.group.asgName ? { AutoScalingGroupName: i.group.asgName } : {}),
        ...(metricName === 'disk_used_percent' ? { path: '/', device: 'nvme0n1p1', fstype: 'xfs' } : {}),
      }));
    },
  };
  return { eks, ec2, autoScaling, cloudWatch };
}

function clusterInstance(account: AccountView, i: Instance): ClusterInstance {
  return {
    host: account.host(i),
    detailedMonitoring: i.group.spec.detailedMonitoring,
    nodePool: i.group.spec.kind === 'karpenter' || i.group.spec.kind === 'auto-mode' ? i.group.spec.name : undefined,
  };
}

function clusterInfo(c: Cluster): ClusterInfo {
  return { name: c.name, status: c.status, version: c.version, platformVersion: 'eks.12', healthIssues: c.healthIssues };
}

function nodeGroup(g: Group): NodeGroup {
  return {
    name: g.spec.name,
    kind: 'managed',
    status: g.update ? 'UPDATING' : g.healthIssues.length ? 'DEGRADED' : 'ACTIVE',
    scaling: { min: g.min, max: g.max, desired: g.desired },
    autoScalingGroups: g.asgName ? [g.asgName] : [],
    instanceTypes: [g.spec.instanceType],
    capacityType: g.spec.capacityType,
    healthIssues: g.healthIssues,
  };
}

function describedGroup(account: AccountView, g: Group): DescribedGroup {
  const now = account.clock.now();
  const members = account.instances.filter(
    (i) => i.group === g && i.launchAt <= now && (i.terminatedAt === undefined || now < i.terminatedAt),
  );
  const instances = members.map((i) => ({
    instanceId: i.id,
    lifecycleState: i.terminateAt !== undefined && now >= i.terminateAt ? 'Terminating' : now < i.inServiceAt ? 'Pending' : 'InService',
    healthStatus: i.unhealthy ? ('Unhealthy' as const) : ('Healthy' as const),
    zone: i.zone,
    instanceType: g.spec.instanceType,
  }));
  const count = (s: string) => instances.filter((i) => i.lifecycleState === s).length;
  const managed = g.spec.kind === 'managed';
  return {
    name: g.asgName!,
    nodeGroup: g.spec.name,
    min: g.min,
    max: g.max,
    desired: g.desired,
    inService: count('InService'),
    pending: count('Pending'),
    terminating: count('Terminating'),
    standby: 0,
    instances,
    eksNodeGroup: managed ? g.spec.name : undefined,
  };
}

function activity(a: Activity, now: EpochMs): ScalingActivity {
  const done = now >= a.finishAt;
  return {
    activityId: a.id,
    autoScalingGroup: a.asg,
    status: done ? a.finalStatus : 'InProgress',
    cause: a.cause,
    description: a.description,
    statusMessage: done ? a.statusMessage : undefined,
    startTime: a.startTime,
    endTime: done ? a.finishAt : undefined,
  };
}

/** Pages a listing of `n` items takes (an empty listing is still one call). */
function pages(n: number, size: number): number {
  return Math.max(1, Math.ceil(n / size));
}

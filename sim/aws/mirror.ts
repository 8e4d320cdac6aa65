/**
 * A simulated AWS side for a real cluster watched without AWS credentials (`vigil local --kubeconfig`
 * without `--aws`): EKS, EC2, Auto Scaling and CloudWatch as they would describe the cluster's nodes, built
 * from the node-minutes the agent reported.
 *
 * - Each node with an EC2 provider id (`aws:///<zone>/i-…`) is an instance of its labelled type, zone and
 *   capacity type; nodes that stopped reporting are terminated instances.
 * - Each node group label (`eks.amazonaws.com/nodegroup`, eksctl's) is an EKS managed node group with one
 *   Auto Scaling group holding exactly its current nodes; Karpenter nodes carry their NodePool, no group.
 * - CloudWatch's CPUUtilization is the kubelet's node CPU over the node's capacity; the CloudWatch agent's
 *   memory and disk are the node's working set and root filesystem use. Status checks pass; the cluster is
 *   ACTIVE; there are no scaling activities.
 *
 * Group names and the cluster's platform version say `SIMULATED`, so no alert about them passes for AWS's.
 */
import type { AwsAccount } from '../../lambdas/aws/account';
import type { DescribedGroup } from '../../lambdas/aws/autoscaling';
import type { CallCounter } from '../../lambdas/aws/calls';
import { MAX_QUERIES_PER_CALL, type MetricQuery, type MetricSeries } from '../../lambdas/aws/cloudwatch';
import type { ClusterInstance } from '../../lambdas/aws/ec2';
import type { HostMetrics, KubeNodeMinute } from '../../model/domain';
import { MINUTE_MS, type EpochMs } from '../../model/time';
import { simError } from './account';
import { statOf } from './cloudwatch';
import { groupAtRest } from '../synthetic';

/** What names and versions of the mirrored side carry. */
export const SIMULATED_MARK = 'SIMULATED';

export interface MirrorInput {
  readonly cluster: string;
  /** The agent's node-minutes over at least the collector's CloudWatch window, in any order. */
  readonly nodeMinutes: readonly KubeNodeMinute[];
  /** Points of periods not over by now are not readable yet. */
  readonly now: EpochMs;
}

interface MirroredInstance {
  readonly instance: ClusterInstance;
  /** Per minute: the host figures derived from the node's. */
  readonly metrics: ReadonlyMap<EpochMs, HostMetrics>;
}

/** The Auto Scaling group standing for a node group. */
export function mirroredGroupName(nodeGroup: string): string {
  return `${nodeGroup}-${SIMULATED_MARK}`;
}

export function mirroredAccount(input: MirrorInput, calls: CallCounter): AwsAccount {
  const instances = mirrorInstances(input);
  const groups = mirrorGroups(instances);
  const call = (operation: string) => calls.count(operation);
  const unknownCluster = (name: string) => simError('ResourceNotFoundException', `No cluster found for name: ${name}.`, 404);
  const version = input.nodeMinutes
    .map((m) => m.node.kubeletVersion)
    .find(Boolean)
    ?.match(/^v?(\d+\.\d+)/)?.[1];
  return {
    eks: {
      describeCluster: async (name) => {
        call('eks:DescribeCluster');
        if (name !== input.cluster) throw unknownCluster(name);
        return { name, status: 'ACTIVE', ...(version ? { version } : {}), platformVersion: SIMULATED_MARK, healthIssues: [] };
      },
      listNodegroups: async (name) => {
        call('eks:ListNodegroups');
        if (name !== input.cluster) throw unknownCluster(name);
        return groups.map((g) => g.nodeGroup!);
      },
      describeNodegroup: async (_cluster, name) => {
        call('eks:DescribeNodegroup');
        const g = groups.find((x) => x.nodeGroup === name);
        if (!g) throw simError('ResourceNotFoundException', `No node group found for name: ${name}.`, 404);
        const members = instances.filter((i) => i.instance.host.autoScalingGroup === g.name);
        return {
          name,
          kind: 'managed',
          status: 'ACTIVE',
          scaling: { min: g.min, max: g.max, desired: g.desired },
          autoScalingGroups: [g.name],
          instanceTypes: [...new Set(members.map((i) => i.instance.host.instanceType))].sort(),
          capacityType: members[0]?.instance.host.capacityType,
          healthIssues: [],
        };
      },
    },
    ec2: {
      describeClusterInstances: async (cluster) => {
        call('ec2:DescribeInstances');
        return cluster === input.cluster ? instances.map((i) => i.instance) : [];
      },
    },
    autoScaling: {
      describeGroups: async (query) => {
        call('autoscaling:DescribeAutoScalingGroups');
        return 'names' in query ? groups.filter((g) => query.names.includes(g.name)) : query.clusterTag === input.cluster ? groups : [];
      },
      describeScalingActivities: async () => {
        call('autoscaling:DescribeScalingActivities');
        return [];
      },
    },
    cloudWatch: {
      getMetricData: async (queries, from, to) => {
        if (queries.length > MAX_QUERIES_PER_CALL)
          throw new RangeError(`GetMetricData takes at most ${MAX_QUERIES_PER_CALL} queries a request, got ${queries.length}`);
        if (queries.length === 0) return [];
        call('cloudwatch:GetMetricData');
        calls.countMetrics(queries.length);
        return queries.map((q) => series(q, instances, from, Math.min(to, input.now)));
      },
      listMetrics: async (namespace, metricName) => {
        call('cloudwatch:ListMetrics');
        const field = AGENT_FIELDS[metricName];
        if (namespace !== 'CWAgent' || !field) return [];
        return instances
          .filter((i) => i.instance.host.state === 'running' && [...i.metrics.values()].some((m) => m[field] !== undefined))
          .map(({ instance: { host } }) => ({
            InstanceId: host.instanceId,
            InstanceType: host.instanceType,
            ...(host.autoScalingGroup ? { AutoScalingGroupName: host.autoScalingGroup } : {}),
            ...(field === 'diskUsedPct' ? { path: '/', device: 'nvme0n1p1', fstype: 'xfs' } : {}),
          }));
      },
    },
  };
}

/** One instance per node with an EC2 provider id, as of the newest minute reported. */
function mirrorInstances(input: MirrorInput): MirroredInstance[] {
  const latest = Math.max(0, ...input.nodeMinutes.map((m) => m.minute));
  const byInstance = new Map<string, KubeNodeMinute[]>();
  for (const m of input.nodeMinutes) {
    if (!m.node.instanceId) continue;
    byInstance.set(m.node.instanceId, [...(byInstance.get(m.node.instanceId) ?? []), m]);
  }
  return [...byInstance.entries()]
    .map(([instanceId, minutes]) => {
      const sorted = [...minutes].sort((a, b) => a.minute - b.minute);
      const node = sorted[sorted.length - 1].node;
      const present = sorted[sorted.length - 1].minute === latest;
      return {
        instance: {
          host: {
            instanceId,
            instanceType: node.instanceType ?? 'unknown',
            zone: node.zone ?? 'unknown',
            capacityType: node.capacityType ?? 'on-demand',
            state: present ? ('running' as const) : ('terminated' as const),
            launchTime: node.createdAt ?? sorted[0].minute,
            ...(present ? { privateDnsName: node.name } : {}),
            ...(node.nodeGroup
              ? { autoScalingGroup: mirroredGroupName(node.nodeGroup), nodeGroup: node.nodeGroup }
              : node.nodePool
                ? { nodeGroup: node.nodePool }
                : {}),
          },
          detailedMonitoring: false,
          ...(node.nodePool && !node.nodeGroup ? { nodePool: node.nodePool } : {}),
        },
        metrics: new Map(sorted.map((m) => [m.minute, hostMetricsOf(m)])),
      };
    })
    .sort((a, b) => a.instance.host.instanceId.localeCompare(b.instance.host.instanceId));
}

/**
 * One group per node group, at its current size. Its max is twice that: the real limit is unknown here,
 * and an invented one at the current size would report every Pending pod as the group being at its max.
 */
function mirrorGroups(instances: readonly MirroredInstance[]): DescribedGroup[] {
  const members = new Map<string, ClusterInstance['host'][]>();
  for (const { instance } of instances) {
    const h = instance.host;
    if (!h.autoScalingGroup || h.state !== 'running') continue;
    members.set(h.nodeGroup!, [...(members.get(h.nodeGroup!) ?? []), h]);
  }
  return [...members.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([nodeGroup, hosts]) => ({
      ...groupAtRest(mirroredGroupName(nodeGroup), nodeGroup, hosts, { min: 0, max: hosts.length * 2 }),
      eksNodeGroup: nodeGroup,
    }));
}

/** The host figures of a minute, from the node's own (none where the kubelet could not be read). */
function hostMetricsOf(m: KubeNodeMinute): HostMetrics {
  const s = m.stats;
  const share = (part: number | undefined, whole: number | undefined) =>
    part === undefined || !whole ? undefined : Math.round((part / whole) * 10_000) / 100;
  const used = s?.fsCapacityBytes !== undefined && s.fsAvailableBytes !== undefined ? s.fsCapacityBytes - s.fsAvailableBytes : undefined;
  const figures: HostMetrics = {
    cpuPct: share(s?.cpuMilli, m.node.capacity.cpuMilli),
    memoryUsedPct: share(s?.memoryWorkingSetBytes, m.node.capacity.memoryBytes),
    diskUsedPct: share(used, s?.fsCapacityBytes),
    statusCheckFailed: 0,
    statusCheckFailedInstance: 0,
    statusCheckFailedSystem: 0,
  };
  return Object.fromEntries(Object.entries(figures).filter(([, v]) => v !== undefined)) as HostMetrics;
}

const EC2_FIELDS: Readonly<Record<string, keyof HostMetrics>> = {
  CPUUtilization: 'cpuPct',
  StatusCheckFailed: 'statusCheckFailed',
  StatusCheckFailed_Instance: 'statusCheckFailedInstance',
  StatusCheckFailed_System: 'statusCheckFailedSystem',
};
const AGENT_FIELDS: Readonly<Record<string, keyof HostMetrics>> = { mem_used_percent: 'memoryUsedPct', disk_used_percent: 'diskUsedPct' };

/** A query's points over [from, to): one per period that is over, from the minutes reported in it. */
function series(q: MetricQuery, instances: readonly MirroredInstance[], from: EpochMs, to: EpochMs): MetricSeries {
  const field = (q.namespace === 'AWS/EC2' ? EC2_FIELDS : q.namespace === 'CWAgent' ? AGENT_FIELDS : {})[q.metricName];
  const members = q.dimensions.InstanceId
    ? instances.filter((i) => i.instance.host.instanceId === q.dimensions.InstanceId)
    : q.dimensions.AutoScalingGroupName && q.namespace === 'AWS/EC2'
      ? instances.filter((i) => i.instance.host.autoScalingGroup === q.dimensions.AutoScalingGroupName)
      : [];
  const points: { t: EpochMs; value: number }[] = [];
  const step = Math.max(MINUTE_MS, q.periodSeconds * 1000);
  for (let t = Math.ceil(from / step) * step; field && t + step <= to; t += step) {
    const samples: number[] = [];
    for (const i of members) {
      for (let m = t; m < t + step; m += MINUTE_MS) {
        const v = i.metrics.get(m)?.[field];
        if (v !== undefined) samples.push(v);
      }
    }
    if (!samples.length) continue;
    points.push({ t, value: statOf(q.stat, samples) });
  }
  return { id: q.id, points, status: 'Complete' };
}

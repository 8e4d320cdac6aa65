/**
 * One cluster's cloud side, read from EKS, EC2 and Auto Scaling: the cluster, its node groups (managed,
 * self-managed, Karpenter), the Auto Scaling groups behind them and the instances. Every call that fails is
 * recorded as a `CollectorFailure` and the rest is kept: a blind spot is reported, never hidden.
 */
import type { AutoScalingGroup, ClusterInfo, CollectorFailure, NodeGroup } from '../../model/domain';
import type { AwsAccount } from '../aws/account';
import type { DescribedGroup } from '../aws/autoscaling';
import { describeError } from '../aws/calls';
import type { ClusterInstance } from '../aws/ec2';
import { mapLimit } from '../../common/concurrency';

export interface CloudState {
  readonly cluster?: ClusterInfo;
  readonly nodeGroups: readonly NodeGroup[];
  readonly autoScalingGroups: readonly AutoScalingGroup[];
  /** Hosts carry their node group and, for instances in a group that was read, its lifecycle and health. */
  readonly instances: readonly ClusterInstance[];
  /** `DescribeInstances` answered: `instances` is the cluster's, not an empty stand-in. */
  readonly instancesRead: boolean;
  readonly failures: readonly CollectorFailure[];
}

/** Parallel `DescribeNodegroup` calls per cluster. */
const PARALLEL_CALLS = 4;

export async function readCloudState(aws: AwsAccount, cluster: string): Promise<CloudState> {
  const failures: CollectorFailure[] = [];
  const attempt = async <T>(
    operation: string,
    what: string,
    fn: () => Promise<T>,
    subject?: CollectorFailure['subject'],
  ): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (e) {
      failures.push({ operation, message: `${what}: ${describeError(e)}`, ...(subject ? { subject } : {}) });
      return undefined;
    }
  };

  const [info, managed, instances, tagged] = await Promise.all([
    attempt('eks:DescribeCluster', `cluster ${cluster}`, () => aws.eks.describeCluster(cluster)),
    attempt('eks:ListNodegroups', `cluster ${cluster}`, () => aws.eks.listNodegroups(cluster)).then(async (names) =>
      names === undefined
        ? undefined
        : (
            await mapLimit(names, PARALLEL_CALLS, (n) =>
              attempt('eks:DescribeNodegroup', `node group ${n}`, () => aws.eks.describeNodegroup(cluster, n), { nodeGroup: n }),
            )
          ).filter((g): g is NodeGroup => g !== undefined),
    ),
    attempt('ec2:DescribeInstances', `instances of cluster ${cluster}`, () => aws.ec2.describeClusterInstances(cluster)),
    attempt('autoscaling:DescribeAutoScalingGroups', `groups tagged for cluster ${cluster}`, () =>
      aws.autoScaling.describeGroups({ clusterTag: cluster }),
    ),
  ]);

  // Groups behind managed node groups or running the cluster's instances, when untagged.
  const groups = new Map((tagged ?? []).map((g) => [g.name, g]));
  const missing = [
    ...new Set([
      ...(managed ?? []).flatMap((n) => n.autoScalingGroups),
      ...(instances ?? []).flatMap((i) => (i.host.autoScalingGroup ? [i.host.autoScalingGroup] : [])),
    ]),
  ].filter((name) => !groups.has(name));
  if (missing.length) {
    const named = await attempt('autoscaling:DescribeAutoScalingGroups', `groups ${missing.join(', ')}`, () =>
      aws.autoScaling.describeGroups({ names: missing }),
    );
    for (const g of named ?? []) groups.set(g.name, g);
  }

  const nodeGroups = nodeGroupsOf(managed ?? [], [...groups.values()], instances ?? []);
  const groupOf = new Map(nodeGroups.flatMap((n) => n.autoScalingGroups.map((a) => [a, n.name] as const)));
  const asgInstances = new Map([...groups.values()].flatMap((g) => g.instances.map((i) => [i.instanceId, i] as const)));
  return {
    cluster: info,
    nodeGroups,
    autoScalingGroups: [...groups.values()]
      .map(({ eksNodeGroup: _, ...g }) => ({ ...g, nodeGroup: groupOf.get(g.name) ?? g.nodeGroup }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    instances: (instances ?? []).map((i) => {
      const a = asgInstances.get(i.host.instanceId);
      const nodeGroup = i.host.nodeGroup ?? (i.host.autoScalingGroup ? groupOf.get(i.host.autoScalingGroup) : undefined);
      return { ...i, host: { ...i.host, nodeGroup, lifecycleState: a?.lifecycleState, healthStatus: a?.healthStatus } };
    }),
    instancesRead: instances !== undefined,
    failures,
  };
}

/**
 * Managed groups as EKS describes them (or, when EKS could not be read, as their `eks:nodegroup-name`
 * tagged groups show them), self-managed groups from the other Auto Scaling groups, and Karpenter NodePools
 * from the instances' tags.
 */
export function nodeGroupsOf(
  managed: readonly NodeGroup[],
  groups: readonly DescribedGroup[],
  instances: readonly ClusterInstance[],
): NodeGroup[] {
  const out = new Map(managed.map((n) => [n.name, n]));
  const behindManaged = new Set(managed.flatMap((n) => n.autoScalingGroups));
  const typesOf = (pick: (i: ClusterInstance) => boolean) => {
    const mine = instances.filter(pick);
    const types = [...new Set(mine.map((i) => i.host.instanceType))].sort();
    const capacity = [...new Set(mine.map((i) => i.host.capacityType))];
    return { instanceTypes: types.length ? types : undefined, capacityType: capacity.length === 1 ? capacity[0] : undefined };
  };
  // Groups not behind a managed node group, by the node group they form (several groups per name add up).
  const byName = new Map<string, DescribedGroup[]>();
  for (const g of groups) {
    if (behindManaged.has(g.name)) continue;
    const name = g.eksNodeGroup ?? g.nodeGroup ?? g.name;
    byName.set(name, [...(byName.get(name) ?? []), g]);
  }
  for (const [name, mine] of byName) {
    const existing = out.get(name);
    const asgs = mine.map((g) => g.name);
    if (existing) {
      out.set(name, { ...existing, autoScalingGroups: [...existing.autoScalingGroups, ...asgs] });
      continue;
    }
    const sum = (k: 'min' | 'max' | 'desired') => mine.reduce((a, g) => a + g[k], 0);
    out.set(name, {
      name,
      kind: mine.some((g) => g.eksNodeGroup) ? 'managed' : 'self-managed',
      scaling: { min: sum('min'), max: sum('max'), desired: sum('desired') },
      autoScalingGroups: asgs,
      ...typesOf((i) => i.host.autoScalingGroup !== undefined && asgs.includes(i.host.autoScalingGroup)),
      healthIssues: [],
    });
  }
  const pools = [...new Set(instances.flatMap((i) => (i.nodePool ? [i.nodePool] : [])))].sort();
  for (const pool of pools) {
    if (out.has(pool)) continue;
    out.set(pool, { name: pool, kind: 'karpenter', autoScalingGroups: [], ...typesOf((i) => i.nodePool === pool), healthIssues: [] });
  }
  return [...out.values()].sort((a, b) => a.name.localeCompare(b.name));
}

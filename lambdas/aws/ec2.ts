/**
 * What the collector reads from EC2: the cluster's instances, found by the tags EKS, eksctl, Terraform and
 * Karpenter put on them. One interface, its SDK adapter, and the pure mapping to Vigil's `Host`.
 */
import { paginateDescribeInstances, type EC2Client, type Filter, type Instance } from '@aws-sdk/client-ec2';
import type { CapacityType, Host, InstanceState } from '../../model/domain';
import { countedPages, type CallCounter } from './calls';

/** An instance of the cluster, with what the collector needs beyond the `Host` it stores. */
export interface ClusterInstance {
  readonly host: Host;
  /** EC2 detailed monitoring (1-minute CloudWatch data); basic monitoring is 5-minute. */
  readonly detailedMonitoring: boolean;
  /** Karpenter NodePool (`karpenter.sh/nodepool`) or EKS Auto Mode node pool (`eks:kubernetes-node-pool-name`). */
  readonly nodePool?: string;
}

export interface Ec2Api {
  /** Instances tagged for the cluster, in any state (terminated ones stay listed about an hour), every page. */
  describeClusterInstances(cluster: string): Promise<ClusterInstance[]>;
}

/** `DescribeInstances` returns at most 1,000 instances a page. */
export const INSTANCES_PER_PAGE = 1000;

/**
 * The tag filters that find a cluster's instances. Filters in one request are ANDed, so each is its own
 * request: `kubernetes.io/cluster/<name>` (managed and self-managed groups, Karpenter),
 * `eks:cluster-name` (managed node groups) and `eks:eks-cluster-name` (EKS Auto Mode, whose instances carry
 * `eks:eks-cluster-name`, `eks:kubernetes-node-pool-name` and `eks:kubernetes-node-class-name`: the tags
 * the AWS managed policy AmazonEKSComputePolicy requires on what Auto Mode launches).
 */
export function clusterInstanceFilters(cluster: string): Filter[][] {
  return [
    [{ Name: `tag:kubernetes.io/cluster/${cluster}`, Values: ['owned', 'shared'] }],
    [{ Name: 'tag:eks:cluster-name', Values: [cluster] }],
    [{ Name: 'tag:eks:eks-cluster-name', Values: [cluster] }],
  ];
}

export class SdkEc2 implements Ec2Api {
  constructor(
    private readonly client: EC2Client,
    private readonly calls: CallCounter,
  ) {}

  async describeClusterInstances(cluster: string): Promise<ClusterInstance[]> {
    const byId = new Map<string, ClusterInstance>();
    for (const filters of clusterInstanceFilters(cluster)) {
      const pages = paginateDescribeInstances(countedPages(this.client, this.calls, 'ec2:DescribeInstances'), {
        Filters: filters,
        MaxResults: INSTANCES_PER_PAGE,
      });
      for await (const out of pages) {
        for (const r of out.Reservations ?? []) {
          for (const i of r.Instances ?? []) {
            const c = clusterInstanceOf(i);
            if (c) byId.set(c.host.instanceId, c);
          }
        }
      }
    }
    return [...byId.values()].sort((a, b) => a.host.instanceId.localeCompare(b.host.instanceId));
  }
}

export function clusterInstanceOf(i: Instance): ClusterInstance | undefined {
  if (!i.InstanceId) return undefined;
  const tags = new Map((i.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  const nodePool = tags.get('karpenter.sh/nodepool') || tags.get('eks:kubernetes-node-pool-name') || undefined;
  const host: Host = {
    instanceId: i.InstanceId,
    instanceType: i.InstanceType ?? 'unknown',
    zone: i.Placement?.AvailabilityZone ?? 'unknown',
    capacityType: capacityTypeOf(i.InstanceLifecycle),
    state: (i.State?.Name ?? 'pending') as InstanceState,
    launchTime: i.LaunchTime ? new Date(i.LaunchTime).getTime() : 0,
    // Terminated instances report empty strings.
    privateDnsName: i.PrivateDnsName || undefined,
    privateIp: i.PrivateIpAddress || undefined,
    autoScalingGroup: tags.get('aws:autoscaling:groupName') || undefined,
    nodeGroup: tags.get('eks:nodegroup-name') || tags.get('alpha.eksctl.io/nodegroup-name') || nodePool,
  };
  return { host, detailedMonitoring: i.Monitoring?.State === 'enabled', nodePool };
}

function capacityTypeOf(lifecycle: string | undefined): CapacityType {
  if (lifecycle === 'spot') return 'spot';
  if (lifecycle === 'capacity-block') return 'capacity-block';
  return 'on-demand';
}

/**
 * What the collector reads from EKS: the cluster and its managed node groups. One interface, its SDK
 * adapter, and the pure mappings from API shapes to Vigil's model.
 */
import {
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  paginateListNodegroups,
  type Cluster,
  type EKSClient,
  type Nodegroup,
} from '@aws-sdk/client-eks';
import type { CapacityType, ClusterInfo, ClusterStatus, HealthIssue, NodeGroup } from '../../model/domain';
import { countedPages, type CallCounter } from './calls';

export interface EksApi {
  describeCluster(name: string): Promise<ClusterInfo>;
  /** Names of the cluster's managed node groups, every page. */
  listNodegroups(cluster: string): Promise<string[]>;
  describeNodegroup(cluster: string, nodegroup: string): Promise<NodeGroup>;
}

/** `ListNodegroups` returns at most 100 names a page. */
export const NODEGROUPS_PER_PAGE = 100;

export class SdkEks implements EksApi {
  constructor(
    private readonly client: EKSClient,
    private readonly calls: CallCounter,
  ) {}

  async describeCluster(name: string): Promise<ClusterInfo> {
    this.calls.count('eks:DescribeCluster');
    const out = await this.client.send(new DescribeClusterCommand({ name }));
    if (!out.cluster) throw new Error(`DescribeCluster ${name}: no cluster in the response`);
    return clusterInfoOf(out.cluster);
  }

  async listNodegroups(cluster: string): Promise<string[]> {
    const names: string[] = [];
    const pages = paginateListNodegroups(countedPages(this.client, this.calls, 'eks:ListNodegroups'), {
      clusterName: cluster,
      maxResults: NODEGROUPS_PER_PAGE,
    });
    for await (const out of pages) names.push(...(out.nodegroups ?? []));
    return names;
  }

  async describeNodegroup(cluster: string, nodegroup: string): Promise<NodeGroup> {
    this.calls.count('eks:DescribeNodegroup');
    const out = await this.client.send(new DescribeNodegroupCommand({ clusterName: cluster, nodegroupName: nodegroup }));
    if (!out.nodegroup) throw new Error(`DescribeNodegroup ${cluster}/${nodegroup}: no node group in the response`);
    return nodeGroupOf(out.nodegroup);
  }
}

export function clusterInfoOf(c: Cluster): ClusterInfo {
  return {
    name: c.name ?? '',
    status: (c.status ?? 'PENDING') as ClusterStatus,
    version: c.version,
    platformVersion: c.platformVersion,
    healthIssues: issuesOf(c.health?.issues),
  };
}

export function nodeGroupOf(n: Nodegroup): NodeGroup {
  return {
    name: n.nodegroupName ?? '',
    kind: 'managed',
    status: n.status,
    scaling: n.scalingConfig
      ? { min: n.scalingConfig.minSize ?? 0, max: n.scalingConfig.maxSize ?? 0, desired: n.scalingConfig.desiredSize ?? 0 }
      : undefined,
    autoScalingGroups: (n.resources?.autoScalingGroups ?? []).flatMap((g) => (g.name ? [g.name] : [])),
    instanceTypes: n.instanceTypes,
    capacityType: capacityTypeOf(n.capacityType),
    healthIssues: issuesOf(n.health?.issues),
  };
}

function issuesOf(issues: readonly { code?: string; message?: string; resourceIds?: string[] }[] | undefined): HealthIssue[] {
  return (issues ?? []).map((i) => ({ code: i.code ?? 'Unknown', message: i.message ?? '', resourceIds: i.resourceIds }));
}

/** EKS spells capacity types `ON_DEMAND`, `SPOT`, `CAPACITY_BLOCK`. */
function capacityTypeOf(t: string | undefined): CapacityType | undefined {
  switch (t) {
    case 'ON_DEMAND':
      return 'on-demand';
    case 'SPOT':
      return 'spot';
    case 'CAPACITY_BLOCK':
      return 'capacity-block';
    default:
      return undefined;
  }
}

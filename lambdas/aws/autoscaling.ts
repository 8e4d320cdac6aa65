/**
 * What the collector reads from EC2 Auto Scaling: the groups behind the cluster's nodes and their recent
 * scaling activities. One interface, its SDK adapter, and the pure mappings to Vigil's model.
 */
import {
  paginateDescribeAutoScalingGroups,
  paginateDescribeScalingActivities,
  type Activity,
  type AutoScalingClient,
  type AutoScalingGroup as SdkAutoScalingGroup,
  type Filter,
} from '@aws-sdk/client-auto-scaling';
import type { AutoScalingGroup, ScalingActivity } from '../../model/domain';
import type { EpochMs } from '../../model/time';
import { countedPages, type CallCounter } from './calls';

export interface DescribedGroup extends AutoScalingGroup {
  /** The EKS managed node group behind this group (`eks:nodegroup-name` tag). */
  readonly eksNodeGroup?: string;
}

/** Groups by name, or every group carrying one of the cluster's tag keys ({@link clusterGroupTagKeys}). */
export type GroupQuery = { readonly names: readonly string[] } | { readonly clusterTag: string };

/**
 * The tag keys that mark a cluster's groups, any of them: `kubernetes.io/cluster/<name>` (EKS, eksctl,
 * Terraform modules) and `k8s.io/cluster-autoscaler/<name>`, Cluster Autoscaler's auto-discovery tag: a
 * self-managed group tagged only for it, with no instance yet (every launch failing), is found too.
 * A `tag-key` filter matches groups with any of its values (Auto Scaling API reference, `Filter`).
 */
export function clusterGroupTagKeys(cluster: string): string[] {
  return [`kubernetes.io/cluster/${cluster}`, `k8s.io/cluster-autoscaler/${cluster}`];
}

export interface AutoScalingApi {
  describeGroups(query: GroupQuery): Promise<DescribedGroup[]>;
  /** The group's activities that started at or after `since`, and those still in progress, every page needed. */
  describeScalingActivities(group: string, since: EpochMs): Promise<ScalingActivity[]>;
}

/** `DescribeAutoScalingGroups` returns at most 100 groups a page, and takes at most 50 names a request. */
export const GROUPS_PER_PAGE = 100;
export const GROUP_NAMES_PER_CALL = 50;
/** Activity statuses that are final (`StatusCode`); every other one is still in progress. */
const FINAL_ACTIVITY_STATUSES = new Set(['Successful', 'Failed', 'Cancelled']);

export function isFinalActivity(status: string): boolean {
  return FINAL_ACTIVITY_STATUSES.has(status);
}

/** `DescribeScalingActivities` returns at most 100 activities a page. */
export const ACTIVITIES_PER_PAGE = 100;
/** Bounds one run's reading of a group that scaled wildly: 1,000 activities. */
export const MAX_ACTIVITY_PAGES = 10;

export class SdkAutoScaling implements AutoScalingApi {
  constructor(
    private readonly client: AutoScalingClient,
    private readonly calls: CallCounter,
  ) {}

  async describeGroups(query: GroupQuery): Promise<DescribedGroup[]> {
    const requests: { AutoScalingGroupNames?: string[]; Filters?: Filter[] }[] = [];
    if ('names' in query) {
      for (let i = 0; i < query.names.length; i += GROUP_NAMES_PER_CALL)
        requests.push({ AutoScalingGroupNames: query.names.slice(i, i + GROUP_NAMES_PER_CALL) });
    } else {
      requests.push({ Filters: [{ Name: 'tag-key', Values: clusterGroupTagKeys(query.clusterTag) }] });
    }
    const out: DescribedGroup[] = [];
    for (const request of requests) {
      const pages = paginateDescribeAutoScalingGroups(countedPages(this.client, this.calls, 'autoscaling:DescribeAutoScalingGroups'), {
        ...request,
        MaxRecords: GROUPS_PER_PAGE,
      });
      for await (const page of pages) out.push(...(page.AutoScalingGroups ?? []).map(describedGroupOf));
    }
    return out;
  }

  async describeScalingActivities(group: string, since: EpochMs): Promise<ScalingActivity[]> {
    const out: ScalingActivity[] = [];
    const pages = paginateDescribeScalingActivities(countedPages(this.client, this.calls, 'autoscaling:DescribeScalingActivities'), {
      AutoScalingGroupName: group,
      MaxRecords: ACTIVITIES_PER_PAGE,
    });
    let read = 0;
    for await (const res of pages) {
      const activities = (res.Activities ?? []).map(scalingActivityOf);
      out.push(...activities.filter((a) => a.startTime >= since || !isFinalActivity(a.status)));
      // "Activities still in progress are described first", whatever their age; the others follow newest
      // first (API_DescribeScalingActivities, ActivitiesType): once a finished one reaches past `since`, the
      // rest is older still. Leaving the loop asks for no further page.
      if (++read >= MAX_ACTIVITY_PAGES || activities.some((a) => isFinalActivity(a.status) && a.startTime < since)) break;
    }
    return out;
  }
}

export function describedGroupOf(g: SdkAutoScalingGroup): DescribedGroup {
  const tags = new Map((g.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  const instances = (g.Instances ?? []).map((i) => ({
    instanceId: i.InstanceId ?? '',
    lifecycleState: i.LifecycleState ?? 'Pending',
    healthStatus: i.HealthStatus === 'Unhealthy' ? ('Unhealthy' as const) : ('Healthy' as const),
    zone: i.AvailabilityZone ?? 'unknown',
    instanceType: i.InstanceType,
  }));
  const count = (p: (s: string) => boolean) => instances.filter((i) => p(i.lifecycleState)).length;
  const eksNodeGroup = tags.get('eks:nodegroup-name') || undefined;
  return {
    name: g.AutoScalingGroupName ?? '',
    nodeGroup: eksNodeGroup ?? (tags.get('alpha.eksctl.io/nodegroup-name') || undefined),
    min: g.MinSize ?? 0,
    max: g.MaxSize ?? 0,
    desired: g.DesiredCapacity ?? 0,
    inService: count((s) => s === 'InService'),
    pending: count((s) => s.startsWith('Pending')),
    terminating: count((s) => s.startsWith('Terminating')),
    standby: count((s) => s === 'Standby'),
    instances,
    eksNodeGroup,
  };
}

export function scalingActivityOf(a: Activity): ScalingActivity {
  return {
    activityId: a.ActivityId ?? '',
    autoScalingGroup: a.AutoScalingGroupName ?? '',
    status: a.StatusCode ?? 'Unknown',
    cause: a.Cause ?? '',
    description: a.Description ?? '',
    statusMessage: a.StatusMessage || undefined,
    startTime: a.StartTime ? new Date(a.StartTime).getTime() : 0,
    endTime: a.EndTime ? new Date(a.EndTime).getTime() : undefined,
  };
}

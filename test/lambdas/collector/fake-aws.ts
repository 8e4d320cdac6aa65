/**
 * A small AWS account behind `aws-sdk-client-mock`: the real SDK clients and Vigil's SDK adapters run
 * unchanged, and every command is answered from this state in the real API's shape, paginated with small
 * pages so every pagination path is taken (or, with {@link API_PAGES}, as the real APIs paginate).
 */
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
  type Activity,
  type AutoScalingGroup as SdkGroup,
  type DescribeAutoScalingGroupsCommandInput,
} from '@aws-sdk/client-auto-scaling';
import {
  CloudWatchClient,
  GetMetricDataCommand,
  ListMetricsCommand,
  type GetMetricDataCommandInput,
  type Metric,
} from '@aws-sdk/client-cloudwatch';
import { DescribeInstancesCommand, EC2Client, type DescribeInstancesCommandInput, type Instance } from '@aws-sdk/client-ec2';
import {
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  EKSClient,
  ListNodegroupsCommand,
  ResourceNotFoundException,
  type Cluster,
  type Nodegroup,
} from '@aws-sdk/client-eks';
import { mockClient } from 'aws-sdk-client-mock';
import { ACTIVITIES_PER_PAGE, GROUPS_PER_PAGE } from '../../../lambdas/aws/autoscaling';
import { DATAPOINTS_PER_PAGE, LISTED_METRICS_PER_PAGE } from '../../../lambdas/aws/cloudwatch';
import { INSTANCES_PER_PAGE } from '../../../lambdas/aws/ec2';
import { NODEGROUPS_PER_PAGE } from '../../../lambdas/aws/eks';

export interface Point {
  readonly t: number;
  readonly value: number;
}

/** `<namespace>|<metric>|<stat>|<period s>|<dimension>=<value>,…` (dimensions sorted). */
export function seriesKey(
  namespace: string,
  metricName: string,
  stat: string,
  periodSeconds: number,
  dimensions: Record<string, string>,
): string {
  const dims = Object.entries(dimensions)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `${namespace}|${metricName}|${stat}|${periodSeconds}|${dims}`;
}

export interface PageSizes {
  /** Items a page, below what the request asks for (or the API's own page size). */
  readonly items: number;
  /** Data points a `GetMetricData` page. */
  readonly points: number;
}

/** Small pages: every pagination path is taken. */
export const SMALL_PAGES: PageSizes = { items: 2, points: 20 };
/** The real APIs' pages: as many items as the request asks for, 100,800 data points. */
export const API_PAGES: PageSizes = { items: Number.POSITIVE_INFINITY, points: DATAPOINTS_PER_PAGE };

type CommandName =
  | 'DescribeCluster'
  | 'ListNodegroups'
  | 'DescribeNodegroup'
  | 'DescribeInstances'
  | 'DescribeAutoScalingGroups'
  | 'DescribeScalingActivities'
  | 'GetMetricData'
  | 'ListMetrics';

export class FakeAws {
  readonly clusters = new Map<string, Cluster>();
  readonly nodegroups = new Map<string, Nodegroup[]>();
  instances: Instance[] = [];
  groups: SdkGroup[] = [];
  activities: Activity[] = [];
  /** Points readable now, by {@link seriesKey}. */
  readonly points = new Map<string, Point[]>();
  agentMetrics: Metric[] = [];
  private readonly faults = new Map<
    CommandName,
    { left: number; error: () => Error; match?: (input: Record<string, unknown>) => boolean }
  >();
  readonly mocks = {
    eks: mockClient(EKSClient),
    ec2: mockClient(EC2Client),
    autoScaling: mockClient(AutoScalingClient),
    cloudWatch: mockClient(CloudWatchClient),
  };

  constructor(private readonly pageSizes: PageSizes = SMALL_PAGES) {
    this.install();
  }

  /** The next `times` calls of `command` (matching `match`, when given) throw `error()`. */
  fail(command: CommandName, times: number, error: () => Error, match?: (input: Record<string, unknown>) => boolean): void {
    this.faults.set(command, { left: times, error, match });
  }

  setPoints(key: string, points: readonly Point[]): void {
    this.points.set(key, [...points]);
  }

  restore(): void {
    for (const m of Object.values(this.mocks)) m.restore();
  }

  private check(command: CommandName, input: Record<string, unknown>): void {
    const f = this.faults.get(command);
    if (f && f.left > 0 && (!f.match || f.match(input))) {
      f.left--;
      throw f.error();
    }
  }

  /** `limit`: the page size the request asked for, else the API's. */
  private page<T>(items: readonly T[], token: string | undefined, limit: number): { items: T[]; next?: string } {
    const from = token ? Number(token) : 0;
    const to = from + Math.min(limit, this.pageSizes.items);
    return { items: items.slice(from, to), next: to < items.length ? String(to) : undefined };
  }

  private install(): void {
    const { eks, ec2, autoScaling, cloudWatch } = this.mocks;
    eks.on(DescribeClusterCommand).callsFake((input) => {
      this.check('DescribeCluster', input);
      const c = this.clusters.get(input.name);
      if (!c)
        throw new ResourceNotFoundException({ message: `No cluster found for name: ${input.name}.`, $metadata: { httpStatusCode: 404 } });
      return { cluster: c };
    });
    eks.on(ListNodegroupsCommand).callsFake((input) => {
      this.check('ListNodegroups', input);
      const p = this.page(
        (this.nodegroups.get(input.clusterName) ?? []).map((n) => n.nodegroupName!),
        input.nextToken,
        input.maxResults ?? NODEGROUPS_PER_PAGE,
      );
      return { nodegroups: p.items, nextToken: p.next };
    });
    eks.on(DescribeNodegroupCommand).callsFake((input) => {
      this.check('DescribeNodegroup', input);
      const n = (this.nodegroups.get(input.clusterName) ?? []).find((g) => g.nodegroupName === input.nodegroupName);
      if (!n)
        throw new ResourceNotFoundException({
          message: `No node group found for name: ${input.nodegroupName}.`,
          $metadata: { httpStatusCode: 404 },
        });
      return { nodegroup: n };
    });
    ec2.on(DescribeInstancesCommand).callsFake((input: DescribeInstancesCommandInput) => {
      this.check('DescribeInstances', input as unknown as Record<string, unknown>);
      const matches = (i: Instance) =>
        (input.Filters ?? []).every((f) => {
          const key = f.Name!.replace(/^tag:/, '');
          return (i.Tags ?? []).some((t) => t.Key === key && (f.Values ?? []).includes(t.Value ?? ''));
        });
      const p = this.page(this.instances.filter(matches), input.NextToken, input.MaxResults ?? INSTANCES_PER_PAGE);
      // One reservation per instance, as instances launched one at a time by an Auto Scaling group are.
      return {
        Reservations: p.items.map((i) => ({ ReservationId: `r-${i.InstanceId!.slice(2)}`, OwnerId: '123456789012', Instances: [i] })),
        NextToken: p.next,
      };
    });
    autoScaling.on(DescribeAutoScalingGroupsCommand).callsFake((input: DescribeAutoScalingGroupsCommandInput) => {
      this.check('DescribeAutoScalingGroups', input as unknown as Record<string, unknown>);
      // A `tag-key` filter matches groups carrying any of its keys.
      const tagKeys = input.Filters?.find((f) => f.Name === 'tag-key')?.Values;
      const found = this.groups.filter((g) =>
        input.AutoScalingGroupNames
          ? input.AutoScalingGroupNames.includes(g.AutoScalingGroupName!)
          : tagKeys === undefined || (g.Tags ?? []).some((t) => tagKeys.includes(t.Key!)),
      );
      const p = this.page(found, input.NextToken, input.MaxRecords ?? GROUPS_PER_PAGE);
      return { AutoScalingGroups: p.items, NextToken: p.next };
    });
    autoScaling.on(DescribeScalingActivitiesCommand).callsFake((input) => {
      this.check('DescribeScalingActivities', input);
      const mine = this.activities
        .filter((a) => a.AutoScalingGroupName === input.AutoScalingGroupName)
        .sort((a, b) => new Date(b.StartTime!).getTime() - new Date(a.StartTime!).getTime());
      const p = this.page(mine, input.NextToken, input.MaxRecords ?? ACTIVITIES_PER_PAGE);
      return { Activities: p.items, NextToken: p.next };
    });
    cloudWatch.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => {
      this.check('GetMetricData', input as unknown as Record<string, unknown>);
      const from = new Date(input.StartTime!).getTime();
      const to = new Date(input.EndTime!).getTime();
      // Pages hold the queries' points in order; a query whose points go on to the next page is `PartialData`.
      const start = input.NextToken ? Number(input.NextToken) : 0;
      const end = start + Math.min(input.MaxDatapoints ?? DATAPOINTS_PER_PAGE, this.pageSizes.points);
      let offset = 0;
      const MetricDataResults = (input.MetricDataQueries ?? []).map((q) => {
        const s = q.MetricStat!;
        const dims = Object.fromEntries((s.Metric!.Dimensions ?? []).map((d) => [d.Name!, d.Value!]));
        const all = (this.points.get(seriesKey(s.Metric!.Namespace!, s.Metric!.MetricName!, s.Stat!, s.Period!, dims)) ?? []).filter(
          (p) => p.t >= from && p.t < to,
        );
        const pts = all.slice(Math.max(0, start - offset), Math.max(0, end - offset));
        offset += all.length;
        const StatusCode = all.length && offset > end ? ('PartialData' as const) : ('Complete' as const);
        return {
          Id: q.Id,
          Label: s.Metric!.MetricName,
          Timestamps: pts.map((p) => new Date(p.t)),
          Values: pts.map((p) => p.value),
          StatusCode,
        };
      });
      return { MetricDataResults, NextToken: end < offset ? String(end) : undefined, Messages: [] };
    });
    cloudWatch.on(ListMetricsCommand).callsFake((input) => {
      this.check('ListMetrics', input);
      const p = this.page(
        this.agentMetrics.filter((m) => m.Namespace === input.Namespace && m.MetricName === input.MetricName),
        input.NextToken,
        LISTED_METRICS_PER_PAGE,
      );
      return { Metrics: p.items, NextToken: p.next };
    });
  }
}

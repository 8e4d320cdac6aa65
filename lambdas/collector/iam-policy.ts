/**
 * The collector's AWS permissions, as data beside the code that needs them: read-only, and scoped to the
 * watched clusters where the API supports resource-level permissions. The CDK construct turns these into
 * IAM statements; the table and the failure destination are granted there.
 * (EC2, Auto Scaling and CloudWatch `Describe*`/`GetMetricData`/`ListMetrics` do not support resource-level permissions,
 * so they need `Resource: *`; they are read-only.)
 */
export interface CollectorStatement {
  readonly actions: readonly string[];
  /** `cluster` = the watched clusters' ARNs (and their node groups); `*` = any resource. */
  readonly scope: 'cluster' | 'nodegroup' | '*';
}

export const COLLECTOR_STATEMENTS: readonly CollectorStatement[] = [
  { actions: ['eks:DescribeCluster', 'eks:ListNodegroups'], scope: 'cluster' },
  { actions: ['eks:DescribeNodegroup'], scope: 'nodegroup' },
  { actions: ['ec2:DescribeInstances'], scope: '*' },
  { actions: ['autoscaling:DescribeAutoScalingGroups', 'autoscaling:DescribeScalingActivities'], scope: '*' },
  // ListMetrics finds which instances publish CloudWatch agent memory/disk metrics, and with which dimensions.
  { actions: ['cloudwatch:GetMetricData', 'cloudwatch:ListMetrics'], scope: '*' },
];

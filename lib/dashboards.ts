import { Duration, Stack } from 'aws-cdk-lib';
import * as cw from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { ClusterConfig } from '../model/domain';
import { REMOVAL_ACTORS } from '../model/removal';
import { clusterMetric, nodeGroupSearch, nodeGroupTotal, perValueSearch } from './vigil-metrics';

export interface DashboardsProps {
  readonly clusters: readonly ClusterConfig[];
  /** Vigil's own functions by short name, for the "Vigil itself" section. */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  readonly table: dynamodb.ITableV2;
  /** Shown as one alarm status widget. */
  readonly alarms: readonly cw.IAlarm[];
  /**
   * Dashboard names start with it and end with the region (`<prefix>overview-<region>`): dashboards are global
   * to the account, so a second region's stack of the same name must not take the first one's.
   */
  readonly namePrefix: string;
}

const FULL = 24;
const THIRD = 8;
const HALF = 12;
const HEIGHT = 6;
const percentAxis: cw.YAxisProps = { min: 0, max: 100, label: '%', showUnits: false };
const countAxis: cw.YAxisProps = { min: 0, showUnits: false };
/** Host figures arrive when the collector reads CloudWatch, every five minutes by default. */
const HOST_PERIOD = Duration.minutes(5);
/** Removals are rare events: summed per 5 minutes, each shows as a step on the timeline. */
const REMOVALS_PERIOD = Duration.minutes(5);

/**
 * Two dashboards, each with one section per cluster (two dashboards whatever the number of clusters: the
 * first three of an account are free, each further one costs $3 a month).
 * - overview: nodes ready/not ready, Auto Scaling desired/in service/pending per node group, N-1 memory
 *   headroom, nodes per node group and NodePool, capacity removals by actor, requests vs allocatable, pressure, restarts and OOM kills, alerts firing; then Vigil itself.
 * - hosts and nodes: EC2 CPU next to the kubelet's node CPU and memory on one timeline, hosts in service
 *   against nodes ready, EC2 status checks.
 */
export class Dashboards extends Construct {
  readonly overview: cw.Dashboard;
  readonly hostsAndNodes: cw.Dashboard;

  constructor(scope: Construct, id: string, props: DashboardsProps) {
    super(scope, id);
    const region = Stack.of(this).region;
    this.overview = new cw.Dashboard(this, 'Overview', {
      dashboardName: `${props.namePrefix}overview-${region}`,
      defaultInterval: Duration.hours(6),
      widgets: [...props.clusters.map(overviewSection), vigilSection(props)],
    });
    this.hostsAndNodes = new cw.Dashboard(this, 'HostsAndNodes', {
      dashboardName: `${props.namePrefix}hosts-and-nodes-${region}`,
      defaultInterval: Duration.hours(6),
      widgets: props.clusters.map(hostsAndNodesSection),
    });
  }
}

function header(markdown: string): cw.TextWidget {
  return new cw.TextWidget({ markdown, width: FULL, height: 1, background: cw.TextWidgetBackground.TRANSPARENT });
}

function overviewSection(c: ClusterConfig): cw.IWidget[] {
  const n = c.name;
  return [
    header(`## Cluster ${n}`),
    new cw.SingleValueWidget({
      title: `${n}: now`,
      width: FULL,
      height: 4,
      sparkline: true,
      metrics: [
        clusterMetric('nodesReady', n, 'Nodes ready'),
        clusterMetric('nodesNotReady', n, 'Nodes not ready'),
        clusterMetric('nodesUnderPressure', n, 'Nodes under pressure'),
        clusterMetric('podsPending', n, 'Pods pending'),
        clusterMetric('n1HeadroomPct', n, 'N-1 memory headroom'),
        clusterMetric('alertsFiring', n, 'Alerts firing'),
        clusterMetric('criticalAlertsFiring', n, 'Critical alerts'),
      ],
    }),
    new cw.Row(
      new cw.GraphWidget({
        title: 'Nodes: ready, not ready, under pressure',
        width: THIRD,
        height: HEIGHT,
        left: [
          clusterMetric('nodesReady', n, 'Ready'),
          clusterMetric('nodesNotReady', n, 'Not ready'),
          clusterMetric('nodesUnderPressure', n, 'Under pressure'),
        ],
        leftYAxis: countAxis,
      }),
      new cw.GraphWidget({
        title: 'Auto Scaling per node group: desired, in service, pending',
        width: THIRD,
        height: HEIGHT,
        left: [
          nodeGroupSearch('groupDesired', n, 'Desired'),
          nodeGroupSearch('groupInService', n, 'In service'),
          nodeGroupSearch('groupPending', n, 'Pending'),
        ],
        leftYAxis: countAxis,
      }),
      new cw.GraphWidget({
        title: 'N-1 memory headroom (below 0: the pods of the worst node to lose do not fit)',
        width: THIRD,
        height: HEIGHT,
        left: [clusterMetric('n1HeadroomPct', n, 'Headroom after losing one node')],
        leftAnnotations: [{ value: 0, label: 'pods no longer fit', color: cw.Color.RED }],
        leftYAxis: { label: '%', showUnits: false },
      }),
    ),
    new cw.Row(
      new cw.GraphWidget({
        title: 'Nodes per node group and NodePool (Karpenter, EKS Auto Mode)',
        width: HALF,
        height: HEIGHT,
        left: [nodeGroupSearch('groupNodes', n, 'Nodes')],
        leftYAxis: countAxis,
      }),
      new cw.GraphWidget({
        title: `Capacity removed, by who removed it (${REMOVAL_ACTORS.join(', ')})`,
        width: HALF,
        height: HEIGHT,
        left: [perValueSearch('capacityRemovals', n, 'Actor', 'Removed by', REMOVALS_PERIOD)],
        stacked: true,
        leftYAxis: countAxis,
      }),
    ),
    new cw.Row(
      new cw.GraphWidget({
        title: 'Requests vs allocatable per node group',
        width: THIRD,
        height: HEIGHT,
        left: [
          nodeGroupSearch('groupCpuRequestedPct', n, 'CPU requested'),
          nodeGroupSearch('groupMemoryRequestedPct', n, 'Memory requested'),
        ],
        leftAnnotations: [{ value: 100, label: 'allocatable', color: cw.Color.RED }],
        leftYAxis: { min: 0, label: '%', showUnits: false },
      }),
      new cw.GraphWidget({
        title: 'Container restarts and OOM kills',
        width: THIRD,
        height: HEIGHT,
        left: [clusterMetric('containerRestarts', n, 'Restarts'), clusterMetric('oomKills', n, 'OOM kills')],
        leftYAxis: countAxis,
      }),
      new cw.GraphWidget({
        title: 'Alerts firing and pods pending',
        width: THIRD,
        height: HEIGHT,
        left: [
          clusterMetric('alertsFiring', n, 'Alerts firing'),
          clusterMetric('criticalAlertsFiring', n, 'Critical'),
          clusterMetric('podsPending', n, 'Pods pending'),
        ],
        leftYAxis: countAxis,
      }),
    ),
    new cw.Row(
      new cw.GraphWidget({
        title: 'Vigil on this cluster: agent silence, collector failures, evaluation time',
        width: FULL,
        height: 4,
        left: [clusterMetric('agentSilenceSeconds', n, 'Agent silence (s)'), clusterMetric('evaluationSeconds', n, 'Evaluation (s)')],
        right: [clusterMetric('collectorFailures', n, 'Collector failures')],
        leftYAxis: { min: 0, label: 's', showUnits: false },
        rightYAxis: countAxis,
      }),
    ),
  ];
}

function hostsAndNodesSection(c: ClusterConfig): cw.IWidget[] {
  const n = c.name;
  return [
    header(`## Cluster ${n}: hosts (EC2) and nodes (kubelet)${c.region ? ` in ${c.region}` : ''}`),
    new cw.Row(
      new cw.GraphWidget({
        title: 'EC2 host CPU vs kubelet node CPU and memory (per node group)',
        width: HALF,
        height: HEIGHT,
        left: [
          nodeGroupSearch('groupHostCpuPct', n, 'EC2 CPU', HOST_PERIOD),
          nodeGroupSearch('groupNodeCpuPct', n, 'Node CPU'),
          nodeGroupSearch('groupNodeMemoryPct', n, 'Node memory'),
        ],
        leftYAxis: percentAxis,
      }),
      new cw.GraphWidget({
        title: 'Memory: kubelet working set vs requests per node group',
        width: HALF,
        height: HEIGHT,
        left: [
          nodeGroupSearch('groupNodeMemoryPct', n, 'Node memory used'),
          nodeGroupSearch('groupMemoryRequestedPct', n, 'Memory requested'),
        ],
        leftAnnotations: [{ value: 100, label: 'allocatable', color: cw.Color.RED }],
        leftYAxis: { min: 0, label: '%', showUnits: false },
      }),
    ),
    new cw.Row(
      new cw.GraphWidget({
        title: 'Hosts in service vs nodes ready',
        width: HALF,
        height: HEIGHT,
        left: [
          nodeGroupTotal('groupInService', n, 'Hosts in service (all node groups)'),
          nodeGroupTotal('groupDesired', n, 'Hosts desired (all node groups)'),
          clusterMetric('nodesReady', n, 'Nodes ready'),
          clusterMetric('nodesNotReady', n, 'Nodes not ready'),
        ],
        leftYAxis: countAxis,
      }),
      new cw.GraphWidget({
        title: 'Node CPU and memory per node group',
        width: HALF,
        height: HEIGHT,
        left: [nodeGroupSearch('groupNodeCpuPct', n, 'CPU'), nodeGroupSearch('groupNodeMemoryPct', n, 'Memory')],
        leftYAxis: percentAxis,
      }),
    ),
    new cw.Row(
      new cw.GraphWidget({
        title: "EC2 CPU of the cluster's hosts per node group",
        width: HALF,
        height: HEIGHT,
        left: [nodeGroupSearch('groupHostCpuPct', n, 'CPU', HOST_PERIOD)],
        leftYAxis: percentAxis,
      }),
      new cw.GraphWidget({
        title: 'Hosts failing EC2 status checks per node group',
        width: HALF,
        height: HEIGHT,
        left: [nodeGroupSearch('groupHostsStatusCheckFailed', n, 'Failing', HOST_PERIOD)],
        leftYAxis: countAxis,
      }),
    ),
  ];
}

function vigilSection(props: DashboardsProps): cw.IWidget[] {
  const fns = Object.entries(props.functions);
  const minute = Duration.minutes(1);
  return [
    header('## Vigil itself'),
    new cw.Row(
      new cw.AlarmStatusWidget({ title: 'Vigil alarms', width: THIRD, height: HEIGHT, alarms: [...props.alarms] }),
      new cw.GraphWidget({
        title: 'Function errors and throttles',
        width: THIRD,
        height: HEIGHT,
        left: fns.map(([name, fn]) => fn.metricErrors({ period: minute, statistic: 'Sum', label: `${name} errors` })),
        right: fns.map(([name, fn]) => fn.metricThrottles({ period: minute, statistic: 'Sum', label: `${name} throttles` })),
        leftYAxis: countAxis,
        rightYAxis: countAxis,
      }),
      new cw.GraphWidget({
        title: 'Function duration (max)',
        width: THIRD,
        height: HEIGHT,
        left: fns.map(([name, fn]) => fn.metricDuration({ period: minute, statistic: 'Maximum', label: name })),
        leftYAxis: { min: 0, showUnits: true },
      }),
    ),
    new cw.Row(
      new cw.GraphWidget({
        title: 'Function invocations',
        width: THIRD,
        height: HEIGHT,
        left: fns.map(([name, fn]) => fn.metricInvocations({ period: minute, statistic: 'Sum', label: name })),
        leftYAxis: countAxis,
      }),
      new cw.GraphWidget({
        title: 'DynamoDB capacity consumed',
        width: THIRD,
        height: HEIGHT,
        left: [
          props.table.metric('ConsumedWriteCapacityUnits', { period: minute, statistic: 'Sum', label: 'Write units' }),
          props.table.metric('ConsumedReadCapacityUnits', { period: minute, statistic: 'Sum', label: 'Read units' }),
        ],
        leftYAxis: countAxis,
      }),
      new cw.GraphWidget({
        title: 'DynamoDB throttled events',
        width: THIRD,
        height: HEIGHT,
        left: [
          props.table.metric('WriteThrottleEvents', { period: minute, statistic: 'Sum', label: 'Write throttles' }),
          props.table.metric('ReadThrottleEvents', { period: minute, statistic: 'Sum', label: 'Read throttles' }),
        ],
        leftYAxis: countAxis,
      }),
    ),
  ];
}

/**
 * The CloudWatch metrics Vigil publishes (as EMF log lines from the evaluator), in one place: the evaluator
 * emits exactly these and the dashboards chart only these and AWS's own namespaces.
 *
 * Only aggregates, with low-cardinality dimensions: each distinct dimension set is a billed custom metric
 * ($0.30 a month), so there is nothing per node or per pod here. 12 cluster metrics + 10 per node group
 * or NodePool + at most 6 removal actors (model/removal.ts) = 38 metrics ≈ $11.40 a month for a cluster with two node groups.
 */
export const METRICS_NAMESPACE = 'Vigil';

export type MetricDimension = 'Cluster' | 'NodeGroup' | 'Actor';

export interface MetricSpec {
  readonly name: string;
  readonly unit: 'Count' | 'Percent' | 'Bytes' | 'Seconds';
  /** The dimension set it is published with. */
  readonly dimensions: readonly MetricDimension[];
  readonly description: string;
}

const cluster = ['Cluster'] as const;
const group = ['Cluster', 'NodeGroup'] as const;
const actor = ['Cluster', 'Actor'] as const;

export const METRICS = {
  nodesReady: { name: 'NodesReady', unit: 'Count', dimensions: cluster, description: 'Nodes whose Ready condition is True' },
  nodesNotReady: {
    name: 'NodesNotReady',
    unit: 'Count',
    dimensions: cluster,
    description: 'Nodes whose Ready condition is False or Unknown',
  },
  nodesUnderPressure: {
    name: 'NodesUnderPressure',
    unit: 'Count',
    dimensions: cluster,
    description: 'Nodes with MemoryPressure, DiskPressure or PIDPressure True',
  },
  podsPending: { name: 'PodsPending', unit: 'Count', dimensions: cluster, description: 'Pods the scheduler has not placed' },
  containerRestarts: {
    name: 'ContainerRestarts',
    unit: 'Count',
    dimensions: cluster,
    description: 'Container restarts since the previous evaluation',
  },
  oomKills: { name: 'OOMKills', unit: 'Count', dimensions: cluster, description: 'Containers OOM-killed since the previous evaluation' },
  n1HeadroomPct: {
    name: 'N1MemoryHeadroom',
    unit: 'Percent',
    dimensions: cluster,
    description:
      'Free allocatable memory left on the other nodes after rescheduling the node whose loss hurts most (negative: its pods do not fit)',
  },
  alertsFiring: { name: 'AlertsFiring', unit: 'Count', dimensions: cluster, description: 'Alerts firing after inhibition' },
  criticalAlertsFiring: {
    name: 'CriticalAlertsFiring',
    unit: 'Count',
    dimensions: cluster,
    description: 'Critical alerts firing after inhibition',
  },
  agentSilenceSeconds: {
    name: 'AgentSilence',
    unit: 'Seconds',
    dimensions: cluster,
    description: 'Seconds since the agent last pushed a batch',
  },
  collectorFailures: {
    name: 'CollectorFailures',
    unit: 'Count',
    dimensions: cluster,
    description: 'AWS API calls the collector could not complete in its last run',
  },
  evaluationSeconds: {
    name: 'EvaluationDuration',
    unit: 'Seconds',
    dimensions: cluster,
    description: 'Wall time of one evaluation of the cluster',
  },
  capacityRemovals: {
    name: 'CapacityRemovals',
    unit: 'Count',
    dimensions: actor,
    description:
      "Nodes whose capacity the cluster lost since the previous evaluation, by who removed them (the evaluator's removal model: Auto Scaling, Karpenter, EKS Auto Mode, Spot interruption, a failed instance, a drain)",
  },
  groupNodes: {
    name: 'Nodes',
    unit: 'Count',
    dimensions: group,
    description: 'Nodes of the node group, or of the Karpenter / EKS Auto Mode NodePool for nodes in no node group',
  },
  groupDesired: {
    name: 'DesiredCapacity',
    unit: 'Count',
    dimensions: group,
    description: 'Auto Scaling desired capacity of the node group',
  },
  groupInService: { name: 'InServiceInstances', unit: 'Count', dimensions: group, description: 'InService instances of the node group' },
  groupPending: { name: 'PendingInstances', unit: 'Count', dimensions: group, description: 'Pending instances of the node group' },
  groupCpuRequestedPct: {
    name: 'CpuRequested',
    unit: 'Percent',
    dimensions: group,
    description: 'CPU requests of pods as a share of allocatable CPU',
  },
  groupMemoryRequestedPct: {
    name: 'MemoryRequested',
    unit: 'Percent',
    dimensions: group,
    description: 'Memory requests of pods as a share of allocatable memory',
  },
  groupNodeCpuPct: {
    name: 'NodeCpuUsed',
    unit: 'Percent',
    dimensions: group,
    description: 'Kubelet node CPU use as a share of allocatable, averaged over the group',
  },
  groupNodeMemoryPct: {
    name: 'NodeMemoryUsed',
    unit: 'Percent',
    dimensions: group,
    description: 'Kubelet node memory working set as a share of allocatable, averaged over the group',
  },
  // The cluster's own EC2 hosts (AWS/EC2 has no cluster dimension: a SEARCH there shows the whole region's).
  groupHostCpuPct: {
    name: 'HostCpuUsed',
    unit: 'Percent',
    dimensions: group,
    description: "EC2 CPUUtilization of the group's hosts, averaged, when the collector read host metrics",
  },
  groupHostsStatusCheckFailed: {
    name: 'HostsStatusCheckFailed',
    unit: 'Count',
    dimensions: group,
    description: 'Hosts of the group failing an EC2 status check, when the collector read host metrics',
  },
} as const satisfies Record<string, MetricSpec>;

export type MetricKey = keyof typeof METRICS;

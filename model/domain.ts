/**
 * Vigil's domain model: one name per concept, shared by the agent, the Lambdas, local mode and the CLI.
 *
 * Two views of the same machine meet here. The *host* is what EC2, Auto Scaling and CloudWatch say
 * (instance, group, status checks, CPU); the *node* is what Kubernetes says (conditions, allocatable,
 * kubelet stats, pods). They are joined by the node's `providerID`, which carries the EC2 instance id.
 *
 * Quantities always carry their unit in the name (`cpuMilli`, `memoryBytes`, `...Pct`); times are epoch ms.
 */
import type { KarpenterState } from './karpenter';
import type { ConditionStatus, Resources } from './kube-values';
import type { EpochMs, Minute } from './time';

// ---------------------------------------------------------------------------------------------------
// Cluster, node groups, Auto Scaling groups (the cloud side, written by the collector)
// ---------------------------------------------------------------------------------------------------

/** EKS cluster status as `DescribeCluster` reports it. */
export type ClusterStatus = 'CREATING' | 'ACTIVE' | 'DELETING' | 'FAILED' | 'UPDATING' | 'PENDING';

export interface ClusterInfo {
  readonly name: string;
  readonly status: ClusterStatus;
  /** Kubernetes version, e.g. `1.33`. */
  readonly version?: string;
  /** EKS platform version, e.g. `eks.12`. */
  readonly platformVersion?: string;
  /** Cluster health issues EKS reports (`cluster.health.issues`). */
  readonly healthIssues?: readonly HealthIssue[];
}

export interface HealthIssue {
  readonly code: string;
  readonly message: string;
  readonly resourceIds?: readonly string[];
}

/**
 * How a node group's capacity is provided. `managed` = EKS managed node group (an ASG behind it),
 * `self-managed` = an ASG tagged for the cluster, `karpenter` = a Karpenter NodePool (no ASG),
 * `fargate` = Fargate profile (no EC2 instance at all).
 */
export type NodeGroupKind = 'managed' | 'self-managed' | 'karpenter' | 'fargate';

export interface NodeGroup {
  readonly name: string;
  readonly kind: NodeGroupKind;
  /** EKS node group status, e.g. `ACTIVE`, `DEGRADED` (managed groups only). */
  readonly status?: string;
  readonly scaling?: { readonly min: number; readonly max: number; readonly desired: number };
  /** Auto Scaling groups behind this node group (one for managed groups; none for Karpenter/Fargate). */
  readonly autoScalingGroups: readonly string[];
  readonly instanceTypes?: readonly string[];
  readonly capacityType?: CapacityType;
  readonly healthIssues: readonly HealthIssue[];
}

export type CapacityType = 'on-demand' | 'spot' | 'fargate' | 'capacity-block';

export interface AutoScalingGroup {
  readonly name: string;
  /** The node group it backs, when known (managed groups, or the `eks:nodegroup-name` tag). */
  readonly nodeGroup?: string;
  readonly min: number;
  readonly max: number;
  readonly desired: number;
  /** Counts by lifecycle state (InService, Pending*, Terminating*, Standby). */
  readonly inService: number;
  readonly pending: number;
  readonly terminating: number;
  readonly standby: number;
  readonly instances: readonly AutoScalingInstance[];
}

export interface AutoScalingInstance {
  readonly instanceId: string;
  /** Auto Scaling lifecycle state, e.g. `InService`, `Pending`, `Terminating:Wait`. */
  readonly lifecycleState: string;
  readonly healthStatus: 'Healthy' | 'Unhealthy';
  readonly zone: string;
  readonly instanceType?: string;
}

/** An entry of `DescribeScalingActivities`. */
export interface ScalingActivity {
  readonly activityId: string;
  readonly autoScalingGroup: string;
  /** e.g. `Successful`, `Failed`, `Cancelled`, `InProgress`, `WaitingForSpotInstanceId`. */
  readonly status: string;
  readonly cause: string;
  readonly description: string;
  readonly statusMessage?: string;
  readonly startTime: EpochMs;
  readonly endTime?: EpochMs;
}

// ---------------------------------------------------------------------------------------------------
// Host: the EC2 instance under a node
// ---------------------------------------------------------------------------------------------------

export type InstanceState = 'pending' | 'running' | 'shutting-down' | 'terminated' | 'stopping' | 'stopped';

export interface Host {
  readonly instanceId: string;
  readonly instanceType: string;
  readonly zone: string;
  readonly capacityType: CapacityType;
  readonly state: InstanceState;
  readonly launchTime: EpochMs;
  readonly privateDnsName?: string;
  readonly privateIp?: string;
  readonly autoScalingGroup?: string;
  readonly nodeGroup?: string;
  /** Auto Scaling lifecycle state (`InService`, `Pending`, `Terminating:Wait`…), when its group was read. */
  readonly lifecycleState?: string;
  /** Auto Scaling health status, when its group was read. */
  readonly healthStatus?: 'Healthy' | 'Unhealthy';
}

/** One minute of CloudWatch figures for a host. Absent = no data point (yet). */
export interface HostMetrics {
  readonly cpuPct?: number;
  readonly networkInBytes?: number;
  readonly networkOutBytes?: number;
  readonly ebsReadOps?: number;
  readonly ebsWriteOps?: number;
  readonly ebsReadBytes?: number;
  readonly ebsWriteBytes?: number;
  /** 1 when either status check failed during the minute. */
  readonly statusCheckFailed?: number;
  readonly statusCheckFailedInstance?: number;
  readonly statusCheckFailedSystem?: number;
  /** From the CloudWatch agent (`CWAgent` namespace) where it runs. */
  readonly memoryUsedPct?: number;
  readonly diskUsedPct?: number;
}

// ---------------------------------------------------------------------------------------------------
// Node: the Kubernetes view (written by ingest from the agent's batches)
// ---------------------------------------------------------------------------------------------------

export interface NodeCondition {
  /** `Ready`, `MemoryPressure`, `DiskPressure`, `PIDPressure`, `NetworkUnavailable`, or any other type (node-problem-detector…). */
  readonly type: string;
  readonly status: ConditionStatus;
  readonly reason?: string;
  readonly message?: string;
  /** `lastTransitionTime`. */
  readonly since?: EpochMs;
}

export interface Taint {
  readonly key: string;
  readonly value?: string;
  readonly effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

export interface KubeNode {
  readonly name: string;
  readonly uid?: string;
  /** `spec.providerID`, e.g. `aws:///eu-west-1a/i-0abc…`. */
  readonly providerId?: string;
  /** The EC2 instance id parsed from `providerId`; absent on Fargate. */
  readonly instanceId?: string;
  readonly instanceType?: string;
  readonly zone?: string;
  readonly capacityType?: CapacityType;
  /** EKS managed node group (`eks.amazonaws.com/nodegroup`) or self-managed group name. */
  readonly nodeGroup?: string;
  /** Karpenter NodePool (`karpenter.sh/nodepool`). */
  readonly nodePool?: string;
  /** An EKS Auto Mode node (`eks.amazonaws.com/compute-type: auto`): AWS runs Karpenter for it. */
  readonly autoMode?: true;
  readonly conditions: readonly NodeCondition[];
  readonly capacity: Resources;
  readonly allocatable: Resources;
  readonly taints: readonly Taint[];
  /** `spec.unschedulable`: cordoned. */
  readonly unschedulable: boolean;
  /** `metadata.deletionTimestamp` is set. */
  readonly deleting?: boolean;
  readonly createdAt?: EpochMs;
  readonly kubeletVersion?: string;
  /**
   * The node's labels that some pod's placement names (nodeSelector, node affinity, topology keys): what the
   * fit checks need to decide where a pod may run, without every node-minute carrying all its labels.
   */
  readonly labels?: Readonly<Record<string, string>>;
  /** The kubelet's eviction thresholds from its `/configz`; absent where it cannot be read (the defaults apply). */
  readonly eviction?: KubeletEviction;
}

/** An eviction threshold: an amount (bytes, or a count for `pid.available`) or a share of capacity. */
export interface EvictionThreshold {
  readonly quantity?: number;
  readonly pct?: number;
}

/** `evictionHard` and `evictionSoft` by signal (`memory.available`, `nodefs.available`, `pid.available`…). */
export interface KubeletEviction {
  readonly hard: Readonly<Record<string, EvictionThreshold>>;
  readonly soft?: Readonly<Record<string, EvictionThreshold>>;
}

/** Node figures from the kubelet Summary API (`/stats/summary`). */
export interface NodeStats {
  readonly cpuMilli?: number;
  readonly memoryWorkingSetBytes?: number;
  readonly memoryAvailableBytes?: number;
  readonly memoryRssBytes?: number;
  readonly fsAvailableBytes?: number;
  readonly fsCapacityBytes?: number;
  readonly fsInodesFree?: number;
  readonly fsInodes?: number;
  readonly imageFsAvailableBytes?: number;
  readonly imageFsCapacityBytes?: number;
  readonly imageFsInodesFree?: number;
  readonly imageFsInodes?: number;
  /** `runtime.containerFs`: the writable layers' filesystem when split from the image one (kubelet 1.31+ `containerfs.available`). */
  readonly containerFsAvailableBytes?: number;
  readonly containerFsCapacityBytes?: number;
  /** Node swap (kubelet 1.28+), on nodes with swap on. */
  readonly swapUsageBytes?: number;
  readonly swapAvailableBytes?: number;
  /** Pressure stall information (kubelet 1.34+, cgroup v2): % of the last 10 s some / all tasks stalled. */
  readonly psiMemorySomeAvg10?: number;
  readonly psiMemoryFullAvg10?: number;
  readonly psiCpuSomeAvg10?: number;
  /** `rlimit.curproc` / `rlimit.maxpid`. */
  readonly processes?: number;
  readonly maxPid?: number;
}

// ---------------------------------------------------------------------------------------------------
// Pods, containers, workloads
// ---------------------------------------------------------------------------------------------------

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
export type QosClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

/**
 * The controller a pod belongs to, resolved through its owners (ReplicaSet → Deployment, Job → CronJob).
 * `Pod` = a bare pod, `Node` = a static (mirror) pod.
 */
export const WORKLOAD_KINDS = [
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'Job',
  'CronJob',
  'ReplicationController',
  'Node',
  'Pod',
  'Other',
] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

/**
 * A workload's identity: stable across pod and container churn (containers live minutes, workloads live
 * months), which is why history and queries are kept per workload, not per container id.
 */
export interface WorkloadRef {
  readonly namespace: string;
  readonly kind: WorkloadKind;
  readonly name: string;
}

export type ContainerStateName = 'running' | 'waiting' | 'terminated' | 'unknown';

export interface Termination {
  /** e.g. `OOMKilled`, `Error`, `Completed`. */
  readonly reason: string;
  readonly exitCode: number;
  readonly finishedAt?: EpochMs;
}

/** Container usage from the kubelet Summary API. */
export interface ContainerUsage {
  /** From deltas of `usageCoreNanoSeconds` between two scrapes. */
  readonly cpuMilli?: number;
  readonly memoryWorkingSetBytes?: number;
  readonly memoryRssBytes?: number;
  readonly rootfsUsedBytes?: number;
  readonly logsUsedBytes?: number;
  readonly swapUsageBytes?: number;
  /** Pressure stall information, % of the last 10 s (kubelet 1.34+). */
  readonly psiMemoryFullAvg10?: number;
  readonly psiCpuSomeAvg10?: number;
  /** % of the CFS periods it ran in that ended throttled at its CPU limit, over the agent's interval (cAdvisor). */
  readonly cpuThrottledPct?: number;
  /** Time its threads waited throttled, s per s (cAdvisor `container_cpu_cfs_throttled_seconds_total`). */
  readonly cpuThrottledSecondsPerSecond?: number;
}

export interface Container {
  readonly name: string;
  readonly image: string;
  readonly requests: Resources;
  readonly limits: Resources;
  readonly restarts: number;
  readonly state: ContainerStateName;
  /** e.g. `CrashLoopBackOff`, `ImagePullBackOff`, `CreateContainerConfigError`. */
  readonly waitingReason?: string;
  readonly ready: boolean;
  readonly startedAt?: EpochMs;
  readonly lastTermination?: Termination;
  readonly usage?: ContainerUsage;
}

export interface Pod {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  /**
   * A static pod's config hash (the mirror pod's `kubernetes.io/config.mirror` annotation): the uid the
   * kubelet's summary reports it under, unlike the API's mirror pod uid.
   */
  readonly configHash?: string;
  /** Absent while unscheduled. */
  readonly node?: string;
  readonly phase: PodPhase;
  readonly qos?: QosClass;
  readonly workload: { readonly kind: WorkloadKind; readonly name: string };
  readonly labels: Readonly<Record<string, string>>;
  readonly ready: boolean;
  /** `status.reason`, e.g. `Evicted`. */
  readonly reason?: string;
  /** Set when `PodScheduled` is False, e.g. `{ reason: 'Unschedulable', message: '0/5 nodes are available…' }`. */
  readonly unschedulable?: { readonly reason: string; readonly message?: string };
  readonly createdAt?: EpochMs;
  readonly startedAt?: EpochMs;
  readonly containers: readonly Container[];
  /** Pod-level ephemeral storage used (Summary API `ephemeral-storage`). */
  readonly ephemeralStorageUsedBytes?: number;
  /** Where the scheduler may put the pod (its hard constraints only); absent when it may go anywhere. */
  readonly placement?: Placement;
}

/** A label requirement, as in a node selector term or a label selector (`matchLabels` become `In`). */
export interface LabelRequirement {
  readonly key: string;
  readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';
  readonly values?: readonly string[];
}

export interface Toleration {
  /** Absent with `Exists`: tolerates every taint (of `effect`, if given). */
  readonly key?: string;
  readonly operator?: 'Exists' | 'Equal';
  readonly value?: string;
  /** Absent: every effect. */
  readonly effect?: Taint['effect'];
}

/** As the scheduler's TaintToleration filter: an empty key with `Exists` tolerates every taint. */
export function tolerates(tolerations: readonly Toleration[] | undefined, t: Taint): boolean {
  return (tolerations ?? []).some(
    (x) =>
      (!x.effect || x.effect === t.effect) &&
      (x.key === undefined ? x.operator === 'Exists' : x.key === t.key && (x.operator === 'Exists' || (x.value ?? '') === (t.value ?? ''))),
  );
}

/** A topology domain kind Vigil can place against: one node, or one availability zone. */
export type TopologyKind = 'hostname' | 'zone';

/** Required pod anti-affinity: no two pods matching `selector` (in the pod's namespace) in one domain. */
export interface AntiAffinityTerm {
  readonly topology: TopologyKind;
  readonly selector: readonly LabelRequirement[];
}

/** A topology spread constraint with `whenUnsatisfiable: DoNotSchedule`. */
export interface SpreadConstraint {
  readonly topology: TopologyKind;
  readonly maxSkew: number;
  readonly selector: readonly LabelRequirement[];
}

/**
 * A pod's hard scheduling constraints, the scheduler's filters Vigil models. Preferred (soft) rules are not
 * kept: they never leave a pod Pending.
 */
export interface Placement {
  readonly nodeSelector?: Readonly<Record<string, string>>;
  /** Required node affinity: any term matches (OR), each term's requirements all hold (AND). */
  readonly nodeAffinity?: readonly (readonly LabelRequirement[])[];
  readonly tolerations?: readonly Toleration[];
  readonly antiAffinity?: readonly AntiAffinityTerm[];
  readonly spread?: readonly SpreadConstraint[];
  /** The zones its bound PersistentVolumes allow (their node affinity): the pod can run only there. */
  readonly volumeZones?: readonly string[];
}

/** A namespace as the agent keeps it: its name and labels (e.g. `team`), which routes can match. */
export interface NamespaceInfo {
  readonly name: string;
  readonly labels?: Readonly<Record<string, string>>;
}

export type RolloutKind = 'Deployment' | 'StatefulSet' | 'DaemonSet';

/** Desired versus actual replicas of a controller. */
export interface WorkloadStatus {
  readonly namespace: string;
  readonly kind: RolloutKind;
  readonly name: string;
  readonly desired: number;
  readonly ready: number;
  readonly available: number;
  readonly updated: number;
  readonly labels?: Readonly<Record<string, string>>;
}

// ---------------------------------------------------------------------------------------------------
// Events, control plane, the agent itself
// ---------------------------------------------------------------------------------------------------

export interface KubeEvent {
  /** The involved object's uid; with `reason` it is the event's identity for deduplication. */
  readonly objectUid: string;
  readonly objectKind: string;
  readonly objectName: string;
  readonly namespace?: string;
  readonly reason: string;
  readonly type: 'Normal' | 'Warning';
  readonly message: string;
  /** Occurrences so far (Kubernetes' own `count`, or the series count). */
  readonly count: number;
  readonly firstSeen: EpochMs;
  readonly lastSeen: EpochMs;
  /** The node the event concerns (the object itself, or the pod's node). */
  readonly node?: string;
  readonly source?: string;
}

export interface ControlPlaneHealth {
  /** `/readyz?verbose` of the API server as the agent sees it; absent when it could not be read. */
  readonly readyz?: { readonly ok: boolean; readonly checks: readonly { readonly name: string; readonly ok: boolean }[] };
  /** The agent's own API calls during the interval. */
  readonly apiCalls: number;
  readonly apiErrors: number;
  /** Calls answered with 429. */
  readonly apiThrottled: number;
  readonly apiLatencyMsP50?: number;
  readonly apiLatencyMsP99?: number;
}

export type ScrapeErrorKind = 'timeout' | 'connect' | 'tls' | 'http' | 'parse' | 'other';

/** A node whose kubelet summary could not be read this cycle; its other data is still reported. */
export interface ScrapeError {
  readonly node: string;
  readonly kind: ScrapeErrorKind;
  readonly message: string;
}

/** The agent's own counters, carried by every batch: this is its heartbeat. */
export interface AgentStatus {
  readonly version: string;
  readonly startedAt: EpochMs;
  readonly cycles: number;
  readonly batchesSent: number;
  readonly bytesSent: number;
  /** Batches waiting in the buffer for a retry. */
  readonly buffered: number;
  /** Batches dropped because the buffer overflowed, since the agent started: never stored. */
  readonly droppedBatches: number;
  /** Dropped the same way after a send went unanswered (a timeout): ingest may have stored them. */
  readonly droppedUnconfirmedBatches?: number;
  /** Batches ingest refused as they are (400, 413, 422), since the agent started: not resent. */
  readonly rejectedBatches?: number;
  readonly pushFailures: number;
  readonly scrapeErrors: Readonly<Partial<Record<ScrapeErrorKind, number>>>;
}

// ---------------------------------------------------------------------------------------------------
// What is stored: node-minute parts and the cluster-minute rollup
// ---------------------------------------------------------------------------------------------------

/**
 * The key that joins a node to its host: `i-…` (the EC2 instance id) when the node runs on EC2, else
 * `node/<name>` (Fargate). Both writers can compute it, so their parts of a node-minute meet without a read.
 */
export type NodeKey = string;

/** The Kubernetes part of a node-minute: what ingest writes. */
export interface KubeNodeMinute {
  readonly minute: Minute;
  /** When the agent collected it; a later collection in the same minute replaces an earlier one. */
  readonly collectedAt: EpochMs;
  readonly node: KubeNode;
  /** Absent when the kubelet could not be scraped (see `scrapeError`). */
  readonly stats?: NodeStats;
  readonly pods: readonly Pod[];
  readonly scrapeError?: ScrapeError;
}

/**
 * The host part of a node-minute: what the collector writes. Its figures cover `periodMinutes` from
 * `minute` on: 1 with EC2 detailed monitoring, 5 with basic monitoring (the EC2 default).
 */
export interface HostNodeMinute {
  readonly minute: Minute;
  readonly periodMinutes: number;
  readonly collectedAt: EpochMs;
  readonly host: Host;
  readonly metrics: HostMetrics;
}

/**
 * Which sides of a node-minute exist, as its key says:
 * - `node-and-instance`: a node on an EC2 instance; its host part may still be missing (CloudWatch not read
 *   yet, or turned off);
 * - `node-without-instance`: a node with no EC2 instance (Fargate, or a non-AWS provider): never a host part;
 * - `instance-without-node`: an instance no node ran on in that minute (still joining, or broken).
 */
export type NodeJoin = 'node-and-instance' | 'node-without-instance' | 'instance-without-node';

/** A node and its host in one minute, merged on read. Either part may be missing (see `join`). */
export interface NodeMinute {
  readonly cluster: string;
  readonly minute: Minute;
  readonly key: NodeKey;
  readonly join: NodeJoin;
  readonly kube?: KubeNodeMinute;
  readonly host?: HostNodeMinute;
}

/** A node in the cluster rollup: enough for capacity and trend rules without reading every node item. */
export interface NodeSummary {
  readonly name: string;
  readonly key: NodeKey;
  readonly instanceId?: string;
  readonly nodeGroup?: string;
  readonly zone?: string;
  readonly ready: ConditionStatus;
  /** Condition types other than Ready that are True (pressure, NPD problems). */
  readonly problems: readonly string[];
  readonly unschedulable: boolean;
  readonly allocatable: Resources;
  /** Sum of the requests of the non-terminated pods on the node. */
  readonly requested: Resources;
  readonly cpuMilli?: number;
  readonly memoryWorkingSetBytes?: number;
  readonly memoryAvailableBytes?: number;
  readonly fsAvailableBytes?: number;
  readonly fsCapacityBytes?: number;
  readonly pods: number;
  readonly scrapeError?: ScrapeErrorKind;
}

/** One workload in one minute. */
export interface WorkloadMinute extends WorkloadRef {
  readonly pods: number;
  readonly readyPods: number;
  /** Sum of the current pods' container restart counts. */
  readonly restarts: number;
  /** Containers whose last termination was OOMKilled. */
  readonly oomKilled: number;
  readonly cpuMilli: number;
  readonly memoryWorkingSetBytes: number;
  readonly desired?: number;
  readonly available?: number;
}

/** A pod the scheduler could not place. */
export interface PendingPod {
  readonly namespace: string;
  readonly name: string;
  readonly workload: { readonly kind: WorkloadKind; readonly name: string };
  readonly reason?: string;
  readonly message?: string;
  readonly since?: EpochMs;
  readonly requests: Resources;
}

/** The Kubernetes fields of a cluster-minute rollup, computed by ingest from one agent batch. */
export interface KubeRollup {
  readonly minute: Minute;
  readonly collectedAt: EpochMs;
  readonly nodes: readonly NodeSummary[];
  readonly workloads: readonly WorkloadMinute[];
  readonly pendingPods: readonly PendingPod[];
  /** Events new or changed in this batch, deduplicated by (object uid, reason). */
  readonly events: readonly KubeEvent[];
  readonly controlPlane?: ControlPlaneHealth;
  readonly agent: AgentStatus;
  readonly scrapeErrors: readonly ScrapeError[];
  /**
   * Set when only some parts of a split full batch were stored for this minute (the others lost or still
   * on their way): `nodes` and the sums cover only those parts, so a node absent here is not known gone.
   */
  readonly partial?: { readonly parts: number; readonly count: number };
  /** The batch's `dataAgeMs`: per watched resource, how old the agent's copy was when collected. */
  readonly dataAgeMs?: Readonly<Record<string, number>>;
  /** Karpenter's NodePools and the NodeClaims that need a look, as the batch carried them (absent without Karpenter). */
  readonly karpenter?: KarpenterState;
}

/** An AWS API call the collector could not complete; a blind spot the evaluator alerts on. */
export interface CollectorFailure {
  /** e.g. `eks:DescribeCluster`, `cloudwatch:GetMetricData`. */
  readonly operation: string;
  readonly message: string;
  /** The one resource a failed call was about: only what depends on it is held, not the whole service. */
  readonly subject?: { readonly nodeGroup?: string; readonly autoScalingGroup?: string };
}

/** The cloud fields of a cluster-minute rollup, written by the collector. */
export interface CloudRollup {
  readonly minute: Minute;
  readonly collectedAt: EpochMs;
  readonly cluster?: ClusterInfo;
  readonly nodeGroups: readonly NodeGroup[];
  readonly autoScalingGroups: readonly AutoScalingGroup[];
  /** Activities seen for the first time in this run. */
  readonly scalingActivities: readonly ScalingActivity[];
  readonly hosts: readonly Host[];
  readonly failures: readonly CollectorFailure[];
}

/** Both halves of a cluster-minute, merged on read. */
export interface ClusterMinute {
  readonly cluster: string;
  readonly minute: Minute;
  readonly kube?: KubeRollup;
  readonly cloud?: CloudRollup;
}

/** The agent's last sign of life. */
export interface Heartbeat {
  readonly cluster: string;
  readonly lastSeen: EpochMs;
  readonly agent: AgentStatus;
}

// ---------------------------------------------------------------------------------------------------
// Findings and alerts (the evaluator)
// ---------------------------------------------------------------------------------------------------

export type Severity = 'info' | 'warning' | 'critical';

/** Where a finding is: the labels that identify it. Only the keys that apply are set. */
export interface Subject {
  readonly cluster: string;
  readonly nodeGroup?: string;
  readonly autoScalingGroup?: string;
  readonly node?: string;
  readonly instanceId?: string;
  readonly namespace?: string;
  /** `Kind/name`, e.g. `Deployment/web`. */
  readonly workload?: string;
  readonly pod?: string;
  readonly container?: string;
  /** Anything else that tells two findings of one rule apart (an activity id, an event reason). */
  readonly detail?: string;
}

/** What one rule saw in one evaluation. */
export interface Finding {
  readonly rule: string;
  readonly subject: Subject;
  readonly severity: Severity;
  /** One line a person reads first. */
  readonly summary: string;
  /** The figures behind it, e.g. `{ memoryAvailableMiB: 180, evictionThresholdMiB: 100 }`. */
  readonly evidence: Readonly<Record<string, string | number>>;
  /** When the condition started, when the data says so. */
  readonly since?: EpochMs;
  readonly runbook: string;
}

export type AlertPhase = 'pending' | 'firing' | 'resolved';

/** An alert's remembered state. Its identity is rule + subject (see `alertId`), never its values. */
export interface AlertState {
  readonly id: string;
  readonly rule: string;
  readonly subject: Subject;
  readonly severity: Severity;
  readonly phase: AlertPhase;
  readonly summary: string;
  readonly evidence: Readonly<Record<string, string | number>>;
  readonly runbook: string;
  readonly pendingSince?: EpochMs;
  readonly firingSince?: EpochMs;
  readonly resolvedAt?: EpochMs;
  /** Last evaluation in which the finding was present. */
  readonly lastSeen: EpochMs;
  readonly lastNotifiedAt?: EpochMs;
  /** Ids of alerts this one mutes (the domino alert mutes its constituents). */
  readonly mutes?: readonly string[];
  /** Optimistic-concurrency version: every write is conditional on it. */
  readonly version: number;
}

/** The canonical identity of an alert: the rule and the subject's labels in a fixed order. */
export function alertId(rule: string, subject: Subject): string {
  const labels = (Object.keys(subject) as (keyof Subject)[])
    .filter((k) => subject[k] !== undefined && subject[k] !== '')
    .sort()
    .map((k) => `${k}=${subject[k]}`);
  return [rule, ...labels].join('|');
}

/** `i-…` for EC2-backed nodes, `node/<name>` otherwise. */
export function nodeKeyOf(node: { readonly name: string; readonly instanceId?: string }): NodeKey {
  return node.instanceId ?? `node/${node.name}`;
}

/** The `join` of a node-minute that has a node, from its key. */
export function nodeJoinOf(key: NodeKey): Exclude<NodeJoin, 'instance-without-node'> {
  return key.startsWith('node/') ? 'node-without-instance' : 'node-and-instance';
}

/**
 * The EC2 instance id inside a node's `providerID` (`aws:///<zone>/i-…`). Fargate nodes carry no
 * instance id (`aws:///<zone>/<hash>/fargate-ip-…`), nor do non-AWS providers.
 */
export function instanceIdFromProviderId(providerId: string | undefined): string | undefined {
  if (!providerId?.startsWith('aws://')) return undefined;
  const last = providerId.split('/').pop() ?? '';
  return /^i-[0-9a-f]{8,17}$/.test(last) ? last : undefined;
}

/** `Kind/name` of a workload, the form used in subjects and queries. */
export function workloadName(w: { readonly kind: string; readonly name: string }): string {
  return `${w.kind}/${w.name}`;
}

/** A cluster Vigil watches (deployment configuration). */
export interface ClusterConfig {
  readonly name: string;
  /** @default the region the stack runs in */
  readonly region?: string;
}

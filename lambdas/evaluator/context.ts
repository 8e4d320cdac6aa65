/**
 * One evaluation's view of a cluster, built once from what was read, and shared by every rule: the newest
 * fresh rollups, each node with its newest node-minute, the hosts with their newest metrics, the memory
 * after observation, and which sources are unavailable (stale or failing), so rules never mistake missing
 * data for health.
 */
import type {
  AutoScalingGroup,
  ClusterMinute,
  CloudRollup,
  Heartbeat,
  HostNodeMinute,
  KubeNodeMinute,
  KubeRollup,
  NodeMinute,
  NodeSummary,
  Pod,
} from '../../model/domain';
import type { AwsEvent } from '../../model/aws-event';
import type { EpochMs } from '../../model/time';
import type { EvaluatorMemory, FreshObservations } from './memory';
import { staleResources, type AgentResource, type StaleResource } from './stale';
import type { TrendMemory } from './trend';

/** The AWS services whose data the collector gathers; a failure of one blinds the rules that need it. */
export type CloudService = 'eks' | 'ec2' | 'autoscaling' | 'cloudwatch';

export interface NodeView {
  readonly name: string;
  readonly summary: NodeSummary;
  /** The newest node-minute's Kubernetes part; absent when it was not stored. */
  readonly kube?: KubeNodeMinute;
  /** Cordoned, or being removed (autoscaler or termination-handler taint, deletion, instance terminating). */
  readonly cordoned: boolean;
  readonly removing: boolean;
}

export interface PodOnNode {
  readonly pod: Pod;
  readonly node: NodeView;
}

export interface EvaluationContext {
  readonly cluster: string;
  readonly now: EpochMs;
  readonly heartbeat?: Heartbeat;
  /** The newest kube rollup, when fresh (the agent is pushing and ingest storing). */
  readonly kube?: KubeRollup;
  /** The newest kube rollup whatever its age: for saying how stale the data is. */
  readonly lastKube?: KubeRollup;
  /** The newest cloud rollup, when fresh. */
  readonly cloud?: CloudRollup;
  readonly lastCloud?: CloudRollup;
  readonly nodes: readonly NodeView[];
  readonly nodeByName: ReadonlyMap<string, NodeView>;
  /** Every pod on a node, from the newest node-minutes. */
  readonly pods: readonly PodOnNode[];
  /** The newest host metrics per instance id; undefined when host metrics were not read this evaluation. */
  readonly hosts?: ReadonlyMap<string, HostNodeMinute>;
  /** Instance id → node name, from the rollup. */
  readonly nodeOfInstance: ReadonlyMap<string, string>;
  /** Auto Scaling groups by name, from the fresh cloud rollup. */
  readonly groups: ReadonlyMap<string, AutoScalingGroup>;
  /** The cluster's recent AWS events (EventBridge), oldest first: `aws-events.ts` reads them. */
  readonly awsEvents: readonly AwsEvent[];
  readonly memory: EvaluatorMemory;
  readonly fresh: FreshObservations;
  readonly trend: TrendMemory;
  /** Sources this evaluation cannot see. */
  readonly blind: {
    readonly agent: boolean;
    /** The agent's resources whose data is stale although the agent pushes: the rules reading them are held. */
    readonly resources: ReadonlyMap<AgentResource, StaleResource>;
    readonly services: ReadonlySet<CloudService>;
    /** Resources one failed call was about (a node group, an Auto Scaling group): alerts about them are held. */
    readonly subjects: readonly BlindSubject[];
  };
  /** Memo for results several rules share (the N-1 analysis). */
  readonly memo: Map<string, unknown>;
}

export interface BlindSubject {
  readonly service: CloudService;
  readonly nodeGroup?: string;
  readonly autoScalingGroup?: string;
}

export interface ContextInputs {
  readonly cluster: string;
  readonly now: EpochMs;
  readonly heartbeat?: Heartbeat;
  readonly rollups: readonly ClusterMinute[];
  readonly nodeMinutes: readonly NodeMinute[];
  readonly hostMinutes?: readonly HostNodeMinute[];
  /** @default [] */
  readonly awsEvents?: readonly AwsEvent[];
  readonly memory: EvaluatorMemory;
  readonly fresh: FreshObservations;
  readonly trend: TrendMemory;
  /** Kube data older than this is stale. */
  readonly agentStaleAfterMs: number;
  /** Cloud data older than this is stale. */
  readonly cloudStaleAfterMs: number;
  /** A resource whose agent copy is older than this is stale (see `stale.ts`). */
  readonly resourceStaleAfterMs: number;
}

/** Taints that mean the node is on its way out (autoscalers, termination handlers), not broken. */
const REMOVAL_TAINTS = [
  /^ToBeDeletedByClusterAutoscaler$/,
  /^karpenter\.sh\/disrupt(ed|ion)$/,
  /^aws-node-termination-handler\//,
  /^node\.kubernetes\.io\/out-of-service$/,
];

const SERVICES: readonly CloudService[] = ['eks', 'ec2', 'autoscaling', 'cloudwatch'];

/**
 * The minute whose kube rollup the evaluation reads: the newest complete one while it is fresh, else the
 * newest. A minute still missing parts or shards (the rest arriving, a sharded agent's replica being
 * replaced) would show its missing nodes as gone.
 */
export function newestKubeMinute(rollups: readonly ClusterMinute[], now: EpochMs, freshMs: number): ClusterMinute | undefined {
  const newestFirst = [...rollups].reverse().filter((r) => r.kube);
  const complete = newestFirst.find((r) => !r.kube!.partial);
  return complete && complete.kube!.collectedAt >= now - freshMs ? complete : newestFirst[0];
}

export function buildContext(i: ContextInputs): EvaluationContext {
  const lastKube = newestKubeMinute(i.rollups, i.now, i.agentStaleAfterMs)?.kube;
  const lastCloud = [...i.rollups].reverse().find((r) => r.cloud)?.cloud;
  const kube = lastKube && lastKube.collectedAt >= i.now - i.agentStaleAfterMs ? lastKube : undefined;
  const cloud = lastCloud && lastCloud.collectedAt >= i.now - i.cloudStaleAfterMs ? lastCloud : undefined;

  const services = new Set<CloudService>(cloud ? [] : SERVICES);
  const subjects: BlindSubject[] = [];
  for (const f of cloud?.failures ?? []) {
    const svc = f.operation.split(':')[0] as CloudService;
    if (!SERVICES.includes(svc)) continue;
    // A call about one node group or Auto Scaling group blinds what depends on it, not every rule of the service.
    if (f.subject) subjects.push({ service: svc, ...f.subject });
    else services.add(svc);
  }

  const terminating = new Set<string>();
  for (const g of cloud?.autoScalingGroups ?? [])
    for (const inst of g.instances) if (inst.lifecycleState.startsWith('Terminating')) terminating.add(inst.instanceId);
  for (const h of cloud?.hosts ?? []) if (h.state !== 'running' && h.state !== 'pending') terminating.add(h.instanceId);

  const kubeByName = new Map<string, KubeNodeMinute>();
  for (const nm of i.nodeMinutes) {
    if (!nm.kube) continue;
    const prev = kubeByName.get(nm.kube.node.name);
    if (!prev || prev.minute < nm.kube.minute) kubeByName.set(nm.kube.node.name, nm.kube);
  }
  const nodes: NodeView[] = (kube?.nodes ?? []).map((summary) => {
    const k = kubeByName.get(summary.name);
    const removing =
      (k?.node.deleting ?? false) ||
      (k?.node.taints ?? []).some((t) => REMOVAL_TAINTS.some((re) => re.test(t.key))) ||
      (summary.instanceId !== undefined && terminating.has(summary.instanceId));
    return { name: summary.name, summary, kube: k, cordoned: summary.unschedulable, removing };
  });
  const nodeByName = new Map(nodes.map((n) => [n.name, n]));
  const pods = nodes.flatMap((node) => (node.kube?.pods ?? []).map((pod) => ({ pod, node })));

  const hosts = i.hostMinutes ? newestHostMetrics(i.hostMinutes) : undefined;

  return {
    cluster: i.cluster,
    now: i.now,
    heartbeat: i.heartbeat,
    kube,
    lastKube,
    cloud,
    lastCloud,
    nodes,
    nodeByName,
    pods,
    hosts,
    nodeOfInstance: new Map((lastKube?.nodes ?? []).filter((n) => n.instanceId).map((n) => [n.instanceId!, n.name])),
    groups: new Map((cloud?.autoScalingGroups ?? []).map((g) => [g.name, g])),
    awsEvents: i.awsEvents ?? [],
    memory: i.memory,
    fresh: i.fresh,
    trend: i.trend,
    blind: { agent: !kube, resources: staleResources(kube, i.now, i.resourceStaleAfterMs), services, subjects },
    memo: new Map(),
  };
}

/** Nodes whose state matters for alerts about nodes: not cordoned, not on their way out. */
export function watchedNodes(ctx: EvaluationContext): NodeView[] {
  return ctx.nodes.filter((n) => !n.cordoned && !n.removing);
}

/** A pod that holds its node's resources (not finished). */
export function isActive(p: Pod): boolean {
  return p.phase !== 'Succeeded' && p.phase !== 'Failed';
}

/** The subject of a finding about a node: cluster, node group, node. */
export function nodeSubject(ctx: EvaluationContext, n: NodeView): { cluster: string; nodeGroup?: string; node: string } {
  return { cluster: ctx.cluster, nodeGroup: n.summary.nodeGroup, node: n.name };
}

/**
 * Each instance's newest value of each metric, over the periods read. Metrics arrive at different times
 * (status checks every minute, basic-monitoring CPU in 5-minute points minutes later), so the newest
 * period may hold only some of them: a metric it lacks keeps its value from an older period, and one no
 * period holds stays absent (unknown, never "healthy"). The host is the newest period's.
 */
export function newestHostMetrics(parts: readonly HostNodeMinute[]): Map<string, HostNodeMinute> {
  const out = new Map<string, HostNodeMinute>();
  for (const h of [...parts].sort((a, b) => a.minute - b.minute)) {
    const known = Object.fromEntries(Object.entries(h.metrics).filter(([, v]) => v !== undefined));
    if (Object.keys(known).length === 0) continue;
    const prev = out.get(h.host.instanceId);
    out.set(h.host.instanceId, { ...h, metrics: { ...prev?.metrics, ...known } });
  }
  return out;
}

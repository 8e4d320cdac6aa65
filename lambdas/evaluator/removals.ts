/**
 * Capacity removed by anyone, not only by an Auto Scaling group (lambdas/evaluator/scale-in.ts): Karpenter
 * and EKS Auto Mode disruption, a Spot interruption, an instance that failed, a person's drain. Seen from the
 * Kubernetes side, which every one of them goes through: a node shows it is leaving (Karpenter's
 * `karpenter.sh/disrupted:NoSchedule` taint, a cordon, NotReady, a deletion, Karpenter's events), then it is
 * gone from the cluster. The removal is recorded with the node's NodePool (or node group), its actor and
 * reason, in the same list as the Auto Scaling removals, so the domino starts from any of them.
 *
 * Sources (checked against the documentation, docs/alerts.md "Capacity removal"):
 * - Karpenter disruption: the taint `karpenter.sh/disrupted:NoSchedule` is added before draining (karpenter.sh
 *   concepts/disruption, "Control Flow"); the Normal event `DisruptionTerminating` on the node says why,
 *   "Disrupting Node: Underutilized", with the budget reasons `Underutilized`, `Empty`, `Drifted` (and
 *   `Expired`); interruption handling emits the Warning events `SpotInterrupted`, `InstanceTerminating`,
 *   `InstanceStopping`, `InstanceUnhealthy`, `TerminatingOnInterruption` on the node
 *   (aws/karpenter-provider-aws pkg/controllers/interruption/events/events.go).
 * - EKS Auto Mode runs Karpenter for the user: the same taint and events, nodes labelled
 *   `eks.amazonaws.com/compute-type: auto`; its node repair replaces nodes whose health conditions stay bad
 *   (EKS User Guide, "Automatically repair nodes in EKS clusters").
 * - A person's drain: `kubectl drain` cordons (`spec.unschedulable`) a Ready node no autoscaler marked, then
 *   evicts its pods.
 */
import type { CapacityType, KubeEvent, KubeNodeMinute, KubeRollup } from '../../model/domain';
import type { EpochMs } from '../../model/time';
import type { RemovalActor } from '../../model/removal';
import { HEALTH_ACTORS, SPOT_ACTOR, type Removal } from './scale-in';

/** A node showing that it is on its way out, kept until it is gone or shows it no more. */
export interface LeavingNode {
  /** When it was first seen leaving. */
  readonly since: EpochMs;
  readonly instanceId?: string;
  /** Karpenter / EKS Auto Mode NodePool, else its node group. */
  readonly pool?: string;
  readonly karpenter?: boolean;
  readonly autoMode?: boolean;
  readonly spot?: boolean;
  /** What it showed: `disrupted` (Karpenter's taint), `autoscaler` (another removal taint), `cordoned`, `not-ready`, `unhealthy` (a node monitoring agent condition False), `deleting`. */
  readonly signs: readonly string[];
  /** Karpenter's event reason and disruption reason, e.g. `DisruptionTerminating: Underutilized`, `SpotInterrupted`. */
  readonly event?: string;
  /** A removal was recorded for it already (a drain: the node stays while it is drained). */
  readonly recorded?: boolean;
  /** Its pods when first seen leaving: a cordoned node that loses pods is being drained, not only cordoned. */
  readonly pods?: number;
}

const KARPENTER_TAINTS = new Set(['karpenter.sh/disrupted', 'karpenter.sh/disruption']);
const AUTOSCALER_TAINTS = [/^ToBeDeletedByClusterAutoscaler$/, /^aws-node-termination-handler\//, /^node\.kubernetes\.io\/out-of-service$/];

/** Karpenter's events on a node that say it is being removed, and what each means. */
const KARPENTER_EVENTS: Readonly<Record<string, { readonly by: RemovalActor; readonly lost: boolean; readonly text: string }>> = {
  DisruptionTerminating: { by: 'karpenter', lost: false, text: 'disruption' },
  SpotInterrupted: { by: 'spot-interruption', lost: true, text: 'Spot interruption warning' },
  TerminatingOnInterruption: { by: 'spot-interruption', lost: true, text: 'interruption (AWS event)' },
  InstanceTerminating: { by: 'ec2-health', lost: true, text: 'instance terminating (AWS event)' },
  InstanceStopping: { by: 'ec2-health', lost: true, text: 'instance stopping (AWS event)' },
  InstanceUnhealthy: { by: 'ec2-health', lost: true, text: 'instance unhealthy (AWS Health event)' },
};

/** Karpenter's disruption reasons (NodePool budgets' `reasons`, and `Expired`) in the on-call's words. */
const DISRUPTION_REASONS: Readonly<Record<string, string>> = {
  underutilized: 'consolidation (Underutilized)',
  empty: 'emptiness (Empty)',
  drifted: 'drift (Drifted)',
  expired: 'expiry (Expired)',
};

/** The Warning event reasons above: the capacity rules tell them, not the Warning-events rule. */
export const REMOVAL_EVENT_REASONS: readonly string[] = Object.keys(KARPENTER_EVENTS).filter((r) => r !== 'DisruptionTerminating');

/** `DisruptionTerminating: Underutilized` from "Disrupting Node: Underutilized". */
function eventText(e: KubeEvent): string {
  const reason = /Disrupting Node: ([A-Za-z]+)/i.exec(e.message)?.[1];
  return reason ? `${e.reason}: ${reason}` : e.reason;
}

function signsOf(k: KubeNodeMinute): string[] {
  const n = k.node;
  const signs: string[] = [];
  if (n.taints.some((t) => KARPENTER_TAINTS.has(t.key))) signs.push('disrupted');
  if (n.taints.some((t) => AUTOSCALER_TAINTS.some((re) => re.test(t.key)))) signs.push('autoscaler');
  if (n.unschedulable) signs.push('cordoned');
  if (n.conditions.some((c) => c.type === 'Ready' && c.status !== 'True')) signs.push('not-ready');
  // The EKS node monitoring agent's conditions (KernelReady, NetworkingReady, ContainerRuntimeReady…): False is a fault node repair acts on.
  if (n.conditions.some((c) => c.type !== 'Ready' && c.type.endsWith('Ready') && c.status === 'False')) signs.push('unhealthy');
  if (n.deleting) signs.push('deleting');
  return signs;
}

const isSpot = (c: CapacityType | undefined) => c === 'spot';

/**
 * Updates the leaving nodes from the newest node-minutes and the events of the rollups read. A node that
 * shows nothing any more (Karpenter untainted it: its replacement failed; a person uncordoned it) is no
 * longer leaving.
 */
export function observeLeaving(
  prev: Readonly<Record<string, LeavingNode>>,
  nodes: readonly KubeNodeMinute[],
  events: readonly KubeEvent[],
  now: EpochMs,
): Record<string, LeavingNode> {
  const out: Record<string, LeavingNode> = { ...prev };
  const byNode = new Map<string, string>();
  for (const e of events) if (e.objectKind === 'Node' && KARPENTER_EVENTS[e.reason]) byNode.set(e.objectName, eventText(e));
  for (const k of nodes) {
    const n = k.node;
    const signs = signsOf(k);
    const event = byNode.get(n.name) ?? prev[n.name]?.event;
    if (signs.length === 0 && !byNode.has(n.name)) {
      delete out[n.name];
      continue;
    }
    out[n.name] = {
      since: prev[n.name]?.since ?? now,
      ...(n.instanceId ? { instanceId: n.instanceId } : {}),
      ...((n.nodePool ?? n.nodeGroup) ? { pool: n.nodePool ?? n.nodeGroup } : {}),
      ...(n.nodePool ? { karpenter: true } : {}),
      ...(n.autoMode ? { autoMode: true } : {}),
      ...(isSpot(n.capacityType) ? { spot: true } : {}),
      signs,
      ...(event ? { event } : {}),
      ...(prev[n.name]?.recorded ? { recorded: true } : {}),
      pods: prev[n.name]?.pods ?? k.pods.length,
    };
  }
  return out;
}

/** Who removed a leaving node, and whether it was lost (nobody decided it) rather than taken away. */
export function actorOf(l: LeavingNode): { by: RemovalActor; lost: boolean; actor: string } {
  const reason = l.event?.split(': ')[0];
  const known = reason ? KARPENTER_EVENTS[reason] : undefined;
  const manager = l.autoMode ? 'EKS Auto Mode' : 'Karpenter';
  const managed: RemovalActor = l.autoMode ? 'eks-auto-mode' : 'karpenter';
  if (known && known.by !== 'karpenter') return { by: known.by, lost: known.lost, actor: `${manager}: ${known.text}` };
  const unhealthy = l.signs.includes('not-ready') || l.signs.includes('unhealthy');
  // Node repair deletes an unhealthy node without a disruption event: the termination controller's taint only.
  if (l.karpenter && unhealthy && !known)
    return {
      by: managed,
      lost: true,
      actor: `${manager} node repair or a failed instance (node ${l.signs.includes('not-ready') ? 'NotReady' : 'unhealthy'}, then replaced)`,
    };
  if (known || l.signs.includes('disrupted')) {
    const why = l.event?.split(': ')[1];
    const text = why ? (DISRUPTION_REASONS[why.toLowerCase()] ?? why) : 'disruption (reason not reported)';
    return { by: managed, lost: false, actor: `${manager} ${text}` };
  }
  if (l.signs.includes('not-ready')) {
    // Gone after NotReady without a drain: the instance failed or was reclaimed (Spot).
    if (l.spot) return { by: 'spot-interruption', lost: true, actor: 'Spot interruption (node went NotReady, then away)' };
    return { by: 'ec2-health', lost: true, actor: 'a failed instance (node NotReady, then gone)' };
  }
  if (l.signs.includes('cordoned') && !l.signs.includes('autoscaler'))
    return { by: 'drain', lost: false, actor: 'a drain (cordoned by a person or a tool)' };
  return { by: 'auto-scaling', lost: false, actor: 'an autoscaler or termination handler (removal taint)' };
}

/**
 * The removals of the Kubernetes side at one rollup: leaving nodes gone from a complete rollup, and Ready
 * nodes cordoned and losing pods (a drain removes their capacity while they stay; a cordon alone does not). Nodes of an Auto Scaling group
 * (`asgInstances`) are left to the group's removals, which know the activity's cause, except a drain.
 * `updatingGroups`: node groups EKS is updating, whose cordons are the update's own.
 */
export function removalsAt(
  leaving: Record<string, LeavingNode>,
  kube: KubeRollup,
  asgInstances: ReadonlyMap<string, string>,
  updatingGroups: ReadonlySet<string>,
  minute: EpochMs,
): Removal[] {
  const present = new Map(kube.nodes.map((n) => [n.name, n]));
  const out: Removal[] = [];
  for (const [node, l] of Object.entries(leaving)) {
    const summary = present.get(node);
    const group = l.instanceId ? asgInstances.get(l.instanceId) : undefined;
    if (summary) {
      // A drain, not only a cordon: its pods are leaving.
      const drained = l.pods !== undefined && summary.pods < l.pods;
      const drain =
        !l.recorded &&
        drained &&
        l.signs.length === 1 &&
        l.signs[0] === 'cordoned' &&
        summary.ready === 'True' &&
        !(l.pool && updatingGroups.has(l.pool));
      if (!drain) continue;
      leaving[node] = { ...l, recorded: true };
      out.push(removal(l, node, minute, group));
      continue;
    }
    // Partial rollups do not list every node: a node absent from one is not known gone.
    if (kube.partial) continue;
    delete leaving[node];
    if (l.recorded || group) continue;
    out.push(removal(l, node, minute, group));
  }
  return out;
}

function removal(l: LeavingNode, node: string, t: EpochMs, autoScalingGroup: string | undefined): Removal {
  const { by, lost, actor } = actorOf(l);
  return {
    ...(autoScalingGroup ? { autoScalingGroup } : {}),
    ...(l.pool ? { [l.karpenter ? 'nodePool' : 'nodeGroup']: l.pool } : {}),
    t,
    instanceId: l.instanceId ?? '',
    node,
    actor,
    by,
    ...(lost ? { lost } : {}),
  };
}

/** Who removed it, and whether it was lost: Auto Scaling removals from the activity's cause (scale-in.ts). */
export function removalKind(s: Removal): { by: RemovalActor; lost: boolean } {
  if (s.by) return { by: s.by, lost: s.lost === true };
  if (s.actor === SPOT_ACTOR) return { by: 'spot-interruption', lost: true };
  if (HEALTH_ACTORS.has(s.actor)) return { by: 'ec2-health', lost: true };
  return { by: 'auto-scaling', lost: false };
}

/** The domino's group of a removal: its Auto Scaling group, else its NodePool (or node group). */
export function removalGroup(s: Removal): string {
  return s.autoScalingGroup ?? s.nodePool ?? s.nodeGroup ?? '';
}

/** What to do about a removal the cluster could not afford, by who removed it. */
export const REMOVAL_ADVICE: Readonly<Partial<Record<RemovalActor, string>>> = {
  karpenter:
    'Give the NodePool room now (raise spec.limits, or create capacity); Karpenter packs by requests: set memory requests that match real use on the pods listed, slow it with a NodePool disruption budget (spec.disruption.budgets, e.g. nodes "0" for Underutilized in business hours) and spec.disruption.consolidateAfter, and protect critical pods with PodDisruptionBudgets or karpenter.sh/do-not-disrupt.',
  'eks-auto-mode':
    "Give the NodePool room now (raise spec.limits); EKS Auto Mode packs by requests: set memory requests that match real use on the pods listed, and limit its disruption with the NodePool's spec.disruption.budgets and consolidateAfter (a custom NodePool: the built-in ones cannot be edited).",
  'spot-interruption':
    "Spot capacity is reclaimed at two minutes' notice: diversify instance types and zones with a capacity-optimized (price-capacity-optimized) allocation strategy, keep an on-demand base for critical workloads (OnDemandBaseCapacity, or an on-demand NodePool), and set memory requests that match use so replacements are sized right.",
  'ec2-health':
    'Replace the failed capacity now (raise desired/min, or let the NodePool launch), see why the instance failed (status checks, AWS Health), and keep a node of headroom (n1-headroom) with memory requests that match use.',
  drain:
    'Uncordon the node (kubectl uncordon) or add a node first; drain one node at a time, after n1-headroom says the rest have room, with PodDisruptionBudgets on the workloads.',
};

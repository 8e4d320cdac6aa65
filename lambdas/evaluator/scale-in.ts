/**
 * What counts as a scale-in for the domino: capacity that went away, not a number that moved. An instance
 * that was InService in its Auto Scaling group, and ran a node, left service (Terminating, Detaching, gone),
 * with the actor and reason that removed it.
 *
 * Not a scale-in:
 * - a drop of desired capacity that removed no InService instance: Cluster Autoscaler rolls back a failed
 *   scale-up with `DecreaseTargetSize`, which "doesn't permit to delete any existing node"
 *   (kubernetes/autoscaler cluster-autoscaler/cloudprovider/cloud_provider.go);
 * - an instance that never ran a node (a launch that failed to join): it held no pods;
 * - the rolling replacement of an EKS managed node group update: EKS first raises desired and max, drains
 *   and terminates the old nodes while the new ones run, then lowers desired and max by one back to the
 *   pre-update values (EKS User Guide, "Understand each phase of node updates"); the node group is
 *   `UPDATING` throughout, and capacity never drops below what it was before the update.
 */
import type { AutoScalingGroup, CloudRollup, KubeRollup, ScalingActivity } from '../../model/domain';
import type { EpochMs } from '../../model/time';
import type { RemovalActor } from '../../model/removal';

/**
 * One removal of capacity, with the node it took: an instance that left its Auto Scaling group, or a node
 * removed from the Kubernetes side (lambdas/evaluator/removals.ts: Karpenter, EKS Auto Mode, Spot, a failed
 * instance, a drain).
 */
export interface Removal {
  /** The group it left; absent for a node of no Auto Scaling group (a Karpenter NodePool's). */
  readonly autoScalingGroup?: string;
  /** The node's Karpenter / EKS Auto Mode NodePool, or else its node group, for removals seen from the Kubernetes side. */
  readonly nodePool?: string;
  readonly nodeGroup?: string;
  /** Who removed it; absent for Auto Scaling removals, whose actor comes from the activity's cause. */
  readonly by?: RemovalActor;
  /** Lost rather than removed: nobody decided it (a Spot interruption, a failed instance). */
  readonly lost?: boolean;
  /** When its removal was seen, or when the activity that removed it started. */
  readonly t: EpochMs;
  readonly instanceId: string;
  readonly node: string;
  /** Who removed it and why, short: `alarm X, policy Y`, `EC2 health check`… */
  readonly actor: string;
  /** The activity's cause, word for word, once the activity was read. */
  readonly cause?: string;
  readonly activityId?: string;
}

/** InService instances per Auto Scaling group, each with its node name ('' while no node is known). */
export type InServiceInstances = Readonly<Record<string, Readonly<Record<string, string>>>>;

/** The actor of a removal whose scaling activity was not read (yet). */
export const UNREAD_ACTOR = 'Auto Scaling (activity not read yet)';

/** Actors whose removals are capacity lost, not decided (lambdas/evaluator/removals.ts). */
export const SPOT_ACTOR = 'a Spot interruption or rebalance';
const EC2_HEALTH_ACTOR = 'EC2 health check';
const ELB_HEALTH_ACTOR = 'ELB health check';
export const HEALTH_ACTORS: ReadonlySet<string> = new Set([EC2_HEALTH_ACTOR, ELB_HEALTH_ACTOR]);

const REMOVAL = /^(?:Terminating|Detaching) EC2 instance: (i-[0-9a-f]+)/;

/**
 * The actor, from the cause text Auto Scaling writes on the activity (DescribeScalingActivities `Cause`):
 * e.g. "At … a monitor alarm X in state ALARM triggered policy Y changing the desired capacity from 3 to
 * 2.", "At … an instance was taken out of service in response to a EC2 health check indicating it has been
 * terminated or stopped.", "At … instance i-… was taken out of service in response to a user request,
 * shrinking the capacity from 4 to 3." (TerminateInstanceInAutoScalingGroup: Cluster Autoscaler's
 * scale-down, or a person).
 */
export function removalActor(cause: string): string {
  const alarm = /alarm ([^\s]+) in state ALARM/i.exec(cause)?.[1];
  const policy = /triggered policy ([^\s]+)/i.exec(cause)?.[1];
  if (alarm || policy) return [alarm && `alarm ${alarm}`, policy && `policy ${policy}`].filter(Boolean).join(', ');
  if (/scheduled action/i.test(cause)) return 'a scheduled action';
  if (/taken out of service in response to a user request/i.test(cause))
    return 'a terminate request (Cluster Autoscaler scale-down, or a person)';
  if (/user request/i.test(cause)) return 'a user request (API, console, or an autoscaler)';
  if (/EC2 health check/i.test(cause)) return EC2_HEALTH_ACTOR;
  if (/ELB (system )?health check/i.test(cause)) return ELB_HEALTH_ACTOR;
  if (/instance refresh/i.test(cause)) return 'an instance refresh';
  if (/rebalance recommendation|spot|interruption/i.test(cause)) return SPOT_ACTOR;
  if (/AZRebalance|rebalanc/i.test(cause)) return 'Availability Zone rebalancing';
  if (/maximum instance lifetime|max instance lifetime/i.test(cause)) return 'maximum instance lifetime';
  return cause ? cause.slice(0, 120) : UNREAD_ACTOR;
}

/** The group's InService instances with their nodes: from the newest Kubernetes nodes, else as known before. */
function inServiceOf(
  g: AutoScalingGroup,
  nodeOfInstance: ReadonlyMap<string, string>,
  before: Readonly<Record<string, string>> | undefined,
): Record<string, string> {
  return Object.fromEntries(
    g.instances
      .filter((i) => i.lifecycleState === 'InService')
      .map((i) => [i.instanceId, nodeOfInstance.get(i.instanceId) ?? before?.[i.instanceId] ?? '']),
  );
}

/** Instances that may leave service without being removed: put aside by an operator, still running their node. */
const ASIDE = new Set(['Standby', 'EnteringStandby']);

/**
 * Folds one rollup into the removals and the InService instances. `nodeOfInstance` holds the nodes of the
 * newest Kubernetes rollup seen (instance id → node name). Groups the rollup does not list (a failed read)
 * keep what was known: their removals are seen at the next rollup that lists them.
 */
export function observeAutoScalingRemovals(
  prev: { readonly removals: readonly Removal[]; readonly inService: InServiceInstances },
  cloud: CloudRollup,
  minute: EpochMs,
  nodeOfInstance: ReadonlyMap<string, string>,
): { removals: Removal[]; inService: Record<string, Record<string, string>> } {
  const removals = [...prev.removals];
  const inService: Record<string, Record<string, string>> = { ...prev.inService };
  const updating = new Set(cloud.nodeGroups.filter((n) => n.status === 'UPDATING').flatMap((n) => n.autoScalingGroups));
  for (const g of cloud.autoScalingGroups) {
    const before = prev.inService[g.name];
    const now = inServiceOf(g, nodeOfInstance, before);
    if (before && !updating.has(g.name)) {
      const state = new Map(g.instances.map((i) => [i.instanceId, i.lifecycleState]));
      for (const [instanceId, node] of Object.entries(before)) {
        if (instanceId in now || ASIDE.has(state.get(instanceId) ?? '') || !node) continue;
        if (removals.some((s) => s.instanceId === instanceId)) continue;
        removals.push({ autoScalingGroup: g.name, t: minute, instanceId, node, actor: UNREAD_ACTOR });
      }
    }
    inService[g.name] = now;
  }
  // The activity that removed an instance says who and why: it completes the removal seen from the group.
  for (const a of cloud.scalingActivities) enrich(removals, a);
  return { removals, inService };
}

function enrich(removals: Removal[], a: ScalingActivity): void {
  const id = REMOVAL.exec(a.description)?.[1];
  if (!id || a.status === 'Failed' || a.status === 'Cancelled') return;
  const i = removals.findIndex((s) => s.instanceId === id && s.activityId === undefined);
  if (i >= 0)
    removals[i] = {
      ...removals[i],
      t: Math.min(removals[i].t, a.startTime),
      actor: removalActor(a.cause),
      cause: a.cause,
      activityId: a.activityId,
    };
}

/** Instance id → node name, from a Kubernetes rollup. */
export function nodesByInstance(kube: KubeRollup): Map<string, string> {
  return new Map(kube.nodes.flatMap((n) => (n.instanceId ? [[n.instanceId, n.name] as const] : [])));
}

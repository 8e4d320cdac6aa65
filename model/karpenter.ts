/**
 * Karpenter's NodePools and NodeClaims (`karpenter.sh/v1`) as the agent projects them: only the fields the
 * capacity rules read. Field names, condition types and reasons follow kubernetes-sigs/karpenter
 * `pkg/apis/v1/{nodepool,nodepool_status,nodeclaim_status}.go` (see docs/agent.md for the sources).
 */
import type { ConditionStatus, Resources } from './kube-values';
import type { EpochMs } from './time';

/** A status condition (`status.conditions[]`: operatorpkg's `status.Condition`). */
export interface KarpenterCondition {
  readonly type: string;
  readonly status: ConditionStatus;
  readonly reason?: string;
  readonly message?: string;
  /** `lastTransitionTime`. */
  readonly since?: EpochMs;
}

/** `spec.limits` and `status.resources`: a ResourceList, plus the `nodes` count Karpenter also limits. */
export interface NodePoolResources extends Resources {
  readonly nodes?: number;
}

/** One of `spec.disruption.budgets[]`: at most `nodes` (a count or a %) disrupted at once, while it applies. */
export interface DisruptionBudget {
  readonly nodes: string;
  /** Underutilized, Empty, Drifted; absent = every reason. */
  readonly reasons?: readonly string[];
  /** A cron schedule and how long the budget lasts from each hit; absent = always. */
  readonly schedule?: string;
  readonly duration?: string;
}

export interface KarpenterNodePool {
  readonly name: string;
  /** `spec.template.spec.nodeClassRef`: `eks.amazonaws.com`/NodeClass is EKS Auto Mode's, `karpenter.k8s.aws`/EC2NodeClass self-managed Karpenter's. */
  readonly nodeClass?: { readonly group: string; readonly kind: string; readonly name: string };
  readonly limits?: NodePoolResources;
  /** `status.resources`: what its NodeClaims hold now. */
  readonly resources?: NodePoolResources;
  readonly budgets: readonly DisruptionBudget[];
  readonly conditions: readonly KarpenterCondition[];
}

export interface KarpenterNodeClaim {
  readonly name: string;
  /** Its `karpenter.sh/nodepool` label. */
  readonly nodePool?: string;
  /** `status.nodeName`, once registered. */
  readonly nodeName?: string;
  /** `status.providerID`, once launched. */
  readonly providerId?: string;
  readonly instanceId?: string;
  /** `node.kubernetes.io/instance-type` and `karpenter.sh/capacity-type` labels, once launched. */
  readonly instanceType?: string;
  readonly capacityType?: string;
  readonly createdAt?: EpochMs;
  readonly deleting?: true;
  readonly conditions: readonly KarpenterCondition[];
}

/**
 * What a batch carries: every NodePool, and the NodeClaims that need a look (not Ready, drifted, being
 * disrupted or deleted). A Ready NodeClaim is its node, which the batch already describes.
 */
export interface KarpenterState {
  readonly nodePools: readonly KarpenterNodePool[];
  readonly nodeClaims: readonly KarpenterNodeClaim[];
}

/** NodeClaim condition types (`nodeclaim_status.go`); `Ready` is the root condition over the first three. */
export const NODECLAIM = {
  launched: 'Launched',
  registered: 'Registered',
  initialized: 'Initialized',
  ready: 'Ready',
  drifted: 'Drifted',
  /** Set while Karpenter disrupts it, with the reason (current v1); older v1 releases called it `Disrupted`. */
  disrupting: ['DisruptionReason', 'Disrupted'],
} as const;

export function conditionOf(c: { readonly conditions: readonly KarpenterCondition[] }, type: string): KarpenterCondition | undefined {
  return c.conditions.find((x) => x.type === type);
}

/** A NodeClaim Karpenter is disrupting or deleting: its trouble is on its way out. */
export function leaving(nc: KarpenterNodeClaim): boolean {
  return nc.deleting === true || NODECLAIM.disrupting.some((t) => conditionOf(nc, t)?.status === 'True');
}

/** Whether a NodeClaim needs a look (see `KarpenterState`). */
export function needsAttention(nc: KarpenterNodeClaim): boolean {
  return conditionOf(nc, NODECLAIM.ready)?.status !== 'True' || conditionOf(nc, NODECLAIM.drifted)?.status === 'True' || leaving(nc);
}

/** EKS Auto Mode's NodeClass group; self-managed Karpenter on AWS uses `karpenter.k8s.aws` (EC2NodeClass). */
export const AUTO_MODE_NODECLASS_GROUP = 'eks.amazonaws.com';

/**
 * What Karpenter says about the NodePools it cannot launch for. When a NodePool's `spec.limits` leave no
 * instance type that fits, Karpenter records a Warning `FailedScheduling` event on the pod: "Failed to
 * schedule pod, all available instance types exceed limits for nodepool …" or "… node limits have been
 * exhausted for nodepool …", naming the NodePool as `"name"` or `(NodePool=name)` depending on the version
 * (kubernetes-sigs/karpenter pkg/controllers/provisioning/scheduling/scheduler.go).
 */
import type { KubeEvent } from '../../model/domain';
import type { EpochMs } from '../../model/time';

/** The last time Karpenter said a NodePool's limits kept pods from being scheduled, and for which pods. */
export interface NodePoolAtLimit {
  readonly t: EpochMs;
  readonly message: string;
  /** `namespace/name` of the pods it said it for, newest last. */
  readonly pods: readonly string[];
}

const AT_LIMIT = /(?:exceed limits|limits have been exhausted) for nodepool(?::?\s*"([^"]+)"|\s*\(NodePool=([^)\s]+)\))?/i;
const MAX_PODS = 20;

/** The NodePool a Karpenter event says is at its limits, if it says so. */
export function nodePoolAtLimitOf(e: KubeEvent): string | undefined {
  if (e.type !== 'Warning' || e.reason !== 'FailedScheduling' || e.objectKind !== 'Pod') return undefined;
  const m = AT_LIMIT.exec(e.message);
  return m ? (m[1] ?? m[2] ?? '(unnamed)') : undefined;
}

/** Folds the events of a rollup into the NodePools at their limits. */
export function observeNodePoolLimits(
  prev: Readonly<Record<string, NodePoolAtLimit>>,
  events: readonly KubeEvent[],
): Record<string, NodePoolAtLimit> {
  const out: Record<string, NodePoolAtLimit> = { ...prev };
  for (const e of events) {
    const pool = nodePoolAtLimitOf(e);
    if (!pool) continue;
    const pod = `${e.namespace ?? ''}/${e.objectName}`;
    const was = out[pool];
    out[pool] = {
      t: Math.max(was?.t ?? 0, e.lastSeen),
      message: was && was.t > e.lastSeen ? was.message : e.message,
      pods: [...(was?.pods ?? []).filter((p) => p !== pod), pod].slice(-MAX_PODS),
    };
  }
  return out;
}

/**
 * Karpenter NodeClaims in trouble, remembered per NodePool across evaluations: Karpenter deletes a NodeClaim
 * whose launch hit insufficient capacity at once (a Warning `InsufficientCapacityError` event on it is all
 * that is left), keeps one whose launch failed otherwise with `Launched=False` (reason `LaunchFailed`), and
 * deletes one that did not register within 15 minutes (its registration TTL) to try again
 * (kubernetes-sigs/karpenter `pkg/controllers/nodeclaim/lifecycle/{launch,liveness,events}.go`). Each minute
 * shows only what exists then, so the failures of a NodePool are kept here for the rules to count.
 */
import type { KubeEvent, KubeRollup } from '../../model/domain';
import { conditionOf, leaving, NODECLAIM, type KarpenterNodeClaim, type KarpenterNodePool } from '../../model/karpenter';
import type { EpochMs } from '../../model/time';

export interface NodeClaimTrouble {
  readonly nodeClaim: string;
  /** `launch`: it could not be launched; `not-ready`: launched, not (yet) registered and initialized. */
  readonly kind: 'launch' | 'not-ready';
  /** When the trouble began: the failed launch, or the NodeClaim's creation. */
  readonly t: EpochMs;
  /** When it was last seen in that state. */
  readonly seen: EpochMs;
  /** Karpenter's reason (`LaunchFailed`, `InsufficientCapacityError`), or the lifecycle step not reached (`Registered`, `Initialized`). */
  readonly reason: string;
  readonly message: string;
  readonly instanceType?: string;
  readonly instanceId?: string;
  readonly node?: string;
}

/** Per NodePool, newest last. */
export type NodeClaimTroubles = Readonly<Record<string, readonly NodeClaimTrouble[]>>;

/** Karpenter's Warning events on a NodeClaim whose launch failed (`events.go`). */
export const LAUNCH_FAILURE_EVENTS: ReadonlySet<string> = new Set(['InsufficientCapacityError', 'NodeClassNotReady']);
const KEEP_MS = 60 * 60_000;
const MAX_PER_POOL = 20;

/** The lifecycle step a launched NodeClaim has not reached, or undefined when it is Ready (or was never launched). */
export function stepMissing(nc: KarpenterNodeClaim): 'Registered' | 'Initialized' | undefined {
  if (conditionOf(nc, NODECLAIM.launched)?.status !== 'True' || conditionOf(nc, NODECLAIM.ready)?.status === 'True') return undefined;
  return conditionOf(nc, NODECLAIM.registered)?.status !== 'True'
    ? 'Registered'
    : conditionOf(nc, NODECLAIM.initialized)?.status !== 'True'
      ? 'Initialized'
      : undefined;
}

/**
 * The NodePool of a NodeClaim named only by an event (it is deleted by then): Karpenter names NodeClaims after
 * their NodePool (`GenerateName: "<nodepool>-"`, `pkg/controllers/provisioning/scheduling/nodeclaimtemplate.go`),
 * so the longest NodePool name it starts with; the only NodePool when there is one.
 */
export function poolOfName(name: string, pools: readonly KarpenterNodePool[]): string | undefined {
  const matching = pools.filter((p) => name.startsWith(`${p.name}-`)).sort((a, b) => b.name.length - a.name.length);
  return matching[0]?.name ?? (pools.length === 1 ? pools[0].name : undefined);
}

function troublesOf(kube: KubeRollup, at: EpochMs): { pool: string; trouble: NodeClaimTrouble }[] {
  const k = kube.karpenter;
  if (!k) return [];
  const out: { pool: string; trouble: NodeClaimTrouble }[] = [];
  const pools = new Map(k.nodeClaims.map((nc) => [nc.name, nc.nodePool]));
  for (const nc of k.nodeClaims) {
    if (!nc.nodePool || leaving(nc)) continue;
    const base = {
      nodeClaim: nc.name,
      seen: at,
      ...(nc.instanceType ? { instanceType: nc.instanceType } : {}),
      ...(nc.instanceId ? { instanceId: nc.instanceId } : {}),
      ...(nc.nodeName ? { node: nc.nodeName } : {}),
    };
    const launched = conditionOf(nc, NODECLAIM.launched);
    const missing = stepMissing(nc);
    if (launched?.status === 'False')
      out.push({
        pool: nc.nodePool,
        trouble: {
          ...base,
          kind: 'launch',
          t: launched.since ?? at,
          reason: launched.reason ?? 'LaunchFailed',
          message: launched.message ?? '',
        },
      });
    else if (missing) {
      const c = conditionOf(nc, missing);
      out.push({
        pool: nc.nodePool,
        trouble: {
          ...base,
          kind: 'not-ready',
          t: nc.createdAt ?? at,
          reason: missing,
          message: c?.message || `${missing} is ${c?.status ?? 'not reported'}`,
        },
      });
    }
  }
  for (const e of kube.events) {
    if (!launchFailureEvent(e)) continue;
    const pool = pools.get(e.objectName) ?? poolOfName(e.objectName, k.nodePools);
    if (pool)
      out.push({
        pool,
        trouble: { nodeClaim: e.objectName, kind: 'launch', t: e.firstSeen, seen: e.lastSeen, reason: e.reason, message: e.message },
      });
  }
  return out;
}

export function launchFailureEvent(e: KubeEvent): boolean {
  return e.type === 'Warning' && e.objectKind === 'NodeClaim' && LAUNCH_FAILURE_EVENTS.has(e.reason);
}

/** Folds one rollup's NodeClaims and events (collected `at`) into the troubles per NodePool; forgets what is an hour old. */
export function observeNodeClaims(prev: NodeClaimTroubles, kube: KubeRollup, at: EpochMs, now: EpochMs): NodeClaimTroubles {
  const out: Record<string, NodeClaimTrouble[]> = Object.fromEntries(Object.entries(prev).map(([p, ts]) => [p, [...ts]]));
  for (const { pool, trouble } of troublesOf(kube, at)) {
    const list = (out[pool] ??= []);
    const i = list.findIndex((x) => x.nodeClaim === trouble.nodeClaim && x.kind === trouble.kind);
    if (i >= 0) list.splice(i, 1, { ...trouble, t: Math.min(list[i].t, trouble.t), seen: Math.max(list[i].seen, trouble.seen) });
    else list.push(trouble);
  }
  for (const [pool, list] of Object.entries(out)) {
    const kept = list
      .filter((x) => x.seen >= now - KEEP_MS)
      .sort((a, b) => a.seen - b.seen)
      .slice(-MAX_PER_POOL);
    if (kept.length) out[pool] = kept;
    else delete out[pool];
  }
  return out;
}

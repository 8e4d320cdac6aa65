/**
 * Which of the agent's resources are stale. Each batch says, per watched resource, how old the agent's copy
 * was when it was built (`dataAgeMs`): a watch that fails (403 after an RBAC edit, a 429 storm) or stalls
 * keeps shipping its last state as the current minute. A rule reading a stale resource must be held, never
 * allowed to resolve because the data stopped moving.
 */
import type { KubeRollup } from '../../model/domain';
import type { EpochMs } from '../../model/time';

/**
 * The kinds of Kubernetes resources the agent lists and watches, each with its own data age: a stale one
 * blinds the rules that read it.
 */
export type AgentResource = 'nodes' | 'pods' | 'workloads' | 'events' | 'karpenter';

/** How old one kind of resource is now, and the agent's resources behind it (`pods`, `deployments`, …). */
export interface StaleResource {
  readonly ageMs: number;
  readonly reported: readonly string[];
}

const WORKLOAD_RESOURCES = new Set(['deployments', 'statefulsets', 'daemonsets', 'replicasets', 'jobs']);

/** The kind a resource named in `dataAgeMs` belongs to; undefined for one no rule reads. */
export function resourceKind(reported: string): AgentResource | undefined {
  if (reported === 'nodes' || reported === 'pods') return reported;
  if (reported === 'events' || reported.startsWith('events/')) return 'events';
  if (reported === 'nodepools' || reported === 'nodeclaims') return 'karpenter';
  return WORKLOAD_RESOURCES.has(reported) ? 'workloads' : undefined;
}

/**
 * The kinds whose data is older than `staleAfterMs` now: the age the batch reported plus the time since it
 * was collected, the oldest resource of a kind counting for it. Batches of agents that do not report ages
 * make nothing stale.
 */
export function staleResources(
  rollup: KubeRollup | undefined,
  now: EpochMs,
  staleAfterMs: number,
): ReadonlyMap<AgentResource, StaleResource> {
  const out = new Map<AgentResource, StaleResource>();
  for (const [reported, age] of Object.entries(rollup?.dataAgeMs ?? {})) {
    const kind = resourceKind(reported);
    const ageMs = age + Math.max(0, now - rollup!.collectedAt);
    if (kind === undefined || ageMs <= staleAfterMs) continue;
    const prev = out.get(kind);
    out.set(kind, { ageMs: Math.max(ageMs, prev?.ageMs ?? 0), reported: [...(prev?.reported ?? []), reported] });
  }
  return out;
}

/**
 * Where a node's kubelet starts evicting, per signal: its own `evictionHard`/`evictionSoft` when the agent
 * could read its `/configz` (Kubernetes 1.33+, `nodes/configz`), else the rule's default. A soft threshold
 * evicts after its grace period, so the earlier of the two (the larger amount left) is the one that counts.
 */
import type { EvictionThreshold, KubeNode } from '../../model/domain';
import type { NodeView } from './context';
import type { Signal, SignalReading } from './trend';

export interface EvictionPoint {
  /** In the reading's unit (MiB, inodes, PIDs): eviction starts when less than this is left. */
  readonly at: number;
  /** For the evidence: where the threshold comes from. */
  readonly source: 'kubelet /configz' | 'default (kubelet /configz not readable)' | 'default (not in the kubelet configuration)';
}

function amount(t: EvictionThreshold | undefined, r: SignalReading): number | undefined {
  if (!t) return undefined;
  if (t.pct !== undefined) return (r.capacity * t.pct) / 100;
  if (t.quantity === undefined) return undefined;
  return r.unit === 'MiB' ? t.quantity / 2 ** 20 : t.quantity;
}

/** The node's eviction point for `signal`; `fallback` (in the reading's unit) where its kubelet's is unknown. */
export function evictionPoint(n: NodeView, signal: Signal, r: SignalReading, fallback: number): EvictionPoint {
  const e = n.kube?.node.eviction;
  if (!e) return { at: fallback, source: 'default (kubelet /configz not readable)' };
  const hard = amount(e.hard[signal], r);
  const soft = amount(e.soft?.[signal], r);
  if (hard === undefined && soft === undefined) return { at: fallback, source: 'default (not in the kubelet configuration)' };
  return { at: Math.max(hard ?? 0, soft ?? 0), source: 'kubelet /configz' };
}

/**
 * Memory a kubelet's soft threshold keeps free beyond its hard one. Allocatable already leaves the hard
 * threshold out; a soft one above it evicts pods before allocatable is full.
 */
export function softMemoryMarginBytes(node: KubeNode | undefined): number {
  const e = node?.eviction;
  const capacity = node?.capacity.memoryBytes;
  if (!e?.soft?.['memory.available'] || !capacity) return 0;
  const bytes = (t: EvictionThreshold | undefined) => (t?.pct !== undefined ? (capacity * t.pct) / 100 : (t?.quantity ?? 0));
  return Math.max(0, bytes(e.soft['memory.available']) - bytes(e.hard['memory.available']));
}

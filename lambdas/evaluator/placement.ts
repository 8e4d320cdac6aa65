/**
 * Where a pod may run, as the scheduler's filter stage decides it, for the fit checks (N-1, domino, lost
 * capacity). Static filters depend only on the pod and the node: nodeSelector, required node affinity,
 * NoSchedule/NoExecute taints, the zones of its bound volumes. Topology filters depend on the pods already
 * in a domain (one node, or one zone): required pod anti-affinity and DoNotSchedule spread, counted through
 * `TopologyCounts`. Preferred rules are ignored; so are existing pods' anti-affinity towards the incoming pod
 * (symmetric in the common case: replicas of one workload), namespace selectors, and `minDomains`.
 * Every function returns what blocks, in words for the evidence, or undefined when the pod may go there.
 */
import type { LabelRequirement, Placement, Taint, Toleration, TopologyKind } from '../../model/domain';

/** What of a node the filters read (a `KubeNode` is one). */
export interface PlacementNode {
  readonly name: string;
  readonly zone?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly taints: readonly Taint[];
}

/** What of a pod the filters read. */
export interface PlacedPod {
  readonly namespace: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly placement?: Placement;
}

function requirementHolds(r: LabelRequirement, labels: Readonly<Record<string, string>> | undefined): boolean {
  const v = labels?.[r.key];
  switch (r.operator) {
    case 'In':
      return v !== undefined && (r.values ?? []).includes(v);
    case 'NotIn':
      return v === undefined || !(r.values ?? []).includes(v);
    case 'Exists':
      return v !== undefined;
    case 'DoesNotExist':
      return v === undefined;
    case 'Gt':
    case 'Lt': {
      const n = Number(v);
      const bound = Number(r.values?.[0]);
      if (v === undefined || !Number.isInteger(n) || !Number.isInteger(bound)) return false;
      return r.operator === 'Gt' ? n > bound : n < bound;
    }
  }
}

/** Whether `labels` meet every requirement (an empty list matches everything, as an empty label selector). */
export function selectorMatches(selector: readonly LabelRequirement[], labels: Readonly<Record<string, string>> | undefined): boolean {
  return selector.every((r) => requirementHolds(r, labels));
}

export function requirementText(r: LabelRequirement): string {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return `${r.key}=${values.join('|')}`;
    case 'NotIn':
      return `${r.key}≠${values.join('|')}`;
    case 'Exists':
      return `${r.key} set`;
    case 'DoesNotExist':
      return `no ${r.key}`;
    default:
      return `${r.key} ${r.operator === 'Gt' ? '>' : '<'} ${values[0] ?? ''}`;
  }
}

/** As the scheduler's TaintToleration filter: an empty key with `Exists` tolerates every taint. */
export function tolerates(tolerations: readonly Toleration[] | undefined, t: Taint): boolean {
  return (tolerations ?? []).some(
    (x) => (!x.effect || x.effect === t.effect) && (x.key === undefined ? x.operator === 'Exists' : x.key === t.key && (x.operator === 'Exists' || (x.value ?? '') === (t.value ?? ''))),
  );
}

export const taintText = (t: Taint) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;

/** The node's labels with its zone, which the agent reports apart from the labels. */
function labelsOf(n: PlacementNode): Readonly<Record<string, string>> | undefined {
  return n.zone && !n.labels?.['topology.kubernetes.io/zone'] ? { ...n.labels, 'topology.kubernetes.io/zone': n.zone } : n.labels;
}

/**
 * Why the pod may not run on the node whatever else runs there (nodeSelector, required node affinity, its
 * volumes' zone, an untolerated NoSchedule/NoExecute taint); undefined when it may.
 */
export function staticBlocker(p: Placement | undefined, n: PlacementNode): string | undefined {
  for (const t of n.taints) {
    if (t.effect !== 'PreferNoSchedule' && !tolerates(p?.tolerations, t)) return `taint ${taintText(t)} not tolerated`;
  }
  if (!p) return undefined;
  const labels = p.nodeSelector || p.nodeAffinity ? labelsOf(n) : undefined;
  for (const [k, v] of Object.entries(p.nodeSelector ?? {})) if (labels?.[k] !== v) return `needs ${k}=${v}`;
  if (p.nodeAffinity && !p.nodeAffinity.some((term) => term.length > 0 && selectorMatches(term, labels))) {
    return `needs ${p.nodeAffinity.map((term) => term.map(requirementText).join(', ')).join(' or ')}`;
  }
  if (p.volumeZones && !(n.zone !== undefined && p.volumeZones.includes(n.zone))) return `needs zone ${p.volumeZones.join('|')} (its volume)`;
  return undefined;
}

/** Whether the pod's required node affinity and nodeSelector allow the node (the spread filter's domains). */
function affinityAllows(p: Placement, n: PlacementNode): boolean {
  if (!p.nodeSelector && !p.nodeAffinity) return true;
  return staticBlocker({ nodeSelector: p.nodeSelector, nodeAffinity: p.nodeAffinity, tolerations: [{ operator: 'Exists' }] }, n) === undefined;
}

/** The domain of a node for a topology: the node itself, or its zone (undefined: a node without a zone has none). */
export function domainOf(topology: TopologyKind, n: PlacementNode): string | undefined {
  return topology === 'hostname' ? n.name : n.zone;
}

interface CountKey {
  readonly namespace: string;
  readonly topology: TopologyKind;
  readonly selector: readonly LabelRequirement[];
}

const keyText = (k: CountKey) => `${k.namespace}\u0000${k.topology}\u0000${JSON.stringify(k.selector)}`;

/**
 * How many pods match a (namespace, selector) on each node, for the topology filters: counted once per
 * evaluation, on first use, from the pods in place. `TopologyCounts.without` gives one loss's view.
 */
export class PodCounts {
  private readonly perNode = new Map<string, Int32Array>();

  constructor(
    readonly nodes: readonly PlacementNode[],
    private readonly podsOf: (node: number) => readonly PlacedPod[],
  ) {}

  of(k: CountKey): Int32Array {
    const key = keyText(k);
    let c = this.perNode.get(key);
    if (c) return c;
    c = new Int32Array(this.nodes.length);
    for (let i = 0; i < this.nodes.length; i++) {
      for (const p of this.podsOf(i)) if (p.namespace === k.namespace && selectorMatches(k.selector, p.labels)) c[i]++;
    }
    this.perNode.set(key, c);
    return c;
  }

  /** The counts per domain if node `lost` and its pods were gone. */
  without(lost: number): TopologyCounts {
    return new TopologyCounts(this, lost);
  }
}

/** Matching pods per domain for one loss, kept true as the packing places pods (`add`). */
export class TopologyCounts {
  private readonly domains = new Map<string, { readonly key: CountKey; readonly counts: Map<string, number> }>();
  private readonly placed: (readonly [PlacedPod, number])[] = [];

  constructor(
    private readonly base: PodCounts,
    private readonly removed: number,
  ) {}

  private countsFor(k: CountKey): Map<string, number> {
    const key = keyText(k);
    const had = this.domains.get(key);
    if (had) return had.counts;
    const perNode = this.base.of(k);
    const counts = new Map<string, number>();
    const nodes = this.base.nodes;
    for (let i = 0; i < nodes.length; i++) {
      const d = domainOf(k.topology, nodes[i]);
      if (i === this.removed || d === undefined) continue;
      counts.set(d, (counts.get(d) ?? 0) + perNode[i]);
    }
    for (const [p, i] of this.placed) bump(k, counts, p, nodes[i]);
    this.domains.set(key, { key: k, counts });
    return counts;
  }

  /** Why the pod may not go to node `i` given the pods in its domains (anti-affinity, spread); undefined when it may. */
  blocker(pod: PlacedPod, i: number): string | undefined {
    const p = pod.placement;
    if (!p?.antiAffinity && !p?.spread) return undefined;
    const nodes = this.base.nodes;
    const n = nodes[i];
    for (const t of p.antiAffinity ?? []) {
      const d = domainOf(t.topology, n);
      if (d !== undefined && (this.countsFor({ namespace: pod.namespace, ...t }).get(d) ?? 0) > 0) return `anti-affinity by ${t.topology}`;
    }
    for (const s of p.spread ?? []) {
      const d = domainOf(s.topology, n);
      if (d === undefined) return `spread by ${s.topology}: node has no ${s.topology}`;
      const c = this.countsFor({ namespace: pod.namespace, topology: s.topology, selector: s.selector });
      // The domains are those of the nodes its node affinity allows (nodeAffinityPolicy: Honor), taints ignored.
      let min = Infinity;
      for (let j = 0; j < nodes.length; j++) {
        if (j === this.removed || !affinityAllows(p, nodes[j])) continue;
        const dj = domainOf(s.topology, nodes[j]);
        if (dj !== undefined) min = Math.min(min, c.get(dj) ?? 0);
      }
      const self = selectorMatches(s.selector, pod.labels) ? 1 : 0;
      if ((c.get(d) ?? 0) + self - (min === Infinity ? 0 : min) > s.maxSkew) return `spread by ${s.topology} (max skew ${s.maxSkew})`;
    }
    return undefined;
  }

  /** Records the pod placed on node `i`. */
  add(pod: PlacedPod, i: number): void {
    this.placed.push([pod, i]);
    for (const { key, counts } of this.domains.values()) bump(key, counts, pod, this.base.nodes[i]);
  }
}

function bump(k: CountKey, counts: Map<string, number>, pod: PlacedPod, n: PlacementNode): void {
  const d = domainOf(k.topology, n);
  if (d !== undefined && pod.namespace === k.namespace && selectorMatches(k.selector, pod.labels)) counts.set(d, (counts.get(d) ?? 0) + 1);
}

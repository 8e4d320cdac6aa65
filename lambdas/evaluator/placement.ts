/**
 * Where a pod may run, as the scheduler's filter stage decides it, for the fit checks (N-1, domino, lost
 * capacity). Static filters depend only on the pod and the node: nodeSelector, required node affinity,
 * NoSchedule/NoExecute taints, the zones of its bound volumes. Topology filters depend on the pods already
 * in a domain (one node, or one zone): required pod anti-affinity and DoNotSchedule spread, counted through
 * `TopologyCounts`. Preferred rules are ignored; so are existing pods' anti-affinity towards the incoming pod
 * (symmetric in the common case: replicas of one workload), namespace selectors, and `minDomains`.
 * Every function returns what blocks, in words for the evidence, or undefined when the pod may go there.
 */
import { tolerates, type LabelRequirement, type Placement, type Taint, type TopologyKind } from '../../model/domain';

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
function selectorMatches(selector: readonly LabelRequirement[], labels: Readonly<Record<string, string>> | undefined): boolean {
  return selector.every((r) => requirementHolds(r, labels));
}

function requirementText(r: LabelRequirement): string {
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

const taintText = (t: Taint) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;

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
  if (p.volumeZones && !(n.zone !== undefined && p.volumeZones.includes(n.zone)))
    return `needs zone ${p.volumeZones.join('|')} (its volume)`;
  return undefined;
}

/** The domain of a node for a topology: the node itself, or its zone (undefined: a node without a zone has none). */
function domainOf(topology: TopologyKind, n: PlacementNode): string | undefined {
  return topology === 'hostname' ? n.name : n.zone;
}

/** A constraint's term: pods matching `selector` in the pod's namespace, counted per `topology` domain. */
interface Term {
  readonly topology: TopologyKind;
  readonly selector: readonly LabelRequirement[];
}

/** Terms come from decoded pod specs, one object per pod: each one's key is made once. */
const termKeys = new WeakMap<object, string>();
function keyOf(namespace: string, term: Term): string {
  let key = termKeys.get(term);
  if (key === undefined) termKeys.set(term, (key = `${namespace}\u0000${term.topology}\u0000${JSON.stringify(term.selector)}`));
  return key;
}

/** The nodes (by index) running pods that match one (namespace, selector), and how many on each. */
type Matches = ReadonlyMap<number, number>;

/**
 * Which pods match a (namespace, selector) on which node, for the topology filters: found once per
 * evaluation, on first use, through an index of the pods by namespace and label. `without` gives the
 * counts per domain for one loss.
 */
export class PodCounts {
  private readonly matches = new Map<string, Matches>();
  /** Per namespace: its pods with their node, and by label key then value (keys indexed on first use). */
  private index?: Map<string, { all: [PlacedPod, number][]; byLabel: Map<string, Map<string, [PlacedPod, number][]>> }>;
  /** Per placement and topology: the domains its node affinity allows, with how many nodes each has. */
  private readonly domainsAllowed = new Map<string, Map<string, number>>();

  constructor(
    readonly nodes: readonly PlacementNode[],
    private readonly podsOf: (node: number) => readonly PlacedPod[],
  ) {}

  private byNamespace(namespace: string) {
    if (!this.index) {
      this.index = new Map();
      for (let i = 0; i < this.nodes.length; i++) {
        for (const p of this.podsOf(i)) {
          let ns = this.index.get(p.namespace);
          if (!ns) this.index.set(p.namespace, (ns = { all: [], byLabel: new Map() }));
          ns.all.push([p, i]);
        }
      }
    }
    return this.index.get(namespace);
  }

  /** The namespace's pods with `key=value`, indexed by the key on its first use. */
  private withLabel(namespace: string, key: string, value: string): readonly [PlacedPod, number][] {
    const ns = this.byNamespace(namespace);
    if (!ns) return [];
    let byValue = ns.byLabel.get(key);
    if (!byValue) {
      ns.byLabel.set(key, (byValue = new Map()));
      for (const e of ns.all) {
        const v = e[0].labels?.[key];
        if (v === undefined) continue;
        const list = byValue.get(v);
        if (list) list.push(e);
        else byValue.set(v, [e]);
      }
    }
    return byValue.get(value) ?? [];
  }

  /** Where pods matching the term's selector in `namespace` run; `key` is `keyOf(namespace, term)`. */
  of(key: string, namespace: string, term: Term): Matches {
    let m = this.matches.get(key);
    if (m) return m;
    const found = new Map<number, number>();
    // An `In` requirement narrows the pods to look at to those with one of its labels.
    const narrow = term.selector.find((r) => r.operator === 'In');
    const candidates = narrow
      ? (narrow.values ?? []).flatMap((v) => this.withLabel(namespace, narrow.key, v))
      : (this.byNamespace(namespace)?.all ?? []);
    for (const [p, i] of candidates) if (selectorMatches(term.selector, p.labels)) found.set(i, (found.get(i) ?? 0) + 1);
    this.matches.set(key, (m = found));
    return m;
  }

  /** The domains the placement's node affinity allows (nodeAffinityPolicy: Honor; taints ignored), with their node counts. */
  allowedDomains(p: Placement, topology: TopologyKind): ReadonlyMap<string, number> {
    const key = `${topology}\u0000${p.nodeSelector || p.nodeAffinity ? JSON.stringify([p.nodeSelector, p.nodeAffinity]) : ''}`;
    let d = this.domainsAllowed.get(key);
    if (d) return d;
    d = new Map();
    const affinity: Placement = { nodeSelector: p.nodeSelector, nodeAffinity: p.nodeAffinity, tolerations: [{ operator: 'Exists' }] };
    for (const n of this.nodes) {
      const domain = domainOf(topology, n);
      if (domain !== undefined && staticBlocker(affinity, n) === undefined) d.set(domain, (d.get(domain) ?? 0) + 1);
    }
    this.domainsAllowed.set(key, d);
    return d;
  }

  /** The counts per domain if node `lost` and its pods were gone. */
  without(lost: number): TopologyCounts {
    return new TopologyCounts(this, lost);
  }
}

/** Matching pods per domain for one loss, kept true as the packing places pods (`add`). */
export class TopologyCounts {
  private readonly domains = new Map<string, { readonly namespace: string; readonly term: Term; readonly counts: Map<string, number> }>();
  private readonly placed: (readonly [PlacedPod, number])[] = [];

  constructor(
    private readonly base: PodCounts,
    private readonly removed: number,
  ) {}

  private countsFor(namespace: string, term: Term): Map<string, number> {
    const key = keyOf(namespace, term);
    const had = this.domains.get(key);
    if (had) return had.counts;
    const counts = new Map<string, number>();
    const nodes = this.base.nodes;
    for (const [i, n] of this.base.of(key, namespace, term)) {
      const d = domainOf(term.topology, nodes[i]);
      if (i !== this.removed && d !== undefined) counts.set(d, (counts.get(d) ?? 0) + n);
    }
    for (const [p, i] of this.placed) bump(namespace, term, counts, p, nodes[i]);
    this.domains.set(key, { namespace, term, counts });
    return counts;
  }

  /** Why the pod may not go to node `i` given the pods in its domains (anti-affinity, spread); undefined when it may. */
  blocker(pod: PlacedPod, i: number): string | undefined {
    const p = pod.placement;
    if (!p?.antiAffinity && !p?.spread) return undefined;
    const n = this.base.nodes[i];
    for (const t of p.antiAffinity ?? []) {
      const d = domainOf(t.topology, n);
      if (d !== undefined && (this.countsFor(pod.namespace, t).get(d) ?? 0) > 0) return `anti-affinity by ${t.topology}`;
    }
    for (const s of p.spread ?? []) {
      const d = domainOf(s.topology, n);
      if (d === undefined) return `spread by ${s.topology}: node has no ${s.topology}`;
      const c = this.countsFor(pod.namespace, s);
      const self = selectorMatches(s.selector, pod.labels) ? 1 : 0;
      if ((c.get(d) ?? 0) + self - this.minCount(p, s.topology, c) > s.maxSkew) return `spread by ${s.topology} (max skew ${s.maxSkew})`;
    }
    return undefined;
  }

  /** The fewest matching pods in a domain the pod's node affinity allows (the lost node's own domain gone with it). */
  private minCount(p: Placement, topology: TopologyKind, counts: ReadonlyMap<string, number>): number {
    const lost = this.base.nodes[this.removed];
    const lostDomain = lost && domainOf(topology, lost);
    let min = Infinity;
    for (const [d, nodes] of this.base.allowedDomains(p, topology)) {
      if (d === lostDomain && nodes === 1) continue;
      const c = counts.get(d) ?? 0;
      if (c < min) min = c;
      if (min === 0) break;
    }
    return min === Infinity ? 0 : min;
  }

  /** Records the pod placed on node `i`. */
  add(pod: PlacedPod, i: number): void {
    this.placed.push([pod, i]);
    for (const { namespace, term, counts } of this.domains.values()) bump(namespace, term, counts, pod, this.base.nodes[i]);
  }
}

function bump(namespace: string, term: Term, counts: Map<string, number>, pod: PlacedPod, n: PlacementNode): void {
  const d = domainOf(term.topology, n);
  if (d !== undefined && pod.namespace === namespace && selectorMatches(term.selector, pod.labels)) counts.set(d, (counts.get(d) ?? 0) + 1);
}

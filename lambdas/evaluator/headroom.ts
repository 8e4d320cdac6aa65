/**
 * N-1 headroom: if one node were lost, would its pods fit on the others? For every schedulable Ready node,
 * its movable pods (not DaemonSet or static pods) are packed first-fit-decreasing onto the remaining nodes,
 * twice:
 *
 * - by requests (CPU, memory, pod slots) against each node's allocatable minus its requests: what the
 *   scheduler would do; a pod that fits nowhere stays Pending;
 * - by memory actually held, max(request, working set), against allocatable minus what the node's pods hold
 *   (and minus what its kubelet's soft eviction threshold keeps free beyond the hard one, from `/configz`):
 *   a pod without a memory request passes the scheduler but still needs its memory, and pushes the node
 *   toward MemoryPressure (the domino's accomplice).
 *
 * Each pod goes only where the scheduler's filters let it (`placement.ts`): node selector and required
 * affinity, taints, anti-affinity, spread, its volumes' zone. A pod left without a place is told with the
 * constraint that did it. The node whose loss hurts most is the one leaving the most memory unplaced (then:
 * the most to move), for the cluster and for each node group or NodePool: losing the last node a pinned
 * workload may use is found even when the cluster as a whole has room.
 */
import { watchedNodes, type EvaluationContext, type NodeView } from './context';
import { softMemoryMarginBytes } from './eviction';
import { PodCounts, staticBlocker, type PlacementNode, type TopologyCounts } from './placement';
import { scan, type PodDemand, type PodFacts } from './scan';

/** Pods of one workload left without a place for one reason. */
export interface PlacementShortfall {
  /** `namespace/Kind/name`, when known. */
  readonly workload?: string;
  readonly pods: readonly PodDemand[];
  /** e.g. `needs zone eu-west-1a (its volume): its only other node there is full`. */
  readonly reason: string;
}

export interface NodeLoss {
  readonly node: string;
  readonly nodeGroup?: string;
  readonly pods: readonly PodDemand[];
  /** Pods whose requests fit on no other node they may run on. */
  readonly unplacedByRequests: readonly PodDemand[];
  /** Pods whose memory use fits on no other node they may run on without passing its allocatable. */
  readonly unplacedByUsage: readonly PodDemand[];
  readonly memoryToMoveBytes: number;
  /** Memory the other nodes can still take (allocatable minus what their pods hold). */
  readonly memoryFreeElsewhereBytes: number;
  readonly withoutMemoryRequest: number;
  /** Unplaced pods whose placement ruled out some of the other nodes, by workload and constraint. */
  readonly constraints?: readonly PlacementShortfall[];
}

export interface GroupHeadroom {
  /** Schedulable Ready nodes of the group. */
  readonly nodes: number;
  /** The group's node whose loss hurts most. */
  readonly worst: NodeLoss;
  /** Free memory left on the group's other nodes after moving its pods, % of their allocatable. */
  readonly headroomPct?: number;
}

export interface HeadroomAnalysis {
  /** Schedulable Ready nodes taken into account. */
  readonly nodes: number;
  /** The node whose loss hurts most; undefined with fewer than two nodes. */
  readonly worst?: NodeLoss;
  /** Free memory left on the other nodes after moving the worst node's pods, % of their allocatable (negative: does not fit). */
  readonly headroomPct?: number;
  /** Per node group or NodePool (groups of two or more nodes). */
  readonly groups?: ReadonlyMap<string, GroupHeadroom>;
}

const MOVES_WITH_NODE = new Set(['DaemonSet', 'Node']);

interface Target {
  readonly view: NodeView;
  readonly node: PlacementNode;
  readonly group?: string;
  readonly cpu: number;
  readonly memReq: number;
  readonly slots: number;
  readonly memHeld: number;
  readonly allocMem: number;
  /** Its pods that would move if it were lost, largest memory first. */
  readonly movable: readonly PodDemand[];
}

function target(n: NodeView, pods: readonly PodFacts[]): Target {
  const a = n.summary.allocatable;
  const r = n.summary.requested;
  let held = 0;
  const movable: PodDemand[] = [];
  for (const p of pods) {
    held += p.demand.memoryHeldBytes;
    if (!MOVES_WITH_NODE.has(p.pod.workload.kind)) movable.push(p.demand);
  }
  if (!n.kube) held = Math.max(r.memoryBytes ?? 0, n.summary.memoryWorkingSetBytes ?? 0);
  movable.sort((x, y) => y.memoryHeldBytes - x.memoryHeldBytes);
  return {
    view: n,
    node: n.kube?.node ?? { name: n.name, zone: n.summary.zone, taints: [] },
    group: n.summary.nodeGroup ?? n.kube?.node.nodePool,
    cpu: (a.cpuMilli ?? 0) - (r.cpuMilli ?? 0),
    memReq: (a.memoryBytes ?? 0) - (r.memoryBytes ?? 0),
    slots: (a.pods ?? Number.MAX_SAFE_INTEGER) - (r.pods ?? n.summary.pods),
    // A soft eviction threshold above the hard one (in allocatable) evicts before allocatable is full.
    memHeld: (a.memoryBytes ?? 0) - held - softMemoryMarginBytes(n.kube?.node),
    allocMem: a.memoryBytes ?? 0,
    movable,
  };
}

export function analyzeHeadroom(ctx: EvaluationContext): HeadroomAnalysis {
  const cached = ctx.memo.get('headroom') as HeadroomAnalysis | undefined;
  if (cached) return cached;
  const result = compute(ctx);
  ctx.memo.set('headroom', result);
  return result;
}

/** Which nodes each distinct placement may use (static filters), computed once per placement. */
class Eligibility {
  private readonly byPlacement = new Map<unknown, Uint8Array>();
  private readonly byText = new Map<string, Uint8Array>();

  constructor(private readonly targets: readonly Target[]) {}

  of(p: PodDemand): Uint8Array {
    const key = p.placement;
    let e = this.byPlacement.get(key);
    if (e) return e;
    // Pods of one workload carry equal placements in distinct objects; only the static filters' parts matter.
    const text = key === undefined ? '' : JSON.stringify([key.nodeSelector, key.nodeAffinity, key.tolerations, key.volumeZones]);
    e = this.byText.get(text);
    if (!e) {
      e = new Uint8Array(this.targets.length);
      for (let i = 0; i < this.targets.length; i++) e[i] = staticBlocker(p.placement, this.targets[i].node) === undefined ? 1 : 0;
      this.byText.set(text, e);
    }
    this.byPlacement.set(key, e);
    return e;
  }
}

/** Per node's free amounts, packed first-fit in `order`; returns the pods placed nowhere. */
function pack(
  pods: readonly PodDemand[],
  lost: number,
  order: readonly number[],
  eligible: Eligibility,
  topology: TopologyCounts,
  fits: (i: number, p: PodDemand) => boolean,
  take: (i: number, p: PodDemand) => void,
): PodDemand[] {
  const unplaced: PodDemand[] = [];
  for (const p of pods) {
    const allowed = eligible.of(p);
    let placed = false;
    for (const i of order) {
      if (i === lost || !allowed[i] || !fits(i, p) || topology.blocker(p, i) !== undefined) continue;
      take(i, p);
      topology.add(p, i);
      placed = true;
      break;
    }
    if (!placed) unplaced.push(p);
  }
  return unplaced;
}

interface Outcome {
  readonly lost: number;
  readonly unplacedByRequests: PodDemand[];
  readonly unplacedByUsage: PodDemand[];
  readonly toMove: number;
  readonly score: number;
  /** The state after packing by requests, to say why a pod found no place. */
  readonly topology: TopologyCounts;
  readonly cpu: Float64Array;
  readonly mem: Float64Array;
  readonly slots: Float64Array;
}

function compute(ctx: EvaluationContext): HeadroomAnalysis {
  const eligibleNodes = watchedNodes(ctx).filter((n) => n.summary.ready === 'True');
  if (eligibleNodes.length < 2) return { nodes: eligibleNodes.length };
  const byNode = scan(ctx).byNode;
  const targets = eligibleNodes.map((n) => target(n, byNode.get(n.name) ?? []));
  // Largest free memory first: first-fit then tries the emptiest nodes first, as spreading schedulers do.
  const byReq = [...targets.keys()].sort((a, b) => targets[b].memReq - targets[a].memReq);
  const byHeld = [...targets.keys()].sort((a, b) => targets[b].memHeld - targets[a].memHeld);
  const eligible = new Eligibility(targets);
  const counts = new PodCounts(
    targets.map((t) => t.node),
    (i) => (byNode.get(targets[i].view.name) ?? []).map((f) => f.pod),
  );

  const free = {
    cpu: Float64Array.from(targets, (x) => x.cpu),
    mem: Float64Array.from(targets, (x) => x.memReq),
    slots: Float64Array.from(targets, (x) => x.slots),
    held: Float64Array.from(targets, (x) => x.memHeld),
  };
  const outcome = (lost: number): Outcome => {
    const pods = targets[lost].movable;
    const cpu = free.cpu.slice();
    const mem = free.mem.slice();
    const slots = free.slots.slice();
    const held = free.held.slice();
    const topology = counts.without(lost);
    const unplacedByRequests = pack(
      pods,
      lost,
      byReq,
      eligible,
      topology,
      (i, p) => slots[i] >= 1 && cpu[i] >= p.cpuRequestMilli && mem[i] >= p.memoryRequestBytes,
      (i, p) => {
        cpu[i] -= p.cpuRequestMilli;
        mem[i] -= p.memoryRequestBytes;
        slots[i] -= 1;
      },
    );
    const unplacedByUsage = pack(
      pods,
      lost,
      byHeld,
      eligible,
      counts.without(lost),
      (i, p) => held[i] >= p.memoryHeldBytes,
      (i, p) => (held[i] -= p.memoryHeldBytes),
    );
    let toMove = 0;
    for (const p of pods) toMove += p.memoryHeldBytes;
    let unplaced = 0;
    for (const p of unplacedByRequests) unplaced += Math.max(p.memoryHeldBytes, 1);
    for (const p of unplacedByUsage) unplaced += Math.max(p.memoryHeldBytes, 1);
    // Unplaced memory dominates; among nodes whose pods all fit, the one with the most to move.
    const score = unplaced > 0 ? 1e18 + unplaced : toMove;
    return { lost, unplacedByRequests, unplacedByUsage, toMove, score, topology, cpu, mem, slots };
  };

  const lossOf = (o: Outcome, among: readonly number[]): NodeLoss => {
    const t = targets[o.lost];
    let freeElsewhere = 0;
    for (const i of among) if (i !== o.lost) freeElsewhere += Math.max(0, targets[i].memHeld);
    const constraints = shortfalls(o, targets, eligible);
    return {
      node: t.view.name,
      nodeGroup: t.view.summary.nodeGroup,
      pods: t.movable,
      unplacedByRequests: o.unplacedByRequests,
      unplacedByUsage: o.unplacedByUsage,
      memoryToMoveBytes: o.toMove,
      memoryFreeElsewhereBytes: freeElsewhere,
      withoutMemoryRequest: t.movable.filter((p) => p.memoryRequestBytes === 0).length,
      ...(constraints.length ? { constraints } : {}),
    };
  };
  const headroomOf = (loss: NodeLoss, lost: number, among: readonly number[]) => {
    const alloc = among.reduce((a, i) => (i === lost ? a : a + targets[i].allocMem), 0);
    return alloc > 0 ? ((loss.memoryFreeElsewhereBytes - loss.memoryToMoveBytes) / alloc) * 100 : undefined;
  };

  const all = [...targets.keys()];
  const members = new Map<string, number[]>();
  for (const i of all) {
    const g = targets[i].group;
    if (g !== undefined) members.set(g, [...(members.get(g) ?? []), i]);
  }
  let worst: Outcome | undefined;
  const groupWorst = new Map<string, Outcome>();
  for (const lost of all) {
    const g = targets[lost].group;
    if (targets[lost].movable.length === 0 && worst && (g === undefined || groupWorst.has(g))) continue;
    const o = outcome(lost);
    if (!worst || o.score > worst.score) worst = o;
    if (g !== undefined && (members.get(g)?.length ?? 0) >= 2 && o.score > (groupWorst.get(g)?.score ?? -1)) groupWorst.set(g, o);
  }
  if (!worst) return { nodes: eligibleNodes.length };
  const loss = lossOf(worst, all);
  const groups = new Map<string, GroupHeadroom>();
  for (const [g, o] of groupWorst) {
    const among = members.get(g) ?? [];
    const l = lossOf(o, among);
    const pct = headroomOf(l, o.lost, among);
    groups.set(g, { nodes: among.length, worst: l, ...(pct !== undefined ? { headroomPct: pct } : {}) });
  }
  const headroomPct = headroomOf(loss, worst.lost, all);
  return {
    nodes: eligibleNodes.length,
    worst: loss,
    ...(headroomPct !== undefined ? { headroomPct } : {}),
    ...(groups.size ? { groups } : {}),
  };
}

/**
 * Why each unplaced pod whose placement rules out some other node found no place: the constraint that
 * ruled out the most nodes, and what became of those it allows (full, or blocked by anti-affinity/spread).
 * Pods that could go anywhere are not listed: they simply do not fit.
 */
function shortfalls(o: Outcome, targets: readonly Target[], eligible: Eligibility): PlacementShortfall[] {
  const groups = new Map<string, { workload?: string; reason: string; pods: PodDemand[] }>();
  for (const p of o.unplacedByRequests) {
    const ruledOut = new Map<string, number>();
    const allowed: number[] = [];
    const ok = eligible.of(p);
    for (let i = 0; i < targets.length; i++) {
      if (i === o.lost) continue;
      if (ok[i]) allowed.push(i);
      else {
        const why = staticBlocker(p.placement, targets[i].node) as string;
        ruledOut.set(why, (ruledOut.get(why) ?? 0) + 1);
      }
    }
    const topologyBlocks = allowed.map((i) => o.topology.blocker(p, i)).filter((b): b is string => b !== undefined);
    if (ruledOut.size === 0 && topologyBlocks.length === 0) continue;
    const need = [...ruledOut].sort((a, b) => b[1] - a[1])[0]?.[0];
    let reason: string;
    if (allowed.length === 0) reason = `${need}: no other node qualifies`;
    else if (topologyBlocks.length === allowed.length)
      reason = `${need ? `${need}, ` : ''}${topologyBlocks[0]}: ${allowed.length === 1 ? 'its only other node is taken' : `all ${allowed.length} other nodes it may use are taken`}`;
    else
      reason = `${need ?? topologyBlocks[0]}: ${allowed.length === 1 ? 'its only other node there is full' : `the ${allowed.length} other nodes it may use are full`}`;
    const key = `${p.workload ?? `${p.namespace}/${p.name}`}\u0000${reason}`;
    const g = groups.get(key);
    if (g) g.pods.push(p);
    else groups.set(key, { ...(p.workload ? { workload: p.workload } : {}), reason, pods: [p] });
  }
  return [...groups.values()];
}

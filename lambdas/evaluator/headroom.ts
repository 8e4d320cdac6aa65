/**
 * N-1 headroom: if one node were lost, would its pods fit on the others? For every schedulable Ready node,
 * its movable pods (not DaemonSet or static pods) are packed first-fit-decreasing onto the remaining nodes,
 * twice:
 *
 * - by requests (CPU, memory, pod slots) against each node's allocatable minus its requests: what the
 *   scheduler would do; a pod that fits nowhere stays Pending;
 * - by memory actually held, max(request, working set), against allocatable minus what the node's pods hold:
 *   a pod without a memory request passes the scheduler but still needs its memory, and pushes the node
 *   toward MemoryPressure (the domino's accomplice).
 *
 * The node whose loss hurts most is the one leaving the most memory unplaced (then: the most to move).
 * Scheduling constraints the store does not keep (node selectors, affinity, taints) are not modelled, so the
 * result is optimistic for pods that may only run on some nodes.
 */
import { watchedNodes, type EvaluationContext, type NodeView } from './context';
import { scan, type PodDemand, type PodFacts } from './scan';

export interface NodeLoss {
  readonly node: string;
  readonly nodeGroup?: string;
  readonly pods: readonly PodDemand[];
  /** Pods whose requests fit on no other node. */
  readonly unplacedByRequests: readonly PodDemand[];
  /** Pods whose memory use fits on no other node without passing its allocatable. */
  readonly unplacedByUsage: readonly PodDemand[];
  readonly memoryToMoveBytes: number;
  /** Memory the other nodes can still take (allocatable minus what their pods hold). */
  readonly memoryFreeElsewhereBytes: number;
  readonly withoutMemoryRequest: number;
}

export interface HeadroomAnalysis {
  /** Schedulable Ready nodes taken into account. */
  readonly nodes: number;
  /** The node whose loss hurts most; undefined with fewer than two nodes. */
  readonly worst?: NodeLoss;
  /** Free memory left on the other nodes after moving the worst node's pods, % of their allocatable (negative: does not fit). */
  readonly headroomPct?: number;
}

const MOVES_WITH_NODE = new Set(['DaemonSet', 'Node']);

interface Target {
  readonly view: NodeView;
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
    cpu: (a.cpuMilli ?? 0) - (r.cpuMilli ?? 0),
    memReq: (a.memoryBytes ?? 0) - (r.memoryBytes ?? 0),
    slots: (a.pods ?? Number.MAX_SAFE_INTEGER) - (r.pods ?? n.summary.pods),
    memHeld: (a.memoryBytes ?? 0) - held,
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

function compute(ctx: EvaluationContext): HeadroomAnalysis {
  const eligible = watchedNodes(ctx).filter((n) => n.summary.ready === 'True');
  if (eligible.length < 2) return { nodes: eligible.length };
  const byNode = scan(ctx).byNode;
  const targets = eligible.map((n) => target(n, byNode.get(n.name) ?? []));
  // Largest free memory first: first-fit then tries the emptiest nodes first, as spreading schedulers do.
  const byReq = [...targets.keys()].sort((a, b) => targets[b].memReq - targets[a].memReq);
  const byHeld = [...targets.keys()].sort((a, b) => targets[b].memHeld - targets[a].memHeld);
  const cpu = new Float64Array(targets.length);
  const mem = new Float64Array(targets.length);
  const slots = new Float64Array(targets.length);

  let worst: NodeLoss | undefined;
  let worstScore = -1;
  let worstIndex = -1;
  for (let lost = 0; lost < targets.length; lost++) {
    const t = targets[lost];
    const pods = t.movable;
    if (pods.length === 0 && worst) continue;
    // The largest free amounts only shrink while packing, so a pod above them fits nowhere: no scan.
    let maxCpu = -Infinity;
    let maxMem = -Infinity;
    let maxHeld = -Infinity;
    for (let i = 0; i < targets.length; i++) {
      const x = targets[i];
      cpu[i] = x.cpu;
      mem[i] = x.memReq;
      slots[i] = x.slots;
      if (i !== lost) {
        if (x.cpu > maxCpu) maxCpu = x.cpu;
        if (x.memReq > maxMem) maxMem = x.memReq;
        if (x.memHeld > maxHeld) maxHeld = x.memHeld;
      }
    }
    const unplacedByRequests: PodDemand[] = [];
    for (const p of pods) {
      let placed = false;
      if (p.cpuRequestMilli <= maxCpu && p.memoryRequestBytes <= maxMem) {
        for (const i of byReq) {
          if (i === lost || slots[i] < 1 || cpu[i] < p.cpuRequestMilli || mem[i] < p.memoryRequestBytes) continue;
          cpu[i] -= p.cpuRequestMilli;
          mem[i] -= p.memoryRequestBytes;
          slots[i] -= 1;
          placed = true;
          break;
        }
      }
      if (!placed) unplacedByRequests.push(p);
    }
    for (let i = 0; i < targets.length; i++) mem[i] = targets[i].memHeld;
    const unplacedByUsage: PodDemand[] = [];
    for (const p of pods) {
      let placed = false;
      if (p.memoryHeldBytes <= maxHeld) {
        for (const i of byHeld) {
          if (i === lost || mem[i] < p.memoryHeldBytes) continue;
          mem[i] -= p.memoryHeldBytes;
          placed = true;
          break;
        }
      }
      if (!placed) unplacedByUsage.push(p);
    }

    let toMove = 0;
    for (const p of pods) toMove += p.memoryHeldBytes;
    let unplaced = 0;
    for (const p of unplacedByRequests) unplaced += Math.max(p.memoryHeldBytes, 1);
    for (const p of unplacedByUsage) unplaced += Math.max(p.memoryHeldBytes, 1);
    // Unplaced memory dominates; among nodes whose pods all fit, the one with the most to move.
    const score = unplaced > 0 ? 1e18 + unplaced : toMove;
    if (score <= worstScore) continue;
    worstScore = score;
    worstIndex = lost;
    let freeElsewhere = 0;
    for (let i = 0; i < targets.length; i++) if (i !== lost) freeElsewhere += Math.max(0, targets[i].memHeld);
    worst = {
      node: t.view.name,
      nodeGroup: t.view.summary.nodeGroup,
      pods,
      unplacedByRequests,
      unplacedByUsage,
      memoryToMoveBytes: toMove,
      memoryFreeElsewhereBytes: freeElsewhere,
      withoutMemoryRequest: pods.filter((p) => p.memoryRequestBytes === 0).length,
    };
  }
  if (!worst) return { nodes: eligible.length };
  const allocElsewhere = targets.reduce((a, x, i) => (i === worstIndex ? a : a + x.allocMem), 0);
  const headroomPct = allocElsewhere > 0 ? ((worst.memoryFreeElsewhereBytes - worst.memoryToMoveBytes) / allocElsewhere) * 100 : undefined;
  return { nodes: eligible.length, worst, headroomPct };
}

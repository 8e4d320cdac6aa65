/**
 * The simulated kube-scheduler: the filters a pod must pass on a node (Ready, schedulable, taints, node
 * affinity, volume zone, requests, topology spread, pod anti-affinity) and the LeastAllocated score; when
 * nothing fits, the pod's Unschedulable message as the scheduler words it.
 */
import { tolerates } from '../../model/domain';
import type { Clock } from '../../model/time';
import type { SimPlacement, SimTopologyTerm } from './model';
import { allocatable } from './render';
import { sum, type NodeModel, type PodModel } from './state';

/** What scheduling reads of the cluster. */
export interface SchedulingView {
  readonly clock: Clock;
  readonly nodeModels: ReadonlyMap<string, NodeModel>;
  readonly podModels: ReadonlyMap<string, PodModel>;
  podsOn(node: string): PodModel[];
  nodeLabels(n: NodeModel): Record<string, string>;
  /** The zone of the pod's volume, once provisioned where it first ran. */
  volumeZone(p: PodModel): string | undefined;
}

/** The least allocated node where the pod's requests fit, or undefined (the pod waits). */
export function schedule(view: SchedulingView, p: PodModel): string | undefined {
  const cpu = sum(p.containers.map((c) => c.spec.requests?.cpuMilli ?? 0));
  const mem = sum(p.containers.map((c) => c.spec.requests?.memoryBytes ?? 0));
  const why = new Map<string, number>();
  const note = (reason: string) => why.set(reason, (why.get(reason) ?? 0) + 1);
  let best: { node: string; free: number } | undefined;
  const topologyMisfit = topologyFilter(view, p);
  for (const [name, n] of view.nodeModels) {
    if (n.conditions.get('Ready')?.status !== 'True') {
      note('node(s) were not ready');
      continue;
    }
    if (n.unschedulable) {
      note('node(s) were unschedulable');
      continue;
    }
    const taint = n.taints.find((t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerates(p.placement.tolerations, t));
    if (taint) {
      note(`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`);
      continue;
    }
    if (!selects(p.placement, view.nodeLabels(n))) {
      note("node(s) didn't match Pod's node affinity/selector");
      continue;
    }
    const volumeZone = view.volumeZone(p);
    if (volumeZone !== undefined && n.spec.zone !== volumeZone) {
      note('node(s) had volume node affinity conflict');
      continue;
    }
    const alloc = allocatable(n);
    const pods = view.podsOn(name).filter((x) => x.phase !== 'Succeeded' && x.phase !== 'Failed');
    const usedCpu = sum(pods.flatMap((x) => x.containers.map((c) => c.spec.requests?.cpuMilli ?? 0)));
    const usedMem = sum(pods.flatMap((x) => x.containers.map((c) => c.spec.requests?.memoryBytes ?? 0)));
    if (pods.length + 1 > alloc.pods) {
      note('Too many pods');
      continue;
    }
    const shortMem = usedMem + mem > alloc.memoryBytes;
    const shortCpu = usedCpu + cpu > alloc.cpuMilli;
    if (shortMem) note('Insufficient memory');
    if (shortCpu) note('Insufficient cpu');
    if (shortMem || shortCpu) continue;
    const misfit = topologyMisfit(n);
    if (misfit) {
      note(misfit);
      continue;
    }
    // Kubernetes' default LeastAllocated score: the share of CPU and memory left, then fewer pods.
    const free =
      ((alloc.cpuMilli - usedCpu - cpu) / alloc.cpuMilli + (alloc.memoryBytes - usedMem - mem) / alloc.memoryBytes) / 2 -
      pods.length / alloc.pods / 100;
    if (!best || free > best.free) best = { node: name, free };
  }
  if (best) return best.node;
  const total = view.nodeModels.size;
  const reasons = [...why.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([r, n]) => `${n} ${r}`)
    .join(', ');
  p.unschedulable = {
    reason: 'Unschedulable',
    message: `0/${total} nodes are available: ${reasons || 'no nodes available to schedule pods'}. preemption: 0/${total} nodes are available: ${total} No preemption victims found for incoming pod.`,
    since: view.clock.now(),
  };
  return undefined;
}

/**
 * The scheduler's PodTopologySpread and InterPodAffinity filters (in that order) for the pod's DoNotSchedule
 * spread and required anti-affinity: the reason a node fails them, or undefined. Counts bound, non-terminating
 * pods of the pod's namespace matching each term's labels, per domain; spread counts only over the nodes the
 * pod's nodeSelector and node affinity allow (nodeAffinityPolicy Honor, nodeTaintsPolicy Ignore, the defaults).
 */
function topologyFilter(view: SchedulingView, p: PodModel): (n: NodeModel) => string | undefined {
  const { antiAffinity = [], spread = [] } = p.placement;
  if (!antiAffinity.length && !spread.length) return () => undefined;
  const bound = [...view.podModels.values()].filter(
    (x) => x.node && x.namespace === p.namespace && x.deletingSince === undefined && x.phase !== 'Succeeded' && x.phase !== 'Failed',
  );
  const counts = (term: SimTopologyTerm, nodes: readonly NodeModel[]): Map<string, number> => {
    const domains = new Map(nodes.map((n) => [n.spec.name, view.nodeLabels(n)[term.topologyKey]] as const));
    const out = new Map<string, number>([...domains.values()].filter((d) => d !== undefined).map((d) => [d, 0]));
    for (const x of bound) {
      const d = domains.get(x.node ?? '');
      if (d !== undefined && matchesLabels(x.labels, term.matchLabels)) out.set(d, (out.get(d) ?? 0) + 1);
    }
    return out;
  };
  const allowed = [...view.nodeModels.values()].filter((n) => selects(p.placement, view.nodeLabels(n)));
  const spreads = spread.map((c) => {
    const perDomain = counts(c, allowed);
    return { c, perDomain, min: Math.min(...perDomain.values()), self: matchesLabels(p.labels, c.matchLabels) ? 1 : 0 };
  });
  const anti = antiAffinity.map((t) => ({ t, perDomain: counts(t, [...view.nodeModels.values()]) }));
  return (n) => {
    const labels = view.nodeLabels(n);
    for (const { c, perDomain, min, self } of spreads) {
      const d = labels[c.topologyKey];
      if (d === undefined) return "node(s) didn't match pod topology spread constraints (missing required label)";
      if ((perDomain.get(d) ?? 0) + self - min > c.maxSkew) return "node(s) didn't match pod topology spread constraints";
    }
    for (const { t, perDomain } of anti) {
      const d = labels[t.topologyKey];
      if (d !== undefined && (perDomain.get(d) ?? 0) > 0) return "node(s) didn't match pod anti-affinity rules";
    }
    return undefined;
  };
}

/** Whether a node's labels meet the pod's nodeSelector and required node affinity. */
function selects(p: SimPlacement, labels: Readonly<Record<string, string>>): boolean {
  return (
    Object.entries(p.nodeSelector ?? {}).every(([k, v]) => labels[k] === v) &&
    (p.affinity ?? []).every((a) => a.values.includes(labels[a.key]))
  );
}

function matchesLabels(labels: Readonly<Record<string, string>>, selector: Readonly<Record<string, string>>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/**
 * Capacity rules: N-1 headroom ("if the node whose loss hurts most went, would its pods fit?") and the
 * domino detector (an Auto Scaling group removed a node while the cluster was already short), the two
 * signals no upstream rule set has (alert-rules research §6.9).
 */
import { alertId } from '../../../model/domain';
import { MINUTE_MS, type EpochMs } from '../../../model/time';
import type { EvaluationContext } from '../context';
import { analyzeHeadroom } from '../headroom';
import type { PodDemand } from '../scan';
import { pendingAt } from '../memory';
import type { ScaleIn } from '../scale-in';
import { at, listSome, round1, toMiB } from './common';
import { defineRule, param, type Draft, type RuleFinding } from './types';

const podText = (p: PodDemand) =>
  `${p.namespace}/${p.name} (${p.memoryRequestBytes ? `req ${toMiB(p.memoryRequestBytes)} MiB` : 'no memory request'}, uses ${toMiB(p.memoryUseBytes)} MiB)`;

export const n1Headroom = defineRule({
  id: 'n1-headroom',
  title: 'Cluster cannot lose a node (N-1)',
  meaning:
    'If the node whose loss hurts most were lost (a scale-in, a spot interruption, a failure), some of its pods would not fit on the remaining nodes: by their requests (they would stay Pending) or by the memory they actually use (they would push other nodes into MemoryPressure). The first step of a cascading outage.',
  action: 'Add a node (raise the group\'s minimum), or set memory requests that match real use on the listed pods so the scheduler and autoscalers see the real need.',
  sources: { agent: true, resources: ['nodes', 'pods'] },
  defaults: { severity: 'warning', for: '10m', minNodes: 2 },
  params: { minNodes: param.count(2, 100_000) },
  threshold: (p) => `any pod of the worst node does not fit elsewhere (clusters of ${p.minNodes}+ schedulable nodes)`,
  evaluate(ctx, s) {
    const a = analyzeHeadroom(ctx);
    const w = a.worst;
    if (!w || a.nodes < s.params.minNodes || (w.unplacedByRequests.length === 0 && w.unplacedByUsage.length === 0)) return [];
    const notFitting = [...new Map([...w.unplacedByRequests, ...w.unplacedByUsage].map((p) => [`${p.namespace}/${p.name}`, p])).values()];
    return [
      {
        subject: { cluster: ctx.cluster },
        severity: s.severity,
        summary:
          `If node ${w.node}${w.nodeGroup ? ` (${w.nodeGroup})` : ''} were lost, ${notFitting.length} of its ${w.pods.length} pods would not fit on the other ${a.nodes - 1} nodes: ` +
          listSome(notFitting.map(podText), 3),
        evidence: {
          node: w.node,
          ...(w.nodeGroup ? { nodeGroup: w.nodeGroup } : {}),
          podsToMove: w.pods.length,
          podsNotFittingRequests: w.unplacedByRequests.length,
          podsNotFittingMemoryUse: w.unplacedByUsage.length,
          memoryToMoveMiB: toMiB(w.memoryToMoveBytes),
          memoryFreeElsewhereMiB: toMiB(w.memoryFreeElsewhereBytes),
          podsWithoutMemoryRequest: w.withoutMemoryRequest,
          ...(a.headroomPct !== undefined ? { headroomPct: round1(a.headroomPct) } : {}),
        },
      },
    ];
  },
});

/** Rules whose findings, appearing after a scale-in, make it a domino. */
const DOMINO_DEFAULT_CONSTITUENTS = [
  'n1-headroom',
  'node-pressure',
  'node-memory-low',
  'node-disk-low',
  'node-not-ready',
  'pods-pending',
  'pod-evictions',
  'container-oom-killed',
];
/** Occurrences that count only when they happened after the scale-in. */
const AFTER_ONLY = new Set(['pod-evictions', 'container-oom-killed']);
/** Never part of a cascade: Vigil's own health (what it cannot see is not caused by the scale-in). */
const NOT_CASCADE = new Set(['agent-silent', 'agent-data-stale', 'collector-failing']);

/**
 * The nodes a scale-in's cascade runs through: the group's remaining nodes (its pods moved there) and any
 * node a constituent names.
 */
function affectedNodes(ctx: EvaluationContext, nodeGroup: string | undefined, parts: readonly RuleFinding[]): Set<string> {
  const nodes = new Set(parts.flatMap((f) => f.nodes ?? []));
  for (const n of ctx.nodes) if (nodeGroup !== undefined && n.summary.nodeGroup === nodeGroup) nodes.add(n.name);
  return nodes;
}

/**
 * What else the cascade caused: any finding that began after the scale-in and is only about affected nodes
 * (or the workloads on them): restarts, crash loops, readiness flapping, events. They are told under the
 * domino, not as messages of their own; they do not keep it firing.
 */
function cascadeOf(ctx: EvaluationContext, findings: readonly RuleFinding[], affected: ReadonlySet<string>, since: EpochMs, parts: readonly RuleFinding[]): RuleFinding[] {
  const listed = new Set(parts);
  return findings.filter((f) => !listed.has(f) && !NOT_CASCADE.has(f.rule) && (f.since ?? ctx.now) >= since && f.nodes?.length && f.nodes.every((n) => affected.has(n)));
}

export const scaleInUnderPressure = defineRule({
  id: 'scale-in-under-pressure',
  title: 'Scale-in under pressure (domino)',
  meaning:
    'An Auto Scaling group took a node\'s instance out of service (terminated or detached it: an alarm, a schedule, Cluster Autoscaler, a health check, a person), and within the window the cluster shows it could not afford it: the N-1 check fails, remaining nodes are under pressure or low on memory/disk, Pending pods rise, pods are evicted or OOM-killed. This is how one scale-in cascades node by node. The alert lists those findings, and what the cascade causes after the scale-in on the group\'s nodes and their workloads (restarts, crash loops, readiness flapping, events), and tells them as updates of its own.',
  action: 'Raise the group\'s desired/min capacity now; then stop the scale-in trigger (a CPU/latency alarm on a node group is unsafe: use Cluster Autoscaler or Karpenter, which check that pods fit) and set memory requests on the pods.',
  sources: { agent: true, resources: ['nodes', 'pods'], cloud: ['autoscaling'] },
  meta: true,
  defaults: { severity: 'critical', for: '0', window: '15m', constituents: DOMINO_DEFAULT_CONSTITUENTS },
  params: { window: param.duration(), constituents: param.strings() },
  threshold: (p) => `an InService instance with a node removed, then within ${Math.round(p.window / 60_000)} min any of: ${p.constituents.join(', ')}`,
  evaluate(ctx, s, prior) {
    const out: Draft[] = [];
    const latest = new Map<string, ScaleIn>();
    for (const d of ctx.memory.scaleIns) latest.set(d.autoScalingGroup, d);
    for (const [group, drop] of latest) {
      const subject = { cluster: ctx.cluster, nodeGroup: ctx.groups.get(group)?.nodeGroup, autoScalingGroup: group };
      // The group's other removals of the window, told with the latest one.
      const removed = ctx.memory.scaleIns.filter((d) => d.autoScalingGroup === group && drop.t - d.t <= s.params.window);
      const recent = ctx.now - drop.t <= s.params.window;
      // Once firing it stays while the trouble lasts, even when the scale-in leaves the window.
      if (!recent && !prior.firing.has(alertId('scale-in-under-pressure', subject))) continue;
      const pendingBefore = pendingAt(ctx.memory, drop.t - MINUTE_MS);
      const pendingNow = ctx.kube?.pendingPods.length ?? 0;
      const parts: RuleFinding[] = prior.findings.filter((f) => {
        if (!s.params.constituents.includes(f.rule)) return false;
        if (f.rule === 'pods-pending') return pendingNow > pendingBefore;
        if (AFTER_ONLY.has(f.rule)) return (f.since ?? ctx.now) >= drop.t;
        return true;
      });
      if (parts.length === 0) continue;
      const cascade = cascadeOf(ctx, prior.findings, affectedNodes(ctx, subject.nodeGroup, parts), drop.t, parts);
      const all = [...parts, ...cascade];
      const byRule = new Map<string, number>();
      for (const f of all) byRule.set(f.rule, (byRule.get(f.rule) ?? 0) + 1);
      out.push({
        subject,
        severity: s.severity,
        summary:
          `${group} removed ${removedText(removed)} (${drop.actor}) while the cluster cannot afford it: ` +
          listSome(parts.map((f) => f.summary), 3),
        evidence: {
          removedNodes: removed.map((d) => d.node).join(', '),
          removedInstances: removed.map((d) => d.instanceId).join(', '),
          scaledInAt: at(drop.t),
          actor: drop.actor,
          ...(drop.cause ? { cause: drop.cause } : {}),
          pendingPodsBefore: pendingBefore,
          pendingPodsNow: pendingNow,
          findings: [...byRule].map(([r, n]) => `${r} ×${n}`).join(', '),
        },
        since: drop.t,
        constituents: all.map((f) => ({ id: alertId(f.rule, f.subject), rule: f.rule, summary: f.summary })),
      });
    }
    return out;
  },
});

function removedText(removed: readonly ScaleIn[]): string {
  const last = removed[removed.length - 1];
  const nodes = removed.length === 1 ? `node ${last.node} (${last.instanceId})` : `${removed.length} nodes (${removed.map((d) => d.node).join(', ')})`;
  return `${nodes} at ${at(last.t)}`;
}

/**
 * Capacity rules: N-1 headroom ("if the node whose loss hurts most went, would its pods fit?") and the
 * domino detector (an Auto Scaling group removed a node while the cluster was already short), the two
 * signals no upstream rule set has (alert-rules research §6.9).
 */
import { alertId, type Subject } from '../../../model/domain';
import { MINUTE_MS, utc as at, type EpochMs } from '../../../model/time';
import type { EvaluationContext, NodeView } from '../context';
import { analyzeHeadroom, type PlacementShortfall } from '../headroom';
import type { PodDemand } from '../scan';
import { pendingAt } from '../memory';
import { REMOVAL_ACTORS } from '../../../model/removal';
import { REMOVAL_ADVICE, removalGroup, removalKind } from '../removals';
import type { Removal } from '../scale-in';
import { listSome, round1, toGiB, toMiB, truncate } from './common';
import { poolLimitsEvidence } from './karpenter';
import { defineRule, param, type Draft, type RuleFinding } from './types';
import type { RuleId } from './catalog';

const podText = (p: PodDemand) =>
  `${p.namespace}/${p.name} (${p.memoryRequestBytes ? `req ${toMiB(p.memoryRequestBytes)} MiB` : 'no memory request'}, uses ${toMiB(p.memoryUseBytes)} MiB)`;

/** `StatefulSet data/db (2 pods): needs zone eu-west-1a (its volume): its only other node there is full`. */
function shortfallText(c: PlacementShortfall): string {
  const [ns, kind, name] = c.workload?.split('/') ?? [];
  const who = c.workload ? `${kind} ${ns}/${name}` : `${c.pods[0].namespace}/${c.pods[0].name}`;
  return `${who}${c.pods.length > 1 ? ` (${c.pods.length} pods)` : ''}: ${c.reason}`;
}

export const n1Headroom = defineRule({
  id: 'n1-headroom',
  title: 'Cluster cannot lose a node (N-1)',
  meaning:
    'If the node whose loss hurts most were lost (a scale-in, a spot interruption, a failure), some of its pods would not fit on the remaining nodes they may run on (node selector, required affinity, taints, anti-affinity, topology spread, volume zone): by their requests (they would stay Pending) or by the memory they actually use (they would push other nodes into MemoryPressure). Losing the last node a pinned workload may use counts even when the cluster has room. The first step of a cascading outage.',
  action:
    "Add a node (raise the group's minimum), or set memory requests that match real use on the listed pods so the scheduler and autoscalers see the real need.",
  sources: { agent: true, resources: ['nodes', 'pods'] },
  covers: { actors: REMOVAL_ACTORS, note: 'in advance: whoever takes the worst node' },
  defaults: { severity: 'warning', for: '10m', minNodes: 2 },
  params: { minNodes: param.count(2, 100_000) },
  threshold: (p) => `any pod of the worst node does not fit elsewhere (clusters of ${p.minNodes}+ schedulable nodes)`,
  evaluate(ctx, s) {
    const a = analyzeHeadroom(ctx);
    const w = a.worst;
    if (!w || a.nodes < s.params.minNodes || (w.unplacedByRequests.length === 0 && w.unplacedByUsage.length === 0)) return [];
    const notFitting = [...new Map([...w.unplacedByRequests, ...w.unplacedByUsage].map((p) => [`${p.namespace}/${p.name}`, p])).values()];
    const constraints = (w.constraints ?? []).map(shortfallText);
    const group = w.nodeGroup === undefined ? undefined : a.groups?.get(w.nodeGroup);
    return [
      {
        subject: { cluster: ctx.cluster },
        severity: s.severity,
        summary:
          `If node ${w.node}${w.nodeGroup ? ` (${w.nodeGroup})` : ''} were lost, ${notFitting.length} of its ${w.pods.length} pods would not fit on the other ${a.nodes - 1} nodes: ` +
          listSome(notFitting.map(podText), 3) +
          (constraints.length ? `. Where they may run: ${listSome(constraints, 2)}` : ''),
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
          ...(group?.headroomPct !== undefined ? { nodeGroupHeadroomPct: round1(group.headroomPct) } : {}),
          ...(constraints.length ? { placement: listSome(constraints, 5) } : {}),
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
] as const;
/** Occurrences that count only when they happened after the scale-in. */
const AFTER_ONLY: ReadonlySet<RuleId> = new Set(['pod-evictions', 'container-oom-killed']);
/** Never part of a cascade: Vigil's own health (what it cannot see is not caused by the scale-in). */
const NOT_CASCADE: ReadonlySet<RuleId> = new Set(['agent-silent', 'agent-data-stale', 'collector-failing']);

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
function cascadeOf(
  ctx: EvaluationContext,
  findings: readonly RuleFinding[],
  affected: ReadonlySet<string>,
  since: EpochMs,
  parts: readonly RuleFinding[],
): RuleFinding[] {
  const listed = new Set(parts);
  return findings.filter(
    (f) =>
      !listed.has(f) &&
      !NOT_CASCADE.has(f.rule) &&
      (f.since ?? ctx.now) >= since &&
      f.nodes?.length &&
      f.nodes.every((n) => affected.has(n)),
  );
}

export const scaleInUnderPressure = defineRule({
  id: 'scale-in-under-pressure',
  title: 'Scale-in under pressure (domino)',
  meaning:
    "Capacity was removed: an Auto Scaling group took a node's instance out of service (an alarm, a schedule, Cluster Autoscaler, a health check, a person), Karpenter or EKS Auto Mode disrupted a node (consolidation, drift, expiry, emptiness, node repair), a Spot interruption or a failed instance took it, or a person drained it; and within the window the cluster shows it could not afford it: the N-1 check fails (after a removal someone decided; capacity lost without a decision that leaves only that risk is capacity-lost), remaining nodes are under pressure or low on memory/disk, Pending pods rise, pods are evicted or OOM-killed. This is how one scale-in cascades node by node. The alert lists those findings, and what the cascade causes after the scale-in on the group's nodes and their workloads (restarts, crash loops, readiness flapping, events), and tells them as updates of its own. It names the actor and reason, with advice for that actor.",
  action:
    "Raise the group's desired/min capacity now; then stop the scale-in trigger (a CPU/latency alarm on a node group is unsafe: use Cluster Autoscaler or Karpenter, which check that pods fit) and set memory requests on the pods.",
  sources: { agent: true, resources: ['nodes', 'pods'], cloud: ['autoscaling'] },
  meta: true,
  covers: { actors: REMOVAL_ACTORS },
  defaults: { severity: 'critical', for: '0', window: '15m', constituents: [...DOMINO_DEFAULT_CONSTITUENTS] },
  params: { window: param.duration(), constituents: param.strings() },
  threshold: (p) =>
    `a node removed (Auto Scaling, Karpenter, EKS Auto Mode, Spot, failed instance, drain), then within ${Math.round(p.window / 60_000)} min any of: ${p.constituents.join(', ')}`,
  evaluate(ctx, s, prior) {
    const out: Draft[] = [];
    const latest = new Map<string, Removal>();
    for (const d of ctx.memory.removals) latest.set(removalGroup(d), d);
    for (const [group, drop] of latest) {
      const subject = removalSubject(ctx, drop);
      // The group's other removals of the window, told with the latest one.
      const removed = ctx.memory.removals.filter((d) => removalGroup(d) === group && drop.t - d.t <= s.params.window);
      const recent = ctx.now - drop.t <= s.params.window;
      // Once firing it stays while the trouble lasts, even when the scale-in leaves the window.
      if (!recent && !prior.firing.has(alertId('scale-in-under-pressure' satisfies RuleId, subject))) continue;
      const pendingBefore = pendingAt(ctx.memory, drop.t - MINUTE_MS);
      const pendingNow = ctx.kube?.pendingPods.length ?? 0;
      const gone = new Set(removed.map((d) => d.node));
      const { by, lost } = removalKind(drop);
      const parts: RuleFinding[] = prior.findings.filter((f) => {
        if (!s.params.constituents.includes(f.rule)) return false;
        // Capacity nobody chose to remove, absorbed, leaves only a risk of the next loss: capacity-lost tells it, not a page.
        if (lost && f.rule === n1Headroom.id) return false;
        // The removed node's own trouble (NotReady while its instance shuts down), or its replacement's while it
        // joins (NotReady for its first minute), is not the rest failing to take its pods.
        if (f.nodes?.length && f.nodes.every((n) => gone.has(n) || (ctx.nodeByName.get(n)?.kube?.node.createdAt ?? 0) >= removed[0].t))
          return false;
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
          `${removerText(drop)} ${lost ? 'lost' : 'removed'} ${removedText(removed)} (${drop.actor}) while the cluster cannot afford it: ` +
          listSome(
            parts.map((f) => f.summary),
            3,
          ),
        ...(REMOVAL_ADVICE[by] ? { runbook: REMOVAL_ADVICE[by] } : {}),
        evidence: {
          removedNodes: removed.map((d) => d.node).join(', '),
          removedInstances: removed.map((d) => d.instanceId).join(', '),
          scaledInAt: at(drop.t),
          removedBy: by,
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

// Checked here, not where it is declared: the rule's own type (hence \`RuleId\`) must not depend on it.
DOMINO_DEFAULT_CONSTITUENTS satisfies readonly RuleId[];

/** The domino's subject: the Auto Scaling group's, else the NodePool's (or node group's). */
function removalSubject(ctx: EvaluationContext, d: Removal): Subject {
  if (d.autoScalingGroup)
    return { cluster: ctx.cluster, nodeGroup: ctx.groups.get(d.autoScalingGroup)?.nodeGroup, autoScalingGroup: d.autoScalingGroup };
  return { cluster: ctx.cluster, nodeGroup: d.nodePool ?? d.nodeGroup };
}

/** Who the message names first: the Auto Scaling group, else the NodePool or node group. */
function removerText(d: Removal): string {
  if (d.autoScalingGroup) return d.autoScalingGroup;
  if (d.nodePool) return `NodePool ${d.nodePool}`;
  return d.nodeGroup ? `Node group ${d.nodeGroup}` : 'The cluster';
}

function removedText(removed: readonly Removal[]): string {
  const last = removed[removed.length - 1];
  const nodes =
    removed.length === 1 ? `node ${last.node} (${last.instanceId})` : `${removed.length} nodes (${removed.map((d) => d.node).join(', ')})`;
  return `${nodes} at ${at(last.t)}`;
}

/** The nodes of a removal's group now: its node group's or NodePool's, else its Auto Scaling group's instances'. */
function groupNodes(ctx: EvaluationContext, subject: Subject): NodeView[] {
  const asg =
    subject.autoScalingGroup === undefined
      ? undefined
      : new Set(ctx.groups.get(subject.autoScalingGroup)?.instances.map((i) => i.instanceId));
  return ctx.nodes.filter((n) =>
    subject.nodeGroup !== undefined ? n.summary.nodeGroup === subject.nodeGroup : asg?.has(n.summary.instanceId ?? '') === true,
  );
}

/**
 * The replacements: nodes of the group that joined since `t`, and those of them Ready. Karpenter launches a
 * replacement at the Spot notice or before it deletes a node it repairs, so `t` is a wave before the loss.
 */
function joinedSince(ctx: EvaluationContext, subject: Subject, t: EpochMs): { joined: NodeView[]; ready: NodeView[] } {
  const joined = groupNodes(ctx, subject).filter((n) => (n.kube?.node.createdAt ?? 0) >= t);
  return { joined, ready: joined.filter((n) => n.summary.ready === 'True') };
}

/** Runs of losses, each within `gap` of the one before: a wave of Spot notices is one, a later one is the next. */
export function wavesOf(lost: readonly Removal[], gap: number): Removal[][] {
  const waves: Removal[][] = [];
  for (const d of lost) {
    const wave = waves[waves.length - 1];
    if (wave && d.t - wave[wave.length - 1].t <= gap) wave.push(d);
    else waves.push([d]);
  }
  return waves;
}

/** The group's incident: its losses, oldest first, each within `window` of the one before, up to the newest. */
function incidentOf(lost: readonly Removal[], window: number): Removal[] {
  let i = lost.length - 1;
  while (i > 0 && lost[i].t - lost[i - 1].t <= window) i--;
  return lost.slice(i);
}

/** Each group's lost-capacity incident, by the id of its capacity-lost alert. */
function lostIncidents(ctx: EvaluationContext, window: number): Map<string, Removal[]> {
  const byGroup = new Map<string, Removal[]>();
  for (const d of ctx.memory.removals) if (removalKind(d).lost) byGroup.set(removalGroup(d), [...(byGroup.get(removalGroup(d)) ?? []), d]);
  return new Map(
    [...byGroup.values()].map((lost) => {
      const removed = incidentOf(lost, window);
      return [alertId('capacity-lost' satisfies RuleId, removalSubject(ctx, removed[removed.length - 1])), removed];
    }),
  );
}

/**
 * Capacity lost that the cluster absorbed: the information side of the domino. Nodes that went without a
 * decision (Spot interruptions, failed instances, node repair), told once per incident with what is left;
 * when their pods do not fit, the domino tells it instead (it runs first: its findings are in `prior`). A
 * later wave of the same incident is an update; the incident ends, with one resolution saying what came
 * back, when the rest absorbed it and either replacements as many as the nodes lost joined and are Ready,
 * or no node was lost for `window` (nothing needed replacing).
 */
export const capacityLost = defineRule({
  id: 'capacity-lost',
  title: 'Capacity lost, and absorbed',
  meaning:
    'Nodes went without anyone deciding it (a Spot interruption or a wave of them, an instance that failed its health checks, EKS Auto Mode or Karpenter node repair) and the cluster absorbed it: no more pods Pending than before, no node under pressure or low on memory. Told as information: how many nodes, the allocatable left, whether the cluster could lose one more; a later wave of the same incident is an update. Resolved, saying what came back, once as many replacements as nodes lost joined and are Ready, or no node was lost for the window with everything fitting. When the rest cannot take their pods it is the domino (scale-in-under-pressure) instead.',
  action:
    'Nothing urgent: check that replacements joined and became Ready; if the evidence says the cluster could not lose one more node, add capacity; frequent Spot waves call for more instance types and zones.',
  sources: { agent: true },
  meta: true,
  covers: {
    actors: ['spot-interruption', 'ec2-health', 'karpenter', 'eks-auto-mode'],
    note: "karpenter and eks-auto-mode: node repair only; what they decide to remove is the domino's",
  },
  defaults: { severity: 'info', for: '0', resolveAfter: '0', renotifyEvery: '0', window: '15m', wave: '5m' },
  params: { window: param.duration(), wave: param.duration() },
  threshold: (p) =>
    `a node lost (Spot interruption, failed instance, node repair), its pods placed, and no domino; a loss ${Math.round(p.wave / 60_000)}+ min after the last is a new wave (an update); over when replaced and Ready, or after ${Math.round(p.window / 60_000)} min without a loss`,
  evaluate(ctx, s, prior) {
    const dominoes = new Set(
      prior.findings.filter((f) => f.rule === scaleInUnderPressure.id).map((f) => alertId(scaleInUnderPressure.id, f.subject)),
    );
    const out: Draft[] = [];
    for (const removed of lostIncidents(ctx, s.params.window).values()) {
      const first = removed[0];
      const last = removed[removed.length - 1];
      const subject = removalSubject(ctx, last);
      const firing = prior.firing.has(alertId('capacity-lost' satisfies RuleId, subject));
      if (!firing && ctx.now - last.t > s.params.window) continue;
      // A node still listed (NotReady, draining) holds its pods: whether they fit is not known yet.
      const listed = removed.some((d) => ctx.nodeByName.has(d.node));
      const pendingBefore = pendingAt(ctx.memory, first.t - MINUTE_MS);
      const pendingNow = ctx.kube?.pendingPods.length ?? 0;
      const settled = !listed && !dominoes.has(alertId(scaleInUnderPressure.id, subject));
      // More pods Pending than before the loss, or the domino: not absorbed (yet).
      const absorbed = settled && pendingNow <= pendingBefore;
      if (!firing && !absorbed) continue;
      const { joined, ready } = joinedSince(ctx, subject, first.t - s.params.wave);
      const quiet = ctx.now - last.t >= s.params.wave && joined.length === ready.length;
      // Replaced, or a window without a loss: Pending pods that come after that are another story (pods-pending).
      const over = quiet && ((absorbed && ready.length >= removed.length) || (settled && ctx.now - last.t >= s.params.window));
      if (over) continue;
      // While the newest wave is not absorbed, what was told stays: the waves before it.
      const all = wavesOf(removed, s.params.wave);
      const told = absorbed || all.length === 1 ? removed : all.slice(0, -1).flat();
      const rest = ctx.nodes.filter((n) => n.summary.ready === 'True' && !n.cordoned);
      const memory = rest.reduce((a, n) => a + (n.summary.allocatable.memoryBytes ?? 0), 0);
      const cpu = rest.reduce((a, n) => a + (n.summary.allocatable.cpuMilli ?? 0), 0);
      const next = analyzeHeadroom(ctx).worst;
      const nextFits = next === undefined || (next.unplacedByRequests.length === 0 && next.unplacedByUsage.length === 0);
      const waves = absorbed ? all.length : Math.max(1, all.length - 1);
      out.push({
        subject,
        severity: s.severity,
        summary:
          `${removerText(last)} lost ${removedText(told)} (${last.actor})${waves > 1 ? ` in ${waves} waves` : ''}; their pods fit on the other ${rest.length} nodes by requests and by memory use ` +
          `(${toGiB(memory)} GiB memory, ${round1(cpu / 1000)} CPUs allocatable left)` +
          (nextFits ? '' : `; the cluster could not lose one more node (${next.node})`),
        evidence: {
          lostNodes: told.map((d) => d.node).join(', '),
          lostInstances: told
            .map((d) => d.instanceId)
            .filter(Boolean)
            .join(', '),
          waves,
          actor: last.actor,
          removedBy: removalKind(last).by,
          nodesLeft: rest.length,
          allocatableMemoryGiBLeft: toGiB(memory),
          allocatableCpuLeft: round1(cpu / 1000),
          pendingPodsBefore: pendingBefore,
          pendingPodsNow: pendingNow,
          canLoseOneMore: nextFits ? 'yes' : `no (${next.node})`,
          replacementsReady: `${ready.length} of ${joined.length} joined`,
        },
        since: first.t,
        // A later wave is news: one update per wave, not per node.
        count: waves,
        renotify: true,
      });
    }
    return out;
  },
  resolution(ctx, alert, settings) {
    const removed = lostIncidents(ctx, settings.params.window).get(alert.id) ?? [];
    if (removed.length === 0) return undefined;
    const last = removed[removed.length - 1];
    const { ready } = joinedSince(ctx, alert.subject, removed[0].t - settings.params.wave);
    const pending = ctx.kube?.pendingPods.length ?? 0;
    const back = ready.length
      ? `${ready.length} replacement node${ready.length > 1 ? 's' : ''} joined and Ready (${listSome(
          ready.map((n) => n.name),
          3,
        )})`
      : `the other nodes have run their pods for ${Math.round((ctx.now - last.t) / 60_000)} min with no further loss, and nothing needed replacing`;
    const groupReady = groupNodes(ctx, alert.subject).filter((n) => n.summary.ready === 'True').length;
    return {
      summary: `${removerText(last)}: capacity back after losing ${removedText(removed)}: ${back}; ${groupReady} node${groupReady === 1 ? '' : 's'} of the group Ready, ${pending} pods Pending`,
      evidence: {
        ...alert.evidence,
        lostNodes: removed.map((d) => d.node).join(', '),
        replacementsReady: ready.map((n) => n.name).join(', ') || 'none',
        pendingPodsNow: pending,
        backAt: at(ctx.now),
      },
    };
  },
});

/** The Karpenter twin of asg-max-pods-pending: a NodePool at its `spec.limits` while pods wait for it. */
export const nodePoolLimitPodsPending = defineRule({
  id: 'nodepool-limit-pods-pending',
  title: 'Karpenter NodePool at its limits with pods pending',
  meaning:
    'Pods cannot be scheduled and Karpenter (or EKS Auto Mode) says it cannot launch capacity for them because a NodePool reached its spec.limits (its FailedScheduling event on the pod: "all available instance types exceed limits for nodepool", "node limits have been exhausted"). The Karpenter twin of asg-max-pods-pending.',
  action: "Raise the NodePool's spec.limits (cpu, memory, nodes), let the pods use another NodePool, or reduce the pending pods' requests.",
  sources: { agent: true },
  defaults: { severity: 'warning', for: '10m', window: '10m' },
  params: { window: param.duration() },
  threshold: (p) => `Karpenter reported the NodePool's limits, within ${Math.round(p.window / 60_000)} min, for a pod still Pending`,
  evaluate(ctx, s) {
    const pending = new Set((ctx.kube?.pendingPods ?? []).map((p) => `${p.namespace}/${p.name}`));
    if (pending.size === 0) return [];
    const out: Draft[] = [];
    for (const [pool, l] of Object.entries(ctx.memory.nodePoolLimits ?? {})) {
      const waiting = l.pods.filter((p) => pending.has(p));
      if (ctx.now - l.t > s.params.window || waiting.length === 0) continue;
      out.push({
        subject: { cluster: ctx.cluster, nodeGroup: pool },
        severity: s.severity,
        summary: `NodePool ${pool} is at its limits while ${pending.size} pods are Pending (${waiting[waiting.length - 1]}: ${truncate(l.message, 160)})`,
        evidence: {
          nodePool: pool,
          pendingPods: pending.size,
          podsKarpenterNamed: listSome(waiting, 5),
          karpenter: truncate(l.message, 400),
          lastSaid: at(l.t),
          ...poolLimitsEvidence(ctx, pool),
        },
      });
    }
    return out;
  },
});

/** Rules about Kubernetes nodes: conditions, readiness, readiness flapping, kubelet reachability. */
import type { NodeCondition } from '../../../model/domain';
import { nodeSubject, watchedNodes, type EvaluationContext, type NodeView } from '../context';
import { ec2ChecksOf, type Ec2Checks } from '../memory';
import { utc as at } from '../../../model/time';
import { escalated, pct, truncate } from './common';
import { defineRule, param, type Draft } from './types';

const PRESSURE = ['MemoryPressure', 'DiskPressure', 'PIDPressure'];

/** A node's conditions: from its node-minute, else the True ones the rollup lists. */
function conditions(n: NodeView): readonly NodeCondition[] {
  return n.kube?.node.conditions ?? n.summary.problems.map((type) => ({ type, status: 'True' as const }));
}

/** Nodes per node group, for "more than N% of a group" escalations. */
function groupSizes(ctx: EvaluationContext): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const n of ctx.nodes) sizes.set(n.summary.nodeGroup ?? '', (sizes.get(n.summary.nodeGroup ?? '') ?? 0) + 1);
  return sizes;
}

/**
 * What EC2 says of a node's instance, when this evaluation read its status checks: `pass` means the instance
 * is healthy to EC2 and to Auto Scaling, so the problem is the kubelet's and nothing will replace it.
 */
/** What EC2 says of a node's instance: this evaluation's host reading, else the last one kept for the node. */
function ec2Checks(ctx: EvaluationContext, n: NodeView): Ec2Checks | undefined {
  return (
    ec2ChecksOf(n.summary.instanceId === undefined ? undefined : ctx.hosts?.get(n.summary.instanceId)?.metrics) ??
    ctx.memory.ec2Checks?.[n.name]
  );
}

const KUBELET_RUNBOOK =
  'EC2 and Auto Scaling see a healthy instance, so nothing replaces it: read the kubelet/containerd logs (`journalctl -u kubelet` via SSM) and restart the kubelet; if it does not come back, terminate the instance so its group launches a new one.';

/** True when `count` affected nodes are more than `pctLimit` of a group of at least `minNodes` (EKS auto repair stops there). */
function groupShare(sizes: Map<string, number>, group: string | undefined, count: number, pctLimit: number, minNodes: number): boolean {
  const size = sizes.get(group ?? '') ?? 0;
  return pctLimit > 0 && size >= minNodes && (count / size) * 100 > pctLimit;
}

export const nodePressure = defineRule({
  id: 'node-pressure',
  title: 'Node under pressure',
  meaning:
    'The kubelet reports MemoryPressure, DiskPressure or PIDPressure: the node crossed an eviction threshold and is evicting pods. On several nodes at once the cluster is running out of room.',
  action:
    'Find what fills the node (memory: `kubectl top pods -A --sort-by=memory`; disk: images, logs, emptyDir) and limit or move it; with several nodes affected, add capacity before evictions cascade.',
  sources: { agent: true, resources: ['nodes'] },
  defaults: { severity: 'warning', for: '2m', criticalNodes: 2 },
  params: { criticalNodes: param.count(0, 100_000) },
  threshold: (p) => `condition True; critical on ${p.criticalNodes} or more nodes`,
  evaluate(ctx, s) {
    const hits = watchedNodes(ctx).flatMap((n) =>
      conditions(n)
        .filter((c) => PRESSURE.includes(c.type) && c.status === 'True')
        .map((c) => ({ n, c })),
    );
    const nodes = new Set(hits.map((h) => h.n.name)).size;
    const severity = escalated(s.severity, s.params.criticalNodes > 0 && nodes >= s.params.criticalNodes);
    return hits.map(({ n, c }): Draft => {
      const st = n.kube?.stats;
      const figures: Record<string, number> =
        c.type === 'MemoryPressure' && st?.memoryAvailableBytes !== undefined
          ? { memoryAvailableMiB: Math.round(st.memoryAvailableBytes / 1048576) }
          : c.type === 'DiskPressure' && st?.fsAvailableBytes !== undefined && st.fsCapacityBytes
            ? { nodefsAvailablePct: pct(st.fsAvailableBytes, st.fsCapacityBytes) }
            : c.type === 'PIDPressure' && st?.processes !== undefined
              ? { processes: st.processes }
              : {};
      return {
        subject: { ...nodeSubject(ctx, n), detail: c.type },
        severity,
        summary: `${c.type} on node ${n.name}${nodes > 1 ? ` (${nodes} nodes under pressure)` : ''}${c.message ? `: ${truncate(c.message, 160)}` : ''}`,
        evidence: {
          condition: c.type,
          ...(c.reason ? { reason: c.reason } : {}),
          nodesUnderPressure: nodes,
          pods: n.summary.pods,
          ...figures,
        },
        since: c.since,
        nodes: [n.name],
      };
    });
  },
});

export const nodeCondition = defineRule({
  id: 'node-condition',
  title: 'Node condition abnormal',
  meaning:
    'A node condition other than Ready and the pressure conditions is abnormal: one set by node-problem-detector (KernelDeadlock, ReadonlyFilesystem, Frequent*Restart…) is True, or one of the EKS node monitoring agent (KernelReady, NetworkingReady, StorageReady, ContainerRuntimeReady…) is False. EKS auto repair replaces such nodes after 10–30 min, and stops when more than 20% of a group is unhealthy.',
  action:
    'Read the condition message (`kubectl describe node`); drain and replace the node if it does not recover; with many nodes affected, look for a common cause (AMI, kernel, CNI).',
  sources: { agent: true, resources: ['nodes'] },
  defaults: { severity: 'warning', for: '5m', ignore: [], criticalGroupPct: 20, criticalMinGroupNodes: 5 },
  params: { ignore: param.strings(), criticalGroupPct: param.pct(), criticalMinGroupNodes: param.count(1, 100_000) },
  threshold: (p) => `abnormal; critical on more than ${p.criticalGroupPct}% of a group of ${p.criticalMinGroupNodes}+ nodes`,
  evaluate(ctx, s) {
    const abnormal = (c: NodeCondition) =>
      c.type !== 'Ready' &&
      !PRESSURE.includes(c.type) &&
      !s.params.ignore.includes(c.type) &&
      (/Ready$/.test(c.type) ? c.status === 'False' : c.status === 'True');
    const hits = watchedNodes(ctx).flatMap((n) =>
      conditions(n)
        .filter(abnormal)
        .map((c) => ({ n, c })),
    );
    const sizes = groupSizes(ctx);
    const perGroup = new Map<string, Set<string>>();
    for (const { n } of hits) perGroup.set(n.summary.nodeGroup ?? '', (perGroup.get(n.summary.nodeGroup ?? '') ?? new Set()).add(n.name));
    return hits.map(({ n, c }) => {
      const affected = perGroup.get(n.summary.nodeGroup ?? '')!.size;
      return {
        subject: { ...nodeSubject(ctx, n), detail: c.type },
        severity: escalated(
          s.severity,
          groupShare(sizes, n.summary.nodeGroup, affected, s.params.criticalGroupPct, s.params.criticalMinGroupNodes),
        ),
        summary: `${c.type}=${c.status} on node ${n.name}${c.message ? `: ${truncate(c.message, 160)}` : ''}`,
        evidence: { condition: c.type, status: c.status, ...(c.reason ? { reason: c.reason } : {}), nodesAffectedInGroup: affected },
        since: c.since,
        nodes: [n.name],
      };
    });
  },
});

export const nodeNotReady = defineRule({
  id: 'node-not-ready',
  title: 'Node not ready',
  meaning:
    'A node that is not cordoned and not being removed by an autoscaler is NotReady (the kubelet reports a problem) or unreachable (Ready=Unknown: it stopped reporting). Its pods are evicted about 5 minutes later.',
  action:
    'Check the instance (EC2 status checks, console output) and the kubelet/containerd logs (`journalctl -u kubelet`); replace the node if it does not come back.',
  sources: { agent: true, resources: ['nodes'] },
  defaults: { severity: 'warning', for: '5m', criticalNodes: 2, criticalGroupPct: 20, criticalMinGroupNodes: 5 },
  params: { criticalNodes: param.count(0, 100_000), criticalGroupPct: param.pct(), criticalMinGroupNodes: param.count(1, 100_000) },
  threshold: (p) => `Ready ≠ True; critical on ${p.criticalNodes}+ nodes or more than ${p.criticalGroupPct}% of a group`,
  inhibits: [
    { target: { rule: 'node-scrape-failing' }, equal: ['node'], story: true },
    { target: { rule: 'containers-without-memory-requests' }, equal: ['node'], story: true },
    // An impaired instance's node stops being Ready: one story, begun by whichever is told first. The node's
    // summary names its instance's EC2 status checks, so only a system check failure (critical) is news to it.
    { target: { rule: 'host-status-check-failed' }, equal: ['node'], story: true, tells: 'worse', together: true },
  ],
  evaluate(ctx, s) {
    const down = watchedNodes(ctx).filter((n) => n.summary.ready !== 'True');
    const sizes = groupSizes(ctx);
    return down.map((n) => {
      const ready = n.kube?.node.conditions.find((c) => c.type === 'Ready');
      const inGroup = down.filter((d) => d.summary.nodeGroup === n.summary.nodeGroup).length;
      const critical =
        (s.params.criticalNodes > 0 && down.length >= s.params.criticalNodes) ||
        groupShare(sizes, n.summary.nodeGroup, inGroup, s.params.criticalGroupPct, s.params.criticalMinGroupNodes);
      const what = n.summary.ready === 'Unknown' ? 'unreachable (the kubelet stopped reporting)' : 'NotReady';
      const ec2 = ec2Checks(ctx, n);
      const ec2Text = ec2 === 'pass' ? '; EC2 status checks pass, the kubelet does not report' : ec2 ? `; EC2 ${ec2}` : '';
      return {
        subject: nodeSubject(ctx, n),
        severity: escalated(s.severity, critical),
        summary: `Node ${n.name} is ${what}${ready?.message ? `: ${truncate(ready.message, 160)}` : ''}${ec2Text}${down.length > 1 ? ` (${down.length} nodes down)` : ''}`,
        evidence: {
          ready: n.summary.ready,
          ...(ready?.reason ? { reason: ready.reason } : {}),
          nodesNotReady: down.length,
          pods: n.summary.pods,
          ...(n.summary.instanceId ? { instanceId: n.summary.instanceId } : {}),
          ...(ec2 ? { ec2StatusChecks: ec2 } : {}),
        },
        ...(ec2 === 'pass' ? { runbook: KUBELET_RUNBOOK } : {}),
        since: ready?.since,
        nodes: [n.name],
      };
    });
  },
});

export const nodeReadinessFlapping = defineRule({
  id: 'node-readiness-flapping',
  title: 'Node readiness flapping',
  meaning:
    'A node switched between Ready and not Ready several times in a short window: a kubelet, network or resource problem that each single NotReady period is too short to show.',
  action:
    "Look at the kubelet and containerd logs and the node's memory/CPU around the transitions; cordon and replace the node if it keeps flapping.",
  sources: { agent: true, resources: ['nodes'] },
  defaults: { severity: 'warning', for: '0', transitions: 3, window: '15m' },
  params: { transitions: param.count(2, 1000), window: param.duration() },
  threshold: (p) => `${p.transitions}+ Ready transitions in ${Math.round(p.window / 60_000)} min`,
  evaluate(ctx, s) {
    const out: Draft[] = [];
    for (const [name, track] of Object.entries(ctx.memory.ready)) {
      const n = ctx.nodeByName.get(name);
      if (!n || n.cordoned || n.removing) continue;
      const recent = track.transitions.filter((t) => t >= ctx.now - s.params.window);
      if (recent.length < s.params.transitions) continue;
      out.push({
        subject: nodeSubject(ctx, n),
        severity: s.severity,
        summary: `Node ${name} changed readiness ${recent.length} times in ${Math.round(s.params.window / 60_000)} min (now ${track.status === 'True' ? 'Ready' : 'not Ready'})`,
        evidence: {
          transitions: recent.length,
          windowMinutes: Math.round(s.params.window / 60_000),
          ready: track.status,
          lastChange: at(recent[recent.length - 1]),
        },
        since: recent[0],
        nodes: [name],
      });
    }
    return out;
  },
});

export const nodeScrapeFailing = defineRule({
  id: 'node-scrape-failing',
  title: 'Node kubelet unreachable for the agent',
  meaning:
    "The agent cannot read a Ready node's kubelet stats, so Vigil is blind to that node's memory, disk and containers (its alerts are held as they are).",
  action:
    "Check that pods can reach nodes on port 10250 (security groups, NetworkPolicy) and the agent's logs; the API-server proxy mode is a fallback for networks that block it.",
  sources: { agent: true, resources: ['nodes'] },
  defaults: { severity: 'warning', for: '5m' },
  params: {},
  threshold: () => 'stats missing for a Ready node',
  evaluate(ctx, s) {
    return watchedNodes(ctx)
      .filter((n) => n.summary.ready === 'True' && n.summary.scrapeError !== undefined)
      .map((n) => {
        const err = ctx.kube?.scrapeErrors.find((e) => e.node === n.name);
        return {
          subject: nodeSubject(ctx, n),
          severity: s.severity,
          summary: `The agent cannot read node ${n.name}'s kubelet stats (${n.summary.scrapeError})${err ? `: ${truncate(err.message, 160)}` : ''}`,
          evidence: { kind: n.summary.scrapeError!, ...(err ? { message: truncate(err.message, 200) } : {}) },
          nodes: [n.name],
        };
      });
  },
});

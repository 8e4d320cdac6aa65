/**
 * Rules on Karpenter's own resources (NodePools and NodeClaims, read by the agent): the twins of the Auto
 * Scaling rules for capacity that no Auto Scaling group launches. Self-managed Karpenter and EKS Auto Mode
 * alike (Auto Mode's NodePools reference the `eks.amazonaws.com` NodeClass).
 */
import { alertId, type Subject } from '../../../model/domain';
import {
  AUTO_MODE_NODECLASS_GROUP,
  conditionOf,
  leaving,
  NODECLAIM,
  type DisruptionBudget,
  type KarpenterNodePool,
} from '../../../model/karpenter';
import type { EvaluationContext } from '../context';
import type { NodeClaimTrouble } from '../nodeclaims';
import { utc as at } from '../../../model/time';
import { listSome, truncate } from './common';
import { defineRule, param, type Draft, type Prior, type RuleFinding } from './types';

const KARPENTER_SOURCES = { agent: true, resources: ['karpenter', 'pods'] } as const;

function poolSubject(ctx: EvaluationContext, pool: string): Subject {
  return { cluster: ctx.cluster, nodeGroup: pool };
}

function nodePoolOf(ctx: EvaluationContext, pool: string): KarpenterNodePool | undefined {
  return ctx.kube?.karpenter?.nodePools.find((p) => p.name === pool);
}

/** `NodePool x` or `EKS Auto Mode NodePool x`: who launches its capacity. */
function poolText(ctx: EvaluationContext, pool: string): string {
  return nodePoolOf(ctx, pool)?.nodeClass?.group === AUTO_MODE_NODECLASS_GROUP ? `EKS Auto Mode NodePool ${pool}` : `NodePool ${pool}`;
}

/**
 * A NodePool's `spec.limits` against `status.resources` (what its NodeClaims hold), as evidence: `cpu 62/64,
 * memory 250/256 GiB, nodes 8/8`. Empty when the NodePool sets no limits or Karpenter's resources are unknown.
 */
export function poolLimitsEvidence(ctx: EvaluationContext, pool: string): Record<string, string> {
  const p = nodePoolOf(ctx, pool);
  if (!p?.limits) return {};
  const used = p.resources ?? {};
  const parts: string[] = [];
  if (p.limits.cpuMilli !== undefined) parts.push(`cpu ${(used.cpuMilli ?? 0) / 1000}/${p.limits.cpuMilli / 1000}`);
  if (p.limits.memoryBytes !== undefined)
    parts.push(`memory ${Math.round((used.memoryBytes ?? 0) / 2 ** 30)}/${Math.round(p.limits.memoryBytes / 2 ** 30)} GiB`);
  if (p.limits.nodes !== undefined) parts.push(`nodes ${used.nodes ?? '?'}/${p.limits.nodes}`);
  return parts.length ? { nodePoolLimits: parts.join(', ') } : {};
}

function budgetText(b: DisruptionBudget): string {
  const when = b.schedule ? ` during ${b.schedule} for ${b.duration ?? '?'}` : '';
  return `${b.nodes}${b.reasons?.length ? ` for ${b.reasons.join('/')}` : ''}${when}`;
}

/**
 * The findings this alert tells: Pending pods, and the replicas of their workloads that are unavailable, wait
 * for the capacity that does not come (one story per NodePool). Listed as constituents, so they are muted
 * under it and named in its messages.
 */
function pendingStory(prior: Prior): { id: string; rule: string; summary: string }[] {
  const workload = (f: RuleFinding) => `${f.subject.namespace}/${f.subject.workload}`;
  const pending = prior.findings.filter((f) => f.rule === 'pods-pending');
  const waiting = new Set(pending.map(workload));
  const short = prior.findings.filter((f) => f.rule === 'workload-replicas-unavailable' && waiting.has(workload(f)));
  return [...pending, ...short].map((f) => ({ id: alertId(f.rule, f.subject), rule: f.rule, summary: f.summary }));
}

/** When the newest Ready node of each NodePool was created: a launch that worked after a trouble ends it. */
function newestReadyNode(ctx: EvaluationContext): Map<string, number> {
  const out = new Map<string, number>();
  for (const n of ctx.nodes) {
    const pool = n.kube?.node.nodePool;
    const created = n.kube?.node.createdAt;
    if (pool && created !== undefined && n.summary.ready === 'True') out.set(pool, Math.max(out.get(pool) ?? 0, created));
  }
  return out;
}

/** Each NodePool's troubles of `kind` seen since `since`, less those a node launched later and Ready has superseded. */
function troubles(ctx: EvaluationContext, kind: NodeClaimTrouble['kind'], since: number): [string, NodeClaimTrouble[]][] {
  const ready = newestReadyNode(ctx);
  return Object.entries(ctx.memory.nodeClaimTroubles ?? {})
    .map(([pool, ts]): [string, NodeClaimTrouble[]] => [
      pool,
      ts.filter((x) => x.kind === kind && x.seen >= since && !((ready.get(pool) ?? 0) > x.t)),
    ])
    .filter(([, ts]) => ts.length > 0);
}

/** A NodePool's capacity story: its subject, since its first trouble, with the findings it tells under it. */
function poolStory(
  ctx: EvaluationContext,
  pool: string,
  ts: readonly NodeClaimTrouble[],
  severity: Draft['severity'],
  told: ReturnType<typeof pendingStory>,
  body: Pick<Draft, 'summary' | 'evidence' | 'nodes'>,
): Draft {
  return {
    subject: poolSubject(ctx, pool),
    severity,
    ...body,
    since: Math.min(...ts.map((x) => x.t)),
    ...(told.length ? { constituents: told } : {}),
  };
}

export const nodeClaimLaunchFailed = defineRule({
  id: 'nodeclaim-launch-failed',
  title: 'Karpenter cannot launch nodes for a NodePool',
  meaning:
    'Karpenter (or EKS Auto Mode) keeps failing to launch NodeClaims for a NodePool: insufficient capacity for its instance types (the NodeClaim is deleted and only its InsufficientCapacityError event is left), a NodeClass that is not ready, or another launch error (Launched=False, LaunchFailed). One alert per NodePool with the newest error and the count of the window; Pending pods waiting for that capacity are told under it. The Karpenter twin of asg-activity-failed.',
  action:
    "Read the launch error (evidence): insufficient capacity → allow more instance types, sizes, zones or capacity types in the NodePool's requirements; NodeClass not ready → fix its subnets, security groups, AMI or IAM role; quota → request an increase.",
  sources: KARPENTER_SOURCES,
  meta: true,
  defaults: { severity: 'warning', for: '5m', window: '15m', minFailures: 2 },
  params: { window: param.duration(), minFailures: param.count(1, 1000) },
  threshold: (p) =>
    `${p.minFailures}+ failed launches of a NodePool within ${Math.round(p.window / 60_000)} min, or a NodeClaim with Launched=False`,
  evaluate(ctx, s, prior) {
    const failing = new Set(
      (ctx.kube?.karpenter?.nodeClaims ?? [])
        .filter((nc) => !leaving(nc) && conditionOf(nc, NODECLAIM.launched)?.status === 'False')
        .map((nc) => nc.nodePool),
    );
    const pending = pendingStory(prior);
    return troubles(ctx, 'launch', ctx.now - s.params.window)
      .filter(([pool, ts]) => ts.length >= s.params.minFailures || failing.has(pool))
      .map(([pool, ts]): Draft => {
        const last = ts[ts.length - 1];
        return poolStory(ctx, pool, ts, s.severity, pending, {
          summary: `${poolText(ctx, pool)} cannot launch nodes: ${ts.length} NodeClaims failed in ${Math.round(s.params.window / 60_000)} min${pending.length ? ` while pods are Pending` : ''}; last: ${truncate(last.message || last.reason, 200)}`,
          evidence: {
            nodePool: pool,
            failedLaunches: ts.length,
            lastNodeClaim: last.nodeClaim,
            reason: last.reason,
            message: truncate(last.message, 400),
            lastFailed: at(last.seen),
            ...(ts.some((x) => x.instanceType)
              ? { instanceTypes: listSome([...new Set(ts.flatMap((x) => x.instanceType ?? []))], 5) }
              : {}),
            pendingPods: ctx.kube?.pendingPods.length ?? 0,
            ...poolLimitsEvidence(ctx, pool),
          },
        });
      });
  },
});

export const nodeClaimNotReady = defineRule({
  id: 'nodeclaim-not-ready',
  title: 'Karpenter nodes launched but never Ready',
  meaning:
    'A NodeClaim of a NodePool was launched (its instance runs and is billed) but its node did not register or become Ready within a time a healthy launch never takes (bootstrap, IAM role or access entry, networking to the API server, a startup taint never removed). Karpenter deletes a NodeClaim that does not register within 15 minutes and tries again, so the alert is per NodePool and remembers them. The Karpenter twin of instance-without-node.',
  action:
    "Check the instance's console output and the node's bootstrap (user data, kubelet log), the node role's access entry (or aws-auth), the subnets' route to the API server and the NodeClass; `kubectl describe nodeclaim` shows which step it stopped at.",
  sources: KARPENTER_SOURCES,
  meta: true,
  defaults: { severity: 'warning', for: '0', notReadyAfter: '10m', window: '30m' },
  params: { notReadyAfter: param.duration(), window: param.duration() },
  threshold: (p) =>
    `a NodeClaim launched and not Ready after ${Math.round(p.notReadyAfter / 60_000)} min, per NodePool (remembered ${Math.round(p.window / 60_000)} min)`,
  evaluate(ctx, s, prior) {
    const pending = pendingStory(prior);
    return troubles(ctx, 'not-ready', ctx.now - s.params.window)
      .map(([pool, ts]): [string, NodeClaimTrouble[]] => [pool, ts.filter((x) => x.seen - x.t >= s.params.notReadyAfter)])
      .filter(([, ts]) => ts.length > 0)
      .map(([pool, ts]): Draft => {
        const last = ts[ts.length - 1];
        return poolStory(ctx, pool, ts, s.severity, pending, {
          summary: `${poolText(ctx, pool)}: NodeClaim ${last.nodeClaim}${last.instanceId ? ` (${last.instanceId})` : ''} launched ${Math.round((last.seen - last.t) / 60_000)} min ago and not ${last.reason}${ts.length > 1 ? ` (${ts.length} NodeClaims in ${Math.round(s.params.window / 60_000)} min)` : ''}`,
          evidence: {
            nodePool: pool,
            nodeClaims: listSome(
              ts.map((x) => x.nodeClaim),
              5,
            ),
            notReached: last.reason,
            message: truncate(last.message, 300),
            created: at(last.t),
            ...(last.instanceId ? { instanceId: last.instanceId } : {}),
            ...(last.instanceType ? { instanceType: last.instanceType } : {}),
            ...(last.node ? { node: last.node } : {}),
            ...registrationEvidence(ctx, pool),
          },
          ...(last.node ? { nodes: [last.node] } : {}),
        });
      });
  },
});

export const nodeClaimDisruptionBlocked = defineRule({
  id: 'nodeclaim-disruption-blocked',
  title: 'Karpenter disruption blocked for long',
  meaning:
    'NodeClaims of a NodePool have been Drifted (their NodePool or NodeClass changed: a new AMI, a security fix) for hours and Karpenter has not replaced them: a disruption budget allows 0 nodes (now, or in every window), or pods with karpenter.sh/do-not-disrupt or PodDisruptionBudgets that allow no eviction keep them. Information: nothing is down, but the nodes run an outdated configuration. Expiry (expireAfter) is forceful in Karpenter v1 and not blocked this way.',
  action:
    "Read the NodePool's budgets (evidence) and `kubectl get events --field-selector reason=DisruptionBlocked`; open a budget window, or find the pods with karpenter.sh/do-not-disrupt or a PodDisruptionBudget with no allowed disruptions; set spec.template.spec.terminationGracePeriod to bound how long a drain may be blocked.",
  sources: { agent: true, resources: ['karpenter'] },
  defaults: { severity: 'info', for: '0', blockedFor: '6h' },
  params: { blockedFor: param.duration() },
  threshold: (p) => `NodeClaims Drifted for ${Math.round(p.blockedFor / 3_600_000)} h and not being replaced, per NodePool`,
  evaluate(ctx, s) {
    const k = ctx.kube?.karpenter;
    if (!k) return [];
    const byPool = new Map<string, { name: string; since: number; node?: string }[]>();
    for (const nc of k.nodeClaims) {
      const drifted = conditionOf(nc, NODECLAIM.drifted);
      if (!nc.nodePool || drifted?.status !== 'True' || leaving(nc)) continue;
      const since = drifted.since ?? ctx.now;
      if (ctx.now - since < s.params.blockedFor) continue;
      byPool.set(nc.nodePool, [
        ...(byPool.get(nc.nodePool) ?? []),
        { name: nc.name, since, ...(nc.nodeName ? { node: nc.nodeName } : {}) },
      ]);
    }
    return [...byPool].map(([pool, ncs]): Draft => {
      const oldest = Math.min(...ncs.map((x) => x.since));
      const budgets = nodePoolOf(ctx, pool)?.budgets ?? [];
      const zero = budgets.filter((b) => b.nodes === '0' || b.nodes === '0%');
      const blocked = blockedMessages(
        ctx,
        ncs.flatMap((x) => (x.node ? [x.name, x.node] : [x.name])),
      );
      return {
        subject: poolSubject(ctx, pool),
        severity: s.severity,
        summary: `${poolText(ctx, pool)}: ${ncs.length} drifted NodeClaims not replaced for ${Math.round((ctx.now - oldest) / 3_600_000)} h${zero.length ? ` (a budget allows 0 nodes: ${budgetText(zero[0])})` : blocked[0] ? ` (${truncate(blocked[0], 120)})` : ''}`,
        evidence: {
          nodePool: pool,
          driftedNodeClaims: listSome(
            ncs.map((x) => x.name),
            5,
          ),
          driftedSince: at(oldest),
          budgets: budgets.length ? budgets.map(budgetText).join('; ') : "none (Karpenter's default: 10%)",
          ...(blocked.length ? { disruptionBlocked: truncate(blocked.join(' | '), 400) } : {}),
        },
        since: oldest,
      };
    });
  },
});

/** The NodePool's own verdict, when Karpenter says its launches do not register (`NodeRegistrationHealthy=False`). */
function registrationEvidence(ctx: EvaluationContext, pool: string): Record<string, string> {
  const c = nodePoolOf(ctx, pool) && conditionOf(nodePoolOf(ctx, pool)!, 'NodeRegistrationHealthy');
  return c?.status === 'False' ? { nodePoolRegistration: truncate(`${c.reason ?? 'False'}: ${c.message ?? ''}`, 300) } : {};
}

/** What Karpenter's `DisruptionBlocked` events of this minute say about these NodeClaims or their nodes. */
function blockedMessages(ctx: EvaluationContext, names: readonly string[]): string[] {
  const wanted = new Set(names);
  return [
    ...new Set((ctx.kube?.events ?? []).filter((e) => e.reason === 'DisruptionBlocked' && wanted.has(e.objectName)).map((e) => e.message)),
  ];
}

/**
 * Rules about containers, kept per workload and container name (`namespace`, `Kind/name`, container) so an
 * alert survives pod churn: the silent memory leak (OOM kills and restarts over 24 h), crash loops, waiting
 * containers, memory near the limit, and containers without memory requests on nodes short of memory.
 */
import type { Subject } from '../../../model/domain';
import { workloadName } from '../../../model/domain';
import { isActive, nodeSubject, watchedNodes, type EvaluationContext } from '../context';
import { NEAR_LIMIT_FLOOR_PCT, scan, type ContainerHit } from '../scan';
import { DAY_MS } from '../../../model/time';
import { nodeOutOfMemoryAt, restartKey, restartsWithin, type RestartEvent } from '../memory';
import { utc as at } from '../../../model/time';
import { distinct, listSome, MiB, namespaceAllowed, pct, round1, toMiB } from './common';
import { defineRule, param, type Draft } from './types';

/** Groups containers by workload and container name. */
export function byContainer<H extends ContainerHit>(hits: readonly H[]): Map<string, H[]> {
  const out = new Map<string, H[]>();
  for (const h of hits) {
    const key = restartKey(h.pod.namespace, h.pod.workload, h.container.name);
    const list = out.get(key);
    if (list) list.push(h);
    else out.set(key, [h]);
  }
  return out;
}

export function containerSubject(ctx: EvaluationContext, key: string): Subject {
  const [namespace, kind, name, container] = key.split('/');
  return { cluster: ctx.cluster, namespace, workload: `${kind}/${name}`, container };
}

/** The container's current limit and the largest working set among its pods, for evidence. */
function currentMemory(ctx: EvaluationContext, key: string): Record<string, number> {
  const cut = key.lastIndexOf('/');
  let limit: number | undefined;
  let ws = 0;
  for (const { pod } of scan(ctx).byWorkload.get(key.slice(0, cut)) ?? []) {
    const c = pod.containers.find((x) => x.name === key.slice(cut + 1));
    limit ??= c?.limits.memoryBytes;
    ws = Math.max(ws, c?.usage?.memoryWorkingSetBytes ?? 0);
  }
  return { ...(limit ? { memoryLimitMiB: toMiB(limit) } : {}), ...(ws ? { workingSetMiB: toMiB(ws) } : {}) };
}

const count = (events: readonly RestartEvent[], reason?: string) =>
  events.filter((e) => !reason || e.reason === reason).reduce((a, e) => a + e.count, 0);

/**
 * OOM kills split by cause: at the container's own memory limit (a leak, or a limit too low), or by the kernel
 * because its node ran out of memory (a SystemOOM event or MemoryPressure on that node then, or a container
 * with no limit at all: nothing but the node can have killed it). `how` names the node's signal.
 */
function oomKills(
  ctx: EvaluationContext,
  key: string,
  events: readonly RestartEvent[],
): { atLimit: number; nodeOut: number; how?: string; node?: string } {
  const limited = currentMemory(ctx, key).memoryLimitMiB !== undefined;
  let atLimit = 0;
  let nodeOut = 0;
  let how: string | undefined;
  let node: string | undefined;
  for (const e of events) {
    if (e.reason !== 'OOMKilled') continue;
    const signal = e.node ? nodeOutOfMemoryAt(ctx.memory, e.node, e.t) : undefined;
    if (signal || !limited) {
      nodeOut += e.count;
      how = signal ?? 'no memory limit';
      node = e.node ?? node;
    } else atLimit += e.count;
  }
  return { atLimit, nodeOut, how, node };
}

const NODE_OOM_RUNBOOK =
  'Its node ran out of memory; the container was not over its own limit, so raising the limit will not help. Set memory requests that match real use on the pods of that node (those without requests first) so the scheduler stops overpacking it, or give the node group more memory.';

/** "when node X ran out of memory (SystemOOM)" */
const nodeOutText = (k: { how?: string; node?: string }) => `when ${k.node ? `node ${k.node}` : 'its node'} ran out of memory (${k.how})`;

export const containersWithoutMemoryRequests = defineRule({
  id: 'containers-without-memory-requests',
  title: 'Containers without memory requests on a node short of memory',
  meaning:
    'A node is short of memory and runs containers without a memory request (the scheduler thinks they need nothing, so it packs more pods onto the node) or without a limit (they can grow until the node evicts). These are the first evicted and the reason the next node fills up when they move.',
  action:
    'Set memory requests (close to real use) and limits on the listed containers; a LimitRange with defaults per namespace catches the next ones.',
  sources: { agent: true, resources: ['pods'] },
  goneWithNode: true,
  defaults: { severity: 'warning', for: '5m', nodeMemoryUsedPct: 85, requireMissingRequest: false, minWorkingSetMiB: 128 },
  params: { nodeMemoryUsedPct: param.pct(), requireMissingRequest: param.bool(), minWorkingSetMiB: param.count(0, 1_000_000) },
  threshold: (p) =>
    `node memory working set ≥ ${p.nodeMemoryUsedPct}% of allocatable (or MemoryPressure) and containers ${p.requireMissingRequest ? 'without requests' : 'without requests or limits'} using ${p.minWorkingSetMiB}+ MiB`,
  evaluate(ctx, s) {
    const out: Draft[] = [];
    for (const n of watchedNodes(ctx)) {
      const alloc = n.summary.allocatable.memoryBytes;
      const ws = n.kube?.stats?.memoryWorkingSetBytes ?? n.summary.memoryWorkingSetBytes;
      const pressure = (n.kube?.node.conditions ?? []).some((c) => c.type === 'MemoryPressure' && c.status === 'True');
      const usedPct = alloc && ws !== undefined ? pct(ws, alloc) : undefined;
      if (!pressure && (usedPct === undefined || usedPct < s.params.nodeMemoryUsedPct)) continue;
      const offenders = (n.kube?.pods ?? [])
        .filter((p) => isActive(p) && namespaceAllowed(s, p.namespace))
        .flatMap((p) =>
          p.containers
            .filter((c) => c.requests.memoryBytes === undefined || (!s.params.requireMissingRequest && c.limits.memoryBytes === undefined))
            .map((c) => ({ p, c })),
        )
        // Small system agents (aws-node, kube-proxy) are not what fills a node: only what is large enough to matter.
        .filter((o) => (o.c.usage?.memoryWorkingSetBytes ?? 0) >= s.params.minWorkingSetMiB * MiB)
        .sort((a, b) => (b.c.usage?.memoryWorkingSetBytes ?? 0) - (a.c.usage?.memoryWorkingSetBytes ?? 0));
      if (offenders.length === 0) continue;
      const noRequest = offenders.filter((o) => o.c.requests.memoryBytes === undefined).length;
      const noLimit = offenders.filter((o) => o.c.limits.memoryBytes === undefined).length;
      const used = offenders.reduce((a, o) => a + (o.c.usage?.memoryWorkingSetBytes ?? 0), 0);
      const describe = (o: (typeof offenders)[number]) =>
        `${o.p.namespace}/${o.p.name}/${o.c.name} ${toMiB(o.c.usage?.memoryWorkingSetBytes ?? 0)} MiB (${[o.c.requests.memoryBytes === undefined && 'no request', o.c.limits.memoryBytes === undefined && 'no limit'].filter(Boolean).join(', ')})`;
      out.push({
        subject: nodeSubject(ctx, n),
        severity: s.severity,
        summary: `Node ${n.name} is short of memory (${pressure ? 'MemoryPressure' : `${usedPct}% of allocatable used`}) and runs ${offenders.length} containers without memory requests or limits: ${listSome(offenders.map(describe), 3)}`,
        evidence: {
          ...(usedPct !== undefined ? { nodeMemoryUsedPct: usedPct } : {}),
          containersWithoutRequest: noRequest,
          containersWithoutLimit: noLimit,
          theirWorkingSetMiB: toMiB(used),
          largest: describe(offenders[0]),
        },
        nodes: [n.name],
      });
    }
    return out;
  },
});

export const containerMemoryNearLimit = defineRule({
  id: 'container-memory-near-limit',
  title: 'Container memory near its limit',
  meaning:
    "A container's memory working set is close to its limit: the kernel OOM-kills it when it reaches the limit. Often the first sign of a leak.",
  action:
    'Compare the working set over time (dashboard, workload view): a steady climb is a leak to fix; a stable high level needs a higher limit (and request).',
  sources: { agent: true, resources: ['pods'] },
  defaults: { severity: 'warning', for: '15m', usedPct: 90 },
  params: { usedPct: param.number(NEAR_LIMIT_FLOOR_PCT, 100) },
  threshold: (p) => `working set ≥ ${p.usedPct}% of the memory limit`,
  evaluate(ctx, s) {
    const groups = byContainer(scan(ctx).nearLimit.filter((h) => h.usedPct >= s.params.usedPct));
    return [...groups].map(([key, hits]) => {
      const top = hits.reduce((a, b) => (b.usedPct > a.usedPct ? b : a));
      return {
        subject: containerSubject(ctx, key),
        severity: s.severity,
        summary: `Container ${top.container.name} of ${top.pod.namespace}/${workloadName(top.pod.workload)} uses ${round1(top.usedPct)}% of its ${toMiB(top.container.limits.memoryBytes!)} MiB memory limit${hits.length > 1 ? ` (${hits.length} pods above ${s.params.usedPct}%)` : ` (pod ${top.pod.name})`}`,
        evidence: {
          usedPct: round1(top.usedPct),
          workingSetMiB: toMiB(top.container.usage?.memoryWorkingSetBytes ?? 0),
          memoryLimitMiB: toMiB(top.container.limits.memoryBytes!),
          podsNearLimit: hits.length,
          pod: top.pod.name,
        },
        nodes: distinct(hits.map((h) => h.node).filter((x): x is string => x !== undefined)),
      };
    });
  },
});

export const containerOomKilled = defineRule({
  id: 'container-oom-killed',
  title: 'Container OOM-killed',
  meaning:
    "A container was OOM-killed (exit 137) and restarted: at its own memory limit, or by the kernel because its node ran out of memory (a SystemOOM event or MemoryPressure on the node then, or a container without a limit); the message says which, and the advice follows. Kubernetes restarts it silently; this is the alert that makes it visible. Announced once per container: further kills within an hour of the last one extend it without a new message (repeated kills are the restarts alert's), and after a quiet hour it ends.",
  action:
    "Check the container's memory against its limit (evidence) and its trend: raise the limit if the workload needs it, or fix the leak; the restarts alert follows repeated kills over 24 h.",
  sources: { agent: true, resources: ['pods'] },
  event: true,
  defaults: { severity: 'warning', for: '0', resolveAfter: '1h', renotifyEvery: '0' },
  params: {},
  threshold: () => 'any OOMKilled termination',
  // Its message counts the kills of the last 24 h.
  needs: () => ({ restartWindowMs: DAY_MS }),
  evaluate(ctx, s) {
    const fresh = new Map<string, RestartEvent[]>();
    for (const { key, event } of ctx.fresh.restarts) if (event.reason === 'OOMKilled') fresh.set(key, [...(fresh.get(key) ?? []), event]);
    return [...fresh].map(([key, events]) => {
      const last = events[events.length - 1];
      const subject = containerSubject(ctx, key);
      const day = restartsWithin(ctx.memory.restarts[key], ctx.now - DAY_MS);
      const kills = oomKills(ctx, key, [last]);
      const nodeOut = kills.nodeOut > 0;
      return {
        subject,
        severity: s.severity,
        summary: `Container ${subject.container} of ${subject.namespace}/${subject.workload} was OOM-killed ${nodeOut ? nodeOutText(kills) : 'at its memory limit'} (pod ${last.pod}${last.node ? ` on ${last.node}` : ''}); ${count(day, 'OOMKilled')} OOM kills in 24 h`,
        evidence: {
          oomKills: count(events),
          oomKills24h: count(day, 'OOMKilled'),
          killedBy: nodeOut ? `node out of memory (${kills.how})` : 'its memory limit',
          pod: last.pod,
          ...(last.node ? { node: last.node } : {}),
          killedAt: at(last.t),
          ...currentMemory(ctx, key),
        },
        ...(nodeOut ? { runbook: NODE_OOM_RUNBOOK } : {}),
        since: last.t,
        nodes: distinct(events.map((e) => e.node).filter((x): x is string => x !== undefined)),
      };
    });
  },
});

export const containerRestarts = defineRule({
  id: 'container-restarts',
  title: 'Container restarting (silent leak)',
  meaning:
    "A container restarted several times in the window, at least once OOM-killed: the memory leak Kubernetes hides by restarting it a few times a day. The upstream crash-loop alert never fires for it (it needs 15 minutes of CrashLoopBackOff). Kills because the node ran out of memory (SystemOOM, MemoryPressure) are told as such, with advice about requests instead of the leak's.",
  action:
    "Look at the container's memory over the last day (workload dashboard): a saw-tooth up to the limit is a leak to fix in the application; meanwhile raise the limit to space out the kills.",
  sources: { agent: true, resources: ['pods'] },
  defaults: { severity: 'warning', for: '0', restarts: 3, window: '24h', requireOomKilled: true },
  params: { restarts: param.count(1, 100_000), window: param.duration(), requireOomKilled: param.bool() },
  threshold: (p) =>
    `${p.restarts}+ restarts in ${Math.round(p.window / 3_600_000)} h${p.requireOomKilled ? ', at least one OOMKilled' : ''}`,
  needs: (s) => ({ restartWindowMs: s.params.window }),
  // The OOM kills are what its restarts are made of: told with them.
  inhibits: [{ target: { rule: 'container-oom-killed' }, equal: ['namespace', 'workload', 'container'], story: true }],
  evaluate(ctx, s) {
    const out: Draft[] = [];
    for (const [key, r] of Object.entries(ctx.memory.restarts)) {
      const events = restartsWithin(r, ctx.now - s.params.window);
      const total = count(events);
      const oom = count(events, 'OOMKilled');
      if (total < s.params.restarts || (s.params.requireOomKilled && oom === 0)) continue;
      const subject = containerSubject(ctx, key);
      const last = events[events.length - 1];
      const kills = oomKills(ctx, key, events);
      // Every kill the node's doing: not a leak, a node that ran out of memory.
      const nodeOnly = kills.nodeOut > 0 && kills.atLimit === 0;
      const why = nodeOnly
        ? `${oom} OOM-killed ${nodeOutText(kills)}, not at its own limit`
        : kills.nodeOut
          ? `${oom} OOMKilled: ${kills.atLimit} at its limit, ${kills.nodeOut} ${nodeOutText(kills)}`
          : `${oom} OOMKilled`;
      out.push({
        subject,
        severity: s.severity,
        summary: `Container ${subject.container} of ${subject.namespace}/${subject.workload} restarted ${total} times in ${Math.round(s.params.window / 3_600_000)} h (${why}), last at ${at(last.t)} (${last.reason})`,
        evidence: {
          restarts: total,
          oomKilled: oom,
          ...(oom ? { oomKilledAtLimit: kills.atLimit, oomKilledNodeOutOfMemory: kills.nodeOut } : {}),
          pods: distinct(events.map((e) => e.pod)).length,
          lastRestart: at(last.t),
          lastReason: last.reason,
          ...currentMemory(ctx, key),
        },
        since: events[0].t,
        nodes: distinct(events.map((e) => e.node).filter((x): x is string => x !== undefined)),
        ...(nodeOnly ? { runbook: NODE_OOM_RUNBOOK } : {}),
      });
    }
    return out;
  },
});

export const containerCrashLooping = defineRule({
  id: 'container-crash-looping',
  title: 'Container crash-looping',
  meaning:
    'A container keeps failing: it is in CrashLoopBackOff, or restarted several times within minutes (a crash loop alternates between running and back-off, so both count).',
  action:
    "Read the previous container's logs (`kubectl logs --previous`) and its last exit code (evidence); roll back the last change if it started with a deploy.",
  sources: { agent: true, resources: ['pods'] },
  defaults: { severity: 'warning', for: '10m', restarts: 2, window: '10m' },
  params: { restarts: param.count(1, 100_000), window: param.duration() },
  threshold: (p) => `CrashLoopBackOff, or ${p.restarts}+ restarts in ${Math.round(p.window / 60_000)} min`,
  inhibits: [
    { target: { rule: 'container-oom-killed' }, equal: ['namespace', 'workload', 'container'], story: true },
    // A workload whose containers crash or cannot start is short of replicas: that is what those alerts say.
    { target: { rule: 'workload-replicas-unavailable' }, equal: ['namespace', 'workload'], story: true, tells: 'worse' },
  ],
  evaluate(ctx, s) {
    const waiting = byContainer(scan(ctx).waiting.filter((h) => h.container.waitingReason === 'CrashLoopBackOff'));
    const keys = new Set(waiting.keys());
    for (const [key, r] of Object.entries(ctx.memory.restarts))
      if (count(restartsWithin(r, ctx.now - s.params.window)) >= s.params.restarts) keys.add(key);
    return [...keys].map((key) => {
      const subject = containerSubject(ctx, key);
      const recent = restartsWithin(ctx.memory.restarts[key], ctx.now - s.params.window);
      const hits = waiting.get(key) ?? [];
      const last = recent[recent.length - 1];
      const term = hits[0]?.container.lastTermination;
      return {
        subject,
        severity: s.severity,
        summary: `Container ${subject.container} of ${subject.namespace}/${subject.workload} is crash-looping${hits.length ? ` (${hits.length} pods in CrashLoopBackOff)` : ''}: ${count(recent)} restarts in ${Math.round(s.params.window / 60_000)} min${last ? `, last ${last.reason}${last.exitCode !== undefined ? ` (exit ${last.exitCode})` : ''}` : ''}`,
        evidence: {
          podsInBackOff: hits.length,
          restartsInWindow: count(recent),
          ...(last ? { lastReason: last.reason } : term ? { lastReason: term.reason } : {}),
          ...((last?.exitCode ?? term?.exitCode) !== undefined ? { exitCode: (last?.exitCode ?? term?.exitCode)! } : {}),
          pod: hits[0]?.pod.name ?? last?.pod ?? '',
        },
        nodes: distinct([...hits.map((h) => h.node), ...recent.map((e) => e.node)].filter((x): x is string => x !== undefined)),
      };
    });
  },
});

export const containerWaiting = defineRule({
  id: 'container-waiting',
  title: 'Container cannot start',
  meaning:
    'A container is stuck waiting with a reason that does not fix itself: the image cannot be pulled (ImagePullBackOff, ErrImagePull, InvalidImageName) or its configuration is wrong (CreateContainerConfigError: a missing Secret or ConfigMap key).',
  action:
    "Read the reason and the pod's events (`kubectl describe pod`): fix the image name or tag, the registry credentials or the missing Secret/ConfigMap.",
  sources: { agent: true, resources: ['pods'] },
  defaults: {
    severity: 'warning',
    for: '10m',
    reasons: [
      'ImagePullBackOff',
      'ErrImagePull',
      'InvalidImageName',
      'CreateContainerConfigError',
      'CreateContainerError',
      'RunContainerError',
    ],
  },
  params: { reasons: param.strings() },
  threshold: (p) => `waiting with ${p.reasons.join(', ')}`,
  // A workload whose containers cannot start is short of replicas: that is what this alert says.
  inhibits: [{ target: { rule: 'workload-replicas-unavailable' }, equal: ['namespace', 'workload'], story: true, tells: 'worse' }],
  evaluate(ctx, s) {
    const groups = byContainer(
      scan(ctx).waiting.filter((h) => h.container.waitingReason !== undefined && s.params.reasons.includes(h.container.waitingReason)),
    );
    return [...groups].map(([key, hits]) => {
      const subject = containerSubject(ctx, key);
      const reasons = distinct(hits.map((h) => h.container.waitingReason!));
      return {
        subject,
        severity: s.severity,
        summary: `Container ${subject.container} of ${subject.namespace}/${subject.workload} cannot start: ${reasons.join(', ')} (${hits.length} pods, image ${hits[0].container.image})`,
        evidence: { reason: reasons.join(', '), pods: hits.length, pod: hits[0].pod.name, image: hits[0].container.image },
        // A container that never started has been waiting since its pod was created.
        since: hits.every((h) => h.container.startedAt === undefined && h.pod.createdAt !== undefined)
          ? Math.min(...hits.map((h) => h.pod.createdAt!))
          : undefined,
        nodes: distinct(hits.map((h) => h.node).filter((x): x is string => x !== undefined)),
      };
    });
  },
});

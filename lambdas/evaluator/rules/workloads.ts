/** Rules about pods and workloads: Pending pods, evictions, unavailable replicas, Warning events, peer outliers. */
import { z } from 'zod';
import type { Container, KubeEvent, Pod, Subject } from '../../../model/domain';
import { workloadName } from '../../../model/domain';
import {
  containerSample,
  imageName,
  matchesSelector,
  parseSelector,
  peerFieldProblem,
  peerOutliers,
  SelectorError,
  type ContainerSample,
  type PeerField,
  type PeerMetric,
} from '../../../model/selector';
import { isActive, type EvaluationContext, type NodeView } from '../context';
import { scan } from '../scan';
import { utc as at } from '../../../model/time';
import { distinct, escalated, listSome, namespaceAllowed, round1, toMiB, truncate } from './common';
import { defineRule, param, type Draft } from './types';
import { REMOVAL_EVENT_REASONS } from '../removals';
import { LAUNCH_FAILURE_EVENTS } from '../nodeclaims';

/** Nodes running pods of a workload, for inhibition. */
function workloadNodes(ctx: EvaluationContext, namespace: string, workload: string): string[] {
  return distinct(
    ctx.pods.filter((x) => x.pod.namespace === namespace && workloadName(x.pod.workload) === workload).map((x) => x.node.name),
  );
}

export const podsPending = defineRule({
  id: 'pods-pending',
  title: 'Pods pending',
  meaning:
    'Pods of a workload cannot be scheduled (FailedScheduling: insufficient CPU or memory, no node matching their selectors, taints, volume zones): the workload runs short.',
  action:
    "Read the scheduler's message (evidence, or `kubectl describe pod`): add capacity, relax the requests or constraints, or fix the volume/zone mismatch.",
  sources: { agent: true, resources: ['pods'] },
  defaults: { severity: 'warning', for: '10m' },
  params: {},
  threshold: () => 'unscheduled pods, per workload',
  evaluate(ctx, s) {
    const groups = new Map<string, NonNullable<typeof ctx.kube>['pendingPods'][number][]>();
    for (const p of ctx.kube?.pendingPods ?? []) {
      const key = `${p.namespace}/${workloadName(p.workload)}`;
      groups.set(key, [...(groups.get(key) ?? []), p]);
    }
    return [...groups.values()].map((pods): Draft => {
      const p = pods[0];
      const withMessage = pods.find((x) => x.message) ?? p;
      return {
        subject: { cluster: ctx.cluster, namespace: p.namespace, workload: workloadName(p.workload) },
        severity: s.severity,
        summary: `${pods.length} pods of ${p.namespace}/${workloadName(p.workload)} are Pending${withMessage.message ? `: ${truncate(withMessage.message, 200)}` : ''}`,
        evidence: {
          pendingPods: pods.length,
          pod: p.name,
          ...(withMessage.reason ? { reason: withMessage.reason } : {}),
          ...(withMessage.message ? { message: truncate(withMessage.message, 300) } : {}),
          ...(p.requests.cpuMilli ? { cpuRequestMilli: p.requests.cpuMilli } : {}),
          ...(p.requests.memoryBytes ? { memoryRequestMiB: toMiB(p.requests.memoryBytes) } : {}),
        },
        since: Math.min(...pods.map((x) => x.since ?? ctx.now)),
      };
    });
  },
});

export const podEvictions = defineRule({
  id: 'pod-evictions',
  title: 'Pods evicted',
  meaning:
    'The kubelet evicted pods from a node to reclaim memory, disk or PIDs (node-pressure eviction ignores PodDisruptionBudgets). Many evictions in a short time are critical: pressure is spreading.',
  action:
    "See the reclaimed resource in the message (evidence) and the node's pressure alerts; set requests/limits on the offending pods and add capacity if several nodes are affected.",
  sources: { agent: true, resources: ['pods'] },
  event: true,
  defaults: { severity: 'warning', for: '0', resolveAfter: '30m', renotifyEvery: '0', criticalCount: 5, criticalWindow: '10m' },
  params: { criticalCount: param.count(0, 100_000), criticalWindow: param.duration() },
  threshold: (p) => `any eviction; critical on ${p.criticalCount}+ in ${Math.round(p.criticalWindow / 60_000)} min in the cluster`,
  evaluate(ctx, s) {
    const allowed = (ns: string | undefined) => ns === undefined || namespaceAllowed(s, ns);
    const recent = Object.values(ctx.memory.evictions).filter(
      (e) => e.t >= ctx.now - s.params.criticalWindow && allowed(e.namespace),
    ).length;
    const byNode = new Map<string, { pod: string; namespace?: string; message: string; t: number }[]>();
    for (const uid of ctx.fresh.evictions) {
      const e = ctx.memory.evictions[uid];
      if (!e || !allowed(e.namespace)) continue;
      byNode.set(e.node ?? '', [...(byNode.get(e.node ?? '') ?? []), e]);
    }
    return [...byNode].map(([node, evs]) => {
      const n = node ? ctx.nodeByName.get(node) : undefined;
      const subject: Subject = { cluster: ctx.cluster, ...(node ? { nodeGroup: n?.summary.nodeGroup, node } : {}) };
      return {
        subject,
        severity: escalated(s.severity, s.params.criticalCount > 0 && recent >= s.params.criticalCount),
        summary: `${evs.length} pods evicted${node ? ` from node ${node}` : ''} (${recent} in the cluster in ${Math.round(s.params.criticalWindow / 60_000)} min): ${truncate(evs[0].message, 160)}`,
        evidence: {
          evicted: evs.length,
          evictedInWindow: recent,
          pods: listSome(
            evs.map((e) => `${e.namespace ?? ''}/${e.pod}`),
            5,
          ),
          message: truncate(evs[0].message, 300),
        },
        since: Math.min(...evs.map((e) => e.t)),
        nodes: node ? [node] : undefined,
      };
    });
  },
});

const ROLLOUT_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

export const workloadReplicasUnavailable = defineRule({
  id: 'workload-replicas-unavailable',
  title: 'Workload replicas unavailable',
  meaning:
    'A Deployment, StatefulSet or DaemonSet has fewer available replicas than desired for longer than a rollout takes. With none available it is down (critical).',
  action:
    'Look at its pods (Pending, crash-looping, failing readiness probes: the other alerts say which) and at the last rollout (`kubectl rollout history`); roll back if the new version does not become ready.',
  sources: { agent: true, resources: ['workloads', 'pods'] },
  defaults: { severity: 'warning', for: '15m', criticalWhenNoneAvailable: true },
  params: { criticalWhenNoneAvailable: param.bool() },
  threshold: (p) => `available < desired${p.criticalWhenNoneAvailable ? '; critical when none is available' : ''}`,
  evaluate(ctx, s) {
    return (ctx.kube?.workloads ?? [])
      .filter((w) => ROLLOUT_KINDS.has(w.kind) && w.desired !== undefined && w.available !== undefined && w.available < w.desired)
      .map((w) => {
        const name = workloadName(w);
        return {
          subject: { cluster: ctx.cluster, namespace: w.namespace, workload: name },
          severity: escalated(s.severity, s.params.criticalWhenNoneAvailable && w.available === 0 && w.desired! > 0),
          summary: `${w.namespace}/${name} has ${w.available} of ${w.desired} replicas available (${w.readyPods} of ${w.pods} pods ready)`,
          evidence: { desired: w.desired!, available: w.available!, pods: w.pods, readyPods: w.readyPods, restarts: w.restarts },
          nodes: workloadNodes(ctx, w.namespace, name),
        };
      });
  },
});

/** The reasons the Warning-events digest leaves to other rules or that are noise on their own. */
/** Reasons other alerts tell: back-offs, evictions, scheduling, probes, and Karpenter's removal warnings (the capacity rules). */
export const WARNING_EVENTS_EXCLUDED = [
  'BackOff',
  'Evicted',
  'FailedScheduling',
  'Unhealthy',
  'ProbeWarning',
  'Killing',
  ...REMOVAL_EVENT_REASONS,
  ...LAUNCH_FAILURE_EVENTS,
];

/** Which events the Warning-events rule (and so the memory) tracks, from its parameters. */
function tracksEvent(p: { readonly includeReasons: readonly string[]; readonly excludeReasons: readonly string[] }, e: KubeEvent): boolean {
  if (p.includeReasons.length && !p.includeReasons.includes(e.reason)) return false;
  return !p.excludeReasons.includes(e.reason);
}

function eventSubject(ctx: EvaluationContext, e: KubeEvent): Subject {
  const base = { cluster: ctx.cluster, namespace: e.namespace, detail: e.reason };
  if (e.objectKind === 'Node') return { ...base, node: e.objectName };
  if (e.objectKind === 'Pod') return { ...base, pod: e.objectName };
  return { ...base, workload: `${e.objectKind}/${e.objectName}` };
}

export const warningEvents = defineRule({
  id: 'warning-events',
  title: 'Warning events',
  meaning:
    "Kubernetes Warning events (FailedMount, FailedCreatePodSandBox, SystemOOM, ContainerGCFailed…), reported once per object and reason when first seen and again (an update) when their count has at least doubled, at most every 15 minutes, grouped into the cluster's message. Reasons other alerts cover are left out.",
  action: 'Read the event message (evidence); `kubectl get events --field-selector involvedObject.name=<object>` shows its history.',
  sources: { agent: true, resources: ['events'] },
  event: true,
  defaults: {
    severity: 'info',
    for: '0',
    resolveAfter: '1h',
    renotifyEvery: '0',
    countJump: 10,
    includeReasons: [],
    excludeReasons: WARNING_EVENTS_EXCLUDED,
  },
  params: { countJump: param.count(1, 1_000_000), includeReasons: param.strings(), excludeReasons: param.strings() },
  threshold: (p) =>
    `first occurrence per object and reason, then when the count doubles (+${p.countJump} at least), at most every 15m; not ${p.excludeReasons.join(', ')}`,
  // Disabled, it tracks none: the memory keeps no marks for it.
  needs: (s) => ({ warningEvents: { countJump: s.params.countJump, track: (e) => s.enabled && tracksEvent(s.params, e) } }),
  evaluate(ctx, s) {
    return ctx.fresh.events
      .filter(({ event: e }) => tracksEvent(s.params, e) && (e.namespace === undefined || namespaceAllowed(s, e.namespace)))
      .map(({ event: e, jump }) => ({
        subject: eventSubject(ctx, e),
        severity: s.severity,
        summary: `${e.reason} on ${e.objectKind} ${e.namespace ? `${e.namespace}/` : ''}${e.objectName}${e.count > 1 ? ` (×${e.count})` : ''}: ${truncate(e.message, 200)}`,
        evidence: {
          reason: e.reason,
          count: e.count,
          message: truncate(e.message, 400),
          firstSeen: at(e.firstSeen),
          lastSeen: at(e.lastSeen),
          ...(e.source ? { source: e.source } : {}),
        },
        since: e.firstSeen,
        nodes: e.node ? [e.node] : undefined,
        renotify: jump,
        count: e.count,
      }));
  },
});

const PEER_GROUPING = z
  .array(
    z
      .string()
      .superRefine((field, c) => {
        const problem = peerFieldProblem(field);
        if (problem) c.addIssue({ code: 'custom', message: problem });
      })
      .transform((field) => field as PeerField),
  )
  .min(1)
  .max(6);
const PEER_METRICS = z
  .array(z.enum(['cpuMilli', 'memoryWorkingSetBytes']))
  .min(1)
  .max(2);
const SELECTOR = z
  .string()
  .max(1000)
  .superRefine((text, c) => {
    try {
      parseSelector(text);
    } catch (e) {
      if (e instanceof SelectorError) c.addIssue({ code: 'custom', message: e.message });
      else throw e;
    }
  });

export const peerOutlier = defineRule({
  id: 'peer-outlier',
  title: 'Container far above its peers',
  meaning:
    'A container uses much more CPU or memory than the average of its peer group (by default the other replicas of the same workload and container; configurable, e.g. same image and zone, or same value of a pod label with `label:<key>`): a stuck replica, a hot shard, a leak in one pod.',
  action:
    'Compare the outlier with its peers (the `vigil query` command lists the group); restart it if it is stuck, or look for uneven load (sharding, sticky sessions).',
  sources: { agent: true, resources: ['pods'] },
  defaults: {
    severity: 'info',
    for: '15m',
    thresholdPct: 100,
    groupBy: ['workload', 'container'],
    metrics: ['cpuMilli', 'memoryWorkingSetBytes'],
    minGroupSize: 3,
    selector: '',
    minCpuMilli: 100,
    minMemoryMiB: 128,
  },
  params: {
    thresholdPct: param.number(1, 100_000),
    groupBy: PEER_GROUPING,
    metrics: PEER_METRICS,
    minGroupSize: param.count(2, 100_000),
    selector: SELECTOR,
    minCpuMilli: param.count(0, 1_000_000),
    minMemoryMiB: param.count(0, 10_000_000),
  },
  threshold: (p) => `${p.thresholdPct}% above the average of its group (${p.groupBy.join('+')}, ${p.minGroupSize}+ members)`,
  evaluate(ctx, s) {
    const p = s.params;
    const selector = parseSelector(p.selector);
    const selective = Object.keys(selector.tags ?? {}).length + Object.keys(selector.labels ?? {}).length > 0;
    const metrics = p.metrics as PeerMetric[];
    const toSample = (pod: Pod, c: Container, node: NodeView): ContainerSample => containerSample(node.kube!, pod, c);
    // Peer groups never span two values of the first grouping field, so containers are partitioned by it
    // and each partition is compared on its own. A partition whose largest value is under the floor, or not
    // above its smallest by the threshold, cannot hold an outlier (every group's average is at least that
    // smallest value) and is skipped: in a steady cluster that is almost all of them.
    const first = p.groupBy[0];
    // The partition of a pod's containers, when it does not depend on the container (computed once per pod).
    const podPartition = (pod: Pod, node: NodeView): string | undefined =>
      first === 'workload'
        ? `${pod.namespace}/${pod.workload.kind}/${pod.workload.name}`
        : first === 'namespace'
          ? pod.namespace
          : first === 'zone'
            ? String(node.kube!.node.zone ?? '-')
            : first === 'nodeGroup'
              ? String(node.summary.nodeGroup ?? '-')
              : first.startsWith('label:')
                ? (pod.labels[first.slice(6)] ?? '-')
                : undefined;
    const partitionOf = (perPod: string | undefined, c: Container): string => perPod ?? (first === 'image' ? imageName(c.image) : c.name);
    const eligible = (pod: Pod) => isActive(pod) && namespaceAllowed(s, pod.namespace);
    // First pass: the range of each metric per partition, nothing else kept. Grouped by workload (the
    // default), the shared scan already has them.
    const fromScan = first === 'workload' && !selective;
    const ranges = new Map<string, { n: number; min: number[]; max: number[] }>();
    if (fromScan) {
      for (const [key, r] of scan(ctx).workloadRanges) {
        if (namespaceAllowed(s, r.namespace))
          ranges.set(key, { n: r.count, min: metrics.map((m) => r[m].min), max: metrics.map((m) => r[m].max) });
      }
    } else {
      for (const { pod, node } of ctx.pods) {
        if (!eligible(pod)) continue;
        const perPod = podPartition(pod, node);
        for (const c of pod.containers) {
          if (selective && !matchesSelector(toSample(pod, c, node), selector)) continue;
          const key = partitionOf(perPod, c);
          let r = ranges.get(key);
          if (!r) ranges.set(key, (r = { n: 0, min: metrics.map(() => Infinity), max: metrics.map(() => -Infinity) }));
          r.n++;
          for (let i = 0; i < metrics.length; i++) {
            const v = c.usage?.[metrics[i]];
            if (v === undefined) continue;
            if (v < r.min[i]) r.min[i] = v;
            if (v > r.max[i]) r.max[i] = v;
          }
        }
      }
    }
    const floors = metrics.map((m) => (m === 'cpuMilli' ? p.minCpuMilli : p.minMemoryMiB * 1024 * 1024));
    const possible = (r: { n: number; min: number[]; max: number[] }, i: number) =>
      r.n >= p.minGroupSize && r.max[i] >= floors[i] && r.max[i] > r.min[i] * (1 + p.thresholdPct / 100);
    const kept = new Set([...ranges].filter(([, r]) => metrics.some((_, i) => possible(r, i))).map(([k]) => k));
    // Second pass, only when some partition may hold an outlier: its containers as samples.
    const partitions = new Map<string, ContainerSample[]>();
    const add = (key: string, sample: ContainerSample) => {
      const list = partitions.get(key);
      if (list) list.push(sample);
      else partitions.set(key, [sample]);
    };
    if (fromScan) {
      for (const key of kept)
        for (const { pod, node } of scan(ctx).byWorkload.get(key) ?? []) for (const c of pod.containers) add(key, toSample(pod, c, node));
    } else if (kept.size) {
      for (const { pod, node } of ctx.pods) {
        if (!eligible(pod)) continue;
        const perPod = podPartition(pod, node);
        for (const c of pod.containers) {
          const key = partitionOf(perPod, c);
          if (!kept.has(key)) continue;
          const sample = toSample(pod, c, node);
          if (!selective || matchesSelector(sample, selector)) add(key, sample);
        }
      }
    }
    const out: Draft[] = [];
    metrics.forEach((metric, mi) => {
      const floor = floors[mi];
      const rows = [...partitions]
        .filter(([key]) => possible(ranges.get(key)!, mi))
        .flatMap(([, samples]) =>
          peerOutliers(samples, { groupBy: p.groupBy, metric, thresholdPct: p.thresholdPct, minGroupSize: p.minGroupSize }),
        );
      for (const r of rows) {
        if (!r.outlier || r.value < floor) continue;
        const fmt = (v: number) => (metric === 'cpuMilli' ? `${Math.round(v)}m CPU` : `${toMiB(v)} MiB`);
        out.push({
          subject: {
            cluster: ctx.cluster,
            namespace: r.namespace,
            workload: r.workload,
            pod: r.pod,
            container: r.container,
            detail: metric,
          },
          severity: s.severity,
          summary: `Container ${r.container} of pod ${r.namespace}/${r.pod} uses ${fmt(r.value)}, ${Math.round(r.abovePct)}% above its ${r.groupSize} peers' average (${fmt(r.groupAverage)})`,
          evidence: {
            metric: metric === 'cpuMilli' ? 'CPU' : 'memory',
            value: metric === 'cpuMilli' ? Math.round(r.value) : toMiB(r.value),
            groupAverage: metric === 'cpuMilli' ? Math.round(r.groupAverage) : toMiB(r.groupAverage),
            unit: metric === 'cpuMilli' ? 'millicores' : 'MiB',
            abovePct: round1(r.abovePct),
            groupSize: r.groupSize,
            group: r.group,
          },
          nodes: [r.node],
        });
      }
    });
    return out;
  },
});

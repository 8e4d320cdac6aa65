/**
 * The evaluator's CloudWatch metrics as Embedded Metric Format log lines: exactly the metrics of
 * `model/metrics.ts` (namespace, names, units, dimension sets), which the dashboards chart. One document
 * with the cluster dimension, one per node group (or NodePool) with cluster and node group, one per actor
 * that removed capacity since the previous evaluation. A figure Vigil cannot know this
 * time (the agent is silent, the collector failed) is left out rather than reported as 0, so a CloudWatch
 * alarm sees missing data, not a healthy value.
 */
import type { HostMetrics } from '../../model/domain';
import { METRICS, METRICS_NAMESPACE, type MetricKey } from '../../model/metrics';
import type { RemovalActor } from '../../model/removal';
import type { EpochMs } from '../../model/time';
import type { EvaluationContext } from './context';
import { analyzeHeadroom } from './headroom';
import { removalKind } from './removals';
import { round1 } from './rules/common';

type KeyOf<D> = { [K in MetricKey]: (typeof METRICS)[K]['dimensions'] extends D ? K : never }[MetricKey];
type ClusterKey = KeyOf<readonly ['Cluster']>;
type GroupKey = KeyOf<readonly ['Cluster', 'NodeGroup']>;

export interface EvaluationFigures {
  readonly cluster: string;
  readonly at: EpochMs;
  readonly values: Partial<Record<ClusterKey, number>>;
  readonly groups: readonly { readonly nodeGroup: string; readonly values: Partial<Record<GroupKey, number>> }[];
  /** Capacity removals since the previous evaluation, by actor (absent: none). */
  readonly removals: Partial<Record<RemovalActor, number>>;
}

export interface EmfDocument {
  readonly _aws: {
    readonly Timestamp: EpochMs;
    readonly CloudWatchMetrics: readonly {
      readonly Namespace: string;
      readonly Dimensions: readonly (readonly string[])[];
      readonly Metrics: readonly { readonly Name: string; readonly Unit: string }[];
    }[];
  };
  readonly [field: string]: unknown;
}

/** Nodes whose group is unknown (an unlabelled self-managed node) are reported under this name. */
export const UNGROUPED = 'ungrouped';
const PRESSURE = new Set(['MemoryPressure', 'DiskPressure', 'PIDPressure']);

/** The figures of one evaluation. */
export function figuresOf(
  ctx: EvaluationContext,
  alerts: { readonly firing: number; readonly critical: number },
  evaluationSeconds: number,
): EvaluationFigures {
  const values: Partial<Record<ClusterKey, number>> = {
    alertsFiring: alerts.firing,
    criticalAlertsFiring: alerts.critical,
    evaluationSeconds: Math.round(evaluationSeconds * 1000) / 1000,
  };
  if (ctx.heartbeat) values.agentSilenceSeconds = Math.max(0, Math.round((ctx.now - ctx.heartbeat.lastSeen) / 1000));
  if (ctx.cloud) values.collectorFailures = ctx.cloud.failures.length;
  const kube = ctx.kube;
  if (kube) {
    values.nodesReady = kube.nodes.filter((n) => n.ready === 'True').length;
    values.nodesNotReady = kube.nodes.length - values.nodesReady;
    values.nodesUnderPressure = kube.nodes.filter((n) => n.problems.some((p) => PRESSURE.has(p))).length;
    values.podsPending = kube.pendingPods.length;
    values.containerRestarts = ctx.fresh.restarts.reduce((a, r) => a + r.event.count, 0);
    values.oomKills = ctx.fresh.restarts.filter((r) => r.event.reason === 'OOMKilled').reduce((a, r) => a + r.event.count, 0);
    const h = analyzeHeadroom(ctx).headroomPct;
    if (h !== undefined) values.n1HeadroomPct = round1(h);
  }

  const groups = new Map<string, Partial<Record<GroupKey, number>>>();
  const group = (name: string) => groups.get(name) ?? groups.set(name, {}).get(name)!;
  if (ctx.cloud && !ctx.blind.services.has('autoscaling')) {
    for (const g of ctx.cloud.autoScalingGroups) {
      const v = group(g.nodeGroup ?? g.name);
      v.groupDesired = (v.groupDesired ?? 0) + g.desired;
      v.groupInService = (v.groupInService ?? 0) + g.inService;
      v.groupPending = (v.groupPending ?? 0) + g.pending;
    }
  }
  if (kube) {
    const byGroup = new Map<string, typeof kube.nodes>();
    for (const n of kube.nodes) byGroup.set(n.nodeGroup ?? UNGROUPED, [...(byGroup.get(n.nodeGroup ?? UNGROUPED) ?? []), n]);
    for (const [name, nodes] of byGroup) {
      const v = group(name);
      v.groupNodes = nodes.length;
      const sum = (f: (n: (typeof nodes)[number]) => number | undefined) => nodes.reduce((a, n) => a + (f(n) ?? 0), 0);
      const allocCpu = sum((n) => n.allocatable.cpuMilli);
      const allocMem = sum((n) => n.allocatable.memoryBytes);
      if (allocCpu > 0) v.groupCpuRequestedPct = round1((sum((n) => n.requested.cpuMilli) / allocCpu) * 100);
      if (allocMem > 0) v.groupMemoryRequestedPct = round1((sum((n) => n.requested.memoryBytes) / allocMem) * 100);
      const mean = (xs: number[]) => (xs.length ? round1(xs.reduce((a, b) => a + b, 0) / xs.length) : undefined);
      const cpu = mean(
        nodes.filter((n) => n.cpuMilli !== undefined && n.allocatable.cpuMilli).map((n) => (n.cpuMilli! / n.allocatable.cpuMilli!) * 100),
      );
      const mem = mean(
        nodes
          .filter((n) => n.memoryWorkingSetBytes !== undefined && n.allocatable.memoryBytes)
          .map((n) => (n.memoryWorkingSetBytes! / n.allocatable.memoryBytes!) * 100),
      );
      if (cpu !== undefined) v.groupNodeCpuPct = cpu;
      if (mem !== undefined) v.groupNodeMemoryPct = mem;
    }
  }
  if (ctx.hosts) {
    // The cluster's hosts only: the dashboards chart these rather than AWS/EC2, which has no cluster dimension.
    const byGroup = new Map<string, HostMetrics[]>();
    for (const h of ctx.hosts.values()) {
      const name = h.host.nodeGroup ?? h.host.autoScalingGroup ?? UNGROUPED;
      byGroup.set(name, [...(byGroup.get(name) ?? []), h.metrics]);
    }
    for (const [name, metrics] of byGroup) {
      const v = group(name);
      const cpu = metrics.flatMap((m) => (m.cpuPct === undefined ? [] : [m.cpuPct]));
      if (cpu.length) v.groupHostCpuPct = round1(cpu.reduce((a, b) => a + b, 0) / cpu.length);
      const checked = metrics.filter((m) => m.statusCheckFailed !== undefined);
      if (checked.length) v.groupHostsStatusCheckFailed = checked.filter((m) => m.statusCheckFailed! > 0).length;
    }
  }
  return {
    cluster: ctx.cluster,
    at: ctx.now,
    values,
    groups: [...groups].map(([nodeGroup, v]) => ({ nodeGroup, values: v })),
    removals: removalsByActor(ctx),
  };
}

/** Capacity removed since the previous evaluation, by actor: what the removal model recorded this time. */
export function removalsByActor(ctx: EvaluationContext): Partial<Record<RemovalActor, number>> {
  const out: Partial<Record<RemovalActor, number>> = {};
  for (const s of ctx.fresh.removals) {
    const { by } = removalKind(s);
    out[by] = (out[by] ?? 0) + 1;
  }
  return out;
}

function doc(at: EpochMs, dims: Record<string, string>, values: Partial<Record<MetricKey, number>>): EmfDocument | undefined {
  const keys = (Object.keys(METRICS) as MetricKey[]).filter((k) => values[k] !== undefined && Number.isFinite(values[k]));
  if (keys.length === 0) return undefined;
  return {
    _aws: {
      Timestamp: at,
      CloudWatchMetrics: [
        {
          Namespace: METRICS_NAMESPACE,
          Dimensions: [Object.keys(dims)],
          Metrics: keys.map((k) => ({ Name: METRICS[k].name, Unit: METRICS[k].unit })),
        },
      ],
    },
    ...dims,
    ...Object.fromEntries(keys.map((k) => [METRICS[k].name, values[k]])),
  };
}

/** The EMF documents of one evaluation, one JSON log line each. */
export function emfDocuments(f: EvaluationFigures): EmfDocument[] {
  return [
    doc(f.at, { Cluster: f.cluster }, f.values),
    ...f.groups.map((g) => doc(f.at, { Cluster: f.cluster, NodeGroup: g.nodeGroup }, g.values)),
    ...Object.entries(f.removals).map(([actor, n]) => doc(f.at, { Cluster: f.cluster, Actor: actor }, { capacityRemovals: n })),
  ].filter((d): d is EmfDocument => d !== undefined);
}

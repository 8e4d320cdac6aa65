/**
 * The record of a run, for its report: read back from the store (what Vigil itself stored, the same data
 * `vigil query` reads) plus the run's outline (a scenario's, or a watched cluster's) and the notifications
 * sent.
 */
import { awsEventSubject, awsEventText } from '../model/aws-event';
import type { VigilStore } from '../lambdas/store/store';
import { workloadName, type Subject } from '../model/domain';
import type { OutboxEntry } from '../sim/notify/outbox';
import type { ClusterPoint, HostSeries, NodeSeries, RunRecord, WorkloadSeries } from './report/run-record';

/** What the store does not hold: what ran, when, and what happened to it. */
export type RunOutline = Pick<RunRecord, 'scenario' | 'cluster' | 'start' | 'onset' | 'end' | 'happenings' | 'silenced'>;

/** A subject's labels that are set, as the report keeps them. */
export function subjectLabels(subject: Subject): Record<string, string> {
  return Object.fromEntries(Object.entries(subject).filter((kv): kv is [string, string] => kv[1] !== undefined));
}

const PRESSURE = new Set(['MemoryPressure', 'DiskPressure', 'PIDPressure']);

export async function buildRunRecord(store: VigilStore, run: RunOutline, notifications: readonly OutboxEntry[]): Promise<RunRecord> {
  const rollups = await store.rollups(run.cluster, run.start, run.end);
  const nodeMinutes = await store.nodeMinutes(run.cluster, run.start, run.end);
  const awsEvents = (await store.awsEvents(run.cluster, run.start)).filter((e) => e.time <= run.end).sort((a, b) => a.time - b.time);

  const nodes = new Map<string, { nodeGroup?: string; points: NodeSeries['points'][number][] }>();
  const workloads = new Map<string, WorkloadSeries['points'][number][]>();
  const totals: ClusterPoint[] = [];
  for (const r of rollups) {
    if (r.kube) {
      for (const n of r.kube.nodes) {
        const s = nodes.get(n.name) ?? { nodeGroup: n.nodeGroup, points: [] };
        s.points.push({
          t: r.minute,
          cpuPct: pct(n.cpuMilli, n.allocatable.cpuMilli),
          memoryPct: pct(n.memoryWorkingSetBytes, n.allocatable.memoryBytes),
          diskPct:
            n.fsCapacityBytes && n.fsAvailableBytes !== undefined
              ? pct(n.fsCapacityBytes - n.fsAvailableBytes, n.fsCapacityBytes)
              : undefined,
          ready: n.ready === 'True',
          pressure: n.problems.filter((p) => PRESSURE.has(p)),
          pods: n.pods,
        });
        nodes.set(n.name, s);
      }
      for (const w of r.kube.workloads) {
        const key = `${w.namespace}/${workloadName(w)}`;
        const list = workloads.get(key) ?? [];
        list.push({
          t: r.minute,
          readyPods: w.readyPods,
          desired: w.desired,
          restarts: w.restarts,
          oomKilled: w.oomKilled,
          memoryWorkingSetBytes: w.memoryWorkingSetBytes,
        });
        workloads.set(key, list);
      }
    }
    const groups = r.cloud?.autoScalingGroups ?? [];
    totals.push({
      t: r.minute,
      nodesReady: r.kube ? r.kube.nodes.filter((n) => n.ready === 'True').length : 0,
      nodesNotReady: r.kube ? r.kube.nodes.filter((n) => n.ready !== 'True').length : 0,
      podsPending: r.kube?.pendingPods.length ?? 0,
      ...(groups.length
        ? { desiredCapacity: groups.reduce((a, g) => a + g.desired, 0), inService: groups.reduce((a, g) => a + g.inService, 0) }
        : {}),
    });
  }

  const hosts = new Map<string, HostSeries & { points: HostSeries['points'][number][] }>();
  for (const nm of nodeMinutes) {
    const h = nm.host;
    if (!h) continue;
    const s = hosts.get(h.host.instanceId) ?? {
      instanceId: h.host.instanceId,
      node: nm.kube?.node.name,
      nodeGroup: h.host.nodeGroup,
      points: [],
    };
    if (!s.points.some((p) => p.t === h.minute))
      s.points.push({ t: h.minute, cpuPct: h.metrics.cpuPct, statusCheckFailed: h.metrics.statusCheckFailed });
    hosts.set(h.host.instanceId, { ...s, node: s.node ?? nm.kube?.node.name });
  }

  return {
    ...run,
    hosts: [...hosts.values()].map((h) => ({ ...h, points: [...h.points].sort((a, b) => a.t - b.t) })),
    nodes: [...nodes.entries()].map(([name, s]) => ({ name, ...(s.nodeGroup ? { nodeGroup: s.nodeGroup } : {}), points: s.points })),
    workloads: [...workloads.entries()].map(([name, points]) => ({ name, points })),
    totals,
    awsEvents: awsEvents.map((e) => ({ t: e.time, subject: awsEventSubject(e), text: awsEventText(e) })),
    alerts: notifications.flatMap((e) =>
      e.notification.changes
        .filter((c) => c.kind !== 'repeat')
        .map((c) => ({
          t: e.notification.evaluatedAt,
          rule: c.rule,
          severity: c.severity,
          phase: c.kind === 'resolved' ? ('resolved' as const) : ('firing' as const),
          summary: c.summary,
          subject: subjectLabels(c.subject),
        })),
    ),
  };
}

function pct(part: number | undefined, whole: number | undefined): number | undefined {
  return part === undefined || !whole ? undefined : Math.round((part / whole) * 1000) / 10;
}

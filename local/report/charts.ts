/**
 * What the run report shows, decided from a RunRecord before anything is drawn: the panels in reading
 * order, which series each one highlights, their colours, and the alert and node-state lanes.
 *
 * A chart highlights at most {@link HIGHLIGHTED} series: those an alert names first, then the highest
 * peaks; the rest are drawn faded, so three nodes and fifty nodes both read well. A machine keeps one
 * colour in every chart (its host and its node included).
 */
import { increases, shortNode } from '../../model/display';
import { alertId } from '../../model/domain';
import { MINUTE_MS, minuteOf, type EpochMs } from '../../model/time';
import type { AlertMark, RunRecord } from './run-record';
import type { Point, Unit } from './svg';

export const HIGHLIGHTED = 8;
/** Faded series drawn at most per chart; the legend counts the others. */
export const MAX_FADED = 60;
const MAX_ALERT_ROWS = 30;
const MAX_STATE_ROWS = 25;
/** Up to this many nodes, the state lanes show every node, trouble or not. */
const ALL_STATE_ROWS_UP_TO = 12;

/** Series colours; none of them is a severity colour. */
const PALETTE = ['#1f5fbf', '#2e8b3e', '#8e44ad', '#795548', '#00acc1', '#7c8c10', '#37474f', '#c2185b', '#5c6bc0', '#00897b'];

export type Severity = AlertMark['severity'];

export interface SeriesModel {
  /** Identity across charts (node name, workload name): same key, same colour, highlighted together. */
  readonly key: string;
  readonly label: string;
  /** The full name, when the label is shortened. */
  readonly title?: string;
  readonly colour: string;
  readonly faded: boolean;
  readonly dash?: string;
  readonly points: readonly Point[];
  readonly peak?: number;
  /** Events on the line: OOM kills, failed status checks. */
  readonly marks?: readonly { readonly t: EpochMs; readonly text: string }[];
}

export interface LineChartModel {
  readonly kind: 'line';
  readonly id: string;
  readonly title: string;
  readonly subtitle: string;
  readonly unit: Unit;
  readonly step?: boolean;
  /** Highlighted series, in legend order. */
  readonly series: readonly SeriesModel[];
  readonly others: readonly SeriesModel[];
  /** How the legend names the faded series, e.g. `other nodes`. */
  readonly othersLabel: string;
  /** Series with data that are not drawn (beyond {@link MAX_FADED}). */
  readonly notDrawn: number;
  /** Shown in place of the lines when nothing was recorded. */
  readonly empty: string;
  readonly notes: readonly string[];
}

export interface LaneSegment {
  readonly from: EpochMs;
  readonly to: EpochMs;
  /** CSS class: `ok`, `pressure`, `notready`, or `sev-<severity>`. */
  readonly cls: string;
  readonly text: string;
}

export interface LaneRow {
  readonly key: string;
  readonly label: string;
  readonly title: string;
  readonly segments: readonly LaneSegment[];
  /** Notification glyphs on the row (alert lanes). */
  readonly glyphs?: readonly {
    readonly t: EpochMs;
    readonly phase: AlertMark['phase'];
    readonly severity: Severity;
    readonly text: string;
  }[];
}

export interface LaneChartModel {
  readonly kind: 'lanes';
  readonly id: string;
  readonly title: string;
  readonly subtitle: string;
  readonly rows: readonly LaneRow[];
  readonly legend: readonly { readonly cls: string; readonly label: string }[];
  readonly empty: string;
  readonly notes: readonly string[];
}

export type ChartModel = LineChartModel | LaneChartModel;

export interface SectionModel {
  readonly title: string;
  readonly charts: readonly ChartModel[];
}

export interface ReportModel {
  readonly from: EpochMs;
  readonly to: EpochMs;
  readonly sections: readonly SectionModel[];
  /** Every notification, oldest first; the index is the marker's identity. */
  readonly alerts: readonly AlertMark[];
  readonly happenings: readonly { readonly t: EpochMs; readonly text: string }[];
}

/** Where an alert is, in a few words: the most specific part of its subject. */
export function subjectLabel(s: Readonly<Record<string, string>>): string {
  const where = s.pod
    ? `${s.namespace ? `${s.namespace}/` : ''}${s.pod}`
    : s.workload
      ? `${s.namespace ? `${s.namespace}/` : ''}${s.workload}`
      : s.node
        ? `node ${shortNode(s.node)}`
        : s.instanceId
          ? s.instanceId
          : s.autoScalingGroup
            ? `ASG ${s.autoScalingGroup}`
            : s.nodeGroup
              ? `node group ${s.nodeGroup}`
              : s.namespace
                ? `namespace ${s.namespace}`
                : `cluster ${s.cluster ?? ''}`.trim();
  return [where, s.container ? `container ${s.container}` : '', s.detail ?? ''].filter(Boolean).join(' · ');
}

/** The alert a notification is about: rule and subject, as the evaluator identifies it. */
export function markAlertId(a: AlertMark): string {
  return alertId(a.rule, { cluster: '', ...a.subject });
}

/**
 * Colours by key: a key keeps the colour it first got, unless another series of the same chart already
 * wears it; then it gets the palette's first colour free in that chart.
 */
class Colours {
  private readonly byKey = new Map<string, string>();
  private next = 0;
  forChart(keys: readonly string[]): string[] {
    const used = new Set<string>();
    return keys.map((k) => {
      let c = this.byKey.get(k);
      if (!c || used.has(c)) {
        const free = PALETTE.filter((p) => !used.has(p));
        c = free.length ? free[(this.byKey.has(k) ? 0 : this.next++) % free.length] : PALETTE[used.size % PALETTE.length];
        if (!this.byKey.has(k)) this.byKey.set(k, c);
      }
      used.add(c);
      return c;
    });
  }
}

interface Candidate {
  readonly key: string;
  readonly label: string;
  readonly title?: string;
  readonly points: readonly Point[];
  readonly marks?: SeriesModel['marks'];
}

const peakOf = (points: readonly Point[]): number | undefined => {
  let peak: number | undefined;
  for (const p of points) if (p.v !== undefined && Number.isFinite(p.v) && (peak === undefined || p.v > peak)) peak = p.v;
  return peak;
};

/**
 * Splits candidates into highlighted and faded: those alerts name first (earliest alert first), then by
 * peak. Candidates without a single value are left out: an empty line says nothing.
 */
function rank(
  candidates: readonly Candidate[],
  alerted: ReadonlyMap<string, EpochMs>,
  colours: Colours,
): { series: SeriesModel[]; others: SeriesModel[]; notDrawn: number } {
  const withData = candidates.map((c) => ({ ...c, peak: peakOf(c.points) })).filter((c) => c.peak !== undefined);
  withData.sort((a, b) => {
    const fa = alerted.get(a.key);
    const fb = alerted.get(b.key);
    if ((fa === undefined) !== (fb === undefined)) return fa === undefined ? 1 : -1;
    if (fa !== undefined && fb !== undefined && fa !== fb) return fa - fb;
    return b.peak! - a.peak! || a.label.localeCompare(b.label);
  });
  const top = withData.slice(0, HIGHLIGHTED);
  const palette = colours.forChart(top.map((c) => c.key));
  const series = top.map((c, i): SeriesModel => ({ ...c, colour: palette[i], faded: false }));
  const rest = withData.slice(HIGHLIGHTED);
  const others = rest.slice(0, MAX_FADED).map((c): SeriesModel => ({ ...c, colour: '#9aa3ad', faded: true }));
  return { series, others, notDrawn: rest.length - others.length };
}

function lineChart(
  base: Omit<LineChartModel, 'kind' | 'series' | 'others' | 'notDrawn' | 'notes'> & { readonly notes?: readonly string[] },
  ranked: { series: SeriesModel[]; others: SeriesModel[]; notDrawn: number },
): LineChartModel {
  return { kind: 'line', ...base, ...ranked, notes: base.notes ?? [] };
}

/** Earliest alert time per key, for the keys `keyOf` finds in each alert's subject (alerts oldest first). */
function alertedBy(
  alerts: readonly AlertMark[],
  keyOf: (s: Readonly<Record<string, string>>) => (string | undefined)[],
): Map<string, EpochMs> {
  const out = new Map<string, EpochMs>();
  for (const a of alerts) for (const k of keyOf(a.subject)) if (k !== undefined && !out.has(k)) out.set(k, a.t);
  return out;
}

/** Consecutive points with the same state become one segment; each point covers its minute. */
function segmentsOf<P extends { t: EpochMs }>(points: readonly P[], state: (p: P) => { cls: string; text: string }): LaneSegment[] {
  const out: { from: EpochMs; to: EpochMs; cls: string; text: string }[] = [];
  for (const p of [...points].sort((a, b) => a.t - b.t)) {
    const s = state(p);
    const last = out[out.length - 1];
    if (last && last.cls === s.cls && last.text === s.text && p.t - last.to <= MINUTE_MS) last.to = p.t + MINUTE_MS;
    else out.push({ from: p.t, to: p.t + MINUTE_MS, ...s });
  }
  return out;
}

export function reportModel(record: RunRecord): ReportModel {
  const alerts = [...record.alerts].sort((a, b) => a.t - b.t);
  const happenings = [...record.happenings].sort((a, b) => a.t - b.t);
  const marks = [...alerts.map((a) => a.t), ...happenings.map((h) => h.t)];
  const from = minuteOf(Math.min(record.start, record.onset, ...marks));
  const to = Math.max(record.end, record.onset, ...marks);
  const colours = new Colours();

  // A machine is named by its node when it has one; its host takes the node's key (and colour).
  const nodeOfInstance = new Map(record.hosts.filter((h) => h.node).map((h) => [h.instanceId, h.node!]));
  const nodeAlerts = alertedBy(alerts, (s) => [s.node, s.instanceId ? (nodeOfInstance.get(s.instanceId) ?? s.instanceId) : undefined]);
  const workloadAlerts = alertedBy(alerts, (s) => [s.workload ? `${s.namespace ?? ''}/${s.workload}` : undefined]);

  const nodeCandidates = (metric: 'cpuPct' | 'memoryPct' | 'diskPct'): Candidate[] =>
    record.nodes.map((n) => ({
      key: n.name,
      label: shortNode(n.name),
      title: n.name,
      points: n.points.map((p) => ({ t: p.t, v: p[metric] })),
    }));
  const nodesTotal = record.nodes.length;
  const otherNodes = 'other nodes';

  const clusterChart: LineChartModel = {
    kind: 'line',
    id: 'cluster',
    title: 'Cluster and Auto Scaling',
    subtitle: 'desired and in-service instances of the Auto Scaling groups, nodes by readiness, Pending pods',
    unit: 'count',
    step: true,
    series: (
      [
        ['asg-desired', 'ASG desired', '#37474f', '6 4', (p) => p.desiredCapacity],
        ['asg-in-service', 'ASG in service', '#1f5fbf', undefined, (p) => p.inService],
        ['nodes-ready', 'nodes Ready', '#2e8b3e', undefined, (p) => p.nodesReady],
        ['nodes-not-ready', 'nodes NotReady', '#8e44ad', undefined, (p) => p.nodesNotReady],
        ['pods-pending', 'pods Pending', '#795548', '2 3', (p) => p.podsPending],
      ] as const satisfies readonly (readonly [
        string,
        string,
        string,
        string | undefined,
        (p: RunRecord['totals'][number]) => number | undefined,
      ])[]
    )
      .map(([key, label, colour, dash, value]): SeriesModel => {
        const points = record.totals.map((p) => ({ t: p.t, v: value(p) }));
        return { key, label, colour, dash, faded: false, points, peak: peakOf(points) };
      })
      .filter((s) => s.peak !== undefined),
    others: [],
    othersLabel: '',
    notDrawn: 0,
    empty: 'No cluster totals were recorded in this run.',
    notes: [],
  };

  const hostChart = lineChart(
    {
      id: 'host-cpu',
      title: 'Hosts: EC2 CPU',
      subtitle: 'CPUUtilization from CloudWatch, %, named by their node · ✕ = status check failed',
      unit: 'pct',
      othersLabel: 'other hosts',
      empty: 'No EC2 host data in this run (the AWS side was not read).',
    },
    rank(
      record.hosts.map((h) => ({
        key: h.node ?? h.instanceId,
        label: h.node ? shortNode(h.node) : h.instanceId,
        title: h.node ? `${h.instanceId} (node ${h.node})` : `${h.instanceId} (no node)`,
        points: h.points.map((p) => ({ t: p.t, v: p.cpuPct })),
        marks: h.points
          .filter((p) => (p.statusCheckFailed ?? 0) > 0)
          .map((p) => ({ t: p.t, text: `${h.instanceId}: EC2 status check failed` })),
      })),
      nodeAlerts,
      colours,
    ),
  );

  const nodeCharts: ChartModel[] = [
    lineChart(
      {
        id: 'node-memory',
        title: 'Nodes: memory',
        subtitle: 'working set, % of allocatable (kubelet)',
        unit: 'pct',
        othersLabel: otherNodes,
        empty: 'No node data in this run.',
      },
      rank(nodeCandidates('memoryPct'), nodeAlerts, colours),
    ),
    lineChart(
      {
        id: 'node-disk',
        title: 'Nodes: disk',
        subtitle: 'node filesystem used, % (kubelet)',
        unit: 'pct',
        othersLabel: otherNodes,
        empty: 'No node disk data in this run.',
      },
      rank(nodeCandidates('diskPct'), nodeAlerts, colours),
    ),
    lineChart(
      {
        id: 'node-cpu',
        title: 'Nodes: CPU',
        subtitle: 'usage, % of allocatable (kubelet)',
        unit: 'pct',
        othersLabel: otherNodes,
        empty: 'No node CPU data in this run.',
      },
      rank(nodeCandidates('cpuPct'), nodeAlerts, colours),
    ),
    nodeStates(record, nodeAlerts),
  ];

  const workloadCharts = workloadModels(record, workloadAlerts, colours);

  return {
    from,
    to,
    alerts,
    happenings,
    sections: [
      { title: 'Alerts', charts: [alertLanes(alerts, from, to)] },
      { title: 'Cluster', charts: [clusterChart] },
      { title: 'Hosts', charts: [hostChart] },
      { title: `Nodes (${nodesTotal})`, charts: nodeCharts },
      { title: `Workloads (${record.workloads.length})`, charts: workloadCharts },
    ],
  };
}

function workloadModels(record: RunRecord, alerted: ReadonlyMap<string, EpochMs>, colours: Colours): LineChartModel[] {
  const label = (name: string) => {
    const [ns, kind, ...rest] = name.split('/');
    return rest.length ? `${ns}/${rest.join('/')}` : name || kind;
  };
  const memory = rank(
    record.workloads.map((w) => ({
      key: w.name,
      label: label(w.name),
      points: w.points.map((p) => ({ t: p.t, v: p.memoryWorkingSetBytes })),
    })),
    alerted,
    colours,
  );

  const restartCandidates = record.workloads.map((w) => {
    const sorted = [...w.points].sort((a, b) => a.t - b.t);
    const points = increases(sorted.map((p) => ({ t: p.t, v: p.restarts })));
    const marks = sorted.flatMap((p, i) => {
      const more = i > 0 ? p.oomKilled - sorted[i - 1].oomKilled : 0;
      return more > 0 ? [{ t: p.t, text: `${w.name}: ${more} more container${more > 1 ? 's' : ''} OOMKilled (${p.oomKilled} now)` }] : [];
    });
    return { key: w.name, label: label(w.name), points, marks, total: points.length ? points[points.length - 1].v! : 0 };
  });
  const restarting = restartCandidates.filter((c) => c.total > 0 || c.marks.length > 0);
  const calm = restartCandidates.length - restarting.length;

  const unavailableCandidates = record.workloads.map((w) => ({
    key: w.name,
    label: label(w.name),
    points: w.points.map((p) => ({ t: p.t, v: p.desired === undefined ? undefined : Math.max(0, p.desired - p.readyPods) })),
  }));
  const short = unavailableCandidates.filter((c) => c.points.some((p) => (p.v ?? 0) > 0));
  const available = unavailableCandidates.length - short.length;
  const empty = record.workloads.length ? undefined : 'No workload data in this run.';

  return [
    lineChart(
      {
        id: 'workload-memory',
        title: 'Workloads: memory',
        subtitle: 'working set of all containers of the workload',
        unit: 'bytes',
        othersLabel: 'other workloads',
        empty: empty ?? 'No workload memory data in this run.',
      },
      memory,
    ),
    lineChart(
      {
        id: 'workload-restarts',
        title: 'Workloads: container restarts',
        subtitle: 'restarts since the run began · ✕ = OOM kill',
        unit: 'count',
        step: true,
        othersLabel: 'other workloads',
        empty: empty ?? 'No container restarted during the run.',
        notes: restarting.length && calm ? [`${calm} other workload${calm > 1 ? 's' : ''} did not restart.`] : [],
      },
      rank(restarting, alerted, colours),
    ),
    lineChart(
      {
        id: 'workload-unavailable',
        title: 'Workloads: unavailable replicas',
        subtitle: 'desired − ready pods',
        unit: 'count',
        step: true,
        othersLabel: 'other workloads',
        empty: empty ?? 'Every workload had all its desired replicas ready throughout.',
        notes:
          short.length && available ? [`${available} other workload${available > 1 ? 's were' : ' was'} fully available throughout.`] : [],
      },
      rank(short, alerted, colours),
    ),
  ];
}

function nodeStates(record: RunRecord, alerted: ReadonlyMap<string, EpochMs>): LaneChartModel {
  const rows = record.nodes.map((n) => {
    const troubled = n.points.filter((p) => !p.ready || p.pressure.length > 0);
    const segments = segmentsOf(n.points, (p) =>
      !p.ready
        ? { cls: 'notready', text: `NotReady${p.pressure.length ? ` (${p.pressure.join(', ')})` : ''}` }
        : p.pressure.length
          ? { cls: 'pressure', text: p.pressure.join(', ') }
          : { cls: 'ok', text: 'Ready' },
    );
    return { name: n.name, troubledAt: troubled.length ? Math.min(...troubled.map((p) => p.t)) : undefined, segments, group: n.nodeGroup };
  });
  const troubled = rows
    .filter((r) => r.troubledAt !== undefined)
    .sort((a, b) => a.troubledAt! - b.troubledAt! || a.name.localeCompare(b.name));
  const showAll = rows.length <= ALL_STATE_ROWS_UP_TO;
  const shown = showAll ? [...troubled, ...rows.filter((r) => r.troubledAt === undefined)] : troubled.slice(0, MAX_STATE_ROWS);
  const notes: string[] = [];
  if (!showAll && troubled.length > MAX_STATE_ROWS)
    notes.push(`${troubled.length - MAX_STATE_ROWS} more nodes had pressure or were NotReady; the alerts table lists them.`);
  const calm = rows.length - troubled.length;
  if (!showAll && calm) notes.push(`${calm} node${calm > 1 ? 's were' : ' was'} Ready without pressure throughout.`);
  return {
    kind: 'lanes',
    id: 'node-state',
    title: 'Nodes: conditions',
    subtitle: troubled.length ? 'in the order trouble reached them' : 'Ready, no pressure',
    rows: shown.map((r) => ({
      key: r.name,
      label: shortNode(r.name),
      title: `${r.name}${r.group ? ` (${r.group})` : ''}${alerted.has(r.name) ? ' — named by an alert' : ''}`,
      segments: r.segments,
    })),
    legend: [
      { cls: 'ok', label: 'Ready' },
      { cls: 'pressure', label: 'pressure' },
      { cls: 'notready', label: 'NotReady' },
    ],
    empty: 'No node data in this run.',
    notes,
  };
}

function alertLanes(alerts: readonly AlertMark[], from: EpochMs, to: EpochMs): LaneChartModel {
  const byId = new Map<string, AlertMark[]>();
  for (const a of alerts) {
    const id = markAlertId(a);
    byId.set(id, [...(byId.get(id) ?? []), a]);
  }
  const rows: LaneRow[] = [...byId.entries()].map(([id, marks]) => {
    const segments: LaneSegment[] = [];
    let open: AlertMark | undefined;
    for (const m of marks) {
      if (m.phase === 'firing' && !open) open = m;
      else if (m.phase === 'resolved') {
        // A resolve with no firing in the record: it was firing before the run's first minute.
        const start = open ?? { ...m, t: from };
        segments.push({ from: start.t, to: m.t, cls: `sev-${start.severity}`, text: start.summary });
        open = undefined;
      }
    }
    if (open) segments.push({ from: open.t, to, cls: `sev-${open.severity} open`, text: open.summary });
    const first = marks[0];
    return {
      key: id,
      label: `${first.rule} · ${subjectLabel(first.subject)}`,
      title: `${first.rule} — ${subjectLabel(first.subject)}`,
      segments,
      glyphs: marks.map((m) => ({
        t: m.t,
        phase: m.phase,
        severity: m.severity,
        text: `${m.phase} ${m.severity} ${m.rule}: ${m.summary}`,
      })),
    };
  });
  const notes = rows.length > MAX_ALERT_ROWS ? [`${rows.length - MAX_ALERT_ROWS} more alerts are in the table below.`] : [];
  return {
    kind: 'lanes',
    id: 'alerts',
    title: 'Alerts',
    subtitle: 'from firing to resolved, one row per alert (rule and subject)',
    rows: rows.slice(0, MAX_ALERT_ROWS),
    legend: [
      { cls: 'sev-critical', label: 'critical' },
      { cls: 'sev-warning', label: 'warning' },
      { cls: 'sev-info', label: 'info' },
    ],
    empty: 'No alert was sent during this run.',
    notes,
  };
}

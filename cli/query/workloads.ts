/** `vigil query workloads`: every workload's figures and restarts in the window; with `--workload`, one workload's history from the rollups. */
import { increases } from '../../model/display';
import { WORKLOAD_KINDS, type WorkloadMinute, type WorkloadRef } from '../../model/domain';
import { formatBytes, formatDuration } from '../../model/quantity';
import { MINUTE_MS, type EpochMs } from '../../model/time';
import { UsageError } from '../command';
import { cpuText, table, utcCell } from '../table';
import { bucket, iso, nothingFound, seenHint, stepFor, windowText, type Context, type QueryResult } from './context';

const workloadId = (w: WorkloadRef) => `${w.namespace}/${w.kind}/${w.name}`;

export async function queryWorkloads(c: Context): Promise<QueryResult> {
  return c.opts.workload ? workloadHistory(c, c.opts.workload) : listWorkloads(c);
}

async function listWorkloads(c: Context): Promise<QueryResult> {
  const rollups = (await c.store.rollups(c.cluster, c.from, c.to)).filter((r) => r.kube);
  if (rollups.length === 0) return nothingFound(c, 'no workload');
  const series = new Map<string, { minute: EpochMs; w: WorkloadMinute }[]>();
  for (const r of rollups) {
    for (const w of r.kube!.workloads) {
      if (c.opts.namespace && w.namespace !== c.opts.namespace) continue;
      series.set(workloadId(w), [...(series.get(workloadId(w)) ?? []), { minute: r.minute, w }]);
    }
  }
  if (series.size === 0) return nothingFound(c, `no workload in namespace ${c.opts.namespace}`, seenHint(rollups));
  const newest = rollups[rollups.length - 1].minute;
  const workloads = [...series.values()].map((points) => {
    const last = points[points.length - 1];
    const first = points[0];
    const restarts = increases(points.map((p) => ({ t: p.minute, v: p.w.restarts })));
    return {
      namespace: last.w.namespace,
      kind: last.w.kind,
      name: last.w.name,
      lastSeen: iso(last.minute),
      gone: last.minute < newest,
      pods: last.w.pods,
      readyPods: last.w.readyPods,
      desired: last.w.desired,
      restartsInWindow: restarts[restarts.length - 1].v ?? 0,
      oomKilled: last.w.oomKilled,
      cpuMilli: last.w.cpuMilli,
      memoryWorkingSetBytes: last.w.memoryWorkingSetBytes,
      memoryChangeBytes: last.w.memoryWorkingSetBytes - first.w.memoryWorkingSetBytes,
    };
  });
  // Trouble first: fewer ready than desired, then restarts, then by name.
  const short = (w: (typeof workloads)[number]) => (w.desired ?? w.pods) - w.readyPods;
  workloads.sort((a, b) => short(b) - short(a) || b.restartsInWindow - a.restartsInWindow || workloadId(a).localeCompare(workloadId(b)));
  const rows = workloads.map((w) => [
    `${w.namespace}/${w.name}`,
    w.kind,
    `${w.readyPods}/${w.desired ?? w.pods}`,
    String(w.restartsInWindow),
    String(w.oomKilled),
    cpuText(w.cpuMilli),
    formatBytes(w.memoryWorkingSetBytes),
    `${w.memoryChangeBytes >= 0 ? '+' : '−'}${formatBytes(Math.abs(w.memoryChangeBytes))}`,
    w.gone ? `gone since ${utcCell(Date.parse(w.lastSeen))}` : '',
  ]);
  const text = [
    `Workloads of cluster ${c.cluster}${c.opts.namespace ? ` in namespace ${c.opts.namespace}` : ''}, ${windowText(c)}; figures of the newest minute`,
    'READY: ready/desired pods; RESTARTS: container restarts during the window; OOM: containers last killed for memory; MEMORY Δ: change over the window.',
    '',
    table(['WORKLOAD', 'KIND', 'READY', 'RESTARTS', 'OOM', 'CPU', 'MEMORY', 'MEMORY Δ', ''], rows, new Set([2, 3, 4, 5, 6, 7])),
    '',
    `${workloads.length} workload${workloads.length === 1 ? '' : 's'}, ${workloads.filter((w) => short(w) > 0).length} short of ready pods, ${workloads.filter((w) => w.restartsInWindow > 0).length} restarting · read ${c.store.capacity.readUnits} read units from ${c.source.description}`,
  ].join('\n');
  return { text, json: { cluster: c.cluster, from: iso(c.from), to: iso(c.to), namespace: c.opts.namespace, workloads } };
}

async function workloadHistory(c: Context, text: string): Promise<QueryResult> {
  const parts = text.split('/');
  let ref: WorkloadRef;
  if (parts.length === 3) {
    const kind = WORKLOAD_KINDS.find((k) => k.toLowerCase() === parts[1].toLowerCase());
    if (!kind) throw new UsageError(`--workload "${text}": "${parts[1]}" is not a workload kind (${WORKLOAD_KINDS.join(', ')})`);
    ref = { namespace: parts[0], kind, name: parts[2] };
  } else {
    // No kind given: it is whatever the rollups of the window know by that name.
    const rollups = await c.store.rollups(c.cluster, c.from, c.to);
    const kinds = [
      ...new Set(
        rollups.flatMap((r) => r.kube?.workloads.filter((w) => w.namespace === parts[0] && w.name === parts[1]).map((w) => w.kind) ?? []),
      ),
    ];
    if (kinds.length > 1)
      throw new UsageError(
        `--workload "${text}" names ${kinds.length} workloads: say which, as ${kinds.map((k) => `${parts[0]}/${k}/${parts[1]}`).join(' or ')}`,
      );
    if (kinds.length === 0) {
      const inNamespace = [
        ...new Set(rollups.flatMap((r) => r.kube?.workloads.filter((w) => w.namespace === parts[0]).map((w) => w.name) ?? [])),
      ].sort();
      return nothingFound(
        c,
        `no workload "${text}"`,
        inNamespace.length
          ? ` (namespace ${parts[0]} has ${inNamespace.slice(0, 12).join(', ')}${inNamespace.length > 12 ? ', …' : ''})`
          : seenHint(rollups),
      );
    }
    ref = { namespace: parts[0], kind: kinds[0], name: parts[1] };
  }
  const history = await c.store.workloadHistory(c.cluster, ref, c.from, c.to);
  if (history.length === 0) return nothingFound(c, `no workload ${workloadId(ref)}`);
  const restarts = increases(history.map((h) => ({ t: h.minute, v: h.workload.restarts })));
  const raw = history.map((h, i) => ({
    minute: h.minute,
    ...h.workload,
    restartsAdded: restarts[i].v! - (i > 0 ? restarts[i - 1].v! : 0),
  }));
  const step = stepFor(c);
  const rows = bucket(raw, step, (a, b) => ({
    ...b,
    minute: a.minute,
    readyPods: Math.min(a.readyPods, b.readyPods),
    restartsAdded: a.restartsAdded + b.restartsAdded,
    oomKilled: Math.max(a.oomKilled, b.oomKilled),
    cpuMilli: Math.max(a.cpuMilli, b.cpuMilli),
    memoryWorkingSetBytes: Math.max(a.memoryWorkingSetBytes, b.memoryWorkingSetBytes),
  }));
  const out = [
    `Workload ${workloadId(ref)} of cluster ${c.cluster}, ${windowText(c)}${step > MINUTE_MS ? `, one row per ${formatDuration(step)} (fewest ready pods, most memory and CPU of each)` : ''}`,
    '',
    table(
      ['MINUTE (UTC)', 'PODS', 'READY', 'RESTARTS', '+RESTARTS', 'OOM', 'CPU', 'MEMORY'],
      rows.map((r) => [
        utcCell(r.minute),
        String(r.pods),
        `${r.readyPods}/${r.desired ?? r.pods}`,
        String(r.restarts),
        r.restartsAdded ? `+${r.restartsAdded}` : '',
        String(r.oomKilled),
        cpuText(r.cpuMilli),
        formatBytes(r.memoryWorkingSetBytes),
      ]),
      new Set([1, 2, 3, 4, 5, 6, 7]),
    ),
    '',
    `${restarts[restarts.length - 1].v} restarts in the window · read ${c.store.capacity.readUnits} read units from ${c.source.description}`,
  ].join('\n');
  return {
    text: out,
    json: {
      cluster: c.cluster,
      workload: ref,
      from: iso(c.from),
      to: iso(c.to),
      stepMinutes: step / MINUTE_MS,
      minutes: rows.map((r) => ({ ...r, minute: iso(r.minute) })),
    },
  };
}

/**
 * `vigil query containers`: containers matching a selector, one metric averaged over the window, grouped,
 * and those far above their group's average marked (the model's `peerOutliers`, as the evaluator's rule uses it).
 */
import { formatBytes, formatDuration } from '../../model/quantity';
import { parseSelector, peerOutliers, type PeerRow } from '../../model/selector';
import { shortNode } from '../../model/display';
import { UsageError } from '../command';
import { cpuText, signed, table } from '../table';
import { iso, noDataInWindow, nothingFound, seenHint, windowText, type Context, type QueryResult } from './context';

/** Reading containers costs about 2 KB per node-minute; a day of a large cluster is already a lot. */
const MAX_CONTAINER_WINDOW_MS = 24 * 3_600_000;

export async function queryContainers(c: Context): Promise<QueryResult> {
  const { opts, store } = c;
  if (c.to - c.from > MAX_CONTAINER_WINDOW_MS) {
    throw new UsageError(
      `a container query reads every node-minute of its window; ${formatDuration(c.to - c.from)} is over ${formatDuration(MAX_CONTAINER_WINDOW_MS)}: narrow --since`,
    );
  }
  const samples = await store.selectContainers(c.cluster, parseSelector(opts.select), c.from, c.to);
  if (samples.length === 0) {
    const rollups = c.lastSeen === undefined ? [] : await store.rollups(c.cluster, c.from, c.to);
    if (c.lastSeen !== undefined && rollups.length === 0) {
      throw noDataInWindow(c, c.lastSeen);
    }
    return nothingFound(c, opts.select ? `no container matches "${opts.select}"` : 'no container', seenHint(rollups));
  }
  const metric = opts.metric === 'cpu' ? 'cpuMilli' : 'memoryWorkingSetBytes';
  const rows = peerOutliers(samples, { groupBy: opts.groupBy, metric, thresholdPct: opts.above, minGroupSize: opts.minGroup });
  if (rows.length === 0) return nothingFound(c, `no container matching "${opts.select}" reported its ${opts.metric}`);
  const shown = opts.outliersOnly ? rows.filter((r) => r.outlier) : rows;
  const outliers = rows.filter((r) => r.outlier).length;
  const groups = new Set(rows.map((r) => r.group)).size;
  const format = (v: number) => (opts.metric === 'cpu' ? cpuText(v) : formatBytes(v));
  const readUnits = store.capacity.readUnits;

  const heading = [
    `Containers of cluster ${c.cluster}${opts.select ? ` matching ${opts.select}` : ''} · ${opts.metric === 'cpu' ? 'CPU (millicores)' : 'memory working set'}, mean over ${windowText(c)}`,
    `Grouped by ${opts.groupBy.join('+')}; ◀ marks a container more than ${opts.above}% above its group's average (groups of ${opts.minGroup} or more).`,
  ];
  const body = shown.map((r) => [
    `${r.namespace}/${r.pod}`,
    r.container,
    shortNode(r.node),
    r.zone ?? '-',
    format(r.value),
    r.groupSize > 1 ? signed(r.abovePct) : '-',
    String(r.minutes),
    r.outlier ? '◀ outlier' : '',
  ]);
  // One aligned table, with a line naming each group above its first row.
  const lines = table(
    ['  POD', 'CONTAINER', 'NODE', 'ZONE', opts.metric === 'cpu' ? 'CPU' : 'MEMORY', 'VS AVG', 'MINUTES', ''],
    body.map((b) => [`  ${b[0]}`, ...b.slice(1)]),
    new Set([4, 5, 6]),
  ).split('\n');
  const grouped = [lines[0]];
  shown.forEach((r, i) => {
    if (i === 0 || shown[i - 1].group !== r.group)
      grouped.push(`${r.group} · ${r.groupSize} container${r.groupSize === 1 ? '' : 's'}, average ${format(r.groupAverage)}`);
    grouped.push(lines[i + 1]);
  });
  const summary = `${rows.length} container${rows.length === 1 ? '' : 's'} in ${groups} group${groups === 1 ? '' : 's'}, ${outliers} outlier${outliers === 1 ? '' : 's'}${opts.outliersOnly ? ` (only outliers shown)` : ''} · read ${readUnits} read units from ${c.source.description}`;
  const text = shown.length
    ? [...heading, '', ...grouped, '', summary].join('\n')
    : [...heading, '', `No container is more than ${opts.above}% above its group's average.`, summary].join('\n');
  return {
    text,
    json: {
      cluster: c.cluster,
      from: iso(c.from),
      to: iso(c.to),
      select: opts.select,
      metric: opts.metric,
      unit: opts.metric === 'cpu' ? 'millicores' : 'bytes',
      groupBy: opts.groupBy,
      abovePct: opts.above,
      minGroupSize: opts.minGroup,
      containers: rows.length,
      groups,
      outliers,
      readUnits,
      rows: shown.map((r: PeerRow) => ({ ...r, from: iso(r.from), to: iso(r.to) })),
    },
  };
}

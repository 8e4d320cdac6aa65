/**
 * The drawing primitives of the run report: escaping, the shared time axis (minutes from the incident's
 * onset), value axes with units, and line paths that break at gaps and thin out to one column per pixel.
 * Pure functions: the report is a string built from a RunRecord.
 */
import { formatBytes, formatDuration } from '../../model/quantity';
import { MINUTE_MS, type EpochMs } from '../../model/time';

/** Text or attribute value taken from the record: a scenario author controls it. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON that can sit inside `<script type="application/json">`: nothing in it can close the element. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A coordinate, short and exact enough for SVG. */
export const px = (n: number): string => String(Math.round(n * 10) / 10);

/** `0`, `+15m`, `−1h30m`: a time relative to the onset, as the report's axis and tables show it. */
export function relativeLabel(ms: number): string {
  const minutes = Math.round(ms / MINUTE_MS);
  if (minutes === 0) return '0';
  return `${minutes > 0 ? '+' : '−'}${formatDuration(Math.abs(minutes) * MINUTE_MS)}`;
}

/** `12:42` (UTC). */
export const clockLabel = (t: EpochMs): string => new Date(t).toISOString().slice(11, 16);

export interface TimeAxis {
  readonly from: EpochMs;
  readonly to: EpochMs;
  readonly onset: EpochMs;
  /** Left edge of the plot area, and its width, in SVG units. */
  readonly left: number;
  readonly width: number;
  x(t: EpochMs): number;
  /** Tick times: multiples of a step chosen for about 60 px between labels, counted from the onset. */
  ticks(): EpochMs[];
}

const TICK_STEPS_MIN = [1, 2, 5, 10, 15, 20, 30, 60, 120, 180, 240, 360, 720, 1440, 2880, 10080];

/** The one x axis every chart of a report shares. A zero-length range is widened to one minute. */
export function timeAxis(from: EpochMs, to: EpochMs, onset: EpochMs, left: number, width: number): TimeAxis {
  const span = Math.max(to - from, MINUTE_MS);
  const x = (t: EpochMs) => left + ((t - from) / span) * width;
  return {
    from,
    to: from + span,
    onset,
    left,
    width,
    x,
    ticks() {
      const pxPerMinute = width / (span / MINUTE_MS);
      const step = (TICK_STEPS_MIN.find((s) => s * pxPerMinute >= 60) ?? TICK_STEPS_MIN[TICK_STEPS_MIN.length - 1]) * MINUTE_MS;
      const first = onset + Math.ceil((from - onset) / step) * step;
      const out: EpochMs[] = [];
      for (let t = first; t <= from + span; t += step) out.push(t);
      return out;
    },
  };
}

export type Unit = 'pct' | 'count' | 'bytes';

export interface ValueAxis {
  readonly max: number;
  readonly ticks: readonly number[];
  y(v: number): number;
}

/** A value in its unit, as axes, legends and tooltips print it. */
export function formatValue(v: number, unit: Unit): string {
  if (unit === 'pct') return `${Number(v.toFixed(v < 10 && v !== 0 ? 1 : 0))}%`;
  if (unit === 'bytes') return formatBytes(v);
  return String(Number(v.toFixed(1)));
}

/** 1, 2, 5 × 10ⁿ: the smallest of these at least `raw`. */
function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 5, 10].find((m) => m * p >= raw) ?? 10) * p;
}

/**
 * A value axis from 0 to a round maximum above `dataMax`, with about four ticks. Percentages run to 100
 * (further when the data does); bytes step in whole KiB, MiB or GiB.
 */
export function valueAxis(unit: Unit, dataMax: number, top: number, height: number): ValueAxis {
  let max: number;
  let step: number;
  if (unit === 'pct' && dataMax <= 100) {
    max = 100;
    step = 25;
  } else {
    const scale = unit === 'bytes' ? ([2 ** 30, 2 ** 20, 2 ** 10, 1].find((s) => dataMax >= s) ?? 1) : 1;
    const m = Math.max(dataMax / scale, unit === 'count' ? 1 : 0.1);
    step = niceStep(m / 4);
    if (unit === 'count') step = Math.max(1, Math.round(step));
    max = Math.ceil(m / step - 1e-9) * step;
    if (max === 0) max = step;
    step *= scale;
    max *= scale;
  }
  const ticks: number[] = [];
  for (let v = 0; v <= max + step / 1e6; v += step) ticks.push(v);
  return { max, ticks, y: (v: number) => top + height - (Math.min(Math.max(v, 0), max) / max) * height };
}

export interface Point {
  readonly t: EpochMs;
  readonly v?: number;
}

/**
 * An SVG path through the points. The line breaks where a value is missing or the data has a gap (a node
 * that left and came back is two lines, not a bridge across its absence). Runs denser than one point per
 * pixel keep each pixel column's first, lowest, highest and last value, so spikes survive.
 */
export function linePath(
  points: readonly Point[],
  x: (t: EpochMs) => number,
  y: (v: number) => number,
  opts: { readonly step?: boolean; readonly xMax?: number } = {},
): string {
  return splitRuns(points)
    .map((run) => {
      // A step line only needs the points where its value changes.
      const thinned = opts.step ? run.filter((p, i) => i === 0 || i === run.length - 1 || p.v !== run[i - 1].v) : thin(run, x);
      let d = '';
      for (const [i, p] of thinned.entries()) {
        const [px0, py0] = [px(x(p.t)), px(y(p.v!))];
        d += i === 0 ? `M${px0} ${py0}` : opts.step ? `H${px0}V${py0}` : `L${px0} ${py0}`;
      }
      // A step series holds its last value to the end of its last minute; a lone point gets a short stub.
      const last = thinned[thinned.length - 1];
      if (opts.step || thinned.length === 1) {
        const end = thinned.length === 1 ? Math.max(x(last.t + MINUTE_MS), x(last.t) + 2) : x(last.t + MINUTE_MS);
        d += `H${px(Math.min(end, opts.xMax ?? Infinity))}`;
      }
      return d;
    })
    .join('');
}

/** Splits where a value is missing or the time gap is more than twice the usual interval. */
export function splitRuns(points: readonly Point[]): Point[][] {
  const defined = points.filter((p) => p.v !== undefined && Number.isFinite(p.v));
  const gaps = defined
    .slice(1)
    .map((p, i) => p.t - defined[i].t)
    .sort((a, b) => a - b);
  const usual = gaps.length ? gaps[Math.floor(gaps.length / 2)] : MINUTE_MS;
  const maxGap = Math.max(2 * usual, 2 * MINUTE_MS);
  const runs: Point[][] = [];
  let run: Point[] = [];
  let prev: Point | undefined;
  for (const p of points) {
    const missing = p.v === undefined || !Number.isFinite(p.v);
    if (missing || (prev && p.t - prev.t > maxGap)) {
      if (run.length) runs.push(run);
      run = [];
    }
    if (!missing) {
      run.push(p);
      prev = p;
    }
  }
  if (run.length) runs.push(run);
  return runs;
}

function thin(run: readonly Point[], x: (t: EpochMs) => number): Point[] {
  if (run.length < 4) return [...run];
  const out: Point[] = [];
  let column: Point[] = [];
  const flush = () => {
    if (!column.length) return;
    const lo = column.reduce((a, b) => (b.v! < a.v! ? b : a));
    const hi = column.reduce((a, b) => (b.v! > a.v! ? b : a));
    const keep = new Set([column[0], lo, hi, column[column.length - 1]]);
    out.push(...column.filter((p) => keep.has(p)));
    column = [];
  };
  let col = Math.round(x(run[0].t));
  for (const p of run) {
    const c = Math.round(x(p.t));
    if (c !== col) {
      flush();
      col = c;
    }
    column.push(p);
  }
  flush();
  return out;
}

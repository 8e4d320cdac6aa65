/**
 * The report of a local run: one self-contained HTML file (inline CSS, inline script, charts as inline
 * SVG; no fonts, images or anything else fetched) showing hosts, nodes and workloads on one shared time
 * axis in minutes from the incident's onset, every notification and happening drawn across every chart,
 * and a table of notifications. The charts are drawn here, so the page reads without its script; the
 * script adds the shared crosshair and tooltips.
 *
 * A Content-Security-Policy allows only this page's own style and script (by hash): were something from
 * the record ever to slip through escaping, the browser would neither run it nor fetch anything.
 */
import { createHash } from 'crypto';
import { promises as fs } from 'fs';
import * as path from 'path';
import { formatDuration } from '../../model/quantity';
import { isoMinute, MINUTE_MS, minuteOf, type EpochMs } from '../../model/time';
import {
  markAlertId,
  reportModel,
  subjectLabel,
  type ChartModel,
  type LaneChartModel,
  type LineChartModel,
  type ReportModel,
} from './charts';
import { clientScript } from './client';
import type { ClientData } from './client-data';
import type { AlertMark, RunRecord } from './run-record';
import { clockLabel, esc, formatValue, linePath, px, relativeLabel, scriptJson, timeAxis, valueAxis, type TimeAxis } from './svg';

/** Geometry shared by every chart, so their time axes line up. */
export const LAYOUT = {
  width: 1200,
  plotLeft: 60,
  plotWidth: 890,
  /** Space above the plot for notification glyphs and happening numbers. */
  top: 16,
  plotHeight: 150,
  bottom: 24,
  laneHeight: 18,
} as const;
const LEGEND_X = LAYOUT.plotLeft + LAYOUT.plotWidth + 16;
/** Characters of a legend label that fit in the legend column at 11 px. */
const LEGEND_CHARS = 30;

export function renderReport(record: RunRecord): string {
  const model = reportModel(record);
  const axis = timeAxis(model.from, model.to, record.onset, LAYOUT.plotLeft, LAYOUT.plotWidth);
  const css = STYLE;
  const script = clientScript();
  const sha = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;
  const csp = `default-src 'none'; style-src ${sha(css)}; script-src ${sha(script)}; base-uri 'none'; form-action 'none'`;
  const sections = model.sections
    .map(
      (s) =>
        `<section class="group"><h2>${esc(s.title)}</h2>\n${s.charts.map((c) => (c.kind === 'line' ? lineChart(c, axis, model) : laneChart(c, axis, model))).join('\n')}</section>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Vigil local mode">
<title>Vigil · ${esc(record.scenario.name)} · ${esc(record.cluster)}</title>
<style>${css}</style>
</head>
<body>
${header(record, model, axis)}
<main>
${sections}
${alertTable(model, record)}
${silencedTable(record)}
${awsEventTable(record)}
</main>
<footer>Written by Vigil local mode from the run's record. Self-contained: opening it fetches nothing.</footer>
<div id="tip" class="tip" hidden></div>
<script type="application/json" id="vigil-data">${scriptJson(clientData(model, axis, record))}</script>
<script>${script}</script>
</body>
</html>
`;
}

/** Writes the report into `dir` (created if needed) and returns the file's path. */
export async function writeReport(record: RunRecord, dir: string): Promise<string> {
  const slug =
    record.scenario.name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 60) || 'run';
  const stamp = isoMinute(record.start).replace(/[-:]/g, '').replace('T', '-');
  const file = path.resolve(dir, `vigil-report-${slug}-${stamp}.html`);
  await fs.mkdir(path.dirname(file), { recursive: true });
  // Written beside and renamed, so nobody opens a half-written report.
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, renderReport(record), 'utf8');
  await fs.rename(tmp, file);
  return file;
}

// ---------------------------------------------------------------------------------------------------
// Header and table
// ---------------------------------------------------------------------------------------------------

function header(record: RunRecord, model: ReportModel, axis: TimeAxis): string {
  // Alerts, not notifications: a re-notification of a firing alert is the same alert.
  const fired = new Map<string, AlertMark>();
  for (const a of model.alerts) if (a.phase === 'firing' && !fired.has(markAlertId(a))) fired.set(markAlertId(a), a);
  const bySeverity = (['critical', 'warning', 'info'] as const)
    .map((s) => [s, [...fired.values()].filter((a) => a.severity === s).length] as const)
    .filter(([, n]) => n > 0);
  const resolved = model.alerts.filter((a) => a.phase === 'resolved').length;
  const first = model.alerts.find((a) => a.phase === 'firing');
  const alertsText = fired.size
    ? `${fired.size} alert${fired.size > 1 ? 's' : ''} fired (${bySeverity.map(([s, n]) => `<span class="sev-text sev-${s}">${n} ${s}</span>`).join(', ')}); ${resolved ? `${resolved} resolved` : 'none resolved'}`
    : 'no alert fired';
  const firstText = first
    ? `${relativeLabel(first.t - record.onset)} from onset: <span class="sev-text sev-${first.severity}">${first.severity}</span> ${esc(first.rule)} · ${esc(subjectLabel(first.subject))}`
    : '—';
  const happenings = model.happenings.length
    ? `<ol class="happenings">${model.happenings.map((h, i) => `<li><span class="badge">${i + 1}</span><span class="when">${h.t === record.onset ? 'onset' : relativeLabel(h.t - record.onset)}</span> <span class="clock">${clockLabel(h.t)}</span> ${esc(h.text)}</li>`).join('')}</ol>`
    : '';
  return `<header>
<h1>${esc(record.scenario.name)} <span class="cluster">cluster ${esc(record.cluster)}</span></h1>
<p class="description">${esc(record.scenario.description)}</p>
<dl class="facts">
<div><dt>Run</dt><dd>${isoMinute(record.start).replace('T', ' ')} → ${isoMinute(record.end).slice(0, 10) === isoMinute(record.start).slice(0, 10) ? clockLabel(record.end) : isoMinute(record.end).replace('T', ' ')} UTC (${formatDuration(Math.max(record.end - record.start, 0)) || '0m'})</dd></div>
<div><dt>Onset</dt><dd>${isoMinute(record.onset).replace('T', ' ')} UTC — every time below is counted from it</dd></div>
<div><dt>Alerts</dt><dd>${alertsText}</dd></div>
<div><dt>First alert</dt><dd>${firstText}</dd></div>
</dl>
<p class="key">
<span class="k"><svg width="12" height="10" aria-hidden="true"><path class="glyph firing sev-critical" d="M1 1H11L6 9Z"/></svg> firing</span>
<span class="k"><svg width="12" height="10" aria-hidden="true"><circle class="glyph resolved sev-critical" cx="6" cy="5" r="3.5"/></svg> resolved</span>
<span class="k"><span class="chip sev-bg-critical"></span>critical</span>
<span class="k"><span class="chip sev-bg-warning"></span>warning</span>
<span class="k"><span class="chip sev-bg-info"></span>info</span>
<span class="k"><svg width="14" height="12" aria-hidden="true"><line class="key-happening" x1="7" x2="7" y1="0" y2="12"/></svg> happening</span>
<span class="k"><svg width="14" height="12" aria-hidden="true"><line class="key-onset" x1="7" x2="7" y1="0" y2="12"/></svg> onset</span>
<span class="hint">Time axis: ${axis.ticks().length > 1 ? `${formatDuration(axis.ticks()[1] - axis.ticks()[0])} per tick, ` : ''}from onset. Point at a chart for exact values; at a legend name or a table row to find it in every chart.</span>
</p>
${happenings}
</header>`;
}

function alertTable(model: ReportModel, record: RunRecord): string {
  if (!model.alerts.length)
    return `<section class="group" id="notifications"><h2>Notifications</h2><p class="empty">No alert was sent during this run.</p></section>`;
  const rows = model.alerts.map(
    (a, i) =>
      `<tr data-a="${i}" class="sev-row-${a.severity}"><td class="num">${relativeLabel(a.t - record.onset)}</td><td class="clock">${clockLabel(a.t)}</td>` +
      `<td><span class="sev-badge sev-bg-${a.severity}">${a.severity}</span></td><td class="phase ${a.phase}">${a.phase === 'firing' ? '▼' : '○'} ${a.phase}</td>` +
      `<td class="rule">${esc(a.rule)}</td><td>${esc(subjectLabel(a.subject))}</td><td class="summary">${esc(a.summary)}</td></tr>`,
  );
  return `<section class="group" id="notifications"><h2>Notifications (${model.alerts.length})</h2>
<table class="alerts"><thead><tr><th>from onset</th><th>UTC</th><th>severity</th><th>phase</th><th>rule</th><th>subject</th><th>summary</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></section>`;
}

/** Alerts a silence held quiet: tracked and shown here, never sent. */
function silencedTable(record: RunRecord): string {
  const held = record.silenced ?? [];
  if (!held.length) return '';
  const rows = held.map(
    (a) =>
      `<tr class="sev-row-${a.severity}"><td class="num">${relativeLabel(a.t - record.onset)}</td><td class="clock">${clockLabel(a.t)}</td>` +
      `<td><span class="sev-badge sev-bg-${a.severity}">${a.severity}</span></td><td>${esc(a.silence)}</td>` +
      `<td class="rule">${esc(a.rule)}</td><td>${esc(subjectLabel(a.subject))}</td><td class="summary">${esc(a.summary)}</td></tr>`,
  );
  return `<section class="group" id="silenced"><h2>Held by silences (${held.length})</h2>
<table class="alerts"><thead><tr><th>from onset</th><th>UTC</th><th>severity</th><th>silence</th><th>rule</th><th>subject</th><th>summary</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></section>`;
}

/** The cluster's AWS events on the run's timeline: what AWS said, as it happened. */
function awsEventTable(record: RunRecord): string {
  const events = record.awsEvents ?? [];
  if (!events.length) return '';
  const rows = events.map(
    (e) =>
      `<tr><td class="num">${relativeLabel(e.t - record.onset)}</td><td class="clock">${clockLabel(e.t)}</td><td>${esc(e.subject)}</td><td class="summary">${esc(e.text)}</td></tr>`,
  );
  return `<section class="group" id="aws-events"><h2>AWS events (${events.length})</h2>
<table class="alerts"><thead><tr><th>from onset</th><th>UTC</th><th>instance or group</th><th>event</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></section>`;
}

// ---------------------------------------------------------------------------------------------------
// Charts
// ---------------------------------------------------------------------------------------------------

function xAxis(axis: TimeAxis, y: number, clocks: boolean): string {
  return `<g class="xaxis">${axis
    .ticks()
    .map((t) => {
      const x = px(axis.x(t));
      const label = t === axis.onset ? 'onset' : relativeLabel(t - axis.onset);
      return `<line x1="${x}" x2="${x}" y1="${y}" y2="${y + 4}"/><text x="${x}" y="${y + 15}">${label}</text>${clocks ? `<text class="clock" x="${x}" y="${y + 27}">${clockLabel(t)}</text>` : ''}`;
    })
    .join('')}</g>`;
}

/** Vertical lines for the onset, every happening and every notification, with glyphs above the plot. */
function markers(axis: TimeAxis, model: ReportModel, top: number, bottom: number, glyphs = true): string {
  const out: string[] = [];
  const line = (x: string, cls: string, title: string, extra = '') =>
    `<g class="${cls}"${extra}><line class="rule" x1="${x}" x2="${x}" y1="${top}" y2="${bottom}"/><line class="hit" x1="${x}" x2="${x}" y1="${top - LAYOUT.top}" y2="${bottom}"/><title>${title}</title>`;
  const ox = px(axis.x(axis.onset));
  out.push(`${line(ox, 'mark onset', `onset · ${clockLabel(axis.onset)} UTC`)}</g>`);
  model.happenings.forEach((h, i) => {
    const x = px(axis.x(h.t));
    out.push(
      `${line(x, 'mark happening', `${i + 1}. ${relativeLabel(h.t - axis.onset)} (${clockLabel(h.t)} UTC): ${esc(h.text)}`)}<text class="happening-n" x="${x}" y="${top - 5}">${i + 1}</text></g>`,
    );
  });
  model.alerts.forEach((a, i) => {
    const x = axis.x(a.t);
    const glyph =
      a.phase === 'firing'
        ? `<path class="glyph" d="M${px(x - 5)} ${top - 10}H${px(x + 5)}L${px(x)} ${top - 1}Z"/>`
        : `<circle class="glyph" cx="${px(x)}" cy="${top - 5}" r="3.5"/>`;
    const title = `${relativeLabel(a.t - axis.onset)} (${clockLabel(a.t)} UTC) ${a.phase} ${a.severity} · ${esc(a.rule)} · ${esc(subjectLabel(a.subject))}: ${esc(a.summary)}`;
    out.push(
      `${line(px(x), `mark alert ${a.phase} sev-${a.severity}`, title, ` data-a="${i}" data-t="${a.t}"`)}${glyphs ? glyph : ''}</g>`,
    );
  });
  return `<g class="marks">${out.join('')}</g>`;
}

function svgOpen(id: string, height: number, axis: TimeAxis, label: string): string {
  return `<svg class="chart" data-chart="${id}" data-x0="${axis.left}" data-w="${axis.width}" width="${LAYOUT.width}" height="${height}" viewBox="0 0 ${LAYOUT.width} ${height}" role="img" aria-label="${esc(label)}">`;
}

const truncate = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function lineChart(c: LineChartModel, axis: TimeAxis, model: ReportModel): string {
  const legendRows = c.series.length + (c.others.length || c.notDrawn ? 1 : 0);
  const plotHeight = Math.max(LAYOUT.plotHeight, legendRows * 16 + 8);
  const top = LAYOUT.top;
  const bottom = top + plotHeight;
  const height = bottom + LAYOUT.bottom;
  const dataMax = Math.max(0, ...[...c.series, ...c.others].map((s) => s.peak ?? 0));
  const v = valueAxis(c.unit, dataMax, top, plotHeight);
  const empty = c.series.length === 0;
  const grid = v.ticks
    .map(
      (t) =>
        `<line x1="${axis.left}" x2="${axis.left + axis.width}" y1="${px(v.y(t))}" y2="${px(v.y(t))}"/><text x="${axis.left - 6}" y="${px(v.y(t) + 4)}">${formatValue(t, c.unit)}</text>`,
    )
    .join('');
  const path = (s: LineChartModel['series'][number]) =>
    `<path class="line${s.faded ? ' faded' : ''}" data-k="${esc(s.key)}" d="${linePath(s.points, axis.x, v.y, { step: c.step, xMax: axis.left + axis.width })}" stroke="${s.colour}"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}><title>${esc(s.title ?? s.label)}</title></path>`;
  const pointMarks = [...c.series, ...c.others]
    .flatMap((s) =>
      (s.marks ?? []).map((m) => {
        const value = s.points.find((p) => p.t === m.t)?.v;
        const x = axis.x(m.t);
        const y = value === undefined ? top + 6 : v.y(value);
        return `<g class="point-mark" data-k="${esc(s.key)}"><path d="M${px(x - 4)} ${px(y - 4)}L${px(x + 4)} ${px(y + 4)}M${px(x + 4)} ${px(y - 4)}L${px(x - 4)} ${px(y + 4)}"/><title>${relativeLabel(m.t - axis.onset)}: ${esc(m.text)}</title></g>`;
      }),
    )
    .join('');
  const legend = c.series
    .map((s, i) => {
      const y = top + 12 + i * 16;
      return `<g data-k="${esc(s.key)}"><line x1="${LEGEND_X}" x2="${LEGEND_X + 16}" y1="${y - 4}" y2="${y - 4}" stroke="${s.colour}"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/><text x="${LEGEND_X + 22}" y="${y}">${esc(truncate(s.label, LEGEND_CHARS))}</text><text class="peak" x="${LAYOUT.width - 4}" y="${y}">${s.peak === undefined ? '' : formatValue(s.peak, c.unit)}</text><title>${esc(s.title ?? s.label)} — peak ${s.peak === undefined ? 'n/a' : formatValue(s.peak, c.unit)}</title></g>`;
    })
    .join('');
  const rest = c.others.length + c.notDrawn;
  const othersLine = rest
    ? `<g class="others-key"><line x1="${LEGEND_X}" x2="${LEGEND_X + 16}" y1="${top + 8 + c.series.length * 16}" y2="${top + 8 + c.series.length * 16}"/><text x="${LEGEND_X + 22}" y="${top + 12 + c.series.length * 16}">${rest} ${esc(c.othersLabel)}${c.notDrawn ? ` (${c.others.length} drawn)` : ''}</text></g>`
    : '';
  const body = empty
    ? `<text class="empty" x="${axis.left + axis.width / 2}" y="${top + plotHeight / 2}">${esc(c.empty)}</text>`
    : `<g class="series others">${c.others.map(path).join('')}</g><g class="series main">${c.series.map(path).join('')}</g>${pointMarks}`;
  return `<figure class="panel" id="chart-${c.id}"><figcaption><h3>${esc(c.title)}</h3> <span class="sub">${esc(c.subtitle)}</span></figcaption>
${svgOpen(c.id, height, axis, `${c.title}: ${c.subtitle}`)}<g class="grid">${grid}</g>${xAxis(axis, bottom, false)}${markers(axis, model, top, bottom)}${body}<g class="legend">${legend}${othersLine}</g><line class="crosshair" x1="0" x2="0" y1="${top}" y2="${bottom}"/></svg>
${c.notes.map((n) => `<p class="note">${esc(n)}</p>`).join('')}</figure>`;
}

function laneChart(c: LaneChartModel, axis: TimeAxis, model: ReportModel): string {
  const top = LAYOUT.top;
  const rows = Math.max(c.rows.length, 1);
  const bottom = top + rows * LAYOUT.laneHeight + 4;
  const clocks = c.id === 'alerts';
  const height = bottom + LAYOUT.bottom + (clocks ? 12 : 0);
  const laneRows = c.rows
    .map((r, i) => {
      const y = top + 2 + i * LAYOUT.laneHeight;
      const segments = r.segments
        .map((s) => {
          const x1 = axis.x(Math.max(s.from, axis.from));
          const x2 = Math.max(axis.x(Math.min(s.to, axis.to)), x1 + 2);
          const when = `${relativeLabel(s.from - axis.onset)} → ${relativeLabel(s.to - axis.onset)} (${formatDuration(s.to - s.from) || '0m'})`;
          return `<rect class="seg ${s.cls}" x="${px(x1)}" y="${y + 2}" width="${px(x2 - x1)}" height="${LAYOUT.laneHeight - 5}"><title>${esc(r.title)}: ${esc(s.text)} · ${when}</title></rect>`;
        })
        .join('');
      const glyphs = (r.glyphs ?? [])
        .map((g) => {
          const x = axis.x(g.t);
          const cy = y + LAYOUT.laneHeight / 2 - 0.5;
          const shape =
            g.phase === 'firing'
              ? `<path class="glyph" d="M${px(x - 4.5)} ${px(cy - 4)}H${px(x + 4.5)}L${px(x)} ${px(cy + 4)}Z"/>`
              : `<circle class="glyph" cx="${px(x)}" cy="${px(cy)}" r="3.5"/>`;
          return `<g class="lane-glyph ${g.phase} sev-${g.severity}">${shape}<title>${relativeLabel(g.t - axis.onset)} ${esc(g.text)}</title></g>`;
        })
        .join('');
      return `<g class="lane" data-k="${esc(r.key)}"><line class="lane-base" x1="${axis.left}" x2="${axis.left + axis.width}" y1="${y + LAYOUT.laneHeight / 2 - 0.5}" y2="${y + LAYOUT.laneHeight / 2 - 0.5}"/>${segments}${glyphs}<text class="lane-label" x="${LEGEND_X}" y="${y + 12}">${esc(truncate(r.label, LEGEND_CHARS + 6))}<title>${esc(r.title)}</title></text></g>`;
    })
    .join('');
  const body = c.rows.length ? laneRows : `<text class="empty" x="${axis.left + axis.width / 2}" y="${top + 14}">${esc(c.empty)}</text>`;
  const legend = c.legend.map((l) => `<span class="k"><span class="chip seg ${l.cls}"></span>${esc(l.label)}</span>`).join('');
  return `<figure class="panel" id="chart-${c.id}"><figcaption><h3>${esc(c.title)}</h3> <span class="sub">${esc(c.subtitle)}</span> <span class="lane-key">${legend}</span></figcaption>
${svgOpen(c.id, height, axis, `${c.title}: ${c.subtitle}`)}<rect class="plot-bg" x="${axis.left}" y="${top}" width="${axis.width}" height="${bottom - top}"/>${xAxis(axis, bottom, clocks)}${markers(axis, model, top, bottom, c.id !== 'alerts')}${body}<line class="crosshair" x1="0" x2="0" y1="${top}" y2="${bottom}"/></svg>
${c.notes.map((n) => `<p class="note">${esc(n)}</p>`).join('')}</figure>`;
}

// ---------------------------------------------------------------------------------------------------
// What the page's script reads
// ---------------------------------------------------------------------------------------------------

/**
 * Values on a grid of at most one step per pixel column (a minute, or the max over several for long runs),
 * so the tooltip reads what the chart shows without a 24-hour run carrying every minute twice.
 */
function clientData(model: ReportModel, axis: TimeAxis, record: RunRecord): ClientData {
  const t0 = minuteOf(model.from);
  const step = Math.max(1, Math.ceil((axis.to - t0) / MINUTE_MS / LAYOUT.plotWidth)) * MINUTE_MS;
  const slots = Math.floor((axis.to - t0) / step) + 1;
  const round = (v: number, unit: string) =>
    unit === 'pct' ? Math.round(v * 10) / 10 : unit === 'bytes' ? Math.round(v) : Math.round(v * 100) / 100;
  const charts: ClientData['charts'] = {};
  const all: ChartModel[] = model.sections.flatMap((s) => s.charts);
  for (const c of all) {
    if (c.kind === 'line') {
      charts[c.id] = {
        unit: c.unit,
        series: [...c.series, ...c.others].map((s) => {
          const v: (number | null)[] = new Array(slots).fill(null);
          for (const p of s.points) {
            if (p.v === undefined || !Number.isFinite(p.v)) continue;
            const i = Math.round((p.t - t0) / step);
            if (i >= 0 && i < slots) v[i] = Math.max(v[i] ?? -Infinity, round(p.v, c.unit));
          }
          return { k: s.key, n: s.label, c: s.colour, f: s.faded ? 1 : 0, v };
        }),
      };
    } else {
      charts[c.id] = {
        lanes: c.rows.map((r) => ({ n: r.label, s: r.segments.map((s): [EpochMs, EpochMs, string] => [s.from, s.to, s.text]) })),
      };
    }
  }
  return {
    from: axis.from,
    to: axis.to,
    onset: record.onset,
    t0,
    step,
    alerts: model.alerts.map((a) => ({ t: a.t, s: a.severity, p: a.phase, r: a.rule, m: `${subjectLabel(a.subject)} — ${a.summary}` })),
    charts,
  };
}

// ---------------------------------------------------------------------------------------------------
// Style: system fonts only, readable from 1280 px wide; severity colours match the notifications'.
// ---------------------------------------------------------------------------------------------------

const STYLE = `
:root { --critical: #d32f2f; --warning: #ef8f00; --info: #0288d1; --ink: #1d2329; --muted: #5f6b76; --line: #e3e7eb; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: #f6f7f9; }
header, main, footer { max-width: 1240px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 20px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h1 .cluster { font-size: 14px; font-weight: normal; color: var(--muted); margin-left: 8px; }
h2 { font-size: 16px; margin: 22px 0 6px; border-bottom: 1px solid var(--line); padding-bottom: 3px; }
h3 { display: inline; font-size: 14px; margin: 0; }
.description { margin: 0 0 10px; color: #38424c; max-width: 980px; }
.facts { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 4px 24px; margin: 0 0 8px; }
.facts div { display: flex; gap: 8px; }
.facts dt { color: var(--muted); min-width: 78px; }
.facts dd { margin: 0; }
.key { display: flex; flex-wrap: wrap; gap: 6px 16px; align-items: center; margin: 8px 0; font-size: 12px; color: #38424c; }
.key .hint { color: var(--muted); }
.k { display: inline-flex; align-items: center; gap: 5px; }
.chip { display: inline-block; width: 12px; height: 10px; border-radius: 2px; }
.sev-bg-critical { background: var(--critical); } .sev-bg-warning { background: var(--warning); } .sev-bg-info { background: var(--info); }
.sev-text.sev-critical { color: var(--critical); font-weight: 600; } .sev-text.sev-warning { color: #b86e00; font-weight: 600; } .sev-text.sev-info { color: var(--info); font-weight: 600; }
.happenings { margin: 6px 0 0; padding: 0; list-style: none; font-size: 13px; }
.happenings li { margin: 2px 0; }
.badge { display: inline-block; min-width: 18px; padding: 0 4px; margin-right: 6px; border-radius: 9px; background: #4a5560; color: #fff; font-size: 11px; text-align: center; }
.when { display: inline-block; min-width: 58px; font-variant-numeric: tabular-nums; font-weight: 600; }
.clock { color: var(--muted); font-variant-numeric: tabular-nums; }
.panel { margin: 0 0 10px; background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px 4px; }
figcaption { margin: 0 0 2px; }
figcaption .sub { color: var(--muted); font-size: 12px; }
.lane-key { float: right; display: inline-flex; gap: 12px; font-size: 12px; color: var(--muted); }
svg.chart { display: block; width: 100%; height: auto; max-width: 1200px; overflow: visible; }
svg.chart text { font: 11px system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; fill: #38424c; }
.grid line { stroke: var(--line); }
.grid text { text-anchor: end; fill: var(--muted); }
.xaxis line { stroke: #9aa3ad; }
.xaxis text { text-anchor: middle; fill: var(--muted); }
.xaxis text.clock { font-size: 10px; }
.plot-bg { fill: #fbfcfd; }
.line { fill: none; stroke-width: 1.8; stroke-linejoin: round; }
.line.faded { stroke-width: 1; opacity: .45; }
.legend text.peak { text-anchor: end; fill: var(--muted); font-variant-numeric: tabular-nums; }
.legend line { stroke-width: 2.5; }
.others-key line { stroke: #9aa3ad; opacity: .6; }
.others-key text { fill: var(--muted); }
.empty { text-anchor: middle; fill: var(--muted); font-style: italic; }
.note { margin: 0 0 4px; font-size: 12px; color: var(--muted); }
.mark .rule { stroke-width: 1.2; }
.mark .hit { stroke: transparent; stroke-width: 9; }
.mark.onset .rule { stroke: #1d2329; stroke-dasharray: 5 3; stroke-width: 1.5; }
.mark.happening .rule { stroke: #4a5560; stroke-dasharray: 1 3; stroke-width: 1.5; }
.happening-n { text-anchor: middle; font-size: 10px !important; font-weight: 700; fill: #4a5560 !important; }
.mark.alert .rule { opacity: .55; }
.mark.alert.resolved .rule { stroke-dasharray: 4 3; }
.sev-critical .rule { stroke: var(--critical); }
.sev-warning .rule { stroke: var(--warning); }
.sev-info .rule { stroke: var(--info); }
.glyph { stroke-width: 1.5; }
.firing.sev-critical .glyph, .firing.sev-critical.glyph { fill: var(--critical); stroke: var(--critical); }
.firing.sev-warning .glyph, .firing.sev-warning.glyph { fill: var(--warning); stroke: var(--warning); }
.firing.sev-info .glyph, .firing.sev-info.glyph { fill: var(--info); stroke: var(--info); }
.resolved .glyph, .resolved.glyph { fill: #fff; }
.resolved.sev-critical .glyph, .resolved.sev-critical.glyph { stroke: var(--critical); }
.resolved.sev-warning .glyph { stroke: var(--warning); }
.resolved.sev-info .glyph { stroke: var(--info); }
.point-mark path { stroke: var(--critical); stroke-width: 2; }
.key-happening { stroke: #4a5560; stroke-dasharray: 1 3; stroke-width: 1.5; }
.key-onset { stroke: #1d2329; stroke-dasharray: 5 3; stroke-width: 1.5; }
.lane-base { stroke: var(--line); }
.lane-label { fill: var(--ink); }
.seg.ok { fill: #cfe8d2; background: #cfe8d2; }
.seg.pressure { fill: #f4b740; background: #f4b740; }
.seg.notready { fill: #8e1b1b; background: #8e1b1b; }
.seg.sev-critical { fill: var(--critical); background: var(--critical); opacity: .8; }
.seg.sev-warning { fill: var(--warning); background: var(--warning); opacity: .8; }
.seg.sev-info { fill: var(--info); background: var(--info); opacity: .8; }
.seg.open { opacity: .55; }
.crosshair { stroke: #1d2329; stroke-width: 1; opacity: 0; pointer-events: none; }
.crosshair.on { opacity: .6; }
body.focus .line:not(.hl), body.focus .mark.alert:not(.hl) .rule, body.focus .lane:not(.hl) { opacity: .15; }
.line.hl { stroke-width: 3; opacity: 1; }
.mark.alert.hl .rule { opacity: 1; stroke-width: 2.5; }
.legend [data-k], tr[data-a] { cursor: default; }
.legend .hl text { font-weight: 700; }
table.alerts { width: 100%; border-collapse: collapse; background: #fff; font-size: 13px; border: 1px solid var(--line); }
table.alerts th { white-space: nowrap; text-align: left; font-weight: 600; color: var(--muted); border-bottom: 1px solid var(--line); padding: 5px 8px; }
table.alerts td { border-bottom: 1px solid var(--line); padding: 4px 8px; vertical-align: top; }
table.alerts td.num { font-variant-numeric: tabular-nums; font-weight: 600; white-space: nowrap; }
table.alerts td.rule, table.alerts td.phase { white-space: nowrap; }
table.alerts td.summary { color: #38424c; }
table.alerts tr.hl td { background: #fff6d6; }
.sev-badge { display: inline-block; padding: 0 6px; border-radius: 3px; color: #fff; font-size: 12px; }
.phase.resolved { color: var(--muted); }
footer { padding: 16px 20px 28px; color: var(--muted); font-size: 12px; }
.tip { position: fixed; z-index: 10; max-width: 460px; padding: 6px 8px; background: rgba(255,255,255,.97); border: 1px solid #c5ccd3; border-radius: 4px; box-shadow: 0 2px 8px rgba(0,0,0,.15); font-size: 12px; pointer-events: none; }
.tip[hidden] { display: none; }
.tip-time { font-weight: 600; margin-bottom: 3px; }
.tip-values { border-collapse: collapse; }
.tip-values td { padding: 0 4px 0 0; }
.tip-values td.num { text-align: right; font-variant-numeric: tabular-nums; }
.tip-values tr.faded { color: var(--muted); }
.tip .more { color: var(--muted); }
.tip-alert { margin-top: 3px; }
.tip-alert.sev-critical { color: var(--critical); } .tip-alert.sev-warning { color: #b86e00; } .tip-alert.sev-info { color: var(--info); }
@media print { body { background: #fff; } .panel { break-inside: avoid; } .tip { display: none; } }
`;

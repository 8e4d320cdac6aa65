/**
 * The report page's own script: a crosshair shared by every chart, a tooltip with the values at the
 * minute under the pointer and the alerts sent then, and highlighting of one series (legend) or one
 * notification (table row) across all charts. The charts are complete without it.
 *
 * Bundled by esbuild into the page (../client.ts). It reads the record only through `textContent` and
 * writes with `textContent`: nothing from the record becomes markup.
 */
import { formatDuration } from '../../../model/quantity';
import { MINUTE_MS } from '../../../model/time';
import type { ClientData, ClientLaneChart, ClientLineChart, ClientSeries } from '../client-data';
import { clockLabel, formatValue, relativeLabel } from '../svg';

/** Tooltip rows at most: values of one chart, and notifications. */
const MAX_VALUES = 12;
const MAX_ALERTS = 6;

const data = JSON.parse(byId('vigil-data').textContent ?? '') as ClientData;
const tip = byId('tip');
const charts = [...document.querySelectorAll<SVGSVGElement>('svg.chart')];
const span = data.to - data.from;

function byId(id: string): HTMLElement {
  const e = document.getElementById(id);
  if (!e) throw new Error(`the report page has no #${id}`);
  return e;
}

const relative = (t: number): string => (Math.round((t - data.onset) / MINUTE_MS) === 0 ? 'onset' : relativeLabel(t - data.onset));
const clock = (t: number): string => `${clockLabel(t)} UTC`;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** The plot area of a chart, in SVG units (html.ts writes it on each svg). */
const plotOf = (svg: SVGSVGElement) => ({ x0: Number(svg.getAttribute('data-x0')), w: Number(svg.getAttribute('data-w')) });

/** The time under the pointer, or null outside the plot area. */
function timeAt(svg: SVGSVGElement, evt: MouseEvent): number | null {
  const ctm = svg.getScreenCTM();
  if (!ctm) return null;
  const pt = svg.createSVGPoint();
  pt.x = evt.clientX;
  pt.y = evt.clientY;
  const p = pt.matrixTransform(ctm.inverse());
  const { x0, w } = plotOf(svg);
  if (p.x < x0 || p.x > x0 + w) return null;
  return data.from + ((p.x - x0) / w) * span;
}

function moveCrosshairs(t: number | null): void {
  for (const svg of charts) {
    const line = svg.querySelector('.crosshair');
    if (!line) continue;
    if (t === null) {
      line.classList.remove('on');
      continue;
    }
    const { x0, w } = plotOf(svg);
    const x = String(x0 + ((t - data.from) / span) * w);
    line.setAttribute('x1', x);
    line.setAttribute('x2', x);
    line.classList.add('on');
  }
}

function valueRows(spec: ClientLineChart, i: number): void {
  const rows = spec.series
    .map((s) => ({ s, v: s.v[i] }))
    .filter((r): r is { s: ClientSeries; v: number } => r.v !== null && r.v !== undefined)
    .sort((a, b) => b.v - a.v);
  if (!rows.length) {
    tip.appendChild(el('div', 'more', 'no data at this minute'));
    return;
  }
  const list = el('table', 'tip-values');
  for (const r of rows.slice(0, MAX_VALUES)) {
    const tr = el('tr', r.s.f ? 'faded' : '');
    const sw = el('td');
    const chip = el('span', 'chip');
    chip.style.background = r.s.c;
    sw.appendChild(chip);
    tr.appendChild(sw);
    tr.appendChild(el('td', 'name', r.s.n));
    tr.appendChild(el('td', 'num', formatValue(r.v, spec.unit)));
    list.appendChild(tr);
  }
  if (rows.length > MAX_VALUES) {
    const more = el('tr');
    const td = el('td', 'more', `\u2026 ${rows.length - MAX_VALUES} more`);
    td.colSpan = 3;
    more.appendChild(td);
    list.appendChild(more);
  }
  tip.appendChild(list);
}

function laneRows(spec: ClientLaneChart, t: number): void {
  const lanes = el('table', 'tip-values');
  for (const lane of spec.lanes) {
    const seg = lane.s.find(([from, to]) => from <= t && t < to);
    if (!seg) continue;
    const tr = el('tr');
    tr.appendChild(el('td', 'name', lane.n));
    tr.appendChild(el('td', 'state', seg[2]));
    lanes.appendChild(tr);
  }
  if (lanes.firstChild) tip.appendChild(lanes);
}

function fill(chart: string, t: number): void {
  tip.replaceChildren();
  const i = Math.round((t - data.t0) / data.step);
  const at = data.t0 + i * data.step;
  const over = data.step > MINUTE_MS ? ` \u00b7 max over ${formatDuration(data.step)}` : '';
  tip.appendChild(el('div', 'tip-time', `${relative(at)} \u00b7 ${clock(at)}${over}`));
  const spec = data.charts[chart];
  if (spec && 'series' in spec) valueRows(spec, i);
  else if (spec) laneRows(spec, t);
  const near = data.alerts.filter((a) => Math.abs(a.t - at) < data.step / 2 + 30_000);
  for (const a of near.slice(0, MAX_ALERTS)) {
    const glyph = a.p === 'firing' ? '\u25bc' : '\u25cb';
    tip.appendChild(el('div', `tip-alert sev-${a.s}`, `${glyph} ${a.p} ${a.s} \u00b7 ${a.r}: ${a.m}`));
  }
  if (near.length > MAX_ALERTS) tip.appendChild(el('div', 'more', `\u2026 ${near.length - MAX_ALERTS} more notifications`));
}

function place(evt: MouseEvent): void {
  tip.hidden = false;
  const r = tip.getBoundingClientRect();
  let x = evt.clientX + 16;
  let y = evt.clientY + 16;
  if (x + r.width > window.innerWidth - 8) x = Math.max(8, evt.clientX - r.width - 16);
  if (y + r.height > window.innerHeight - 8) y = Math.max(8, evt.clientY - r.height - 16);
  tip.style.left = `${x}px`;
  tip.style.top = `${y}px`;
}

for (const svg of charts) {
  svg.addEventListener('mousemove', (evt) => {
    const t = timeAt(svg, evt);
    moveCrosshairs(t);
    if (t === null) {
      tip.hidden = true;
      return;
    }
    fill(svg.getAttribute('data-chart') ?? '', t);
    place(evt);
  });
  svg.addEventListener('mouseleave', () => {
    moveCrosshairs(null);
    tip.hidden = true;
  });
}

/** One series, or one notification, stands out in every chart while the pointer is on its name. */
function highlight(attr: string, value: string | null, on: boolean): void {
  document.body.classList.toggle('focus', on);
  for (const e of document.querySelectorAll(`[${attr}]`)) if (e.getAttribute(attr) === value) e.classList.toggle('hl', on);
}

function hover(selector: string, attr: string): void {
  for (const e of document.querySelectorAll(selector)) {
    const v = e.getAttribute(attr);
    e.addEventListener('mouseenter', () => highlight(attr, v, true));
    e.addEventListener('mouseleave', () => highlight(attr, v, false));
  }
}

hover('.legend [data-k]', 'data-k');
hover('tr[data-a]', 'data-a');

document.documentElement.setAttribute('data-ready', String(charts.length));

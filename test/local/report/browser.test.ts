/**
 * The written report, opened in a real headless chromium at 1280 px: it loads with no error and no
 * request, its charts and alert markers are laid out where their times say, and its script works.
 * Set VIGIL_SCREENSHOTS=<dir> to keep a PNG of each page for a look.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { writeReport } from '../../../local/report/html';
import type { RunRecord } from '../../../local/report/run-record';
import { MINUTE_MS } from '../../../model/time';
import { browserTest, openPage, type BrowserPage } from './chromium';
import { DOMINO_ALERTS, END, NODES, ONSET, START, dominoRecord } from './fixture';

// Skipped on a machine without chromium (test/support/global-setup.ts says so once); required under CI.
const test = browserTest();
const CHARTS = [
  'alerts',
  'cluster',
  'host-cpu',
  'node-memory',
  'node-disk',
  'node-cpu',
  'node-state',
  'workload-memory',
  'workload-restarts',
  'workload-unavailable',
];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-report-browser-'));

async function open(record: RunRecord): Promise<{ page: BrowserPage; url: string }> {
  const file = await writeReport(record, dir);
  const url = pathToFileURL(file).href;
  const page = await openPage(url, { width: 1280, height: 900 });
  if (process.env.VIGIL_SCREENSHOTS) {
    fs.mkdirSync(process.env.VIGIL_SCREENSHOTS, { recursive: true });
    await page.screenshot(path.join(process.env.VIGIL_SCREENSHOTS, path.basename(file, '.html') + '.png'));
  }
  return { page, url };
}

/** Scrolls a chart into view and returns the viewport point of time `t`, halfway down its plot. */
async function pointOf(page: BrowserPage, chart: string, t: number): Promise<{ x: number; y: number }> {
  return page.evaluate(`(() => {
    const svg = document.querySelector('svg.chart[data-chart="${chart}"]');
    svg.scrollIntoView({ block: 'center' });
    const r = svg.getBoundingClientRect(), scale = r.width / svg.viewBox.baseVal.width;
    const x0 = +svg.dataset.x0, w = +svg.dataset.w;
    return { x: r.left + (x0 + ((${t} - ${START}) / (${END - START})) * w) * scale, y: r.top + r.height / 2 };
  })()`);
}

describe('the domino report in chromium', () => {
  let page: BrowserPage;
  let url: string;
  beforeAll(async () => ({ page, url } = await open(dominoRecord())));
  afterAll(() => page?.close());

  test('loads without an error or any request beyond the file itself, runs its script, and fits 1280 px', async () => {
    expect(page.errors).toEqual([]);
    expect(page.requests).toEqual([url]);
    expect(await page.evaluate('document.documentElement.getAttribute("data-ready")')).toBe(String(CHARTS.length));
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(1280);
    // The stylesheet applied (its CSP hash matched): the critical colour reaches the markers.
    expect(await page.evaluate(`getComputedStyle(document.querySelector('.mark.alert.sev-critical .rule')).stroke`)).toBe(
      'rgb(211, 47, 47)',
    );
  });

  test('draws every chart, with visible lines and lanes', async () => {
    const charts = await page.evaluate<
      { id: string; width: number; height: number; lines: number; segments: number }[]
    >(`[...document.querySelectorAll('svg.chart')].map((svg) => {
      const r = svg.getBoundingClientRect();
      const visible = (e) => { const b = e.getBoundingClientRect(); return b.width > 0 && b.height >= 0 && getComputedStyle(e).visibility !== 'hidden' && +getComputedStyle(e).opacity > 0; };
      return {
        id: svg.dataset.chart, width: r.width, height: r.height,
        lines: [...svg.querySelectorAll('path.line')].filter((p) => p.getTotalLength() > 0 && visible(p)).length,
        segments: [...svg.querySelectorAll('rect.seg')].filter(visible).length,
      };
    })`);
    expect(charts.map((c) => c.id)).toEqual(CHARTS);
    for (const c of charts) {
      expect(c.width).toBeGreaterThan(1100);
      expect(c.height).toBeGreaterThan(80);
    }
    const by = Object.fromEntries(charts.map((c) => [c.id, c]));
    expect(by.cluster.lines).toBe(5);
    expect(by['host-cpu'].lines).toBe(4);
    expect(by['node-memory'].lines).toBe(4);
    expect(by['workload-memory'].lines).toBe(4);
    expect(by['workload-restarts'].lines).toBe(1);
    expect(by.alerts.segments).toBe(6);
    expect(by['node-state'].segments).toBeGreaterThanOrEqual(4);
  });

  test('draws each notification in every chart, where its time is on the shared axis, coloured by severity', async () => {
    const marks = await page.evaluate<
      {
        chart: string;
        a: number;
        x: number;
        plotLeft: number;
        plotWidth: number;
        top: number;
        bottom: number;
        plotTop: number;
        plotBottom: number;
        stroke: string;
        glyph: boolean;
      }[]
    >(`[...document.querySelectorAll('svg.chart')].flatMap((svg) => {
      const r = svg.getBoundingClientRect(), scale = r.width / svg.viewBox.baseVal.width;
      return [...svg.querySelectorAll('g.mark.alert')].map((g) => {
        const rule = g.querySelector('line.rule'), b = rule.getBoundingClientRect();
        const glyph = g.querySelector('.glyph');
        return {
          chart: svg.dataset.chart, a: +g.dataset.a, x: b.left + b.width / 2,
          plotLeft: r.left + +svg.dataset.x0 * scale, plotWidth: +svg.dataset.w * scale,
          top: b.top, bottom: b.bottom, plotTop: r.top, plotBottom: r.bottom,
          stroke: getComputedStyle(rule).stroke,
          glyph: !!glyph && glyph.getBoundingClientRect().width > 0 && getComputedStyle(glyph).fill !== 'none',
        };
      });
    })`);
    expect(marks).toHaveLength(DOMINO_ALERTS.length * CHARTS.length);
    const colour = { critical: 'rgb(211, 47, 47)', warning: 'rgb(239, 143, 0)', info: 'rgb(2, 136, 209)' };
    for (const m of marks) {
      const alert = DOMINO_ALERTS[m.a];
      const expected = m.plotLeft + ((alert.t - START) / (END - START)) * m.plotWidth;
      expect({ chart: m.chart, a: m.a, x: Math.round(m.x) }).toEqual({ chart: m.chart, a: m.a, x: Math.round(expected) });
      expect(m.stroke).toBe(colour[alert.severity]);
      expect(m.bottom - m.top).toBeGreaterThan(30); // it crosses the plot
      expect(m.top).toBeGreaterThanOrEqual(m.plotTop);
      expect(m.bottom).toBeLessThanOrEqual(m.plotBottom);
      if (m.chart !== 'alerts') expect(m.glyph).toBe(true);
    }
    // And the alert lanes show each notification as a glyph on its row.
    expect(await page.evaluate(`document.querySelectorAll('svg.chart[data-chart="alerts"] .lane-glyph .glyph').length`)).toBe(
      DOMINO_ALERTS.length,
    );
  });

  test('pointing at a chart shows that minute’s values and notifications, and moves the crosshair in every chart', async () => {
    const t = ONSET + 10 * MINUTE_MS;
    const p = await pointOf(page, 'node-memory', t);
    await page.mouseMove(p.x, p.y);
    const tip = await page.evaluate<{ hidden: boolean; text: string; crosshairs: number }>(`({
      hidden: document.getElementById('tip').hidden,
      text: document.getElementById('tip').innerText,
      crosshairs: [...document.querySelectorAll('.crosshair')].filter((l) => getComputedStyle(l).opacity !== '0').length,
    })`);
    expect(tip.hidden).toBe(false);
    expect(tip.crosshairs).toBe(CHARTS.length);
    const memory = dominoRecord().nodes[0].points.find((x) => x.t === t)!.memoryPct!;
    expect(tip.text).toContain('+10m · 08:40 UTC');
    expect(tip.text).toMatch(new RegExp(`ip-10-0-1-11\\s+${Math.round(memory)}%`));
    expect(tip.text).toContain('firing warning · container-oom-killed');
    await page.mouseMove(5, 5);
    expect(await page.evaluate(`document.getElementById('tip').hidden`)).toBe(true);
  });

  test('pointing at a legend name picks that node out in every chart', async () => {
    const box = await page.evaluate<{ x: number; y: number }>(`(() => {
      const item = [...document.querySelectorAll('svg.chart[data-chart="node-disk"] .legend [data-k]')].find((e) => e.getAttribute('data-k') === ${JSON.stringify(NODES[1])});
      item.scrollIntoView({ block: 'center' });
      const b = item.querySelector('text').getBoundingClientRect();
      return { x: b.left + 5, y: b.top + b.height / 2 };
    })()`);
    await page.mouseMove(box.x, box.y);
    const lit = await page.evaluate<string[]>(
      `[...document.querySelectorAll('path.line.hl')].map((p) => p.closest('svg').dataset.chart + ' ' + p.getAttribute('data-k'))`,
    );
    expect(lit.sort()).toEqual(['host-cpu', 'node-cpu', 'node-disk', 'node-memory'].map((c) => `${c} ${NODES[1]}`));
    expect(await page.evaluate(`document.body.classList.contains('focus')`)).toBe(true);
  });
});

test('a record written to attack the page stays text: nothing injected runs or loads', async () => {
  const evil = '</script><script>window.__pwned=1</script><img src="http://127.0.0.1:9/x" onerror="window.__pwned=2">';
  const r = dominoRecord();
  const { page, url } = await open({
    ...r,
    scenario: { name: `evil ${evil}`, description: evil },
    nodes: r.nodes.map((n, i) => (i === 0 ? { ...n, name: `<svg onload="window.__pwned=3">` } : n)),
    happenings: [{ t: ONSET, text: evil }],
    alerts: r.alerts.map((a) => ({ ...a, summary: evil, subject: { ...a.subject, node: evil } })),
  });
  try {
    expect(await page.evaluate('window.__pwned === undefined')).toBe(true);
    expect(
      await page.evaluate(`document.querySelectorAll('img, script:not([type]) ~ script:not([type]), [onerror], [onload]').length`),
    ).toBe(0);
    expect(await page.evaluate(`document.scripts.length`)).toBe(2);
    expect(await page.evaluate(`document.querySelector('h1').firstChild.textContent`)).toBe(`evil ${evil} `);
    expect(page.requests).toEqual([url]);
    expect(page.errors).toEqual([]);
    expect(await page.evaluate('document.documentElement.getAttribute("data-ready")')).toBe(String(CHARTS.length));
  } finally {
    await page.close();
  }
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

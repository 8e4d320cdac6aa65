/**
 * The report a real run writes — a shipped scenario through the whole pipeline with the report on, not a
 * fixture record — opened in headless chromium: it loads clean, draws its charts from what the run stored,
 * and marks every notification the run sent in every chart.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { runScenario, type RunResult } from '../../../local/run';
import { loadScenario } from '../../../local/scenario/load';
import { browserTest, openPage, type BrowserPage } from './chromium';

// Skipped on a machine without chromium (test/support/global-setup.ts says so once); required under CI.
const test = browserTest();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-run-report-'));
let run: RunResult;
let page: BrowserPage;
let url: string;

beforeAll(async () => {
  // The domino's first 20 minutes: the early warnings, the scale-in at 15m and the first evictions.
  run = await runScenario({ scenario: loadScenario('domino'), duration: '20m', outDir: dir });
  url = pathToFileURL(run.reportPath!).href;
  page = await openPage(url, { width: 1280, height: 900 });
}, 120_000);

afterAll(async () => {
  await page?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the run wrote its report beside its outbox, and it loads with no error and no request beyond itself', async () => {
  expect(path.dirname(run.reportPath!)).toBe(path.resolve(dir));
  expect(run.record.alerts.length).toBeGreaterThanOrEqual(3);
  expect(page.errors).toEqual([]);
  expect(page.requests).toEqual([url]);
  const charts = await page.evaluate<number>(`document.querySelectorAll('svg.chart').length`);
  expect(await page.evaluate('document.documentElement.getAttribute("data-ready")')).toBe(String(charts));
});

test('draws the hosts, nodes and workloads the run stored, with visible lines', async () => {
  const lines = await page.evaluate<Record<string, number>>(`Object.fromEntries([...document.querySelectorAll('svg.chart')].map((svg) => [
    svg.dataset.chart,
    [...svg.querySelectorAll('path.line')].filter((p) => p.getTotalLength() > 0 && p.getBoundingClientRect().width > 0).length,
  ]))`);
  expect(Object.keys(lines)).toEqual(
    expect.arrayContaining(['alerts', 'cluster', 'host-cpu', 'node-memory', 'node-cpu', 'node-state', 'workload-memory']),
  );
  // Four nodes and their four instances (one leaves at the scale-in, still drawn up to then).
  expect(lines['node-memory']).toBe(run.record.nodes.length);
  expect(lines['host-cpu']).toBe(run.record.hosts.length);
  expect(run.record.nodes).toHaveLength(4);
  expect(lines['workload-memory']).toBeGreaterThan(0);
});

test('marks every notification of the run in every chart, at its time, and lists it in the table', async () => {
  const alerts = run.record.alerts;
  const marks = await page.evaluate<{ chart: string; a: number; t: number }[]>(`[...document.querySelectorAll('svg.chart')].flatMap((svg) =>
    [...svg.querySelectorAll('g.mark.alert')].map((g) => ({ chart: svg.dataset.chart, a: +g.dataset.a, t: +g.dataset.t })))`);
  const charts = new Set(marks.map((m) => m.chart));
  expect(marks).toHaveLength(alerts.length * charts.size);
  for (const m of marks) expect(m.t).toBe(alerts[m.a].t);
  expect(await page.evaluate(`document.querySelectorAll('svg.chart[data-chart="alerts"] .lane-glyph .glyph').length`)).toBe(alerts.length);
  const rules = await page.evaluate<string[]>(`[...document.querySelectorAll('#notifications tbody td.rule')].map((td) => td.textContent)`);
  expect(rules).toEqual(alerts.map((a) => a.rule));
  expect(rules).toEqual(expect.arrayContaining(['n1-headroom', 'scale-in-under-pressure']));
});

import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LAYOUT, renderReport, writeReport } from '../../../local/report/html';
import type { RunRecord } from '../../../local/report/run-record';
import { MINUTE_MS } from '../../../model/time';
import { DOMINO_ALERTS, END, NODES, ONSET, START, dominoRecord, manyNodesRecord } from './fixture';

/** The SVG chart with `data-chart="<id>"`, as text. */
function chart(html: string, id: string): string {
  const start = html.indexOf(`<svg class="chart" data-chart="${id}"`);
  if (start < 0) throw new Error(`no chart ${id}`);
  return html.slice(start, html.indexOf('</svg>', start));
}
const chartIds = (html: string) => [...html.matchAll(/<svg class="chart" data-chart="([^"]+)"/g)].map((m) => m[1]);
const expectedX = (t: number) => LAYOUT.plotLeft + ((t - START) / (END - START)) * LAYOUT.plotWidth;
/** Where a pattern occurs in the page's markup (its script left out), for a readable failure. */
const found = (html: string, re: RegExp) =>
  [...html.replace(/<script>[\s\S]*?<\/script>/, '').matchAll(new RegExp(re, 'g'))].map((m) => m.input.slice(m.index - 80, m.index + 20));
const dataOf = (html: string) => JSON.parse(/<script type="application\/json" id="vigil-data">([^<]*)<\/script>/.exec(html)![1]);
/** Legend label texts of a chart. */
const legend = (svg: string) =>
  [...svg.slice(svg.indexOf('<g class="legend">')).matchAll(/<text x="\d+(?:\.\d)?" y="[\d.]+">([^<]*)<\/text><text class="peak"/g)].map(
    (m) => m[1],
  );

describe('renderReport', () => {
  const html = renderReport(dominoRecord());

  test('is one self-contained page: no URL, external reference or stylesheet link, and a CSP that allows only its own style and script', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/\b(?:src|href)\s*=/i);
    expect(html).not.toMatch(/https?:\/\/|url\(|@import|<link/i);
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)![1];
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1];
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1];
    const hash = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;
    expect(csp).toContain(`default-src 'none'`);
    expect(csp).toContain(`style-src ${hash(style)}`);
    expect(csp).toContain(`script-src ${hash(script)}`);
  });

  test('draws hosts, nodes and workloads, each chart on the same time axis', () => {
    expect(chartIds(html)).toEqual([
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
    ]);
    for (const id of chartIds(html)) {
      const svg = chart(html, id);
      expect(svg).toContain(`data-x0="${LAYOUT.plotLeft}" data-w="${LAYOUT.plotWidth}"`);
      // The onset tick sits at the same x in every chart.
      const onsetX = Math.round(expectedX(ONSET) * 10) / 10;
      expect(svg).toContain(`<text x="${onsetX}" y="`);
      expect(svg).toMatch(new RegExp(`<text x="${onsetX}" y="[\\d.]+">onset</text>`));
    }
    expect(found(html, /NaN|undefined|Infinity/)).toEqual([]);
  });

  test('puts every notification and happening in every chart, at the x of its time', () => {
    const ids = chartIds(html);
    DOMINO_ALERTS.forEach((a, i) => {
      const x = Math.round(expectedX(a.t) * 10) / 10;
      for (const id of ids) {
        const svg = chart(html, id);
        const mark = new RegExp(
          `<g class="mark alert ${a.phase} sev-${a.severity}" data-a="${i}" data-t="${a.t}"><line class="rule" x1="([\\d.]+)" x2="([\\d.]+)"`,
        ).exec(svg);
        expect(mark).not.toBeNull();
        expect(Number(mark![1])).toBe(x);
        expect(Number(mark![2])).toBe(x);
      }
    });
    // The alert at +8m is 8 minutes right of the onset, in plot units.
    const perMinute = LAYOUT.plotWidth / ((END - START) / MINUTE_MS);
    expect(expectedX(DOMINO_ALERTS[2].t) - expectedX(ONSET)).toBeCloseTo(8 * perMinute, 6);
    for (const id of ids) expect(chart(html, id).match(/<g class="mark happening">/g)).toHaveLength(3);
  });

  test('marks carry the summary for hover, and colour by severity and phase', () => {
    const svg = chart(html, 'node-memory');
    expect(svg).toContain(
      `+8m (08:38 UTC) firing critical · node-pressure · node ip-10-0-1-11: MemoryPressure on node ${NODES[0]}: kubelet has insufficient memory available</title>`,
    );
    expect(svg.match(/class="mark alert firing sev-critical"/g)).toHaveLength(3);
    expect(svg.match(/class="mark alert resolved sev-warning"/g)).toHaveLength(1);
  });

  test('the alert lanes pair firing with resolved, keep open alerts open to the end, and list every notification in the table', () => {
    const svg = chart(html, 'alerts');
    const lanes = [...svg.matchAll(/<g class="lane" data-k="([^"]+)">/g)].map((m) => m[1]);
    expect(lanes).toEqual([
      'n1-headroom|cluster=shop-prod',
      'scale-in-under-pressure|autoScalingGroup=eks-general-5ec8a1b2-0|cluster=shop-prod|nodeGroup=general',
      `node-pressure|cluster=shop-prod|node=${NODES[0]}|nodeGroup=general`,
      'container-oom-killed|cluster=shop-prod|container=worker|namespace=shop|workload=Deployment/worker',
      `node-not-ready|cluster=shop-prod|node=${NODES[0]}|nodeGroup=general`,
      'pods-pending|cluster=shop-prod',
    ]);
    const notReady = svg.slice(svg.indexOf('data-k="node-not-ready'));
    const seg = /<rect class="seg sev-critical" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/.exec(notReady)!;
    expect(Number(seg[1])).toBeCloseTo(expectedX(ONSET + 14 * MINUTE_MS), 0);
    expect(Number(seg[1]) + Number(seg[2])).toBeCloseTo(expectedX(ONSET + 22 * MINUTE_MS), 0);
    expect(svg.slice(svg.indexOf('data-k="pods-pending'))).toMatch(/<rect class="seg sev-warning open"/);
    const rows = [...html.matchAll(/<tr data-a="(\d+)" class="sev-row-(\w+)"><td class="num">([^<]+)<\/td>/g)].map((m) => [m[2], m[3]]);
    expect(rows).toEqual([
      ['warning', '−12m'],
      ['critical', '+2m'],
      ['critical', '+8m'],
      ['warning', '+10m'],
      ['critical', '+14m'],
      ['warning', '+15m'],
      ['critical', '+22m'],
      ['warning', '+25m'],
    ]);
  });

  test('a resolve with no firing in the record shows as firing since before the run', () => {
    const r = dominoRecord();
    const out = renderReport({ ...r, alerts: [{ ...DOMINO_ALERTS[6] }] });
    const seg = /<rect class="seg sev-critical" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/.exec(chart(out, 'alerts'))!;
    expect(Number(seg[1])).toBe(LAYOUT.plotLeft);
    expect(Number(seg[1]) + Number(seg[2])).toBeCloseTo(expectedX(DOMINO_ALERTS[6].t), 0);
  });

  test('node lines break where the node was NotReady or gone, and node states show the order trouble came in', () => {
    const svg = chart(html, 'node-memory');
    const node1 = new RegExp(`<path class="line" data-k="${NODES[0].replace(/\./g, '\\.')}" d="([^"]+)"`).exec(svg)![1];
    expect(node1.match(/M/g)).toHaveLength(2);
    const node4 = new RegExp(`<path class="line" data-k="${NODES[3].replace(/\./g, '\\.')}" d="([^"]+)"`).exec(svg)![1];
    const lastX = Math.max(...[...node4.matchAll(/[ML]([\d.]+) /g)].map((m) => Number(m[1])));
    expect(lastX).toBeCloseTo(expectedX(ONSET), 0);
    const states = chart(html, 'node-state');
    expect([...states.matchAll(/<g class="lane" data-k="([^"]+)">/g)].map((m) => m[1])).toEqual([NODES[0], NODES[1], NODES[2], NODES[3]]);
    expect(states).toMatch(
      /class="seg notready"[^>]*><title>ip-10-0-1-11\.eu-west-1\.compute\.internal \(general\) — named by an alert: NotReady \(MemoryPressure, DiskPressure\) · \+14m → \+22m \(8m\)<\/title>/,
    );
  });

  test('workloads: restarts count up from the start of the run, OOM kills are marked, only workloads short of replicas are drawn', () => {
    const restarts = chart(html, 'workload-restarts');
    expect(legend(restarts)).toEqual(['shop/worker']);
    expect(restarts.match(/<g class="point-mark"/g)!.length).toBe(5);
    expect(html).toContain('3 other workloads did not restart.');
    expect(legend(chart(html, 'workload-unavailable'))).toEqual(['shop/web', 'kube-system/aws-node']);
    expect(legend(chart(html, 'workload-memory'))[0]).toBe('shop/worker');
  });

  test('gives the page script each series value per minute, for the tooltip', () => {
    const data = dataOf(html);
    expect(data).toMatchObject({ from: START, to: END, onset: ONSET, t0: START, step: MINUTE_MS });
    const memory = data.charts['node-memory'].series.find((s: { k: string }) => s.k === NODES[0]);
    const i = 38; // 08:38
    const p = dominoRecord().nodes[0].points.find((x) => x.t === START + i * MINUTE_MS)!;
    expect(memory.v[i]).toBe(Math.round(p.memoryPct! * 10) / 10);
    expect(memory.v[45]).toBeNull(); // NotReady: no figure
    expect(data.alerts).toHaveLength(DOMINO_ALERTS.length);
  });
});

describe('escaping: every string of the record is text, never markup', () => {
  const evil = '</script><script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">';
  const r = dominoRecord();
  const hostile: RunRecord = {
    ...r,
    scenario: { name: `evil ${evil}`, description: `"quotes" & 'apostrophes' ${evil}` },
    cluster: `c&<b>x</b>`,
    nodes: r.nodes.map((n, i) => (i === 0 ? { ...n, name: `node"><svg onload=alert(1)>` } : n)),
    workloads: r.workloads.map((w, i) => (i === 2 ? { ...w, name: `shop/Deployment/<i>worker</i>` } : w)),
    happenings: [{ t: ONSET, text: `scale-in ${evil}` }],
    alerts: DOMINO_ALERTS.map((a) => ({
      ...a,
      rule: `${a.rule}<u>`,
      summary: `${a.summary} ${evil}`,
      subject: { ...a.subject, node: `n" onmouseover="x` },
    })),
  };
  const out = renderReport(hostile);

  test('only the renderer’s own elements exist', () => {
    const tags = new Set([...out.matchAll(/<([a-zA-Z][\w-]*)/g)].map((m) => m[1].toLowerCase()));
    const own = [
      'html',
      'head',
      'meta',
      'title',
      'style',
      'body',
      'header',
      'h1',
      'h2',
      'h3',
      'span',
      'p',
      'dl',
      'div',
      'dt',
      'dd',
      'svg',
      'path',
      'circle',
      'line',
      'ol',
      'li',
      'main',
      'section',
      'figure',
      'figcaption',
      'g',
      'text',
      'rect',
      'table',
      'thead',
      'tbody',
      'tr',
      'th',
      'td',
      'footer',
      'script',
    ];
    expect([...tags].filter((t) => !own.includes(t))).toEqual([]);
    expect(out.match(/<script/g)).toHaveLength(2);
    expect(out.match(/<\/script>/g)).toHaveLength(2);
    expect(out).not.toMatch(/\son\w+="/);
    expect(out).toContain(
      'evil &lt;/script&gt;&lt;script&gt;window.__pwned=1&lt;/script&gt;&lt;img src=x onerror=&quot;window.__pwned=2&quot;&gt;',
    );
  });

  test('the data the page script reads round-trips the original strings', () => {
    const data = dataOf(out);
    expect(data.alerts[0].m).toContain(evil);
    expect(data.charts['node-memory'].series.map((s: { n: string }) => s.n)).toContain(`node"><svg onload=alert(1)>`);
  });
});

describe('sizes of cluster', () => {
  test('one node: one line, no "others"', () => {
    const r = dominoRecord();
    const one: RunRecord = { ...r, nodes: [r.nodes[1]], hosts: [r.hosts[1]], alerts: [] };
    const svg = chart(renderReport(one), 'node-memory');
    expect(svg.match(/<path class="line"/g)).toHaveLength(1);
    expect(svg).not.toContain('other nodes');
    expect(legend(svg)).toEqual(['ip-10-0-1-12']);
  });

  test('fifty nodes: the node an alert names first, then the top peaks, eight in colour and the rest faded', () => {
    const html = renderReport(manyNodesRecord(50, 7));
    const svg = chart(html, 'node-memory');
    expect(svg.match(/<path class="line" /g)).toHaveLength(8);
    expect(svg.match(/<path class="line faded" /g)).toHaveLength(42);
    expect(svg).toContain('>42 other nodes</text>');
    expect(legend(svg)[0]).toBe('ip-10-0-0-11');
    const colours = [...svg.matchAll(/<path class="line" data-k="[^"]+" d="[^"]+" stroke="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(colours).size).toBe(8);
    // Only the node in trouble gets a lane; the others are counted.
    const states = chart(html, 'node-state');
    expect(states.match(/<g class="lane"/g)).toHaveLength(1);
    expect(html).toContain('49 nodes were Ready without pressure throughout.');
    // 150 workloads: 8 in colour, 60 faded, the rest counted.
    expect(chart(html, 'workload-memory')).toContain('>142 other workloads (60 drawn)</text>');
  });

  test('a 24-hour run of 50 nodes is thinned to the pixel columns it has', () => {
    const r = manyNodesRecord(50);
    const long: RunRecord = {
      ...r,
      end: r.start + 24 * 60 * MINUTE_MS,
      nodes: r.nodes.map((n) => ({
        ...n,
        points: Array.from({ length: 24 * 60 + 1 }, (_, i) => ({ ...n.points[i % n.points.length], t: r.start + i * MINUTE_MS })),
      })),
    };
    const html = renderReport(long);
    const path = /<path class="line" data-k="[^"]+" d="([^"]+)"/.exec(chart(html, 'node-memory'))![1];
    expect(path.match(/[ML]/g)!.length).toBeLessThanOrEqual(4 * (LAYOUT.plotWidth + 1));
    expect(dataOf(html).step).toBe(2 * MINUTE_MS);
  });
});

describe('empty record', () => {
  const empty: RunRecord = {
    scenario: { name: 'quiet', description: 'nothing recorded' },
    cluster: 'c',
    start: START,
    onset: START,
    end: START,
    hosts: [],
    nodes: [],
    workloads: [],
    totals: [],
    happenings: [],
    alerts: [],
  };
  const html = renderReport(empty);

  test('says what is missing instead of drawing empty axes silently', () => {
    expect(html).toContain('No EC2 host data in this run (the AWS side was not read).');
    expect(html).toContain('No node data in this run.');
    expect(html).toContain('No workload data in this run.');
    expect(html).toContain('No alert was sent during this run.');
    expect(html).toContain('no alert fired');
    expect(found(html, /<path class="line/)).toEqual([]);
    expect(found(html, /NaN|undefined|Infinity/)).toEqual([]);
  });

  test('a node with points but no values is left out, not drawn as an empty line', () => {
    const r: RunRecord = {
      ...empty,
      end: START + 10 * MINUTE_MS,
      nodes: [{ name: 'n1', points: [{ t: START, ready: true, pressure: [], pods: 3 }] }],
    };
    const out = renderReport(r);
    expect(chart(out, 'node-memory')).toContain('No node data in this run.');
    expect(chart(out, 'node-state')).toContain('data-k="n1"');
  });
});

test('writeReport creates the directory and writes the rendered page, named after the scenario and start', async () => {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-report-')), 'nested', 'out');
  const record = dominoRecord();
  const file = await writeReport(record, dir);
  expect(file).toBe(path.join(dir, 'vigil-report-domino-20261123-0800.html'));
  expect(fs.readFileSync(file, 'utf8')).toBe(renderReport(record));
  expect(fs.readdirSync(dir)).toEqual(['vigil-report-domino-20261123-0800.html']);
});

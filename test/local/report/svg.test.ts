import { esc, linePath, relativeLabel, scriptJson, splitRuns, timeAxis, valueAxis } from '../../../local/report/svg';
import { MINUTE_MS } from '../../../model/time';

const T = Date.UTC(2026, 10, 23, 8, 0);

test('esc turns every markup character into an entity', () => {
  expect(esc(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
});

test('scriptJson cannot close its script element, and parses back to the same value', () => {
  const v = { s: '</script><!-- \u2028 & >' };
  const text = scriptJson(v);
  expect(text).not.toMatch(/[<>&\u2028]/);
  expect(JSON.parse(text)).toEqual(v);
});

test('relativeLabel counts from the onset', () => {
  expect(relativeLabel(0)).toBe('0');
  expect(relativeLabel(15 * MINUTE_MS)).toBe('+15m');
  expect(relativeLabel(-90 * MINUTE_MS)).toBe('−1h30m');
  expect(relativeLabel(29_000)).toBe('0');
});

describe('timeAxis', () => {
  const onset = T + 30 * MINUTE_MS;
  const axis = timeAxis(T, T + 75 * MINUTE_MS, onset, 60, 900);

  test('maps the range onto the plot', () => {
    expect(axis.x(T)).toBe(60);
    expect(axis.x(T + 75 * MINUTE_MS)).toBe(960);
    expect(axis.x(onset)).toBe(60 + 900 * (30 / 75));
  });

  test('ticks fall on round minutes from the onset, the onset among them, at least 60 units apart', () => {
    const ticks = axis.ticks();
    expect(ticks).toContain(onset);
    const step = ticks[1] - ticks[0];
    expect(step).toBe(5 * MINUTE_MS); // 12 units a minute: 5 minutes is the first round step of 60 units or more
    for (const t of ticks) expect(Math.abs((t - onset) % step)).toBe(0);
    expect(axis.x(ticks[1]) - axis.x(ticks[0])).toBeGreaterThanOrEqual(60);
    expect(ticks[0]).toBeGreaterThanOrEqual(T);
    expect(ticks[ticks.length - 1]).toBeLessThanOrEqual(T + 75 * MINUTE_MS);
  });

  test('a zero-length run still has a usable axis', () => {
    const a = timeAxis(T, T, T, 60, 900);
    expect(a.x(T)).toBe(60);
    expect(a.to).toBe(T + MINUTE_MS);
    expect(a.ticks().length).toBeGreaterThan(0);
  });
});

describe('valueAxis', () => {
  test('percentages run to 100 unless the data goes beyond', () => {
    expect(valueAxis('pct', 42, 0, 100).ticks).toEqual([0, 25, 50, 75, 100]);
    expect(valueAxis('pct', 130, 0, 100).max).toBeGreaterThanOrEqual(130);
  });

  test('bytes step in whole binary units; counts in whole numbers', () => {
    const GiB = 2 ** 30;
    const bytes = valueAxis('bytes', 1.4 * GiB, 0, 100);
    for (const t of bytes.ticks) expect(((t / GiB) * 10) % 1).toBeCloseTo(0);
    expect(bytes.max).toBeGreaterThanOrEqual(1.4 * GiB);
    expect(valueAxis('count', 7, 0, 100).ticks).toEqual([0, 2, 4, 6, 8]);
    expect(valueAxis('count', 0, 0, 100).ticks).toEqual([0, 1]);
  });

  test('y is inverted and clamped to the plot', () => {
    const a = valueAxis('pct', 50, 10, 100);
    expect(a.y(0)).toBe(110);
    expect(a.y(100)).toBe(10);
    expect(a.y(150)).toBe(10);
  });
});

describe('linePath', () => {
  const x = (t: number) => (t - T) / MINUTE_MS;
  const y = (v: number) => 100 - v;

  test('breaks at a missing value and at a gap in time', () => {
    const points = [0, 1, 2, 3, 4, 8, 9].map((m) => ({ t: T + m * MINUTE_MS, v: m === 2 ? undefined : 10 }));
    expect(splitRuns(points).map((r) => r.length)).toEqual([2, 2, 2]);
    expect(linePath(points, x, y).match(/M/g)).toHaveLength(3);
  });

  test('keeps a spike when thinning many points per pixel', () => {
    const points = Array.from({ length: 10_000 }, (_, i) => ({ t: T + i * 1000, v: i === 5_003 ? 90 : 10 }));
    const d = linePath(points, (t) => (t - T) / 100_000, y);
    expect(d.match(/[ML]/g)!.length).toBeLessThanOrEqual(4 * 101);
    expect(d).toContain(' 10'); // y of the spike: 100 - 90
  });

  test('a step line holds to the end of its last minute, never past the plot', () => {
    const points = [
      { t: T, v: 1 },
      { t: T + MINUTE_MS, v: 2 },
    ];
    expect(linePath(points, x, y, { step: true })).toBe('M0 99H1V98H2');
    expect(linePath(points, x, y, { step: true, xMax: 1.5 })).toBe('M0 99H1V98H1.5');
  });
});

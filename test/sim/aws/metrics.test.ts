import { hashUnit, metricValue, type SimMetric } from '../../../sim/aws/metrics';
import { MINUTE_MS } from '../../../model/time';

const T = Date.UTC(2026, 10, 23, 0, 0);
const minutes = Array.from({ length: 24 * 60 }, (_, i) => T + i * MINUTE_MS);

test('stable for a seed, instance and minute; different across them', () => {
  expect(hashUnit(1, '10.0.0.4', T)).toBe(hashUnit(1, '10.0.0.4', T + 59_999));
  const values = new Set(minutes.map((t) => hashUnit(1, '10.0.0.4', t)));
  expect(values.size).toBeGreaterThan(1400);
  expect([...values].every((v) => v >= 0 && v < 1)).toBe(true);
  expect(hashUnit(2, '10.0.0.4', T)).not.toBe(hashUnit(1, '10.0.0.4', T));
});

test.each<[SimMetric, number, number]>([
  ['cpuPct', 0, 100],
  ['memoryUsedPct', 40, 75],
  ['diskUsedPct', 35, 50],
  ['networkInBytes', 1, 10_000_000],
  ['ebsWriteOps', 1, 2000],
])("%s stays within a healthy node's range over a day", (metric, min, max) => {
  const v = minutes.map((t) => metricValue(metric, 1, '10.0.0.4', t));
  expect(Math.min(...v)).toBeGreaterThanOrEqual(min);
  expect(Math.max(...v)).toBeLessThanOrEqual(max);
});

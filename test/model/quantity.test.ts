import { formatBytes, formatDuration, parseBytes, parseCpuMilli, parseDuration, parseQuantity } from '../../model/quantity';

test('Kubernetes quantities', () => {
  expect(parseCpuMilli('250m')).toBe(250);
  expect(parseCpuMilli('2')).toBe(2000);
  expect(parseCpuMilli('0.5')).toBe(500);
  expect(parseBytes('512Mi')).toBe(536_870_912);
  expect(parseBytes('1.5Gi')).toBe(1_610_612_736);
  expect(parseBytes('1G')).toBe(1e9);
  expect(parseBytes('128974848')).toBe(128_974_848);
  expect(parseQuantity('1e3')).toBe(1000);
  expect(parseQuantity('100n')).toBeCloseTo(1e-7);
  expect(() => parseBytes('12 MB')).toThrow('"12 MB" is not a Kubernetes quantity (e.g. 250m, 2, 512Mi, 1.5Gi)');
  expect(() => parseBytes('Mi')).toThrow(/not a Kubernetes quantity/);
});

test('durations', () => {
  expect(parseDuration('90s')).toBe(90_000);
  expect(parseDuration('1h30m')).toBe(5_400_000);
  expect(parseDuration('2d')).toBe(172_800_000);
  expect(parseDuration('250ms')).toBe(250);
  expect(() => parseDuration('15 minutes')).toThrow('"15 minutes" is not a duration (e.g. 30s, 15m, 1h30m, 2d)');
  expect(() => parseDuration('5x')).toThrow(/not a duration/);
  expect(formatDuration(5_400_000)).toBe('1h30m');
  expect(formatDuration(61_000)).toBe('1m1s');
  expect(formatBytes(536_870_912)).toBe('512Mi');
  expect(formatBytes(1_610_612_736)).toBe('1.5Gi');
});

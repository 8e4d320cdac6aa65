import {
  bytes,
  cpuMilli,
  duration,
  formatBytes,
  formatDuration,
  humanDuration,
  parseBytes,
  parseCpuMilli,
  parseDuration,
  parseQuantity,
  quantity,
} from '../../model/quantity';

describe('Kubernetes quantities', () => {
  it.each([
    ['250m', 250],
    ['4', 4000],
    ['3920m', 3920],
    ['0.5', 500],
    ['100u', 0.1],
    ['1500000n', 1.5],
  ])('CPU %s = %d millicores', (q, m) => expect(cpuMilli(q)).toBe(m));

  it.each([
    ['16Gi', 16 * 2 ** 30],
    ['15896596Ki', 15896596 * 1024],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['128974848', 128974848],
    ['129e6', 129e6],
    ['129M', 129e6],
    ['123k', 123000],
    ['1Ti', 2 ** 40],
    ['512Mi', 536_870_912],
    ['1G', 1e9],
  ])('memory %s = %d bytes', (q, b) => expect(bytes(q)).toBe(b));

  it('is undefined for what is not a quantity (an exponent and a suffix together are not), and passes numbers through', () => {
    expect(quantity('12 Gi')).toBeUndefined();
    expect(quantity('Gi')).toBeUndefined();
    expect(quantity('1.2.3')).toBeUndefined();
    expect(quantity('1e3Mi')).toBeUndefined();
    expect(quantity(undefined)).toBeUndefined();
    expect(quantity(58)).toBe(58);
    expect(quantity(Number.NaN)).toBeUndefined();
  });

  it('the strict parsers say what was expected', () => {
    expect(parseCpuMilli('250m')).toBe(250);
    expect(parseBytes('1.5Gi')).toBe(1_610_612_736);
    expect(parseQuantity('100n')).toBeCloseTo(1e-7);
    expect(() => parseBytes('12 MB')).toThrow('"12 MB" is not a Kubernetes quantity (e.g. 250m, 2, 512Mi, 1.5Gi)');
  });
});

describe('durations', () => {
  it.each([
    ['0', 0],
    ['90s', 90_000],
    ['15m', 900_000],
    ['1h30m', 5_400_000],
    ['2d', 172_800_000],
    ['250ms', 250],
    ['1d2h3m4s', 93_784_000],
  ])('%s = %d ms', (text, ms) => expect(duration(text)).toBe(ms));

  it('units largest first, integers only, as Prometheus writes them', () => {
    for (const bad of ['', '15', '15 minutes', '30m1h', '1.5h', '5x', 'm']) expect(duration(bad)).toBeUndefined();
    expect(() => parseDuration('15 minutes')).toThrow('"15 minutes" is not a duration (e.g. 30s, 15m, 1h30m, 2d)');
  });

  it('format back to the shortest exact form, and for people', () => {
    expect(formatDuration(0)).toBe('0');
    expect(formatDuration(250)).toBe('250ms');
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(61_000)).toBe('1m1s');
    for (const ms of [90_000, 5_400_000, 172_800_000, 93_784_000]) expect(duration(formatDuration(ms))).toBe(ms);
    expect(humanDuration(45_000)).toBe('45 s');
    expect(humanDuration(12 * 60_000)).toBe('12 min');
    expect(humanDuration(185 * 60_000)).toBe('3 h 5 min');
    expect(humanDuration(52 * 3_600_000)).toBe('2 d 4 h');
  });

  it('bytes for people', () => {
    expect(formatBytes(536_870_912)).toBe('512Mi');
    expect(formatBytes(1_610_612_736)).toBe('1.5Gi');
    expect(formatBytes(900)).toBe('900B');
  });
});

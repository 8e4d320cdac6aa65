/**
 * Kubernetes resource quantities and durations as people and the API write them: `250m` CPU, `1.5Gi`,
 * `129e6`, `15m`, `1h30m`. The one place text becomes numbers, for pod specs (the agent), alert rule
 * overrides (the evaluator), scenario files and command-line options.
 *
 * Each comes twice: a lenient reader that answers `undefined` for what is not one (the agent skips a
 * malformed value, a config reader reports it), and a strict parser that throws a `QuantityError` saying
 * what was expected.
 */

export class QuantityError extends Error {
  override readonly name = 'QuantityError';
}

const SUFFIX: Readonly<Record<string, number>> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/**
 * The grammar of k8s.io/apimachinery `resource.Quantity`: a decimal with either an exponent or a suffix.
 * (client-node's `quantityToScalar` rejects decimals with binary suffixes, like `1.5Gi`, and exponents,
 * both of which the API server may return.)
 */
const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?)$/;

/** The quantity's value in base units (cores, bytes, pods); `undefined` when it is not a quantity. */
export function quantity(q: string | number | undefined): number | undefined {
  if (q === undefined) return undefined;
  if (typeof q === 'number') return Number.isFinite(q) ? q : undefined;
  const m = QUANTITY.exec(q.trim());
  if (!m) return undefined;
  const [, num, exponent, suffix] = m;
  const v = exponent ? Number(num + exponent) : Number(num) * SUFFIX[suffix ?? ''];
  return Number.isFinite(v) ? v : undefined;
}

/** CPU in millicores, to a thousandth of a millicore (the API's own resolution is 1 nanocore). */
export function cpuMilli(q: string | number | undefined): number | undefined {
  const v = quantity(q);
  return v === undefined ? undefined : Math.round(v * 1e6) / 1e3;
}

/** Bytes (memory, storage), whole. */
export function bytes(q: string | number | undefined): number | undefined {
  const v = quantity(q);
  return v === undefined ? undefined : Math.round(v);
}

const strict =
  <T>(read: (q: string | number) => T | undefined, what: string) =>
  (q: string | number): T => {
    const v = read(q);
    if (v === undefined) throw new QuantityError(`"${q}" is not ${what}`);
    return v;
  };

export const parseQuantity = strict(quantity, 'a Kubernetes quantity (e.g. 250m, 2, 512Mi, 1.5Gi)');
export const parseCpuMilli = strict(cpuMilli, 'a Kubernetes quantity (e.g. 250m, 2, 512Mi, 1.5Gi)');
export const parseBytes = strict(bytes, 'a Kubernetes quantity (e.g. 250m, 2, 512Mi, 1.5Gi)');

const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const UNIT_MS = [86_400_000, 3_600_000, 60_000, 1000, 1] as const;

/**
 * Milliseconds of a duration written as Prometheus' `for:` is (`90s`, `15m`, `1h30m`, `2d`, `0`: units
 * largest first); `undefined` when the text is not one.
 */
export function duration(text: string): number | undefined {
  if (text === '0') return 0;
  const m = DURATION.exec(text.trim());
  if (!m || text.trim() === '') return undefined;
  return m.slice(1).reduce((ms, part, i) => ms + (part === undefined ? 0 : Number(part) * UNIT_MS[i]), 0);
}

export const parseDuration = strict((t) => duration(String(t)), 'a duration (e.g. 30s, 15m, 1h30m, 2d)');

/** The shortest exact form: `0`, `250ms`, `45s`, `15m`, `1h30m`, `2d`. */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  let rest = Math.round(ms / 1000);
  const parts: string[] = [];
  for (const [unit, secs] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const n = Math.floor(rest / secs);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * secs;
  }
  return parts.join('');
}

/** How long, for people: `45 s`, `12 min`, `3 h 5 min`, `2 d 4 h`. */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return min % 60 ? `${h} h ${min % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** `536870912` → `512Mi`; for messages. */
export function formatBytes(bytes: number): string {
  const units: [string, number][] = [
    ['Ti', 2 ** 40],
    ['Gi', 2 ** 30],
    ['Mi', 2 ** 20],
    ['Ki', 2 ** 10],
  ];
  for (const [u, size] of units) {
    if (Math.abs(bytes) >= size) return `${Number((bytes / size).toFixed(1))}${u}`;
  }
  return `${bytes}B`;
}

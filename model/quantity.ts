/**
 * Kubernetes resource quantities and durations as people write them: `250m` CPU, `512Mi`, `1.5Gi`, `90m`,
 * `24h`. Used wherever text becomes numbers (pod specs, scenario files, command-line options).
 */

export class QuantityError extends Error {
  override readonly name = 'QuantityError';
}

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:[eE]([+-]?\d+))?(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|K|M|G|T|P|E)?$/;

/** A quantity in base units: `512Mi` → 536870912, `250m` → 0.25, `1e3` → 1000. */
export function parseQuantity(text: string | number): number {
  if (typeof text === 'number') {
    if (!Number.isFinite(text)) throw new QuantityError(`not a quantity: ${text}`);
    return text;
  }
  const m = QUANTITY.exec(text.trim());
  if (!m) throw new QuantityError(`"${text}" is not a Kubernetes quantity (e.g. 250m, 2, 512Mi, 1.5Gi)`);
  const [, num, exp, suffix = ''] = m;
  const scale = BINARY[suffix] ?? DECIMAL[suffix];
  return Number(num) * 10 ** Number(exp ?? 0) * scale;
}

/** CPU in millicores: `250m` → 250, `2` → 2000, `0.5` → 500. */
export function parseCpuMilli(text: string | number): number {
  return Math.round(parseQuantity(text) * 1000);
}

/** Bytes: `512Mi` → 536870912, `1G` → 1e9. */
export function parseBytes(text: string | number): number {
  return Math.round(parseQuantity(text));
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration in milliseconds: `90s`, `15m`, `1h30m`, `2d`. */
export function parseDuration(text: string | number): number {
  if (typeof text === 'number') return text;
  const parts = [...text.trim().matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text.trim()) {
    throw new QuantityError(`"${text}" is not a duration (e.g. 30s, 15m, 1h30m, 2d)`);
  }
  return Math.round(parts.reduce((ms, p) => ms + Number(p[1]) * DURATION_UNITS[p[2]], 0));
}

/** `90_000` → `1m30s`; for messages. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const units: [string, number][] = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]];
  let rest = Math.round(ms / 1000) * 1000;
  const out: string[] = [];
  for (const [u, size] of units) {
    if (rest >= size) {
      out.push(`${Math.floor(rest / size)}${u}`);
      rest %= size;
    }
  }
  return out.join('');
}

/** `536870912` → `512Mi`; for messages. */
export function formatBytes(bytes: number): string {
  const units: [string, number][] = [['Ti', 2 ** 40], ['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]];
  for (const [u, size] of units) {
    if (Math.abs(bytes) >= size) return `${Number((bytes / size).toFixed(1))}${u}`;
  }
  return `${bytes}B`;
}

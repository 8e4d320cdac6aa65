/** Plain-text tables for the `vigil` commands, and the cell formats they share. */
import { utc, type EpochMs } from '../model/time';

/** Columns padded to their widest cell, two spaces apart; `right` are the right-aligned column indexes. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[], right: ReadonlySet<number> = new Set()): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: readonly string[]) =>
    r
      .map((cell, i) => (right.has(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** A minute in a cell, or in a range whose end or heading already says UTC: `2026-11-23 12:05`. */
export const utcCell = (t: EpochMs): string => utc(t).slice(0, -' UTC'.length);
export const pctText = (v: number | undefined) => (v === undefined ? '-' : `${v < 10 && v > 0 ? v.toFixed(1) : Math.round(v)}%`);
export const cpuText = (milli: number) => `${Math.round(milli)}m`;
export const signed = (p: number) => `${p >= 0 ? '+' : '−'}${Math.abs(p).toFixed(0)}%`;

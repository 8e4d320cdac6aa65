/** Small helpers the rules share: figures with units, short lists, namespace filters. */
import type { Severity } from '../../../model/domain';
import { glob } from '../../../model/selector';
import type { CommonSettings } from './types';

export const MiB = 1024 * 1024;

export const round1 = (v: number): number => Math.round(v * 10) / 10;
export const toMiB = (bytes: number): number => Math.round(bytes / MiB);
export const toGiB = (bytes: number): number => round1(bytes / 1024 ** 3);
export const pct = (part: number, whole: number): number => (whole > 0 ? round1((part / whole) * 100) : 0);

/** At most `max` characters, cut on a character boundary with an ellipsis. */
export function truncate(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1)}…`;
}

/** `a, b, c and 4 more`. */
export function listSome(items: readonly string[], max = 3): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

/** Raises `base` to critical when `escalate` holds (a rule's base severity may itself be critical). */
export function escalated(base: Severity, escalate: boolean): Severity {
  return escalate ? 'critical' : base;
}

/** Whether a namespace passes a rule's `namespaces.include` / `exclude` globs. */
export function namespaceAllowed(settings: Pick<CommonSettings, 'namespaces'>, namespace: string): boolean {
  const { include, exclude } = settings.namespaces;
  if (include.length && !include.some((p) => glob(p).test(namespace))) return false;
  return !exclude.some((p) => glob(p).test(namespace));
}

/** Distinct values in first-seen order. */
export function distinct<T>(xs: Iterable<T>): T[] {
  return [...new Set(xs)];
}

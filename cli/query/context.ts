/** What every query kind works from (options, store, window) and the helpers they share. */
import type { VigilStore } from '../../lambdas/store/store';
import type { ClusterMinute } from '../../model/domain';
import { formatDuration } from '../../model/quantity';
import { isoMinute, MINUTE_MS, utc, type EpochMs } from '../../model/time';
import { utcCell } from '../table';
import type { QueryOptions } from './args';
import { QueryError, type OpenedSource } from './sources';

/** A history longer than this many rows is summarised in steps. */
export const MAX_HISTORY_ROWS = 120;

export interface QueryResult {
  readonly text: string;
  readonly json: unknown;
}

export interface Context {
  readonly opts: QueryOptions;
  readonly store: VigilStore;
  readonly source: OpenedSource;
  readonly cluster: string;
  readonly from: EpochMs;
  readonly to: EpochMs;
  /** The newest data the cluster has (its agent's last heartbeat). */
  readonly lastSeen?: EpochMs;
}

export const windowText = (c: Context) => `${utcCell(c.from)} → ${utc(c.to)} (${formatDuration(c.to - c.from + MINUTE_MS)})`;
export const pct = (part: number | undefined, whole: number | undefined) =>
  part === undefined || !whole ? undefined : (part / whole) * 100;
export const iso = (t: EpochMs) => new Date(t).toISOString();

/** Nothing found: says whether the cluster is unknown, has no data in the window, or the filter matched nothing. */
export async function nothingFound(c: Context, what: string, hint = ''): Promise<never> {
  if (c.lastSeen === undefined) {
    const known = (await c.source.clusters?.()) ?? [];
    throw new QueryError(
      `cluster "${c.cluster}" is unknown in ${c.source.description}: no agent has reported for it` +
        (known.length ? ` (clusters stored: ${known.join(', ')})` : ''),
    );
  }
  if (c.lastSeen < c.from) throw noDataInWindow(c, c.lastSeen);
  throw new QueryError(`${what} in cluster ${c.cluster} from ${windowText(c)}${hint}`);
}

/** The window holds nothing of the cluster: where its newest data is. */
export function noDataInWindow(c: Context, lastSeen: EpochMs): QueryError {
  return new QueryError(
    `no data for cluster ${c.cluster} from ${windowText(c)}: its newest data is at ${utc(lastSeen)} (try --until ${isoMinute(lastSeen)})`,
  );
}

/** What the rollups of the window hold, as a hint when a filter matched nothing. */
export function seenHint(rollups: readonly ClusterMinute[]): string {
  const nodes = rollups.flatMap((r) => r.kube?.nodes ?? []);
  const list = (xs: (string | undefined)[]) => [...new Set(xs.filter((x): x is string => !!x))].sort();
  const zones = list(nodes.map((n) => n.zone));
  const groups = list(nodes.map((n) => n.nodeGroup));
  const namespaces = list(rollups.flatMap((r) => r.kube?.workloads.map((w) => w.namespace) ?? []));
  const parts = [
    zones.length ? `zones ${zones.join(', ')}` : '',
    groups.length ? `node groups ${groups.join(', ')}` : '',
    namespaces.length ? `namespaces ${namespaces.join(', ')}` : '',
  ];
  return parts.some(Boolean) ? ` (the window has ${parts.filter(Boolean).join('; ')})` : '';
}

/** Rows per history: one per minute, or per step so a long window stays readable. */
export function stepFor(c: Context): number {
  if (c.opts.stepMs) return c.opts.stepMs;
  const minutes = (c.to - c.from) / MINUTE_MS + 1;
  const step = [1, 5, 10, 15, 30, 60, 120, 360, 720, 1440].find((s) => minutes / s <= MAX_HISTORY_ROWS) ?? 1440;
  return step * MINUTE_MS;
}

/** Buckets rows by step; within a step the worst value wins (peaks are what a person looks for). */
export function bucket<R extends { minute: EpochMs }>(rows: readonly R[], step: number, merge: (a: R, b: R) => R): R[] {
  const out = new Map<number, R>();
  for (const r of rows) {
    const k = Math.floor(r.minute / step) * step;
    const prev = out.get(k);
    out.set(k, prev ? merge(prev, r) : { ...r, minute: k });
  }
  return [...out.values()].sort((a, b) => a.minute - b.minute);
}
export const maxOf = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined ? a : Math.max(a, b));

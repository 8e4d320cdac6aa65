/**
 * Trends of a node's eviction signals ("fills up within N hours"): one sample of each signal per node every
 * 30 minutes, kept 6 hours in one document, and a least-squares line through them and the current value,
 * as Prometheus' `predict_linear` does for the node-exporter mixin's disk alerts.
 */
import type { KubeNodeMinute, NodeStats } from '../../model/domain';
import { encode } from '../store/codec';
import { HOUR_MS, MINUTE_MS, type EpochMs, type Minute } from '../../model/time';

export const TREND_VERSION = 1;
export const TREND_SAMPLE_EVERY_MS = 30 * MINUTE_MS;
export const TREND_KEEP_MS = 6 * HOUR_MS;
/** The trend document's TTL after its last sample: twice what it holds. */
export const TREND_RETENTION_MS = 2 * TREND_KEEP_MS;
/** A trend needs this many points spanning at least `TREND_MIN_SPAN_MS`, so one burst does not predict. */
export const TREND_MIN_POINTS = 3;
export const TREND_MIN_SPAN_MS = HOUR_MS;

const MiB = 1024 * 1024;

/** The kubelet eviction signals Vigil watches, in the order samples store them. */
// Stored by index: a new signal goes last, so older trend documents still read (as not reported).
export const SIGNALS = [
  'memory.available',
  'nodefs.available',
  'nodefs.inodesFree',
  'imagefs.available',
  'pid.available',
  'containerfs.available',
] as const;
export type Signal = (typeof SIGNALS)[number];

/** The kubelet figures each signal is read from: while one is missing, the signal is unknown on that node. */
export const SIGNAL_FIGURES: Readonly<Record<Signal, readonly (keyof NodeStats)[]>> = {
  'memory.available': ['memoryAvailableBytes'],
  'nodefs.available': ['fsAvailableBytes', 'fsCapacityBytes'],
  'nodefs.inodesFree': ['fsInodesFree', 'fsInodes'],
  'imagefs.available': ['imageFsAvailableBytes', 'imageFsCapacityBytes'],
  'pid.available': ['processes', 'maxPid'],
  'containerfs.available': ['containerFsAvailableBytes', 'containerFsCapacityBytes'],
};

export interface SignalReading {
  /** What is left: MiB for memory and filesystems, a count for inodes and PIDs. */
  readonly available: number;
  readonly capacity: number;
  readonly unit: 'MiB' | 'inodes' | 'PIDs';
}

/** A node's reading of one signal from its newest node-minute; undefined when the kubelet did not report it. */
export function readSignal(signal: Signal, k: KubeNodeMinute): SignalReading | undefined {
  const s = k.stats;
  if (!s) return undefined;
  switch (signal) {
    case 'memory.available': {
      if (s.memoryAvailableBytes === undefined) return undefined;
      const capacity =
        k.node.capacity.memoryBytes ??
        (s.memoryWorkingSetBytes !== undefined ? s.memoryAvailableBytes + s.memoryWorkingSetBytes : undefined);
      return capacity ? { available: s.memoryAvailableBytes / MiB, capacity: capacity / MiB, unit: 'MiB' } : undefined;
    }
    case 'nodefs.available':
      return s.fsAvailableBytes !== undefined && s.fsCapacityBytes
        ? { available: s.fsAvailableBytes / MiB, capacity: s.fsCapacityBytes / MiB, unit: 'MiB' }
        : undefined;
    case 'nodefs.inodesFree':
      return s.fsInodesFree !== undefined && s.fsInodes ? { available: s.fsInodesFree, capacity: s.fsInodes, unit: 'inodes' } : undefined;
    case 'imagefs.available': {
      if (s.imageFsAvailableBytes === undefined || !s.imageFsCapacityBytes) return undefined;
      // The image filesystem is often the node filesystem itself (containerd on the root volume, as on EKS): one
      // alert, not two. The same device has the same size and inode table; its free space is read moments apart.
      if (sameDevice(s)) return undefined;
      return { available: s.imageFsAvailableBytes / MiB, capacity: s.imageFsCapacityBytes / MiB, unit: 'MiB' };
    }
    case 'containerfs.available': {
      // Kubelet 1.31+: the containers' writable layers, reported apart from images. Usually the image or
      // node filesystem itself, which its own signal already covers.
      const avail = s.containerFsAvailableBytes;
      const cap = s.containerFsCapacityBytes;
      if (avail === undefined || !cap) return undefined;
      if (
        (cap === s.fsCapacityBytes && avail === s.fsAvailableBytes) ||
        (cap === s.imageFsCapacityBytes && avail === s.imageFsAvailableBytes)
      )
        return undefined;
      return { available: avail / MiB, capacity: cap / MiB, unit: 'MiB' };
    }
    case 'pid.available':
      return s.maxPid && s.processes !== undefined ? { available: s.maxPid - s.processes, capacity: s.maxPid, unit: 'PIDs' } : undefined;
  }
}

export interface TrendMemory {
  readonly v: typeof TREND_VERSION;
  /** Sample times, oldest first. */
  readonly t: readonly Minute[];
  /** Per node name, per signal (in `SIGNALS` order), one value per sample time (null: not reported). */
  readonly nodes: Readonly<Record<string, readonly (readonly (number | null)[])[]>>;
}

export const EMPTY_TREND: TrendMemory = { v: TREND_VERSION, t: [], nodes: {} };

/** Adds a sample when the last one is `TREND_SAMPLE_EVERY_MS` old; undefined when it is not time yet. */
export function sampleTrend(prev: TrendMemory, nodes: readonly KubeNodeMinute[], at: Minute): TrendMemory | undefined {
  const last = prev.t[prev.t.length - 1];
  if (nodes.length === 0 || (last !== undefined && at - last < TREND_SAMPLE_EVERY_MS)) return undefined;
  const keep = prev.t.map((t, i) => [t, i] as const).filter(([t]) => t >= at - TREND_KEEP_MS);
  const t = [...keep.map(([x]) => x), at];
  const out: Record<string, (number | null)[][]> = {};
  for (const k of nodes) {
    const old = prev.nodes[k.node.name];
    out[k.node.name] = SIGNALS.map((signal, si) => {
      const r = readSignal(signal, k);
      // Whole units are plenty for a trend and keep the document small.
      return [...keep.map(([, i]) => old?.[si]?.[i] ?? null), r ? Math.round(r.available) : null];
    });
  }
  return { v: TREND_VERSION, t, nodes: out };
}

/**
 * Hours until `signal` of `node` falls to `threshold` on the least-squares line through the stored samples
 * and the current value; 0 when already there, undefined when it is not falling or there is too little data.
 */
export function hoursUntil(
  trend: TrendMemory,
  node: string,
  signal: Signal,
  current: number,
  now: EpochMs,
  threshold: number,
): number | undefined {
  if (current <= threshold) return 0;
  const series = trend.nodes[node]?.[SIGNALS.indexOf(signal)];
  const points: [number, number][] = [];
  trend.t.forEach((t, i) => {
    const v = series?.[i];
    if (v !== null && v !== undefined && t >= now - TREND_KEEP_MS && t < now) points.push([t, v]);
  });
  points.push([now, current]);
  if (points.length < TREND_MIN_POINTS || now - points[0][0] < TREND_MIN_SPAN_MS) return undefined;
  const slope = leastSquaresSlope(points);
  if (slope >= 0) return undefined;
  return (current - threshold) / -slope / HOUR_MS;
}

/** Slope of the least-squares line through `points` (value per ms). */
export function leastSquaresSlope(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** The trend document is kept under this encoded size: in very large clusters the oldest samples go. */
export const MAX_TREND_BYTES = 300_000;

export function boundTrend(trend: TrendMemory, maxBytes = MAX_TREND_BYTES): TrendMemory {
  let t = trend;
  while (t.t.length > 1 && encode(t).length > maxBytes) {
    t = {
      v: TREND_VERSION,
      t: t.t.slice(1),
      nodes: Object.fromEntries(Object.entries(t.nodes).map(([n, series]) => [n, series.map((values) => values.slice(1))])),
    };
  }
  return t;
}

/** Whether the kubelet's image filesystem is its node filesystem (same size, same inode count or nearly the same free space). */
function sameDevice(s: NonNullable<KubeNodeMinute['stats']>): boolean {
  if (s.imageFsCapacityBytes !== s.fsCapacityBytes || !s.fsCapacityBytes) return false;
  if (s.imageFsInodes !== undefined && s.fsInodes !== undefined) return s.imageFsInodes === s.fsInodes;
  return Math.abs((s.imageFsAvailableBytes ?? 0) - (s.fsAvailableBytes ?? 0)) <= s.fsCapacityBytes * 0.01;
}

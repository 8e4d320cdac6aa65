/**
 * The simulated hosts' CloudWatch figures: deterministic per (seed, instance, minute), shaped like a busy
 * but healthy node (a daily CPU wave, steady memory and disk), overridable per instance by scenarios.
 */
import type { HostMetrics } from '../../model/domain';
import { DAY_MS, MINUTE_MS, type EpochMs } from '../../model/time';

export type SimMetric = keyof HostMetrics;

/** A stable number in [0, 1) for (seed, key, minute of t). */
export function hashUnit(seed: number, key: string, t: EpochMs): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  const mix = (x: number) => {
    h = Math.imul(h ^ x, 0x85ebca6b) >>> 0;
    h = (h ^ (h >>> 13)) >>> 0;
  };
  for (let i = 0; i < key.length; i++) mix(key.charCodeAt(i));
  mix(Math.floor(t / MINUTE_MS) | 0);
  h = Math.imul(h ^ (h >>> 16), 0xc2b2ae35) >>> 0;
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

/** One minute's value of `metric` (amounts for Sum metrics are per minute). */
export function metricValue(metric: SimMetric, seed: number, key: string, t: EpochMs): number {
  const noise = hashUnit(seed, `${key}/${metric}`, t);
  const daily = Math.sin((2 * Math.PI * (t % DAY_MS)) / DAY_MS);
  switch (metric) {
    case 'cpuPct':
      return round(Math.min(100, Math.max(0, 30 + 12 * daily + 10 * noise)));
    case 'networkInBytes':
      return Math.round(4_000_000 + 2_000_000 * daily + 3_000_000 * noise);
    case 'networkOutBytes':
      return Math.round(3_000_000 + 1_500_000 * daily + 2_000_000 * noise);
    case 'ebsReadOps':
      return Math.round(150 + 300 * noise);
    case 'ebsWriteOps':
      return Math.round(600 + 600 * noise);
    case 'ebsReadBytes':
      return Math.round((150 + 300 * noise) * 16_384);
    case 'ebsWriteBytes':
      return Math.round((600 + 600 * noise) * 32_768);
    case 'memoryUsedPct':
      return round(58 + 6 * daily + 4 * noise);
    case 'diskUsedPct':
      return round(41 + 2 * noise);
    default:
      return 0;
  }
}

const round = (v: number) => Math.round(v * 100) / 100;

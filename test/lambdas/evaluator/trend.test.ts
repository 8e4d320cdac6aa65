import {
  boundTrend,
  hoursUntil,
  leastSquaresSlope,
  readSignal,
  sampleTrend,
  EMPTY_TREND,
  SIGNALS,
  TREND_SAMPLE_EVERY_MS,
} from '../../../lambdas/evaluator/trend';
import { encode } from '../../../lambdas/store/codec';
import type { KubeNodeMinute } from '../../../model/domain';
import { HOUR_MS } from '../../../model/time';
import { syntheticCluster, syntheticKubeMinutes } from '../../../sim/synthetic';

const T = Date.UTC(2026, 10, 23, 12, 0);
const MiB = 1024 * 1024;
const nodes: KubeNodeMinute[] = syntheticKubeMinutes(syntheticCluster({ nodes: 3 }), T);

test('least squares slope', () => {
  expect(
    leastSquaresSlope([
      [0, 10],
      [1, 8],
      [2, 6],
    ]),
  ).toBeCloseTo(-2);
  expect(
    leastSquaresSlope([
      [5, 1],
      [5, 2],
    ]),
  ).toBe(0);
});

test('a sample every 30 minutes, kept 6 hours, per node and signal', () => {
  let trend = EMPTY_TREND;
  for (let i = 0; i < 20; i++) trend = sampleTrend(trend, nodes, T + i * 10 * 60_000) ?? trend;
  expect(trend.t.map((t) => (t - T) / 60_000)).toEqual([0, 30, 60, 90, 120, 150, 180]);
  expect(trend.nodes[nodes[0].node.name]).toHaveLength(SIGNALS.length);
  expect(trend.nodes[nodes[0].node.name][0]).toHaveLength(7);
  let long = trend;
  for (let i = 1; i <= 20; i++) long = sampleTrend(long, nodes, T + 180 * 60_000 + i * TREND_SAMPLE_EVERY_MS) ?? long;
  expect(long.t).toHaveLength(13);
});

test('hours until a threshold on the line through samples and the current value; undefined when flat or too little data', () => {
  const name = nodes[0].node.name;
  // memory.available falling 100 MiB per 30 min.
  const trend = {
    v: 1 as const,
    t: [0, 1, 2, 3].map((i) => T + i * TREND_SAMPLE_EVERY_MS),
    nodes: { [name]: SIGNALS.map((_, si) => (si === 0 ? [1000, 900, 800, 700] : [null, null, null, null])) },
  };
  const now = T + 4 * TREND_SAMPLE_EVERY_MS;
  expect(hoursUntil(trend, name, 'memory.available', 600, now, 100)).toBeCloseTo(2.5);
  expect(hoursUntil(trend, name, 'memory.available', 50, now, 100)).toBe(0);
  expect(hoursUntil(trend, name, 'nodefs.available', 600, now, 100)).toBeUndefined();
  const flat = { ...trend, nodes: { [name]: SIGNALS.map(() => [700, 700, 700, 700]) } };
  expect(hoursUntil(flat, name, 'memory.available', 700, now, 100)).toBeUndefined();
  expect(hoursUntil(trend, name, 'memory.available', 600, T + HOUR_MS / 2, 100)).toBeUndefined();
});

test('signals read from the kubelet summary; the image filesystem only when it is a separate one', () => {
  const k = nodes[0];
  expect(readSignal('memory.available', k)).toEqual({ available: k.stats!.memoryAvailableBytes! / MiB, capacity: 16 * 1024, unit: 'MiB' });
  expect(
    readSignal('imagefs.available', {
      ...k,
      stats: { ...k.stats, imageFsAvailableBytes: k.stats!.fsAvailableBytes, imageFsCapacityBytes: k.stats!.fsCapacityBytes },
    }),
  ).toBeUndefined();
  expect(readSignal('pid.available', k)).toEqual({ available: 4_194_304 - k.stats!.processes!, capacity: 4_194_304, unit: 'PIDs' });
  expect(readSignal('memory.available', { ...k, stats: undefined })).toBeUndefined();
});

test('in a very large cluster the oldest samples go to keep the document under its size limit', () => {
  const big = syntheticKubeMinutes(syntheticCluster({ nodes: 300, podsPerNode: 5 }), T);
  let trend = EMPTY_TREND;
  for (let i = 0; i < 12; i++) trend = sampleTrend(trend, big, T + i * TREND_SAMPLE_EVERY_MS) ?? trend;
  const limit = Math.floor(encode(trend).length * 0.8);
  const bounded = boundTrend(trend, limit);
  expect(encode(bounded).length).toBeLessThanOrEqual(limit);
  expect(bounded.t[bounded.t.length - 1]).toBe(trend.t[trend.t.length - 1]);
  expect(bounded.t.length).toBeLessThan(trend.t.length);
  expect(boundTrend(trend)).toBe(trend);
});

import type { NodeStats } from '../../../../model/domain';
import { HOUR_MS, MINUTE_MS } from '../../../../model/time';
import { RULES_BY_ID } from '../../../../lambdas/evaluator/rules/catalog';
import { EMPTY_TREND, sampleTrend, TREND_SAMPLE_EVERY_MS, type TrendMemory } from '../../../../lambdas/evaluator/trend';
import { T0 } from '../harness';
import { run } from '../rules';
import { SteadyCluster } from '../../../../sim/steady-cluster';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const t = T0;

function withStats(s: SteadyCluster, node: number, stats: Partial<NodeStats>): void {
  s.updateNode(node, (r) => ({ ...r, stats: { ...r.stats, ...stats } }));
}

/** Trend samples of the scenario every 30 minutes over `hours`, with `change(i)` applied before each. */
function history(s: SteadyCluster, hours: number, change: (step: number) => void): TrendMemory {
  let trend = EMPTY_TREND;
  const steps = Math.floor((hours * HOUR_MS) / TREND_SAMPLE_EVERY_MS);
  for (let i = 0; i < steps; i++) {
    change(i);
    const at = t - (steps - i) * TREND_SAMPLE_EVERY_MS;
    trend =
      sampleTrend(
        trend,
        s.reports.map((r) => ({ minute: at, collectedAt: at, node: r.node, stats: r.stats, pods: r.pods })),
        at,
      ) ?? trend;
  }
  return trend;
}

describe('node-memory-low', () => {
  test('below 10% available: warning, naming the pods using the most memory', () => {
    const s = new SteadyCluster({ nodes: 6 });
    withStats(s, 1, { memoryAvailableBytes: 1.2 * GiB, memoryWorkingSetBytes: 14.8 * GiB });
    const [f, ...rest] = run('node-memory-low', s.context(t));
    expect(rest).toEqual([]);
    expect(f).toMatchObject({
      severity: 'warning',
      subject: { node: s.nodeNames[1] },
      evidence: { memoryAvailableMiB: 1229, memoryAvailablePct: 7.5, evictionThresholdMiB: 100 },
    });
    expect(f.summary).toMatch(/top pods: [a-z-]+\/[a-z0-9-]+ [\d.]+ GiB/);
  });

  test('below max(500 MiB, 5%): critical', () => {
    const s = new SteadyCluster({ nodes: 6 });
    withStats(s, 1, { memoryAvailableBytes: 700 * MiB });
    expect(run('node-memory-low', s.context(t))[0].severity).toBe('critical');
  });

  test('falling toward the eviction threshold: warning before the level is reached', () => {
    const s = new SteadyCluster({ nodes: 6 });
    // 4 GiB available, losing 1 GiB an hour: 100 MiB in under 4 hours; below 30% so the trend counts.
    const trend = history(s, 3, (i) => withStats(s, 2, { memoryAvailableBytes: (7 - i / 2) * GiB }));
    withStats(s, 2, { memoryAvailableBytes: 4 * GiB });
    expect(run('node-memory-low', s.context(t, { trend }))).toEqual([]);
    const [f] = run('node-memory-low', s.context(t, { trend }), { fillWithinHours: 4 });
    expect(f.summary).toMatch(/falling: 100 MiB \(eviction\) in about 3\.\d h/);
    expect(f.evidence.hoursToEviction).toBeCloseTo(3.9, 0);
  });

  test('silent on a steady cluster and with a flat trend', () => {
    const s = new SteadyCluster({ nodes: 6 });
    const trend = history(s, 6, () => undefined);
    expect(run('node-memory-low', s.context(t, { trend }))).toEqual([]);
  });

  test('every task stalled on memory (PSI full) on a node already tight: warning before the level, with the stall as evidence', () => {
    const s = new SteadyCluster({ nodes: 6 });
    // 20% available: above the 10% level, below the 30% where trends count; no trend yet.
    withStats(s, 3, {
      memoryAvailableBytes: 3.2 * GiB,
      memoryWorkingSetBytes: 12.8 * GiB,
      psiMemorySomeAvg10: 41.2,
      psiMemoryFullAvg10: 18.5,
    });
    const [f, ...rest] = run('node-memory-low', s.context(t));
    expect(rest).toEqual([]);
    expect(f).toMatchObject({
      severity: 'warning',
      subject: { node: s.nodeNames[3] },
      evidence: { memoryAvailablePct: 20, memoryStallSomePct: 41.2, memoryStallFullPct: 18.5 },
    });
    expect(f.summary).toMatch(/every task stalled on memory 18\.5% of the last 10 s/);
    // The same stall with plenty of memory is not a memory shortage; a small stall on a tight node is normal reclaim.
    withStats(s, 3, { memoryAvailableBytes: 8 * GiB, memoryWorkingSetBytes: 8 * GiB });
    expect(run('node-memory-low', s.context(t))).toEqual([]);
    withStats(s, 3, { memoryAvailableBytes: 3.2 * GiB, memoryWorkingSetBytes: 12.8 * GiB, psiMemoryFullAvg10: 4 });
    expect(run('node-memory-low', s.context(t))).toEqual([]);
    withStats(s, 3, { psiMemoryFullAvg10: 18.5 });
    expect(run('node-memory-low', s.context(t), { stallFullPct: 0 })).toEqual([]);
  });
});

describe('node-disk-low', () => {
  test('nodefs under eviction + 5 points: warning; + 2 points: critical', () => {
    const s = new SteadyCluster({ nodes: 6 });
    withStats(s, 0, { fsAvailableBytes: 0.13 * 80 * GiB, imageFsAvailableBytes: 0.13 * 80 * GiB });
    withStats(s, 1, { fsAvailableBytes: 0.11 * 80 * GiB, imageFsAvailableBytes: 0.11 * 80 * GiB });
    const found = run('node-disk-low', s.context(t));
    // imagefs is the same filesystem here: one alert per node, not two.
    expect(found.map((f) => `${f.subject.node === s.nodeNames[0] ? 0 : 1}:${f.evidence.signal}:${f.severity}`)).toEqual([
      '0:nodefs.available:warning',
      '1:nodefs.available:critical',
    ]);
    expect(found[0].evidence).toMatchObject({ freePct: 13, evictionThresholdPct: 10, freeGiB: 10.4, capacityGiB: 80 });
  });

  test('a separate image filesystem and inodes are watched with their own thresholds, in one alert for the node naming each', () => {
    const s = new SteadyCluster({ nodes: 6 });
    withStats(s, 3, {
      imageFsAvailableBytes: 0.18 * 100 * GiB,
      imageFsCapacityBytes: 100 * GiB,
      fsInodesFree: 0.08 * 41_943_040,
      fsInodes: 41_943_040,
    });
    const found = run('node-disk-low', s.context(t));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      severity: 'warning',
      subject: { node: s.nodeNames[3] },
      evidence: { signals: 'imagefs.available, nodefs.inodesFree' },
    });
    expect(found[0].subject.detail).toBeUndefined();
    expect(found[0].summary).toMatch(/image filesystem has 18 GiB free .*; node filesystem inodes has/);
  });

  test('the root volume that also holds the images is one filesystem, though its two readings differ a little', () => {
    const s = new SteadyCluster({ nodes: 6 });
    // EKS: containerd on the root volume. Same size and inode table; free space read moments apart.
    withStats(s, 2, { fsAvailableBytes: 0.13 * 80 * GiB, imageFsAvailableBytes: 0.125 * 80 * GiB, imageFsCapacityBytes: 80 * GiB });
    const found = run('node-disk-low', s.context(t));
    expect(found.map((f) => `${f.evidence.signal}:${f.evidence.signals ?? '-'}`)).toEqual(['nodefs.available:-']);
  });

  test('a container filesystem split from images (kubelet 1.31+ containerfs) is watched; one that is the node or image filesystem is not repeated', () => {
    const s = new SteadyCluster({ nodes: 6 });
    withStats(s, 2, { containerFsAvailableBytes: 0.12 * 200 * GiB, containerFsCapacityBytes: 200 * GiB });
    const [f, ...rest] = run('node-disk-low', s.context(t));
    expect(rest).toEqual([]);
    expect(f).toMatchObject({
      severity: 'warning',
      subject: { node: s.nodeNames[2] },
      evidence: { signal: 'containerfs.available', freePct: 12, evictionThresholdPct: 10, freeGiB: 24 },
    });
    expect(f.summary).toMatch(/container filesystem has 24 GiB free/);
    // Reported, but the same filesystem as nodefs (as on the 1.35 capture): nodefs.available speaks for it.
    withStats(s, 2, {
      fsAvailableBytes: 0.12 * 200 * GiB,
      fsCapacityBytes: 200 * GiB,
      imageFsAvailableBytes: 0.12 * 200 * GiB,
      imageFsCapacityBytes: 200 * GiB,
    });
    expect(run('node-disk-low', s.context(t)).map((x) => `${x.evidence.signal}:${x.evidence.signals ?? '-'}`)).toEqual([
      'nodefs.available:-',
    ]);
  });

  test('filling up within 24 h at 20% free: warning; within 4 h: critical', () => {
    const s = new SteadyCluster({ nodes: 6 });
    const cap = 80 * GiB;
    // 20% free now, losing 0.5% of the disk an hour: the 10% threshold in 20 h.
    let trend = history(s, 6, (i) =>
      withStats(s, 4, { fsAvailableBytes: cap * (0.23 - (0.005 * i) / 2), imageFsAvailableBytes: cap * (0.23 - (0.005 * i) / 2) }),
    );
    withStats(s, 4, { fsAvailableBytes: cap * 0.2, imageFsAvailableBytes: cap * 0.2 });
    const [slow] = run('node-disk-low', s.context(t, { trend }));
    expect(slow).toMatchObject({ severity: 'warning', evidence: { signal: 'nodefs.available' } });
    expect(slow.evidence.hoursToEviction).toBeCloseTo(20, 0);
    // A log flood: 3% of the disk an hour.
    trend = history(s, 2, (i) =>
      withStats(s, 4, { fsAvailableBytes: cap * (0.26 - (0.03 * i) / 2), imageFsAvailableBytes: cap * (0.26 - (0.03 * i) / 2) }),
    );
    withStats(s, 4, { fsAvailableBytes: cap * 0.2, imageFsAvailableBytes: cap * 0.2 });
    expect(run('node-disk-low', s.context(t, { trend }))[0].severity).toBe('critical');
  });

  test('one burst does not predict: a trend needs an hour of samples', () => {
    const s = new SteadyCluster({ nodes: 6 });
    const cap = 80 * GiB;
    const trend = history(s, 0.5, () => withStats(s, 4, { fsAvailableBytes: cap * 0.24 }));
    withStats(s, 4, { fsAvailableBytes: cap * 0.2, imageFsAvailableBytes: cap * 0.2 });
    expect(run('node-disk-low', s.context(t, { trend }))).toEqual([]);
  });
});

describe('node-pids-low', () => {
  test('above 90% of the PID limit: warning; above 95%: critical', () => {
    const s = new SteadyCluster({ nodes: 6 });
    withStats(s, 0, { processes: 30_000, maxPid: 32_768 });
    withStats(s, 1, { processes: 31_500, maxPid: 32_768 });
    const found = run('node-pids-low', s.context(t));
    expect(found.map((f) => f.severity)).toEqual(['warning', 'critical']);
    expect(found[0].evidence).toEqual({
      processes: 30_000,
      maxPid: 32_768,
      usedPct: 91.6,
      criticalUsedPct: 95,
      evictionThresholdFrom: 'default (kubelet /configz not readable)',
    });
  });

  test('silent with normal process counts', () => {
    expect(run('node-pids-low', new SteadyCluster({ nodes: 6 }).context(t))).toEqual([]);
  });
});

test('a node without kubelet figures is unknown to the stats rules (its alerts are held), not healthy', () => {
  const s = new SteadyCluster({ nodes: 3 });
  s.updateNode(1, (r) => ({ ...r, stats: undefined }));
  const ctx = s.context(t + MINUTE_MS);
  for (const id of ['node-memory-low', 'node-disk-low', 'node-pids-low'] as const) {
    const rule = RULES_BY_ID.get(id)!;
    expect(rule.blind!(ctx, { cluster: s.cluster, node: s.nodeNames[1] })).toBe(true);
    expect(rule.blind!(ctx, { cluster: s.cluster, node: s.nodeNames[0] })).toBe(false);
    // A node that left the cluster is not unknown: its alerts resolve.
    expect(rule.blind!(ctx, { cluster: s.cluster, node: 'ip-10-9-9-9.eu-west-1.compute.internal' })).toBe(false);
  }
});

describe("each kubelet's real eviction thresholds (/configz)", () => {
  const withEviction = (s: SteadyCluster, node: number, eviction: NonNullable<import('../../../../model/domain').KubeNode['eviction']>) =>
    s.updateNode(node, (r) => ({ ...r, node: { ...r.node, eviction } }));

  test('memory: a kubelet evicting at 500Mi (not 100Mi) is short sooner: warned where the default would be silent', () => {
    const s = new SteadyCluster({ nodes: 6 });
    // 11% available: above the 10% level with the default threshold.
    for (const i of [1, 2]) withStats(s, i, { memoryAvailableBytes: 0.11 * 14.73 * GiB, memoryWorkingSetBytes: 0.89 * 14.73 * GiB });
    s.updateNode(1, (r) => ({ ...r, node: { ...r.node, capacity: { ...r.node.capacity, memoryBytes: 14.73 * GiB } } }));
    s.updateNode(2, (r) => ({ ...r, node: { ...r.node, capacity: { ...r.node.capacity, memoryBytes: 14.73 * GiB } } }));
    withEviction(s, 1, { hard: { 'memory.available': { quantity: 500 * MiB } } });
    const found = run('node-memory-low', s.context(t));
    expect(found.map((f) => f.subject.node)).toEqual([s.nodeNames[1]]);
    expect(found[0].evidence).toMatchObject({ evictionThresholdMiB: 500, evictionThresholdFrom: 'kubelet /configz' });
    expect(found[0].summary).toContain('its kubelet evicts at 500 MiB');
  });

  test('memory: a soft threshold above the hard one counts (it evicts after its grace period)', () => {
    const s = new SteadyCluster({ nodes: 6 });
    withStats(s, 1, { memoryAvailableBytes: 1.2 * GiB, memoryWorkingSetBytes: 14.8 * GiB });
    withEviction(s, 1, { hard: { 'memory.available': { quantity: 100 * MiB } }, soft: { 'memory.available': { quantity: GiB } } });
    const [f] = run('node-memory-low', s.context(t));
    expect(f.evidence).toMatchObject({ evictionThresholdMiB: 1024, evictionThresholdFrom: 'kubelet /configz' });
    expect(f.severity).toBe('critical');
  });

  test("disk: the kubelet's nodefs threshold replaces the default 10%", () => {
    const s = new SteadyCluster({ nodes: 6 });
    withStats(s, 0, { fsAvailableBytes: 0.18 * 80 * GiB, imageFsAvailableBytes: 0.18 * 80 * GiB });
    expect(run('node-disk-low', s.context(t))).toEqual([]);
    withEviction(s, 0, { hard: { 'nodefs.available': { pct: 15 } } });
    const [f] = run('node-disk-low', s.context(t));
    expect(f.evidence).toMatchObject({ signal: 'nodefs.available', evictionThresholdPct: 15, evictionThresholdFrom: 'kubelet /configz' });
    // A signal the kubelet sets no threshold for keeps the default, and says so.
    withEviction(s, 0, { hard: { 'memory.available': { quantity: 100 * MiB } } });
    withStats(s, 0, { fsAvailableBytes: 0.13 * 80 * GiB, imageFsAvailableBytes: 0.13 * 80 * GiB });
    expect(run('node-disk-low', s.context(t))[0].evidence).toMatchObject({
      evictionThresholdPct: 10,
      evictionThresholdFrom: 'default (not in the kubelet configuration)',
    });
  });

  test('PIDs: a kubelet evicting on pid.available makes its threshold the critical level', () => {
    const s = new SteadyCluster({ nodes: 6 });
    withStats(s, 0, { processes: 29_000, maxPid: 32_768 });
    expect(run('node-pids-low', s.context(t))).toEqual([]);
    withEviction(s, 0, { hard: { 'pid.available': { pct: 12 } } });
    const [f] = run('node-pids-low', s.context(t));
    expect(f).toMatchObject({ severity: 'critical', evidence: { criticalUsedPct: 88, evictionThresholdFrom: 'kubelet /configz' } });
  });
});

/**
 * The simulated account's CloudWatch data: each instance's metrics minute by minute (`metrics.ts`, or what
 * a scenario set), aggregated per query's period and statistic, readable only once their delay has passed
 * (2 minutes after the period with detailed monitoring, 5 with basic, some points later still, more while
 * a scenario delays CloudWatch).
 */
import type { MetricQuery, MetricSeries } from '../../lambdas/aws/cloudwatch';
import { MINUTE_MS, type Clock, type EpochMs } from '../../model/time';
import { hashUnit, metricValue, type SimMetric } from './metrics';
import type { Instance } from './state';

/** What CloudWatch reads of the account. */
export interface MetricSource {
  readonly clock: Clock;
  readonly seed: number;
  readonly instances: readonly Instance[];
  /** Minutes after its period a point becomes readable (detailed, basic), and the share that comes later still. */
  readonly cw: { readonly detailed: number; readonly basic: number; readonly lateShare: number; readonly lateMinutes: number };
  readonly cwDelays: readonly { readonly from: EpochMs; readonly to: EpochMs; readonly delayMs: number }[];
}

/** One query's points that are readable now. */
export function metricSeries(src: MetricSource, q: MetricQuery, from: EpochMs, to: EpochMs): MetricSeries {
  const now = src.clock.now();
  const byInstance = q.dimensions.InstanceId;
  const byGroup = q.dimensions.AutoScalingGroupName;
  const members = byInstance
    ? src.instances.filter((i) => i.id === byInstance)
    : byGroup && q.namespace === 'AWS/EC2'
      ? src.instances.filter((i) => i.group.asgName === byGroup)
      : [];
  const metric = simMetricOf(q);
  if (!metric || members.length === 0 || (q.namespace === 'CWAgent' && !members[0].group.spec.cloudWatchAgent))
    return { id: q.id, points: [], status: 'Complete' };
  // Status checks are published every minute whatever the monitoring (EC2 User Guide, "Status check metrics").
  const resolution = metric.startsWith('statusCheckFailed') || members.every((i) => i.group.spec.detailedMonitoring) ? 1 : 5;
  const stepMs = Math.max(q.periodSeconds / 60, resolution) * MINUTE_MS;
  const points: { t: EpochMs; value: number }[] = [];
  for (let t = Math.ceil(from / stepMs) * stepMs; t < to; t += stepMs) {
    const samples: number[] = [];
    for (const i of members) {
      if (!(i.runningAt < t + stepMs && (i.terminateAt === undefined || i.terminateAt > t))) continue;
      if (now < t + stepMs + delayMs(src, i, t, resolution)) continue;
      for (let m = t; m < t + stepMs; m += MINUTE_MS) samples.push(valueAt(src, i, metric, m));
    }
    if (!samples.length) continue;
    points.push({ t, value: statOf(q.stat, samples) });
  }
  return { id: q.id, points, status: 'Complete' };
}

/** One period's statistic over its samples, as CloudWatch computes `Sum`, `Maximum` and `Average`. */
export function statOf(stat: string, samples: readonly number[]): number {
  const sum = samples.reduce((a, b) => a + b, 0);
  return stat === 'Sum' ? sum : stat === 'Maximum' ? Math.max(...samples) : sum / samples.length;
}

function delayMs(src: MetricSource, i: Instance, t: EpochMs, resolution: number): number {
  const base = (resolution === 1 ? src.cw.detailed : src.cw.basic) * MINUTE_MS;
  const late = hashUnit(src.seed, i.ip, t) < src.cw.lateShare ? src.cw.lateMinutes * MINUTE_MS : 0;
  const extra = src.cwDelays.filter((d) => t >= d.from - resolution * MINUTE_MS && t < d.to).reduce((a, d) => Math.max(a, d.delayMs), 0);
  return base + late + extra;
}

function valueAt(src: MetricSource, i: Instance, metric: SimMetric, t: EpochMs): number {
  if (metric === 'statusCheckFailed' || metric === 'statusCheckFailedInstance' || metric === 'statusCheckFailedSystem') {
    const active = i.statusFailures.filter(
      (f) =>
        t >= f.from &&
        t < f.to &&
        (metric === 'statusCheckFailed' || f.kind === (metric === 'statusCheckFailedInstance' ? 'instance' : 'system')),
    );
    return active.length ? 1 : 0;
  }
  const o = i.overrides.get(metric);
  if (o !== undefined) return typeof o === 'function' ? o(t) : o;
  return metricValue(metric, src.seed, i.ip, t);
}

const METRIC_NAMES: Readonly<Record<string, SimMetric>> = {
  CPUUtilization: 'cpuPct',
  NetworkIn: 'networkInBytes',
  NetworkOut: 'networkOutBytes',
  EBSReadOps: 'ebsReadOps',
  EBSWriteOps: 'ebsWriteOps',
  EBSReadBytes: 'ebsReadBytes',
  EBSWriteBytes: 'ebsWriteBytes',
  StatusCheckFailed: 'statusCheckFailed',
  StatusCheckFailed_Instance: 'statusCheckFailedInstance',
  StatusCheckFailed_System: 'statusCheckFailedSystem',
  mem_used_percent: 'memoryUsedPct',
  disk_used_percent: 'diskUsedPct',
};

function simMetricOf(q: MetricQuery): SimMetric | undefined {
  const m = METRIC_NAMES[q.metricName];
  if (!m) return undefined;
  const agent = m === 'memoryUsedPct' || m === 'diskUsedPct';
  return (q.namespace === 'CWAgent') === agent && (q.namespace === 'CWAgent' || q.namespace === 'AWS/EC2') ? m : undefined;
}

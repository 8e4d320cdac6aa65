/**
 * Host metrics from CloudWatch, read so that the bill stays small (GetMetricData costs $0.01 per 1,000
 * metrics requested, whatever the window): every `everyMinutes`, one request per metric covers the whole
 * trailing window, so late points fill in at no extra cost.
 *
 * Status checks are read per Auto Scaling group (`StatusCheckFailed` Maximum with the `AutoScalingGroupName`
 * dimension, published for basic and detailed monitoring): one metric for the whole group, and per
 * instance (`StatusCheckFailed`, `_Instance`, `_System`) only for groups where a check failed. EC2 publishes
 * them every minute at no charge, even with basic monitoring, and GetMetricData bills per metric whatever
 * the period: they are read at 1 minute, up to the current minute, while the other metrics keep their
 * period. Each 1-minute status point is folded into the instance's own period part (the worst minute
 * known so far), so an instance's parts never overlap: the current period's part may hold status checks
 * only, its CPU not reported yet (unknown, never healthy), and is written only when its checks differ from
 * the period before (a failure, a recovery); a later read completes it.
 *
 * Partial reads are kept: a request that failed, a query CloudWatch answered `Forbidden` or
 * `InternalError`, or a `ListMetrics` denied costs only the metrics it concerns. What was answered is
 * assembled and returned with `answered` set, the failures are reported, and the next read comes at the
 * usual cadence (a read that failed as a whole is retried at the next minute). The collector writes the
 * host parts of a partial read only where none were written before, so a complete read is never replaced
 * with fewer figures.
 */
import type { CollectorFailure, Host, HostMetrics, HostNodeMinute } from '../../model/domain';
import { MINUTE_MS, minuteOf, type EpochMs } from '../../model/time';
import { describeError } from '../aws/calls';
import { MAX_QUERIES_PER_CALL, type CloudWatchApi, type MetricQuery, type MetricSeries, type MetricStatistic } from '../aws/cloudwatch';
import { mapLimit } from '../../common/concurrency';
import type { HostMetricsSettings, MetricGroup } from './config';

type Field = keyof HostMetrics;

/** An instance whose metrics are read. */
export interface MonitoredInstance {
  readonly host: Host;
  /** 1 only with detailed monitoring and a 1-minute setting; else 5. */
  readonly periodMinutes: number;
  /** Set when the instance's Auto Scaling group was read: its status checks are read per group. */
  readonly autoScalingGroup?: string;
}

type Target =
  | { readonly kind: 'instance'; readonly instanceId: string; readonly field: Field }
  | { readonly kind: 'group'; readonly group: string };

interface Planned {
  readonly query: Omit<MetricQuery, 'id'>;
  readonly target: Target;
}

const EC2 = 'AWS/EC2';
/** Status checks are published every minute for every instance (EC2 User Guide, "Status check metrics"). */
const STATUS_PERIOD_MINUTES = 1;
const STATUS_FIELDS: ReadonlySet<Field> = new Set(['statusCheckFailed', 'statusCheckFailedInstance', 'statusCheckFailedSystem']);
const isStatus = (t: Target) => t.kind === 'group' || STATUS_FIELDS.has(t.field);
const AGENT = 'CWAgent';

const PER_INSTANCE: readonly { group: MetricGroup; metricName: string; stat: MetricStatistic; field: Field }[] = [
  { group: 'cpu', metricName: 'CPUUtilization', stat: 'Average', field: 'cpuPct' },
  { group: 'network', metricName: 'NetworkIn', stat: 'Sum', field: 'networkInBytes' },
  { group: 'network', metricName: 'NetworkOut', stat: 'Sum', field: 'networkOutBytes' },
  { group: 'ebs', metricName: 'EBSReadOps', stat: 'Sum', field: 'ebsReadOps' },
  { group: 'ebs', metricName: 'EBSWriteOps', stat: 'Sum', field: 'ebsWriteOps' },
  { group: 'ebs', metricName: 'EBSReadBytes', stat: 'Sum', field: 'ebsReadBytes' },
  { group: 'ebs', metricName: 'EBSWriteBytes', stat: 'Sum', field: 'ebsWriteBytes' },
];

/** CloudWatch agent metrics: their dimension sets vary by agent config, so they are found with ListMetrics. */
export const AGENT_METRICS = [
  { group: 'memory', metricName: 'mem_used_percent', field: 'memoryUsedPct' },
  { group: 'disk', metricName: 'disk_used_percent', field: 'diskUsedPct' },
] as const satisfies readonly { group: MetricGroup; metricName: string; field: Field }[];

/** Disk series per instance: the root filesystem when listed, else the fullest of a few. */
const MAX_DISK_SERIES = 3;
/** Parallel GetMetricData requests. */
const PARALLEL_REQUESTS = 2;

/** Agent metric dimension sets by instance id, per agent metric name. */
export type AgentSeries = ReadonlyMap<string, ReadonlyMap<string, readonly Record<string, string>[]>>;

/**
 * The window a read covers: [from, to), both on period boundaries. `EndTime` is exclusive and AWS advises
 * aligning it with the period (GetMetricData API reference): an end inside a period would return that
 * period's point built from its first minutes only. `from` is on a 5-minute boundary so 5-minute periods align.
 */
export function metricsWindow(now: EpochMs, windowMinutes: number, periodMinutes: number): { from: EpochMs; to: EpochMs } {
  const period = periodMinutes * MINUTE_MS;
  const to = Math.floor(minuteOf(now) / period) * period;
  const step = 5 * MINUTE_MS;
  return { from: Math.floor((to - windowMinutes * MINUTE_MS) / step) * step, to };
}

export function isDue(lastReadAt: EpochMs | undefined, now: EpochMs, everyMinutes: number): boolean {
  return lastReadAt === undefined || lastReadAt > now || minuteOf(now) - minuteOf(lastReadAt) >= everyMinutes * MINUTE_MS;
}

/** The first round of queries: per-instance metrics, group status checks, agent metrics that exist. */
export function planReads(instances: readonly MonitoredInstance[], groups: ReadonlySet<MetricGroup>, agent: AgentSeries): Planned[] {
  const out: Planned[] = [];
  const ec2 = (i: MonitoredInstance, metricName: string, stat: MetricStatistic, field: Field): Planned => ({
    query: {
      namespace: EC2,
      metricName,
      dimensions: { InstanceId: i.host.instanceId },
      stat,
      periodSeconds: (STATUS_FIELDS.has(field) ? STATUS_PERIOD_MINUTES : i.periodMinutes) * 60,
    },
    target: { kind: 'instance', instanceId: i.host.instanceId, field },
  });
  for (const i of instances) {
    for (const m of PER_INSTANCE) if (groups.has(m.group)) out.push(ec2(i, m.metricName, m.stat, m.field));
    if (groups.has('status') && !i.autoScalingGroup) out.push(ec2(i, 'StatusCheckFailed', 'Maximum', 'statusCheckFailed'));
    for (const m of AGENT_METRICS) {
      if (!groups.has(m.group)) continue;
      for (const dimensions of agent.get(m.metricName)?.get(i.host.instanceId) ?? []) {
        out.push({
          query: { namespace: AGENT, metricName: m.metricName, dimensions, stat: 'Average', periodSeconds: i.periodMinutes * 60 },
          target: { kind: 'instance', instanceId: i.host.instanceId, field: m.field },
        });
      }
    }
  }
  if (groups.has('status')) {
    for (const group of [...new Set(instances.flatMap((i) => i.autoScalingGroup ?? []))].sort()) {
      out.push({
        query: {
          namespace: EC2,
          metricName: 'StatusCheckFailed',
          dimensions: { AutoScalingGroupName: group },
          stat: 'Maximum',
          periodSeconds: STATUS_PERIOD_MINUTES * 60,
        },
        target: { kind: 'group', group },
      });
    }
  }
  return out;
}

/** The second round, for instances whose checks failed: which check, per instance. */
export function planStatusDetail(instances: readonly MonitoredInstance[]): Planned[] {
  return instances.flatMap((i) =>
    [
      ...(i.autoScalingGroup ? [['StatusCheckFailed', 'statusCheckFailed'] as const] : []),
      ['StatusCheckFailed_Instance', 'statusCheckFailedInstance'] as const,
      ['StatusCheckFailed_System', 'statusCheckFailedSystem'] as const,
    ].map(([metricName, field]) => ({
      query: {
        namespace: EC2,
        metricName,
        dimensions: { InstanceId: i.host.instanceId },
        stat: 'Maximum' as const,
        periodSeconds: STATUS_PERIOD_MINUTES * 60,
      },
      target: { kind: 'instance' as const, instanceId: i.host.instanceId, field },
    })),
  );
}

/** Picks the agent series to read: which instances publish which metric, with which dimensions. */
export function agentSeriesOf(
  listed: ReadonlyMap<string, readonly Record<string, string>[]>,
  instanceIds: ReadonlySet<string>,
): AgentSeries {
  const out = new Map<string, Map<string, Record<string, string>[]>>();
  for (const [metricName, dimensionSets] of listed) {
    const byInstance = new Map<string, Record<string, string>[]>();
    for (const d of dimensionSets) {
      const id = d.InstanceId;
      if (!id || !instanceIds.has(id)) continue;
      byInstance.set(id, [...(byInstance.get(id) ?? []), d]);
    }
    for (const [id, sets] of byInstance) {
      const root = sets.filter((d) => d.path === '/');
      byInstance.set(
        id,
        metricName === 'mem_used_percent' ? sets.slice(0, 1) : root.length ? root.slice(0, 1) : sets.slice(0, MAX_DISK_SERIES),
      );
    }
    out.set(metricName, byInstance);
  }
  return out;
}

/** ListMetrics may take up to 15 minutes to list a new metric; after this, an unlisted instance publishes none. */
export const LISTING_LAG_MS = 20 * MINUTE_MS;

/**
 * Series for instances the listing does not show yet: `ListMetrics` can take up to 15 minutes to list a new
 * metric (ListMetrics API reference), and a new instance is where memory and disk matter most (one that
 * never joins, one filling up at boot). Such an instance gets the dimensions of a listed sibling of the
 * same Auto Scaling group or node pool (same launch template, same agent configuration), with its own
 * `InstanceId`, `InstanceType` and `AutoScalingGroupName`, while it is younger than {@link LISTING_LAG_MS}.
 * A guess that names no series returns no data; it costs one metric of the request.
 */
export function withSiblingSeries(agent: AgentSeries, instances: readonly MonitoredInstance[], now: EpochMs): AgentSeries {
  const familyOf = (i: MonitoredInstance) => i.host.autoScalingGroup ?? i.host.nodeGroup;
  const out = new Map<string, ReadonlyMap<string, readonly Record<string, string>[]>>();
  for (const [metricName, byInstance] of agent) {
    const all = new Map(byInstance);
    const template = new Map<string, readonly Record<string, string>[]>();
    for (const i of instances) {
      const family = familyOf(i);
      const listed = byInstance.get(i.host.instanceId);
      if (family !== undefined && listed && !template.has(family)) template.set(family, listed);
    }
    for (const i of instances) {
      const family = familyOf(i);
      const sibling = family === undefined ? undefined : template.get(family);
      if (all.has(i.host.instanceId) || !sibling || now - i.host.launchTime > LISTING_LAG_MS) continue;
      all.set(
        i.host.instanceId,
        sibling.map((d) => ({
          ...d,
          InstanceId: i.host.instanceId,
          ...('InstanceType' in d ? { InstanceType: i.host.instanceType } : {}),
          ...('AutoScalingGroupName' in d && i.host.autoScalingGroup ? { AutoScalingGroupName: i.host.autoScalingGroup } : {}),
        })),
      );
    }
    out.set(metricName, all);
  }
  return out;
}

export interface HostMetricsRead {
  /** What was answered, assembled (the answered queries only when some failed). */
  readonly minutes: HostNodeMinute[];
  readonly failures: CollectorFailure[];
  /** Some query was answered (or none was needed): the window counts as read. */
  readonly answered: boolean;
}

/** Reads the window ending at `now` for `instances`, in requests of at most 500 queries. */
export async function readHostMetrics(
  cw: CloudWatchApi,
  instances: readonly MonitoredInstance[],
  settings: HostMetricsSettings,
  now: EpochMs,
): Promise<HostMetricsRead> {
  const groups = new Set(settings.groups);
  if (instances.length === 0 || groups.size === 0) return { minutes: [], failures: [], answered: true };
  const { from, to } = metricsWindow(now, settings.windowMinutes, Math.max(...instances.map((i) => i.periodMinutes)));
  const failures: CollectorFailure[] = [];

  const listed = new Map<string, readonly Record<string, string>[]>();
  for (const m of AGENT_METRICS) {
    if (!groups.has(m.group)) continue;
    try {
      listed.set(m.metricName, await cw.listMetrics(AGENT, m.metricName));
    } catch (e) {
      failures.push({ operation: 'cloudwatch:ListMetrics', message: `${AGENT}/${m.metricName}: ${describeError(e)}` });
    }
  }
  const agent = withSiblingSeries(agentSeriesOf(listed, new Set(instances.map((i) => i.host.instanceId))), instances, now);

  const planned = planReads(instances, groups, agent);
  // Status checks end at the current minute (EndTime exclusive, on their 1-minute period); the rest on their period.
  const statusTo = minuteOf(now);
  const [periodic, status] = await Promise.all([
    run(
      cw,
      planned.filter((p) => !isStatus(p.target)),
      from,
      to,
      failures,
    ),
    run(
      cw,
      planned.filter((p) => isStatus(p.target)),
      from,
      statusTo,
      failures,
    ),
  ]);
  const failing = instancesWithFailedChecks(instances, status);
  const detail = failing.length ? await run(cw, planStatusDetail(failing), from, statusTo, failures) : [];
  const first = [...periodic, ...status];
  return {
    minutes: assemble(instances, [...first, ...detail], { from, to, statusTo }, now),
    failures,
    answered: planned.length === 0 || first.length > 0,
  };
}

/** Runs the queries; returns the answered ones (`Complete`), recording what failed. */
async function run(
  cw: CloudWatchApi,
  planned: readonly Planned[],
  from: EpochMs,
  to: EpochMs,
  failures: CollectorFailure[],
): Promise<{ target: Target; series: MetricSeries }[]> {
  if (planned.length === 0) return [];
  const withIds = planned.map((p, n) => ({ ...p, query: { ...p.query, id: `q${n}` } }));
  const chunks: (typeof withIds)[] = [];
  for (let i = 0; i < withIds.length; i += MAX_QUERIES_PER_CALL) chunks.push(withIds.slice(i, i + MAX_QUERIES_PER_CALL));
  const results = await mapLimit(chunks, PARALLEL_REQUESTS, async (chunk) => {
    try {
      const series = await cw.getMetricData(
        chunk.map((c) => c.query),
        from,
        to,
      );
      const byId = new Map(series.map((s) => [s.id, s]));
      return chunk.map((c) => ({ target: c.target, series: byId.get(c.query.id) ?? { id: c.query.id, points: [], status: 'Complete' } }));
    } catch (e) {
      failures.push({ operation: 'cloudwatch:GetMetricData', message: `${chunk.length} metrics: ${describeError(e)}` });
      return [];
    }
  });
  const out = results.flat();
  const refused = out.filter((r) => r.series.status !== 'Complete');
  if (refused.length) {
    failures.push({
      operation: 'cloudwatch:GetMetricData',
      message: `${refused.length} metrics answered ${refused[0].series.status}${refused[0].series.message ? `: ${refused[0].series.message}` : ''}`,
    });
  }
  return out.filter((r) => r.series.status === 'Complete');
}

function instancesWithFailedChecks(
  instances: readonly MonitoredInstance[],
  results: readonly { target: Target; series: MetricSeries }[],
): MonitoredInstance[] {
  const failedGroups = new Set<string>();
  const failedInstances = new Set<string>();
  for (const { target, series } of results) {
    if (!series.points.some((p) => p.value >= 1)) continue;
    if (target.kind === 'group') failedGroups.add(target.group);
    else if (target.field === 'statusCheckFailed') failedInstances.add(target.instanceId);
  }
  return instances.filter(
    (i) => failedInstances.has(i.host.instanceId) || (i.autoScalingGroup !== undefined && failedGroups.has(i.autoScalingGroup)),
  );
}

/**
 * Folds the series into one host part per instance and period start. A status check's 1-minute points go
 * to the part of their period, the worst minute counting; a period only partly reported says so by what
 * it lacks (its CPU), never by a value.
 */
export function assemble(
  instances: readonly MonitoredInstance[],
  results: readonly { target: Target; series: MetricSeries }[],
  window: { readonly from: EpochMs; readonly to: EpochMs; readonly statusTo: EpochMs },
  now: EpochMs,
): HostNodeMinute[] {
  const byId = new Map(instances.map((i) => [i.host.instanceId, i]));
  const values = new Map<string, Map<EpochMs, Partial<Record<Field, number>>>>();
  const at = (id: string, t: EpochMs) => {
    let perInstance = values.get(id);
    if (!perInstance) values.set(id, (perInstance = new Map()));
    let v = perInstance.get(t);
    if (!v) perInstance.set(t, (v = {}));
    return v;
  };
  const partOf = (i: MonitoredInstance, t: EpochMs) => Math.floor(t / (i.periodMinutes * MINUTE_MS)) * i.periodMinutes * MINUTE_MS;
  const inWindow = (t: EpochMs, status: boolean) => t >= window.from && t < (status ? window.statusTo : window.to);

  for (const { target, series } of results) {
    const i = target.kind === 'instance' ? byId.get(target.instanceId) : undefined;
    if (target.kind !== 'instance' || !i) continue;
    const status = STATUS_FIELDS.has(target.field);
    for (const p of series.points) {
      if (!inWindow(p.t, status)) continue;
      const v = at(target.instanceId, status ? partOf(i, p.t) : p.t);
      // Several disk series for one instance: the fullest counts; several status minutes in one period: the worst.
      v[target.field] = target.field === 'diskUsedPct' || status ? Math.max(v[target.field] ?? 0, p.value) : p.value;
    }
  }
  // A group's Maximum of 0 in every minute it reported of a member's period: that member passed its checks then.
  for (const { target, series } of results) {
    if (target.kind !== 'group') continue;
    for (const i of instances) {
      if (i.autoScalingGroup !== target.group) continue;
      const worst = new Map<EpochMs, number>();
      for (const p of series.points) {
        if (!inWindow(p.t, true) || i.host.launchTime >= p.t + STATUS_PERIOD_MINUTES * MINUTE_MS) continue;
        worst.set(partOf(i, p.t), Math.max(worst.get(partOf(i, p.t)) ?? 0, p.value));
      }
      for (const [t, w] of worst) if (w === 0) at(i.host.instanceId, t).statusCheckFailed ??= 0;
    }
  }

  // A period whose CPU is not published yet holds status checks only: written when they are news (failing,
  // or passing again), not to say "still passing" once per instance and read, then again with the CPU.
  const cpuRead = new Set(
    results.flatMap(({ target }) => (target.kind === 'instance' && target.field === 'cpuPct' ? [target.instanceId] : [])),
  );
  const waitsForCpu = (id: string, m: Partial<Record<Field, number>>, before: Partial<Record<Field, number>> | undefined) =>
    cpuRead.has(id) &&
    Object.keys(m).every((f) => STATUS_FIELDS.has(f as Field)) &&
    before !== undefined &&
    [...STATUS_FIELDS].every((f) => m[f] === before[f]);

  const out: HostNodeMinute[] = [];
  for (const [id, perInstance] of values) {
    const i = byId.get(id);
    if (!i) continue;
    for (const [t, metrics] of [...perInstance].sort(([a], [b]) => a - b)) {
      if (waitsForCpu(id, metrics, perInstance.get(t - i.periodMinutes * MINUTE_MS))) continue;
      out.push({ minute: t, periodMinutes: i.periodMinutes, collectedAt: now, host: i.host, metrics });
    }
  }
  return out;
}

/**
 * The collector's configuration: the environment read once at start-up, every problem reported at once,
 * and the defaults that set the CloudWatch bill (docs/ingest-and-collector.md, "Cost").
 */
import { z } from 'zod';
import { ConfigError, EnvReader } from '../../common/config';
import { clusterListSchema } from '../../model/cluster';
import type { ClusterConfig } from '../../model/domain';
import { ENV } from '../env';

/**
 * Host metric groups, each a set of CloudWatch metrics per instance:
 * `cpu` CPUUtilization; `status` StatusCheckFailed (one metric per Auto Scaling group, per instance only
 * when it fails); `network` NetworkIn/Out; `ebs` EBS read/write ops and bytes; `memory` and `disk` the
 * CloudWatch agent's `mem_used_percent` / `disk_used_percent`, for instances that publish them.
 */
export const METRIC_GROUPS = ['cpu', 'status', 'network', 'ebs', 'memory', 'disk'] as const;
export type MetricGroup = (typeof METRIC_GROUPS)[number];

export interface HostMetricsSettings {
  /** CloudWatch period: 1 for instances with detailed monitoring (others get 5), or 5. */
  readonly periodMinutes: 1 | 5;
  /** Read CloudWatch every this many minutes. */
  readonly everyMinutes: number;
  /** Each read covers this many trailing minutes, so late data points fill in. */
  readonly windowMinutes: number;
  /** Empty: no CloudWatch reads at all. */
  readonly groups: readonly MetricGroup[];
}

/**
 * Every 5 minutes, 15 trailing minutes (each 5-minute point is read three times, so points up to ten
 * minutes late still land), CPU and status checks always, the agent's memory and disk where it runs:
 * about $0.10 per instance a month, $0.28 where the CloudWatch agent runs (bench/collector.bench.ts).
 */
export const DEFAULT_HOST_METRICS: HostMetricsSettings = {
  periodMinutes: 5,
  everyMinutes: 5,
  windowMinutes: 15,
  groups: ['cpu', 'status', 'memory', 'disk'],
};

/** The longest window: 180 one-minute points × 500 queries stays under GetMetricData's 100,800 points a call. */
export const MAX_WINDOW_MINUTES = 180;

const groupsSchema = z.array(z.enum(METRIC_GROUPS)).refine((g) => new Set(g).size === g.length, 'each group at most once');

export interface CollectorConfig {
  readonly tableName: string;
  readonly retentionDays: number;
  readonly clusters: readonly ClusterConfig[];
  /** Region of clusters that name none: the collector's own. */
  readonly defaultRegion: string;
  readonly hostMetrics: HostMetricsSettings;
}

export function readCollectorConfig(env: Readonly<Record<string, string | undefined>> = process.env): CollectorConfig {
  const r = new EnvReader(env);
  const d = DEFAULT_HOST_METRICS;
  const config: CollectorConfig = {
    tableName: r.string(ENV.tableName),
    retentionDays: r.int(ENV.retentionDays, 14, 1, 3650),
    clusters: r.json(ENV.clusters, clusterListSchema),
    defaultRegion: r.string('AWS_REGION'),
    hostMetrics: {
      periodMinutes: r.json(ENV.hostMetricsPeriodMinutes, z.union([z.literal(1), z.literal(5)], 'expected 1 or 5'), d.periodMinutes),
      everyMinutes: r.int(ENV.hostMetricsEveryMinutes, d.everyMinutes, 1, 60),
      windowMinutes: r.int(ENV.hostMetricsWindowMinutes, d.windowMinutes, 1, MAX_WINDOW_MINUTES),
      groups: r.json(ENV.hostMetrics, groupsSchema, d.groups),
    },
  };
  const problems: string[] = [];
  try {
    r.done();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    problems.push(...e.problems);
  }
  problems.push(...hostMetricsProblems(config.hostMetrics));
  if (problems.length) throw new ConfigError(problems);
  return config;
}

/** Cross-setting checks: every minute must be covered by some read. */
export function hostMetricsProblems(h: HostMetricsSettings): string[] {
  const problems: string[] = [];
  if (h.windowMinutes < h.everyMinutes) {
    problems.push(
      `${ENV.hostMetricsWindowMinutes} (${h.windowMinutes}) must be at least ${ENV.hostMetricsEveryMinutes} (${h.everyMinutes}), or the minutes between reads are never read`,
    );
  }
  if (h.windowMinutes < 5) {
    problems.push(
      `${ENV.hostMetricsWindowMinutes} (${h.windowMinutes}) must be at least 5: instances with basic monitoring have one point per 5 minutes`,
    );
  }
  return problems;
}

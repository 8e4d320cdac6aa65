/**
 * The metric factory of the dashboards and alarms: it builds CloudWatch metrics only from the contract in
 * `model/metrics.ts` (namespace, name, unit, dimension set) and from AWS namespaces, so nothing charted can
 * drift from what the evaluator emits.
 */
import { Duration } from 'aws-cdk-lib';
import * as cw from 'aws-cdk-lib/aws-cloudwatch';
import { METRICS, METRICS_NAMESPACE, type MetricKey } from '../model/metrics';

export type Statistic = 'Average' | 'Maximum' | 'Minimum' | 'Sum';

/** How each metric aggregates on a graph: gauges by their worst or typical value, per-evaluation counts by sum. */
export const METRIC_STATISTICS: Readonly<Record<MetricKey, Statistic>> = {
  nodesReady: 'Minimum',
  nodesNotReady: 'Maximum',
  nodesUnderPressure: 'Maximum',
  podsPending: 'Maximum',
  containerRestarts: 'Sum',
  oomKills: 'Sum',
  n1HeadroomPct: 'Minimum',
  alertsFiring: 'Maximum',
  criticalAlertsFiring: 'Maximum',
  agentSilenceSeconds: 'Maximum',
  collectorFailures: 'Sum',
  evaluationSeconds: 'Maximum',
  capacityRemovals: 'Sum',
  groupNodes: 'Minimum',
  groupDesired: 'Maximum',
  groupInService: 'Minimum',
  groupPending: 'Maximum',
  groupCpuRequestedPct: 'Average',
  groupMemoryRequestedPct: 'Average',
  groupNodeCpuPct: 'Average',
  groupNodeMemoryPct: 'Average',
  groupHostCpuPct: 'Average',
  groupHostsStatusCheckFailed: 'Maximum',
};

/** The evaluator emits once a minute. */
export const VIGIL_PERIOD = Duration.minutes(1);

export interface SearchSpec {
  readonly namespace: string;
  /** The metric schema: exactly these dimension names. */
  readonly dimensions: readonly string[];
  readonly metricName: string;
  /** Exact dimension values to match (quoted, so `prod` does not also match `prod-eu`). */
  readonly filters?: Readonly<Record<string, string>>;
  readonly statistic: Statistic;
  readonly period: Duration;
}

/** `SEARCH('{Namespace,Dim,…} MetricName="…" Dim="…"', 'Statistic', period)`. */
export function searchExpression(s: SearchSpec): string {
  const quote = (v: string) => `"${v.replace(/"/g, '\\"')}"`;
  const schema = `{${[s.namespace, ...s.dimensions].join(',')}}`;
  const terms = [`MetricName=${quote(s.metricName)}`, ...Object.entries(s.filters ?? {}).map(([k, v]) => `${k}=${quote(v)}`)];
  return `SEARCH('${schema} ${terms.join(' ')}', '${s.statistic}', ${s.period.toSeconds()})`;
}

function spec(key: MetricKey, dimensions: string) {
  const m = METRICS[key];
  if (m.dimensions.join(',') !== dimensions) {
    throw new Error(`metric ${m.name} is published with dimensions [${m.dimensions.join(', ')}], not [${dimensions}]`);
  }
  return m;
}

/** A Vigil metric of one cluster (dimension `Cluster`). */
export function clusterMetric(key: MetricKey, cluster: string, label?: string): cw.Metric {
  const m = spec(key, 'Cluster');
  return new cw.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: m.name,
    dimensionsMap: { Cluster: cluster },
    statistic: METRIC_STATISTICS[key],
    period: VIGIL_PERIOD,
    unit: cw.Unit[m.unit.toUpperCase() as Uppercase<typeof m.unit>],
    label,
  });
}

/**
 * A Vigil node-group metric of one cluster, one line per node group (or NodePool). Node group names are known
 * only at run time (managed, self-managed, Karpenter), so it is a search over the `Cluster,NodeGroup` set.
 */
export function nodeGroupSearch(key: MetricKey, cluster: string, label: string, period: Duration = VIGIL_PERIOD): cw.SearchExpression {
  return perValueSearch(key, cluster, 'NodeGroup', label, period);
}

/** A Vigil metric of one cluster with one more dimension, one line per value of it (`${PROP('Dim.…')}` in the label). */
export function perValueSearch(
  key: MetricKey,
  cluster: string,
  dimension: 'NodeGroup' | 'Actor',
  label: string,
  period: Duration = VIGIL_PERIOD,
): cw.SearchExpression {
  const m = spec(key, `Cluster,${dimension}`);
  return new cw.SearchExpression({
    expression: searchExpression({
      namespace: METRICS_NAMESPACE,
      dimensions: ['Cluster', dimension],
      metricName: m.name,
      filters: { Cluster: cluster },
      statistic: METRIC_STATISTICS[key],
      period,
    }),
    label: `${label} \${PROP('Dim.${dimension}')}`,
    period,
  });
}

/** The sum over node groups of a node-group metric (e.g. hosts in service across the cluster). */
export function nodeGroupTotal(key: MetricKey, cluster: string, label: string): cw.MathExpression {
  const m = spec(key, 'Cluster,NodeGroup');
  const search = searchExpression({
    namespace: METRICS_NAMESPACE,
    dimensions: ['Cluster', 'NodeGroup'],
    metricName: m.name,
    filters: { Cluster: cluster },
    statistic: METRIC_STATISTICS[key],
    period: VIGIL_PERIOD,
  });
  return new cw.MathExpression({ expression: `SUM(${search})`, usingMetrics: {}, label, period: VIGIL_PERIOD });
}

/**
 * The collector for 50 and 500 instances on the simulated account (which paginates and counts calls as the
 * real APIs do): API calls per run by API, CloudWatch metrics requested, and the monthly cost of
 * `GetMetricData` at the default cadence and at the alternatives it was chosen against.
 */
import { silentLogger } from '../common/log';
import type { CallCounter } from '../lambdas/aws/calls';
import { createCollectorHandler, type ClusterRun } from '../lambdas/collector/collector';
import { DEFAULT_HOST_METRICS, METRIC_GROUPS, type HostMetricsSettings } from '../lambdas/collector/config';
import { VigilStore } from '../lambdas/store/store';
import { startDynalite } from '../local/dynalite';
import { ManualClock, MINUTE_MS } from '../model/time';
import { SimulatedAccount, type SimNodeGroupSpec } from '../sim/aws/account';
import { MINUTES_PER_MONTH, PRICES } from './prices';
import type { BenchFigure, BenchSection } from './report';

const T0 = Date.UTC(2026, 10, 23, 12, 0, 20);
/** Runs measured: three CloudWatch reads at the default cadence. */
const RUNS = 15;
/** CloudWatch API requests other than GetMetricData (ListMetrics): $0.01 per 1,000. aws.amazon.com/cloudwatch/pricing/ */
const PER_THOUSAND_API_REQUESTS = 0.01;

/** Managed groups of 25 (one spot), self-managed groups of 25 and a Karpenter pool: a mixed cluster. */
function nodeGroups(instances: number, agent: boolean): SimNodeGroupSpec[] {
  const karpenter = Math.round(instances / 10);
  const selfManaged = instances >= 100 ? 50 : 5;
  const managed = instances - karpenter - selfManaged;
  const groups: SimNodeGroupSpec[] = [];
  for (let i = 0, left = managed; left > 0; i++, left -= 25) {
    groups.push({
      name: `managed-${i}`,
      instanceType: 'm6i.xlarge',
      capacityType: i % 4 === 3 ? 'spot' : 'on-demand',
      size: { min: 0, max: 100, desired: Math.min(25, left) },
      cloudWatchAgent: agent,
    });
  }
  for (let i = 0, left = selfManaged; left > 0; i++, left -= 25) {
    groups.push({
      name: `legacy-${i}`,
      kind: 'self-managed',
      instanceType: 'm5.xlarge',
      size: { min: 0, max: 100, desired: Math.min(25, left) },
      cloudWatchAgent: agent,
    });
  }
  groups.push({
    name: 'burst',
    kind: 'karpenter',
    instanceType: 'c6i.2xlarge',
    capacityType: 'spot',
    size: { min: 0, max: 1000, desired: karpenter },
    cloudWatchAgent: agent,
  });
  return groups;
}

interface Measured {
  readonly runs: readonly ClusterRun[];
  readonly writeUnits: number;
  readonly wallMs: number;
}

async function measure(instances: number, settings: HostMetricsSettings, agent: boolean, runs: number): Promise<Measured> {
  const dynamo = await startDynalite();
  try {
    await dynamo.createTable('bench');
    const clock = new ManualClock(T0);
    const store = new VigilStore({ client: dynamo.client, tableName: 'bench', clock });
    const sim = new SimulatedAccount({ clock, cloudWatch: { lateShare: 0.1 } });
    sim.addCluster({ name: 'prod', nodeGroups: nodeGroups(instances, agent) });
    const collect = createCollectorHandler({
      store,
      clusters: [{ name: 'prod' }],
      defaultRegion: 'eu-west-1',
      aws: (_region, calls: CallCounter) => sim.apis(calls),
      hostMetrics: settings,
      clock,
      logger: silentLogger,
    });
    // The first run reads every group's activity history; the steady state starts after it.
    await collect();
    clock.advance(MINUTE_MS);
    const units = store.capacity.writeUnits;
    const out: ClusterRun[] = [];
    const start = performance.now();
    for (let i = 0; i < runs; i++) {
      out.push(...(await collect()));
      clock.advance(MINUTE_MS);
    }
    return { runs: out, writeUnits: (store.capacity.writeUnits - units) / runs, wallMs: (performance.now() - start) / runs };
  } finally {
    await dynamo.close();
  }
}

/** Monthly GetMetricData cost from the metrics a run requested, averaged over the measured runs. */
function monthlyMetricsCost(m: Measured): number {
  const perRun = m.runs.reduce((a, r) => a + r.metricsRequested, 0) / m.runs.length;
  return (perRun * MINUTES_PER_MONTH * PRICES.cloudwatch.perThousandGetMetricDataMetrics) / 1000;
}

function callsPerRun(m: Measured, filter: (r: ClusterRun) => boolean = () => true): Record<string, number> {
  const runs = m.runs.filter(filter);
  const sum: Record<string, number> = {};
  for (const r of runs) for (const [op, n] of Object.entries(r.calls)) sum[op] = (sum[op] ?? 0) + n;
  return Object.fromEntries(Object.entries(sum).map(([op, n]) => [op, Math.round((n / runs.length) * 100) / 100]));
}

async function section(instances: number): Promise<BenchSection> {
  const d = await measure(instances, DEFAULT_HOST_METRICS, false, RUNS);
  const withAgent = await measure(instances, DEFAULT_HOST_METRICS, true, RUNS);
  const everything: HostMetricsSettings = { periodMinutes: 1, everyMinutes: 1, windowMinutes: 15, groups: [...METRIC_GROUPS] };
  const allEveryMinute = await measure(instances, everything, true, 3);
  const allEveryFive = await measure(instances, { ...everything, everyMinutes: 5 }, true, 5);

  const read = d.runs.find((r) => r.metricsRead)!;
  const perApi = (label: string, calls: Record<string, number>): BenchFigure[] =>
    Object.entries(calls).map(([op, n]) => ({ name: `${op} per run, ${label}`, value: n, unit: 'calls' }));
  const listMetricsPerRun = callsPerRun(withAgent)['cloudwatch:ListMetrics'] ?? 0;
  const defaultCost = monthlyMetricsCost(d);
  return {
    component: `collector, ${instances} instances`,
    setup: `simulated account: ${nodeGroups(instances, false)
      .map((g) => `${g.name} (${g.kind ?? 'managed'}, ${g.size.desired})`)
      .join(
        ', ',
      )}; ${RUNS} one-minute runs after the first; default settings (CloudWatch every ${DEFAULT_HOST_METRICS.everyMinutes} min, ${DEFAULT_HOST_METRICS.windowMinutes}-min window, ${DEFAULT_HOST_METRICS.groups.join('/')}); no CloudWatch agent unless stated`,
    figures: [
      ...perApi('averaged over every minute', callsPerRun(d)),
      ...perApi('in a run that reads CloudWatch', read.calls),
      { name: 'GetMetricData metrics requested per CloudWatch read', value: read.metricsRequested, unit: 'metrics' },
      { name: 'monthly GetMetricData cost, default', value: round(defaultCost), unit: 'USD', budget: { max: instances * 0.15 } },
      { name: 'monthly GetMetricData cost per instance, default', value: round(defaultCost / instances, 4), unit: 'USD' },
      {
        name: 'monthly GetMetricData cost, default, CloudWatch agent on every instance',
        value: round(monthlyMetricsCost(withAgent)),
        unit: 'USD',
      },
      {
        name: 'monthly ListMetrics cost (agent metrics lookup)',
        value: round((listMetricsPerRun * MINUTES_PER_MONTH * PER_THOUSAND_API_REQUESTS) / 1000),
        unit: 'USD',
      },
      {
        name: 'monthly GetMetricData cost, every group every 5 min (agent everywhere)',
        value: round(monthlyMetricsCost(allEveryFive)),
        unit: 'USD',
      },
      {
        name: 'monthly GetMetricData cost, every group every minute (agent everywhere)',
        value: round(monthlyMetricsCost(allEveryMinute)),
        unit: 'USD',
      },
      { name: 'write units per minute (cloud rollup + host parts)', value: round(d.writeUnits), unit: 'WRU' },
      {
        name: 'monthly DynamoDB writes by the collector',
        value: round((d.writeUnits * MINUTES_PER_MONTH * PRICES.dynamodb.perMillionWriteUnits) / 1e6),
        unit: 'USD',
      },
      { name: 'run time on the simulated account and dynalite (mean)', value: round(d.wallMs), unit: 'ms' },
    ],
    notes: [
      'GetMetricData is billed per metric requested, whatever the window, so one read of a 15-minute window costs what a 1-minute one does.',
      'Status checks are one metric per Auto Scaling group; per-instance checks are read only for groups where one failed (none here).',
      'EKS, EC2 and Auto Scaling Describe/List calls are free; they count against account-wide rate limits, hence the per-run figures.',
    ],
  };
}

export async function bench(): Promise<BenchSection[]> {
  return [await section(50), await section(500)];
}

const round = (v: number, digits = 2) => Math.round(v * 10 ** digits) / 10 ** digits;

/**
 * The monthly cost model for the reference cluster (50 nodes, 1,500 pods, one sample a minute), built from
 * the other benchmarks' measurements and the synthesized stack, side by side with CloudWatch Container
 * Insights. `bench/run.ts` runs it last, with every other section as input.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../bin/app';
import { METRICS } from '../model/metrics';
import { REMOVAL_ACTORS } from '../model/removal';
import { EVALUATOR_MEMORY_MB } from '../lib/evaluator';
import { DEFAULT_MEMORY_GB, lambdaComputeMonthly } from './lambda-cost';
import { MINUTES_PER_MONTH, PRICES } from './prices';
import type { BenchFigure, BenchSection } from './report';

const NODES = 50;
const NODE_GROUPS = 2;
/** One agent batch, one collector run and one evaluation a minute. */
const INVOCATIONS_PER_FUNCTION = MINUTES_PER_MONTH;
/** Lambda's START/END/REPORT lines plus one structured line per invocation: about 600 bytes. */
const LOG_BYTES_PER_INVOCATION = 600;
/**
 * Container Insights for the same cluster, derived in docs/costs.md from its public pricing: classic is
 * 4,454 custom metrics (cluster 24 + nodes 50×8 + 300 workloads×9 + 150 services×7 + 40 namespaces×7) and
 * ≈715 GB of performance logs a month; enhanced observability ≈95,200 observations a minute.
 */
const CONTAINER_INSIGHTS = { classicMetrics: 4454, classicLogGb: 715, enhancedObservationsPerMinute: 95_200 };
/**
 * Time the functions wait on AWS, estimated: a few DynamoDB round trips for ingest and the evaluator, a
 * dozen AWS API calls for the collector.
 */
const IO_WAIT_MS = { ingest: 60, evaluator: 200, collector: 1500 };
/**
 * Alert volume, generous on purpose: one message a cluster per evaluation with a change, 100 a day (more
 * than a two-person team reads), each to two email subscribers; Slack is a free Lambda delivery.
 */
const ALERT_MESSAGES_PER_MONTH = 3000;
const EMAIL_SUBSCRIBERS = 2;

export function costSection(measured: readonly BenchSection[]): BenchSection {
  const missing: string[] = [];
  const figure = (component: string, name: string): number => {
    const f = measured.find((s) => s.component === component)?.figures.find((x) => x.name === name);
    if (!f) {
      missing.push(`${component}: ${name}`);
      return 0;
    }
    return f.value;
  };
  const ingestWru = figure('ingest endpoint', 'write units per batch, steady (mean)');
  const collectorWru = figure(`collector, ${NODES} instances`, 'write units per minute (cloud rollup + host parts)');
  const evaluatorWru = figure(`evaluator, ${NODES} nodes`, 'write units per evaluation, steady');
  // dynalite counts reads as strongly consistent; the store reads eventually consistent, billed at half.
  const evaluatorRru = figure(`evaluator, ${NODES} nodes`, 'read units per evaluation, steady') / 2;
  const perMonth = (unitsPerMinute: number, perMillion: number) => (unitsPerMinute * MINUTES_PER_MONTH * perMillion) / 1e6;

  // The stack as `cdk synth` builds it from the sample cdk.json (one cluster), without bundling.
  const { context } = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8'));
  const template = Template.fromStack(buildApp(new App({ context: { ...context, 'aws:cdk:bundling-stacks': [] } })));
  const count = (type: string) => Object.keys(template.findResources(type)).length;
  const alarms = count('AWS::CloudWatch::Alarm');
  const dashboards = count('AWS::CloudWatch::Dashboard');
  const keys = count('AWS::KMS::Key');
  // The webhook secret is the user's (the stack imports it by name), but Vigil is why it exists.
  const secrets = context['vigil:slackSecretName'] ? 1 : 0;
  const withDimensions = (d: string) => Object.values(METRICS).filter((m) => m.dimensions.join(',') === d).length;
  const clusterMetrics = withDimensions('Cluster');
  const groupMetrics = withDimensions('Cluster,NodeGroup');
  // Removals by actor: one metric per actor that ever removed capacity, at most every actor.
  const actorMetrics = withDimensions('Cluster,Actor') * REMOVAL_ACTORS.length;

  const lines: { name: string; usd: number }[] = [
    {
      name: 'DynamoDB writes (ingest, collector, evaluator)',
      usd: perMonth(ingestWru + collectorWru + evaluatorWru, PRICES.dynamodb.perMillionWriteUnits),
    },
    { name: 'DynamoDB reads (evaluator)', usd: perMonth(evaluatorRru, PRICES.dynamodb.perMillionReadUnits) },
    { name: 'DynamoDB storage', usd: figure('store (DynamoDB)', 'monthly DynamoDB storage (14 days kept)') },
    { name: 'Lambda requests (3 functions, every minute)', usd: (3 * INVOCATIONS_PER_FUNCTION * PRICES.lambda.perMillionRequests) / 1e6 },
    {
      name: `Lambda compute (ingest and collector at ${DEFAULT_MEMORY_GB * 1024} MB, evaluator at ${EVALUATOR_MEMORY_MB} MB)`,
      usd:
        lambdaComputeMonthly(figure('ingest endpoint', 'CPU per batch, steady (mean)'), IO_WAIT_MS.ingest) +
        lambdaComputeMonthly(
          figure(`evaluator, ${NODES} nodes`, `CPU time per evaluation, steady (mean of 8 minutes)`),
          IO_WAIT_MS.evaluator,
          EVALUATOR_MEMORY_MB / 1024,
        ) +
        lambdaComputeMonthly(
          figure(`collector, ${NODES} instances`, 'run time on the simulated account and dynalite (mean)'),
          IO_WAIT_MS.collector,
        ),
    },
    {
      name: `CloudWatch GetMetricData (host metrics, ${NODES} instances)`,
      usd:
        figure(`collector, ${NODES} instances`, 'monthly GetMetricData cost, default') +
        figure(`collector, ${NODES} instances`, 'monthly ListMetrics cost (agent metrics lookup)'),
    },
    {
      name: `CloudWatch custom metrics (${clusterMetrics} + ${groupMetrics} × ${NODE_GROUPS} node groups + ${actorMetrics} removal actors, from EMF)`,
      usd: (clusterMetrics + groupMetrics * NODE_GROUPS + actorMetrics) * PRICES.cloudwatch.perCustomMetricMonth,
    },
    { name: `CloudWatch alarms (${alarms} in the stack)`, usd: alarms * PRICES.cloudwatch.perAlarmMonth },
    { name: `CloudWatch dashboards (${dashboards}; 3 are free)`, usd: Math.max(0, dashboards - 3) * PRICES.cloudwatch.perDashboardMonth },
    {
      name: 'CloudWatch Logs ingestion (function logs and EMF, estimated)',
      usd: ((3 * INVOCATIONS_PER_FUNCTION * LOG_BYTES_PER_INVOCATION) / 1e9) * PRICES.cloudwatch.perGbLogsIngested,
    },
    { name: `KMS customer managed keys (${keys}, for the encrypted topics)`, usd: keys * PRICES.kms.perKeyMonth },
    {
      name: `SNS publishes and email (${ALERT_MESSAGES_PER_MONTH.toLocaleString('en-US')} alert messages, ${EMAIL_SUBSCRIBERS} subscribers)`,
      usd:
        (ALERT_MESSAGES_PER_MONTH * PRICES.sns.perMillionPublishes) / 1e6 +
        (ALERT_MESSAGES_PER_MONTH * EMAIL_SUBSCRIBERS * PRICES.sns.perHundredThousandEmails) / 1e5,
    },
    { name: 'Secrets Manager (the Slack webhook secret)', usd: secrets * PRICES.secretsManager.perSecretMonth },
  ];
  const total = lines.reduce((a, l) => a + l.usd, 0);
  const ciClassic =
    CONTAINER_INSIGHTS.classicMetrics * PRICES.cloudwatch.perCustomMetricMonth +
    CONTAINER_INSIGHTS.classicLogGb * PRICES.cloudwatch.perGbLogsIngested;
  const ciEnhanced =
    (CONTAINER_INSIGHTS.enhancedObservationsPerMinute * MINUTES_PER_MONTH * PRICES.cloudwatch.perMillionContainerInsightsObservations) /
    1e6;
  const usd = (v: number) => Math.round(v * 100) / 100;
  const figures: BenchFigure[] = [
    ...lines.map((l) => ({ name: l.name, value: usd(l.usd), unit: 'USD/month' })),
    { name: 'Vigil, all-in', value: usd(total), unit: 'USD/month' },
    { name: 'Vigil, per node', value: usd(total / NODES), unit: 'USD/node/month', budget: { max: 1 } },
    { name: 'Container Insights classic (metrics + performance logs)', value: usd(ciClassic), unit: 'USD/month' },
    { name: 'Container Insights classic, per node', value: usd(ciClassic / NODES), unit: 'USD/node/month' },
    { name: 'Container Insights enhanced observability', value: usd(ciEnhanced), unit: 'USD/month' },
    { name: 'Container Insights enhanced, per node', value: usd(ciEnhanced / NODES), unit: 'USD/node/month' },
  ];
  return {
    component: 'monthly cost model',
    setup: `${NODES} nodes in ${NODE_GROUPS} node groups, 1,500 pods, one sample a minute, default settings, us-east-1 list prices (bench/prices.ts); from the measurements above and the synthesized stack`,
    figures,
    notes: [
      ...(missing.length ? [`INCOMPLETE: run the whole bench (npm run bench); missing figures count as 0: ${missing.join('; ')}`] : []),
      'not included: the agent (it runs in your cluster: see its CPU and memory above), data transfer, and free tiers (which lower every line).',
      'Container Insights excludes application logs, which both would add.',
    ],
  };
}

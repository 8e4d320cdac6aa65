import { Duration } from 'aws-cdk-lib';
import * as cw from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { ClusterConfig } from '../model/domain';
import { PAGERDUTY, secretUnusableMetric, SLACK, TEAMS, WEBHOOK } from '../lambdas/notify/secrets';
import { clusterMetric } from './vigil-metrics';

export interface SelfMonitoringProps {
  /** Vigil's own functions by short name (`ingest`, `collector`, …), each alarmed on errors and throttles. */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  /** The function behind the agent's Function URL: rejected batches are alarmed too. */
  readonly ingest: lambda.IFunction;
  readonly failures: sqs.IQueue;
  readonly clusters: readonly ClusterConfig[];
  /** How long the agent may stay silent before the alarm. */
  readonly agentSilence: Duration;
  /** How often the evaluator runs, and so reports each cluster's silence: the silence alarm's period. */
  readonly evaluatorEvery: Duration;
  /** Where alarms notify (in ALARM and back to OK). */
  readonly topic: sns.ITopic;
  /** Every alarm name starts with it, so they sort together and the topic's key policy can name them. */
  readonly alarmNamePrefix: string;
  /** The Slack webhook's secret, when Slack is on: alarmed when the Slack function cannot use it. @default no Slack */
  readonly slackSecretName?: string;
  /** The generic webhook's secret, when it is on: alarmed the same way. @default no webhook */
  readonly webhookSecretName?: string;
  /** PagerDuty's routing-key secret, when it is on: alarmed the same way. @default no PagerDuty */
  readonly pagerDutySecretName?: string;
  /** The Teams Workflows webhook's secret, when it is on: alarmed the same way. @default no Teams */
  readonly teamsSecretName?: string;
}

/**
 * The silence alarm's shape, so that it fires when the silence reaches `silence` (to within one evaluation),
 * as its description says: `datapoints` consecutive reports, the first at `threshold`, the last at
 * `threshold + (datapoints - 1) × period = silence`. Several datapoints (up to 3) ride out one late
 * evaluation, which counts as silence; the threshold stays at 2 minutes or more, above a healthy agent's
 * silence (one interval, 60 s, plus the push).
 */
export function agentSilenceAlarm(
  silence: Duration,
  evaluatorEvery: Duration,
): { readonly period: Duration; readonly datapoints: number; readonly threshold: Duration } {
  const s = silence.toMinutes();
  const p = evaluatorEvery.toMinutes();
  const datapoints = Math.min(3, Math.max(1, Math.floor((s - 2) / p) + 1));
  return { period: evaluatorEvery, datapoints, threshold: Duration.minutes(s - (datapoints - 1) * p) };
}

interface AlarmSpec {
  readonly name: string;
  readonly description: string;
  readonly metric: cw.IMetric;
  readonly threshold: number;
  /** @default 1 of 1 */
  readonly datapoints?: { readonly of: number; readonly toAlarm: number };
  /** @default NOT_BREACHING: no data means nothing happened */
  readonly missing?: cw.TreatMissingData;
}

/**
 * Vigil watching itself: errors and throttles of its functions, the agent's batches rejected, failed
 * asynchronous invocations, and agent silence per cluster. Every alarm notifies the health topic when it
 * fires and when it clears.
 */
export class SelfMonitoring extends Construct {
  readonly alarms: cw.Alarm[] = [];

  constructor(
    scope: Construct,
    id: string,
    private readonly props: SelfMonitoringProps,
  ) {
    super(scope, id);
    const minute = Duration.minutes(1);
    for (const [name, fn] of Object.entries(props.functions)) {
      this.add(`${name}Errors`, {
        name: `${name}-errors`,
        description: `The Vigil ${name} function failed in 3 of the last 5 minutes. Its log group has the error lines ("level":"error").`,
        metric: fn.metricErrors({ period: minute, statistic: 'Sum' }),
        threshold: 1,
        datapoints: { of: 5, toAlarm: 3 },
      });
      this.add(`${name}Throttles`, {
        name: `${name}-throttles`,
        description: `The Vigil ${name} function was throttled in 3 of the last 5 minutes: the account's Lambda concurrency is exhausted.`,
        metric: fn.metricThrottles({ period: minute, statistic: 'Sum' }),
        threshold: 1,
        datapoints: { of: 5, toAlarm: 3 },
      });
    }
    this.add('AgentBatchesRejected', {
      name: 'agent-batches-rejected',
      description:
        'The ingest Function URL answered 4xx to 3 requests or more in 5 minutes: batches are refused (403: the agent role or signature is wrong; 400/413: the agent and Vigil disagree on the batch format). Those batches are not stored.',
      metric: props.ingest.metric('Url4xxCount', { period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 3,
    });
    this.add('FailedInvocations', {
      name: 'failed-invocations',
      description:
        'A scheduled run or an alert delivery to a receiver (Slack, Teams, PagerDuty, the webhook) failed after its retries, or EventBridge could not invoke a function: the record is in the failure queue (SQS).',
      metric: props.failures.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold: 1,
    });
    const receivers = [
      { receiver: SLACK, secretName: props.slackSecretName, url: 'a Slack webhook URL', example: 'https://hooks.slack.com/services/...' },
      { receiver: WEBHOOK, secretName: props.webhookSecretName, url: 'a webhook URL', example: 'https://alerts.example.com/hook' },
      {
        receiver: PAGERDUTY,
        secretName: props.pagerDutySecretName,
        url: "an Events API v2 integration's routing key",
        example: '<32-character routing key>',
      },
      {
        receiver: TEAMS,
        secretName: props.teamsSecretName,
        url: 'a Teams Workflows webhook URL',
        example: 'https://<environment>.environment.api.powerplatform.com/powerautomate/automations/direct/workflows/...',
      },
    ];
    for (const { receiver, secretName, url, example } of receivers) {
      if (secretName === undefined) continue;
      const m = secretUnusableMetric(receiver);
      const lower = receiver.name.toLowerCase();
      this.add(m.name, {
        name: `${lower}-secret-unusable`,
        description:
          `Vigil cannot post to ${receiver.name}: the ${receiver.name} function cannot use the Secrets Manager secret "${secretName}" (it is missing, not readable, or not ${url}; ` +
          `the function's log says which). Alerts still reach email. Create it with: aws secretsmanager create-secret --name ${secretName} ` +
          `--secret-string '${example}', or fix its value. This alarm stays on until a day passes without the problem.`,
        metric: new cw.Metric({
          namespace: m.namespace,
          metricName: m.name,
          dimensionsMap: { ...m.dimensions },
          statistic: 'Sum',
          period: Duration.hours(1),
        }),
        threshold: 1,
        // Any failure in the last day keeps it in ALARM: one email for a broken secret, however many messages.
        datapoints: { of: 24, toAlarm: 1 },
      });
    }
    const silence = agentSilenceAlarm(props.agentSilence, props.evaluatorEvery);
    for (const c of props.clusters) {
      this.add(`AgentSilence${c.name}`, {
        name: `agent-silence-${c.name}`,
        description:
          `No batch from the Vigil agent of cluster ${c.name} for ${props.agentSilence.toHumanString()}, or the evaluator stopped reporting: ` +
          'Vigil is blind to this cluster. Check the vigil-agent pod (kubectl -n vigil get pods) and the evaluator function.',
        metric: clusterMetric('agentSilenceSeconds', c.name).with({ period: silence.period }),
        threshold: silence.threshold.toSeconds(),
        datapoints: { of: silence.datapoints, toAlarm: silence.datapoints },
        // The evaluator reports silence every minute; no report at all is as blind as silence.
        missing: cw.TreatMissingData.BREACHING,
      });
    }
  }

  private add(id: string, spec: AlarmSpec): void {
    const alarm = new cw.Alarm(this, id, {
      alarmName: `${this.props.alarmNamePrefix}${spec.name}`,
      alarmDescription: spec.description,
      metric: spec.metric,
      threshold: spec.threshold,
      comparisonOperator: cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: spec.datapoints?.of ?? 1,
      datapointsToAlarm: spec.datapoints?.toAlarm ?? 1,
      treatMissingData: spec.missing ?? cw.TreatMissingData.NOT_BREACHING,
    });
    const action = new cwActions.SnsAction(this.props.topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    this.alarms.push(alarm);
  }
}

import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { METRICS, METRICS_NAMESPACE } from '../../model/metrics';
import { SLACK_SECRET_UNUSABLE_METRIC } from '../../lambdas/notify/secrets';
import { agentSilenceAlarm, SelfMonitoring, type SelfMonitoringProps } from '../../lib/self-monitoring';
import { testApp } from '../support/cdk';

describe('SelfMonitoring', () => {
  const stack = new Stack(testApp(), 'S');
  const fn = (id: string) =>
    new lambda.Function(stack, id, {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler=1'),
    });
  const ingest = fn('Ingest');
  new SelfMonitoring(stack, 'Self', {
    functions: { ingest, collector: fn('Collector') },
    ingest,
    failures: new sqs.Queue(stack, 'Failures'),
    clusters: [{ name: 'prod' }, { name: 'staging', region: 'us-west-2' }],
    agentSilence: Duration.minutes(5),
    evaluatorEvery: Duration.minutes(1),
    topic: new sns.Topic(stack, 'Health'),
    alarmNamePrefix: 'Vigil-',
  });
  const t = Template.fromStack(stack);
  const alarms = Object.values(t.findResources('AWS::CloudWatch::Alarm')).map(
    (a) => (a as { Properties: Record<string, unknown> }).Properties,
  );
  const byName = (n: string) => alarms.find((a) => a.AlarmName === n);

  test('every alarm notifies the health topic when it fires and when it clears', () => {
    expect(alarms.length).toBe(2 * 2 + 2 + 2);
    for (const a of alarms) {
      expect(a.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^Health/) }]);
      expect(a.OKActions).toEqual([{ Ref: expect.stringMatching(/^Health/) }]);
      expect(a.AlarmDescription).toEqual(expect.any(String));
    }
  });

  test('errors and throttles of each function, in 3 of 5 minutes', () => {
    for (const name of ['ingest', 'collector']) {
      for (const [metric, kind] of [
        ['Errors', 'errors'],
        ['Throttles', 'throttles'],
      ]) {
        expect(byName(`Vigil-${name}-${kind}`)).toMatchObject({
          Namespace: 'AWS/Lambda',
          MetricName: metric,
          Statistic: 'Sum',
          Period: 60,
          Threshold: 1,
          EvaluationPeriods: 5,
          DatapointsToAlarm: 3,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
        });
      }
    }
  });

  test('batches the ingest URL refuses, and anything in the failure queue', () => {
    expect(byName('Vigil-agent-batches-rejected')).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Url4xxCount',
      Threshold: 3,
      Period: 300,
    });
    expect(byName('Vigil-failed-invocations')).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 1,
    });
  });

  test("agent silence per cluster, from the evaluator's metric; no data counts as silence", () => {
    for (const cluster of ['prod', 'staging']) {
      expect(byName(`Vigil-agent-silence-${cluster}`)).toMatchObject({
        Namespace: METRICS_NAMESPACE,
        MetricName: METRICS.agentSilenceSeconds.name,
        Dimensions: [{ Name: 'Cluster', Value: cluster }],
        Period: 60,
        Threshold: 180,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 3,
        TreatMissingData: 'breaching',
      });
      expect(byName(`Vigil-agent-silence-${cluster}`)?.AlarmDescription).toContain('for 5 minutes');
    }
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'Vigil-agent-silence-prod',
      AlarmDescription: Match.stringLikeRegexp('kubectl -n vigil'),
    });
  });

  test.each([
    [5, 1],
    [2, 1],
    [3, 1],
    [10, 1],
    [1440, 1],
    [5, 5],
    [10, 5],
    [2, 5],
    [60, 15],
  ])(
    'the silence alarm fires when the silence reaches the %i minutes its description says (evaluator every %i)',
    (silenceMin, everyMin) => {
      const a = agentSilenceAlarm(Duration.minutes(silenceMin), Duration.minutes(everyMin));
      // The datapoint that completes the alarm: the first breaching one at the threshold, then one per period.
      const firesAtSec = a.threshold.toSeconds() + (a.datapoints - 1) * a.period.toSeconds();
      expect(firesAtSec).toBe(silenceMin * 60);
      expect(a.period.toMinutes()).toBe(everyMin);
      expect(a.datapoints).toBeGreaterThanOrEqual(1);
      expect(a.datapoints).toBeLessThanOrEqual(3);
      // Never at a silence a healthy agent reaches between two pushes.
      expect(a.threshold.toMinutes()).toBeGreaterThanOrEqual(2);
    },
  );

  /** Self-monitoring of a stack with one receiver function and its secret. */
  function withReceiver(receiver: string, secret: Partial<SelfMonitoringProps>): Template {
    const stack = new Stack(testApp(), `With${receiver}`);
    const f = new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler=1'),
    });
    new SelfMonitoring(stack, 'Self', {
      functions: { [receiver]: f },
      ingest: f,
      failures: new sqs.Queue(stack, 'Failures'),
      clusters: [],
      agentSilence: Duration.minutes(5),
      evaluatorEvery: Duration.minutes(1),
      topic: new sns.Topic(stack, 'Health'),
      alarmNamePrefix: 'Vigil-',
      ...secret,
    });
    return Template.fromStack(stack);
  }

  test('with the generic webhook, its unusable secret raises its own alarm, on its own metric', () => {
    const t = withReceiver('webhook', { webhookSecretName: 'team/hook' });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'Vigil-webhook-secret-unusable',
      MetricName: 'WebhookSecretUnusable',
      Dimensions: [{ Name: 'Service', Value: 'vigil-webhook' }],
      AlarmDescription: Match.stringLikeRegexp(
        'Vigil cannot post to Webhook: .*secret "team/hook".*not a webhook URL.*create-secret --name team/hook',
      ),
    });
    expect(
      Object.values(t.findResources('AWS::CloudWatch::Alarm')).some((a) => a.Properties.AlarmName === 'Vigil-slack-secret-unusable'),
    ).toBe(false);
  });

  test.each([
    [
      'pagerDuty',
      { pagerDutySecretName: 'team/pd' },
      'pagerduty',
      'PagerDuty',
      "not an Events API v2 integration's routing key.*create-secret --name team/pd",
    ],
    ['teams', { teamsSecretName: 'team/teams' }, 'teams', 'Teams', 'not a Teams Workflows webhook URL.*create-secret --name team/teams'],
  ])('with %s, its unusable secret raises its own alarm, on its own metric', (receiver, secret, lower, name, words) => {
    withReceiver(receiver, secret).hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `Vigil-${lower}-secret-unusable`,
      MetricName: `${name}SecretUnusable`,
      Dimensions: [{ Name: 'Service', Value: `vigil-${lower}` }],
      AlarmDescription: Match.stringLikeRegexp(`Vigil cannot post to ${name}: .*${words}`),
    });
  });

  test('with Slack, an unusable webhook secret raises one health alarm (email), in words, held for a day', () => {
    const m = SLACK_SECRET_UNUSABLE_METRIC;
    withReceiver('slack', { slackSecretName: 'team/slack' }).hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'Vigil-slack-secret-unusable',
      Namespace: m.namespace,
      MetricName: m.name,
      Dimensions: [{ Name: 'Service', Value: 'vigil-slack' }],
      Statistic: 'Sum',
      Period: 3600,
      EvaluationPeriods: 24,
      DatapointsToAlarm: 1,
      Threshold: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^Health') }],
      AlarmDescription: Match.stringLikeRegexp(
        'secret "team/slack".*Alerts still reach email.*aws secretsmanager create-secret --name team/slack',
      ),
    });
    expect(alarms.some((a) => a.AlarmName === 'Vigil-slack-secret-unusable')).toBe(false);
  });
});

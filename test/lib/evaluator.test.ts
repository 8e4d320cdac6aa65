import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { ENV } from '../../lambdas/env';
import { Evaluator, EVALUATOR_MEMORY_MB } from '../../lib/evaluator';
import { Notifications } from '../../lib/notifications';
import { StoreTable } from '../../lib/store-table';
import { actionsOf, policyStatements, testApp } from '../support/cdk';

describe('Evaluator', () => {
  const stack = new Stack(testApp(), 'S');
  const failures = new sqs.Queue(stack, 'Failures');
  const notifications = new Notifications(stack, 'Notifications', {
    emails: [],
    failures,
    logRetention: logs.RetentionDays.ONE_MONTH,
    alarmNamePrefix: 'S-',
  });
  new Evaluator(stack, 'Evaluator', {
    clusters: [{ name: 'prod' }],
    store: new StoreTable(stack, 'Store'),
    hostMetricsPeriodMinutes: 5,
    rules: { 'node-not-ready': { for: '10m' } },
    runbookBaseUrl: 'https://wiki.example.com/vigil/',
    maintenanceWindows: [{ name: 'patching', days: ['Sat'], start: '02:00', end: '04:00', timeZone: 'Europe/Paris' }],
    notifications,
    every: Duration.minutes(1),
    failures,
    logRetention: logs.RetentionDays.ONE_MONTH,
  });
  const t = Template.fromStack(stack);

  test('runs every minute with the rules, clusters, table and alert topic in its environment', () => {
    t.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EvaluatorFunction'), 'Arn'] } })],
    });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 50,
      // Room for clusters beyond 500 nodes (200–230 MB of heap there in the bench), not 512.
      MemorySize: EVALUATOR_MEMORY_MB,
      Environment: {
        Variables: Match.objectLike({
          [ENV.tableName]: { Ref: Match.stringLikeRegexp('^StoreTable') },
          [ENV.clusters]: '[{"name":"prod"}]',
          [ENV.topicArn]: { Ref: Match.stringLikeRegexp('^NotificationsAlerts') },
          [ENV.rules]: '{"node-not-ready":{"for":"10m"}}',
          [ENV.hostMetricsPeriodMinutes]: '5',
          [ENV.runbookBaseUrl]: 'https://wiki.example.com/vigil/',
          [ENV.maintenanceWindows]: '[{"name":"patching","days":["Sat"],"start":"02:00","end":"04:00","timeZone":"Europe/Paris"}]',
        }),
      },
    });
  });

  test('may publish to the alert topic only (not the health topic), with exactly the two key actions it needs', () => {
    const statements = policyStatements(t).filter((s) => s.where.startsWith('EvaluatorFunctionRoleDefaultPolicy'));
    const publish = statements.filter((s) => actionsOf(s.statement).includes('sns:Publish'));
    expect(publish.map((s) => s.statement.Resource)).toEqual([{ Ref: expect.stringMatching(/^NotificationsAlerts/) }]);
    const kms = statements.filter((s) => actionsOf(s.statement).some((a) => a.startsWith('kms:')));
    expect(kms.flatMap((s) => actionsOf(s.statement)).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
  });
});

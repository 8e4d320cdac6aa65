import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { ENV } from '../../lambdas/env';
import { COLLECTOR_STATEMENTS } from '../../lambdas/collector/iam-policy';
import { Collector } from '../../lib/collector';
import { collectorPolicyStatements } from '../../lib/collector-policy';
import { StoreTable } from '../../lib/store-table';
import { actionsOf, policyStatements, testApp } from '../support/cdk';

const clusters = [{ name: 'prod' }, { name: 'staging', region: 'us-west-2' }];

function build(every = Duration.minutes(1)) {
  const stack = new Stack(testApp(), 'S');
  new Collector(stack, 'Collector', {
    clusters,
    store: new StoreTable(stack, 'Store'),
    retentionDays: 7,
    hostMetrics: { periodMinutes: 5, everyMinutes: 5, windowMinutes: 15, groups: ['cpu', 'status'] },
    every,
    failures: new sqs.Queue(stack, 'Failures'),
    logRetention: logs.RetentionDays.ONE_MONTH,
  });
  return Template.fromStack(stack);
}

describe('collectorPolicyStatements', () => {
  const stack = new Stack(testApp(), 'S', { env: { account: '123456789012', region: 'eu-west-1' } });
  const statements = collectorPolicyStatements(stack, clusters).map((s) => stack.resolve(s.toStatementJson()));

  test('one statement per entry of the data in lambdas/collector/iam-policy.ts, with the same actions', () => {
    expect(statements.map((s) => actionsOf(s).sort())).toEqual(COLLECTOR_STATEMENTS.map((s) => [...s.actions].sort()));
  });

  test('cluster scopes become the watched clusters, each in its own region', () => {
    const byAction = (a: string) => statements.find((s) => actionsOf(s).includes(a));
    expect(byAction('eks:DescribeCluster').Resource).toEqual([
      'arn:aws:eks:eu-west-1:123456789012:cluster/prod',
      'arn:aws:eks:us-west-2:123456789012:cluster/staging',
    ]);
    expect(byAction('eks:DescribeNodegroup').Resource).toEqual([
      'arn:aws:eks:eu-west-1:123456789012:nodegroup/prod/*',
      'arn:aws:eks:us-west-2:123456789012:nodegroup/staging/*',
    ]);
    expect(byAction('ec2:DescribeInstances').Resource).toBe('*');
  });

  test('a wildcard action is refused', () => {
    expect(() => collectorPolicyStatements(stack, clusters, [{ actions: ['ec2:Describe*'], scope: '*' }])).toThrow(
      /"ec2:Describe\*" has a wildcard/,
    );
  });
});

describe('Collector', () => {
  const t = build();

  test('runs every minute, asynchronously, with failures and undeliverable events kept in the failure queue', () => {
    t.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^CollectorFunction'), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Failures'), 'Arn'] } },
          RetryPolicy: { MaximumEventAgeInSeconds: 120, MaximumRetryAttempts: 2 },
        }),
      ],
    });
    t.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 0,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Failures'), 'Arn'] } } },
    });
  });

  test('its environment names come from lambdas/env.ts, and a run ends before the next one starts', () => {
    t.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Timeout: 50,
      Environment: {
        Variables: Match.objectLike({
          [ENV.tableName]: { Ref: Match.stringLikeRegexp('^StoreTable') },
          [ENV.retentionDays]: '7',
          [ENV.clusters]: JSON.stringify(clusters),
          [ENV.hostMetricsPeriodMinutes]: '5',
          [ENV.hostMetricsEveryMinutes]: '5',
          [ENV.hostMetricsWindowMinutes]: '15',
          [ENV.hostMetrics]: '["cpu","status"]',
        }),
      },
    });
  });

  test('a five-minute schedule gives a five-minute rate and a timeout under it', () => {
    const t5 = build(Duration.minutes(5));
    t5.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
    t5.hasResourceProperties('AWS::Lambda::Function', { Timeout: 290 });
  });

  test('its role reads AWS with named actions only and writes only to the table and the failure queue', () => {
    const statements = policyStatements(t).filter((s) => s.where.startsWith('CollectorFunctionRoleDefaultPolicy'));
    const actions = statements.flatMap((s) => actionsOf(s.statement));
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
    const writes = actions.filter((a) => !/:(Describe|List|Get|BatchGet|Query)/.test(a));
    expect(writes.sort()).toEqual([
      'dynamodb:BatchWriteItem',
      'dynamodb:DeleteItem',
      'dynamodb:PutItem',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'sqs:SendMessage',
    ]);
  });
});

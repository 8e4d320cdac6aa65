import { Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { ENV } from '../../lambdas/env';
import { AwsEvents } from '../../lib/aws-events';
import { StoreTable } from '../../lib/store-table';
import { actionsOf, policyStatements, testApp } from '../support/cdk';

const clusters = [{ name: 'prod' }];

function build() {
  const stack = new Stack(testApp(), 'S');
  new AwsEvents(stack, 'AwsEvents', {
    clusters,
    store: new StoreTable(stack, 'Store'),
    retentionDays: 7,
    collectorEvery: Duration.minutes(2),
    failures: new sqs.Queue(stack, 'Failures'),
    logRetention: logs.RetentionDays.ONE_MONTH,
  });
  return Template.fromStack(stack);
}

describe('AwsEvents', () => {
  const t = build();
  const failureQueue = { 'Fn::GetAtt': [Match.stringLikeRegexp('^Failures'), 'Arn'] };

  test('EC2: Spot interruption warnings, rebalance recommendations and state changes', () => {
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.ec2'],
        'detail-type': [
          'EC2 Spot Instance Interruption Warning',
          'EC2 Instance Rebalance Recommendation',
          'EC2 Instance State-change Notification',
        ],
      },
    });
  });

  test('Auto Scaling: launches and terminations, successful and unsuccessful', () => {
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.autoscaling'],
        'detail-type': [
          'EC2 Instance Launch Successful',
          'EC2 Instance Launch Unsuccessful',
          'EC2 Instance Terminate Successful',
          'EC2 Instance Terminate Unsuccessful',
        ],
      },
    });
  });

  test('AWS Health: only scheduled changes to EC2', () => {
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.health'],
        'detail-type': ['AWS Health Event'],
        detail: { service: ['EC2'], eventTypeCategory: ['scheduledChange'] },
      },
    });
  });

  test('every rule invokes the function; what cannot be delivered or fails after retries goes to the failure queue', () => {
    const rules = t.findResources('AWS::Events::Rule');
    expect(Object.keys(rules)).toHaveLength(3);
    for (const r of Object.values(rules)) {
      expect(r.Properties.Targets).toEqual([
        expect.objectContaining({
          DeadLetterConfig: { Arn: expect.anything() },
          RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 8 },
        }),
      ]);
    }
    t.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: failureQueue } },
    });
    t.resourceCountIs('AWS::Lambda::Permission', 3);
  });

  test('its environment names the table, the clusters and the collector interval', () => {
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          [ENV.tableName]: { Ref: Match.stringLikeRegexp('^StoreTable') },
          [ENV.retentionDays]: '7',
          [ENV.clusters]: JSON.stringify(clusters),
          [ENV.collectorEveryMinutes]: '2',
        }),
      },
    });
  });

  test('its role may only BatchGet and BatchWrite the table, write its logs and send to the failure queue (as the Lambda destination grants)', () => {
    const actions = policyStatements(t)
      .filter((s) => s.where.startsWith('AwsEventsFunctionRole') && !s.where.endsWith('trust'))
      .flatMap((s) => actionsOf(s.statement));
    expect(actions.sort()).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:BatchWriteItem',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:SendMessage',
    ]);
  });

  test('the store refuses to grant a call VigilStore does not make', () => {
    const stack = new Stack(testApp(), 'S2');
    const store = new StoreTable(stack, 'Store');
    expect(() =>
      store.grantActions(new iam.Role(stack, 'R', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }), ['dynamodb:Scan']),
    ).toThrow(/dynamodb:Scan are not among the calls VigilStore makes/);
  });
});

describe("clusters outside the stack's region", () => {
  function stackWith(clusterList: { name: string; region?: string }[], env?: { account: string; region: string }) {
    const stack = new Stack(testApp(), 'S', env ? { env } : {});
    new AwsEvents(stack, 'AwsEvents', {
      clusters: clusterList,
      store: new StoreTable(stack, 'Store'),
      retentionDays: 7,
      collectorEvery: Duration.minutes(1),
      failures: new sqs.Queue(stack, 'Failures'),
      logRetention: logs.RetentionDays.ONE_MONTH,
    });
    return Annotations.fromStack(stack);
  }

  test('synth warns, naming the cluster and both regions, that EventBridge rules are regional and its AWS events do not arrive', () => {
    const a = stackWith([{ name: 'prod' }, { name: 'us-prod', region: 'us-east-1' }, { name: 'eu-prod', region: 'eu-west-1' }], {
      account: '123456789012',
      region: 'eu-west-1',
    });
    const warnings = a.findWarning('*', Match.stringLikeRegexp('EventBridge rules are regional'));
    expect(warnings).toHaveLength(1);
    expect(JSON.stringify(warnings[0].entry.data)).toMatch(
      /cluster us-prod is in us-east-1: .* reach Vigil only if us-east-1 is the stack's region \(eu-west-1\)/,
    );
  });

  test("clusters in the stack's region, or naming none, give no warning", () => {
    expect(
      stackWith([{ name: 'prod' }, { name: 'eu-prod', region: 'eu-west-1' }], { account: '123456789012', region: 'eu-west-1' }).findWarning(
        '*',
        Match.stringLikeRegexp('EventBridge rules are regional'),
      ),
    ).toEqual([]);
  });
});

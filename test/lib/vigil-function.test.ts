import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { DEFAULT_MEMORY_MB, VigilFunction } from '../../lib/vigil-function';
import { actionsOf, policyStatements, testApp } from '../support/cdk';

function build(extra: Partial<ConstructorParameters<typeof VigilFunction>[2]> = {}) {
  const stack = new Stack(testApp(), 'S');
  new VigilFunction(stack, 'Fn', { entry: 'lambdas/ingest/handler.ts', description: 'test', environment: { VIGIL_X: '1' }, ...extra });
  return Template.fromStack(stack);
}

describe('VigilFunction', () => {
  const t = build();

  test('Node.js 24 on arm64, handler `handler` of the bundled entry, with the environment and source maps on', () => {
    t.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: DEFAULT_MEMORY_MB,
      Timeout: 30,
      Environment: { Variables: { VIGIL_X: '1', NODE_OPTIONS: '--enable-source-maps' } },
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^FnLogs') } },
    });
  });

  test('its own log group with a retention, and a role that may write only there', () => {
    t.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    t.resourceCountIs('AWS::Logs::LogGroup', 1);
    const role = t.findResources('AWS::IAM::Role');
    expect(Object.values(role)[0]).not.toHaveProperty('Properties.ManagedPolicyArns');
    const statements = policyStatements(t).filter((s) => !s.where.endsWith('trust'));
    expect(statements).toHaveLength(1);
    expect(actionsOf(statements[0].statement).sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    expect(statements[0].statement.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^FnLogs/), 'Arn'] });
  });

  test('no asynchronous-invocation settings unless asked', () => {
    t.resourceCountIs('AWS::Lambda::EventInvokeConfig', 0);
  });

  test('failed asynchronous invocations go to the given queue, with the given retries and age', () => {
    const stack = new Stack(testApp(), 'S');
    const queue = new sqs.Queue(stack, 'Q');
    new VigilFunction(stack, 'Fn', {
      entry: 'lambdas/evaluator/handler.ts',
      description: 'test',
      environment: {},
      onFailure: queue,
      retryAttempts: 0,
      maxEventAge: Duration.minutes(1),
      memorySize: 1024,
      timeout: Duration.seconds(50),
      logRetention: logs.RetentionDays.ONE_WEEK,
    });
    const tt = Template.fromStack(stack);
    tt.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 60,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Q'), 'Arn'] } } },
    });
    tt.hasResourceProperties('AWS::Lambda::Function', { MemorySize: 1024, Timeout: 50 });
    tt.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
  });
});

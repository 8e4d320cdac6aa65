import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { ENV } from '../../lambdas/env';
import { Ingest } from '../../lib/ingest';
import { StoreTable } from '../../lib/store-table';
import { testApp } from '../support/cdk';

describe('Ingest', () => {
  const stack = new Stack(testApp(), 'S');
  new Ingest(stack, 'Ingest', { clusters: [{ name: 'prod' }], store: new StoreTable(stack, 'Store'), retentionDays: 30, logRetention: logs.RetentionDays.ONE_MONTH });
  const t = Template.fromStack(stack);

  test('a Function URL with AWS_IAM auth, and no public invoke permission', () => {
    t.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM', TargetFunctionArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IngestFunction'), 'Arn'] } });
    t.resourceCountIs('AWS::Lambda::Url', 1);
    expect(t.findResources('AWS::Lambda::Permission')).toEqual({});
  });

  test('the ingest handler with the table, retention and watched clusters in its environment, invoked synchronously only', () => {
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ [ENV.tableName]: { Ref: Match.stringLikeRegexp('^StoreTable') }, [ENV.retentionDays]: '30', [ENV.clusters]: '[{"name":"prod"}]' }),
      },
    });
    t.resourceCountIs('AWS::Lambda::EventInvokeConfig', 0);
  });
});

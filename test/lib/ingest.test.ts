import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { ENV } from '../../lambdas/env';
import { Ingest } from '../../lib/ingest';
import { StoreTable } from '../../lib/store-table';
import { testApp } from '../support/cdk';

describe('Ingest', () => {
  const stack = new Stack(testApp(), 'S');
  const ingest = new Ingest(stack, 'Ingest', {
    store: new StoreTable(stack, 'Store'),
    retentionDays: 30,
    logRetention: logs.RetentionDays.ONE_MONTH,
  });
  const prodAgent = new iam.Role(stack, 'ProdAgent', { assumedBy: new iam.ServicePrincipal('pods.eks.amazonaws.com') });
  ingest.acceptAgent('prod', prodAgent);
  ingest.acceptAgent('staging', iam.Role.fromRoleArn(stack, 'StagingAgent', 'arn:aws:iam::123456789012:role/vigil/staging-agent'));
  const t = Template.fromStack(stack);

  test('a Function URL with AWS_IAM auth, and no public invoke permission', () => {
    t.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'AWS_IAM',
      TargetFunctionArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IngestFunction'), 'Arn'] },
    });
    t.resourceCountIs('AWS::Lambda::Url', 1);
    expect(t.findResources('AWS::Lambda::Permission')).toEqual({});
  });

  test('the ingest handler with the table, retention and each agent role with its one cluster in its environment, invoked synchronously only', () => {
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          [ENV.tableName]: { Ref: Match.stringLikeRegexp('^StoreTable') },
          [ENV.retentionDays]: '30',
          [ENV.agentRoles]: {
            'Fn::Join': [
              '',
              [
                '[{"roleArn":"',
                { 'Fn::GetAtt': [Match.stringLikeRegexp('^ProdAgent'), 'Arn'] },
                '","cluster":"prod"},{"roleArn":"arn:aws:iam::123456789012:role/vigil/staging-agent","cluster":"staging"}]',
              ],
            ],
          },
        }),
      },
    });
    t.resourceCountIs('AWS::Lambda::EventInvokeConfig', 0);
  });
});

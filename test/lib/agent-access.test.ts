import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AGENT_SERVICE_ACCOUNT, AgentAccess, oidcProviderOf, type AgentAuth } from '../../lib/agent-access';
import { actionsOf, policyStatements, testApp } from '../support/cdk';

function build(auth: AgentAuth, cluster: { name: string; region?: string } = { name: 'prod' }, env?: { account: string; region: string }) {
  const stack = new Stack(testApp(), 'S', { env });
  const ingest = new lambda.Function(stack, 'Ingest', {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler=1'),
  });
  new AgentAccess(stack, 'Agent', { cluster, auth, ingest });
  return Template.fromStack(stack);
}

/** The agent role's permissions: exactly the two Function URL actions on the ingest function. */
function expectOnlyFunctionUrl(t: Template) {
  const statements = policyStatements(t).filter((s) => s.where.startsWith('AgentRoleDefaultPolicy'));
  expect(statements.map((s) => s.statement)).toEqual([
    {
      Action: 'lambda:InvokeFunctionUrl',
      Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
      Effect: 'Allow',
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^Ingest/), 'Arn'] },
    },
    {
      Action: 'lambda:InvokeFunction',
      Condition: { Bool: { 'lambda:InvokedViaFunctionUrl': true } },
      Effect: 'Allow',
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^Ingest/), 'Arn'] },
    },
  ]);
  t.resourceCountIs('AWS::IAM::Role', 2); // the agent's and the test function's
}

describe('AgentAccess with EKS Pod Identity', () => {
  const t = build({ kind: 'pod-identity' });

  test('trusts pods.eks.amazonaws.com (AssumeRole and TagSession) for the vigil/vigil-agent service account of this cluster only', () => {
    const trust = policyStatements(t).filter((s) => s.where.startsWith('AgentRole') && s.where.endsWith('trust'));
    expect(trust.map((s) => s.statement)).toEqual([
      {
        Action: ['sts:AssumeRole', 'sts:TagSession'],
        Effect: 'Allow',
        Principal: { Service: 'pods.eks.amazonaws.com' },
        Condition: {
          StringEquals: {
            'aws:RequestTag/eks-cluster-arn': {
              'Fn::Join': [
                '',
                ['arn:', { Ref: 'AWS::Partition' }, ':eks:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':cluster/prod'],
              ],
            },
            'aws:RequestTag/kubernetes-namespace': AGENT_SERVICE_ACCOUNT.namespace,
            'aws:RequestTag/kubernetes-service-account': AGENT_SERVICE_ACCOUNT.name,
          },
        },
      },
    ]);
  });

  test('creates the association for namespace vigil, service account vigil-agent', () => {
    t.hasResourceProperties('AWS::EKS::PodIdentityAssociation', {
      ClusterName: 'prod',
      Namespace: 'vigil',
      ServiceAccount: 'vigil-agent',
      RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AgentRole'), 'Arn'] },
    });
  });

  test('is allowed only to call the ingest Function URL', () => expectOnlyFunctionUrl(t));

  test('a cluster in a named region adds a deploy-time check that the stack is there too', () => {
    const tr = build({ kind: 'pod-identity' }, { name: 'prod', region: 'eu-west-1' });
    const rules = tr.toJSON().Rules as Record<string, { Assertions: { Assert: unknown; AssertDescription: string }[] }>;
    const check = Object.entries(rules).find(([id]) => id.startsWith('AgentSameRegion'));
    expect(check?.[1].Assertions).toEqual([
      {
        Assert: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'eu-west-1'] },
        AssertDescription: expect.stringContaining('use IRSA for this cluster'),
      },
    ]);
    const known = build({ kind: 'pod-identity' }, { name: 'prod', region: 'eu-west-1' }, { account: '123456789012', region: 'eu-west-1' });
    expect(Object.keys(known.toJSON().Rules ?? {}).filter((id) => id.startsWith('Agent'))).toEqual([]);
  });
});

describe('AgentAccess with IRSA', () => {
  const arn = 'arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC123';
  const t = build({ kind: 'irsa', oidcProvider: arn });

  test("trusts the cluster's OIDC provider for system:serviceaccount:vigil:vigil-agent with audience sts.amazonaws.com", () => {
    const trust = policyStatements(t).filter((s) => s.where.startsWith('AgentRole') && s.where.endsWith('trust'));
    expect(trust.map((s) => s.statement)).toEqual([
      {
        Action: 'sts:AssumeRoleWithWebIdentity',
        Effect: 'Allow',
        Principal: { Federated: arn },
        Condition: {
          StringEquals: {
            'oidc.eks.eu-west-1.amazonaws.com/id/ABC123:sub': 'system:serviceaccount:vigil:vigil-agent',
            'oidc.eks.eu-west-1.amazonaws.com/id/ABC123:aud': 'sts.amazonaws.com',
          },
        },
      },
    ]);
    t.resourceCountIs('AWS::EKS::PodIdentityAssociation', 0);
  });

  test('is allowed only to call the ingest Function URL', () => expectOnlyFunctionUrl(t));
});

describe('oidcProviderOf', () => {
  test('an ARN gives its issuer; an issuer URL gives the provider ARN in this account', () => {
    expect(oidcProviderOf('arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC')).toEqual({
      issuer: 'oidc.eks.eu-west-1.amazonaws.com/id/ABC',
      arn: 'arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC',
    });
    const fromUrl = oidcProviderOf('https://oidc.eks.eu-west-1.amazonaws.com/id/ABC/');
    expect(fromUrl.issuer).toBe('oidc.eks.eu-west-1.amazonaws.com/id/ABC');
    expect(fromUrl.arn).toMatch(/:oidc-provider\/oidc\.eks\.eu-west-1\.amazonaws\.com\/id\/ABC$/);
  });

  test('anything else is refused with both accepted forms named', () => {
    expect(() => oidcProviderOf('oidc.eks.eu-west-1.amazonaws.com/id/ABC')).toThrow(
      /neither an IAM OIDC provider ARN .* nor an issuer URL/,
    );
  });
});

test('no statement of the agent role has a wildcard action', () => {
  for (const auth of [
    { kind: 'pod-identity' } as const,
    { kind: 'irsa', oidcProvider: 'https://oidc.eks.eu-west-1.amazonaws.com/id/X' } as const,
  ]) {
    const actions = policyStatements(build(auth)).flatMap((s) => actionsOf(s.statement));
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
  }
});

import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { DEFAULT_HOST_METRICS } from '../../lambdas/collector/config';
import { ENV } from '../../lambdas/env';
import { REGIONS_WITHOUT_FUNCTION_URLS } from '../../lib/function-url-regions';
import { Vigil, VigilConfigError, vigilPropsProblems, type VigilProps } from '../../lib/vigil';
import { actionsOf, policyStatements, SAMPLE_VIGIL_PROPS, testApp, vigilTemplate } from '../support/cdk';

describe('Vigil props validation', () => {
  test('the sample is valid', () => {
    expect(vigilPropsProblems(SAMPLE_VIGIL_PROPS)).toEqual([]);
  });

  test('every problem is reported at once, each naming the prop', () => {
    const bad = {
      clusters: [
        { name: 'prod' },
        { name: '-bad name' },
        { name: 'prod', region: 'us-west-2' },
        { name: 'eu', region: 'Europe', agentAuth: { kind: 'irsa', oidcProvider: 'oidc.eks.x/id/1' } },
      ],
      alertEmails: [
        { address: 'not-an-email' },
        { address: 'a@example.com', receives: [] },
        { address: 'A@example.com', receives: ['page'] },
      ],
      slack: { secretName: 'has spaces', receives: ['critical'] },
      webhook: { secretName: 'hook', receives: ['page'] },
      retentionDays: 0,
      collectorEvery: Duration.seconds(30),
      evaluatorEvery: Duration.minutes(90),
      hostMetrics: { periodMinutes: 2, everyMinutes: 10, windowMinutes: 5, groups: ['cpu', 'gpu'] },
      agentSilence: Duration.minutes(1),
      rules: [] as unknown as Record<string, unknown>,
      memorySize: { evaluator: 100 },
      namePrefix: 'has space',
    } as unknown as VigilProps;
    expect(vigilPropsProblems(bad)).toEqual([
      'clusters[1].name must be an EKS cluster name (1-100 of A-Z a-z 0-9 - _, a letter or digit first), got "-bad name"',
      'clusters[2].name must be unique, in every region (the name keys the cluster\'s data): "prod" is listed twice',
      'clusters[3].region must be an AWS region like "eu-west-1", got "Europe"',
      expect.stringMatching(/^clusters\[3\]\.agentAuth\.oidcProvider: "oidc\.eks\.x\/id\/1" is neither an IAM OIDC provider ARN/),
      'alertEmails[0] "not-an-email" is not an email address',
      'alertEmails[1].receives is empty: list what to receive (critical, warning, info, resolved, health), or leave it out for the default',
      'alertEmails[2] "A@example.com" is listed twice',
      'alertEmails[2].receives: "page" is not one of critical, warning, info, resolved, health',
      'slack.secretName "has spaces" is not a Secrets Manager secret name',
      'webhook.receives: "page" is not one of critical, warning, info, resolved, health',
      'memorySize.evaluator must be whole MB from 128 to 10240, got 100',
      'retentionDays must be a whole number of days from 1 to 3650, got 0',
      'collectorEvery must be whole minutes from 1 to 60, got 30 seconds',
      'evaluatorEvery must be whole minutes from 1 to 60, got 1 hour 30 minutes',
      'hostMetrics.periodMinutes must be 1 or 5, got 2',
      'hostMetrics.groups: "gpu" not among cpu, status, network, ebs, memory, disk',
      'hostMetrics.windowMinutes (5) must be at least hostMetrics.everyMinutes (10), or the minutes between reads are never read',
      'agentSilence must be whole minutes from 2 to 1440, got 1 minute',
      'rules: must be an object of rule overrides keyed by rule id',
      'namePrefix "has space" may hold only letters, digits, - and _',
    ]);
  });

  test("rule overrides are checked against the evaluator's schema", () => {
    expect(vigilPropsProblems({ clusters: [{ name: 'p' }], rules: { 'node-not-ready': { for: '10m' } } })).toEqual([]);
    expect(vigilPropsProblems({ clusters: [{ name: 'p' }], rules: { 'node-notready': {} } })).toEqual([
      'rules: unknown rule "node-notready" (did you mean "node-not-ready"?)',
    ]);
  });

  test('at least one cluster; Pod Identity needs the cluster in the stack region when both are known', () => {
    expect(vigilPropsProblems({ clusters: [] })).toEqual([
      'clusters must list at least one cluster, like [{"name": "prod", "region": "eu-west-1"}]',
    ]);
    expect(vigilPropsProblems({ clusters: [{ name: 'x', region: 'us-west-2' }] }, 'eu-west-1')).toEqual([
      "clusters[0]: Pod Identity needs the cluster in the stack's region (eu-west-1), not us-west-2; use IRSA for this cluster",
    ]);
  });

  test('regions without Lambda function URLs are refused: at synth when the region is known, else by a CloudFormation rule', () => {
    expect(vigilPropsProblems({ clusters: [{ name: 'x' }] }, 'eu-central-2')).toEqual([
      "the stack's region eu-central-2 has no Lambda function URLs, which the agents push to: deploy Vigil in a nearby region that has them (the clusters may stay where they are; use IRSA for them)",
    ]);
    expect(vigilPropsProblems({ clusters: [{ name: 'x' }] }, 'eu-central-1')).toEqual([]);
    expect(
      () => new Vigil(new Stack(testApp(), 'Zurich', { env: { region: 'eu-central-2' } }), 'Vigil', { clusters: [{ name: 'x' }] }),
    ).toThrow(VigilConfigError);

    const rules = vigilTemplate().template.toJSON().Rules as Record<
      string,
      { Assertions: { Assert: unknown; AssertDescription: string }[] }
    >;
    const rule = Object.entries(rules).find(([id]) => id.includes('FunctionUrlRegion'))?.[1];
    expect(rule?.Assertions).toEqual([
      {
        Assert: { 'Fn::Not': [{ 'Fn::Contains': [[...REGIONS_WITHOUT_FUNCTION_URLS], { Ref: 'AWS::Region' }] }] },
        AssertDescription: expect.stringContaining('Vigil needs Lambda function URLs'),
      },
    ]);
  });

  test('the construct refuses bad props before building anything', () => {
    const stack = new Stack(testApp(), 'S');
    expect(() => new Vigil(stack, 'Vigil', { clusters: [] })).toThrow(VigilConfigError);
    expect(stack.node.findAll().filter((c) => c.node.id === 'Store')).toEqual([]);
  });
});

describe('Vigil', () => {
  const { template } = vigilTemplate();

  test('wires the five handlers: ingest, collector, AWS events, evaluator and Slack', () => {
    const fns = Object.values(template.findResources('AWS::Lambda::Function')) as { Properties: { Description: string } }[];
    expect(fns.map((f) => f.Properties.Description.split(':')[0]).sort()).toEqual([
      'Vigil AWS events',
      'Vigil Slack notifier',
      'Vigil collector',
      'Vigil evaluator',
      'Vigil ingest',
    ]);
  });

  test('defaults: 14 days of history, every minute, the collector host metric defaults, a 30-day log retention', () => {
    const { template: t } = vigilTemplate({ clusters: [{ name: 'prod' }] });
    const env = (
      Object.values(t.findResources('AWS::Lambda::Function')) as { Properties: { Environment: { Variables: Record<string, unknown> } } }[]
    ).map((f) => f.Properties.Environment.Variables);
    expect(env.filter((v) => ENV.tableName in v && !(ENV.topicArn in v)).every((v) => v[ENV.retentionDays] === '14')).toBe(true);
    const collector = env.find((v) => ENV.hostMetrics in v);
    expect(collector).toMatchObject({
      [ENV.hostMetricsPeriodMinutes]: String(DEFAULT_HOST_METRICS.periodMinutes),
      [ENV.hostMetricsEveryMinutes]: String(DEFAULT_HOST_METRICS.everyMinutes),
      [ENV.hostMetricsWindowMinutes]: String(DEFAULT_HOST_METRICS.windowMinutes),
      [ENV.hostMetrics]: JSON.stringify(DEFAULT_HOST_METRICS.groups),
    });
    expect(env.find((v) => ENV.rules in v)).toMatchObject({
      [ENV.rules]: '{}',
      [ENV.hostMetricsPeriodMinutes]: String(DEFAULT_HOST_METRICS.periodMinutes),
    });
    t.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    t.resourcePropertiesCountIs('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)' }, 2);
    t.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  test('no allowed statement anywhere has a wildcard action (but the key policy giving the account root its key)', () => {
    const wild = policyStatements(template).filter(
      (s) => s.statement.Effect === 'Allow' && actionsOf(s.statement).some((a) => a.includes('*')),
    );
    expect(wild.map((s) => [s.where.replace(/[0-9A-F]{8}$/, ''), s.statement.Action, s.statement.Principal])).toEqual([
      [
        'VigilNotificationsKey',
        'kms:*',
        { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']] } },
      ],
    ]);
  });

  test('every resource that takes tags is tagged Application=Vigil', () => {
    const tagged = Object.values(
      template.toJSON().Resources as Record<string, { Properties?: { Tags?: { Key: string; Value: string }[] } }>,
    ).filter((r) => Array.isArray(r.Properties?.Tags));
    expect(tagged.length).toBeGreaterThan(10);
    for (const r of tagged) expect(r.Properties?.Tags).toContainEqual({ Key: 'Application', Value: 'Vigil' });
  });

  test('names start with the prefix', () => {
    const stack = new Stack(testApp(), 'S');
    new Vigil(stack, 'Vigil', { clusters: [{ name: 'prod' }], namePrefix: 'acme-vigil-' });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: { 'Fn::Join': ['', ['acme-vigil-overview-', { Ref: 'AWS::Region' }]] },
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'acme-vigil-agent-silence-prod' });
  });
});

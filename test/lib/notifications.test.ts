import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { ENV } from '../../lambdas/env';
import { MESSAGE_ATTRIBUTES } from '../../model/notification';
import { Notifications, type NotificationsProps } from '../../lib/notifications';
import { actionsOf, policyStatements, testApp } from '../support/cdk';

function build(props: Partial<NotificationsProps> = {}) {
  const stack = new Stack(testApp(), 'S');
  new Notifications(stack, 'N', {
    emails: [],
    failures: new sqs.Queue(stack, 'Failures'),
    logRetention: logs.RetentionDays.ONE_MONTH,
    alarmNamePrefix: 'Vigil-',
    ...props,
  });
  return Template.fromStack(stack);
}

type Sub = { Properties: { Protocol: string; Endpoint: unknown; TopicArn: { Ref: string }; FilterPolicy?: unknown } };
const subscriptions = (t: Template) => Object.values(t.findResources('AWS::SNS::Subscription')) as Sub[];
const topicOf = (s: Sub) =>
  s.Properties.TopicArn.Ref.startsWith('NAlerts') ? 'alerts' : s.Properties.TopicArn.Ref.startsWith('NHealth') ? 'health' : '?';

describe('Notifications', () => {
  const t = build({
    emails: [
      { address: 'ops@example.com' },
      { address: 'oncall@example.com', receives: ['critical', 'resolved'] },
      { address: 'all@example.com', receives: ['critical', 'warning', 'info', 'resolved'] },
    ],
    slack: { secretName: 'vigil/slack-webhook' },
  });

  test('two topics, encrypted with a rotated customer managed key, TLS enforced', () => {
    t.resourceCountIs('AWS::SNS::Topic', 2);
    t.allResourcesProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^NKey'), 'Arn'] } });
    t.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    const tls = policyStatements(t).filter(
      (s) => s.statement.Effect === 'Deny' && s.statement.Condition?.Bool?.['aws:SecureTransport'] === 'false',
    );
    expect(tls.map((s) => s.where).sort()).toEqual([expect.stringMatching(/^NAlertsPolicy/), expect.stringMatching(/^NHealthPolicy/)]);
  });

  test('email subscriptions filter by severity; the default is critical, warning and resolved, plus health', () => {
    const email = subscriptions(t)
      .filter((s) => s.Properties.Protocol === 'email')
      .map((s) => ({ to: s.Properties.Endpoint, topic: topicOf(s), filter: s.Properties.FilterPolicy }));
    expect(email).toEqual(
      expect.arrayContaining([
        {
          to: 'ops@example.com',
          topic: 'alerts',
          filter: { [MESSAGE_ATTRIBUTES.severities]: ['critical', 'warning', 'critical-resolved', 'warning-resolved'] },
        },
        { to: 'ops@example.com', topic: 'health', filter: undefined },
        { to: 'oncall@example.com', topic: 'alerts', filter: { [MESSAGE_ATTRIBUTES.severities]: ['critical', 'critical-resolved'] } },
        // Every severity: no filter at all.
        { to: 'all@example.com', topic: 'alerts', filter: undefined },
      ]),
    );
    expect(email).toHaveLength(4);
  });

  test('the Slack function reads its webhook secret and receives everything by default', () => {
    const slack = subscriptions(t).filter((s) => s.Properties.Protocol === 'lambda');
    expect(slack.map((s) => [topicOf(s), s.Properties.FilterPolicy]).sort()).toEqual([
      ['alerts', undefined],
      ['health', undefined],
    ]);
    t.hasResourceProperties('AWS::Lambda::Function', {
      // By name: a partial ARN of a name ending in -xxxxxx would be taken as a complete ARN.
      Environment: { Variables: Match.objectLike({ [ENV.slackSecretName]: 'vigil/slack-webhook' }) },
    });
    const secret = policyStatements(t).filter((s) => actionsOf(s.statement).includes('secretsmanager:GetSecretValue'));
    expect(secret).toHaveLength(1);
    expect(JSON.stringify(secret[0].statement.Resource)).toContain(':secret:vigil/slack-webhook-??????');
    t.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Failures'), 'Arn'] } } },
    });
  });

  test("CloudWatch may publish to the health topic and use the key, for this stack's alarms only", () => {
    const cw = policyStatements(t).filter((s) => JSON.stringify(s.statement.Principal ?? '').includes('cloudwatch.amazonaws.com'));
    expect(cw.map((s) => [s.where.replace(/[0-9A-F]{8}$/, ''), actionsOf(s.statement)]).sort()).toEqual([
      ['NHealthPolicy', ['sns:Publish']],
      ['NKey', ['kms:Decrypt', 'kms:GenerateDataKey']],
    ]);
    for (const s of cw) {
      expect(s.statement.Condition?.StringEquals).toEqual({ 'aws:SourceAccount': { Ref: 'AWS::AccountId' } });
      expect(JSON.stringify(s.statement.Condition?.ArnLike)).toContain(':alarm:Vigil-*');
    }
    expect(policyStatements(t).some((s) => s.where.startsWith('NAlertsPolicy') && s.statement.Effect === 'Allow')).toBe(false);
  });

  test('the generic webhook: its own function reading only its own secret, subscribed as routed, failures queued', () => {
    const t3 = build({
      slack: { secretName: 'vigil/slack-webhook' },
      webhook: { secretName: 'team/alertmanager-webhook', receives: ['critical', 'resolved'] },
    });
    const fns = t3.findResources('AWS::Lambda::Function');
    const webhook = Object.entries(fns).filter(([, f]) => JSON.stringify(f).includes(ENV.webhookSecretName));
    expect(webhook).toHaveLength(1);
    expect(webhook[0][1].Properties.Environment.Variables).toMatchObject({ [ENV.webhookSecretName]: 'team/alertmanager-webhook' });
    expect(JSON.stringify(webhook[0][1].Properties.Environment.Variables)).not.toContain('slack');
    // Each receiver's role reads its own secret only.
    const reads = policyStatements(t3).filter((s) => actionsOf(s.statement).includes('secretsmanager:GetSecretValue'));
    expect(
      reads
        .map((s) => [
          s.where.replace(/[0-9A-F]{8}$/, ''),
          JSON.stringify(s.statement.Resource).match(/:secret:([^"-]+(?:-[a-z]+)*)-\?/)?.[1],
        ])
        .sort(),
    ).toEqual([
      ['NSlackRoleDefaultPolicy', 'vigil/slack-webhook'],
      ['NWebhookRoleDefaultPolicy', 'team/alertmanager-webhook'],
    ]);
    const hook = subscriptions(t3).filter(
      (s) => s.Properties.Protocol === 'lambda' && JSON.stringify(s.Properties.Endpoint).includes('NWebhook'),
    );
    expect(hook.map((s) => [topicOf(s), s.Properties.FilterPolicy])).toEqual([
      ['alerts', { [MESSAGE_ATTRIBUTES.severities]: ['critical', 'critical-resolved'] }],
    ]);
    t3.resourcePropertiesCountIs(
      'AWS::Lambda::EventInvokeConfig',
      { DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Failures'), 'Arn'] } } } },
      2,
    );
  });

  test('PagerDuty and Teams: each its own function reading only its own secret; PagerDuty by default gets critical, resolved and health; a storm has minutes', () => {
    const t4 = build({ pagerDuty: { secretName: 'team/pagerduty' }, teams: { secretName: 'team/teams-workflow' } });
    const reads = policyStatements(t4).filter((s) => actionsOf(s.statement).includes('secretsmanager:GetSecretValue'));
    expect(
      reads
        .map((s) => [
          s.where.replace(/[0-9A-F]{8}$/, ''),
          JSON.stringify(s.statement.Resource).match(/:secret:([^"-]+(?:-[a-z]+)*)-\?/)?.[1],
        ])
        .sort(),
    ).toEqual([
      ['NPagerDutyRoleDefaultPolicy', 'team/pagerduty'],
      ['NTeamsRoleDefaultPolicy', 'team/teams-workflow'],
    ]);
    const fns = Object.values(t4.findResources('AWS::Lambda::Function')) as {
      Properties: { Environment: { Variables: Record<string, string> }; Timeout: number };
    }[];
    const pd = fns.find((f) => f.Properties.Environment.Variables[ENV.pagerDutySecretName]);
    // The function is told what it receives: a message passing the filter may carry warnings too.
    expect(pd?.Properties.Environment.Variables).toMatchObject({
      [ENV.pagerDutySecretName]: 'team/pagerduty',
      [ENV.receives]: '["critical","resolved","health"]',
    });
    expect(pd?.Properties.Timeout).toBe(300);
    const subs = (id: string) =>
      subscriptions(t4)
        .filter((s) => s.Properties.Protocol === 'lambda' && JSON.stringify(s.Properties.Endpoint).includes(id))
        .map((s) => [topicOf(s), s.Properties.FilterPolicy]);
    expect(subs('NPagerDuty')).toEqual([
      ['alerts', { [MESSAGE_ATTRIBUTES.severities]: ['critical', 'critical-resolved'] }],
      ['health', undefined],
    ]);
    expect(subs('NTeams')).toEqual([
      ['alerts', undefined],
      ['health', undefined],
    ]);
    t4.resourcePropertiesCountIs(
      'AWS::Lambda::EventInvokeConfig',
      { DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Failures'), 'Arn'] } } } },
      2,
    );
    // Asked for more, it is told so.
    build({ pagerDuty: { secretName: 'team/pagerduty', receives: ['critical', 'warning', 'resolved'] } }).hasResourceProperties(
      'AWS::Lambda::Function',
      {
        Environment: { Variables: Match.objectLike({ [ENV.receives]: '["critical","warning","resolved"]' }) },
      },
    );
    // Every receiver is told what it receives when that is not everything; receiving everything, nothing is filtered.
    const teams = fns.find((f) => f.Properties.Environment.Variables[ENV.teamsSecretName]);
    expect(teams?.Properties.Environment.Variables).toHaveProperty(ENV.teamsSecretName);
    expect(teams?.Properties.Environment.Variables).not.toHaveProperty(ENV.receives);
    build({ webhook: { secretName: 'team/pager-bridge', receives: ['critical', 'resolved'] } }).hasResourceProperties(
      'AWS::Lambda::Function',
      {
        Environment: {
          Variables: Match.objectLike({ [ENV.webhookSecretName]: 'team/pager-bridge', [ENV.receives]: '["critical","resolved"]' }),
        },
      },
    );
  });

  test('no Slack, no Slack function; an address that wants only health is not subscribed to alerts', () => {
    const t2 = build({ emails: [{ address: 'robot@example.com', receives: ['health'] }] });
    t2.resourceCountIs('AWS::Lambda::Function', 0);
    expect(subscriptions(t2).map(topicOf)).toEqual(['health']);
  });
});

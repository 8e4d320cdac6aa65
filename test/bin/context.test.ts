import * as fs from 'fs';
import * as path from 'path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { ContextError, CONTEXT_KEYS, readVigilContext } from '../../bin/context';
import { cdkJsonContext } from '../../bin/cdk-json';

/** The problems `readVigilContext` reports for this context. */
function problems(context: Record<string, unknown>): readonly string[] {
  try {
    readVigilContext(context);
  } catch (e) {
    if (e instanceof ContextError) return e.problems;
    throw e;
  }
  return [];
}

const prod = { 'vigil:clusters': [{ name: 'prod' }] };

describe('readVigilContext', () => {
  test("cdk.json's sample is valid", () => {
    const { stackName, vigil } = readVigilContext(cdkJsonContext());
    expect(stackName).toBe('Vigil');
    expect(vigil.clusters).toEqual([{ name: 'my-cluster', agentAuth: { kind: 'pod-identity' } }]);
    // A fresh account has no Slack secret: the sample names none, so a first deploy has no Slack path to break.
    expect(vigil.slack).toBeUndefined();
    expect(readVigilContext(cdkJsonContext()).agentArchitecture).toBe('amd64');
  });

  test("reads the agent image's architecture, and refuses one the image cannot be built for", () => {
    expect(readVigilContext({ ...prod, 'vigil:agentArchitecture': 'arm64' }).agentArchitecture).toBe('arm64');
    expect(problems({ ...prod, 'vigil:agentArchitecture': 'x86_64' })).toEqual(['vigil:agentArchitecture must be "amd64" or "arm64"']);
  });

  test("docs/deploy.md's full example is valid and reads into the props it describes", () => {
    const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'deploy.md'), 'utf8');
    const example = /```json\n([\s\S]*?)\n```/.exec(doc)?.[1];
    const { stackName, agentImage, agentArchitecture, vigil } = readVigilContext(JSON.parse(example ?? '{}') as Record<string, unknown>);
    expect(stackName).toBe('Vigil');
    // The stack builds the image: the example does not replace it.
    expect(agentImage).toBeUndefined();
    expect(agentArchitecture).toBe('amd64');
    expect(vigil.clusters).toEqual([
      { name: 'prod', region: 'eu-west-1', agentAuth: { kind: 'pod-identity' } },
      {
        name: 'staging',
        region: 'us-west-2',
        agentAuth: { kind: 'irsa', oidcProvider: 'https://oidc.eks.us-west-2.amazonaws.com/id/5C0FFEE5C0FFEE5C0FFEE5C0FFEE5C0F' },
      },
    ]);
    expect(vigil.alertEmails).toEqual([
      { address: 'ops@example.com' },
      { address: 'oncall@example.com', receives: ['critical', 'resolved', 'health'] },
    ]);
    expect(vigil.slack).toEqual({ secretName: 'vigil/slack-webhook', receives: ['critical', 'warning', 'info', 'resolved', 'health'] });
    expect(vigil.collectorEvery?.toMinutes()).toBe(1);
    expect(vigil.hostMetrics).toEqual({
      periodMinutes: 5,
      everyMinutes: 5,
      windowMinutes: 15,
      groups: ['cpu', 'status', 'memory', 'disk'],
    });
    expect(vigil.rules).toEqual({
      'node-not-ready': { for: '10m' },
      'container-restarts': { restarts: 5, runbookUrl: 'https://wiki.example.com/oncall/oom' },
    });
    expect(vigil.runbookBaseUrl).toBe('https://wiki.example.com/vigil/');
    expect(vigil.maintenanceWindows).toEqual([
      { name: 'patching', days: ['Sat'], start: '22:00', end: '02:00', timeZone: 'Europe/Paris', match: { cluster: 'staging' } },
    ]);
    expect(vigil.agentSilence?.toMinutes()).toBe(5);
    expect(vigil.memorySize).toEqual({ ingest: 512, collector: 512, evaluator: 1024 });
    expect(vigil.table).toEqual({ deletionProtection: true, pointInTimeRecovery: true, removalPolicy: RemovalPolicy.RETAIN });
    expect(vigil.receivers).toEqual({ 'data-team': { emails: ['data-oncall@example.com'], receives: ['critical', 'resolved'] } });
    expect(vigil.routes?.routes.map((r) => r.receivers)).toEqual([['webhook'], ['data-team'], ['slack']]);
    expect(vigil.routeLabels).toEqual(['team']);
    // Every key is in the example, but the one that turns the built image off (it is in the table).
    expect(Object.keys(JSON.parse(example ?? '{}')).sort()).toEqual(
      Object.values(CONTEXT_KEYS)
        .filter((k) => k !== CONTEXT_KEYS.agentImage)
        .sort(),
    );
    expect(doc).toContain(`| \`${CONTEXT_KEYS.agentImage}\` |`);
  });

  test("the README's deploy section shows the same full example", () => {
    const read = (...p: string[]) => fs.readFileSync(path.join(__dirname, '..', '..', ...p), 'utf8');
    const firstJson = (text: string) => /```json\n([\s\S]*?)\n```/.exec(text)?.[1];
    const readme = read('README.md');
    expect(firstJson(readme.slice(readme.indexOf('## Deploy to AWS')))).toBe(firstJson(read('docs', 'deploy.md')));
  });

  test('values given with -c key=value arrive as text: JSON is parsed, strings stay strings', () => {
    const { vigil } = readVigilContext({
      'vigil:clusters': '[{"name":"prod","agentAuth":"irsa","oidcProvider":"https://oidc.eks.eu-west-1.amazonaws.com/id/AB"}]',
      'vigil:retentionDays': '30',
      'vigil:schedule': '{"evaluatorMinutes":2}',
      'vigil:slackSecretName': 'team/slack',
    });
    expect(vigil.retentionDays).toBe(30);
    expect(vigil.evaluatorEvery).toEqual(Duration.minutes(2));
    expect(vigil.clusters[0].agentAuth).toEqual({ kind: 'irsa', oidcProvider: 'https://oidc.eks.eu-west-1.amazonaws.com/id/AB' });
    expect(vigil.slack?.secretName).toBe('team/slack');
  });

  test('the generic webhook: its secret by name, routed like Slack', () => {
    const { vigil } = readVigilContext({
      'vigil:clusters': [{ name: 'prod' }],
      'vigil:webhookSecretName': 'team/alertmanager-webhook',
      'vigil:severityRouting': { webhook: ['critical', 'resolved'] },
    });
    expect(vigil.webhook).toEqual({ secretName: 'team/alertmanager-webhook', receives: ['critical', 'resolved'] });
    expect(vigil.slack).toBeUndefined();
  });

  test('PagerDuty and Teams: their secrets by name, routed like Slack; PagerDuty without a route gets its default (critical, resolved, health) in the stack', () => {
    const { vigil } = readVigilContext({
      'vigil:clusters': [{ name: 'prod' }],
      'vigil:pagerDutySecretName': 'team/pagerduty-routing-key',
      'vigil:teamsSecretName': 'team/teams-workflow',
      'vigil:severityRouting': { teams: ['critical', 'warning', 'resolved'] },
    });
    expect(vigil.pagerDuty).toEqual({ secretName: 'team/pagerduty-routing-key', receives: undefined });
    expect(vigil.teams).toEqual({ secretName: 'team/teams-workflow', receives: ['critical', 'warning', 'resolved'] });
    expect(
      problems({ 'vigil:clusters': [{ name: 'prod' }], 'vigil:severityRouting': { pagerduty: ['critical'], teams: ['info'] } }),
    ).toEqual([
      "vigil:severityRouting.pagerduty is set but vigil:pagerDutySecretName is not: PagerDuty needs its routing key's secret",
      "vigil:severityRouting.teams is set but vigil:teamsSecretName is not: Teams needs its Workflows webhook URL's secret",
    ]);
    expect(problems({ 'vigil:clusters': [{ name: 'prod' }], 'vigil:pagerDutySecretName': 'a b' })).toEqual([
      'vigil:pagerDutySecretName must be a Secrets Manager secret name',
    ]);
  });

  test("a named receiver's deliveries are checked where they are written", () => {
    const found = problems({
      'vigil:clusters': [{ name: 'prod' }],
      'vigil:receivers': { 'data-team': { emails: ['data@example.com'], receives: ['critical', 'pages'] } },
    });
    expect(found).toEqual([expect.stringMatching(/^vigil:receivers\.data-team\.receives\[1\] must be one of "critical", .*"health"$/)]);
  });

  test('the default agent auth applies to clusters that do not say, and IRSA then needs each oidcProvider', () => {
    expect(problems({ 'vigil:clusters': [{ name: 'prod' }], 'vigil:agentAuth': 'irsa' })).toEqual([
      "vigil:clusters[0].oidcProvider is required with IRSA: the cluster's IAM OIDC provider ARN or issuer URL (aws eks describe-cluster --name prod --query cluster.identity.oidc.issuer)",
    ]);
  });

  test('the table may be destroyed with the stack only without deletion protection', () => {
    const { vigil } = readVigilContext({ ...prod, 'vigil:table': { deletionProtection: false, removalPolicy: 'destroy' } });
    expect(vigil.table).toEqual({ deletionProtection: false, pointInTimeRecovery: undefined, removalPolicy: RemovalPolicy.DESTROY });
  });

  // Each bad input and the message that names the key and what is expected (docs/deploy.md shows these).
  test.each<[string, Record<string, unknown>, string]>([
    ['no clusters', {}, 'vigil:clusters is required: the EKS clusters to watch, like [{"name": "prod", "region": "eu-west-1"}]'],
    ['clusters not JSON', { 'vigil:clusters': 'prod' }, 'vigil:clusters is not valid JSON: "prod"'],
    ['clusters not a list', { 'vigil:clusters': { name: 'prod' } }, 'vigil:clusters must be a list of clusters like [{"name": "prod"}]'],
    [
      'no cluster in the list',
      { 'vigil:clusters': [] },
      'vigil:clusters must list at least one cluster, like [{"name": "prod", "region": "eu-west-1"}]',
    ],
    ['a cluster that is not an object', { 'vigil:clusters': ['prod'] }, 'vigil:clusters[0] must be an object like {"name": "prod"}'],
    [
      'a bad cluster name',
      { 'vigil:clusters': [{ name: 'my cluster' }] },
      'vigil:clusters[0].name must be an EKS cluster name (1-100 of A-Z a-z 0-9 - _, a letter or digit first), got "my cluster"',
    ],
    [
      'a bad region',
      { 'vigil:clusters': [{ name: 'prod', region: 'Ireland' }] },
      'vigil:clusters[0].region must be an AWS region like "eu-west-1", got "Ireland"',
    ],
    [
      'an unknown cluster field',
      { 'vigil:clusters': [{ name: 'prod', nodes: 3 }] },
      'vigil:clusters[0] unknown field(s) "nodes": expected name, region, agentAuth, oidcProvider',
    ],
    [
      'a cluster twice, even in two regions',
      { 'vigil:clusters': [{ name: 'prod' }, { name: 'prod', region: 'us-east-1' }] },
      'vigil:clusters[1].name must be unique, in every region (the name keys the cluster\'s data): "prod" is listed twice',
    ],
    ['a bad agent auth', { ...prod, 'vigil:agentAuth': 'iam' }, 'vigil:agentAuth must be "pod-identity" or "irsa"'],
    [
      'a bad agent image',
      { ...prod, 'vigil:agentImage': 'my image' },
      'vigil:agentImage must be an image reference like 123456789012.dkr.ecr.eu-west-1.amazonaws.com/vigil-agent:0.1.0',
    ],
    [
      'a bad cluster agent auth',
      { 'vigil:clusters': [{ name: 'prod', agentAuth: 'keys' }] },
      'vigil:clusters[0].agentAuth must be "pod-identity" or "irsa"',
    ],
    [
      'a bad OIDC provider',
      { 'vigil:clusters': [{ name: 'prod', agentAuth: 'irsa', oidcProvider: 'oidc.eks.eu-west-1.amazonaws.com/id/AB' }] },
      'vigil:clusters[0].oidcProvider: "oidc.eks.eu-west-1.amazonaws.com/id/AB" is neither an IAM OIDC provider ARN (arn:aws:iam::<account>:oidc-provider/oidc.eks.<region>.amazonaws.com/id/<id>) nor an issuer URL (https://oidc.eks.<region>.amazonaws.com/id/<id>)',
    ],
    [
      'an OIDC provider with Pod Identity',
      { 'vigil:clusters': [{ name: 'prod', oidcProvider: 'https://x' }] },
      'vigil:clusters[0].oidcProvider is only used with "agentAuth": "irsa"; this cluster uses Pod Identity',
    ],
    ['a bad email', { ...prod, 'vigil:alertEmails': ['ops'] }, 'vigil:alertEmails[0] must be an email address'],
    ['emails not a list', { ...prod, 'vigil:alertEmails': 'ops@example.com' }, 'vigil:alertEmails is not valid JSON: "ops@example.com"'],
    [
      'an email twice',
      { ...prod, 'vigil:alertEmails': ['ops@example.com', 'OPS@example.com'] },
      'vigil:alertEmails[1] "OPS@example.com" is listed twice',
    ],
    [
      'routing an unknown address',
      { ...prod, 'vigil:alertEmails': ['ops@example.com'], 'vigil:severityRouting': { 'oncal@example.com': ['critical'] } },
      'vigil:severityRouting has "oncal@example.com", which is neither "slack", "webhook", "pagerduty", "teams" nor an address of vigil:alertEmails',
    ],
    [
      'routing an unknown severity',
      { ...prod, 'vigil:alertEmails': ['ops@example.com'], 'vigil:severityRouting': { 'ops@example.com': ['page'] } },
      'vigil:severityRouting.ops@example.com[0] must be one of "critical", "warning", "info", "resolved", "health"',
    ],
    [
      'routing nothing',
      { ...prod, 'vigil:alertEmails': ['ops@example.com'], 'vigil:severityRouting': { 'ops@example.com': [] } },
      'vigil:severityRouting.ops@example.com must not be empty',
    ],
    [
      'routing Slack without its secret',
      { ...prod, 'vigil:severityRouting': { slack: ['critical'] } },
      "vigil:severityRouting.slack is set but vigil:slackSecretName is not: Slack needs the webhook's secret",
    ],
    ['a bad secret name', { ...prod, 'vigil:slackSecretName': 'my secret' }, 'vigil:slackSecretName must be a Secrets Manager secret name'],
    [
      'routing the webhook without its secret',
      { ...prod, 'vigil:severityRouting': { webhook: ['critical'] } },
      "vigil:severityRouting.webhook is set but vigil:webhookSecretName is not: the webhook needs its URL's secret",
    ],
    [
      'a bad webhook secret name',
      { ...prod, 'vigil:webhookSecretName': 'my secret' },
      'vigil:webhookSecretName must be a Secrets Manager secret name',
    ],
    ['retention of zero', { ...prod, 'vigil:retentionDays': 0 }, 'vigil:retentionDays must be at least 1'],
    ['retention not whole', { ...prod, 'vigil:retentionDays': 1.5 }, 'vigil:retentionDays must be a whole number from 1 to 3650'],
    ['retention as a word', { ...prod, 'vigil:retentionDays': 'two weeks' }, 'vigil:retentionDays is not valid JSON: "two weeks"'],
    [
      'a schedule over an hour',
      { ...prod, 'vigil:schedule': { collectorMinutes: 90 } },
      'vigil:schedule.collectorMinutes must be at most 60',
    ],
    [
      'an unknown schedule field',
      { ...prod, 'vigil:schedule': { every: 1 } },
      'vigil:schedule unknown field(s) "every": expected collectorMinutes, evaluatorMinutes',
    ],
    [
      'a host metrics period of 2',
      { ...prod, 'vigil:hostMetrics': { periodMinutes: 2 } },
      'vigil:hostMetrics.periodMinutes must be 1 (EC2 detailed monitoring) or 5 (basic monitoring)',
    ],
    [
      'an unknown host metric group',
      { ...prod, 'vigil:hostMetrics': { groups: ['gpu'] } },
      'vigil:hostMetrics.groups[0] must be one of cpu, status, network, ebs, memory, disk',
    ],
    [
      'a window shorter than the interval',
      { ...prod, 'vigil:hostMetrics': { everyMinutes: 10, windowMinutes: 5 } },
      'vigil:hostMetrics.windowMinutes (5) must be at least vigil:hostMetrics.everyMinutes (10), or the minutes between reads are never read',
    ],
    ['rules not an object', { ...prod, 'vigil:rules': [] }, 'vigil:rules must be an object of rule overrides keyed by rule id'],
    [
      'an unknown rule',
      { ...prod, 'vigil:rules': { 'node-notready': {} } },
      'vigil:rules: unknown rule "node-notready" (did you mean "node-not-ready"?)',
    ],
    [
      'a bad rule setting',
      { ...prod, 'vigil:rules': { 'node-not-ready': { for: 'soon' } } },
      'vigil:rules.node-not-ready.for: expected a duration like "90s", "15m", "1h30m" or "0", got "soon"',
    ],
    [
      'maintenance windows not a list',
      { ...prod, 'vigil:maintenanceWindows': { name: 'patching' } },
      'vigil:maintenanceWindows must be a list of maintenance windows like [{"name": "patching", "days": ["Sat"], "start": "02:00", "end": "04:00", "timeZone": "Europe/Paris"}]',
    ],
    [
      'a maintenance window in an unknown time zone',
      { ...prod, 'vigil:maintenanceWindows': [{ name: 'patching', days: ['Sat'], start: '02:00', end: '04:00', timeZone: 'Paris' }] },
      'vigil:maintenanceWindows[0].timeZone must be an IANA time zone like "Europe/Paris" or "UTC"',
    ],
    [
      'a maintenance window matching an unknown label',
      {
        ...prod,
        'vigil:maintenanceWindows': [
          { name: 'patching', days: ['Sat'], start: '02:00', end: '04:00', timeZone: 'UTC', match: { team: 'shop' } },
        ],
      },
      'vigil:maintenanceWindows[0].match unknown label(s) "team": expected cluster, rule, severity, nodeGroup, node, namespace, workload, container',
    ],
    [
      'a runbook base URL that is not https',
      { ...prod, 'vigil:runbookBaseUrl': 'http://wiki/vigil/' },
      'vigil:runbookBaseUrl must be an https URL like "https://wiki.example.com/vigil/" (no spaces, <, > or |)',
    ],
    [
      'a rule runbook URL with a space',
      { ...prod, 'vigil:rules': { 'node-not-ready': { runbookUrl: 'https://wiki/node not ready' } } },
      'vigil:rules.node-not-ready.runbookUrl: expected an https URL (no spaces, <, > or |)',
    ],
    ['agent silence of a minute', { ...prod, 'vigil:agentSilenceMinutes': 1 }, 'vigil:agentSilenceMinutes must be at least 2'],
    [
      'a log retention CloudWatch does not offer',
      { ...prod, 'vigil:logRetentionDays': 10 },
      expect.stringMatching(
        /^vigil:logRetentionDays must be one of the CloudWatch Logs retentions: 1, 3, 5, 7, 14, 30/,
      ) as unknown as string,
    ],
    [
      'a destroyed table under deletion protection',
      { ...prod, 'vigil:table': { removalPolicy: 'destroy' } },
      'vigil:table: "removalPolicy": "destroy" needs "deletionProtection": false, or the stack cannot be deleted',
    ],
    ['too little memory', { ...prod, 'vigil:memoryMb': { evaluator: 64 } }, 'vigil:memoryMb.evaluator must be at least 128'],
    [
      'memory of an unknown function',
      { ...prod, 'vigil:memoryMb': { agent: 256 } },
      'vigil:memoryMb unknown field(s) "agent": expected ingest, collector, evaluator',
    ],
    [
      'an unknown table field',
      { ...prod, 'vigil:table': { billing: 'provisioned' } },
      'vigil:table unknown field(s) "billing": expected deletionProtection, pointInTimeRecovery, removalPolicy',
    ],
    [
      'a bad stack name',
      { ...prod, 'vigil:stackName': 'my_stack' },
      'vigil:stackName must be a CloudFormation stack name: a letter, then letters, digits and -, at most 100',
    ],
    [
      'a misspelt key',
      { ...prod, 'vigil:cluster': [{ name: 'prod' }] },
      expect.stringMatching(
        /^vigil:cluster is not a Vigil context key; the keys are vigil:stackName, vigil:clusters, /,
      ) as unknown as string,
    ],
  ])('%s', (_name, context, message) => {
    expect(problems(context)).toEqual([message]);
  });

  test('every problem is reported at once, in one error that says where to fix it', () => {
    let error: unknown;
    try {
      readVigilContext({ 'vigil:retentionDays': 0, 'vigil:alertEmails': ['x'], 'vigil:agentAuth': 'iam' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ContextError);
    expect((error as ContextError).problems).toHaveLength(4);
    expect((error as ContextError).message).toMatch(
      /^Vigil cannot synthesize: fix these context values \(cdk\.json "context", or -c key=value\):\n {2}- /,
    );
  });
});

/** CDK test helpers: apps with cdk.json's feature flags, and templates with asset hashes scrubbed. */
import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { cdkJsonContext } from '../../bin/cdk-json';
import type { VigilProps } from '../../lib/vigil';
import { VigilStack, type VigilStackProps } from '../../lib/vigil-stack';

export interface TestAppOptions {
  /** Bundle the Lambdas with esbuild for real (slow: about a second each). @default false */
  readonly bundle?: boolean;
  /** Context on top of cdk.json's. */
  readonly context?: Record<string, unknown>;
  /** Leave out cdk.json's `vigil:*` sample keys. @default false */
  readonly withoutSample?: boolean;
}

/**
 * An app with the same feature flags as `cdk synth` (jest's `new App()` does not read cdk.json). Bundling is
 * skipped unless asked (`aws:cdk:bundling-stacks: []`, the mechanism of `cdk synth --exclusively`).
 */
export function testApp(opts: TestAppOptions = {}): App {
  const base = Object.fromEntries(Object.entries(cdkJsonContext()).filter(([k]) => !(opts.withoutSample && k.startsWith('vigil:'))));
  return new App({ context: { ...base, ...(opts.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }), ...opts.context } });
}

/** The template as JSON with asset hashes replaced, so a snapshot changes only when the stack does. */
export function scrubbedTemplate(stack: Stack): unknown {
  const json = JSON.stringify(Template.fromStack(stack).toJSON());
  return JSON.parse(json.replace(/[0-9a-f]{64}(\.zip)?/g, (_m, zip: string | undefined) => `[ASSET HASH]${zip ?? ''}`));
}

/** A Vigil configuration exercising both agent auth modes, email routing and Slack. */
export const SAMPLE_VIGIL_PROPS: VigilProps = {
  clusters: [
    { name: 'prod', agentAuth: { kind: 'pod-identity' } },
    {
      name: 'staging',
      region: 'us-west-2',
      agentAuth: { kind: 'irsa', oidcProvider: 'arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/5C0FFEE' },
    },
  ],
  alertEmails: [{ address: 'ops@example.com' }, { address: 'oncall@example.com', receives: ['critical', 'resolved'] }],
  slack: { secretName: 'vigil/slack-webhook', receives: ['critical', 'warning', 'resolved', 'health'] },
};

/** A `VigilStack` named `Test` in a test app (bundling skipped), and its template. */
export function vigilTemplate(
  props: VigilProps = SAMPLE_VIGIL_PROPS,
  app: App = testApp(),
  stackProps: Omit<VigilStackProps, 'vigil'> = {},
): { stack: VigilStack; template: Template } {
  const stack = new VigilStack(app, 'Test', { vigil: props, ...stackProps });
  return { stack, template: Template.fromStack(stack) };
}

export interface PolicyStatementJson {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | string[];
  readonly Resource?: unknown;
  readonly Principal?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** Every policy statement of the template, identity and resource policies alike, with where it is. */
export function policyStatements(template: Template): { readonly where: string; readonly statement: PolicyStatementJson }[] {
  const out: { where: string; statement: PolicyStatementJson }[] = [];
  const add = (where: string, doc: unknown) => {
    for (const statement of (doc as { Statement?: PolicyStatementJson[] } | undefined)?.Statement ?? []) out.push({ where, statement });
  };
  for (const [id, r] of Object.entries(
    template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>,
  )) {
    const p = r.Properties;
    if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::SNS::TopicPolicy' || r.Type === 'AWS::SQS::QueuePolicy')
      add(id, p.PolicyDocument);
    if (r.Type === 'AWS::IAM::Role') {
      add(`${id} trust`, p.AssumeRolePolicyDocument);
      for (const pol of (p.Policies as { PolicyDocument: unknown }[] | undefined) ?? []) add(id, pol.PolicyDocument);
    }
    if (r.Type === 'AWS::KMS::Key') add(id, p.KeyPolicy);
  }
  return out;
}

export const actionsOf = (s: PolicyStatementJson): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);

/** The dashboards' bodies, parsed; CloudFormation references inside strings become `<ref>`. */
export function dashboardBodies(template: Template): Record<string, { widgets: DashboardWidgetJson[] }> {
  const out: Record<string, { widgets: DashboardWidgetJson[] }> = {};
  for (const [id, r] of Object.entries(template.findResources('AWS::CloudWatch::Dashboard'))) {
    const body = (r as { Properties: { DashboardBody: unknown } }).Properties.DashboardBody;
    const text =
      typeof body === 'string'
        ? body
        : (body as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : '<ref>')).join('');
    out[id] = JSON.parse(text) as { widgets: DashboardWidgetJson[] };
  }
  return out;
}

export interface DashboardWidgetJson {
  readonly type: string;
  readonly width: number;
  readonly height: number;
  readonly properties: { readonly title?: string; readonly metrics?: unknown[][]; readonly region?: string; readonly [k: string]: unknown };
}

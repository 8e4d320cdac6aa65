/**
 * Routes in the stack: with routes each subscription takes only its receiver's messages (the `receiver`
 * attribute), a team's addresses subscribe with their own filter policy, the evaluator gets the routes with
 * the default route resolved; without routes nothing changes. And every problem is found at synth, named
 * by its cdk.json key.
 */
import { readFileSync } from 'fs';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ContextError, readVigilContext } from '../../bin/context';
import { ENV } from '../../lambdas/env';
import { Vigil, type VigilProps } from '../../lib/vigil';
import { MESSAGE_ATTRIBUTES } from '../../model/notification';
import { testApp } from '../support/cdk';

const BASE: VigilProps = {
  clusters: [{ name: 'prod' }],
  alertEmails: [{ address: 'ops@example.com' }],
  slack: { secretName: 'vigil/slack' },
  webhook: { secretName: 'vigil/webhook', receives: ['critical', 'resolved'] },
};
const ROUTED: VigilProps = {
  ...BASE,
  receivers: { shop: { emails: ['shop-oncall@example.com'] } },
  routes: {
    routes: [
      { match: { labels: { team: 'shop' } }, receivers: ['shop', 'slack'] },
      { match: { namespace: 'data-*' }, receivers: ['webhook'] },
    ],
  },
};

function template(props: VigilProps): Template {
  const stack = new Stack(testApp({ withoutSample: true }), 'S');
  new Vigil(stack, 'V', props);
  return Template.fromStack(stack);
}

type Sub = { Properties: { Protocol: string; Endpoint: unknown; TopicArn: { Ref: string }; FilterPolicy?: Record<string, unknown> } };
const alertSubscriptions = (t: Template) =>
  (Object.values(t.findResources('AWS::SNS::Subscription')) as Sub[])
    .filter((s) => s.Properties.TopicArn.Ref.includes('Alerts'))
    .map((s) => ({
      protocol: s.Properties.Protocol,
      to: s.Properties.Protocol === 'email' ? s.Properties.Endpoint : 'function',
      filter: s.Properties.FilterPolicy,
    }));
const envOf = (t: Template, description: RegExp) =>
  (
    Object.values(t.findResources('AWS::Lambda::Function')) as {
      Properties: { Description: string; Environment: { Variables: Record<string, string> } };
    }[]
  ).find((f) => description.test(f.Properties.Description))!.Properties.Environment.Variables;

test("with routes, each subscription filters on its receiver; a team's addresses have their own filter policy", () => {
  const subs = alertSubscriptions(template(ROUTED));
  const receiver = MESSAGE_ATTRIBUTES.receiver;
  const severities = MESSAGE_ATTRIBUTES.severities;
  expect(subs).toEqual(
    expect.arrayContaining([
      {
        protocol: 'email',
        to: 'ops@example.com',
        filter: { [severities]: ['critical', 'warning', 'critical-resolved', 'warning-resolved'], [receiver]: ['email'] },
      },
      {
        protocol: 'email',
        to: 'shop-oncall@example.com',
        filter: { [severities]: ['critical', 'warning', 'critical-resolved', 'warning-resolved'], [receiver]: ['shop'] },
      },
      { protocol: 'lambda', to: 'function', filter: { [receiver]: ['slack'] } },
      { protocol: 'lambda', to: 'function', filter: { [severities]: ['critical', 'critical-resolved'], [receiver]: ['webhook'] } },
    ]),
  );
  expect(subs).toHaveLength(4);
});

test('the evaluator gets the routes with the default route resolved to the built-in receivers', () => {
  const env = envOf(template({ ...ROUTED, routeLabels: ['team', 'example.com/owner'] }), /evaluator/);
  expect(JSON.parse(env[ENV.routes])).toEqual({ receivers: ['email', 'slack', 'webhook'], routes: ROUTED.routes!.routes });
  expect(JSON.parse(env[ENV.routeLabels])).toEqual(['team', 'example.com/owner']);
});

test('without routes nothing changes: no receiver filter, no routes or route labels in the environment', () => {
  const t = template(BASE);
  expect(alertSubscriptions(t).every((s) => s.filter === undefined || !(MESSAGE_ATTRIBUTES.receiver in s.filter))).toBe(true);
  for (const fn of [/evaluator/, /ingest/]) {
    expect(envOf(t, fn)).not.toHaveProperty(ENV.routes);
    expect(envOf(t, fn)).not.toHaveProperty(ENV.routeLabels);
  }
});

describe('checked at synth, each problem named by its key', () => {
  const prod = { 'vigil:clusters': [{ name: 'prod' }], 'vigil:alertEmails': ['ops@example.com'], 'vigil:slackSecretName': 'vigil/slack' };
  function problems(context: Record<string, unknown>): readonly string[] {
    try {
      readVigilContext({ ...prod, ...context });
    } catch (e) {
      if (e instanceof ContextError) return e.problems;
      throw e;
    }
    return [];
  }

  test('a valid configuration reads into the props', () => {
    const { vigil } = readVigilContext({
      ...prod,
      'vigil:receivers': { shop: { emails: ['shop@example.com'], receives: ['critical'] } },
      'vigil:routes': { routes: [{ match: { labels: { team: 'shop' } }, receivers: ['shop'], continue: true }] },
    });
    expect(vigil.receivers).toEqual({ shop: { emails: ['shop@example.com'], receives: ['critical'] } });
    expect(vigil.routes?.routes).toHaveLength(1);
  });

  test('an unknown receiver; a route after a catch-all; an unknown rule id and severity; a bad glob', () => {
    expect(
      problems({ 'vigil:routes': { routes: [{ receivers: ['pagerduty'] }, { match: { rule: 'node-not-ready' }, receivers: ['slack'] }] } }),
    ).toEqual([
      'vigil:routes.routes[0].receivers[0] "pagerduty" is not a receiver; the receivers are "email", "slack"',
      'vigil:routes.routes[1] can never match: routes[0] before it takes every alert and has no "continue": true',
    ]);
    expect(problems({ 'vigil:routes': { routes: [{ match: { rule: 'node-notready' }, receivers: ['slack'] }] } })).toEqual([
      'vigil:routes.routes[0].match.rule "node-notready" is not a rule id (see the rule table in docs/alerts.md)',
    ]);
    expect(problems({ 'vigil:routes': { routes: [{ match: { severity: 'page', namespace: 'Shop/*' }, receivers: ['slack'] }] } })).toEqual([
      'vigil:routes.routes[0].match.namespace is not a valid glob: lower-case letters, digits and - and * only',
      'vigil:routes.routes[0].match.severity must be "critical", "warning" or "info", or a list of them',
    ]);
  });

  test('a declared receiver without routes, or no route naming it; a built-in name; an address in two receivers; a bad route label', () => {
    expect(problems({ 'vigil:receivers': { shop: { emails: ['ops@example.com'] }, slack: { emails: ['x@example.com'] } } })).toEqual([
      'vigil:receivers.shop is declared but vigil:routes is not set: without routes it would receive nothing',
      'vigil:receivers.shop.emails[0] "ops@example.com" already receives as "email": an address belongs to one receiver',
      'vigil:receivers.slack: "slack" is a built-in receiver; name yours otherwise',
      'vigil:receivers.slack is declared but vigil:routes is not set: without routes it would receive nothing',
    ]);
    expect(problems({ 'vigil:receivers': { shop: { emails: ['shop@example.com'] } }, 'vigil:routes': { routes: [] } })).toEqual([
      'vigil:receivers: receiver "shop" is named by no route, so it would receive nothing',
    ]);
    expect(problems({ 'vigil:routeLabels': ['team', 'rule'] })).toEqual([
      'vigil:routeLabels[1] "rule" is the name of one of Vigil\'s own message attributes (severity, severities, cluster, rule, receiver)',
    ]);
  });
});

test('the examples of docs/alerts.md and the README are valid configurations', () => {
  const read = (f: string) => readFileSync(path.join(__dirname, '..', '..', f), 'utf8');
  for (const [file, heading] of [
    ['docs/alerts.md', '## Routes'],
    ['README.md', '**Routes.**'],
  ]) {
    const text = read(file);
    const example = /```json\n([\s\S]*?)\n```/.exec(text.slice(text.indexOf(heading)))![1];
    const context = {
      'vigil:clusters': [{ name: 'prod' }],
      'vigil:alertEmails': ['ops@example.com'],
      'vigil:slackSecretName': 'vigil/slack',
      'vigil:webhookSecretName': 'vigil/webhook',
      ...JSON.parse(`{${example}}`),
    };
    expect(readVigilContext(context).vigil.routes?.routes.length).toBeGreaterThan(0);
  }
});

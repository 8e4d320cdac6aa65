import type { Severity, Subject } from '../../model/domain';
import {
  labelAttributeName,
  receiversOf,
  routeLabelsSchema,
  routeMatches,
  routingProblems,
  routingSchema,
  type RoutedAlert,
  type Routing,
} from '../../model/route';

const alert = (over: Omit<Partial<RoutedAlert>, 'subject'> & { subject?: Partial<Subject> } = {}): RoutedAlert => ({
  rule: over.rule ?? 'container-restarts',
  severity: over.severity ?? ('warning' as Severity),
  subject: { cluster: 'prod', namespace: 'shop-web', workload: 'Deployment/cart', ...over.subject },
  ...(over.labels ? { labels: over.labels } : {}),
});
const parse = (input: unknown): Routing => {
  const r = routingSchema.parse(input);
  return { receivers: r.receivers ?? ['email'], routes: r.routes };
};
const KNOWN = {
  receivers: ['email', 'slack', 'webhook', 'shop'],
  isRuleId: (id: string) => ['container-restarts', 'node-not-ready'].includes(id),
  routeLabels: ['team'],
};

describe('matching', () => {
  test('globs on cluster, node group and namespace; exact rule ids and severities; route labels by glob', () => {
    expect(routeMatches({ cluster: 'prod*', namespace: 'shop-*' }, alert())).toBe(true);
    expect(routeMatches({ namespace: 'data-*' }, alert())).toBe(false);
    expect(routeMatches({ rule: ['container-restarts'], severity: ['warning', 'critical'] }, alert())).toBe(true);
    expect(routeMatches({ rule: ['container-restart'] }, alert())).toBe(false);
    expect(routeMatches({ severity: ['critical'] }, alert())).toBe(false);
    expect(routeMatches({ labels: { team: 'sh*' } }, alert({ labels: { team: 'shop' } }))).toBe(true);
    expect(routeMatches({ labels: { team: 'shop' } }, alert({ labels: { team: 'data' } }))).toBe(false);
  });

  test('a field the alert does not have never matches: a node alert has no namespace, an unlabelled one no team', () => {
    const node = alert({
      rule: 'node-not-ready',
      subject: { namespace: undefined, workload: undefined, node: 'ip-10-0-1-5', nodeGroup: 'workers' },
    });
    expect(routeMatches({ namespace: '*' }, node)).toBe(false);
    expect(routeMatches({ nodeGroup: 'work*' }, node)).toBe(true);
    expect(routeMatches({ labels: { team: '*' } }, alert())).toBe(false);
    expect(routeMatches(undefined, node)).toBe(true);
  });
});

describe('receiversOf', () => {
  const routing = parse({
    receivers: ['email'],
    routes: [
      { match: { severity: 'critical' }, receivers: ['webhook'], continue: true },
      { match: { labels: { team: 'shop' } }, receivers: ['shop'] },
      { match: { namespace: 'shop-*' }, receivers: ['slack'] },
    ],
  });

  test('the first route that matches takes the alert; later ones are not tried', () => {
    expect(receiversOf(routing, alert({ labels: { team: 'shop' } }))).toEqual(['shop']);
  });

  test('a route with continue passes the alert on: it reaches that route and the next that matches', () => {
    expect(receiversOf(routing, alert({ severity: 'critical', labels: { team: 'shop' } }))).toEqual(['webhook', 'shop']);
  });

  test('an alert no route takes goes to the default route, also after a continue route matched only', () => {
    expect(receiversOf(routing, alert({ subject: { namespace: 'data' } }))).toEqual(['email']);
    expect(receiversOf(routing, alert({ severity: 'critical', subject: { namespace: 'data' } }))).toEqual(['webhook']);
  });

  test('each receiver once, however many routes name it', () => {
    const r = parse({ routes: [{ receivers: ['slack', 'email'], continue: true }, { receivers: ['email'] }] });
    expect(receiversOf(r, alert())).toEqual(['slack', 'email']);
  });
});

describe('checks at synth, naming the key', () => {
  const problems = (input: unknown) => routingProblems(parse(input), KNOWN, ['shop']);

  test('an unknown receiver, in the default route or a route', () => {
    expect(problems({ receivers: ['pager'], routes: [{ receivers: ['shop', 'slak'] }] })).toEqual([
      'receivers[0] "pager" is not a receiver; the receivers are "email", "slack", "webhook", "shop"',
      'routes[0].receivers[1] "slak" is not a receiver; the receivers are "email", "slack", "webhook", "shop"',
    ]);
  });

  test('a route after a catch-all without continue can never match; with continue it can', () => {
    expect(problems({ routes: [{ receivers: ['slack'] }, { match: { labels: { team: 'shop' } }, receivers: ['shop'] }] })).toEqual([
      'routes[1] can never match: routes[0] before it takes every alert and has no "continue": true',
    ]);
    expect(
      problems({
        routes: [
          { match: {}, receivers: ['slack'], continue: true },
          { match: { labels: { team: 'shop' } }, receivers: ['shop'] },
        ],
      }),
    ).toEqual([]);
  });

  test('an unknown rule id, a label that is not a route label, a declared receiver no route names', () => {
    expect(
      routingProblems(
        parse({ routes: [{ match: { rule: ['node-not-ready', 'node-notready'], labels: { owner: 'x' } }, receivers: ['slack'] }] }),
        KNOWN,
        ['shop'],
      ),
    ).toEqual([
      'routes[0].match.rule[1] "node-notready" is not a rule id (see the rule table in docs/alerts.md)',
      'routes[0].match.labels.owner: "owner" is not a route label, so it can never match; the route labels (vigil:routeLabels) are "team"',
      'receiver "shop" is named by no route, so it would receive nothing',
    ]);
  });

  test('a bad glob, an unknown severity or field: the schema names the path', () => {
    const r = routingSchema.safeParse({ routes: [{ match: { namespace: 'Shop_*', severity: 'page', team: 'x' }, receivers: [] }] });
    expect(r.success).toBe(false);
    const messages = r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        'routes.0.match: unknown field(s) "team": expected cluster, nodeGroup, namespace, rule, severity, labels',
        'routes.0.receivers: must name at least one receiver',
      ]),
    );
    const fields = routingSchema.safeParse({ routes: [{ match: { namespace: 'Shop_*', severity: 'page' }, receivers: ['slack'] }] });
    expect(fields.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'routes.0.match.namespace: is not a valid glob: lower-case letters, digits and - and * only',
      'routes.0.match.severity: must be "critical", "warning" or "info", or a list of them',
    ]);
  });
});

describe('route labels', () => {
  test('Kubernetes label keys, at most four; the SNS attribute holds only what SNS names may', () => {
    expect(routeLabelsSchema.safeParse(['team', 'example.com/owner']).success).toBe(true);
    expect(routeLabelsSchema.safeParse(['Team Name']).success).toBe(false);
    expect(routeLabelsSchema.safeParse(['a', 'b', 'c', 'd', 'e']).success).toBe(false);
    expect(labelAttributeName('example.com/owner')).toBe('example.com_owner');
  });
});

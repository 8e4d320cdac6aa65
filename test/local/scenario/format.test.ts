import * as fs from 'fs';
import * as path from 'path';
import { parseScenario, ScenarioError } from '../../../local/scenario/format';
import { scenarioJsonSchema } from '../../../local/scenario/json-schema';
import { loadScenario, shippedScenarios } from '../../../local/scenario/load';

const minimal = () => ({
  version: 1,
  name: 'demo',
  description: 'A demo.',
  duration: '30m',
  cluster: {
    name: 'demo',
    nodeGroups: [
      {
        name: 'general',
        instanceType: 'm6i.large',
        size: { min: 1, max: 3, desired: 2 },
        node: { cpu: '2', memory: '8Gi', pods: 29, disk: '80Gi' },
      },
    ],
    workloads: [
      {
        namespace: 'shop',
        name: 'web',
        replicas: 2,
        containers: [{ name: 'web', image: 'web:1', usage: { cpu: '100m', memory: '200Mi' } }],
      },
    ],
  },
  timeline: [{ at: '10m', do: 'scale-in', nodeGroup: 'general', desired: 1 }],
  expect: { fire: [{ rule: 'scale-in-under-pressure', within: '5m' }] },
});

function problems(input: unknown): string[] {
  try {
    parseScenario(input, 'demo.json');
  } catch (e) {
    if (e instanceof ScenarioError) return [...e.problems];
    throw e;
  }
  throw new Error('expected the scenario to be rejected');
}

test('a minimal scenario gets its defaults', () => {
  const s = parseScenario(minimal());
  expect(s.start).toBe('2026-11-23T08:00:00Z');
  expect(s.cluster.region).toBe('eu-west-1');
  expect(s.cluster.nodeGroups[0]).toMatchObject({ kind: 'managed', capacityType: 'on-demand', detailedMonitoring: false });
  expect(s.cluster.workloads[0].kind).toBe('Deployment');
  expect(s.expect.notFire).toEqual([]);
});

test('every problem is named by its path, with what is expected', () => {
  const s: any = minimal();
  s.version = 2;
  s.duration = 'half an hour';
  s.cluster.nodeGroups[0].node.memory = '8 GB';
  s.timeline[0].do = 'explode';
  expect(problems(s)).toEqual([
    'version: Invalid input: expected 1',
    'duration: expected a duration like 30s, 15m, 1h30m',
    'cluster.nodeGroups[0].node.memory: expected a byte quantity like 512Mi or 1.5Gi',
    expect.stringMatching(/^timeline\[0\]\.do: /),
  ]);
});

test('references between parts are checked: node groups, workloads, containers, nodes, sizes, times', () => {
  const s: any = minimal();
  s.timeline = [
    { at: '40m', do: 'scale-in', nodeGroup: 'general', desired: 1 },
    { at: '1m', do: 'scale-out', nodeGroup: 'spot', desired: 2 },
    { at: '1m', do: 'memory-leak', workload: 'shop/cart', rate: '10Mi/m' },
    { at: '1m', do: 'crash-loop', workload: 'shop/web', container: 'sidecar' },
    { at: '1m', do: 'disk-fill', node: 'gpu/1', rate: '1Gi/m' },
    { at: '1m', do: 'scale-in', nodeGroup: 'general', desired: 0 },
  ];
  expect(problems(s)).toEqual([
    'timeline[0].at: 40m is after the end of the scenario (30m)',
    'timeline[1].nodeGroup: no node group "spot"',
    'timeline[2].workload: no workload "shop/cart"',
    'timeline[3].container: workload "shop/web" has no container "sidecar"',
    'timeline[4].node: no node group "gpu"',
    "timeline[5].desired: 0 is outside the group's size (1-3)",
  ]);
});

test('unknown fields are refused rather than silently ignored (a typo in a scenario is a bug)', () => {
  const s: any = minimal();
  s.cluster.nodeGroups[0].instancetype = 'x';
  expect(problems(s)[0]).toMatch(/^cluster\.nodeGroups\[0\]: Unrecognized key: "instancetype"/);
});

test('every shipped scenario is valid and has a message budget', () => {
  expect(shippedScenarios().length).toBeGreaterThanOrEqual(18);
  for (const name of shippedScenarios()) expect([name, loadScenario(name).expect.budget?.messages]).toEqual([name, expect.any(Number)]);
});

test('an unknown scenario name lists the shipped ones', () => {
  expect(() => loadScenario('nope')).toThrow(/no shipped scenario named "nope"; shipped: agent-silence, /);
});

test('docs/scenario.schema.json is the schema the code validates with (regenerate with `vigil scenario schema`)', () => {
  const doc = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'scenario.schema.json'), 'utf8'));
  expect(doc).toEqual(JSON.parse(JSON.stringify(scenarioJsonSchema())));
});

test('unknown rule ids, happenings and expectation fields are errors that name their path (a typo must fail, not pass)', () => {
  const s: any = minimal();
  s.expect = {
    fire: [{ rule: 'scale-in-under-presure', within: '5m', subject: { nod: 'general/1' } }],
    notFire: ['node-not-redy'],
    budget: { messages: 3, perRule: { 'pod-evicted': 1 } },
  };
  s.timeline.push({ at: '5m', do: 'spot-interuption', node: 'general/1' });
  expect(problems(s)).toEqual([
    expect.stringMatching(/^timeline\[1\]\.do: Invalid discriminator value\. Expected 'scale-in' \| /),
    'expect.fire[0].rule: unknown rule id "scale-in-under-presure" (rule ids are those of the README\'s alert table)',
    'expect.fire[0].subject: Unrecognized key: "nod"',
    'expect.notFire[0]: unknown rule id "node-not-redy" (rule ids are those of the README\'s alert table)',
  ]);
  const t: any = minimal();
  t.expect = { fire: [], notfire: ['node-not-ready'] };
  expect(problems(t)).toEqual(['expect: Unrecognized key: "notfire"']);
  const u: any = minimal();
  u.expect = { fire: [], budget: { messages: 3, perRule: { 'pod-evicted': 1 } } };
  expect(problems(u)).toEqual([
    'expect.budget.perRule.pod-evicted: unknown rule id "pod-evicted" (rule ids are those of the README\'s alert table)',
  ]);
});

test('"before" names a happening by its id; ids are unique; the old maxNotifications is the budget', () => {
  const s: any = minimal();
  s.timeline = [
    { id: 'scale-in', at: '10m', do: 'scale-in', nodeGroup: 'general', desired: 1 },
    { id: 'scale-in', at: '12m', do: 'scale-out', nodeGroup: 'general', desired: 2 },
  ];
  s.expect = { fire: [{ rule: 'n1-headroom', within: '0m', before: 'scale-out' }] };
  expect(problems(s)).toEqual([
    'timeline[1].id: "scale-in" is already the id of timeline[0]',
    'expect.fire[0].before: no happening has the id "scale-out" (ids: scale-in)',
  ]);
  const t: any = minimal();
  t.expect = { fire: [], maxNotifications: 4 };
  expect(parseScenario(t).expect.budget).toEqual({ messages: 4 });
  t.expect.budget = { messages: 2 };
  expect(problems(t)).toEqual(['expect.maxNotifications: give budget.messages only (maxNotifications is its old spelling)']);
});

test("the new happenings check what they name: replicas by name, node groups, writers, Cluster Autoscaler's nodes", () => {
  const s: any = minimal();
  s.cluster.workloads.push({
    namespace: 'shop',
    name: 'pg',
    kind: 'StatefulSet',
    replicas: 2,
    nodeAffinity: { nodeGroups: ['db'] },
    containers: [{ name: 'pg', image: 'postgres:17', usage: { cpu: '100m', memory: '1Gi' } }],
  });
  s.timeline = [
    { at: '1m', do: 'memory-leak', workload: 'shop/web', rate: '1Mi/m', pods: ['web-0'] },
    { at: '1m', do: 'memory-leak', workload: 'shop/pg', rate: '1Mi/m', pods: ['pg-1', 'pg-2'] },
    { at: '1m', do: 'disk-fill', source: 'logs', node: 'general/1', rate: '1Gi/m' },
    { at: '1m', do: 'scale-in', nodeGroup: 'general', desired: 1, cause: 'cluster-autoscaler' },
    { at: '1m', do: 'terminate-instance', nodes: ['general/1', 'spot/1'], cause: 'spot-interruption' },
  ];
  expect(problems(s)).toEqual([
    "timeline[0].pods: only a StatefulSet's pods have names known in advance; use replicas for a Deployment",
    'timeline[1].pods[1]: "pg-2" is not a pod of shop/pg (pg-0 to pg-1)',
    "timeline[2].workload: logs are written by a workload's pods: name it",
    'timeline[3].nodes: Cluster Autoscaler removes the nodes it chose: name them',
    'timeline[4].nodes[1]: no node group "spot"',
    'cluster.workloads[1].nodeAffinity.nodeGroups: no node group "db"',
  ]);
});

test('the minimal scenario of docs/scenarios.md is valid as written', () => {
  const doc = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'scenarios.md'), 'utf8');
  const example = /## A minimal scenario\n\n```json\n([\s\S]*?)```/.exec(doc)?.[1];
  expect(parseScenario(JSON.parse(example ?? 'null')).expect.budget).toEqual({ messages: 2 });
});

test('a silence happening matches by labels; "quiet during" names a silence happening', () => {
  const s: any = minimal();
  s.timeline = [
    { id: 'upgrade', at: '10m', do: 'silence', for: '20m', match: { namespace: 'data', node: 'general/1' } },
    { id: 'grow', at: '12m', do: 'scale-out', nodeGroup: 'general', desired: 2 },
  ];
  s.expect = { fire: [{ rule: 'n1-headroom', within: '0m', quietDuring: 'upgrade' }] };
  expect(parseScenario(s).timeline[0]).toEqual({
    id: 'upgrade',
    at: '10m',
    do: 'silence',
    for: '20m',
    match: { namespace: 'data', node: 'general/1' },
    comment: 'silenced by the scenario',
  });
  s.expect = { fire: [{ rule: 'n1-headroom', within: '0m', quietDuring: 'grow' }] };
  expect(problems(s)).toEqual(['expect.fire[0].quietDuring: no silence happening has the id "grow"']);
  s.timeline[0].match = { team: 'data' };
  s.expect = { fire: [] };
  expect(problems(s)).toEqual(['timeline[0].match: Unrecognized key: "team"']);
});

test('anti-affinity and topology spread name a hostname or zone topology; maxSkew is at least 1, 1 by default', () => {
  const ok: any = minimal();
  ok.cluster.workloads[0].topologySpread = [{ topology: 'zone' }];
  expect(parseScenario(ok).cluster.workloads[0].topologySpread).toEqual([{ topology: 'zone', maxSkew: 1 }]);
  const s: any = minimal();
  s.cluster.workloads[0].antiAffinity = ['rack'];
  s.cluster.workloads[0].topologySpread = [{ topology: 'hostname', maxSkew: 0 }];
  expect(problems(s)).toEqual([
    expect.stringMatching(/^cluster\.workloads\[0\]\.antiAffinity\[0\]: .*hostname.*zone/),
    expect.stringMatching(/^cluster\.workloads\[0\]\.topologySpread\[0\]\.maxSkew: /),
  ]);
});

test('routes name local mode\'s receivers and catalogue rules; namespaces carry labels; "told to" needs routes', () => {
  const s: any = minimal();
  s.cluster.namespaces = [{ name: 'data', labels: { team: 'data' } }];
  s.routes = { routes: [{ match: { labels: { team: 'data' } }, receivers: ['webhook'] }] };
  s.expect = { fire: [{ rule: 'n1-headroom', within: '0m', receivers: ['webhook'] }] };
  const parsed = parseScenario(s);
  expect(parsed.cluster.namespaces).toEqual([{ name: 'data', labels: { team: 'data' } }]);
  expect(parsed.routes?.routes[0].receivers).toEqual(['webhook']);
  s.routes = {
    routes: [{ match: { rule: 'node-notready' }, receivers: ['pagerduty'] }, { receivers: ['slack'] }, { receivers: ['email'] }],
  };
  expect(problems(s)).toEqual([
    'routes.routes[0].receivers[0] "pagerduty" is not a receiver; the receivers are "email", "slack", "webhook"',
    'routes.routes[0].match.rule "node-notready" is not a rule id (see the rule table in docs/alerts.md)',
    'routes.routes[2] can never match: routes[1] before it takes every alert and has no "continue": true',
  ]);
  delete s.routes;
  expect(problems(s)).toEqual(['expect.fire[0].receivers: without routes every receiver gets every message; add routes']);
});

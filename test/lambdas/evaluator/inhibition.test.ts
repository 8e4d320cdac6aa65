import { computeMutes, inhibitRules, partOfStory, type Candidate, type Source } from '../../../lambdas/evaluator/inhibition';
import { RULES, RULES_BY_ID } from '../../../lambdas/evaluator/rules/catalog';
import type { AnyRule } from '../../../lambdas/evaluator/rules/types';
import type { CloudService } from '../../../lambdas/evaluator/context';

const cluster = 'prod';
const src = (over: Partial<Source> & { id: string; rule: string }): Source => ({ severity: 'critical', subject: { cluster }, ...over });
const cand = (over: Partial<Candidate> & { id: string; rule: string }): Candidate => ({
  severity: 'warning',
  subject: { cluster },
  ...over,
});
const mutes = (sources: Source[], candidates: Candidate[], failed: CloudService[] = []) =>
  Object.fromEntries([...computeMutes(sources, candidates, RULES_BY_ID, new Set(failed))].map(([id, m]) => [id, m.by]));

test('a critical alert about a node mutes warnings about that node and its pods, not about other nodes', () => {
  const notReady = src({ id: 'nr-n1', rule: 'node-not-ready', subject: { cluster, node: 'n1' }, nodes: ['n1'] });
  expect(
    mutes(
      [notReady],
      [
        cand({ id: 'disk-n1', rule: 'node-disk-low', subject: { cluster, node: 'n1' }, nodes: ['n1'] }),
        cand({
          id: 'oom-web',
          rule: 'container-oom-killed',
          subject: { cluster, namespace: 'web', workload: 'Deployment/web', container: 'app' },
          nodes: ['n1'],
        }),
        cand({
          id: 'near-api',
          rule: 'container-memory-near-limit',
          subject: { cluster, namespace: 'api', workload: 'Deployment/api', container: 'app' },
          nodes: ['n1', 'n2'],
        }),
        cand({ id: 'disk-n2', rule: 'node-disk-low', subject: { cluster, node: 'n2' }, nodes: ['n2'] }),
        cand({ id: 'pressure-n1', rule: 'node-pressure', severity: 'critical', subject: { cluster, node: 'n1' }, nodes: ['n1'] }),
      ],
    ),
  ).toEqual({ 'disk-n1': 'nr-n1', 'oom-web': 'nr-n1' });
});

test('a warning about a node mutes nothing; a workload-wide critical is not "about a node"', () => {
  expect(
    mutes(
      [src({ id: 'w', rule: 'node-not-ready', severity: 'warning', subject: { cluster, node: 'n1' }, nodes: ['n1'] })],
      [cand({ id: 'd', rule: 'node-disk-low', subject: { cluster, node: 'n1' }, nodes: ['n1'] })],
    ),
  ).toEqual({});
  expect(
    mutes(
      [
        src({
          id: 'wl',
          rule: 'workload-replicas-unavailable',
          subject: { cluster, namespace: 'a', workload: 'Deployment/a' },
          nodes: ['n1'],
        }),
      ],
      [cand({ id: 'd', rule: 'node-disk-low', subject: { cluster, node: 'n1' }, nodes: ['n1'] })],
    ),
  ).toEqual({});
});

test('the domino mutes what it lists, whatever their severity', () => {
  const domino = src({ id: 'domino', rule: 'scale-in-under-pressure', subject: { cluster, autoScalingGroup: 'g' }, mutes: ['p1', 'n1'] });
  expect(
    mutes(
      [domino],
      [
        cand({ id: 'p1', rule: 'node-pressure', severity: 'critical' }),
        cand({ id: 'n1', rule: 'n1-headroom' }),
        cand({ id: 'x', rule: 'pods-pending' }),
      ],
    ),
  ).toEqual({ p1: 'domino', n1: 'domino' });
});

test('agent silence mutes every agent-derived alert; collector failure the AWS-derived ones; neither mutes itself', () => {
  const silent = src({ id: 'silent', rule: 'agent-silent' });
  const failing = src({ id: 'coll', rule: 'collector-failing' });
  const candidates = [
    cand({ id: 'a', rule: 'node-not-ready' }),
    cand({ id: 'b', rule: 'asg-capacity-shortfall' }),
    cand({ id: 'silent', rule: 'agent-silent', severity: 'critical' }),
    cand({ id: 'coll', rule: 'collector-failing', severity: 'critical' }),
  ];
  expect(mutes([silent], candidates)).toEqual({ a: 'silent' });
  expect(mutes([failing], candidates, ['autoscaling'])).toEqual({ b: 'coll' });
});

test('a collector failure mutes only the rules of the services that failed, and never the domino', () => {
  const failing = src({ id: 'coll', rule: 'collector-failing' });
  const candidates = [
    cand({ id: 'cpu', rule: 'host-cpu-high' }),
    cand({ id: 'status', rule: 'host-status-check-failed' }),
    cand({ id: 'short', rule: 'asg-capacity-shortfall' }),
    cand({ id: 'ghost', rule: 'instance-without-node' }),
    cand({ id: 'domino', rule: 'scale-in-under-pressure', severity: 'critical' }),
    cand({ id: 'eks', rule: 'cluster-not-active' }),
  ];
  // One CloudWatch throttle: the host figures are missing, the Auto Scaling and EKS data are not.
  expect(mutes([failing], candidates, ['cloudwatch'])).toEqual({ cpu: 'coll', status: 'coll' });
  expect(mutes([failing], candidates, ['autoscaling'])).toEqual({ short: 'coll', ghost: 'coll' });
  // The collector not running at all blinds every service; the domino still gets through, as it does when the agent is silent.
  expect(mutes([failing], candidates, ['eks', 'ec2', 'autoscaling', 'cloudwatch'])).toEqual({
    cpu: 'coll',
    status: 'coll',
    short: 'coll',
    ghost: 'coll',
    eks: 'coll',
  });
  expect(mutes([src({ id: 'silent', rule: 'agent-silent' })], candidates)).toEqual({ ghost: 'silent' });
});

test('same-subject rules: the 24-hour restart alert mutes the OOM alert of that container only', () => {
  const subject = { cluster, namespace: 'shop', workload: 'Deployment/cart', container: 'cart' };
  expect(
    mutes(
      [src({ id: 'r', rule: 'container-restarts', severity: 'warning', subject })],
      [
        cand({ id: 'o', rule: 'container-oom-killed', subject }),
        cand({ id: 'o2', rule: 'container-oom-killed', subject: { ...subject, container: 'envoy' } }),
      ],
    ),
  ).toEqual({ o: 'r' });
});

test('a node whose disk or memory runs low absorbs its pressure of that kind and its evictions, also while its finding is gone for now', () => {
  const n1 = { cluster, node: 'n1' };
  const diskLow = src({ id: 'disk-n1', rule: 'node-disk-low', severity: 'warning', subject: n1, nodes: ['n1'] });
  const candidates = [
    cand({ id: 'dp-n1', rule: 'node-pressure', subject: { ...n1, detail: 'DiskPressure' }, nodes: ['n1'] }),
    cand({ id: 'mp-n1', rule: 'node-pressure', subject: { ...n1, detail: 'MemoryPressure' }, nodes: ['n1'] }),
    cand({ id: 'ev-n1', rule: 'pod-evictions', subject: n1, nodes: ['n1'] }),
    cand({ id: 'ev-n2', rule: 'pod-evictions', subject: { cluster, node: 'n2' }, nodes: ['n2'] }),
  ];
  expect(mutes([diskLow], candidates)).toEqual({ 'dp-n1': 'disk-n1', 'ev-n1': 'disk-n1' });
  // The evictions freed the disk: its alert is not found this minute but still fires, and still tells the story.
  const absorbed = computeMutes([], candidates, RULES_BY_ID, new Set(), [diskLow]);
  // Evictions are news to the disk's story (pods were lost), told as an update; the pressure is not, unless worse.
  expect(Object.fromEntries([...absorbed].map(([id, m]) => [id, m]))).toEqual({
    'dp-n1': { by: 'disk-n1', absorbs: true },
    'ev-n1': { by: 'disk-n1', absorbs: true, joins: true },
  });
  const memLow = src({ id: 'mem-n1', rule: 'node-memory-low', severity: 'warning', subject: n1, nodes: ['n1'] });
  expect(mutes([memLow], candidates)).toEqual({ 'mp-n1': 'mem-n1', 'ev-n1': 'mem-n1' });
});

test("a workload short of replicas is absorbed by its crash-looping or waiting containers, not by another workload's", () => {
  const web = { cluster, namespace: 'shop', workload: 'Deployment/web' };
  const unavailable = cand({ id: 'ru-web', rule: 'workload-replicas-unavailable', subject: web });
  const other = cand({ id: 'ru-api', rule: 'workload-replicas-unavailable', subject: { ...web, workload: 'Deployment/api' } });
  expect(
    mutes(
      [src({ id: 'cl-web', rule: 'container-crash-looping', severity: 'warning', subject: { ...web, container: 'app' } })],
      [unavailable, other],
    ),
  ).toEqual({ 'ru-web': 'cl-web' });
  expect(
    mutes(
      [src({ id: 'cw-web', rule: 'container-waiting', severity: 'warning', subject: { ...web, container: 'app' } })],
      [unavailable, other],
    ),
  ).toEqual({ 'ru-web': 'cw-web' });
  // No news while as severe as the containers' alert; the workload down (critical) is news, told as an update.
  const waiting = src({ id: 'cw-web', rule: 'container-waiting', severity: 'warning', subject: { ...web, container: 'app' } });
  expect(computeMutes([waiting], [unavailable], RULES_BY_ID, new Set()).get('ru-web')).toEqual({ by: 'cw-web', absorbs: true });
  expect(computeMutes([waiting], [{ ...unavailable, severity: 'critical' }], RULES_BY_ID, new Set()).get('ru-web')).toEqual({
    by: 'cw-web',
    absorbs: true,
    joins: true,
  });
});

test("inhibitions are the rules' data: a rule that declares one inhibits by it, with no code naming it", () => {
  const subject = { cluster, namespace: 'shop', workload: 'Deployment/cart', container: 'cart' };
  const outlier = RULES_BY_ID.get('peer-outlier')!;
  const declaring = new Map([
    ...RULES_BY_ID,
    [
      'peer-outlier',
      { ...outlier, inhibits: [{ target: { rule: 'container-restarts' }, equal: ['namespace', 'workload'], story: true }] } as AnyRule,
    ],
  ]);
  const sources = [
    src({ id: 'po', rule: 'peer-outlier', severity: 'warning', subject: { cluster, namespace: 'shop', workload: 'Deployment/cart' } }),
  ];
  const candidates = [
    cand({ id: 'r', rule: 'container-restarts', subject }),
    cand({ id: 'r-other', rule: 'container-restarts', subject: { ...subject, workload: 'Deployment/web' } }),
  ];
  expect(Object.fromEntries([...computeMutes(sources, candidates, declaring, new Set())].map(([id, m]) => [id, m]))).toEqual({
    r: { by: 'po', absorbs: true },
  });
  expect(computeMutes(sources, candidates, RULES_BY_ID, new Set()).size).toBe(0);
});

test('as in Alertmanager, the source and target matchers select, the equal labels scope; a label absent from both is not equal', () => {
  const list = inhibitRules(RULES);
  // Every declared inhibition is sourced by the rule that declares it.
  expect(list.find((r) => r.source.rule === 'container-restarts')).toEqual({
    source: { rule: 'container-restarts' },
    target: { rule: 'container-oom-killed' },
    equal: ['namespace', 'workload', 'container'],
    story: true,
  });
  expect(list.filter((r) => !r.story).map((r) => r.source.rule)).toEqual(['agent-silent', 'collector-failing']);
  // Two OOM alerts with no namespace label at all: Alertmanager would call the labels equal, Vigil does not.
  expect(
    mutes([src({ id: 'r', rule: 'container-restarts', severity: 'warning' })], [cand({ id: 'o', rule: 'container-oom-killed' })]),
  ).toEqual({});
  // The target matcher `rule != scale-in-under-pressure` keeps the domino through agent silence.
  expect(
    mutes(
      [src({ id: 'silent', rule: 'agent-silent' })],
      [cand({ id: 'd', rule: 'scale-in-under-pressure', severity: 'critical' }), cand({ id: 'n', rule: 'n1-headroom' })],
    ),
  ).toEqual({ n: 'silent' });
});

test("what each rule tells with its story: an OOM kill joins the restarts' story, not an unrelated rule's", () => {
  expect(partOfStory('container-restarts', 'container-oom-killed')).toBe(true);
  expect(partOfStory('container-crash-looping', 'workload-replicas-unavailable')).toBe(true);
  // Blindness mutes while it lasts, it tells no story.
  expect(partOfStory('agent-silent', 'node-not-ready')).toBe(false);
  expect(partOfStory('node-not-ready', 'container-oom-killed')).toBe(false);
});

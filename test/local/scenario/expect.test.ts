/**
 * A scenario's expectations judged against the messages a run sent: real messages (composed as the
 * evaluator composes them), a real world for the onset and the happenings' times. A noisy or wrong run
 * must fail, whichever way it is wrong.
 */
import { alertmanagerOf } from '../../../lambdas/notify/alertmanager';
import { composeMessage } from '../../../lambdas/message/publisher';
import type { AlertChange } from '../../../model/notification';
import { formatSlack } from '../../../lambdas/notify/slack';
import { checkExpectations } from '../../../local/scenario/expect';
import { parseScenario, type ScenarioInput } from '../../../local/scenario/format';
import { World } from '../../../local/world';
import type { Severity } from '../../../model/domain';
import { MINUTE_MS, ManualClock } from '../../../model/time';
import type { OutboxEntry } from '../../../sim/notify/outbox';

/** A 2-hour scenario whose incident (a scale-in with id "scale-in") starts at minute 30. */
function judge(expect: ScenarioInput['expect'], messages: readonly OutboxEntry[]) {
  const scenario = parseScenario({
    version: 1,
    name: 'judged',
    description: 'A scale-in at minute 30.',
    duration: '2h',
    cluster: {
      name: 'judged',
      nodeGroups: [
        {
          name: 'general',
          instanceType: 'm6i.large',
          size: { min: 1, max: 5, desired: 3 },
          node: { cpu: '2', memory: '8Gi', pods: 29, disk: '80Gi' },
        },
      ],
    },
    timeline: [{ id: 'scale-in', at: '30m', do: 'scale-in', nodeGroup: 'general', desired: 2 }],
    expect,
  });
  const world = new World(scenario, new ManualClock(Date.parse(scenario.start)));
  return checkExpectations(scenario, world, messages).map((u) => `${u.kind}: ${u.message}`);
}

const START = Date.parse('2026-11-23T08:00:00Z');

/** One alert change, `minute` minutes after the start. */
function change(rule: string, kind: AlertChange['kind'], severity: Severity = 'warning', over: Partial<AlertChange> = {}): AlertChange {
  return {
    kind,
    id: `${rule}|judged|${over.subject?.node ?? ''}`,
    rule,
    title: rule,
    severity,
    subject: { cluster: 'judged' },
    summary: `${rule} ${kind}`,
    evidence: {},
    runbook: 'Look at the node group.',
    ...over,
  };
}

/** The message one evaluation at `minute` sends with these changes, as the outbox keeps it. */
function message(minute: number, ...changes: AlertChange[]): OutboxEntry {
  const m = composeMessage('judged', START + minute * MINUTE_MS, changes, { firing: 1, critical: 0, muted: 0 });
  return {
    messageId: `m-${minute}`,
    publishedAt: new Date(START + minute * MINUTE_MS).toISOString(),
    subject: m.subject,
    attributes: m.attributes,
    text: m.text,
    slack: formatSlack(m.notification),
    webhook: alertmanagerOf(m.notification),
    notification: m.notification,
  };
}

test('a run over its message budget fails, in all and per rule, naming where the messages went', () => {
  const run = [
    message(31, change('pod-evictions', 'firing')),
    message(33, change('pod-evictions', 'repeat')),
    message(35, change('pods-pending', 'firing')),
    message(50, change('pod-evictions', 'resolved')),
  ];
  const fire = [
    { rule: 'pod-evictions', within: '5m' },
    { rule: 'pods-pending', within: '10m' },
  ];
  expect(judge({ fire, budget: { messages: 4, perRule: { 'pod-evictions': 3 } } }, run)).toEqual([]);
  expect(judge({ fire, budget: { messages: 3, perRule: { 'pod-evictions': 2 } } }, run)).toEqual([
    'budget: 4 messages were sent, over the budget of 3 (carrying pod-evictions ×3, pods-pending ×1)',
    'budget: 3 messages carried pod-evictions, over its budget of 2',
  ]);
});

test('"fires N times" counts the messages announcing it, not the updates to its story', () => {
  const run = [
    message(31, change('scale-in-under-pressure', 'firing', 'critical')),
    message(46, change('scale-in-under-pressure', 'updated', 'critical')),
    message(47, change('scale-in-under-pressure', 'repeat', 'critical')),
  ];
  expect(judge({ fire: [{ rule: 'scale-in-under-pressure', within: '5m', times: 2 }] }, run)).toEqual([]);
  expect(judge({ fire: [{ rule: 'scale-in-under-pressure', within: '5m', times: 1 }], budget: { messages: 2 } }, run)).toEqual([
    'count: scale-in-under-pressure was announced in 2 messages, expected 1',
    'budget: 3 messages were sent, over the budget of 2 (carrying scale-in-under-pressure ×3)',
  ]);
});

test('"fires N times" counts the messages announcing it, resolutions aside', () => {
  const run = [
    message(31, change('container-oom-killed', 'firing')),
    message(40, change('container-oom-killed', 'repeat')),
    message(60, change('container-oom-killed', 'resolved')),
  ];
  expect(judge({ fire: [{ rule: 'container-oom-killed', within: '5m', times: 2 }] }, run)).toEqual([]);
  expect(judge({ fire: [{ rule: 'container-oom-killed', within: '5m', times: { min: 3 } }] }, run)).toEqual([
    'count: container-oom-killed was announced in 2 messages, expected at least 3',
  ]);
  expect(judge({ fire: [{ rule: 'container-oom-killed', within: '5m', times: { max: 1 } }] }, run)).toEqual([
    'count: container-oom-killed was announced in 2 messages, expected at most 1',
  ]);
});

test('"fires again after resolving" needs a resolution, then a new firing of the same alert', () => {
  const once = [message(31, change('container-oom-killed', 'firing')), message(60, change('container-oom-killed', 'resolved'))];
  expect(judge({ fire: [{ rule: 'container-oom-killed', within: '5m', refires: true }] }, once)).toEqual([
    'missing: container-oom-killed never fired again after resolving',
  ]);
  expect(
    judge({ fire: [{ rule: 'container-oom-killed', within: '5m', refires: true }] }, [
      ...once,
      message(90, change('container-oom-killed', 'firing')),
    ]),
  ).toEqual([]);
  // An occurrence rule ends without a message: a second firing of the same alert says it ended in between.
  expect(
    judge({ fire: [{ rule: 'container-oom-killed', within: '5m', refires: true }] }, [
      message(31, change('container-oom-killed', 'firing')),
      message(400, change('container-oom-killed', 'firing')),
    ]),
  ).toEqual([]);
  expect(
    judge({ fire: [{ rule: 'container-oom-killed', within: '5m', refires: true }] }, [
      message(31, change('container-oom-killed', 'firing')),
      message(40, change('container-oom-killed', 'repeat')),
    ]),
  ).toEqual(['missing: container-oom-killed never fired again after resolving']);
});

test('"fires before <happening>" fails an alert that only fires once the happening is under way', () => {
  const fire = [{ rule: 'n1-headroom', within: '0m', before: 'scale-in' }];
  expect(judge({ fire }, [message(20, change('n1-headroom', 'firing'))])).toEqual([]);
  expect(judge({ fire }, [message(30, change('n1-headroom', 'firing'))])).toEqual([
    'late: n1-headroom fired at +0s, not before "scale-in" (scale-in at +0s)',
  ]);
});

test('"never above <severity>": per expected alert, and for the whole run', () => {
  const run = [
    message(31, change('asg-capacity-shortfall', 'firing')),
    message(40, change('asg-capacity-shortfall', 'escalated', 'critical')),
  ];
  expect(judge({ fire: [{ rule: 'asg-capacity-shortfall', within: '5m', maxSeverity: 'warning' }] }, run)).toEqual([
    'severity: asg-capacity-shortfall was announced as critical at +10m, above warning: asg-capacity-shortfall escalated',
  ]);
  expect(judge({ fire: [{ rule: 'asg-capacity-shortfall', within: '5m' }], maxSeverity: 'warning' }, run)).toEqual([
    "severity: critical asg-capacity-shortfall at +10m, above the scenario's ceiling of warning: asg-capacity-shortfall escalated",
  ]);
});

test('"message mentions" reads the subject line and the body with its action text', () => {
  const run = [
    message(
      31,
      change('node-not-ready', 'firing', 'critical', {
        subject: { cluster: 'judged', node: 'ip-10-0-0-4.eu-west-1.compute.internal' },
        summary: 'Node is NotReady after a Spot interruption',
      }),
    ),
  ];
  expect(
    judge(
      { fire: [{ rule: 'node-not-ready', within: '5m', mentions: ['spot interruption', 'look at the node group', 'ip-10-0-0-4'] }] },
      run,
    ),
  ).toEqual([]);
  expect(judge({ fire: [{ rule: 'node-not-ready', within: '5m', mentions: ['spot interruption', 'capacity rebalancing'] }] }, run)).toEqual(
    [expect.stringMatching(/^wording: the message announcing node-not-ready \(\+1m, ".*"\) does not mention "capacity rebalancing"$/)],
  );
});

test('notFire catches the forbidden rule, not only its absence', () => {
  expect(judge({ fire: [], notFire: ['node-not-ready'] }, [message(31, change('node-not-ready', 'firing'))])).toEqual([
    'unexpected: node-not-ready fired at +1m but must not: node-not-ready firing',
  ]);
});

test('"quiet during <silence>" fails an alert told while the silence lasts, and passes one told after it', () => {
  const silenced = (fire: ScenarioInput['expect']['fire'], messages: readonly OutboxEntry[]) => {
    const scenario = parseScenario({
      version: 1,
      name: 'judged',
      description: 'A silence from minute 30 to 50.',
      duration: '2h',
      cluster: {
        name: 'judged',
        nodeGroups: [
          {
            name: 'general',
            instanceType: 'm6i.large',
            size: { min: 1, max: 5, desired: 3 },
            node: { cpu: '2', memory: '8Gi', pods: 29, disk: '80Gi' },
          },
        ],
      },
      timeline: [{ id: 'upgrade', at: '30m', do: 'silence', for: '20m', match: { rule: 'node-*' } }],
      expect: { fire },
    });
    return checkExpectations(scenario, new World(scenario, new ManualClock(Date.parse(scenario.start))), messages).map(
      (u) => `${u.kind}: ${u.message}`,
    );
  };
  const fire = [{ rule: 'node-not-ready', within: '30m', quietDuring: 'upgrade' }];
  expect(silenced(fire, [message(50, change('node-not-ready', 'firing'))])).toEqual([]);
  expect(silenced(fire, [message(35, change('node-not-ready', 'firing')), message(50, change('node-not-ready', 'repeat'))])).toEqual([
    'unexpected: node-not-ready was told at +5m (firing), during the silence "upgrade" (+0s to +20m)',
  ]);
});

test('"told to <receivers>": each receiver named must be told it fired, and no other may hear of it', () => {
  const routed = (fire: ScenarioInput['expect']['fire'], messages: readonly OutboxEntry[]) => {
    const scenario = parseScenario({
      version: 1,
      name: 'judged',
      description: 'Node alerts routed to Slack.',
      duration: '2h',
      cluster: {
        name: 'judged',
        nodeGroups: [
          {
            name: 'general',
            instanceType: 'm6i.large',
            size: { min: 1, max: 5, desired: 3 },
            node: { cpu: '2', memory: '8Gi', pods: 29, disk: '80Gi' },
          },
        ],
      },
      routes: { routes: [{ match: { rule: 'node-not-ready' }, receivers: ['slack'] }] },
      timeline: [{ at: '30m', do: 'scale-in', nodeGroup: 'general', desired: 2 }],
      expect: { fire },
    });
    return checkExpectations(scenario, new World(scenario, new ManualClock(Date.parse(scenario.start))), messages).map(
      (u) => `${u.kind}: ${u.message}`,
    );
  };
  const to = (receiver: string, m: OutboxEntry): OutboxEntry => ({ ...m, attributes: { ...m.attributes, receiver } });
  const fire = [{ rule: 'node-not-ready', within: '30m', receivers: ['slack' as const], times: 1 }];
  // One evaluation split over two receivers is one announcement.
  const both = [{ ...fire[0], receivers: ['slack' as const, 'email' as const] }];
  expect(
    routed(both, [
      to('slack', message(35, change('node-not-ready', 'firing'))),
      to('email', message(35, change('node-not-ready', 'firing'))),
    ]),
  ).toEqual([]);
  expect(
    routed(fire, [
      to('slack', message(35, change('node-not-ready', 'firing'))),
      to('slack', message(50, change('node-not-ready', 'resolved'))),
    ]),
  ).toEqual([]);
  expect(routed(fire, [to('email', message(35, change('node-not-ready', 'firing')))])).toEqual([
    'missing: node-not-ready was never told to slack (told to email)',
    'unexpected: node-not-ready was told to email too, not only to slack',
  ]);
  expect(
    routed(fire, [
      to('slack', message(35, change('node-not-ready', 'firing'))),
      to('webhook', message(50, change('node-not-ready', 'resolved'))),
    ]),
  ).toEqual(['unexpected: node-not-ready was told to webhook too, not only to slack']);
});

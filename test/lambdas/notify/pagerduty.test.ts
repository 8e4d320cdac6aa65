import type { z } from 'zod';
import { createLogger, silentLogger } from '../../../common/log';
import { createPagerDutyHandler, PAGERDUTY_EVENTS_URL, pagerDutyTargetOf } from '../../../lambdas/notify/pagerduty';
import { composeMessage } from '../../../lambdas/message/publisher';
import { SecretCache, SecretFormatError } from '../../../lambdas/notify/secrets';
import { FetchWebhookClient } from '../../../lambdas/notify/webhook';
import { DEFAULT_PAGERDUTY_DELIVERIES } from '../../../lib/notifications';
import { buildNotification, DELIVERIES, type Delivery, MAX_ALERT_KEY } from '../../../model/notification';
import { ManualClock } from '../../../model/time';
import {
  pagerDutyProblems,
  startFakePagerDuty,
  type pagerDutyEventSchema,
  type pagerDutyTriggerSchema,
} from '../../../sim/notify/pagerduty-server';
import { StaticSecretSource } from '../../../sim/notify/secrets';
import type { FakeSlack } from '../../../sim/notify/slack-server';
import { AT, domino, leak, resolvedNode, snsEvent } from './fixtures';

// Every post is checked by the loopback endpoint against a strict schema of PagerDuty's documented event
// (sim/notify/pagerduty-server.ts, which cites the Events API v2 docs): an invalid one is answered 400.
type Event = z.infer<typeof pagerDutyEventSchema>;
type Trigger = z.infer<typeof pagerDutyTriggerSchema>;

const KEY = 'R0UT1NGKEY0123456789abcdefABCDEF';
const SECRET = 'vigil/pagerduty';
let pd: FakeSlack;
beforeEach(async () => {
  pd = await startFakePagerDuty();
});
afterEach(() => pd.close());

const policy = { attempts: 3, baseMs: 1, capMs: 2, maxRetryAfterMs: 5000, sleep: async () => undefined, random: () => 0.5 };
// Receiving everything unless a test says otherwise, so the rendering tests see every change.
const handlerWith = (
  secret = JSON.stringify({ routingKey: KEY, url: pd.url }),
  logger = silentLogger,
  timeoutMs?: number,
  receives: readonly Delivery[] = DELIVERIES,
) =>
  createPagerDutyHandler({
    webhookUrl: new SecretCache(new StaticSecretSource({ [SECRET]: secret }), SECRET, new ManualClock(AT), pagerDutyTargetOf),
    webhook: new FetchWebhookClient(timeoutMs),
    logger,
    policy,
    receives,
  });
const receiving = (receives: readonly Delivery[]) => handlerWith(undefined, silentLogger, undefined, receives);
const events = () => pd.posts as Event[];
const publish = (changes: Parameters<typeof composeMessage>[2], at = AT) =>
  snsEvent(JSON.stringify(composeMessage('prod-eu-1', at, changes, { firing: 1, critical: 1, muted: 0 }).notification));

test('one SNS message becomes one event per alert: a trigger with severity, summary, source, component/group/class, evidence and runbook; a resolve with the key only', async () => {
  expect(
    await handlerWith()(publish([{ ...domino, runbookUrl: 'https://wiki.example.com/vigil/scale-in-under-pressure' }, resolvedNode])),
  ).toEqual({ posted: 2 });
  const [trigger, resolve] = events();
  expect(trigger).toMatchObject({
    routing_key: KEY,
    event_action: 'trigger',
    dedup_key: domino.id,
    client: 'Vigil',
    links: [{ href: 'https://wiki.example.com/vigil/scale-in-under-pressure', text: 'Runbook' }],
    payload: {
      severity: 'critical',
      source: 'prod-eu-1/eks-general-5ec8a1b2-1',
      group: 'general',
      class: 'scale-in-under-pressure',
      timestamp: '2026-11-23T12:04:30.000Z',
    },
  });
  const p = (trigger as Trigger).payload;
  expect(p.summary.startsWith('[prod-eu-1] Scale-in under pressure (domino): eks-general-5ec8a1b2-1 lowered desired capacity')).toBe(true);
  expect(p.custom_details).toMatchObject({
    change: 'firing',
    'desired from': '3',
    'pending pods now': '4',
    'Auto Scaling group': 'eks-general-5ec8a1b2-1',
    'what to do': domino.runbook,
  });
  expect(p.custom_details?.includes).toHaveLength(2);
  expect(resolve).toEqual({ routing_key: KEY, event_action: 'resolve', dedup_key: resolvedNode.id });
  expect(events().some((e) => (e.event_action as string) === 'acknowledge')).toBe(false);
});

describe('only what it receives: SNS lets a message through when any of its changes matches the filter', () => {
  const critical = { ...leak(9), id: 'container-oom-killed|critical', severity: 'critical' as const };
  const mixed = [critical, leak(1), leak(2)];
  const ended = mixed.map((c) => ({ ...c, kind: 'resolved' as const, resolvedAt: AT + 600_000 }));
  const actions = () => events().map((e) => `${e.event_action} ${e.dedup_key}`);

  test('one critical alert and two warnings: the default pages once, for the critical one; with warnings received, three times', async () => {
    expect(await receiving(DEFAULT_PAGERDUTY_DELIVERIES)(publish(mixed))).toEqual({ posted: 1 });
    expect(actions()).toEqual([`trigger ${critical.id}`]);
    expect(await receiving(['critical', 'warning', 'resolved'])(publish(mixed))).toEqual({ posted: 3 });
    expect(actions().slice(1).sort()).toEqual(mixed.map((c) => `trigger ${c.id}`).sort());
  });

  test('resolves likewise: only for alerts of a severity it receives, and only with `resolved`', async () => {
    expect(await receiving(DEFAULT_PAGERDUTY_DELIVERIES)(publish(ended, AT + 600_000))).toEqual({ posted: 1 });
    expect(actions()).toEqual([`resolve ${critical.id}`]);
    expect(await receiving(['critical', 'warning', 'resolved'])(publish(ended, AT + 600_000))).toEqual({ posted: 3 });
    expect(await receiving(['critical', 'health'])(publish(ended, AT + 600_000))).toEqual({ posted: 0 });
    expect(events()).toHaveLength(4);
  });

  test("alerts folded into a storm's digest are filtered the same way", async () => {
    const storm = [critical, { ...critical, id: 'container-oom-killed|critical-2' }, ...Array.from({ length: 6 }, (_, i) => leak(i))];
    // One change in detail, the other seven folded: the second critical alert is among them.
    const n = buildNotification('prod-eu-1', AT, storm, { firing: 8, critical: 2, muted: 0 }, 1);
    expect(n.folded?.some((f) => f.severity === 'critical')).toBe(true);
    expect(await receiving(DEFAULT_PAGERDUTY_DELIVERIES)(snsEvent(JSON.stringify(n)))).toEqual({ posted: 2 });
    expect(actions().sort()).toEqual(['trigger container-oom-killed|critical', 'trigger container-oom-killed|critical-2']);
  });

  test("Vigil's own alarms follow `health`", async () => {
    const alarm = {
      AlarmName: 'Vigil-agent-silence-prod-eu-1',
      NewStateValue: 'ALARM',
      NewStateReason: 'Threshold Crossed',
      StateChangeTime: '2026-11-23T12:14:31.123+0000',
    };
    expect(await receiving(['critical', 'resolved'])(snsEvent(JSON.stringify(alarm)))).toEqual({ posted: 0 });
    expect(await receiving(DEFAULT_PAGERDUTY_DELIVERIES)(snsEvent(JSON.stringify(alarm)))).toEqual({ posted: 1 });
  });
});

test("severities map to PagerDuty's; the summary stays within 1,024 characters", async () => {
  await handlerWith()(publish([{ ...leak(1), severity: 'info', summary: 'x'.repeat(600), title: 'T'.repeat(200) }, leak(2)]));
  const [warning, info] = events() as Trigger[];
  expect(info.payload.severity).toBe('info');
  expect(warning.payload.severity).toBe('warning');
  expect(info.payload.summary.length).toBeLessThanOrEqual(1024);
  expect(info.payload).toMatchObject({ component: 'app', group: 'shop', source: 'prod-eu-1/shop/Deployment/svc-1/app' });
});

test('an id longer than 255 characters: a stable key with a readable prefix, the same on the trigger and the resolve', async () => {
  const id = `warning-events|cluster=prod-eu-1|detail=${'FailedMount '.repeat(60)}|namespace=shop`;
  const firing = { ...leak(1), id };
  const handler = handlerWith();
  await handler(publish([firing]));
  await handler(publish([{ ...firing, kind: 'resolved', resolvedAt: AT + 60_000 }], AT + 60_000));
  const [t, r] = events();
  expect(t.dedup_key.length).toBe(MAX_ALERT_KEY);
  expect(t.dedup_key.startsWith('warning-events|cluster=prod-eu-1|detail=FailedMount')).toBe(true);
  expect(r).toEqual({ routing_key: KEY, event_action: 'resolve', dedup_key: t.dedup_key });
  // Another long id with the same beginning gets another key.
  await handler(publish([{ ...firing, id: `${id}x` }]));
  expect(events()[2].dedup_key).not.toBe(t.dedup_key);
});

test('a storm: alerts folded into the digest still get their trigger, and later their resolve, at PagerDuty', async () => {
  const storm = Array.from({ length: 120 }, (_, i) => leak(i));
  const fired = composeMessage('prod-eu-1', AT, storm, { firing: 120, critical: 0, muted: 0 });
  expect(fired.notification.omitted.count).toBeGreaterThan(0);
  const handler = handlerWith();
  expect(await handler(snsEvent(JSON.stringify(fired.notification)))).toEqual({ posted: 120 });
  const triggered = new Set(events().map((e) => e.dedup_key));
  expect(triggered.size).toBe(120);
  const ended = storm.map((c) => ({ ...c, kind: 'resolved' as const, resolvedAt: AT + 600_000 }));
  await handler(
    snsEvent(JSON.stringify(composeMessage('prod-eu-1', AT + 600_000, ended, { firing: 0, critical: 0, muted: 0 }).notification)),
  );
  const resolved = events()
    .filter((e) => e.event_action === 'resolve')
    .map((e) => e.dedup_key);
  expect(new Set(resolved)).toEqual(triggered);
});

test('a storm larger than one message carries: what is left out is counted in a warning, never silently', async () => {
  const lines: string[] = [];
  // 10 changes, 2 in detail, 3 carried one by one: 5 cannot reach PagerDuty.
  const n = buildNotification(
    'prod-eu-1',
    AT,
    Array.from({ length: 10 }, (_, i) => leak(i)),
    { firing: 10, critical: 0, muted: 0 },
    2,
    3,
  );
  expect(await handlerWith(undefined, createLogger({ service: 't', sink: (l) => lines.push(l) }))(snsEvent(JSON.stringify(n)))).toEqual({
    posted: 5,
  });
  expect(lines.map((l) => JSON.parse(l)).find((l) => l.level === 'warn')).toMatchObject({
    untold: 5,
    cluster: 'prod-eu-1',
    message: expect.stringContaining('5 changes are not sent to PagerDuty'),
  });
});

test('429 and 5xx are retried with backoff; a 400 is reported (thrown for the failure queue) without holding back the other events, and a retry posts only what failed', async () => {
  const lines: string[] = [];
  const handler = handlerWith(undefined, createLogger({ service: 't', sink: (l) => lines.push(l) }));
  pd.respond({ status: 429 }, { status: 503 });
  await handler(publish([domino]));
  expect(pd.requests.map((r) => r.status)).toEqual([429, 503, 202]);
  const event = publish([domino, resolvedNode, leak(3)]);
  pd.respond({ status: 202 }, { status: 400, body: '{"status":"invalid event","message":"Event object is invalid","errors":["x"]}' });
  await expect(handler(event)).rejects.toMatchObject({
    name: 'PagerDutyDeliveryError',
    status: 400,
    message: expect.stringContaining('PagerDuty refused 1 of 3 posts'),
  });
  expect(pd.requests.slice(3).map((r) => r.status)).toEqual([202, 400, 202]);
  // Lambda retries the invocation: the two events that went through are not sent again.
  const before = pd.requests.length;
  await handler(event);
  expect(pd.requests.length - before).toBe(1);
  expect(events().at(-1)).toMatchObject({ event_action: 'trigger', dedup_key: leak(3).id });
});

test('an event PagerDuty did not answer is retried (its dedup_key makes that safe), unlike a chat post', async () => {
  pd.respond({ status: 202, delayMs: 500 });
  await expect(handlerWith(undefined, silentLogger, 100)(publish([domino]))).rejects.toMatchObject({ name: 'PagerDutyDeliveryError' });
});

test("Vigil's own alarms: an `error` trigger, resolved when OK; text that is not Vigil's is still sent", async () => {
  const handler = handlerWith();
  const alarm = {
    AlarmName: 'Vigil-agent-silence-prod-eu-1',
    AlarmDescription: 'No batch from the agent',
    NewStateValue: 'ALARM',
    OldStateValue: 'OK',
    NewStateReason: 'Threshold Crossed',
    StateChangeTime: '2026-11-23T12:14:31.123+0000',
    Region: 'EU (Ireland)',
  };
  await handler(snsEvent(JSON.stringify(alarm)));
  await handler(snsEvent(JSON.stringify({ ...alarm, NewStateValue: 'OK' })));
  await handler(snsEvent('Test message from the console', 'Hello'));
  const [fire, ok, text] = events() as Trigger[];
  expect(fire.payload).toMatchObject({
    severity: 'error',
    class: 'vigil-health',
    summary: '[Vigil health] Vigil-agent-silence-prod-eu-1: No batch from the agent',
  });
  expect(ok).toEqual({ routing_key: KEY, event_action: 'resolve', dedup_key: fire.dedup_key });
  expect(text.payload).toMatchObject({ severity: 'warning', summary: 'Hello\nTest message from the console' });
});

test('the secret: a routing key alone or JSON with the EU endpoint; a wrong key or a non-PagerDuty host is refused without its value, as PagerDutySecretUnusable', async () => {
  expect(pagerDutyTargetOf(` ${KEY}\n`)).toEqual({ url: PAGERDUTY_EVENTS_URL, routingKey: KEY });
  expect(pagerDutyTargetOf(JSON.stringify({ routing_key: KEY, url: 'https://events.eu.pagerduty.com/v2/enqueue' }))).toEqual({
    url: 'https://events.eu.pagerduty.com/v2/enqueue',
    routingKey: KEY,
  });
  expect(() => pagerDutyTargetOf('short-key')).toThrow(SecretFormatError);
  expect(() => pagerDutyTargetOf(JSON.stringify({ routingKey: KEY, url: 'https://collector.example.com/enqueue' }))).toThrow(
    /PagerDuty's events endpoint/,
  );
  expect(() => pagerDutyTargetOf('secretvalue-that-is-wrong')).toThrow(
    expect.objectContaining({ message: expect.not.stringContaining('secretvalue') }),
  );
  const lines: string[] = [];
  await expect(handlerWith('not-a-key', createLogger({ service: 't', sink: (l) => lines.push(l) }))(publish([domino]))).resolves.toEqual({
    posted: 0,
  });
  expect(JSON.parse(lines[0])).toMatchObject({ level: 'error', PagerDutySecretUnusable: 1, Service: 'vigil-pagerduty' });
  expect(pd.posts).toHaveLength(0);
});

test('the schema is strict: an acknowledge, an unknown field or a long key is what PagerDuty would refuse', () => {
  expect(pagerDutyProblems({ routing_key: KEY, event_action: 'acknowledge', dedup_key: 'a' })).not.toEqual([]);
  expect(pagerDutyProblems({ routing_key: KEY, event_action: 'resolve', dedup_key: 'k'.repeat(256) })).not.toEqual([]);
  expect(
    pagerDutyProblems({
      routing_key: KEY,
      event_action: 'trigger',
      dedup_key: 'a',
      payload: { summary: 's', source: 'x', severity: 'warning', extra: 1 },
    }),
  ).not.toEqual([]);
  expect(pagerDutyProblems({ routing_key: KEY, event_action: 'resolve', dedup_key: 'a' })).toEqual([]);
});

import { z } from 'zod';
import { createLogger, silentLogger } from '../../../common/log';
import { createWebhookHandler, fingerprintOf } from '../../../lambdas/notify/alertmanager';
import { composeMessage } from '../../../lambdas/message/publisher';
import { WebhookUrlCache } from '../../../lambdas/notify/secrets';
import { FetchWebhookClient } from '../../../lambdas/notify/webhook';
import type { Delivery } from '../../../model/notification';
import { ManualClock } from '../../../model/time';
import { StaticSecretSource } from '../../../sim/notify/secrets';
import { startFakeSlack, type FakeSlack } from '../../../sim/notify/slack-server';
import { AT, domino, leak, resolvedNode, snsEvent } from './fixtures';

/**
 * Alertmanager's webhook payload, version "4", as its `webhook_config` documentation gives it: every field
 * there, no other (strict), labels and annotations string to string, times RFC 3339.
 */
const labelSet = z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/), z.string());
const rfc3339 = z
  .string()
  .refine(
    (t) =>
      t === '0001-01-01T00:00:00Z' || (!Number.isNaN(Date.parse(t)) && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(t)),
    'not RFC 3339',
  );
const status = z.enum(['firing', 'resolved']);
const alertmanagerV4 = z.strictObject({
  version: z.literal('4'),
  groupKey: z.string().min(1),
  truncatedAlerts: z.number().int().nonnegative(),
  status,
  receiver: z.string().min(1),
  groupLabels: labelSet,
  commonLabels: labelSet,
  commonAnnotations: z.record(z.string(), z.string()),
  externalURL: z.string(),
  alerts: z
    .array(
      z.strictObject({
        status,
        labels: labelSet,
        annotations: z.record(z.string(), z.string()),
        startsAt: rfc3339,
        endsAt: rfc3339,
        generatorURL: z.string(),
        fingerprint: z.string().regex(/^[0-9a-f]{16}$/),
      }),
    )
    .min(1),
});
type Body = z.infer<typeof alertmanagerV4>;
const problems = (m: unknown) => {
  const r = alertmanagerV4.safeParse(m);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

const SECRET = 'vigil/webhook';
let receiver: FakeSlack;
let secrets: StaticSecretSource;
beforeEach(async () => {
  receiver = await startFakeSlack(problems);
  secrets = new StaticSecretSource({ [SECRET]: receiver.url });
});
afterEach(() => receiver.close());

const handlerWith = (logger = silentLogger, receives?: readonly Delivery[]) =>
  createWebhookHandler({
    webhookUrl: new WebhookUrlCache(secrets, SECRET, new ManualClock(AT)),
    webhook: new FetchWebhookClient(),
    logger,
    policy: { attempts: 3, baseMs: 1, capMs: 2, maxRetryAfterMs: 5000, sleep: async () => undefined, random: () => 0.5 },
    receives,
  });

test('a notification arrives as an Alertmanager v4 webhook body: one group per cluster, one alert per change, firing and resolved', async () => {
  const m = composeMessage('prod-eu-1', AT, [domino, resolvedNode], { firing: 1, critical: 1, muted: 0 });
  expect(await handlerWith()(snsEvent(JSON.stringify(m.notification), m.subject))).toEqual({ posted: 1 });
  expect(receiver.posts).toHaveLength(1);
  const body = receiver.posts[0] as Body;
  expect(problems(body)).toEqual([]);
  expect(body).toMatchObject({
    version: '4',
    status: 'firing',
    receiver: 'vigil',
    groupKey: '{}:{cluster="prod-eu-1"}',
    groupLabels: { cluster: 'prod-eu-1' },
    truncatedAlerts: 0,
  });
  expect(body.commonLabels).toEqual({ cluster: 'prod-eu-1', nodeGroup: 'general' });
  const [fire, resolved] = body.alerts;
  expect(fire).toMatchObject({ status: 'firing', endsAt: '0001-01-01T00:00:00Z', fingerprint: fingerprintOf(domino.id) });
  expect(fire.labels).toMatchObject({ alertname: 'scale-in-under-pressure', severity: 'critical', cluster: 'prod-eu-1' });
  expect(fire.annotations).toMatchObject({ title: domino.title, summary: domino.summary, runbook: domino.runbook, change: 'firing' });
  expect(fire.annotations.includes).toContain('pods-pending: 4 pods of orders/Deployment/checkout are Pending');
  expect(resolved).toMatchObject({
    status: 'resolved',
    startsAt: '2026-11-23T11:45:00.000Z',
    endsAt: '2026-11-23T12:14:00.000Z',
    fingerprint: fingerprintOf(resolvedNode.id),
    labels: {
      alertname: 'node-not-ready',
      severity: 'warning',
      cluster: 'prod-eu-1',
      nodeGroup: 'general',
      node: 'ip-10-0-0-9.eu-west-1.compute.internal',
    },
  });
  expect(resolved.annotations.description).toContain('reason: KubeletNotReady');
});

test('the alert identity is the fingerprint: the resolution of an alert carries the fingerprint it fired with', async () => {
  const fired = composeMessage('prod-eu-1', AT, [{ ...resolvedNode, kind: 'firing', resolvedAt: undefined }], {
    firing: 1,
    critical: 0,
    muted: 0,
  });
  const ended = composeMessage('prod-eu-1', AT + 60_000, [resolvedNode], { firing: 0, critical: 0, muted: 0 });
  const handler = handlerWith();
  await handler(snsEvent(JSON.stringify(fired.notification)));
  await handler(snsEvent(JSON.stringify(ended.notification)));
  const [a, b] = receiver.posts as Body[];
  expect(a.status).toBe('firing');
  expect(b.status).toBe('resolved');
  expect(b.alerts[0].fingerprint).toBe(a.alerts[0].fingerprint);
});

test('a storm: what is not detailed is counted in truncatedAlerts', async () => {
  const changes = Array.from({ length: 60 }, (_, i) => leak(i));
  const m = composeMessage('prod-eu-1', AT, changes, { firing: 60, critical: 0, muted: 0 });
  await handlerWith()(snsEvent(JSON.stringify(m.notification)));
  const body = receiver.posts[0] as Body;
  expect(body.alerts.length + body.truncatedAlerts).toBe(60);
  expect(body.truncatedAlerts).toBeGreaterThan(0);
});

describe('only what it receives: SNS lets a whole message through when any of its changes matches the filter', () => {
  const critical = { ...leak(9), id: 'container-oom-killed|critical', severity: 'critical' as const };
  const alerts = () => (receiver.posts as Body[]).map((b) => b.alerts.map((a) => `${a.status} ${a.labels.severity} ${a.fingerprint}`));

  test('a webhook feeding a pager with ["critical", "resolved"] gets the critical alert of a message, not the two warnings beside it', async () => {
    const m = composeMessage('prod-eu-1', AT, [critical, leak(1), leak(2)], { firing: 3, critical: 1, muted: 0 });
    expect(await handlerWith(silentLogger, ['critical', 'resolved'])(snsEvent(JSON.stringify(m.notification)))).toEqual({ posted: 1 });
    expect(alerts()).toEqual([[`firing critical ${fingerprintOf(critical.id)}`]]);
    expect(problems(receiver.posts[0])).toEqual([]);
    // Receiving everything (the default), the same message carries all three.
    await handlerWith()(snsEvent(JSON.stringify(m.notification)));
    expect(alerts()[1]).toHaveLength(3);
  });

  test('a message with nothing it receives is not posted at all; resolutions follow their severity', async () => {
    const lines: string[] = [];
    const handler = handlerWith(createLogger({ service: 't', sink: (l) => lines.push(l) }), ['critical', 'resolved']);
    const warnings = composeMessage('prod-eu-1', AT, [leak(1), leak(2)], { firing: 2, critical: 0, muted: 0 });
    expect(await handler(snsEvent(JSON.stringify(warnings.notification)))).toEqual({ posted: 0 });
    expect(lines.map((l) => JSON.parse(l).message)).toContain('nothing in it that Webhook receives: not posted');
    const ended = [critical, leak(1)].map((c) => ({ ...c, kind: 'resolved' as const, resolvedAt: AT + 600_000 }));
    await handler(
      snsEvent(JSON.stringify(composeMessage('prod-eu-1', AT + 600_000, ended, { firing: 0, critical: 0, muted: 0 }).notification)),
    );
    expect(alerts()).toEqual([[`resolved critical ${fingerprintOf(critical.id)}`]]);
  });

  test("Vigil's own alarms reach it only with `health`", async () => {
    const alarm = {
      AlarmName: 'Vigil-agent-silence-prod-eu-1',
      NewStateValue: 'ALARM',
      NewStateReason: 'Threshold Crossed',
      StateChangeTime: '2026-11-23T12:14:31.123+0000',
    };
    expect(await handlerWith(silentLogger, ['critical', 'resolved'])(snsEvent(JSON.stringify(alarm)))).toEqual({ posted: 0 });
    expect(await handlerWith(silentLogger, ['critical', 'health'])(snsEvent(JSON.stringify(alarm)))).toEqual({ posted: 1 });
  });
});

test("Vigil's own alarms and text that is not Vigil's are still sent, as valid bodies", async () => {
  const lines: string[] = [];
  const handler = handlerWith(createLogger({ service: 't', sink: (l) => lines.push(l) }));
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
  await handler(snsEvent(JSON.stringify({ v: 99, cluster: 'prod' })));
  const [firing, ok, text, newer] = receiver.posts as Body[];
  expect(firing.alerts[0]).toMatchObject({
    status: 'firing',
    labels: { alertname: 'Vigil-agent-silence-prod-eu-1' },
    startsAt: '2026-11-23T12:14:31.123Z',
  });
  expect(ok.status).toBe('resolved');
  expect(text.alerts[0]).toMatchObject({
    labels: { alertname: 'VigilMessage' },
    annotations: { summary: 'Hello', description: 'Test message from the console' },
  });
  expect(newer.alerts[0].annotations.description).toBe('{"v":99,"cluster":"prod"}');
  expect(lines.map((l) => JSON.parse(l).message)).toContain('not a Vigil notification of this version; posted as text');
});

test('the shared delivery discipline: a redelivered message is not sent twice; a refusal is thrown, named after the receiver', async () => {
  const handler = handlerWith();
  const event = snsEvent('once');
  await handler(event);
  await handler(event);
  expect(receiver.posts).toHaveLength(1);
  receiver.respond({ status: 400, body: 'bad payload' });
  await expect(handler(snsEvent('two'))).rejects.toMatchObject({
    name: 'WebhookDeliveryError',
    status: 400,
    message: 'Webhook refused the message: HTTP 400: bad payload',
  });
});

test('an unusable secret: nothing thrown, one error line with the WebhookSecretUnusable metric', async () => {
  const lines: string[] = [];
  const handler = createWebhookHandler({
    webhookUrl: new WebhookUrlCache(new StaticSecretSource({}), SECRET, new ManualClock(AT)),
    webhook: new FetchWebhookClient(),
    logger: createLogger({ service: 't', sink: (l) => lines.push(l) }),
    clock: new ManualClock(AT),
  });
  await expect(handler(snsEvent('x'))).resolves.toEqual({ posted: 0 });
  expect(JSON.parse(lines[0])).toMatchObject({ level: 'error', WebhookSecretUnusable: 1, Service: 'vigil-webhook' });
});

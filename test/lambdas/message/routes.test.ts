/**
 * One evaluation's changes split per receiver: each message carries only what was routed to its receiver,
 * names it in the `receiver` attribute its subscription filters on, and lists its route labels (`team`) as
 * `String.Array` attributes. Without routes: one message, no `receiver` attribute, as before routing.
 */
import { composeMessages } from '../../../lambdas/message/routes';
import { snsPublishInput } from '../../../lambdas/message/publisher';
import type { AlertChange } from '../../../model/notification';
import type { Routing } from '../../../model/route';
import { AT, leak, resolvedNode } from '../notify/fixtures';

const ACTIVE = { firing: 3, critical: 0, muted: 0 };
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:vigil-alerts';
const team = (c: AlertChange, t: string, namespace = c.subject.namespace): AlertChange => ({
  ...c,
  subject: { ...c.subject, namespace },
  labels: { team: t },
});

const shop = team(leak(1), 'shop');
const data = team(leak(2), 'data', 'etl');
const ROUTING: Routing = {
  receivers: ['email'],
  routes: [
    { match: { labels: { team: 'shop' } }, receivers: ['slack'] },
    { match: { labels: { team: 'data' } }, receivers: ['webhook'] },
  ],
};

test('with routes, one message per receiver, each with only its alerts and its receiver and team attributes', () => {
  const messages = composeMessages({ routing: ROUTING, routeLabels: ['team'] }, 'prod-eu-1', AT, [shop, data, resolvedNode], ACTIVE);
  expect(messages.map((m) => [m.message.attributes.receiver, m.alertIds])).toEqual([
    ['slack', [shop.id]],
    ['webhook', [data.id]],
    ['email', [resolvedNode.id]],
  ]);
  const slack = snsPublishInput(TOPIC, messages[0].message);
  expect(slack.MessageAttributes).toEqual({
    severity: { DataType: 'String', StringValue: 'warning' },
    severities: { DataType: 'String.Array', StringValue: '["warning"]' },
    cluster: { DataType: 'String', StringValue: 'prod-eu-1' },
    rule: { DataType: 'String', StringValue: 'container-oom-killed' },
    receiver: { DataType: 'String', StringValue: 'slack' },
    team: { DataType: 'String.Array', StringValue: '["shop"]' },
  });
  expect(messages[0].message.text).not.toContain('svc-2');
  // A node alert has no team: no team attribute, and it took the default route.
  expect(snsPublishInput(TOPIC, messages[2].message).MessageAttributes).not.toHaveProperty('team');
});

test('without routes, one message for every receiver: no receiver attribute, teams of all its alerts listed', () => {
  const [only, ...more] = composeMessages({ routeLabels: ['team'] }, 'prod-eu-1', AT, [shop, data, resolvedNode], ACTIVE);
  expect(more).toEqual([]);
  expect(only.alertIds).toEqual([shop.id, data.id, resolvedNode.id]);
  const attributes = snsPublishInput(TOPIC, only.message).MessageAttributes!;
  expect(attributes).not.toHaveProperty('receiver');
  expect(attributes.team).toEqual({ DataType: 'String.Array', StringValue: '["data","shop"]' });
});

test("a storm routed to one receiver keeps its digest: alerts folded into it are still that receiver's", () => {
  const storm = Array.from({ length: 80 }, (_, i) => team(leak(i), 'shop'));
  const [m] = composeMessages({ routing: ROUTING, routeLabels: ['team'] }, 'prod-eu-1', AT, storm, ACTIVE);
  expect(m.message.attributes.receiver).toBe('slack');
  expect(m.alertIds).toHaveLength(80);
  expect(m.message.notification.changes.length + m.message.notification.omitted.count).toBe(80);
});

test('a route label key with a prefix becomes an attribute SNS accepts', () => {
  const owned = { ...leak(3), labels: { 'example.com/owner': 'payments' } };
  const [m] = composeMessages({ routeLabels: ['example.com/owner'] }, 'prod-eu-1', AT, [owned], ACTIVE);
  expect(snsPublishInput(TOPIC, m.message).MessageAttributes!['example.com_owner']).toEqual({
    DataType: 'String.Array',
    StringValue: '["payments"]',
  });
});

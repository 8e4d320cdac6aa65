import { buildNotification, MAX_DETAILED, notificationSchema } from '../../../lambdas/notify/notification';
import { AT, domino, leak, resolvedNode } from './fixtures';

const active = { firing: 3, critical: 1, muted: 2 };

test('most important first; severity is the highest firing one; rule is the single rule or "multiple"', () => {
  const n = buildNotification('prod-eu-1', AT, [resolvedNode, leak(1), domino], active);
  expect(n.changes.map((c) => c.rule)).toEqual(['scale-in-under-pressure', 'container-oom-killed', 'node-not-ready']);
  expect(n).toMatchObject({ severity: 'critical', rule: 'multiple', counts: { firing: 2, resolved: 1 }, omitted: { count: 0, rules: [] }, active });
  expect(buildNotification('prod-eu-1', AT, [resolvedNode], active)).toMatchObject({ severity: 'resolved', rule: 'node-not-ready' });
  expect(notificationSchema.safeParse(n).success).toBe(true);
});

test('a storm is bounded: the first ones in detail, the rest counted per rule', () => {
  const n = buildNotification('prod-eu-1', AT, [domino, ...Array.from({ length: 200 }, (_, i) => leak(i))], active);
  expect(n.changes).toHaveLength(MAX_DETAILED);
  expect(n.changes[0].rule).toBe('scale-in-under-pressure');
  expect(n.omitted).toEqual({ count: 151, rules: [{ rule: 'container-oom-killed', title: 'Container OOM-killed', count: 151 }] });
  expect(n.counts).toEqual({ firing: 201, resolved: 0 });
});

test('long texts are cut so the payload always validates', () => {
  const long = { ...leak(1), summary: 'x'.repeat(5000), evidence: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, 'v'.repeat(2000)])) };
  const n = buildNotification('prod-eu-1', AT, [long], active);
  expect(n.changes[0].summary).toHaveLength(600);
  expect(Object.keys(n.changes[0].evidence)).toHaveLength(16);
  expect(notificationSchema.safeParse(n).success).toBe(true);
});

import { alertKey, buildNotification, MAX_ALERT_KEY, MAX_DETAILED, notificationSchema } from '../../model/notification';
import { AT, domino, leak, resolvedNode } from '../lambdas/notify/fixtures';

const active = { firing: 3, critical: 1, muted: 2 };

test('most important first; severity is the highest firing one; rule is the single rule or "multiple"', () => {
  const n = buildNotification('prod-eu-1', AT, [resolvedNode, leak(1), domino], active);
  expect(n.changes.map((c) => c.rule)).toEqual(['scale-in-under-pressure', 'container-oom-killed', 'node-not-ready']);
  expect(n).toMatchObject({
    severity: 'critical',
    rule: 'multiple',
    counts: { firing: 2, resolved: 1 },
    omitted: { count: 0, rules: [] },
    active,
  });
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

test('a storm carries its folded changes one by one, openings and closings before reminders, within the limit; without a storm, none', () => {
  const repeats = Array.from({ length: 3 }, (_, i) => ({ ...leak(100 + i), kind: 'repeat' as const }));
  const ended = { ...resolvedNode, id: `${'x'.repeat(300)}|node-not-ready` };
  const n = buildNotification('prod-eu-1', AT, [...repeats, ended, ...Array.from({ length: 60 }, (_, i) => leak(i))], active, 50, 12);
  expect(n.omitted.count).toBe(14);
  expect(n.folded).toHaveLength(12);
  // The resolution is carried (its key bounded), the repeats are the ones left out.
  expect(n.folded?.find((f) => f.kind === 'resolved')).toEqual({
    key: alertKey(ended.id),
    kind: 'resolved',
    rule: 'node-not-ready',
    severity: 'warning',
    where: resolvedNode.subject.node,
  });
  expect(alertKey(ended.id)).toHaveLength(MAX_ALERT_KEY);
  expect(n.folded?.filter((f) => f.kind === 'repeat')).toHaveLength(1);
  expect(notificationSchema.safeParse(n).success).toBe(true);
  expect(buildNotification('prod-eu-1', AT, [domino], active).folded).toBeUndefined();
});

test('long texts are cut so the payload always validates', () => {
  const long = {
    ...leak(1),
    summary: 'x'.repeat(5000),
    evidence: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, 'v'.repeat(2000)])),
  };
  const n = buildNotification('prod-eu-1', AT, [long], active);
  expect(n.changes[0].summary).toHaveLength(600);
  expect(Object.keys(n.changes[0].evidence)).toHaveLength(16);
  expect(notificationSchema.safeParse(n).success).toBe(true);
});

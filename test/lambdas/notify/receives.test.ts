import { buildNotification, notificationSchema } from '../../../model/notification';
import { receivedPart } from '../../../lambdas/notify/receives';
import { AT, domino, leak, resolvedNode } from './fixtures';

const critical = { ...leak(9), id: 'container-oom-killed|critical', rule: 'container-oom-killed', severity: 'critical' as const };
const active = { firing: 3, critical: 1, muted: 0 };

test('cut to the critical changes: headline, rule and counts are those of what is left, and it still validates', () => {
  const n = buildNotification('prod-eu-1', AT, [critical, leak(1), leak(2), resolvedNode], active);
  const part = receivedPart(n, ['critical', 'resolved']);
  expect(part?.changes.map((c) => c.id)).toEqual([critical.id]);
  expect(part).toMatchObject({ severity: 'critical', rule: 'container-oom-killed', counts: { firing: 1, resolved: 0 }, active });
  expect(notificationSchema.safeParse(part).success).toBe(true);
});

test('everything received: the same notification; nothing received: none', () => {
  const n = buildNotification('prod-eu-1', AT, [leak(1), leak(2)], active);
  expect(receivedPart(n, ['critical', 'warning', 'resolved'])).toBe(n);
  expect(receivedPart(n, ['critical', 'resolved'])).toBeUndefined();
  expect(receivedPart(n, ['info', 'health'])).toBeUndefined();
});

test('only resolutions left: the headline is `resolved`', () => {
  const n = buildNotification('prod-eu-1', AT, [leak(1), { ...domino, kind: 'resolved', resolvedAt: AT }], active);
  expect(receivedPart(n, ['critical', 'resolved'])).toMatchObject({
    severity: 'resolved',
    rule: domino.rule,
    changes: [{ id: domino.id, kind: 'resolved' }],
    counts: { firing: 0, resolved: 1 },
  });
});

test("a storm's folded changes are cut the same way and recounted per rule", () => {
  const storm = [critical, { ...critical, id: 'container-oom-killed|critical-2' }, ...Array.from({ length: 6 }, (_, i) => leak(i))];
  const n = buildNotification('prod-eu-1', AT, storm, { firing: 8, critical: 2, muted: 0 }, 1);
  expect(n.omitted.count).toBe(7);
  const part = receivedPart(n, ['critical']);
  expect(part?.folded?.map((f) => f.key)).toEqual(['container-oom-killed|critical-2']);
  expect(part?.omitted).toEqual({ count: 1, rules: [{ rule: 'container-oom-killed', title: critical.title, count: 1 }] });
  expect(part?.counts).toEqual({ firing: 2, resolved: 0 });
});

test('changes a storm counted without folding keep being counted: their severity is not known', () => {
  const storm = [critical, ...Array.from({ length: 6 }, (_, i) => leak(i))];
  const n = buildNotification('prod-eu-1', AT, storm, active, 1, 2);
  const part = receivedPart(n, ['critical']);
  expect(part?.changes.map((c) => c.id)).toEqual([critical.id]);
  expect(part?.folded).toBeUndefined();
  expect(part?.omitted.count).toBe(4);
});

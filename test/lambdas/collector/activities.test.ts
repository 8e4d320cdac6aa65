import fc from 'fast-check';
import {
  activitiesSince,
  advanceWatermark,
  FIRST_LOOKBACK_MS,
  groupFingerprint,
  MAX_LOOKBACK_MS,
  needsActivityRead,
  RECHECK_MS,
  type GroupWatermark,
} from '../../../lambdas/collector/activities';
import type { AutoScalingGroup, ScalingActivity } from '../../../model/domain';
import { MINUTE_MS } from '../../../model/time';

const NOW = Date.UTC(2026, 10, 23, 12, 0);
const group = (over: Partial<AutoScalingGroup> = {}): AutoScalingGroup => ({
  name: 'eks-general-1',
  min: 1,
  max: 5,
  desired: 2,
  inService: 2,
  pending: 0,
  terminating: 0,
  standby: 0,
  instances: [
    { instanceId: 'i-01', lifecycleState: 'InService', healthStatus: 'Healthy', zone: 'eu-west-1a' },
    { instanceId: 'i-02', lifecycleState: 'InService', healthStatus: 'Healthy', zone: 'eu-west-1b' },
  ],
  ...over,
});
const act = (id: string, minutesAgo: number, status: string): ScalingActivity => ({
  activityId: id,
  autoScalingGroup: 'eks-general-1',
  status,
  cause: 'At … changing the desired capacity from 3 to 2.',
  description: 'Terminating EC2 instance: i-03',
  startTime: NOW - minutesAgo * MINUTE_MS,
});

test('the first read looks back an hour and reports everything it finds', () => {
  expect(activitiesSince(undefined, NOW)).toBe(NOW - FIRST_LOOKBACK_MS);
  const read = [act('b', 5, 'Successful'), act('a', 30, 'Successful')];
  const { report, next } = advanceWatermark(group(), undefined, read, NOW);
  expect(report.map((a) => a.activityId)).toEqual(['a', 'b']);
  expect(next).toEqual({ since: NOW - 5 * MINUTE_MS, seen: { b: 'Successful' }, fingerprint: groupFingerprint(group()), checkedAt: NOW });
});

test('an open activity holds the watermark until it ends, and its end is reported', () => {
  const first = advanceWatermark(group(), undefined, [act('launch', 3, 'InProgress'), act('old', 20, 'Successful')], NOW);
  expect(first.next.since).toBe(NOW - 3 * MINUTE_MS);
  const later = NOW + 5 * MINUTE_MS;
  const second = advanceWatermark(group(), first.next, [act('launch', 3, 'Failed')], later);
  expect(second.report).toEqual([act('launch', 3, 'Failed')]);
  const third = advanceWatermark(group(), second.next, [act('launch', 3, 'Failed')], later + MINUTE_MS);
  expect(third.report).toEqual([]);
});

test('a group is read again only when it can have news', () => {
  const w: GroupWatermark = {
    since: NOW - 10 * MINUTE_MS,
    seen: { a: 'Successful' },
    fingerprint: groupFingerprint(group()),
    checkedAt: NOW,
  };
  expect(needsActivityRead(group(), undefined, NOW)).toBe(true);
  expect(needsActivityRead(group(), w, NOW + MINUTE_MS)).toBe(false);
  expect(needsActivityRead(group({ desired: 3 }), w, NOW + MINUTE_MS)).toBe(true);
  expect(
    needsActivityRead(
      group({ instances: [group().instances[0], { ...group().instances[1], lifecycleState: 'Terminating' }] }),
      w,
      NOW + MINUTE_MS,
    ),
  ).toBe(true);
  expect(needsActivityRead(group({ inService: 1 }), w, NOW + MINUTE_MS)).toBe(true);
  expect(needsActivityRead(group(), { ...w, seen: { a: 'InProgress' } }, NOW + MINUTE_MS)).toBe(true);
  expect(needsActivityRead(group(), w, NOW + RECHECK_MS)).toBe(true);
});

test('an activity stuck open is not followed back further than a day', () => {
  const w: GroupWatermark = { since: NOW - 3 * MAX_LOOKBACK_MS, seen: {}, fingerprint: '', checkedAt: NOW };
  expect(activitiesSince(w, NOW)).toBe(NOW - MAX_LOOKBACK_MS);
});

test('over any history, every status an activity shows is reported, and nothing else', () => {
  // Each activity starts at some minute, moves through open statuses, and may end in a final one.
  const path = fc
    .tuple(
      fc.array(fc.constantFrom('PreInService', 'InProgress', 'WaitingForInstanceWarmup'), { maxLength: 3 }),
      fc.option(fc.constantFrom('Successful', 'Failed', 'Cancelled'), { nil: undefined }),
    )
    .map(([open, final]) => (final ? [...open, final] : open))
    .filter((p) => p.length > 0);
  const history = fc.array(fc.record({ start: fc.integer({ min: 0, max: 50 }), path }), { maxLength: 12 });
  fc.assert(
    fc.property(history, (acts) => {
      const reported: string[] = [];
      let w: GroupWatermark | undefined;
      for (let minute = 0; minute <= 60; minute++) {
        const now = NOW + minute * MINUTE_MS;
        const since = activitiesSince(w, now);
        const visible = acts
          .map((a, i) => ({ a, i }))
          .filter(({ a }) => a.start <= minute)
          .map(({ a, i }) => ({
            ...act(`a${i}`, 0, a.path[Math.min(a.path.length - 1, minute - a.start)]),
            startTime: NOW + a.start * MINUTE_MS,
          }))
          .filter((x) => x.startTime >= since);
        const r = advanceWatermark(group(), w, visible, now);
        reported.push(...r.report.map((x) => `${x.activityId}:${x.status}`));
        w = r.next;
      }
      const expected = new Set(acts.flatMap((a, i) => a.path.slice(0, 61 - a.start).map((s) => `a${i}:${s}`)));
      for (const e of expected) expect(reported).toContain(e);
      for (const r of reported) expect(expected.has(r)).toBe(true);
    }),
  );
});

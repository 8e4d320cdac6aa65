import { EventTracker } from '../../../agent/kube/events';
import type { KubeEvent } from '../../../model/domain';

const T = Date.UTC(2026, 10, 23, 12, 0, 0);
const event = (uid: string, reason: string, count: number, lastSeen: number): KubeEvent => ({
  objectUid: uid,
  objectKind: 'Pod',
  objectName: uid,
  reason,
  type: 'Warning',
  message: 'm',
  count,
  firstSeen: T,
  lastSeen,
});

describe('EventTracker', () => {
  it('reports an event once per (object, reason), again only when its count or time moves', () => {
    const t = new EventTracker();
    t.observe(event('a', 'BackOff', 1, T));
    t.observe(event('a', 'BackOff', 2, T + 10_000));
    t.observe(event('a', 'Unhealthy', 1, T));
    expect(t.take(10, T + 20_000).map((e) => [e.reason, e.count])).toEqual([
      ['BackOff', 2],
      ['Unhealthy', 1],
    ]);
    t.observe(event('a', 'BackOff', 2, T + 10_000)); // the same again (a re-list): nothing new
    expect(t.take(10, T + 30_000)).toEqual([]);
    t.observe(event('a', 'BackOff', 3, T + 40_000));
    expect(t.take(10, T + 50_000).map((e) => e.count)).toEqual([3]);
  });

  it('hands out the most recent first and keeps the rest for the next batch', () => {
    const t = new EventTracker();
    for (let i = 0; i < 5; i++) t.observe(event(`p${i}`, 'Failed', 1, T + i));
    expect(t.take(2, T).map((e) => e.objectUid)).toEqual(['p4', 'p3']);
    expect(t.take(10, T).map((e) => e.objectUid)).toEqual(['p2', 'p1', 'p0']);
  });

  it('bounds what waits and what it remembers', () => {
    const t = new EventTracker({ maxPending: 3, rememberMs: 60_000 });
    for (let i = 0; i < 5; i++) t.observe(event(`p${i}`, 'Failed', 1, T + i));
    expect(t.size).toBe(3);
    expect(t.overflowed).toBe(2);
    expect(t.take(10, T).map((e) => e.objectUid)).toEqual(['p4', 'p3', 'p2']);
    t.take(10, T + 120_000); // forgets p2..p4
    t.observe(event('p4', 'Failed', 1, T + 4));
    expect(t.size).toBe(1);
  });
});

import { advance, decide, needsWrite, told, type AlertDoc, type AlertTiming } from '../../../lambdas/evaluator/state';
import type { RuleFinding } from '../../../lambdas/evaluator/rules/types';
import { MINUTE_MS } from '../../../model/time';

const T = Date.UTC(2026, 10, 23, 12, 0);
const timing: AlertTiming = {
  title: 'Node not ready',
  forMs: 5 * MINUTE_MS,
  resolveAfterMs: 5 * MINUTE_MS,
  renotifyEveryMs: 60 * MINUTE_MS,
  event: false,
};
const finding = (over: Partial<RuleFinding> = {}): RuleFinding => ({
  rule: 'node-not-ready',
  subject: { cluster: 'prod', node: 'n1' },
  severity: 'warning',
  summary: 'Node n1 is NotReady',
  evidence: { ready: 'False' },
  runbook: 'Check the kubelet.',
  ...over,
});
const ID = 'node-not-ready|cluster=prod|node=n1';

/** Runs the machine over minutes: `present[i]` says whether the finding exists at minute i; returns notifications. */
function play(present: readonly boolean[], t: AlertTiming = timing, f = finding(), muted: (i: number) => boolean = () => false): string[] {
  let doc: AlertDoc | undefined;
  const out: string[] = [];
  present.forEach((p, i) => {
    const now = T + i * MINUTE_MS;
    let next = advance(doc, p ? f : undefined, t, ID, now);
    const d = decide(next, t, { muted: muted(i), renotify: false, now });
    if (d && next) {
      next = told(next, d, now);
      if (!d.silent) out.push(`${i}:${d.kind}`);
    }
    doc = next;
  });
  return out;
}

test('pending until `for` holds, then firing once', () => {
  expect(play(Array(12).fill(true))).toEqual(['5:firing']);
});

test("the condition's own start time counts toward `for`", () => {
  expect(play([true, true], timing, finding({ since: T - 10 * MINUTE_MS }))).toEqual(['0:firing']);
});

test('a blip resets pending: nothing fires', () => {
  expect(play([true, true, true, false, true, true, true, true, false])).toEqual([]);
});

test('resolved after 5 minutes absent; present again within them: still the same firing alert', () => {
  expect(play([...Array(6).fill(true), false, false, true, ...Array(5).fill(false), false])).toEqual(['5:firing', '14:resolved']);
});

test('re-notified every `renotifyEvery` while firing', () => {
  expect(play(Array(130).fill(true))).toEqual(['5:firing', '65:repeat', '125:repeat']);
});

test('flapping: the third firing within the hour is announced as flapping, then it is held', () => {
  const quick = { ...timing, forMs: 0, resolveAfterMs: 0 };
  const cycle = [true, false];
  expect(play([...cycle, ...cycle, ...cycle, ...cycle, ...Array(40).fill(false)], quick)).toEqual([
    '0:firing',
    '1:resolved',
    '2:firing',
    '3:resolved',
    '4:flapping',
    '37:resolved',
  ]);
});

test('occurrence rules end without a message, and fire again on the next occurrence', () => {
  const event = { ...timing, forMs: 0, resolveAfterMs: 10 * MINUTE_MS, event: true };
  expect(play([true, false, ...Array(11).fill(false), true], event)).toEqual(['0:firing', '13:firing']);
});

test('muted alerts move through their states silently; a resolution people were told about is still sent', () => {
  expect(play(Array(10).fill(true), timing, finding(), () => true)).toEqual([]);
  // Told at minute 5, muted from minute 7: no reminder, but the resolution.
  expect(play([...Array(8).fill(true), ...Array(7).fill(false)], timing, finding(), (i) => i >= 7)).toEqual(['5:firing', '13:resolved']);
  // Muted, then the muter goes while it is clearing: never announced, never resolved.
  expect(play([...Array(8).fill(true), ...Array(7).fill(false)], timing, finding(), (i) => i < 9)).toEqual([]);
});

test('escalation is announced once; de-escalation is not', () => {
  let doc = advance(undefined, finding({ since: T - 10 * MINUTE_MS }), timing, ID, T)!;
  doc = told(doc, decide(doc, timing, { muted: false, renotify: false, now: T })!, T);
  const up = advance(doc, finding({ severity: 'critical' }), timing, ID, T + MINUTE_MS)!;
  expect(decide(up, timing, { muted: false, renotify: false, now: T + MINUTE_MS })?.kind).toBe('escalated');
  const down = advance(told(up, { kind: 'escalated', silent: false }, T + MINUTE_MS), finding(), timing, ID, T + 2 * MINUTE_MS)!;
  expect(decide(down, timing, { muted: false, renotify: false, now: T + 2 * MINUTE_MS })).toBeUndefined();
});

test('an escalation found while muted is not announced once the finding is gone: only what is true at send time', () => {
  const critical = finding({ severity: 'critical', summary: 'Node n1 has 0 MiB available' });
  let doc = advance(undefined, finding({ since: T - 10 * MINUTE_MS }), timing, ID, T)!;
  doc = told(doc, decide(doc, timing, { muted: false, renotify: false, now: T })!, T);
  doc = advance(doc, critical, timing, ID, T + MINUTE_MS)!;
  expect(decide(doc, timing, { muted: true, renotify: false, now: T + MINUTE_MS })).toBeUndefined();
  // The muter goes in the minute the node recovers: the stored values still say critical, 0 MiB.
  const gone = advance(doc, undefined, timing, ID, T + 2 * MINUTE_MS)!;
  expect(gone).toMatchObject({ phase: 'firing', severity: 'critical', absentSince: T + 2 * MINUTE_MS });
  expect(decide(gone, timing, { muted: false, renotify: false, now: T + 2 * MINUTE_MS })).toBeUndefined();
  // Still there when unmuted: the escalation is announced, once.
  const still = advance(doc, critical, timing, ID, T + 2 * MINUTE_MS)!;
  expect(decide(still, timing, { muted: false, renotify: false, now: T + 2 * MINUTE_MS })?.kind).toBe('escalated');
});

test('identity is the id given, values are updated in place; only meaningful changes are written', () => {
  const a = advance(undefined, finding(), timing, ID, T)!;
  expect(a).toMatchObject({ id: ID, phase: 'pending', pendingSince: T, version: 0 });
  const b = advance(
    a,
    finding({ summary: 'Node n1 is NotReady (2 nodes down)', evidence: { ready: 'False', nodesNotReady: 2 } }),
    timing,
    ID,
    T + MINUTE_MS,
  )!;
  expect(b.summary).toMatch(/2 nodes down/);
  expect(needsWrite(a, b, T + MINUTE_MS)).toBe(false);
  expect(needsWrite(a, b, T + 11 * MINUTE_MS)).toBe(true);
  expect(needsWrite(a, advance(b, finding(), timing, ID, T + 5 * MINUTE_MS)!, T + 5 * MINUTE_MS)).toBe(true);
});

test('a re-notification a rule asks for (a count jump) is sent once per count: a run that sees the same jump again stays quiet', () => {
  let doc = advance(undefined, finding({ since: T - 10 * MINUTE_MS, count: 1 }), timing, ID, T)!;
  doc = told(doc, decide(doc, timing, { muted: false, renotify: false, now: T })!, T);
  const jump = advance(doc, finding({ count: 15, renotify: true }), timing, ID, T + MINUTE_MS)!;
  expect(decide(jump, timing, { muted: false, renotify: true, now: T + MINUTE_MS })?.kind).toBe('updated');
  const again = advance(
    told(jump, { kind: 'updated', silent: false }, T + MINUTE_MS),
    finding({ count: 15, renotify: true }),
    timing,
    ID,
    T + MINUTE_MS + 1000,
  )!;
  expect(decide(again, timing, { muted: false, renotify: true, now: T + MINUTE_MS + 1000 })).toBeUndefined();
});

test("an alert that joins another's story is told once, as an update, and ends with that story without a message of its own", () => {
  const now = T + 10 * MINUTE_MS;
  let doc: AlertDoc = { ...advance(undefined, finding({ since: T - 10 * MINUTE_MS }), timing, ID, now)!, absorbedBy: 'node-disk-low|n1' };
  const joined = decide(doc, timing, { muted: true, joins: true, renotify: false, now });
  expect(joined).toEqual({ kind: 'updated', silent: false });
  doc = told(doc, joined!, now);
  // Told: later minutes under the story say nothing more.
  expect(
    decide(advance(doc, finding(), timing, ID, now + MINUTE_MS), timing, {
      muted: true,
      joins: true,
      renotify: false,
      now: now + MINUTE_MS,
    }),
  ).toBeUndefined();
  // An absorption that is no news stays quiet.
  expect(decide({ ...doc, notified: undefined }, timing, { muted: true, renotify: false, now })).toBeUndefined();
  let gone = advance(doc, undefined, timing, ID, now + 2 * MINUTE_MS)!;
  gone = advance(gone, undefined, timing, ID, now + 8 * MINUTE_MS)!;
  expect(gone.phase).toBe('resolved');
  expect(decide(gone, timing, { muted: false, renotify: false, now: now + 8 * MINUTE_MS })).toEqual({ kind: 'resolved', silent: true });
  // One told on its own before it was absorbed still gets its resolution.
  const alone = told({ ...doc, absorbedBy: undefined, notified: undefined }, { kind: 'firing', silent: false }, now);
  expect(decide({ ...alone, absorbedBy: 'x', phase: 'resolved', resolvedAt: now }, timing, { muted: false, renotify: false, now })).toEqual(
    { kind: 'resolved', silent: false },
  );
});

test('a story is updated when a new kind of trouble joins it, not by one that is part of a kind already told (OOM kills under restarts)', () => {
  const c = (rule: string, id = `${rule}|x`) => ({ id, rule, summary: rule });
  let doc = advance(undefined, finding({ since: T - 10 * MINUTE_MS, constituents: [c('node-memory-low')] }), timing, ID, T)!;
  doc = told(doc, decide(doc, timing, { muted: false, renotify: false, now: T })!, T);
  const later = T + 20 * MINUTE_MS;
  const restarts = advance(doc, finding({ constituents: [c('node-memory-low'), c('container-restarts')] }), timing, ID, later)!;
  expect(decide(restarts, timing, { muted: false, renotify: false, now: later })?.kind).toBe('updated');
  doc = told(restarts, { kind: 'updated', silent: false }, later);
  const oom = advance(
    doc,
    finding({ constituents: [c('node-memory-low'), c('container-restarts'), c('container-oom-killed')] }),
    timing,
    ID,
    later + 20 * MINUTE_MS,
  )!;
  expect(decide(oom, timing, { muted: false, renotify: false, now: later + 20 * MINUTE_MS })).toBeUndefined();
  const pending = advance(
    doc,
    finding({ constituents: [c('node-memory-low'), c('container-restarts'), c('pods-pending')] }),
    timing,
    ID,
    later + 20 * MINUTE_MS,
  )!;
  expect(decide(pending, timing, { muted: false, renotify: false, now: later + 20 * MINUTE_MS })?.kind).toBe('updated');
});

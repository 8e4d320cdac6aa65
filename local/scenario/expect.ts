/**
 * Whether a run met its scenario's expectations, judged from the messages — what a person would have
 * received: every expected alert notified as firing no later than `within` after the onset (earlier — a
 * warning before the incident — counts), as often as expected, before the happening it must precede, never
 * above its severity and with the words it must say; nothing fired that must not; and no more messages,
 * in all and per rule, than the scenario's budget.
 */
import type { Severity, Subject } from '../../model/domain';
import { formatDuration, parseDuration } from '../../model/quantity';
import type { EpochMs } from '../../model/time';
import type { ChangeKind } from '../../model/notification';
import type { OutboxEntry } from '../../sim/notify/outbox';
import type { World } from '../world';
import type { ExpectedAlert, Scenario } from './format';

/** One alert told in one message (a change detailed in it, or a rule its storm digest only counts). */
export interface Told {
  readonly t: EpochMs;
  /** Index of the message in the run. */
  readonly message: number;
  /** Absent for a digest's count. */
  readonly kind?: ChangeKind;
  readonly id?: string;
  readonly rule: string;
  readonly severity?: Severity;
  readonly subject: Subject;
  readonly summary: string;
  /** With routes, the receiver of its message. */
  readonly receiver?: string;
}

export interface Unmet {
  readonly kind: 'missing' | 'late' | 'unexpected' | 'count' | 'severity' | 'wording' | 'budget';
  readonly message: string;
}

const SEVERITY_RANK: Readonly<Record<Severity, number>> = { info: 0, warning: 1, critical: 2 };

/** Every alert each message tells, in order; storm-omitted ones by rule only. */
export function toldAlerts(notifications: readonly OutboxEntry[]): Told[] {
  const out: Told[] = [];
  notifications.forEach((e, message) => {
    const n = e.notification;
    const receiver = e.attributes.receiver ? { receiver: e.attributes.receiver } : {};
    for (const c of n.changes)
      out.push({
        t: n.evaluatedAt,
        message,
        kind: c.kind,
        id: c.id,
        rule: c.rule,
        severity: c.severity,
        subject: c.subject,
        summary: c.summary,
        ...receiver,
      });
    for (const r of n.omitted.rules)
      out.push({
        t: n.evaluatedAt,
        message,
        rule: r.rule,
        subject: { cluster: n.cluster },
        summary: `${r.count} × ${r.title} (not detailed)`,
        ...receiver,
      });
  });
  return out;
}

/** A newly firing, escalated or flapping alert (a digest's count included): what "it fired" means. */
const fires = (f: Told) => f.kind !== 'resolved' && f.kind !== 'repeat';
/**
 * Anything but a resolution or an update: what "it was announced" means. An update tells what was learned
 * about a story already told (what joined it, a count that grew); the message budget counts it.
 */
const announces = (f: Told) => f.kind !== 'resolved' && f.kind !== 'updated';

export function checkExpectations(s: Scenario, world: World, notifications: readonly OutboxEntry[]): Unmet[] {
  const told = toldAlerts(notifications);
  const fired = told.filter(fires);
  const at = (t: EpochMs) => {
    const d = t - world.onset;
    return `${d < 0 ? '-' : '+'}${d === 0 ? '0s' : formatDuration(Math.abs(d))}`;
  };
  const unmet: Unmet[] = s.expect.fire.flatMap((x) => checkExpected(x, told, { s, world, at, notifications }));

  const expected = new Set<string>(s.expect.fire.map((x) => x.rule));
  const forbidden =
    s.expect.notFire === 'others' ? (f: Told) => !expected.has(f.rule) : (f: Told) => (s.expect.notFire as string[]).includes(f.rule);
  const seen = new Set<string>();
  for (const f of fired) {
    if (!forbidden(f) || seen.has(f.rule)) continue;
    seen.add(f.rule);
    unmet.push({ kind: 'unexpected', message: `${f.rule} fired at ${at(f.t)} but must not: ${f.summary}` });
  }

  const ceiling = s.expect.maxSeverity;
  const above = ceiling ? told.find((f) => announces(f) && f.severity && SEVERITY_RANK[f.severity] > SEVERITY_RANK[ceiling]) : undefined;
  if (ceiling && above)
    unmet.push({
      kind: 'severity',
      message: `${above.severity} ${above.rule} at ${at(above.t)}, above the scenario's ceiling of ${ceiling}: ${above.summary}`,
    });

  unmet.push(...checkBudget(s, notifications.length, told));
  return unmet;
}

interface Judging {
  readonly s: Scenario;
  readonly world: World;
  readonly at: (t: EpochMs) => string;
  readonly notifications: readonly OutboxEntry[];
}

function checkExpected(x: ExpectedAlert, told: readonly Told[], j: Judging): Unmet[] {
  const what = describe(x);
  // Every mention of the alerts this expectation is about, whatever their severity (for the ceiling).
  const about = told.filter((f) => matches(f, { ...x, severity: undefined }, j.world));
  const mine = about.filter((f) => !x.severity || f.severity === x.severity);
  const firings = mine.filter(fires);
  if (firings.length === 0) {
    const sameRule = told.filter((f) => fires(f) && f.rule === x.rule);
    return [
      {
        kind: 'missing',
        message: `${what} never fired${
          sameRule.length
            ? ` (it fired for other subjects or severities: ${sameRule
                .slice(0, 3)
                .map((f) => `${f.severity ?? ''} ${subjectText(f.subject)} at ${j.at(f.t)}`)
                .join('; ')})`
            : ''
        }`,
      },
    ];
  }
  const unmet: Unmet[] = [];
  const first = firings[0];
  const deadline = j.world.onset + parseDuration(x.within);
  if (first.t > deadline)
    unmet.push({ kind: 'late', message: `${what} fired at ${j.at(first.t)}, later than the expected ${x.within} after the onset` });

  if (x.before !== undefined) {
    const h = j.s.timeline.find((y) => y.id === x.before)!;
    const happensAt = j.world.start + parseDuration(h.at);
    if (first.t >= happensAt)
      unmet.push({ kind: 'late', message: `${what} fired at ${j.at(first.t)}, not before "${x.before}" (${h.do} at ${j.at(happensAt)})` });
  }

  if (x.quietDuring !== undefined) {
    const h = j.s.timeline.find((y) => y.id === x.quietDuring) as Extract<Scenario['timeline'][number], { do: 'silence' }>;
    const from = j.world.start + parseDuration(h.at);
    const to = from + parseDuration(h.for);
    const loud = about.find((f) => f.t >= from && f.t < to);
    if (loud)
      unmet.push({
        kind: 'unexpected',
        message: `${what} was told at ${j.at(loud.t)} (${loud.kind ?? 'counted'}), during the silence "${x.quietDuring}" (${j.at(from)} to ${j.at(to)})`,
      });
  }

  if (x.receivers !== undefined) {
    const told = new Set(firings.map((f) => f.receiver ?? '(every receiver)'));
    const missing = x.receivers.filter((r) => !told.has(r));
    const others = [...new Set(about.map((f) => f.receiver ?? '(every receiver)'))].filter(
      (r) => !(x.receivers as readonly string[]).includes(r),
    );
    if (missing.length)
      unmet.push({ kind: 'missing', message: `${what} was never told to ${missing.join(', ')} (told to ${[...told].join(', ')})` });
    if (others.length)
      unmet.push({ kind: 'unexpected', message: `${what} was told to ${others.join(', ')} too, not only to ${x.receivers.join(', ')}` });
  }

  if (x.times !== undefined) {
    // One announcement per evaluation, however many receivers' messages it was split into.
    const n = new Set(mine.filter(announces).map((f) => f.t)).size;
    const { min, max } = typeof x.times === 'number' ? { min: x.times, max: x.times } : x.times;
    if ((min !== undefined && n < min) || (max !== undefined && n > max)) {
      const want =
        min === max ? `${min}` : max === undefined ? `at least ${min}` : min === undefined ? `at most ${max}` : `${min} to ${max}`;
      unmet.push({ kind: 'count', message: `${what} was announced in ${n} message${n === 1 ? '' : 's'}, expected ${want}` });
    }
  }

  if (x.refires && !refired(mine)) unmet.push({ kind: 'missing', message: `${what} never fired again after resolving` });

  if (x.maxSeverity) {
    const ceiling = x.maxSeverity;
    const above = about.find((f) => announces(f) && f.severity && SEVERITY_RANK[f.severity] > SEVERITY_RANK[ceiling]);
    if (above)
      unmet.push({
        kind: 'severity',
        message: `${x.rule} was announced as ${above.severity} at ${j.at(above.t)}, above ${ceiling}: ${above.summary}`,
      });
  }

  if (x.mentions) {
    const m = j.notifications[first.message];
    const text = `${m.subject}\n${m.text}`.toLowerCase();
    const absent = x.mentions.filter((w) => !text.includes(w.toLowerCase()));
    if (absent.length)
      unmet.push({
        kind: 'wording',
        message: `the message announcing ${what} (${j.at(first.t)}, "${m.subject}") does not mention ${absent.map((w) => `"${w}"`).join(', ')}`,
      });
  }
  return unmet;
}

/** Whether one of these alerts resolved and later fired again. */
/**
 * Whether an alert resolved and fired again. An occurrence rule (an OOM kill) ends without a message, so a
 * second `firing` of the same alert tells it too: an alert is told firing once per time it fires.
 */
function refired(mine: readonly Told[]): boolean {
  const ended = new Set<string>();
  for (const f of mine) {
    if (!f.id) continue;
    if (f.kind === 'firing' && ended.has(f.id)) return true;
    if (f.kind === 'resolved' || f.kind === 'firing') ended.add(f.id);
  }
  return false;
}

/** The scenario's message budget: in all, and per rule (messages that carry the rule at all). */
function checkBudget(s: Scenario, messages: number, told: readonly Told[]): Unmet[] {
  const b = s.expect.budget;
  if (!b) return [];
  const unmet: Unmet[] = [];
  const counts = perRule(told);
  if (messages > b.messages)
    unmet.push({ kind: 'budget', message: `${messages} messages were sent, over the budget of ${b.messages}${overBy(counts)}` });
  for (const [rule, max] of Object.entries(b.perRule ?? {})) {
    const n = counts.get(rule) ?? 0;
    if (n > max) unmet.push({ kind: 'budget', message: `${n} messages carried ${rule}, over its budget of ${max}` });
  }
  return unmet;
}

/** How many messages carry each rule. */
export function perRule(told: readonly Told[]): Map<string, number> {
  const messages = new Map<string, Set<number>>();
  for (const f of told) messages.set(f.rule, (messages.get(f.rule) ?? new Set()).add(f.message));
  return new Map([...messages].map(([rule, m]) => [rule, m.size]));
}

/** " (most: rule ×n, …)": where an over-budget run's messages went. */
function overBy(counts: Map<string, number>): string {
  const top = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return top.length ? ` (carrying ${top.map(([r, n]) => `${r} ×${n}`).join(', ')})` : '';
}

function matches(f: Told, x: ExpectedAlert, world: World): boolean {
  if (f.rule !== x.rule) return false;
  if (x.severity && f.severity !== x.severity) return false;
  for (const [k, v] of Object.entries(x.subject ?? {})) {
    const want = k === 'node' && /^[a-z0-9-]+\/\d+$/.test(v) ? world.nodeName(v) : v;
    if (f.subject[k as keyof Subject] !== want) return false;
  }
  return true;
}

function describe(x: ExpectedAlert): string {
  return `${x.severity ? `${x.severity} ` : ''}${x.rule}${x.subject ? ` for ${subjectText(x.subject)}` : ''}`;
}

function subjectText(subject: Subject | Readonly<Record<string, string | undefined>>): string {
  return (
    Object.entries(subject)
      .filter(([k, v]) => v !== undefined && k !== 'cluster')
      .map(([k, v]) => `${k}=${v}`)
      .join(',') || 'the cluster'
  );
}

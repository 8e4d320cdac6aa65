/**
 * Whether a run met its scenario's expectations: every expected alert notified as firing no later than
 * `within` after the onset (earlier — a warning before the incident — counts), and nothing fired that must
 * not. Judged from the notifications, i.e. from what a person would have received.
 */
import type { Subject } from '../../model/domain';
import { formatDuration, parseDuration } from '../../model/quantity';
import type { EpochMs } from '../../model/time';
import type { OutboxEntry } from '../../sim/notify/outbox';
import type { World } from '../world';
import type { ExpectedAlert, Scenario } from './format';

export interface Fired {
  readonly t: EpochMs;
  readonly rule: string;
  readonly severity?: string;
  readonly subject: Subject;
  readonly summary: string;
}

export interface Unmet {
  readonly kind: 'missing' | 'late' | 'unexpected';
  readonly message: string;
}

/** Every alert notified as firing (or escalating, or flapping), in order; storm-omitted ones by rule only. */
export function firedAlerts(notifications: readonly OutboxEntry[]): Fired[] {
  const out: Fired[] = [];
  for (const e of notifications) {
    const n = e.notification;
    for (const c of n.changes) {
      if (c.kind === 'resolved' || c.kind === 'repeat') continue;
      out.push({ t: n.evaluatedAt, rule: c.rule, severity: c.severity, subject: c.subject, summary: c.summary });
    }
    for (const r of n.omitted.rules) out.push({ t: n.evaluatedAt, rule: r.rule, subject: { cluster: n.cluster }, summary: `${r.count} × ${r.title} (not detailed)` });
  }
  return out;
}

export function checkExpectations(s: Scenario, world: World, notifications: readonly OutboxEntry[]): Unmet[] {
  const fired = firedAlerts(notifications);
  const unmet: Unmet[] = [];
  const at = (t: EpochMs) => {
    const d = t - world.onset;
    return `${d < 0 ? '-' : '+'}${d === 0 ? '0s' : formatDuration(Math.abs(d))}`;
  };
  for (const x of s.expect.fire) {
    const candidates = fired.filter((f) => matches(f, x, world));
    const deadline = world.onset + parseDuration(x.within);
    const what = describe(x);
    if (candidates.length === 0) {
      const sameRule = fired.filter((f) => f.rule === x.rule);
      unmet.push({
        kind: 'missing',
        message: `${what} never fired${sameRule.length ? ` (it fired for other subjects or severities: ${sameRule.slice(0, 3).map((f) => `${f.severity ?? ''} ${subjectText(f.subject)} at ${at(f.t)}`).join('; ')})` : ''}`,
      });
    } else if (candidates[0].t > deadline) {
      unmet.push({ kind: 'late', message: `${what} fired at ${at(candidates[0].t)}, later than the expected ${x.within} after the onset` });
    }
  }
  const expected = new Set(s.expect.fire.map((x) => x.rule));
  const forbidden = s.expect.notFire === 'others' ? (f: Fired) => !expected.has(f.rule) : (f: Fired) => (s.expect.notFire as string[]).includes(f.rule);
  const seen = new Set<string>();
  for (const f of fired) {
    if (!forbidden(f) || seen.has(f.rule)) continue;
    seen.add(f.rule);
    unmet.push({ kind: 'unexpected', message: `${f.rule} fired at ${at(f.t)} but must not: ${f.summary}` });
  }
  const max = s.expect.maxNotifications;
  if (max !== undefined && notifications.length > max) {
    unmet.push({ kind: 'unexpected', message: `${notifications.length} messages were sent, more than the ${max} expected` });
  }
  return unmet;
}

function matches(f: Fired, x: ExpectedAlert, world: World): boolean {
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

function subjectText(subject: Subject | Readonly<Record<string, string>>): string {
  return Object.entries(subject)
    .filter(([k, v]) => v !== undefined && k !== 'cluster')
    .map(([k, v]) => `${k}=${v}`)
    .join(',') || 'the cluster';
}

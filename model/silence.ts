/**
 * Silences and maintenance windows: which alerts get no message for a while. Matching is by an alert's
 * labels (its rule and subject) with equality and `*` globs; every matcher must match. A silence is stored in
 * the table (`vigil silence add`), a maintenance window is declared in `cdk.json` and recurs weekly in its own
 * time zone. Shared by the evaluator, the CLI and the CDK app's context checks.
 */
import { z } from 'zod';
import type { Severity, Subject } from './domain';
import { glob } from './selector';
import { DAY_MS, type EpochMs } from './time';

/** The document kind silences are stored under (`<cluster>#D#silence`). */
export const SILENCE_KIND = 'silence';
/** A silence is kept this long after it ends, so `vigil silence list` shows what just ended. */
export const SILENCE_RETENTION_MS = DAY_MS;

/** The labels a silence or a window can match on. */
export const SILENCE_LABELS = ['cluster', 'rule', 'severity', 'nodeGroup', 'node', 'namespace', 'workload', 'container'] as const;
export type SilenceLabel = (typeof SILENCE_LABELS)[number];

/** Label → pattern (`*` matches anything, including nothing). */
export type Matchers = Readonly<Partial<Record<SilenceLabel, string>>>;

export interface Silence {
  readonly id: string;
  readonly matchers: Matchers;
  readonly startsAt: EpochMs;
  readonly endsAt: EpochMs;
  readonly author: string;
  readonly comment: string;
  readonly createdAt: EpochMs;
}

/** What a silence or window is matched against: an alert's rule, severity and subject. */
export interface SilenceTarget {
  readonly rule: string;
  readonly severity: Severity;
  readonly subject: Subject;
}

/** Whether every matcher matches. A workload matches by `Kind/name` or by its name alone (`workload=web`). */
export function matches(m: Matchers, a: SilenceTarget): boolean {
  return (Object.keys(m) as SilenceLabel[]).every((label) => {
    const re = glob(m[label]!);
    const value = label === 'rule' ? a.rule : label === 'severity' ? a.severity : a.subject[label];
    if (value === undefined) return false;
    return re.test(value) || (label === 'workload' && re.test(value.slice(value.indexOf('/') + 1)));
  });
}

/** `label=pattern` pairs from the command line, every problem at once. */
export function parseMatchers(terms: readonly string[]): { matchers: Matchers; problems: string[] } {
  const problems: string[] = [];
  const out: Partial<Record<SilenceLabel, string>> = {};
  for (const term of terms) {
    const eq = term.indexOf('=');
    const label = term.slice(0, eq) as SilenceLabel;
    const pattern = term.slice(eq + 1);
    if (eq <= 0 || !SILENCE_LABELS.includes(label))
      problems.push(`"${term}": expected label=pattern with a label of ${SILENCE_LABELS.join(', ')}`);
    else if (pattern === '') problems.push(`"${term}": the pattern is empty`);
    else if (out[label] !== undefined) problems.push(`"${term}": ${label} is matched twice`);
    else out[label] = pattern;
  }
  return { matchers: out, problems };
}

export function matchersText(m: Matchers): string {
  const terms = Object.entries(m).map(([k, v]) => `${k}=${v}`);
  return terms.length ? terms.join(' ') : '(everything)';
}

// ---------------------------------------------------------------------------------------------------
// Maintenance windows
// ---------------------------------------------------------------------------------------------------

export const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface MaintenanceWindow {
  /** Names the window in messages and alert state (`window:<name>`). */
  readonly name: string;
  /** Days the window starts on, in its time zone. */
  readonly days: readonly Weekday[];
  /** `HH:MM`, local time. An `end` not after `start` ends the next day. */
  readonly start: string;
  readonly end: string;
  /** IANA time zone, e.g. `Europe/Paris`. */
  readonly timeZone: string;
  /** @default everything */
  readonly match?: Matchers;
}

const hhmm = z
  .string({ error: 'must be a time "HH:MM"' })
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: 'must be a time "HH:MM" (24-hour)' });
const zone = z
  .string({ error: 'must be an IANA time zone' })
  .refine(validTimeZone, { error: 'must be an IANA time zone like "Europe/Paris" or "UTC"' });
const labelNames = SILENCE_LABELS.join(', ');

export const maintenanceWindowSchema = z.strictObject(
  {
    name: z
      .string({ error: 'must be a string' })
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, { error: 'must be a name of letters, digits, ., _ and - (at most 63)' }),
    days: z
      .array(z.enum(WEEKDAYS, { error: `must be one of ${WEEKDAYS.join(', ')}` }), {
        error: 'must be a list of weekdays like ["Sat", "Sun"]',
      })
      .min(1, { error: 'must name at least one weekday' }),
    start: hhmm,
    end: hhmm,
    timeZone: zone,
    match: z
      .strictObject(
        Object.fromEntries(
          SILENCE_LABELS.map((l) => [l, z.string({ error: 'must be a pattern' }).min(1, { error: 'must not be empty' }).optional()]),
        ) as Record<SilenceLabel, z.ZodOptional<z.ZodString>>,
        {
          error: (iss) =>
            iss.code === 'unrecognized_keys'
              ? `unknown label(s) ${iss.keys.map((k) => `"${k}"`).join(', ')}: expected ${labelNames}`
              : `must be an object of label patterns like {"namespace": "batch-*"}`,
        },
      )
      .optional(),
  },
  {
    error: (iss) =>
      iss.code === 'unrecognized_keys'
        ? `unknown field(s) ${iss.keys.map((k) => `"${k}"`).join(', ')}: expected name, days, start, end, timeZone, match`
        : 'must be an object like {"name": "patching", "days": ["Sat"], "start": "02:00", "end": "04:00", "timeZone": "Europe/Paris"}',
  },
);

export const maintenanceWindowsSchema = z
  .array(maintenanceWindowSchema, { error: 'must be a list of maintenance windows' })
  .superRefine((ws, ctx) => {
    ws.forEach((w, i) => {
      if (ws.findIndex((o) => o.name === w.name) !== i)
        ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `"${w.name}" is used twice` });
      if (w.start === w.end) ctx.addIssue({ code: 'custom', path: [i, 'end'], message: 'equals start: the window would be empty' });
    });
  });

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();
/** The weekday and minute of the day at `t` in `timeZone` (Intl applies the zone's rules, daylight saving included). */
export function localTime(t: EpochMs, timeZone: string): { day: Weekday; minutes: number } {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(t).map((p) => [p.type, p.value]));
  return { day: parts.weekday as Weekday, minutes: Number(parts.hour) * 60 + Number(parts.minute) };
}

const minutesOf = (hm: string) => Number(hm.slice(0, 2)) * 60 + Number(hm.slice(3, 5));

/** Whether the window is open at `t`. A window past midnight belongs to the day it starts on. */
export function windowOpen(w: MaintenanceWindow, t: EpochMs): boolean {
  const { day, minutes } = localTime(t, w.timeZone);
  const start = minutesOf(w.start);
  const end = minutesOf(w.end);
  if (start < end) return w.days.includes(day) && minutes >= start && minutes < end;
  const yesterday = WEEKDAYS[(WEEKDAYS.indexOf(day) + 6) % 7];
  return (w.days.includes(day) && minutes >= start) || (w.days.includes(yesterday) && minutes < end);
}

// ---------------------------------------------------------------------------------------------------
// What is in force
// ---------------------------------------------------------------------------------------------------

/** A silence or open window at one moment: its id (`window:<name>` for a window) and matchers. */
export interface ActiveSilence {
  readonly id: string;
  readonly matchers: Matchers;
}

/** The silences and windows in force at `now`. */
export function activeSilences(silences: readonly Silence[], windows: readonly MaintenanceWindow[], now: EpochMs): ActiveSilence[] {
  return [
    ...silences.filter((s) => s.startsAt <= now && now < s.endsAt).map((s) => ({ id: s.id, matchers: s.matchers })),
    ...windows.filter((w) => windowOpen(w, now)).map((w) => ({ id: `window:${w.name}`, matchers: w.match ?? {} })),
  ];
}

/** The first silence in force that matches the alert, if any. */
export function silenceOf(active: readonly ActiveSilence[], a: SilenceTarget): ActiveSilence | undefined {
  return active.find((s) => matches(s.matchers, a));
}

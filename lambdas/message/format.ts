/** Wording shared by the email and Slack renderings: labels for subjects and evidence, times, durations. */
import type { Subject } from '../../model/domain';
import { utc, type EpochMs } from '../../model/time';
import { humanDuration } from '../../model/quantity';
import { shortSubject, type AlertChange, type ChangeKind, type Notification } from '../../model/notification';

/** Subject labels in the order people read "where": the widest scope first. */
export const WHERE_LABELS: readonly (readonly [keyof Subject, string])[] = [
  ['cluster', 'Cluster'],
  ['nodeGroup', 'Node group'],
  ['autoScalingGroup', 'Auto Scaling group'],
  ['node', 'Node'],
  ['instanceId', 'Instance'],
  ['namespace', 'Namespace'],
  ['workload', 'Workload'],
  ['pod', 'Pod'],
  ['container', 'Container'],
  ['detail', 'Detail'],
];

export function where(s: Subject): [string, string][] {
  return WHERE_LABELS.filter(([k]) => s[k] !== undefined && s[k] !== '').map(([k, label]) => [label, String(s[k])]);
}

const UNITS: readonly (readonly [RegExp, string])[] = [
  [/Pct$/, '%'],
  [/MiB$/, ' MiB'],
  [/GiB$/, ' GiB'],
  [/Milli$/, 'm'],
  [/Seconds$/, ' s'],
  [/Minutes$/, ' min'],
  [/Hours$/, ' h'],
];

/** `memoryAvailableMiB: 180` → `['memory available', '180 MiB']`. */
export function evidenceEntry(key: string, value: string | number): [string, string] {
  let label = key;
  let unit = '';
  for (const [re, u] of UNITS) {
    if (re.test(key) && re.source.length - 1 < key.length) {
      label = key.replace(re, '');
      unit = u;
      break;
    }
  }
  const words = label
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase();
  const shown = typeof value === 'number' ? value.toLocaleString('en-US', { maximumFractionDigits: 1 }) : value;
  return [words, `${shown}${unit}`];
}

/** "since 12:03 UTC (14 min)" or "12:03 – 12:31 UTC (28 min)" for a resolved alert. */
export function when(c: AlertChange, now: EpochMs): string | undefined {
  const start = c.since ?? c.firingSince;
  if (start === undefined) return undefined;
  if (c.kind === 'resolved' && c.resolvedAt !== undefined)
    return `${utc(start)} to ${utc(c.resolvedAt)} (${humanDuration(c.resolvedAt - start)})`;
  return `since ${utc(start)} (${humanDuration(now - start)})`;
}

export const KIND_LABEL: Readonly<Record<ChangeKind, string>> = {
  firing: 'FIRING',
  escalated: 'ESCALATED',
  updated: 'UPDATED',
  repeat: 'STILL FIRING',
  flapping: 'FLAPPING',
  resolved: 'RESOLVED',
};

/** One line of what a flapping alert means, so the reader knows why it goes quiet. */
export const FLAPPING_NOTE = 'It fired repeatedly in the last hour; further changes are held until it stays clear for 30 minutes.';

/** Changes not shown in detail, grouped by kind and rule, with the first few subjects: a digest line each. */
export interface DigestGroup {
  readonly title: string;
  /** `KIND_LABEL` of the group's kind. */
  readonly kind: string;
  readonly items: readonly string[];
  readonly count: number;
}

export function digestGroups(rest: readonly AlertChange[], itemsShown = 3): DigestGroup[] {
  const groups = new Map<string, { title: string; kind: string; items: string[]; count: number }>();
  for (const c of rest) {
    const key = `${c.kind}|${c.rule}`;
    const g = groups.get(key) ?? { title: c.title, kind: KIND_LABEL[c.kind], items: [], count: 0 };
    g.count++;
    const s = shortSubject(c.subject);
    if (s && g.items.length < itemsShown) g.items.push(s);
    groups.set(key, g);
  }
  return [...groups.values()];
}

/** "2 firing, 1 resolved" (or "no changes"): a message's headline count. */
export function countsText(n: Pick<Notification, 'counts'>): string {
  return (
    [n.counts.firing && `${n.counts.firing} firing`, n.counts.resolved && `${n.counts.resolved} resolved`].filter(Boolean).join(', ') ||
    'no changes'
  );
}

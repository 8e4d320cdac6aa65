/**
 * What every SNS message Vigil publishes carries as message attributes, so subscriptions can filter on
 * them. One message per cluster per evaluation groups changes of several severities, so a subscription
 * filters on `severities`, which names each of them: "email critical alerts and their resolutions" is the
 * allowlist `["critical", "critical-resolved"]` (`severityAllowlist`), and a message that resolves a critical
 * alert while a warning fires reaches it, while one that only resolves warnings does not.
 *
 * Each route label (`vigil:routeLabels`, e.g. `team`) is a `String.Array` attribute too, naming the values
 * among the message's alerts, so a filter policy `{"team": ["shop"]}` matches any message about the shop
 * team. With routes, each message is for one receiver and carries only what was routed to it.
 */
import { createHash } from 'crypto';
import { z } from 'zod';
import type { Severity, Subject } from './domain';
import type { EpochMs } from './time';

export const MESSAGE_ATTRIBUTES = {
  /** The message's headline (its email subject's tag): the highest severity among what fires, or `resolved`. */
  severity: 'severity',
  /** `String.Array`: the `severityTag` of every change the message reports. What subscriptions filter on. */
  severities: 'severities',
  cluster: 'cluster',
  /** The rule id when the message is about one rule, else `multiple`. */
  rule: 'rule',
  /** With routes (`model/route.ts`), the receiver the message is for: each receiver's subscription filters on it. */
  receiver: 'receiver',
} as const;

export type MessageSeverity = 'critical' | 'warning' | 'info' | 'resolved';

/**
 * What a recipient can receive: the evaluator's alert messages by severity, and `health`, Vigil's own
 * CloudWatch alarms (its functions failing, the agent silent).
 */
export type Delivery = MessageSeverity | 'health';

export const MESSAGE_SEVERITIES: readonly MessageSeverity[] = ['critical', 'warning', 'info', 'resolved'];
export const DELIVERIES: readonly Delivery[] = [...MESSAGE_SEVERITIES, 'health'];

export const deliverySchema = z.enum(DELIVERIES as [Delivery, ...Delivery[]], {
  error: `must be one of ${DELIVERIES.map((d) => `"${d}"`).join(', ')}`,
});

/** A change's tag in `severities`: `critical` for what fires (new, escalated, repeated, flapping), `critical-resolved` for a resolution. */
export type SeverityTag = Severity | `${Severity}-resolved`;

const ALERT_SEVERITIES: readonly Severity[] = ['critical', 'warning', 'info'];

export function severityTag(severity: Severity, resolved: boolean): SeverityTag {
  return resolved ? `${severity}-resolved` : severity;
}

/**
 * The `severities` a subscription that receives `receives` lets through (its filter policy's allowlist):
 * those severities, and with `resolved` their resolutions (every resolution when no severity is named).
 */
export function severityAllowlist(receives: readonly MessageSeverity[]): SeverityTag[] {
  const firing = ALERT_SEVERITIES.filter((s) => receives.includes(s));
  const resolved = receives.includes('resolved') ? (firing.length ? firing : ALERT_SEVERITIES) : [];
  return [...firing, ...resolved.map((s) => severityTag(s, true))];
}

/** Whether `receives` is everything a message can carry: then nothing needs filtering. */
export const receivesAll = (receives: readonly Delivery[]) => DELIVERIES.every((d) => receives.includes(d));

/**
 * Whether a recipient that receives `receives` wants this change: the same test its subscription's filter
 * policy makes on a whole message, made per change, since one message can carry several severities.
 */
export function receivesChange(receives: readonly Delivery[], severity: Severity, resolved: boolean): boolean {
  const severities = MESSAGE_SEVERITIES.filter((s) => receives.includes(s));
  return severityAllowlist(severities).includes(severityTag(severity, resolved));
}

/**
 * The notification: what one evaluation of one cluster tells people. The evaluator builds it; the SNS
 * message carries it as plain text for email and as this JSON for the Slack function (the `lambda` key of a
 * `MessageStructure: 'json'` publish), which validates it with `notificationSchema` and renders Block Kit.
 *
 * It is bounded: at most `MAX_DETAILED` changes in detail, the rest counted per rule, and every text
 * truncated, so the SNS message stays under its 256 KB limit whatever the storm.
 */
export const NOTIFICATION_VERSION = 1;

/**
 * firing: newly firing; escalated: its severity rose; updated: still firing, and what it includes grew (a
 * cascade under the domino); repeat: still firing (slow reminder, or a count jump); flapping; resolved.
 */
export type ChangeKind = 'firing' | 'escalated' | 'updated' | 'repeat' | 'flapping' | 'resolved';

export interface AlertChange {
  readonly kind: ChangeKind;
  readonly id: string;
  readonly rule: string;
  readonly title: string;
  readonly severity: Severity;
  readonly subject: Subject;
  readonly summary: string;
  readonly evidence: Readonly<Record<string, string | number>>;
  /** When the condition started. */
  readonly since?: EpochMs;
  readonly firingSince?: EpochMs;
  readonly resolvedAt?: EpochMs;
  readonly runbook: string;
  /** The rule's runbook page, when one is configured. */
  readonly runbookUrl?: string;
  /** The findings a domino alert groups (and mutes). */
  readonly includes?: readonly { readonly rule: string; readonly summary: string }[];
  /** Its route labels (`vigil:routeLabels`, e.g. `team`), from its workload or else its namespace. */
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * A change folded into the digest, with what a receiver that tracks alerts one by one (PagerDuty) needs to
 * open or close it: its bounded identity, kind, severity and where (its title is the rule's, in `omitted.rules`).
 */
export interface FoldedChange {
  /** `alertKey(id)`. */
  readonly key: string;
  readonly kind: ChangeKind;
  readonly rule: string;
  readonly severity: Severity;
  /** `shortSubject` of the change's subject, when it has one. */
  readonly where?: string;
}

export interface Notification {
  readonly v: typeof NOTIFICATION_VERSION;
  readonly cluster: string;
  readonly evaluatedAt: EpochMs;
  /** The highest severity among what fires, or `resolved` when only resolutions are reported. */
  readonly severity: MessageSeverity;
  /** The rule id when every change is of one rule, else `multiple`. */
  readonly rule: string;
  /** Changes reported in detail, most important first. */
  readonly changes: readonly AlertChange[];
  /** Changes not detailed (a storm), counted by rule, most first. */
  readonly omitted: {
    readonly count: number;
    readonly rules: readonly { readonly rule: string; readonly title: string; readonly count: number }[];
  };
  /** The omitted changes one by one, most important first, as far as the message's size allows; absent when none is omitted. */
  readonly folded?: readonly FoldedChange[];
  /** All changes of this evaluation, detailed or not. */
  readonly counts: { readonly firing: number; readonly resolved: number };
  /** Alerts firing after this evaluation (after inhibition), and how many more are muted. */
  readonly active: { readonly firing: number; readonly critical: number; readonly muted: number };
}

/** The most specific part of a subject, for one-line headlines. */
export function shortSubject(s: Subject): string | undefined {
  if (s.container && s.workload) return `${s.namespace}/${s.workload}/${s.container}`;
  if (s.pod) return `${s.namespace}/${s.pod}`;
  if (s.workload) return s.namespace ? `${s.namespace}/${s.workload}` : s.workload;
  return s.node ?? s.instanceId ?? s.autoScalingGroup ?? s.nodeGroup ?? s.namespace ?? s.detail;
}

export const MAX_DETAILED = 50;
/** Folded changes carried one by one, at most; beyond, they are only counted. */
export const MAX_FOLDED = 500;
/** PagerDuty's limit on `dedup_key`, the tightest identity limit among the receivers. */
export const MAX_ALERT_KEY = 255;
const MAX_WHERE = 120;
const MAX_SUMMARY = 600;
const MAX_VALUE = 400;
const MAX_EVIDENCE = 16;
const MAX_INCLUDES = 20;

const severity = z.enum(['info', 'warning', 'critical']);
const text = (max: number) => z.string().max(max);
const subject = z.object({
  cluster: text(100),
  nodeGroup: text(253).optional(),
  autoScalingGroup: text(255).optional(),
  node: text(253).optional(),
  instanceId: text(32).optional(),
  namespace: text(253).optional(),
  workload: text(300).optional(),
  pod: text(253).optional(),
  container: text(253).optional(),
  detail: text(300).optional(),
});
const time = z.number().int().nonnegative();

export const notificationSchema: z.ZodType<Notification> = z.object({
  v: z.literal(NOTIFICATION_VERSION),
  cluster: text(100),
  evaluatedAt: time,
  severity: z.enum(['info', 'warning', 'critical', 'resolved']),
  rule: text(100),
  changes: z
    .array(
      z.object({
        kind: z.enum(['firing', 'escalated', 'updated', 'repeat', 'flapping', 'resolved']),
        id: text(2000),
        rule: text(100),
        title: text(200),
        severity,
        subject,
        summary: text(MAX_SUMMARY),
        evidence: z.record(z.string().max(100), z.union([z.string().max(MAX_VALUE), z.number()])),
        since: time.optional(),
        firingSince: time.optional(),
        resolvedAt: time.optional(),
        runbook: text(MAX_SUMMARY),
        runbookUrl: text(2000).optional(),
        includes: z
          .array(z.object({ rule: text(100), summary: text(MAX_SUMMARY) }))
          .max(MAX_INCLUDES)
          .optional(),
        labels: z.record(text(317), text(63)).optional(),
      }),
    )
    .max(MAX_DETAILED),
  omitted: z.object({
    count: z.number().int().nonnegative(),
    rules: z.array(z.object({ rule: text(100), title: text(200), count: z.number().int().positive() })).max(200),
  }),
  folded: z
    .array(
      z.object({
        key: text(MAX_ALERT_KEY),
        kind: z.enum(['firing', 'escalated', 'updated', 'repeat', 'flapping', 'resolved']),
        rule: text(100),
        severity,
        where: text(MAX_WHERE).optional(),
      }),
    )
    .max(MAX_FOLDED)
    .optional(),
  counts: z.object({ firing: z.number().int().nonnegative(), resolved: z.number().int().nonnegative() }),
  active: z.object({
    firing: z.number().int().nonnegative(),
    critical: z.number().int().nonnegative(),
    muted: z.number().int().nonnegative(),
  }),
});

/** Severities in increasing order of urgency. */
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { info: 0, warning: 1, critical: 2 };
const KIND_ORDER: Readonly<Record<ChangeKind, number>> = { escalated: 0, firing: 0, updated: 1, flapping: 1, repeat: 2, resolved: 3 };

/** Most important first: what fires before reminders before resolutions; critical first within each. */
export function byImportance(a: AlertChange, b: AlertChange): number {
  return (
    KIND_ORDER[a.kind] - KIND_ORDER[b.kind] ||
    SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
    a.rule.localeCompare(b.rule) ||
    a.id.localeCompare(b.id)
  );
}

const cut = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

/**
 * An alert's identity within `MAX_ALERT_KEY` characters, stable across evaluations: the id itself when it
 * fits, else its readable beginning and the SHA-256 of the whole id (ids go up to 2,000 characters).
 */
export function alertKey(id: string): string {
  if (id.length <= MAX_ALERT_KEY) return id;
  const hash = createHash('sha256').update(id).digest('hex');
  return `${id.slice(0, MAX_ALERT_KEY - hash.length - 1)}~${hash}`;
}

/** Reminders and updates tell nothing a receiver tracking open alerts lacks: they are the first to go when room is short. */
const opensOrCloses = (c: AlertChange) => c.kind !== 'repeat' && c.kind !== 'updated';

function foldedOf(c: AlertChange): FoldedChange {
  const w = shortSubject(c.subject);
  return { key: alertKey(c.id), kind: c.kind, rule: c.rule, severity: c.severity, ...(w ? { where: cut(w, MAX_WHERE) } : {}) };
}

function bounded(c: AlertChange): AlertChange {
  const evidence = Object.fromEntries(
    Object.entries(c.evidence)
      .slice(0, MAX_EVIDENCE)
      .map(([k, v]) => [cut(k, 100), typeof v === 'string' ? cut(v, MAX_VALUE) : v]),
  );
  return {
    ...c,
    summary: cut(c.summary, MAX_SUMMARY),
    runbook: cut(c.runbook, MAX_SUMMARY),
    evidence,
    ...(c.includes
      ? { includes: c.includes.slice(0, MAX_INCLUDES).map((i) => ({ rule: i.rule, summary: cut(i.summary, MAX_SUMMARY) })) }
      : {}),
  };
}

/** The highest severity among what fires; undefined when there are only resolutions. */
export function topSeverity(changes: readonly Pick<AlertChange, 'kind' | 'severity'>[]): Severity | undefined {
  return changes
    .filter((c) => c.kind !== 'resolved')
    .reduce<Severity | undefined>((a, c) => (a === undefined || SEVERITY_RANK[c.severity] > SEVERITY_RANK[a] ? c.severity : a), undefined);
}

/** A notification's `rule`: the rule id when every change is of one rule, else `multiple`. */
export function oneRule(rules: readonly string[]): string {
  const distinct = new Set(rules);
  return distinct.size === 1 ? [...distinct][0] : 'multiple';
}

/** Builds the notification of one evaluation; `maxDetailed` and `maxFolded` lower than the defaults shrink it further. */
export function buildNotification(
  cluster: string,
  evaluatedAt: EpochMs,
  all: readonly AlertChange[],
  active: Notification['active'],
  maxDetailed = MAX_DETAILED,
  maxFolded = MAX_FOLDED,
): Notification {
  const sorted = [...all].sort(byImportance);
  const detailed = sorted.slice(0, maxDetailed).map(bounded);
  const omitted = sorted.slice(maxDetailed);
  const byRule = new Map<string, { rule: string; title: string; count: number }>();
  for (const c of omitted) {
    const r = byRule.get(c.rule) ?? { rule: c.rule, title: c.title, count: 0 };
    byRule.set(c.rule, { ...r, count: r.count + 1 });
  }
  const firing = all.filter((c) => c.kind !== 'resolved');
  return {
    v: NOTIFICATION_VERSION,
    cluster,
    evaluatedAt,
    severity: topSeverity(all) ?? 'resolved',
    rule: oneRule(all.map((c) => c.rule)),
    changes: detailed,
    omitted: { count: sorted.length - detailed.length, rules: [...byRule.values()].sort((a, b) => b.count - a.count) },
    ...(omitted.length
      ? { folded: [...omitted.filter(opensOrCloses), ...omitted.filter((c) => !opensOrCloses(c))].slice(0, maxFolded).map(foldedOf) }
      : {}),
    counts: { firing: firing.length, resolved: all.length - firing.length },
    active,
  };
}

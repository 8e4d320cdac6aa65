/**
 * The PagerDuty receiver: PagerDuty's Events API v2 (developer docs, "Send an Alert Event"). PagerDuty tracks
 * alerts one by one, so one SNS message becomes one event per alert: `trigger` while it fires (a repeat is
 * deduplicated by PagerDuty into the open alert), `resolve` when it ends, both with the alert's identity as
 * `dedup_key` (`alertKey`, within PagerDuty's 255 characters). Vigil never sends `acknowledge`: that is the
 * responder's act. Alerts a storm folded into the digest are sent too, from `folded`, so none of their
 * PagerDuty alerts stays open forever.
 *
 * It is handed only the changes it receives (`receives.ts`, as for every receiver), so a warning riding along
 * with a critical alert never pages, and a resolve goes only for an alert of a severity it receives.
 *
 * The secret holds the integration's routing key (32 characters), or JSON `{"routingKey": "…", "url": "…"}` to
 * use PagerDuty's EU endpoint; events go only to PagerDuty's own hosts (or loopback, in local mode).
 */
import { createHash } from 'crypto';
import type { SNSMessage } from 'aws-lambda';
import type { Logger } from '../../common/log';
import type { Severity } from '../../model/domain';
import { alertKey, shortSubject, type AlertChange, type FoldedChange, type Notification } from '../../model/notification';
import { evidenceEntry, where } from '../message/format';
import { contentOf, createNotifier, type NotifierDeps, type Receiver } from './notifier';
import { LOOPBACK, PAGERDUTY, SecretFormatError, secretFields } from './secrets';
import type { CloudWatchAlarmMessage } from './cloudwatch-alarm';

/** PagerDuty's limits (Events API v2): `summary` and `dedup_key` lengths, the whole event's size. */
export const PAGERDUTY_LIMITS = { summary: 1024, dedupKey: 255, eventBytes: 512 * 1024, routingKey: 32 } as const;

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';
/** Where a routing key may be sent: PagerDuty's US and EU service regions. */
const PAGERDUTY_HOSTS = new Set(['events.pagerduty.com', 'events.eu.pagerduty.com']);

export type PagerDutySeverity = 'critical' | 'error' | 'warning' | 'info';

export interface PagerDutyTrigger {
  readonly routing_key: string;
  readonly event_action: 'trigger';
  readonly dedup_key: string;
  readonly payload: {
    readonly summary: string;
    readonly source: string;
    readonly severity: PagerDutySeverity;
    /** ISO 8601. */
    readonly timestamp?: string;
    readonly component?: string;
    readonly group?: string;
    readonly class?: string;
    readonly custom_details?: Readonly<Record<string, unknown>>;
  };
  readonly client: string;
  readonly links?: readonly { readonly href: string; readonly text?: string }[];
}

export interface PagerDutyResolve {
  readonly routing_key: string;
  readonly event_action: 'resolve';
  readonly dedup_key: string;
}

export type PagerDutyEvent = PagerDutyTrigger | PagerDutyResolve;

export interface PagerDutyTarget {
  readonly url: string;
  readonly routingKey: string;
}

/** The routing key (and endpoint) in the secret; errors never include the value. */
export function pagerDutyTargetOf(secret: string): PagerDutyTarget {
  const text = secret.trim();
  let key = text;
  let url = PAGERDUTY_EVENTS_URL;
  if (text.startsWith('{')) {
    const o = secretFields(text, 'the routing key itself or {"routingKey": "…"}');
    const k = o.routingKey ?? o.routing_key ?? o.integrationKey;
    if (typeof k !== 'string')
      throw new SecretFormatError(
        `the secret's JSON has no "routingKey" string field; it has: ${Object.keys(o).join(', ') || 'no fields'}`,
      );
    key = k.trim();
    if (o.url !== undefined) {
      if (typeof o.url !== 'string') throw new SecretFormatError('the secret\'s "url" must be a string');
      url = o.url;
    }
  }
  if (!/^[A-Za-z0-9]{32}$/.test(key))
    throw new SecretFormatError(
      `the routing key must be the integration's ${PAGERDUTY_LIMITS.routingKey} letters and digits (Events API v2 integration key)`,
    );
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new SecretFormatError('the secret\'s "url" is not a URL');
  }
  const pagerDuty = u.protocol === 'https:' && PAGERDUTY_HOSTS.has(u.hostname);
  if (!pagerDuty && !(u.protocol === 'http:' && LOOPBACK.has(u.hostname))) {
    throw new SecretFormatError(
      `the secret's "url" must be PagerDuty's events endpoint (https://${[...PAGERDUTY_HOSTS].join(' or https://')})`,
    );
  }
  return { url: u.toString(), routingKey: key };
}

const SEVERITY: Readonly<Record<Severity, PagerDutySeverity>> = { critical: 'critical', warning: 'warning', info: 'info' };

const cut = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);
const iso = (t: number) => new Date(t).toISOString();
const CLIENT = 'Vigil';

function triggerOf(routingKey: string, n: Notification, c: AlertChange): PagerDutyTrigger {
  const s = c.subject;
  const details: Record<string, unknown> = {
    change: c.kind,
    rule: c.rule,
    ...Object.fromEntries(where(s)),
    ...Object.fromEntries(Object.entries(c.evidence).map(([k, v]) => evidenceEntry(k, v))),
    ...(c.firingSince ? { 'firing since': iso(c.firingSince) } : {}),
    ...(c.includes?.length ? { includes: c.includes.map((i) => `${i.rule}: ${i.summary}`) } : {}),
    'what to do': c.runbook,
  };
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: alertKey(c.id),
    payload: {
      summary: cut(`[${n.cluster}] ${c.title}: ${c.summary}`, PAGERDUTY_LIMITS.summary),
      source: [n.cluster, shortSubject(s)].filter(Boolean).join('/'),
      severity: SEVERITY[c.severity],
      timestamp: iso(c.firingSince ?? c.since ?? n.evaluatedAt),
      ...(s.container || s.workload || s.node || s.instanceId ? { component: s.container ?? s.workload ?? s.node ?? s.instanceId } : {}),
      group: s.namespace ?? s.nodeGroup ?? n.cluster,
      class: c.rule,
      custom_details: details,
    },
    client: CLIENT,
    ...(c.runbookUrl ? { links: [{ href: c.runbookUrl, text: 'Runbook' }] } : {}),
  };
}

function foldedTriggerOf(routingKey: string, n: Notification, f: FoldedChange): PagerDutyTrigger {
  const title = n.omitted.rules.find((r) => r.rule === f.rule)?.title ?? f.rule;
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: f.key,
    payload: {
      summary: cut([`[${n.cluster}] ${title}`, f.where].filter(Boolean).join(': '), PAGERDUTY_LIMITS.summary),
      source: [n.cluster, f.where].filter(Boolean).join('/'),
      severity: SEVERITY[f.severity],
      timestamp: iso(n.evaluatedAt),
      group: n.cluster,
      class: f.rule,
      custom_details: {
        change: f.kind,
        rule: f.rule,
        note: 'one of many changes in this evaluation (a storm): the email and chat have the digest',
      },
    },
    client: CLIENT,
  };
}

const resolveOf = (routingKey: string, dedupKey: string): PagerDutyResolve => ({
  routing_key: routingKey,
  event_action: 'resolve',
  dedup_key: dedupKey,
});

/** One event per alert of a notification: the detailed ones, then those folded into the digest. */
export function pagerDutyEventsOf(n: Notification, routingKey: string): PagerDutyEvent[] {
  return [
    ...n.changes.map((c) => (c.kind === 'resolved' ? resolveOf(routingKey, alertKey(c.id)) : triggerOf(routingKey, n, c))),
    ...(n.folded ?? []).map((f) => (f.kind === 'resolved' ? resolveOf(routingKey, f.key) : foldedTriggerOf(routingKey, n, f))),
  ];
}

/** One of Vigil's own alarms: its own alert at PagerDuty, `error` (Vigil is impaired, the cluster may be fine), resolved when OK. */
export function pagerDutyEventOfAlarm(a: CloudWatchAlarmMessage, routingKey: string): PagerDutyEvent {
  const dedupKey = alertKey(`vigil-health#${a.AlarmName}`);
  if (a.NewStateValue === 'OK') return resolveOf(routingKey, dedupKey);
  const at = Date.parse(a.StateChangeTime);
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: dedupKey,
    payload: {
      summary: cut(`[Vigil health] ${a.AlarmName}: ${a.AlarmDescription || a.NewStateReason}`, PAGERDUTY_LIMITS.summary),
      source: a.Region ? `vigil/${a.Region}` : 'vigil',
      severity: a.NewStateValue === 'ALARM' ? 'error' : 'warning',
      ...(Number.isNaN(at) ? {} : { timestamp: iso(at) }),
      class: 'vigil-health',
      custom_details: { alarm: a.AlarmName, state: `${a.OldStateValue ?? '?'} → ${a.NewStateValue}`, why: a.NewStateReason },
    },
    client: CLIENT,
  };
}

/**
 * The events for one SNS message; text that is not Vigil's is one `warning` trigger, never dropped.
 */
export function pagerDutyEventsOfMessage(
  sns: Pick<SNSMessage, 'Message' | 'Subject' | 'Timestamp'>,
  log: Logger,
  routingKey: string,
): PagerDutyEvent[] {
  const c = contentOf(sns.Message, log);
  if ('notification' in c) {
    const n = c.notification;
    const untold = n.omitted.count - (n.folded?.length ?? 0);
    if (untold > 0)
      log.warn(`a storm larger than one message carries: ${untold} changes are not sent to PagerDuty (the email and chat count them)`, {
        cluster: n.cluster,
        untold,
      });
    return pagerDutyEventsOf(n, routingKey);
  }
  if ('alarm' in c) return [pagerDutyEventOfAlarm(c.alarm, routingKey)];
  const text = [sns.Subject, sns.Message].filter(Boolean).join('\n');
  return [
    {
      routing_key: routingKey,
      event_action: 'trigger',
      dedup_key: `vigil-message#${createHash('sha256').update(text).digest('hex')}`,
      payload: {
        summary: cut(text, PAGERDUTY_LIMITS.summary),
        source: 'vigil',
        severity: 'warning',
        timestamp: sns.Timestamp,
        custom_details: { message: sns.Message },
      },
      client: CLIENT,
    },
  ];
}

export const PAGERDUTY_RECEIVER: Receiver<PagerDutyTarget> = {
  ...PAGERDUTY,
  idempotent: true,
  render: (sns, log, target) => pagerDutyEventsOfMessage(sns, log, target.routingKey).map((e) => JSON.stringify(e)),
};

export const createPagerDutyHandler = (deps: NotifierDeps<PagerDutyTarget>) => createNotifier(PAGERDUTY_RECEIVER, deps);

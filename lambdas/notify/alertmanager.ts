/**
 * The generic webhook receiver's body: Alertmanager's webhook payload, version "4" (Prometheus docs,
 * `webhook_config`), so anything that takes Alertmanager webhooks (an incident tool, a chat bridge, a
 * home-made script) takes Vigil's alerts. One notification (one cluster, one evaluation) is one group keyed
 * by the cluster; each detailed change is an alert with Vigil's labels (`alertname` is the rule) and a
 * `fingerprint` derived from the alert's identity, so a receiver matches a resolution to what it resolves.
 * Changes a storm folds into the digest are counted in `truncatedAlerts`, as Alertmanager counts what
 * `max_alerts` cut.
 */
import { createHash } from 'crypto';
import type { SNSMessage } from 'aws-lambda';
import type { Logger } from '../../common/log';
import { evidenceEntry } from '../message/format';
import type { AlertChange, Notification } from '../../model/notification';
import { contentOf, createNotifier, type NotifierDeps, type Receiver } from './notifier';
import { WEBHOOK } from './secrets';
import type { CloudWatchAlarmMessage } from './cloudwatch-alarm';

export type AlertStatus = 'firing' | 'resolved';

export interface AlertmanagerAlert {
  readonly status: AlertStatus;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** RFC 3339. */
  readonly startsAt: string;
  /** RFC 3339; Go's zero time while firing, as Alertmanager sends it. */
  readonly endsAt: string;
  readonly generatorURL: string;
  readonly fingerprint: string;
}

export interface AlertmanagerMessage {
  readonly version: '4';
  readonly groupKey: string;
  readonly truncatedAlerts: number;
  readonly status: AlertStatus;
  readonly receiver: string;
  readonly groupLabels: Readonly<Record<string, string>>;
  readonly commonLabels: Readonly<Record<string, string>>;
  readonly commonAnnotations: Readonly<Record<string, string>>;
  readonly externalURL: string;
  readonly alerts: readonly AlertmanagerAlert[];
}

/** What `receiver` says: the name a receiver routes on. */
export const RECEIVER_NAME = 'vigil';
/** Go's zero `time.Time`, Alertmanager's `endsAt` of an alert still firing. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** 16 hex digits, like Alertmanager's label-set fingerprint; stable for one alert identity. */
export const fingerprintOf = (identity: string): string => createHash('sha256').update(identity).digest('hex').slice(0, 16);

const iso = (t: number) => new Date(t).toISOString();

function alertOf(c: AlertChange, evaluatedAt: number): AlertmanagerAlert {
  const { detail, ...where } = c.subject;
  const labels = Object.fromEntries(
    Object.entries({ alertname: c.rule, severity: c.severity, ...where }).filter((e): e is [string, string] => e[1] !== undefined),
  );
  const evidence = Object.entries(c.evidence).map(([k, v]) => evidenceEntry(k, v).join(': '));
  const annotations: Record<string, string> = {
    title: c.title,
    summary: c.summary,
    ...(evidence.length || detail ? { description: [detail, ...evidence].filter(Boolean).join('\n') } : {}),
    ...(c.includes?.length ? { includes: c.includes.map((i) => `${i.rule}: ${i.summary}`).join('\n') } : {}),
    runbook: c.runbook,
    ...(c.runbookUrl ? { runbook_url: c.runbookUrl } : {}),
    change: c.kind,
  };
  const resolved = c.kind === 'resolved';
  return {
    status: resolved ? 'resolved' : 'firing',
    labels,
    annotations,
    startsAt: iso(c.firingSince ?? c.since ?? evaluatedAt),
    endsAt: resolved ? iso(c.resolvedAt ?? evaluatedAt) : ZERO_TIME,
    generatorURL: c.runbookUrl ?? '',
    fingerprint: fingerprintOf(c.id),
  };
}

/** The entries every map has, with the same value. */
function common(maps: readonly Readonly<Record<string, string>>[]): Record<string, string> {
  const [first, ...rest] = maps;
  return Object.fromEntries(Object.entries(first ?? {}).filter(([k, v]) => rest.every((m) => m[k] === v)));
}

function group(groupLabels: Record<string, string>, alerts: readonly AlertmanagerAlert[], truncatedAlerts: number): AlertmanagerMessage {
  const key = Object.entries(groupLabels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(', ');
  return {
    version: '4',
    groupKey: `{}:{${key}}`,
    truncatedAlerts,
    status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    receiver: RECEIVER_NAME,
    groupLabels,
    commonLabels: common(alerts.map((a) => a.labels)),
    commonAnnotations: common(alerts.map((a) => a.annotations)),
    externalURL: '',
    alerts,
  };
}

export function alertmanagerOf(n: Notification): AlertmanagerMessage {
  return group(
    { cluster: n.cluster },
    n.changes.map((c) => alertOf(c, n.evaluatedAt)),
    n.omitted.count,
  );
}

/** One of Vigil's own alarms (health topic): firing in ALARM and without data, resolved when OK. */
export function alertmanagerOfAlarm(a: CloudWatchAlarmMessage): AlertmanagerMessage {
  const at = Date.parse(a.StateChangeTime);
  const resolved = a.NewStateValue === 'OK';
  const alert: AlertmanagerAlert = {
    status: resolved ? 'resolved' : 'firing',
    labels: { alertname: a.AlarmName, severity: 'critical', source: 'vigil-health' },
    annotations: { summary: a.NewStateReason, ...(a.AlarmDescription ? { description: a.AlarmDescription } : {}) },
    startsAt: iso(at),
    endsAt: resolved ? iso(at) : ZERO_TIME,
    generatorURL: '',
    fingerprint: fingerprintOf(a.AlarmName),
  };
  return group({ alertname: a.AlarmName }, [alert], 0);
}

/** The webhook body for one SNS message; text that is not Vigil's is sent as one firing alert, never dropped. */
export function webhookMessageOf(sns: Pick<SNSMessage, 'Message' | 'Subject' | 'Timestamp'>, log: Logger): AlertmanagerMessage {
  const c = contentOf(sns.Message, log);
  if ('notification' in c) return alertmanagerOf(c.notification);
  if ('alarm' in c) return alertmanagerOfAlarm(c.alarm);
  const alert: AlertmanagerAlert = {
    status: 'firing',
    labels: { alertname: 'VigilMessage' },
    annotations: { ...(sns.Subject ? { summary: sns.Subject } : {}), description: sns.Message },
    startsAt: sns.Timestamp,
    endsAt: ZERO_TIME,
    generatorURL: '',
    fingerprint: fingerprintOf(`${sns.Subject ?? ''}\n${sns.Message}`),
  };
  return group({ alertname: 'VigilMessage' }, [alert], 0);
}

export const WEBHOOK_RECEIVER: Receiver = { ...WEBHOOK, render: (sns, log) => JSON.stringify(webhookMessageOf(sns, log)) };

export const createWebhookHandler = (deps: NotifierDeps) => createNotifier(WEBHOOK_RECEIVER, deps);

/**
 * The Microsoft Teams receiver: a Workflows (Power Automate) "When a Teams webhook request is received" flow
 * posting the card to a channel. Workflows take Adaptive Cards only (not the retired connectors' MessageCard),
 * in the message envelope of Microsoft's "Create and send messages" page: `{"type": "message", "attachments":
 * [{"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": null, "content": <card>}]}`.
 * The card is version 1.4, which every Teams client renders, and the whole post stays under Teams' 28 KB
 * message limit: a storm keeps the first changes in detail and folds the rest into a digest by rule, as Slack.
 */
import type { SNSMessage } from 'aws-lambda';
import type { Logger } from '../../common/log';
import type { Severity } from '../../model/domain';
import type { CloudWatchAlarmMessage } from './cloudwatch-alarm';
import { utc } from '../../model/time';
import { countsText, digestGroups, evidenceEntry, FLAPPING_NOTE, KIND_LABEL, when, where } from '../message/format';
import type { AlertChange, Notification } from '../../model/notification';
import { contentOf, createNotifier, type NotifierDeps, type Receiver } from './notifier';
import { TEAMS } from './secrets';

/** Teams' message size limit, in bytes of the posted JSON, with room for what the flow adds. */
export const TEAMS_MAX_BYTES = 27_000;
/** Changes shown in detail at most; beyond, the card is a digest. */
export const TEAMS_DETAILED = 10;
export const ADAPTIVE_CARD_VERSION = '1.4';
export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

type Color = 'Default' | 'Good' | 'Warning' | 'Attention' | 'Accent';

export type CardElement =
  | {
      readonly type: 'TextBlock';
      readonly text: string;
      readonly wrap: true;
      readonly weight?: 'Bolder';
      readonly size?: 'Medium' | 'Large';
      readonly color?: Color;
      readonly isSubtle?: boolean;
      readonly spacing?: 'Medium';
    }
  | { readonly type: 'FactSet'; readonly facts: readonly { readonly title: string; readonly value: string }[] }
  | {
      readonly type: 'ActionSet';
      readonly actions: readonly { readonly type: 'Action.OpenUrl'; readonly title: string; readonly url: string }[];
    };

export interface AdaptiveCard {
  readonly $schema: 'http://adaptivecards.io/schemas/adaptive-card.json';
  readonly type: 'AdaptiveCard';
  readonly version: typeof ADAPTIVE_CARD_VERSION;
  readonly body: readonly CardElement[];
  /** Teams only: use the channel's full width. */
  readonly msteams: { readonly width: 'Full' };
}

export interface TeamsMessage {
  readonly type: 'message';
  readonly attachments: readonly [
    { readonly contentType: typeof ADAPTIVE_CARD_CONTENT_TYPE; readonly contentUrl: null; readonly content: AdaptiveCard },
  ];
}

const COLOR: Readonly<Record<Severity | 'resolved', Color>> = {
  critical: 'Attention',
  warning: 'Warning',
  info: 'Accent',
  resolved: 'Good',
};
const MAX_FACTS = 12;
const MAX_TEXT = 2000;

const cut = (s: string, max = MAX_TEXT) => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);
const text = (t: string, more: Omit<Extract<CardElement, { type: 'TextBlock' }>, 'type' | 'text' | 'wrap'> = {}): CardElement => ({
  type: 'TextBlock',
  text: cut(t),
  wrap: true,
  ...more,
});

function message(body: CardElement[]): TeamsMessage {
  return {
    type: 'message',
    attachments: [
      {
        contentType: ADAPTIVE_CARD_CONTENT_TYPE,
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: ADAPTIVE_CARD_VERSION,
          body,
          msteams: { width: 'Full' },
        },
      },
    ],
  };
}

function changeElements(c: AlertChange, evaluatedAt: number): CardElement[] {
  const facts = [...where(c.subject), ...Object.entries(c.evidence).map(([k, v]) => evidenceEntry(k, v))]
    .slice(0, MAX_FACTS)
    .map(([title, value]) => ({ title, value: cut(value, 400) }));
  const w = when(c, evaluatedAt);
  const context = [w, c.kind === 'flapping' ? FLAPPING_NOTE : undefined, `rule ${c.rule}`].filter(Boolean).join(' · ');
  return [
    text(`${KIND_LABEL[c.kind]} · ${c.title} (${c.severity})`, {
      weight: 'Bolder',
      color: COLOR[c.kind === 'resolved' ? 'resolved' : c.severity],
      spacing: 'Medium',
    }),
    text(c.summary),
    ...(facts.length ? [{ type: 'FactSet' as const, facts }] : []),
    ...(c.includes?.length ? [text(`Includes (muted here):\n${c.includes.map((i) => `- ${i.rule}: ${i.summary}`).join('\n')}`)] : []),
    ...(c.kind !== 'resolved' ? [text(`What to do: ${c.runbook}`)] : []),
    text(context, { isSubtle: true }),
    ...(c.runbookUrl
      ? [{ type: 'ActionSet' as const, actions: [{ type: 'Action.OpenUrl' as const, title: `Runbook: ${c.rule}`, url: c.runbookUrl }] }]
      : []),
  ];
}

function digest(rest: readonly AlertChange[], omitted: Notification['omitted']): string[] {
  const lines = digestGroups(rest).map(
    (g) =>
      `- ${g.kind} ${g.title} ×${g.count}${g.items.length ? `: ${g.items.join(', ')}${g.count > g.items.length ? ` and ${g.count - g.items.length} more` : ''}` : ''}`,
  );
  if (omitted.count)
    lines.push(`- …and ${omitted.count} more not detailed: ${omitted.rules.map((r) => `${r.title} ×${r.count}`).join(', ')}`);
  return lines;
}

const bytes = (m: TeamsMessage) => Buffer.byteLength(JSON.stringify(m));

/** The card of one notification: as many changes in detail as fit Teams' limit, the rest as a digest. */
export function formatTeams(n: Notification): TeamsMessage {
  const header = text(`${n.severity.toUpperCase()} · ${n.cluster} · ${countsText(n)}`, {
    weight: 'Bolder',
    size: 'Medium',
    color: COLOR[n.severity],
  });
  const footer = text(
    `Now firing: ${n.active.firing} (${n.active.critical} critical)${n.active.muted ? ` · ${n.active.muted} muted by inhibition` : ''} · evaluated ${utc(n.evaluatedAt)}`,
    { isSubtle: true, spacing: 'Medium' },
  );
  for (let detailed = Math.min(n.changes.length, TEAMS_DETAILED); ; detailed--) {
    const lines = digest(n.changes.slice(detailed), n.omitted);
    const body = [header, ...n.changes.slice(0, detailed).flatMap((c) => changeElements(c, n.evaluatedAt))];
    if (lines.length)
      body.push(
        text(`Also in this evaluation (${n.counts.firing + n.counts.resolved - detailed} more):\n${lines.join('\n')}`, {
          spacing: 'Medium',
        }),
      );
    const m = message([...body, footer]);
    if (bytes(m) <= TEAMS_MAX_BYTES || detailed === 0) return m;
  }
}

/** One of Vigil's own alarms: what, where, since when, why. */
export function formatAlarmTeams(a: CloudWatchAlarmMessage): TeamsMessage {
  const state = a.NewStateValue === 'OK' ? KIND_LABEL.resolved : a.NewStateValue === 'ALARM' ? KIND_LABEL.firing : 'NO DATA';
  const at = Date.parse(a.StateChangeTime);
  return message([
    text(`HEALTH · ${state} · ${a.AlarmName}`, {
      weight: 'Bolder',
      size: 'Medium',
      color: a.NewStateValue === 'OK' ? 'Good' : 'Attention',
    }),
    text(a.AlarmDescription || a.AlarmName),
    {
      type: 'FactSet',
      facts: [
        { title: 'Alarm', value: a.AlarmName },
        ...(a.Region ? [{ title: 'Region', value: a.Region }] : []),
        { title: 'State', value: `${a.OldStateValue ?? '?'} → ${a.NewStateValue}` },
      ],
    },
    text(`${Number.isNaN(at) ? a.StateChangeTime : `since ${utc(at)}`} · Why: ${a.NewStateReason}`, { isSubtle: true }),
  ]);
}

/** The Teams post for one SNS message; text that is not Vigil's is posted as it is, never dropped. */
export function teamsMessageOf(sns: Pick<SNSMessage, 'Message' | 'Subject'>, log: Logger): TeamsMessage {
  const c = contentOf(sns.Message, log);
  if ('notification' in c) return formatTeams(c.notification);
  if ('alarm' in c) return formatAlarmTeams(c.alarm);
  return message([...(sns.Subject ? [text(sns.Subject, { weight: 'Bolder' })] : []), text(sns.Message)]);
}

export const TEAMS_RECEIVER: Receiver = { ...TEAMS, render: (sns, log) => JSON.stringify(teamsMessageOf(sns, log)) };

export const createTeamsHandler = (deps: NotifierDeps) => createNotifier(TEAMS_RECEIVER, deps);

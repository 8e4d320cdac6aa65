/**
 * The Slack rendering of a notification, as Block Kit for an incoming webhook: a header with the severity,
 * then per change a section (what, the summary, fields for where and the evidence) and a context line
 * (since when, what to do). Within Slack's limits: 50 blocks, header 150 characters, section text 3,000,
 * 10 fields of 2,000 each. Data from the cluster is escaped (`&`, `<`, `>` are Slack's control characters).
 * A storm (more changes than fit) keeps the first ones in detail and folds the rest into a digest by rule.
 */
import type { Severity } from '../../model/domain';
import type { CloudWatchAlarmMessage } from './cloudwatch-alarm';
import { emailSubject } from '../message/email';
import { utc } from '../../model/time';
import { countsText, digestGroups, evidenceEntry, FLAPPING_NOTE, KIND_LABEL, when, where } from '../message/format';
import type { AlertChange, Notification } from '../../model/notification';

export const SLACK_LIMITS = {
  blocks: 50,
  headerText: 150,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  contextElements: 10,
  contextText: 2000,
  fallbackText: 3000,
} as const;

/** Changes shown in detail; beyond this the message is a digest. */
export const SLACK_DETAILED = 10;

interface Text {
  readonly type: 'mrkdwn' | 'plain_text';
  readonly text: string;
  readonly emoji?: boolean;
}
export type SlackBlock =
  | { readonly type: 'header'; readonly text: Text }
  | { readonly type: 'section'; readonly text?: Text; readonly fields?: readonly Text[] }
  | { readonly type: 'context'; readonly elements: readonly Text[] }
  | { readonly type: 'divider' };

export interface SlackMessage {
  /** Fallback text: notifications and clients without blocks. */
  readonly text: string;
  readonly blocks: readonly SlackBlock[];
}

/** Slack's escaping: `&`, `<`, `>` only (formatting reference, "Escaping text"). */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Truncates after escaping, never inside an entity. */
function fit(escaped: string, max: number): string {
  if (escaped.length <= max) return escaped;
  let cut = escaped.slice(0, max - 1);
  const amp = cut.lastIndexOf('&');
  if (amp >= 0 && !cut.slice(amp).includes(';')) cut = cut.slice(0, amp);
  return `${cut}…`;
}

const md = (text: string, max: number = SLACK_LIMITS.sectionText): Text => ({ type: 'mrkdwn', text: fit(text, max) });

const SEVERITY_EMOJI: Readonly<Record<Severity | 'resolved', string>> = {
  critical: ':red_circle:',
  warning: ':large_orange_circle:',
  info: ':large_blue_circle:',
  resolved: ':white_check_mark:',
};

const emojiOf = (c: AlertChange) => (c.kind === 'resolved' ? SEVERITY_EMOJI.resolved : SEVERITY_EMOJI[c.severity]);

function changeBlocks(c: AlertChange, evaluatedAt: number): SlackBlock[] {
  const e = escapeSlack;
  const fields: Text[] = [];
  for (const [label, value] of where(c.subject)) if (fields.length < 5) fields.push(md(`*${label}*\n${e(value)}`, SLACK_LIMITS.fieldText));
  for (const [k, v] of Object.entries(c.evidence)) {
    if (fields.length >= SLACK_LIMITS.fields) break;
    const [label, value] = evidenceEntry(k, v);
    fields.push(md(`*${e(label)}*\n${e(value)}`, SLACK_LIMITS.fieldText));
  }
  const blocks: SlackBlock[] = [
    {
      type: 'section',
      text: md(`${emojiOf(c)} *${KIND_LABEL[c.kind]} · ${e(c.title)}* (${c.severity})\n${e(c.summary)}`),
      ...(fields.length ? { fields } : {}),
    },
  ];
  if (c.includes?.length) {
    blocks.push({
      type: 'section',
      text: md(`*Includes (muted here):*\n${c.includes.map((i) => `• \`${e(i.rule)}\` ${e(i.summary)}`).join('\n')}`),
    });
  }
  const context: Text[] = [];
  const w = when(c, evaluatedAt);
  if (w) context.push(md(e(w), SLACK_LIMITS.contextText));
  if (c.kind === 'flapping') context.push(md(e(FLAPPING_NOTE), SLACK_LIMITS.contextText));
  if (c.kind !== 'resolved') context.push(md(`*What to do:* ${e(c.runbook)}`, SLACK_LIMITS.contextText));
  // The URL is checked at synth (no <, > or |), so it stands in Slack's link syntax as it is.
  if (c.runbookUrl) context.push(md(`<${c.runbookUrl}|Runbook>`, SLACK_LIMITS.contextText));
  context.push(md(`rule \`${e(c.rule)}\``, SLACK_LIMITS.contextText));
  blocks.push({ type: 'context', elements: context.slice(0, SLACK_LIMITS.contextElements) });
  return blocks;
}

/** Digest lines for changes not shown in detail: `*Container OOM-killed* ×12: a, b, c and 9 more`. */
function digestLines(rest: readonly AlertChange[], omitted: Notification['omitted']): string[] {
  const lines = digestGroups(rest).map((g) => {
    const more = g.count - g.items.length;
    return `• ${g.kind} *${escapeSlack(g.title)}* ×${g.count}${g.items.length ? `: ${escapeSlack(g.items.join(', '))}${more > 0 ? ` and ${more} more` : ''}` : ''}`;
  });
  if (omitted.count)
    lines.push(`• …and ${omitted.count} more not detailed: ${omitted.rules.map((r) => `${escapeSlack(r.title)} ×${r.count}`).join(', ')}`);
  return lines;
}

export function formatSlack(n: Notification): SlackMessage {
  const header = `${SEVERITY_EMOJI[n.severity]} ${n.severity.toUpperCase()} · ${n.cluster} · ${countsText(n)}`;
  const blocks: SlackBlock[] = [{ type: 'header', text: { type: 'plain_text', text: fit(header, SLACK_LIMITS.headerText), emoji: true } }];
  const footer: SlackBlock = {
    type: 'context',
    elements: [
      md(
        `Now firing: *${n.active.firing}* (${n.active.critical} critical)${n.active.muted ? ` · ${n.active.muted} muted by inhibition` : ''} · evaluated ${utc(n.evaluatedAt)}`,
      ),
    ],
  };
  const storm = n.changes.length > SLACK_DETAILED || n.omitted.count > 0;
  const detailed = storm ? n.changes.slice(0, SLACK_DETAILED - 2) : n.changes;
  const rest = n.changes.slice(detailed.length);
  let shown = 0;
  for (const c of detailed) {
    const add = changeBlocks(c, n.evaluatedAt);
    // Keep room for a divider, a digest section and the footer.
    if (blocks.length + add.length > SLACK_LIMITS.blocks - 3) break;
    blocks.push(...add);
    shown++;
  }
  const lines = digestLines([...detailed.slice(shown), ...rest], n.omitted);
  if (lines.length) {
    blocks.push({ type: 'divider' });
    const sections: string[] = [`*Also in this evaluation (${n.counts.firing + n.counts.resolved - shown} more):*`];
    for (const line of lines) {
      if (sections[sections.length - 1].length + line.length + 1 <= SLACK_LIMITS.sectionText) sections[sections.length - 1] += `\n${line}`;
      else sections.push(line);
    }
    const room = SLACK_LIMITS.blocks - blocks.length - 1;
    const kept = sections.slice(0, room);
    if (sections.length > room)
      kept[kept.length - 1] = `${fit(kept[kept.length - 1], SLACK_LIMITS.sectionText - 40)}\n…and more, see the email`;
    for (const text of kept) blocks.push({ type: 'section', text: md(text) });
  }
  blocks.push(footer);
  return { text: fit(escapeSlack(emailSubject(n)), SLACK_LIMITS.fallbackText), blocks };
}

const ALARM_STATE: Readonly<Record<CloudWatchAlarmMessage['NewStateValue'], { readonly label: string; readonly emoji: string }>> = {
  ALARM: { label: KIND_LABEL.firing, emoji: SEVERITY_EMOJI.critical },
  OK: { label: KIND_LABEL.resolved, emoji: SEVERITY_EMOJI.resolved },
  INSUFFICIENT_DATA: { label: 'NO DATA', emoji: SEVERITY_EMOJI.info },
};

/** One of Vigil's own alarms (its functions failing, an agent silent) as a Vigil message: what, where, since when, why. */
export function formatAlarmSlack(a: CloudWatchAlarmMessage): SlackMessage {
  const e = escapeSlack;
  const state = ALARM_STATE[a.NewStateValue];
  const at = Date.parse(a.StateChangeTime);
  const fields = [
    md(`*Alarm*\n${e(a.AlarmName)}`, SLACK_LIMITS.fieldText),
    ...(a.Region ? [md(`*Region*\n${e(a.Region)}`, SLACK_LIMITS.fieldText)] : []),
    md(`*State*\n${e(`${a.OldStateValue ?? '?'} → ${a.NewStateValue}`)}`, SLACK_LIMITS.fieldText),
  ];
  const blocks: SlackBlock[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: fit(`${state.emoji} HEALTH · ${state.label} · ${a.AlarmName}`, SLACK_LIMITS.headerText),
        emoji: true,
      },
    },
    { type: 'section', text: md(e(a.AlarmDescription || a.AlarmName)), fields },
    {
      type: 'context',
      elements: [
        md(Number.isNaN(at) ? e(a.StateChangeTime) : `since ${utc(at)}`, SLACK_LIMITS.contextText),
        md(`*Why:* ${e(a.NewStateReason)}`, SLACK_LIMITS.contextText),
      ],
    },
  ];
  return { text: fit(e(`[HEALTH] ${state.label}: ${a.AlarmName}`), SLACK_LIMITS.fallbackText), blocks };
}

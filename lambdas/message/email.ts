/**
 * The email rendering of a notification: an SNS subject (ASCII, under 100 characters, as SNS requires) and
 * a plain-text body that reads well in any mail client: one block per change, labelled lines, no markup.
 */
import { utc } from '../../model/time';
import { evidenceEntry, FLAPPING_NOTE, KIND_LABEL, when, where } from './format';
import { type AlertChange, type Notification, shortSubject } from '../../model/notification';

/** SNS: "must be ASCII text that begins with a letter, number, or punctuation mark … less than 100 characters". */
export const MAX_SUBJECT = 99;

/** Replaces what SNS refuses in a subject (non-ASCII, control characters) with ASCII. */
export function asciiSubject(text: string): string {
  const ascii = text
    .replace(/\s+/g, ' ')
    .replace(/[→]/g, '->')
    .replace(/[…]/g, '...')
    .replace(/[–—]/g, '-')
    .replace(/[^\x20-\x7e]/g, '?')
    .trim();
  return /^[A-Za-z0-9\p{P}]/u.test(ascii) ? ascii : `Vigil ${ascii}`.trim();
}

export function emailSubject(n: Notification): string {
  const tag = `[${n.severity.toUpperCase()}] ${n.cluster}: `;
  const first = n.changes[0];
  const total = n.counts.firing + n.counts.resolved;
  const more = total > 1 ? ` +${total - 1} more` : '';
  const short = first ? shortSubject(first.subject) : undefined;
  let head = first ? `${first.title}${short ? ` (${short})` : ''}` : 'no changes';
  const room = MAX_SUBJECT - tag.length - more.length;
  if (asciiSubject(head).length > room) head = `${asciiSubject(head).slice(0, Math.max(0, room - 3))}...`;
  return asciiSubject(`${tag}${head}${more}`).slice(0, MAX_SUBJECT);
}

const pad = (label: string) => `  ${`${label}:`.padEnd(12)}`;
const indent = ' '.repeat(14);

function block(c: AlertChange, evaluatedAt: number): string {
  const lines = [`== ${KIND_LABEL[c.kind]} (${c.severity}) ${c.title} ==`, c.summary, ''];
  lines.push(
    pad('Where') +
      where(c.subject)
        .map(([k, v]) => `${k.toLowerCase()} ${v}`)
        .join(' / '),
  );
  const w = when(c, evaluatedAt);
  if (w) lines.push(pad(c.kind === 'resolved' ? 'Lasted' : 'When') + w);
  const ev = Object.entries(c.evidence).map(([k, v]) => evidenceEntry(k, v));
  ev.forEach(([k, v], i) => lines.push((i === 0 ? pad('Evidence') : indent) + `${k}: ${v}`));
  (c.includes ?? []).forEach((inc, i) => lines.push((i === 0 ? pad('Includes') : indent) + `- ${inc.rule}: ${inc.summary}`));
  if (c.kind === 'flapping') lines.push(pad('Note') + FLAPPING_NOTE);
  if (c.kind !== 'resolved') lines.push(pad('What to do') + c.runbook);
  if (c.runbookUrl) lines.push(pad('Runbook') + c.runbookUrl);
  lines.push(pad('Rule') + c.rule);
  return lines.join('\n');
}

export function emailText(n: Notification): string {
  const parts = [
    `Vigil - cluster ${n.cluster}: ${[n.counts.firing && `${n.counts.firing} firing`, n.counts.resolved && `${n.counts.resolved} resolved`].filter(Boolean).join(', ')}`,
    `Evaluated at ${utc(n.evaluatedAt)}. Highest severity: ${n.severity}.`,
    '',
    ...n.changes.map((c) => block(c, n.evaluatedAt) + '\n'),
  ];
  if (n.omitted.count > 0) {
    parts.push(
      `...and ${n.omitted.count} more changes not listed here:`,
      ...n.omitted.rules.map((r) => `  - ${r.title} (${r.rule}): ${r.count}`),
      '',
    );
  }
  parts.push(
    `Now firing: ${n.active.firing} alert${n.active.firing === 1 ? '' : 's'} (${n.active.critical} critical)${n.active.muted ? `; ${n.active.muted} more muted by inhibition` : ''}.`,
    '--',
    'Sent by Vigil. The SNS message attributes severities, cluster and rule let subscriptions filter these messages.',
  );
  return parts.join('\n');
}
